"""Danish banking days (bankdage): when a payment file may be executed.

Banks are closed on Saturdays, Sundays, the Danish public holidays (from the ``holidays``
package, ≥ 0.108, which has no Great Prayer Day after 2023), and four bank closing days
that are not public holidays: the Friday after Ascension Day, 5 June, 24 December and
31 December (Danmarks Nationalbank, "Banklukkedage"). The ``holidays`` package's optional
Danish category is *not* used: it adds 1 May (banks are open) and lacks the Friday after
Ascension.

>>> next_banking_day(dt.date(2026, 12, 23))
datetime.date(2026, 12, 28)
>>> is_banking_day(dt.date(2024, 4, 26))   # Great Prayer Day was abolished from 2024
True
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from payments.errors import InputError


@lru_cache(maxsize=64)
def closing_days(year: int) -> frozenset[dt.date]:
    """Every date in ``year`` (weekday or not) on which Danish banks do not settle."""
    public = holidays.country_holidays("DK", years=year)
    days = set(public)
    ascension = next((d for d, name in public.items() if name == "Ascension Day"), None)
    if ascension is None:  # the package knows the Danish holidays of 1900-2100 only
        raise InputError("CALENDAR_YEAR_UNKNOWN", f"no Danish holiday calendar for {year}", "date")
    days.add(ascension + dt.timedelta(days=1))
    days.update({dt.date(year, 6, 5), dt.date(year, 12, 24), dt.date(year, 12, 31)})
    return frozenset(days)


def is_banking_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in closing_days(day.year)


def next_banking_day(day: dt.date) -> dt.date:
    """The first banking day strictly after ``day`` (a batch run on D executes on it)."""
    candidate = day + dt.timedelta(days=1)
    while not is_banking_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def add_banking_days(day: dt.date, count: int) -> dt.date:
    """``count`` banking days after ``day`` (``count`` ≥ 0; 0 gives ``day`` itself)."""
    for _ in range(count):
        day = next_banking_day(day)
    return day
