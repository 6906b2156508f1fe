"""The one exception of ``identifiers`` (an identifier failed validation), and the base of
every coded error of the engine (:class:`CodedError`).

It carries a stable ``code`` (``ID_CPR_INVALID``, ``ID_CVR_INVALID``, ``ID_OWNER_KIND``,
``ID_REG_NO_INVALID``, ``ID_ACCOUNT_INVALID``, ``ID_IBAN_INVALID``, ``ID_BIC_INVALID``), a
``message`` a clerk understands and the offending ``field``. ``exit_status = 2``: a bad
identifier is bad input. The package imports nothing of the project, so this class is not
a ``payments`` error; the CLI and the API map it like the others (by ``code``).
"""

from __future__ import annotations

from collections.abc import Callable

#: every code this package raises, with one line each
CODES: dict[str, str] = {
    "ID_CPR_INVALID": "not a CPR number: 10 digits with a real birth date, not in the future",
    "ID_CVR_INVALID": "not a CVR number: 8 digits, not starting with 0, modulus 11",
    "ID_OWNER_KIND": "an owner is a cpr or a cvr number",
    "ID_REG_NO_INVALID": "a Danish registration number is 4 digits, not 0000",
    "ID_ACCOUNT_INVALID": "a Danish account number is 1 to 10 digits, not all zero",
    "ID_IBAN_INVALID": "not a valid IBAN (country format or check digits)",
    "ID_BIC_INVALID": "not a valid BIC",
}


class CodedError(Exception):
    """What every coded error of the engine carries: a stable ``code``, a ``message`` a clerk
    understands, the offending ``field`` when there is one, and ``exit_status``.

    It lives here, in the leaf package, because ``rules`` and ``payments`` both stand on this
    package and derive their hierarchies from it (:class:`rules.errors.RuleError`,
    :class:`payments.errors.PaymentsError`); ``iso20022`` imports nothing of the project and
    keeps its own, which also carries the line of a file.
    """

    exit_status = 1

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class IdentifierError(CodedError, ValueError):
    """An identifier failed validation; ``code`` says which kind, ``message`` what is wrong."""

    exit_status = 2


def parses(parse: Callable[..., object], *args: object, **kwargs: object) -> bool:
    """Every identifier's ``is_valid``: whether ``parse`` accepts the arguments.

    >>> from identifiers import cpr
    >>> parses(cpr.parse, "311390-1234")
    False
    """
    try:
        parse(*args, **kwargs)
    except IdentifierError:
        return False
    return True
