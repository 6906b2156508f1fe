"""Validation of a file against the official ISO 20022 XSD of its message.

``validate(path)`` reads the root element's namespace
(``urn:iso:std:iso:20022:tech:xsd:pain.001.001.03`` …), picks the matching schema shipped in
``iso20022/schemas`` (unchanged copies, see ``schemas/PROVENANCE.md``), and validates.
``detect_message(path)`` is the first step alone (``"camt.054.001.08"``), for callers that
dispatch on the message type.

* The file is read with every defence of :mod:`iso20022.xml` (regular files only, size
  limit, no DTD, no entities, no network); an unusable, unreadable, unsafe or malformed
  file raises a coded :class:`~iso20022.errors.XmlInputError`. **A message version without
  a shipped schema is refused** with ``XML_UNKNOWN_MESSAGE`` (never "valid", never read
  unvalidated: see :func:`iso20022.read_bank_answer`). A file that is merely invalid is a
  result, not an error.
* ``path`` may also be an open :class:`iso20022.xml.Source`, so that the file validated is
  the file read afterwards (the importer's case).
* Validation streams (libxml2 validates while parsing; each repeating element is freed as
  soon as it has been validated, with everything before it), so memory stays flat for
  large files: a 200 MB pain.002 with 1,000,000 ``TxInfAndSts`` validates in the same
  memory as a small one (see ``benchmarks/iso20022.py``). libxml2 cannot give line
  numbers in that mode, so when the file is invalid and not larger than
  ``lines_max_bytes`` (8 MiB: about 28,000 transactions, beyond the 10,000 a Danish bundle
  holds) it is parsed once more as a tree, which costs about eleven times the file size in
  memory, to report the first errors with their lines; a larger invalid file reports its
  errors without lines.
* A truncated file is ``XML_MALFORMED``, never "invalid": lxml's validating stream does not
  notice a document that just stops, so the end of the root element is required and, when
  anything is wrong, the file is also checked with the plain parser.
* Compiled schemas are cached for the life of the process.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError

SCHEMAS = (
    "pain.001.001.03",
    "pain.001.001.09",
    "pain.002.001.03",
    "pain.002.001.08",
    "pain.002.001.10",
    "pain.002.001.12",
    "camt.054.001.02",
    "camt.054.001.04",
    "camt.054.001.08",
)
SCHEMA_DIR = Path(__file__).with_name("schemas")
LINES_MAX_BYTES = 8 * 1024 * 1024
# The elements that repeat in the shipped messages, freed as soon as they are validated,
# and the root, whose end proves the document is complete.
_TAGS = tuple(
    "{*}" + name
    for name in (
        "CdtTrfTxInf",
        "PmtInf",
        "TxInfAndSts",
        "OrgnlPmtInfAndSts",
        "TxDtls",
        "Ntry",
        "Ntfctn",
        "Document",
    )
)
_NAMESPACE_IN_MESSAGE = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:[^}]*\}")


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One schema error: its line (``None`` when unknown) and libxml2's message."""

    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The outcome: message type, valid or not, the first errors and how many there were."""

    path: str
    message_type: str
    valid: bool
    errors: tuple[ValidationIssue, ...] = ()
    error_count: int = 0


@cache
def schema(message_type: str) -> etree.XMLSchema:
    """The compiled shipped XSD of ``message_type`` (e.g. ``"pain.001.001.03"``), cached."""
    if message_type not in SCHEMAS:
        raise XmlInputError(
            "XML_UNKNOWN_MESSAGE",
            f"no schema is shipped for {message_type}; known: {', '.join(SCHEMAS)}",
        )
    data = (SCHEMA_DIR / f"{message_type}.xsd").read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(data, parser))


def detect_message(
    path: str | os.PathLike[str] | xml.Source, *, max_bytes: int = xml.DEFAULT_MAX_BYTES
) -> str:
    """The ISO 20022 message type of ``path`` from its root namespace (``"camt.054.001.08"``).

    Reads only up to the root element, with every defence; raises ``XML_UNKNOWN_MESSAGE``
    when the root is not an ISO 20022 ``Document``. Whether a schema is shipped for the type
    does not matter here; :func:`validate` and :func:`iso20022.read_bank_answer` refuse a
    type without one.
    """
    return xml.message_type(xml.sniff(path, max_bytes=max_bytes))


def validate(
    path: str | os.PathLike[str] | xml.Source,
    *,
    max_errors: int = 10,
    max_bytes: int = xml.DEFAULT_MAX_BYTES,
    lines_max_bytes: int = LINES_MAX_BYTES,
    digest=None,
) -> ValidationResult:
    """Validate ``path`` against the XSD its namespace names; see the module docstring.

    ``digest`` (a hashlib object) is fed every byte of the validating pass, so a caller gets
    the file's hash without reading it once more.
    """
    source, opened = (path, False) if isinstance(path, xml.Source) else (None, True)
    if source is None:
        source = xml.Source(path, max_bytes=max_bytes)
    try:
        message_type = detect_message(source)
        return _validate(source, message_type, max_errors, lines_max_bytes, digest)
    finally:
        if opened:
            source.close()


def _validate(
    source: xml.Source, message_type: str, max_errors: int, lines_max_bytes: int, digest
) -> ValidationResult:
    xsd = schema(message_type)  # XML_UNKNOWN_MESSAGE without a shipped schema
    violation, closed = None, False
    try:
        for _event, element in xml.iterparse(
            source, events=("end",), tag=_TAGS, schema=xsd, digest=digest
        ):
            closed = element.getparent() is None
            _drop(element)
    except xml.SchemaViolation as exc:
        violation = exc
    except XmlInputError as exc:
        if exc.code != "XML_MALFORMED":
            raise
        _well_formed(source)  # the plain parser's message is the precise one
        raise
    if violation is None and closed:
        return ValidationResult(source.path, message_type, True)
    # Invalid, or the streaming pass missed the end of the document: make sure the file is
    # well-formed (a truncated file is unreadable, not invalid), with lines when affordable.
    entries = violation.entries if violation else []
    if source.size <= lines_max_bytes:
        xsd.validate(xml.parse(source))
        entries = list(xsd.error_log) or entries
    else:
        _well_formed(source)
    if not entries:
        raise XmlInputError("XML_MALFORMED", "the document ends before its root element does")
    issues = tuple(
        ValidationIssue(entry.line or None, _NAMESPACE_IN_MESSAGE.sub("", entry.message))
        for entry in entries[:max_errors]
    )
    return ValidationResult(source.path, message_type, False, issues, len(entries))


def _well_formed(source: xml.Source) -> None:
    """Raise ``XML_MALFORMED`` (with the line) unless the file is well-formed XML.

    Needed because lxml's validating ``iterparse`` with ``resolve_entities=False`` does not
    report a document that simply stops (a truncated file); the plain parser does.
    """
    for _event, element in xml.iterparse(source, events=("end",)):
        _drop(element)


def _drop(element: etree._Element) -> None:
    """Free a validated element and everything before it (validation keeps no tree)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
