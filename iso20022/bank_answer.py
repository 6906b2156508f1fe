"""A bank's answer file, validated before anything of it is read.

``read_bank_answer(path)`` is what an importer of pain.002 and camt.054 files calls:

1. the file is opened once, as an :class:`iso20022.xml.Source` (regular files only: a FIFO,
   a device or a directory is ``FILE_UNUSABLE`` at once, without blocking);
2. its message type is read from the root namespace; anything but a pain.002 or camt.054 is
   ``XML_WRONG_MESSAGE``;
3. it is validated, streaming, against the shipped official XSD of that exact version. A
   version without a shipped schema is refused (``XML_UNKNOWN_MESSAGE``) and an invalid
   file too (``XML_SCHEMA_INVALID``, with the first error and its line, and the whole
   :class:`~iso20022.validate.ValidationResult` as the error's ``validation``): neither is
   ever read, because a reader that meets an element it does not expect skips it, and a
   skipped rejection is money that silently never reaches a person;
4. the same pass computes the file's SHA-256 (for the import record);
5. the header is read, and the returned :class:`BankAnswer` holds the
   :class:`~iso20022.pain002.StatusReport` or :class:`~iso20022.camt054.Notification`,
   whose streams read the same open file (so the file read is the file validated, even if
   the path is replaced meanwhile).

With ``validate_while_reading`` a pain.002 is not validated up front: its schema is
attached to the report, whose ``statuses`` pass validates while it reads (one pass of the
file instead of two: a 1,000,000-status report is parsed once), and any failure in that
pass is judged by a full validation, so an invalid file is ``XML_SCHEMA_INVALID`` whatever
the reader met first. The caller must not apply anything before :meth:`BankAnswer.require_valid`
(which validates the file when no whole pass did); :func:`payments.returns.import_file`
stages the statuses in a temporary table and applies them only after it.

``BankAnswer`` is a context manager; closing it closes the file (it is also closed when
collected)::

    with iso20022.read_bank_answer(path) as answer:
        for item in answer.report.statuses: ...      # pain.002
        for item in answer.report.entries: ...       # camt.054
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field

from iso20022 import camt054, pain002, xml
from iso20022.errors import XmlInputError
from iso20022.pain002_types import InlineValidation
from iso20022.validate import LINES_MAX_BYTES, detect_message, schema, validate

FAMILIES = ("pain.002", "camt.054")


@dataclass(frozen=True, slots=True)
class BankAnswer:
    """A validated pain.002 or camt.054, open for streaming."""

    path: str
    message_type: str  # e.g. "pain.002.001.10"
    kind: str  # "pain.002" or "camt.054"
    sha256: str
    size: int
    report: pain002.StatusReport | camt054.Notification
    source: xml.Source = field(compare=False, repr=False)

    @property
    def validated(self) -> bool:
        """Whether the file is known valid: validated up front, or by a whole ``statuses``
        pass of a pain.002 read with ``validate_while_reading``."""
        validation = getattr(self.report, "validation", None)
        return validation is None or validation.done

    def require_valid(self) -> None:
        """Make sure the file was validated (a full validation when no pass did it yet):
        ``XML_SCHEMA_INVALID`` otherwise. What an importer calls before it applies
        anything of a file read with ``validate_while_reading``."""
        if not self.validated:
            raise_if_invalid(self.source, self.message_type)
            self.report.validation.done = True

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> BankAnswer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _CountingDigest:
    """A SHA-256 that also counts the bytes it was fed."""

    __slots__ = ("hash", "count")

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.count = 0

    def update(self, data: bytes) -> None:
        self.hash.update(data)
        self.count += len(data)


def _invalid(source: xml.Source, message_type: str, result) -> XmlInputError:
    first = result.errors[0]
    error = XmlInputError(
        "XML_SCHEMA_INVALID",
        f"{source.path} is not a valid {message_type}: {first.message} "
        f"({result.error_count} error(s)); it is not read",
        "file",
        first.line,
    )
    error.validation = result
    return error


def raise_if_invalid(
    source: xml.Source, message_type: str, lines_max_bytes: int = LINES_MAX_BYTES
) -> None:
    """Validate the whole file; raise ``XML_SCHEMA_INVALID`` (as :func:`read_bank_answer`
    does) when it is invalid."""
    result = validate(source, lines_max_bytes=lines_max_bytes)
    if not result.valid:
        raise _invalid(source, message_type, result)


def _validating(
    source: xml.Source, message_type: str, kind: str, max_bytes: int, lines_max_bytes: int
) -> BankAnswer:
    """A pain.002 whose ``statuses`` pass validates while it reads (see the docstring)."""
    xsd = schema(message_type)  # XML_UNKNOWN_MESSAGE without a shipped schema: refused now
    sha256 = source.sha256()
    try:
        report = pain002.read(source, max_bytes=max_bytes)
    except XmlInputError:
        raise_if_invalid(source, message_type, lines_max_bytes)
        raise
    report = dataclasses.replace(report, validation=InlineValidation(xsd, message_type))
    return BankAnswer(source.path, message_type, kind, sha256, source.size, report, source)


def read_bank_answer(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = xml.DEFAULT_MAX_BYTES,
    lines_max_bytes: int = LINES_MAX_BYTES,
    validate_while_reading: bool = False,
) -> BankAnswer:
    """Open, validate and read the header of a bank's answer; see the module docstring."""
    source = xml.Source(path, max_bytes=max_bytes)
    try:
        message_type = detect_message(source)
        kind = message_type[:8]
        if kind not in FAMILIES:
            raise XmlInputError(
                "XML_WRONG_MESSAGE",
                f"{source.path} is a {message_type}, not a pain.002 or camt.054",
                "file",
            )
        if validate_while_reading and kind == "pain.002":
            return _validating(source, message_type, kind, max_bytes, lines_max_bytes)
        digest = _CountingDigest()
        result = validate(source, lines_max_bytes=lines_max_bytes, digest=digest)
        if not result.valid:
            raise _invalid(source, message_type, result)
        # The validating parser reads to the end; should it ever stop short, hash it whole.
        sha256 = digest.hash.hexdigest() if digest.count == source.size else source.sha256()
        if kind == "pain.002":
            report = pain002.read(source, max_bytes=max_bytes)
        else:
            report = camt054.read(source, max_bytes=max_bytes)
        return BankAnswer(source.path, message_type, kind, sha256, source.size, report, source)
    except BaseException:
        source.close()
        raise
