"""Danish public holidays and the calendar arithmetic of the rules."""

from __future__ import annotations

from datetime import date

import pytest

from rules.days import (
    add_months,
    end_of_month,
    first_monday_of_january,
    holiday_ordinals,
    is_public_holiday,
    iso_week,
    public_holidays,
)


@pytest.mark.parametrize(
    "day",
    [
        date(2023, 1, 1),
        date(2023, 4, 6),
        date(2023, 4, 7),
        date(2023, 4, 10),
        date(2023, 5, 5),  # Great Prayer Day, last time
        date(2023, 5, 18),
        date(2023, 5, 29),
        date(2023, 12, 25),
        date(2023, 12, 26),
        date(2024, 3, 28),
        date(2024, 3, 29),
        date(2024, 4, 1),
        date(2024, 5, 9),
        date(2024, 5, 20),
    ],
)
def test_public_holidays(day):
    assert is_public_holiday(day)
    assert day.toordinal() in holiday_ordinals(day.year)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 4, 26),  # Great Prayer Day abolished from 2024
        date(2025, 5, 16),
        date(2024, 6, 5),
        date(2024, 12, 24),
        date(2024, 12, 31),  # bank closing days only
        date(2024, 5, 10),  # the Friday after Ascension: a bank closing day, not a holiday
        date(2024, 5, 1),
    ],
)
def test_not_public_holidays(day):
    assert not is_public_holiday(day)


def test_public_holidays_is_cached_and_frozen():
    assert public_holidays(2024) is public_holidays(2024)
    assert isinstance(public_holidays(2024), frozenset)
    weekday_holidays_2026 = sorted(d for d in public_holidays(2026) if d.weekday() < 5)
    assert weekday_holidays_2026 == [
        date(2026, 1, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 12, 25),
    ]


def test_iso_weeks_across_new_year():
    assert iso_week(date(2018, 12, 31)) == "2019-W01"
    assert iso_week(date(2022, 1, 2)) == "2021-W52"
    assert iso_week(date(2024, 4, 3)) == "2024-W14"


def test_calendar_months():
    assert add_months(date(2024, 3, 20), -3) == date(2023, 12, 20)
    assert add_months(date(2023, 5, 31), -3) == date(2023, 2, 28)
    assert add_months(date(2024, 10, 31), -9) == date(2024, 1, 31)
    assert add_months(date(2024, 1, 15), 13) == date(2025, 2, 15)
    assert end_of_month(date(2023, 2, 1)) == date(2023, 2, 28)
    assert end_of_month(date(2024, 12, 5)) == date(2024, 12, 31)


@pytest.mark.parametrize(
    ("year", "monday"),
    [
        (2013, 7),
        (2015, 5),
        (2018, 1),
        (2019, 7),
        (2021, 4),
        (2022, 3),
        (2023, 2),
        (2024, 1),
        (2025, 6),
    ],
)
def test_first_monday_of_january_matches_the_spec_table(year, monday):
    assert first_monday_of_january(year) == date(year, 1, monday)
