"""Value types for the identifiers the engine pays to and through.

Each type follows python-stdnum's shape: ``Type.parse(text)`` validates and returns the
value (raising :class:`IdentifierError` with a stable code), ``is_valid(text)`` answers yes
or no, ``str(value)`` is the compact form stored in the database, ``format()`` the human
form and ``mask()`` what may be shown without an explicit request.

- CPR (person): 10 digits, ``DDMMYY-SSSS`` or ``DDMMYYSSSS``. The birth date, with the
  century given by the 7th digit, must exist. Modulus 11 is *not* required: numbers without
  it are issued since 2007. (stdnum's ``cpr.validate`` is not used because it reads the
  clock to refuse future birth dates; nothing below the CLI reads the clock.)
- CVR (company): 8 digits with modulus 11 (stdnum).
- Danish domestic account: registration number (4 digits) + account number (1-10 digits,
  stored left-padded to 10). Banks use different check rules, so no check digit is tested.
- IBAN and BIC: schwifty (checksum, country format, BIC structure).

>>> Cpr.parse("010190-1234").mask()
'010190-****'
>>> str(Cpr.parse("0101901234"))
'0101901234'
>>> Cvr.parse("13585628").format()
'13585628'
>>> DomesticAccount.parse("1234", "56789").mask()
'****6789'
>>> Iban.parse("dk50 0040 0440 1162 43").format()
'DK50 0040 0440 1162 43'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import BIC as _BIC
from schwifty import IBAN as _IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.dk import cpr as _cpr
from stdnum.dk import cvr as _cvr
from stdnum.exceptions import ValidationError as _StdnumError

from payments.errors import InputError


class IdentifierError(InputError):
    """An identifier failed validation; ``code`` says which kind, ``message`` what is wrong."""


def _mask_tail(text: str, keep: int = 4) -> str:
    return "****" + text[-keep:]


@dataclass(frozen=True, slots=True)
class Cpr:
    number: str

    kind = "cpr"

    @classmethod
    def parse(cls, text: str, field: str = "cpr") -> Cpr:
        if not isinstance(text, str):
            raise IdentifierError("ID_CPR_INVALID", "a CPR number must be text", field)
        raw = text.strip()
        if not re.fullmatch(r"\d{6}-?\d{4}", raw):
            raise IdentifierError(
                "ID_CPR_INVALID",
                "a CPR number is 10 digits, written DDMMYY-SSSS or DDMMYYSSSS",
                field,
            )
        number = _cpr.compact(raw)
        try:
            _cpr.get_birth_date(number)
        except _StdnumError:
            raise IdentifierError(
                "ID_CPR_INVALID",
                f"CPR {number[:6]}-**** does not contain a real birth date",
                field,
            ) from None
        return cls(number)

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except IdentifierError:
            return False
        return True

    @property
    def birth_date(self):
        return _cpr.get_birth_date(self.number)

    def format(self) -> str:
        return f"{self.number[:6]}-{self.number[6:]}"

    def mask(self) -> str:
        return f"{self.number[:6]}-****"

    def __str__(self) -> str:
        return self.number


@dataclass(frozen=True, slots=True)
class Cvr:
    number: str

    kind = "cvr"

    @classmethod
    def parse(cls, text: str, field: str = "cvr") -> Cvr:
        if not isinstance(text, str):
            raise IdentifierError("ID_CVR_INVALID", "a CVR number must be text", field)
        number = _cvr.compact(text.strip())
        if not re.fullmatch(r"\d{8}", number):
            raise IdentifierError("ID_CVR_INVALID", "a CVR number is 8 digits", field)
        if number[0] == "0" or not _cvr.is_valid(number):
            raise IdentifierError(
                "ID_CVR_INVALID", f"CVR {number} fails the modulus 11 check", field
            )
        return cls(number)

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except IdentifierError:
            return False
        return True

    def format(self) -> str:
        return self.number

    def mask(self) -> str:
        # CVR numbers are public (cvr.dk); they are shown in full.
        return self.number

    def __str__(self) -> str:
        return self.number


Owner = Cpr | Cvr


def parse_owner(kind: str, number: str, field: str = "owner_number") -> Owner:
    """Parse an owner key ``(kind, number)``; kinds ``cpr`` and ``cvr`` (SE/P numbers later)."""
    if kind == "cpr":
        return Cpr.parse(number, field)
    if kind == "cvr":
        return Cvr.parse(number, field)
    raise IdentifierError("ID_OWNER_KIND", f"owner kind must be cpr or cvr, not {kind!r}", field)


def mask_owner(kind: str, number: str) -> str:
    """Masked display of a stored owner key (CPR masked, CVR shown)."""
    return f"{number[:6]}-****" if kind == "cpr" else number


@dataclass(frozen=True, slots=True)
class DomesticAccount:
    """A Danish account: 4-digit registration number + account number padded to 10 digits."""

    reg_no: str
    account_no: str

    @classmethod
    def parse(cls, reg_no: str, account_no: str, field: str = "account") -> DomesticAccount:
        reg = (reg_no or "").strip()
        acc = (account_no or "").replace(" ", "").replace("-", "").strip()
        if not re.fullmatch(r"\d{4}", reg):
            raise IdentifierError(
                "ID_REG_NO_INVALID", "a registration number is exactly 4 digits", "reg_no"
            )
        if reg == "0000":
            raise IdentifierError(
                "ID_REG_NO_INVALID", "registration number 0000 does not exist", "reg_no"
            )
        if not re.fullmatch(r"\d{1,10}", acc) or int(acc) == 0:
            raise IdentifierError(
                "ID_ACCOUNT_INVALID", "an account number is 1 to 10 digits, not all zero", field
            )
        return cls(reg, acc.zfill(10))

    @classmethod
    def is_valid(cls, reg_no: str, account_no: str) -> bool:
        try:
            cls.parse(reg_no, account_no)
        except IdentifierError:
            return False
        return True

    @property
    def bban(self) -> str:
        """The 14-digit basic bank account number (reg. no. + 10-digit account no.)."""
        return self.reg_no + self.account_no

    def format(self) -> str:
        return f"{self.reg_no} {self.account_no}"

    def mask(self) -> str:
        return _mask_tail(self.account_no)

    def __str__(self) -> str:
        return self.bban


@dataclass(frozen=True, slots=True)
class Iban:
    value: str

    @classmethod
    def parse(cls, text: str, field: str = "iban") -> Iban:
        try:
            iban = _IBAN(text or "")
        except (SchwiftyException, ValueError) as exc:
            raise IdentifierError("ID_IBAN_INVALID", f"IBAN is not valid: {exc}", field) from None
        return cls(iban.compact)

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except IdentifierError:
            return False
        return True

    def format(self) -> str:
        return " ".join(self.value[i : i + 4] for i in range(0, len(self.value), 4))

    def mask(self) -> str:
        return _mask_tail(self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Bic:
    value: str

    @classmethod
    def parse(cls, text: str, field: str = "bic") -> Bic:
        try:
            bic = _BIC(text or "")
        except (SchwiftyException, ValueError) as exc:
            raise IdentifierError("ID_BIC_INVALID", f"BIC is not valid: {exc}", field) from None
        return cls(str(bic))

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except IdentifierError:
            return False
        return True

    def format(self) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value


def mask_account(reg_no: str | None, account_no: str | None, iban: str | None) -> str:
    """Masked display of a stored account: ``****1234`` from the account number or IBAN."""
    return _mask_tail(iban) if iban else _mask_tail(account_no or "")
