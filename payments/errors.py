"""One exception hierarchy for the engine's core.

Every error carries a stable ``code`` (tests and callers branch on it, never on the text),
a ``message`` a clerk understands, and the offending ``field`` when there is one. The CLI
turns :class:`InputError` into exit status 2 (bad usage or bad input) and every other
:class:`PaymentsError` into exit status 1 (a run failed or records were rejected).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from identifiers.errors import CodedError, IdentifierError
from iso20022.errors import Iso20022Error
from rules.errors import RuleError


class PaymentsError(CodedError):
    """A failure with a stable code; the base of everything ``payments`` raises on purpose."""

    exit_status = 1


class InputError(PaymentsError):
    """The input itself is wrong (a file, an option, an identifier): exit status 2."""

    exit_status = 2


class NotFound(PaymentsError):
    """The thing asked for does not exist (no NemKonto, no such batch): exit status 1."""


class ConflictError(PaymentsError):
    """The request contradicts the current state (four eyes, already released): exit 1."""


#: every error class of the engine that carries a stable ``code``, ``message``, ``field``
#: and ``exit_status``: the one list the CLI and the API map to exit codes and problems
CODED_ERRORS: tuple[type[Exception], ...] = (
    PaymentsError,
    IdentifierError,
    RuleError,
    Iso20022Error,
)


#: PostgreSQL's SQLSTATEs for a transaction that may not write, and a missing privilege
_READ_ONLY_STATES = ("25006", "42501")


def _read_only(exc: DBAPIError) -> bool:
    """A read-only database, transaction or role (PostgreSQL), or a read-only file (SQLite)."""
    state = getattr(exc.orig, "sqlstate", None)
    return state in _READ_ONLY_STATES or "readonly database" in str(exc.orig)


def from_environment(exc: BaseException) -> PaymentsError | None:
    """The coded error for a failure of the machine rather than of the input, or None.

    The database cannot be opened or reached (``DB_UNAVAILABLE``) or may only be read
    (``DB_READ_ONLY``: a read-only replica, transaction or role); a file or directory
    cannot be used (``FILE_UNUSABLE``, naming the path). Whatever was under way was rolled
    back. The CLI and the API both map these, so they say the same thing.
    """
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if _read_only(exc):
            return PaymentsError(
                "DB_READ_ONLY",
                f"the database refuses to be written ({reason}); this command changes it: "
                "run it with a role that may write",
                "database",
            )
        if isinstance(exc, OperationalError):
            return PaymentsError("DB_UNAVAILABLE", f"cannot use the database: {reason}", "database")
        return None
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        return PaymentsError(
            "FILE_UNUSABLE", str(exc.strerror or exc), exc.filename and str(exc.filename)
        )
    return None
