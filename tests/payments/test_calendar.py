"""Banking days against Danmarks Nationalbank's published closing-day lists."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.batch.banking_days import add_banking_days, is_banking_day, next_banking_day
from payments.errors import InputError

D = dt.date
# Nationalbanken, "Banklukkedage": closing days that fall on weekdays (banking.md).
NATIONALBANKEN = {
    2026: [
        D(2026, 1, 1),
        D(2026, 4, 2),
        D(2026, 4, 3),
        D(2026, 4, 6),
        D(2026, 5, 14),
        D(2026, 5, 15),
        D(2026, 5, 25),
        D(2026, 6, 5),
        D(2026, 12, 24),
        D(2026, 12, 25),
        D(2026, 12, 31),
    ],
    2027: [
        D(2027, 1, 1),
        D(2027, 3, 25),
        D(2027, 3, 26),
        D(2027, 3, 29),
        D(2027, 5, 6),
        D(2027, 5, 7),
        D(2027, 5, 17),
        D(2027, 12, 24),
        D(2027, 12, 31),
    ],
}


@pytest.mark.parametrize("year", sorted(NATIONALBANKEN))
def test_weekday_closing_days_match_nationalbanken(year):
    day, closed = D(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and not is_banking_day(day):
            closed.append(day)
        day += dt.timedelta(days=1)
    assert closed == NATIONALBANKEN[year]


def test_great_prayer_day_2024_is_a_banking_day_but_2023_was_not():
    assert is_banking_day(D(2024, 4, 26))
    assert not is_banking_day(D(2023, 5, 5))


def test_next_banking_day_skips_weekend_and_christmas():
    assert next_banking_day(D(2026, 12, 23)) == D(2026, 12, 28)
    assert next_banking_day(D(2027, 12, 30)) == D(2028, 1, 3)
    assert next_banking_day(D(2024, 5, 8)) == D(2024, 5, 13)  # Ascension + Friday after
    assert add_banking_days(D(2026, 4, 1), 2) == D(2026, 4, 8)


@given(st.dates(D(2024, 1, 1), D(2030, 12, 31)))
def test_next_banking_day_is_the_first_one_after(day):
    nxt = next_banking_day(day)
    assert nxt > day and is_banking_day(nxt) and nxt.weekday() < 5
    between = [day + dt.timedelta(days=i) for i in range(1, (nxt - day).days)]
    assert not any(is_banking_day(d) for d in between)


def test_a_year_without_a_holiday_calendar_is_a_coded_error():
    """The holidays package knows Danish holidays for 1900-2100 only; after that a banking
    day cannot be told, which must not pass for a calendar without holidays."""
    assert next_banking_day(dt.date(2099, 12, 31)) == dt.date(2100, 1, 4)
    with pytest.raises(InputError) as info:
        next_banking_day(dt.date(2100, 12, 31))
    assert info.value.code == "CALENDAR_YEAR_UNKNOWN"
