"""Claim validation: every problem gets a stable code and names its field."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from rules.claim import Claim, parse_claim
from rules.decision import invalid_decision
from rules.errors import InvalidClaim

TODAY = date(2024, 5, 1)


def sickness(**changes):
    raw = {
        "external_ref": "ACME-0001",
        "employer_cvr": "13585628",
        "employee_cpr": "0101901234",
        "kind": "sickness",
        "first_absence_day": "2024-03-04",
        "last_absence_day": "2024-04-26",
        "normal_weekly_hours": Decimal("37"),
        "hourly_wage": "250.00",
        "salary_paid": True,
        "employment_start": "2019-01-01",
        "monthly_hours": [160, 160, 160, 160, 160, Decimal("158.5")],
        "submitted_on": "2024-03-20",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not ...}


def maternity(**changes):
    raw = sickness(
        kind="maternity",
        parent="mother",
        child_birth_date="2024-03-04",
        monthly_hours=[160, 160, 160, 160],
    )
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not ...}


def codes(raw, today=TODAY):
    with pytest.raises(InvalidClaim) as caught:
        parse_claim(raw, today)
    return [(p.code, p.field) for p in caught.value.problems]


def test_a_valid_claim():
    claim = parse_claim(sickness(), TODAY)
    assert isinstance(claim, Claim)
    assert claim.first_absence_day == date(2024, 3, 4)
    assert claim.hourly_wage == Decimal("250.00")
    assert claim.monthly_hours[-1] == Decimal("158.5")
    assert isinstance(claim.monthly_hours, tuple)
    assert claim.absence_hours_per_week is None
    assert claim.section_56_agreement is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        claim.hourly_wage = Decimal(1)  # type: ignore[misc]


def test_submitted_on_defaults_to_today():
    assert parse_claim(sickness(submitted_on=...), TODAY).submitted_on == TODAY


def test_csv_strings_are_accepted():
    raw = {k: str(v) for k, v in sickness().items() if k != "monthly_hours"}
    raw.update(
        salary_paid="TRUE",
        monthly_hours="160; 160;160;160;160;158.5",
        section_56_agreement="false",
        absence_hours_per_week="",
    )
    claim = parse_claim(raw, TODAY)
    assert claim.salary_paid is True
    assert claim.section_56_agreement is False
    assert claim.monthly_hours == tuple(Decimal(x) for x in "160 160 160 160 160 158.5".split())
    assert claim.normal_weekly_hours == Decimal(37)


def test_cpr_with_hyphen_is_normalised():
    assert parse_claim(sickness(employee_cpr="010190-1234"), TODAY).employee_cpr == "0101901234"


@pytest.mark.parametrize(
    "cpr",
    [
        "010190123",
        "01019012345",
        "0101-901234",
        "abcdefghij",
        "3102901234",
        "0113901234",
        "0101251234"[:6] + "4234",
    ],  # last: born 2025-01-01 (century digit 4, year 25): future
)
def test_bad_cpr(cpr):
    assert codes(sickness(employee_cpr=cpr)) == [("ID_CPR_INVALID", "employee_cpr")]


def test_cpr_problem_messages_never_hold_the_number():
    with pytest.raises(InvalidClaim) as caught:
        parse_claim(sickness(employee_cpr="3102901234"), TODAY)
    assert "3102901234" not in caught.value.problems[0].message
    assert "310290" not in str(caught.value)


@pytest.mark.parametrize("cvr", ["13585629", "1358562", "135856280", "03585628", 13585628])
def test_bad_cvr(cvr):
    got = codes(sickness(employer_cvr=cvr))
    assert got[0][1] == "employer_cvr"
    assert got[0][0] in ("ID_CVR_INVALID", "CLAIM_FIELD_TYPE")


def test_unknown_missing_and_wrong_types_all_reported_at_once():
    raw = sickness(bogus=1, hourly_wage=..., salary_paid="yes", first_absence_day="04-03-2024")
    got = codes(raw)
    assert ("CLAIM_FIELD_UNKNOWN", "bogus") in got
    assert ("CLAIM_FIELD_MISSING", "hourly_wage") in got
    assert ("CLAIM_FIELD_TYPE", "salary_paid") in got
    assert ("CLAIM_FIELD_TYPE", "first_absence_day") in got


def test_float_is_refused():
    assert codes(sickness(hourly_wage=250.5)) == [("CLAIM_FIELD_TYPE", "hourly_wage")]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("normal_weekly_hours", "0", "CLAIM_FIELD_RANGE"),
        ("normal_weekly_hours", "48.5", "CLAIM_FIELD_RANGE"),
        ("normal_weekly_hours", True, "CLAIM_FIELD_TYPE"),
        ("normal_weekly_hours", "NaN", "CLAIM_FIELD_TYPE"),
        ("normal_weekly_hours", "1e2", "CLAIM_FIELD_TYPE"),
        ("hourly_wage", "-1", "CLAIM_FIELD_RANGE"),
        ("hourly_wage", "0", "CLAIM_FIELD_RANGE"),
        ("absence_hours_per_week", "-4", "CLAIM_FIELD_RANGE"),
        ("external_ref", "x" * 36, "CLAIM_FIELD_RANGE"),
        ("external_ref", 17, "CLAIM_FIELD_TYPE"),
        ("external_ref", "ACME\x000001", "CLAIM_FIELD_RANGE"),
        ("external_ref", "ACME\n0001", "CLAIM_FIELD_RANGE"),
        ("external_ref", "010190-1234", "CLAIM_FIELD_RANGE"),  # a CPR on a bank statement
        ("external_ref", "SAG 0101901234", "CLAIM_FIELD_RANGE"),
        ("kind", "pension", "CLAIM_FIELD_CHOICE"),
        ("employment_requirement_met_by", "luck", "CLAIM_FIELD_CHOICE"),
        ("first_absence_day", "2024-02-30", "CLAIM_FIELD_TYPE"),
        ("first_absence_day", "20240304", "CLAIM_FIELD_TYPE"),
        ("first_absence_day", "0001-01-01", "CLAIM_FIELD_RANGE"),
        ("employment_start", "2100-01-01", "CLAIM_FIELD_RANGE"),  # past the holiday calendar
        ("monthly_hours", [160, 160, 160, 160, 160, 800], "CLAIM_FIELD_RANGE"),
        ("monthly_hours", [160, 160, 160, 160, 160, "x"], "CLAIM_FIELD_TYPE"),
        ("monthly_hours", 160, "CLAIM_FIELD_TYPE"),
        ("submitted_on", "2024-05-02", "CLAIM_FIELD_RANGE"),  # after today
        ("correction", "maybe", "CLAIM_FIELD_TYPE"),
    ],
)
def test_field_problems(field, value, code):
    assert codes(sickness(**{field: value})) == [(code, field)]


def test_monthly_hours_length_depends_on_kind():
    assert codes(sickness(monthly_hours=[160] * 4)) == [
        ("CLAIM_MONTHLY_HOURS_LENGTH", "monthly_hours")
    ]
    assert codes(maternity(monthly_hours=[160] * 6)) == [
        ("CLAIM_MONTHLY_HOURS_LENGTH", "monthly_hours")
    ]


def test_dates_reversed_period_too_long_employment_after_absence():
    assert codes(sickness(last_absence_day="2024-03-03")) == [
        ("CLAIM_DATES_REVERSED", "last_absence_day")
    ]
    assert codes(sickness(first_absence_day="2022-03-04", employment_start="2010-01-01")) == [
        ("CLAIM_PERIOD_TOO_LONG", "last_absence_day")
    ]
    assert codes(sickness(employment_start="2024-03-05")) == [
        ("CLAIM_EMPLOYMENT_AFTER_ABSENCE", "employment_start")
    ]


def test_maternity_fields():
    claim = parse_claim(
        maternity(weeks_transferred_in="3", expected_birth_date="2024-03-01"), TODAY
    )
    assert (claim.parent, claim.weeks_transferred_in) == ("mother", 3)
    assert codes(maternity(parent=...)) == [("CLAIM_FIELD_MISSING", "parent")]
    assert codes(maternity(child_birth_date=...)) == [("CLAIM_FIELD_MISSING", "child_birth_date")]
    assert codes(maternity(parent="grandmother")) == [("CLAIM_FIELD_CHOICE", "parent")]
    assert codes(maternity(weeks_transferred_out=14)) == [
        ("CLAIM_FIELD_RANGE", "weeks_transferred_out")
    ]
    assert codes(maternity(child_birth_date="2024-05-02")) == [
        ("CLAIM_FIELD_RANGE", "child_birth_date")
    ]


def test_fields_of_the_other_kind():
    assert codes(sickness(parent="mother")) == [("CLAIM_FIELD_NOT_APPLICABLE", "parent")]
    assert codes(maternity(section_56_agreement=True)) == [
        ("CLAIM_FIELD_NOT_APPLICABLE", "section_56_agreement")
    ]
    # a neutral value says nothing and is accepted (CSV files carry every column)
    parse_claim(maternity(section_56_agreement=False), TODAY)
    parse_claim(sickness(weeks_transferred_in=0), TODAY)


def test_salary_amount_without_salary():
    assert codes(maternity(salary_paid=False, salary_paid_amount="100")) == [
        ("CLAIM_SALARY_AMOUNT_WITHOUT_SALARY", "salary_paid_amount")
    ]


def test_not_an_object():
    assert codes(["not", "a", "claim"]) == [("CLAIM_NOT_AN_OBJECT", None)]


def test_invalid_decision_carries_the_codes_and_the_reference():
    with pytest.raises(InvalidClaim) as caught:
        parse_claim(sickness(employee_cpr="3102901234", bogus=1), TODAY)
    decision = invalid_decision(caught.value.problems, sickness())
    assert invalid_decision(caught.value, sickness()) == decision
    assert decision.status == "invalid"
    assert decision.amount == Decimal("0.00")
    assert decision.external_ref == "ACME-0001"
    assert set(decision.codes) == {"ID_CPR_INVALID", "CLAIM_FIELD_UNKNOWN"}
    data = decision.to_dict()
    assert data["amount"] == "0.00"
    assert data["payee"] is None
    assert {r["field"] for r in data["reasons"]} == {"employee_cpr", "bogus"}
    assert data["employer_cvr"] == "13585628"
    assert invalid_decision((), {"external_ref": 5}).external_ref is None


def test_a_mother_may_claim_before_the_birth_with_the_expected_date():
    pre = maternity(
        child_birth_date=...,
        expected_birth_date="2024-05-20",
        first_absence_day="2024-04-22",
        last_absence_day="2024-04-26",
        submitted_on="2024-04-29",
    )
    claim = parse_claim(pre, TODAY)
    assert claim.child_birth_date is None and claim.expected_birth_date == date(2024, 5, 20)
    # the expected date may lie after today; a birth date may not
    assert parse_claim(pre, date(2024, 4, 30)).expected_birth_date > date(2024, 4, 30)
    # only the mother: the other parent's leave starts at the birth
    for parent in ("father", "co_mother"):
        assert codes({**pre, "parent": parent}) == [("CLAIM_FIELD_MISSING", "child_birth_date")]
    # an unreadable expected date is reported once, not again as a missing birth date
    assert codes({**pre, "expected_birth_date": "20-05-2024"}) == [
        ("CLAIM_FIELD_TYPE", "expected_birth_date")
    ]


def test_a_claim_before_the_birth_may_not_cover_days_after_its_submission():
    pre = maternity(child_birth_date=..., expected_birth_date="2024-05-20")
    # submitted 2024-03-20, leave to 2024-04-26: nobody knew on 20 March the child would wait
    assert codes(pre) == [("CLAIM_FIELD_RANGE", "last_absence_day")]
    assert parse_claim({**pre, "submitted_on": "2024-04-26"}, TODAY).last_absence_day == date(
        2024, 4, 26
    )
    # with the birth date the same period is fine (the post-birth days are known)
    parse_claim({**pre, "child_birth_date": "2024-03-04"}, TODAY)


def test_hours_last_8_weeks_is_a_sickness_field():
    claim = parse_claim(sickness(hours_last_8_weeks="73.5"), TODAY)
    assert claim.hours_last_8_weeks == Decimal("73.5")
    assert parse_claim(sickness(), TODAY).hours_last_8_weeks is None
    assert codes(sickness(hours_last_8_weeks="-1")) == [("CLAIM_FIELD_RANGE", "hours_last_8_weeks")]
    assert codes(sickness(hours_last_8_weeks="1345")) == [
        ("CLAIM_FIELD_RANGE", "hours_last_8_weeks")
    ]
    assert codes(maternity(hours_last_8_weeks="60")) == [
        ("CLAIM_FIELD_NOT_APPLICABLE", "hours_last_8_weeks")
    ]


def test_the_receipt_date_belongs_to_the_receiver():
    """parse_claim(..., submitted_on_allowed=False): the claim intake's receipt date is today."""
    refused = codes_with(sickness(), submitted_on_allowed=False)
    assert refused == [("CLAIM_FIELD_NOT_ALLOWED", "submitted_on")]
    # even a garbled value is refused for what it is, not for its spelling
    assert codes_with(sickness(submitted_on="yesterday"), submitted_on_allowed=False) == refused
    # absent, null or an empty CSV cell: the receipt date is today
    for value in (..., None, ""):
        claim = parse_claim(sickness(submitted_on=value), TODAY, submitted_on_allowed=False)
        assert claim.submitted_on == TODAY
    # the default honours the field (rules decide, tests, back-dated imports)
    assert parse_claim(sickness(), TODAY).submitted_on == date(2024, 3, 20)


def codes_with(raw, **options):
    with pytest.raises(InvalidClaim) as caught:
        parse_claim(raw, TODAY, **options)
    return [(p.code, p.field) for p in caught.value.problems]


def test_every_code_has_a_one_line_description():
    from rules import codes as module

    names = [n for n in dir(module) if n.isupper() and n != "CODES"]
    assert {getattr(module, n) for n in names} == set(module.CODES)
    assert all(text and "\n" not in text for text in module.CODES.values())
    assert "CLAIM_FIELD_NOT_ALLOWED" in module.CODES
