"""Calendar arithmetic the rules need: Danish public holidays, ISO weeks, calendar months.

Public holidays come from the ``holidays`` package (0.108 or later: it lists Great Prayer Day
up to and including 2023 only, the day was abolished from 2024). Only the *public* holidays
are returned; 5 June, 24 December and 31 December are bank closing days, not public
holidays, and are deliberately absent (the payments package adds them for its banking
calendar). The set includes the Sundays among the holidays (Easter Sunday, Whit Sunday);
they fall on a weekend, so they never change a benefit-day count.

Hot paths work on proleptic ordinals (``date.toordinal()``): ordinal 1 is Monday
0001-01-01, so ``(ordinal + 6) % 7`` is ``date.weekday()`` and ``(ordinal - 1) // 7``
numbers the Monday-to-Sunday weeks. ``weekdays_between`` slices per-year tables of weekday
ordinals, so a claim's days are found without a per-day Python loop.

>>> is_public_holiday(date(2023, 5, 5))   # Great Prayer Day 2023
True
>>> is_public_holiday(date(2024, 4, 26))  # the same Friday in 2024: abolished
False
>>> is_public_holiday(date(2024, 12, 24)) # bank closing day, not a public holiday
False
>>> iso_week(date(2024, 12, 30))
'2025-W01'
>>> add_months(date(2024, 5, 31), -3)
datetime.date(2024, 2, 29)
>>> end_of_month(date(2024, 2, 10))
datetime.date(2024, 2, 29)
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from datetime import date, timedelta
from functools import cache, lru_cache

__all__ = [
    "DATES",
    "FIRST_DATE",
    "LAST_DATE",
    "add_months",
    "dates_of",
    "end_of_month",
    "first_monday_of_january",
    "holiday_ordinals",
    "holidays_between",
    "is_public_holiday",
    "iso_week",
    "public_holidays",
    "week_label",
    "weekdays_between",
]

#: the dates the engine takes (claims, bank files, a command's --date): the rules add
#: deadlines and periods to them, and the Danish holiday calendar (``holidays``) knows the
#: years 1900-2100 only
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2099, 12, 31)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The Danish public holidays (søgnehelligdage) of ``year``, Sundays included.

    >>> sorted(d.isoformat() for d in public_holidays(2024) if d.weekday() < 5)
    ... # doctest: +NORMALIZE_WHITESPACE
    ['2024-01-01', '2024-03-28', '2024-03-29', '2024-04-01', '2024-05-09', '2024-05-20',
     '2024-12-25', '2024-12-26']
    """
    import holidays  # imported lazily: it costs ~40 ms and most CLI commands never need it

    return frozenset(holidays.country_holidays("DK", years=year).keys())


def is_public_holiday(day: date) -> bool:
    """True when ``day`` is a Danish public holiday."""
    return day in public_holidays(day.year)


@cache
def holiday_ordinals(year: int) -> frozenset[int]:
    """``public_holidays(year)`` as ordinals, for the day loops."""
    return frozenset(d.toordinal() for d in public_holidays(year))


@cache
def _weekdays(year: int, exclude_holidays: bool) -> tuple[int, ...]:
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    skip = holiday_ordinals(year) if exclude_holidays else frozenset()
    return tuple(o for o in range(first, last + 1) if (o + 6) % 7 < 5 and o not in skip)


def weekdays_between(first: int, last: int, exclude_holidays: bool) -> list[int]:
    """Monday–Friday ordinals from ``first`` to ``last`` (inclusive), optionally without the
    public holidays. Slices of per-year tables: no per-day Python loop.

    >>> [DATES[o].isoformat() for o in weekdays_between(
    ...     date(2024, 3, 28).toordinal(), date(2024, 4, 2).toordinal(), True)]
    ['2024-04-02']
    """
    if first > last:
        return []
    year, last_year = DATES[first].year, DATES[last].year
    out: list[int] = []
    while year <= last_year:
        table = _weekdays(year, exclude_holidays)
        out.extend(table[bisect_left(table, first) : bisect_right(table, last)])
        year += 1
    return out


@cache
def _weekday_holidays(year: int) -> tuple[date, ...]:
    return tuple(sorted(d for d in public_holidays(year) if d.weekday() < 5))


@cache
def _weekday_holiday_ordinals(year: int) -> tuple[int, ...]:
    return tuple(d.toordinal() for d in _weekday_holidays(year))


def holidays_between(first: int, last: int) -> list[date]:
    """The public holidays falling on a weekday from ``first`` to ``last`` (ordinals)."""
    if first > last:
        return []
    out: list[date] = []
    for year in range(DATES[first].year, DATES[last].year + 1):
        ordinals = _weekday_holiday_ordinals(year)
        lo, hi = bisect_left(ordinals, first), bisect_right(ordinals, last)
        out.extend(_weekday_holidays(year)[lo:hi])
    return out


class _Dates(dict[int, date]):
    """ordinal → date, filled on demand: a dict hit is cheaper than ``date.fromordinal``.

    Bounded by the number of distinct days decisions touch (a few thousand per decade).
    """

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day


DATES = _Dates()


def dates_of(ordinals: list[int] | tuple[int, ...]) -> tuple[date, ...]:
    return tuple(map(DATES.__getitem__, ordinals))


_WEEK_LABELS: dict[int, str] = {}


def week_label(ordinal: int) -> str:
    """``iso_week`` of an ordinal, cached per week."""
    index = (ordinal - 1) // 7
    label = _WEEK_LABELS.get(index)
    if label is None:
        label = _WEEK_LABELS[index] = iso_week(DATES[ordinal])
    return label


def iso_week(day: date) -> str:
    """The ISO 8601 week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@lru_cache(maxsize=8192)
def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month.

    This is how "3 calendar months back" and "the 9 calendar months before" are counted:
    31 May minus 3 months is 29 February (28 in common years).
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def end_of_month(day: date) -> date:
    """The last day of ``day``'s calendar month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def first_monday_of_january(year: int) -> date:
    """The first Monday of January ``year``: the day § 50 amounts are regulated.

    >>> first_monday_of_january(2025)
    datetime.date(2025, 1, 6)
    """
    first = date(year, 1, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)
