"""The one exception hierarchy of ``iso20022``, and the catalogue of its stable codes.

Every error carries a stable ``code`` that callers and tests branch on (never on the text),
a ``message`` a clerk can act on, the offending ``field`` when there is one (a dotted path
such as ``PmtInf[P1].CdtTrfTxInf[E2E-7].EndToEndId``) and the ``line`` of the input file
when the error came from reading one. ``exit_status = 2`` because every one of them means
bad input: a file that cannot be read or trusted, or data that cannot become a valid file.

Codes (:data:`CODES` holds the same table as data; a test checks that every code raised in
the package is listed there, and every code listed is raised somewhere):

========================  ===============================================================
FILE_UNUSABLE             not a regular file (a FIFO, a device, a directory, a socket),
                          or the file was replaced while it was being opened; refused
                          without reading (a FIFO would block the reader for ever)
XML_UNREADABLE            the file cannot be opened or read (missing, permission)
XML_TOO_LARGE             the file is over the configured size limit
XML_FORBIDDEN             a DOCTYPE / DTD / ENTITY declaration: refused, never expanded
XML_MALFORMED             not well-formed XML (truncated, not XML at all); has ``line``
XML_UNKNOWN_MESSAGE       not an ISO 20022 message this package knows (namespace, root),
                          or a version for which no official schema is shipped
XML_WRONG_MESSAGE         an ISO 20022 message, but not the one the reader expects
XML_SCHEMA_INVALID        the file breaks the official XSD of its message (raised by
                          :func:`iso20022.read_bank_answer`, which never reads such a
                          file; :func:`iso20022.validate` returns the errors instead)
XML_MISSING_ELEMENT       a reader needs an element the file does not have
XML_INVALID_VALUE         a reader cannot interpret a value (amount, date)
PAIN001_INVALID_INPUT     the writer's input breaks a rule of the format or of the banks
PAIN001_TOTALS_MISMATCH   declared NbOfTxs / CtrlSum differ from the streamed transactions
PAIN001_UNSUPPORTED       a pain.001 version the writer does not produce
PAIN002_INVALID_INPUT     the demo bank's answer cannot become a schema-valid pain.002
========================  ===============================================================
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "FILE_UNUSABLE": "not a regular file (FIFO, device, directory), or replaced while opened",
    "XML_UNREADABLE": "the file cannot be opened or read (missing, permission)",
    "XML_TOO_LARGE": "the file is over the configured size limit",
    "XML_FORBIDDEN": "a DOCTYPE / DTD / ENTITY declaration: refused, never expanded",
    "XML_MALFORMED": "not well-formed XML (truncated, not XML at all)",
    "XML_UNKNOWN_MESSAGE": "not a known ISO 20022 message, or no official schema is shipped",
    "XML_WRONG_MESSAGE": "an ISO 20022 message, but not the one the reader expects",
    "XML_SCHEMA_INVALID": "the file breaks the official XSD of its message",
    "XML_MISSING_ELEMENT": "a reader needs an element the file does not have",
    "XML_INVALID_VALUE": "a reader cannot interpret a value (amount, date)",
    "PAIN001_INVALID_INPUT": "the pain.001 writer's input breaks a rule of the format or banks",
    "PAIN001_TOTALS_MISMATCH": "declared NbOfTxs / CtrlSum differ from what was streamed",
    "PAIN001_UNSUPPORTED": "a pain.001 version the writer does not produce",
    "PAIN002_INVALID_INPUT": "the demo bank's answer cannot become a schema-valid pain.002",
}


class Iso20022Error(Exception):
    """A failure with a stable code; the base of everything ``iso20022`` raises on purpose."""

    exit_status = 2

    def __init__(
        self, code: str, message: str, field: str | None = None, line: int | None = None
    ) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(f"{code}: {message}{where}")
        self.code = code
        self.message = message if not line else f"{message} (line {line})"
        self.field = field
        self.line = line

    def as_dict(self) -> dict[str, object]:
        """The error as plain data, for ``--json`` output."""
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.line:
            out["line"] = self.line
        return out


class XmlInputError(Iso20022Error):
    """A file to be read is unusable, unreadable, unsafe, malformed or not the expected one.

    ``validation`` is the :class:`~iso20022.validate.ValidationResult` of an
    ``XML_SCHEMA_INVALID`` error (all its first errors with their lines), else ``None``.
    """

    validation = None


class Pain001Error(Iso20022Error):
    """The pain.001 writer's input cannot become a valid, bank-acceptable file."""


class Pain002Error(Iso20022Error):
    """The demo bank's pain.002 answer cannot become a schema-valid file."""
