"""CVR numbers (Danish companies): 8 digits with modulus 11.

The one rule, for claim intake and the registry alike: spaces, hyphens and a ``DK``
prefix are allowed and dropped (``DK 13585628`` is how a CVR is printed as a VAT number);
the number may not start with 0 and must pass modulus 11 (python-stdnum). CVR numbers are
public (cvr.dk), so :func:`mask` shows them in full.

>>> parse("DK 13585628")
'13585628'
>>> is_valid("13585627")
False
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.dk import cvr as _stdnum

from identifiers.errors import IdentifierError, parses

KIND = "cvr"
_SHAPE = re.compile(r"[1-9]\d{7}\Z")


@lru_cache(maxsize=4096)
def _valid(number: str) -> bool:
    """Cached: a file holds many claims of few employers."""
    return _stdnum.is_valid(number)


def parse(text: object, field: str = "cvr") -> str:
    """The compact 8 digits, or :class:`IdentifierError` ``ID_CVR_INVALID``."""
    if not isinstance(text, str):
        raise IdentifierError("ID_CVR_INVALID", "a CVR number must be text", field)
    number = _stdnum.compact(text)
    if not re.fullmatch(r"\d{8}", number):
        raise IdentifierError("ID_CVR_INVALID", "a CVR number is 8 digits", field)
    if not _SHAPE.match(number) or not _valid(number):
        raise IdentifierError("ID_CVR_INVALID", f"CVR {number} fails the modulus 11 check", field)
    return number


def is_valid(text: object) -> bool:
    return parses(parse, text)


def format(number: str) -> str:  # noqa: A001 - python-stdnum's name
    return number


def mask(number: str) -> str:
    return number
