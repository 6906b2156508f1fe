"""CPR numbers (Danish persons): ``DDMMYY-SSSS`` or ``DDMMYYSSSS``.

The one rule for a CPR number, used by claim intake and the registry alike:

- 10 digits, optionally with a hyphen after the sixth;
- the birth date, with the century from the 7th digit (python-stdnum's rule), must exist;
- modulus 11 is *not* required: numbers without it are issued since 2007;
- the birth date may not lie after the day the number is checked on (``on``), when the
  caller gives one: nobody is absent from work, or opens an account, before being born.
  (stdnum's ``validate`` is not used because it reads the clock for that check; nothing
  below the CLI and the API reads the clock.)

>>> parse("010190-1234")
'0101901234'
>>> format("0101901234")
'010190-1234'
>>> mask("0101901234")
'010190-****'
>>> is_valid("311390-1234")
False
>>> import datetime as dt
>>> is_valid("0101304000", on=dt.date(2026, 12, 1))   # born 1 January 2030
False
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from stdnum.dk import cpr as _stdnum

from identifiers.errors import IdentifierError, parses

KIND = "cpr"
_SHAPE = re.compile(r"(\d{6})-?(\d{4})\Z")


def _centuries() -> dict[str, tuple[int, ...]]:
    """python-stdnum's century rule (``stdnum.dk.cpr.get_birth_date``) as a table, read
    from stdnum once at import: 7th digit -> the century of each two-digit year. The rule
    stays stdnum's; only its cleaning of the input, 11 µs a call (a mapper message of 100
    new ids spent a millisecond in it, ``benchmarks.api``), is no longer paid per number."""
    return {
        seventh: tuple(
            _stdnum.get_birth_date(f"0101{yy:02d}{seventh}000").year - yy for yy in range(100)
        )
        for seventh in "0123456789"
    }


_CENTURY = _centuries()


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> dt.date | None:
    """Cached: a claim file names each employee several times. ``digits`` are already the
    compact 10; the century is stdnum's (:data:`_CENTURY`)."""
    yy = int(digits[4:6])
    try:
        return dt.date(_CENTURY[digits[6]][yy] + yy, int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return None


def parse(text: object, field: str = "cpr", *, on: dt.date | None = None) -> str:
    """The compact 10 digits, or :class:`IdentifierError` ``ID_CPR_INVALID``."""
    if not isinstance(text, str):
        raise IdentifierError("ID_CPR_INVALID", "a CPR number must be text", field)
    match = _SHAPE.match(text.strip())
    if match is None:
        raise IdentifierError(
            "ID_CPR_INVALID", "a CPR number is 10 digits, written DDMMYY-SSSS or DDMMYYSSSS", field
        )
    digits = match.group(1) + match.group(2)
    born = _birth_date(digits)
    if born is None:
        raise IdentifierError(
            "ID_CPR_INVALID", f"CPR {digits[:6]}-**** does not contain a real birth date", field
        )
    if on is not None and born > on:
        raise IdentifierError(
            "ID_CPR_INVALID", f"CPR {digits[:6]}-**** holds a birth date after {on}", field
        )
    return digits


def is_valid(text: object, *, on: dt.date | None = None) -> bool:
    return parses(parse, text, on=on)


def birth_date(number: str) -> dt.date:
    """The birth date of a valid (compact) CPR number."""
    born = _birth_date(number)
    if born is None:
        raise IdentifierError("ID_CPR_INVALID", "not a valid CPR number", "cpr")
    return born


def format(number: str) -> str:  # noqa: A001 - python-stdnum's name
    return f"{number[:6]}-{number[6:]}"


def mask(number: str) -> str:
    """What may be shown without an explicit request: the birth date part only."""
    return f"{number.replace('-', '')[:6]}-****"
