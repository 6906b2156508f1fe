"""Payout accounts: a Danish domestic account, an IBAN, a BIC.

- Danish domestic account: registration number (4 digits, not 0000) + account number
  (1-10 digits, not all zero), stored left-padded to 10 digits. Banks use different check
  rules and none is public for all, so no check digit is tested.
- IBAN and BIC: schwifty (country format, check digits, BIC structure). An IBAN is never
  derived from a registration number: some banks use one bank code for all branches.

Each type has python-stdnum's shape: ``Type.parse(…)`` validates (raising
:class:`~identifiers.errors.IdentifierError` with a stable code), ``is_valid`` answers yes or
no, ``str(value)`` is the compact form stored in the database, ``format()`` the human form
and ``mask()`` what may be shown without an explicit request.

>>> DomesticAccount.parse("1234", "56789").mask()
'****6789'
>>> str(DomesticAccount.parse("1234", "56789"))
'12340000056789'
>>> Iban.parse("dk50 0040 0440 1162 43").format()
'DK50 0040 0440 1162 43'
>>> Bic.is_valid("DABADKKK")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import BIC as _BIC
from schwifty import IBAN as _IBAN
from schwifty.exceptions import SchwiftyException

from identifiers.errors import IdentifierError, parses
from identifiers.privacy import mask_tail


class _Identifier:
    """What the three types share: ``is_valid`` answers whether ``parse`` accepts."""

    __slots__ = ()

    @classmethod
    def is_valid(cls, *text: str) -> bool:
        return parses(cls.parse, *text)


def _schwifty(kind: type, text: str, code: str, field: str):
    """``text`` parsed by schwifty's ``kind`` (IBAN or BIC), or ``code`` naming ``field``."""
    try:
        return kind(text or "")
    except (SchwiftyException, ValueError) as exc:
        raise IdentifierError(code, f"{kind.__name__} is not valid: {exc}", field) from None


@dataclass(frozen=True, slots=True)
class DomesticAccount(_Identifier):
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

    @property
    def bban(self) -> str:
        """The 14-digit basic bank account number (reg. no. + 10-digit account no.)."""
        return self.reg_no + self.account_no

    def format(self) -> str:
        return f"{self.reg_no} {self.account_no}"

    def mask(self) -> str:
        return mask_tail(self.account_no)

    def __str__(self) -> str:
        return self.bban


@dataclass(frozen=True, slots=True)
class Iban(_Identifier):
    value: str

    @classmethod
    def parse(cls, text: str, field: str = "iban") -> Iban:
        return cls(_schwifty(_IBAN, text, "ID_IBAN_INVALID", field).compact)

    def format(self) -> str:
        return " ".join(self.value[i : i + 4] for i in range(0, len(self.value), 4))

    def mask(self) -> str:
        return mask_tail(self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Bic(_Identifier):
    value: str

    @classmethod
    def parse(cls, text: str, field: str = "bic") -> Bic:
        return cls(str(_schwifty(_BIC, text, "ID_BIC_INVALID", field)))

    def format(self) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value
