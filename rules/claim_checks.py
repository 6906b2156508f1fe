"""Checks across the fields of one claim, after each field was read on its own.

Part of ``parse_claim`` (``rules.claim``, whose docstring lists the choices behind them):
dates in order and in range of each other, the months of ``monthly_hours`` by kind, fields of
the other kind of claim, a salary amount without salary, and a claim made before the birth
that covers days after its submission.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rules import codes
from rules.errors import Problem

__all__ = ["MAX_PERIOD_DAYS", "MONTHS_BY_KIND", "ONLY", "cross_checks"]

MONTHS_BY_KIND = {"sickness": 6, "maternity": 4}
MAX_PERIOD_DAYS = 731
#: the fields that belong to one kind of claim only
ONLY = {
    "sickness": ("section_56_agreement", "small_employer_insurance", "hours_last_8_weeks"),
    "maternity": (
        "parent",
        "child_birth_date",
        "expected_birth_date",
        "weeks_transferred_in",
        "weeks_transferred_out",
        "salary_paid_amount",
    ),
}


def cross_checks(values: dict[str, Any], kind: str | None, today: date) -> list[Problem]:
    """The problems between fields of one claim (each field on its own is already valid)."""
    out: list[Problem] = []

    def add(code: str, field: str, message: str) -> None:
        out.append(Problem(code, field, message))

    first, last = values.get("first_absence_day"), values.get("last_absence_day")
    if first and last:
        if last < first:
            add(
                codes.CLAIM_DATES_REVERSED,
                "last_absence_day",
                "last_absence_day is before first_absence_day",
            )
        elif (last - first).days >= MAX_PERIOD_DAYS:
            add(
                codes.CLAIM_PERIOD_TOO_LONG,
                "last_absence_day",
                f"a claim may cover at most {MAX_PERIOD_DAYS} days",
            )
    start = values.get("employment_start")
    if first and start and start > first:
        add(
            codes.CLAIM_EMPLOYMENT_AFTER_ABSENCE,
            "employment_start",
            "employment_start is after first_absence_day",
        )
    if values["submitted_on"] > today:
        add(codes.CLAIM_FIELD_RANGE, "submitted_on", "submitted_on is in the future")
    birth = values.get("child_birth_date")
    if birth and birth > today:
        add(codes.CLAIM_FIELD_RANGE, "child_birth_date", "child_birth_date is in the future")
    if (
        kind == "maternity"
        and birth is None
        and values.get("parent") == "mother"
        and values.get("expected_birth_date") is not None
        and last is not None
        and last > values["submitted_on"]
    ):
        add(
            codes.CLAIM_FIELD_RANGE,
            "last_absence_day",
            "without child_birth_date a claim may not cover days after it was submitted: "
            "give the birth date, or claim the later days once they have passed",
        )
    months = values.get("monthly_hours")
    if kind in MONTHS_BY_KIND and months is not None and len(months) != MONTHS_BY_KIND[kind]:
        add(
            codes.CLAIM_MONTHLY_HOURS_LENGTH,
            "monthly_hours",
            f"monthly_hours must hold {MONTHS_BY_KIND[kind]} months for a {kind} claim "
            f"(oldest first), not {len(months)}",
        )
    if kind in ONLY:
        other = "maternity" if kind == "sickness" else "sickness"
        for name in ONLY[other]:
            value = values.get(name)
            if value is not None and value is not False and value != 0:
                add(
                    codes.CLAIM_FIELD_NOT_APPLICABLE,
                    name,
                    f"{name} belongs to {other} claims, not to a {kind} claim",
                )
    if values.get("salary_paid_amount") is not None and values.get("salary_paid") is False:
        add(
            codes.CLAIM_SALARY_AMOUNT_WITHOUT_SALARY,
            "salary_paid_amount",
            "salary_paid_amount is given but salary_paid is false",
        )
    return out
