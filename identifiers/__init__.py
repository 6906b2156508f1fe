"""Identifiers the engine pays to and through: CPR, CVR, Danish accounts, IBAN, BIC.

A leaf package (it imports nothing of the project), shaped like python-stdnum: one small
module per identifier with ``parse`` / ``is_valid`` / ``format`` / ``mask``, one exception
(:class:`IdentifierError`, stable codes), doctests as examples. ``rules`` and ``payments``
both validate through it, so a CPR or CVR is valid or not in one place.

An owner of a NemKonto is ``(kind, number)``: ``cpr`` or ``cvr`` (SE and P numbers later).

>>> parse_owner("cvr", "DK 13585628")
Owner(kind='cvr', number='13585628')
>>> parse_owner("cpr", "010190-1234").mask()
'010190-****'
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from identifiers import cpr, cvr
from identifiers.accounts import Bic, DomesticAccount, Iban
from identifiers.errors import CODES, IdentifierError
from identifiers.privacy import holds_full_number, mask_account, mask_owner

OWNER_KINDS = (cpr.KIND, cvr.KIND)

__all__ = [
    "CODES",
    "OWNER_KINDS",
    "Bic",
    "DomesticAccount",
    "Iban",
    "IdentifierError",
    "Owner",
    "cpr",
    "cvr",
    "holds_full_number",
    "mask_account",
    "mask_owner",
    "parse_owner",
]


class Owner(NamedTuple):
    """A validated owner key, its number compact (what the database stores)."""

    kind: str
    number: str

    def mask(self) -> str:
        return mask_owner(self.kind, self.number)


def parse_owner(
    kind: str, number: str, field: str = "owner_number", *, on: dt.date | None = None
) -> Owner:
    """Parse an owner key; a CPR's birth date may not lie after ``on`` when it is given."""
    if kind == cpr.KIND:
        return Owner(kind, cpr.parse(number, field, on=on))
    if kind == cvr.KIND:
        return Owner(kind, cvr.parse(number, field))
    raise IdentifierError("ID_OWNER_KIND", f"owner kind must be cpr or cvr, not {kind!r}", field)
