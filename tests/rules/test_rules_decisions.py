"""Decisions: the JSON contract, the trace, errors inside decisions, history, edge rules."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pytest

from rules.claim import Claim, parse_claim
from rules.days import end_of_month, is_public_holiday
from rules.decision import TraceStep, Week
from rules.engine import decide
from rules.history import GrantedDays
from rules.parameters import load_parameters
from tests.support import maternity, worked

TODAY = date(2026, 1, 1)
#: the worked example as the employer sent it on 2024-03-20, decided years later
WORKED = worked(employee_cpr="0101901234", submitted_on="2024-03-20")


def sick(**changes) -> Claim:
    return parse_claim({**WORKED, **changes}, TODAY)


def mat(**changes) -> Claim:
    raw = maternity(
        employee_cpr="0101901234",
        parent="father",
        child_birth_date="2024-03-04",
        first_absence_day="2024-03-04",
        last_absence_day="2024-03-15",
        submitted_on="2024-03-18",
    )
    return parse_claim({**raw, **changes}, TODAY)


def test_worked_example_json_is_the_documented_format():
    data = decide(sick()).to_dict()
    assert list(data)[:10] == [
        "external_ref",
        "status",
        "amount",
        "currency",
        "payee",
        "days",
        "weeks",
        "supplement",
        "reasons",
        "trace",
    ]
    assert data["external_ref"] == "ACME-0001"
    assert data["status"] == "approved"
    assert data["amount"] == "16901.75"
    assert data["currency"] == "DKK"
    assert data["payee"] == {"kind": "cvr", "number": "13585628"}
    assert data["days"] == 18
    assert data["weeks"][0] == {
        "week": "2024-W14",
        "days": 3,
        "hours": "22.2",
        "amount": "2816.96",
        "supplement": "0.00",  # sickness: no § 39 a supplement, the key is there all the same
    }
    assert data["supplement"] == "0.00"
    assert data["reasons"] == []
    assert len(data["granted_days"]) == 18 and data["granted_days"][0] == "2024-04-03"
    for step in data["trace"]:
        assert set(step) >= {"rule", "reference", "inputs", "output"}
        assert step["reference"] and step["output"]
    names = [p["parameter"] for p in data["parameters"]]
    assert "sickness.weekly_max" in names and "sickness.employer_period_days" in names


def test_trace_has_one_step_per_rule_with_the_parameters_it_read():
    decision = decide(sick())
    assert [s.rule for s in decision.trace] == [
        "employment_requirement",
        "first_reimbursable_day",
        "deadline",
        "payable_days",
        "22_weeks_in_9_months",
        "hours_per_day",
        "hourly_rate",
        "amount",
        "payee",
    ]
    rate = next(s for s in decision.trace if s.rule == "hourly_rate")
    weekly_max = dict(rate.inputs)["weekly_max"]
    assert weekly_max.value == Decimal(4695)
    assert (weekly_max.valid_from, weekly_max.valid_until) == (date(2024, 1, 1), date(2025, 1, 5))
    segment = dict(rate.result)["segments"][0]
    assert segment.hourly_cap == Decimal("126.89")
    assert segment.rate == Decimal("126.89")
    assert "126.89" in rate.output


def test_the_trace_never_holds_a_full_cpr():
    decision = decide(sick(salary_paid=False, submitted_on="2024-04-09"))
    assert decision.payee.number == "0101901234"
    text = str([s.to_dict() for s in decision.trace])
    assert "0101901234" not in text
    assert "010190-****" in text


def test_missing_parameter_is_an_error_decision_not_an_exception():
    claim = {
        **WORKED,
        "first_absence_day": "2027-03-01",
        "last_absence_day": "2027-04-23",
        "submitted_on": "2027-03-08",
    }
    decision = decide(parse_claim(claim, date(2027, 6, 1)))
    assert decision.status == "error"
    assert decision.amount == Decimal("0.00")
    assert decision.codes == ("RULE_PARAM_MISSING",)
    assert "sickness.weekly_max" in decision.reasons[0].message
    assert "2027-03-31" in decision.reasons[0].message  # the first day that needed it
    assert decision.trace[-1].rule == "parameter_missing"
    assert decision.payee is None and decision.granted_days == ()
    assert decision.to_dict()["amount"] == "0.00"


def test_decisions_are_frozen():
    decision = decide(sick())
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.status = "rejected"  # type: ignore[misc]
    assert isinstance(decision.weeks, tuple) and isinstance(decision.trace, tuple)


def test_granted_days_roundtrip_through_decision_and_json():
    decision = decide(mat())
    from_obj = GrantedDays.from_decision(decision)
    from_json = GrantedDays.from_dict(decision.to_dict())
    assert from_obj == from_json
    assert from_obj.kind == "maternity" and from_obj.parent == "father"
    assert from_obj.child_birth_date == date(2024, 3, 4)
    assert len(from_obj.days) == 10


def test_22_weeks_in_one_long_claim():
    """No history: the 111th payable day stops payment at the end of its month."""
    decision = decide(
        sick(
            section_56_agreement=True,
            first_absence_day="2024-01-02",
            last_absence_day="2024-09-30",
            submitted_on="2024-01-05",
        )
    )
    payable, day = [], date(2024, 1, 2)
    while day <= date(2024, 9, 30):
        if day.weekday() < 5 and not is_public_holiday(day):
            payable.append(day)
        day += timedelta(days=1)
    stop = end_of_month(payable[110])
    assert decision.granted_days == tuple(d for d in payable if d <= stop)
    assert decision.status == "partially_approved"
    assert decision.codes == ("RULE_SICK_22_WEEKS",)


def test_22_weeks_passed_in_history_rejects_a_later_claim():
    # 120 days granted (another employer) up to June: the count passed 110 in June
    days, day = [], date(2024, 1, 2)
    while len(days) < 120:
        if day.weekday() < 5 and not is_public_holiday(day):
            days.append(day)
        day += timedelta(days=1)
    history = (GrantedDays("sickness", tuple(days), employer_cvr="29189714"),)
    later = sick(
        section_56_agreement=True,
        first_absence_day="2024-08-05",
        last_absence_day="2024-08-09",
        submitted_on="2024-08-12",
    )
    decision = decide(later, history)
    assert decision.status == "rejected"
    assert decision.codes == ("RULE_SICK_22_WEEKS",)


def test_maternity_history_of_other_children_and_parents_is_ignored():
    other = (
        GrantedDays(
            "maternity",
            tuple(date(2024, 1, 1) + timedelta(d) for d in range(200)),
            parent="mother",
            child_birth_date=date(2024, 3, 4),
            employer_cvr="29189714",
        ),
        GrantedDays(
            "maternity",
            (date(2024, 3, 4),),
            parent="father",
            child_birth_date=date(2021, 1, 1),
            employer_cvr="29189714",
        ),
        GrantedDays("sickness", (date(2024, 3, 4),), employer_cvr="13585628"),
    )
    assert decide(mat(), other).amount == Decimal("9389.86")


def test_maternity_same_employer_same_days_not_paid_twice():
    first = decide(mat())
    again = decide(mat(external_ref="ACME-0002"), (GrantedDays.from_decision(first),))
    assert again.status == "rejected"
    assert again.codes == ("RULE_DAYS_ALREADY_GRANTED",)


def test_maternity_second_employer_same_days_paid_without_using_more_entitlement():
    first = decide(mat())
    second = decide(mat(employer_cvr="29189714"), (GrantedDays.from_decision(first),))
    assert second.amount == Decimal("9389.86")
    used = next(s for s in second.trace if s.rule == "entitlement")
    assert dict(used.result)["used_post_birth_days"] == 10


def test_salary_cap_to_zero_rejects():
    decision = decide(mat(salary_paid_amount="0"))
    assert decision.status == "rejected"
    assert decision.codes == ("RULE_MAT_SALARY_CAP",)
    assert decision.granted_days == ()


def test_salary_cap_above_the_amount_changes_nothing():
    decision = decide(mat(salary_paid_amount="20000"))
    assert (decision.status, decision.amount) == ("approved", Decimal("9389.86"))


def test_transfer_beyond_transferable_weeks_is_rejected():
    claim = dataclasses.replace(mat(), weeks_transferred_in=14)  # validation allows 0-13
    decision = decide(claim)
    assert (decision.status, decision.codes) == ("rejected", ("RULE_MAT_TRANSFER_LIMIT",))


def test_maternity_weekend_only():
    decision = decide(mat(first_absence_day="2024-03-09", last_absence_day="2024-03-10"))
    assert decision.codes == ("RULE_MAT_NO_PAYABLE_DAYS",)
    assert decision.status == "rejected"


def test_days_after_the_first_birthday_are_noted_in_the_trace():
    decision = decide(
        mat(
            child_birth_date="2023-03-01",
            first_absence_day="2024-03-04",
            last_absence_day="2024-03-08",
            submitted_on="2024-03-11",
        )
    )
    window = next(s for s in decision.trace if s.rule == "entitled_window")
    assert dict(window.result)["days_after_first_birthday"] == 5
    assert "postponed" in window.output
    assert decision.status == "approved"


def test_unknown_kind():
    with pytest.raises(ValueError):
        decide(dataclasses.replace(sick(), kind="pension"))


def test_week_with_a_mid_week_change_is_capped_by_the_value_of_its_first_day(tmp_path):
    """A parameter set of one's own: 4000 Mon-Wed, 5000 from Thursday, in one ISO week."""
    (tmp_path / "sickness.toml").write_text(
        """
benefit = "sickness"
[weekly_max]
unit = "DKK"
reference = "test"
[[weekly_max.values]]
valid_from = 2030-01-07
valid_until = 2030-01-09
value = 4000
source = "test"
[[weekly_max.values]]
valid_from = 2030-01-10
value = 5000
source = "test"
[am_contribution_rate]
unit = "fraction"
reference = "test"
[[am_contribution_rate.values]]
valid_from = 2030-01-01
value = "0.08"
source = "test"
[exclude_public_holidays]
unit = "bool"
reference = "test"
[[exclude_public_holidays.values]]
valid_from = 2030-01-01
value = true
source = "test"
[hourly_max_basis_hours]
unit = "hours"
reference = "test"
[[hourly_max_basis_hours.values]]
valid_from = 2030-01-01
value = 37
source = "test"
""",
        encoding="utf-8",
    )
    params = load_parameters([tmp_path], include_packaged=False)
    claim = parse_claim(
        {
            **WORKED,
            "section_56_agreement": True,
            "first_absence_day": "2030-01-07",
            "last_absence_day": "2030-01-11",
            "submitted_on": "2030-01-14",
        },
        date(2030, 2, 1),
    )
    decision = decide(claim, parameters=params)
    # Mon-Wed 3 × round(4000/37, 2) 108.11 × 7.4 = 2400.042; Thu-Fri 2 × 135.14 × 7.4 =
    # 2000.072; 4400.114 is capped at 4000, the maximum in force on Monday.
    assert decision.amount == Decimal("4000.00")
    rate = next(s for s in decision.trace if s.rule == "hourly_rate")
    assert [s.rate for s in dict(rate.result)["segments"]] == [Decimal("108.11"), Decimal("135.14")]


def test_trace_values_become_json_as_documented():
    """Decimals plain (no exponent), dates ISO, sets sorted, a parameter value with its
    provenance wherever it is used, a dataclass as its fields in order."""
    weekly_max = load_parameters().at("sickness.weekly_max", date(2024, 6, 3))
    week = Week("2024-W23", 3, Decimal("22.2"), Decimal("2816.96"), Decimal("2816.958"), weekly_max)
    step = TraceStep(
        rule="example",
        reference="§ 1",
        template="{n} with {cap}",
        inputs=(
            ("n", Decimal("4E+1")),
            ("days", frozenset({date(2024, 6, 4), date(2024, 6, 3)})),
            ("cap", weekly_max),
            ("none", None),
            ("flag", True),
        ),
        result=(("weeks", (week,)), ("by_day", MappingProxyType({"a": Decimal("1.50")}))),
    )
    provenance = {
        "parameter": "sickness.weekly_max",
        "value": "4695.00",
        "unit": "DKK",
        "valid_from": "2024-01-01",
        "valid_until": "2025-01-05",
        "reference": weekly_max.reference,
        "source": weekly_max.source,
    }
    assert step.to_dict() == {
        "rule": "example",
        "reference": "§ 1",
        "inputs": {
            "n": "40",
            "days": ["2024-06-03", "2024-06-04"],
            "cap": provenance,
            "none": None,
            "flag": True,
        },
        "output": "40 with 4695.00",
        "result": {
            "weeks": [
                {
                    "week": "2024-W23",
                    "days": 3,
                    "hours": "22.2",
                    "amount": "2816.96",
                    "uncapped": "2816.958",
                    "weekly_max": provenance,
                    "supplement": "0.00",
                    "supplement_rate": None,
                }
            ],
            "by_day": {"a": "1.50"},
        },
    }
    with pytest.raises(TypeError, match="object"):
        TraceStep("x", "§", (("x", object()),), (), "").to_dict()


def test_maternity_refusion_json_has_the_supplement_after_the_weeks():
    decision = decide(mat())
    data = decision.to_dict()
    keys = list(data)
    assert keys.index("supplement") == keys.index("weeks") + 1
    assert data["amount"] == "9389.86"  # the reimbursement alone
    assert data["supplement"] == "140.00"  # 2 × round(4694.93 × 1.5 %) = 2 × 70
    assert [w["supplement"] for w in data["weeks"]] == ["70.00", "70.00"]
    assert decision.total == Decimal("9529.86")
    assert data["expected_birth_date"] is None and data["child_birth_date"] == "2024-03-04"
    step = next(s for s in decision.trace if s.rule == "supplement")
    assert step.reference == "Barselsloven § 39 a, stk. 2"
    rate = dict(step.inputs)["refusion_supplement_rate"]
    assert (rate.value, rate.valid_from, rate.valid_until) == (
        Decimal("0.015"),
        date(2024, 1, 1),
        date(2025, 1, 5),
    )
    assert "maternity.refusion_supplement_rate" in [p["parameter"] for p in data["parameters"]]
    assert [s.rule for s in decision.trace][-3:] == ["amount", "supplement", "payee"]


def test_no_supplement_without_an_employer_and_none_on_a_rejection():
    to_parent = decide(mat(salary_paid=False))
    assert to_parent.supplement == Decimal("0.00") and to_parent.total == to_parent.amount
    step = next(s for s in to_parent.trace if s.rule == "supplement")
    assert dict(step.result)["supplement"] == Decimal("0.00")
    late = decide(mat(submitted_on="2024-06-01"))
    assert late.status == "rejected" and late.codes == ("RULE_MAT_LATE",)
    assert late.supplement == Decimal("0.00") and late.to_dict()["supplement"] == "0.00"


def test_granted_days_of_a_pre_birth_claim_keep_the_expected_date():
    claim = parse_claim(
        {
            **WORKED,
            "kind": "maternity",
            "parent": "mother",
            "monthly_hours": [160] * 4,
            "expected_birth_date": "2026-04-06",
            "first_absence_day": "2026-03-23",
            "last_absence_day": "2026-04-03",
            "submitted_on": "2026-04-03",
        },
        date(2026, 4, 3),
    )
    decision = decide(claim)
    assert decision.status == "approved" and decision.days == 10
    granted = GrantedDays.from_decision(decision)
    assert granted == GrantedDays.from_dict(decision.to_dict())
    assert (granted.child_birth_date, granted.expected_birth_date) == (None, date(2026, 4, 6))


@pytest.mark.parametrize(
    ("entry", "birth", "expected", "same"),
    [
        # both births known: equal dates only
        ((date(2026, 4, 8), None), date(2026, 4, 8), None, True),
        ((date(2026, 4, 8), date(2026, 4, 6)), date(2026, 4, 9), date(2026, 4, 6), False),
        # a pre-birth claim and the later claim with the birth: within 20 weeks
        ((None, date(2026, 4, 6)), date(2026, 4, 20), None, True),
        ((None, date(2026, 4, 6)), date(2025, 12, 1), None, True),  # born 18 weeks early
        ((None, date(2026, 4, 6)), date(2025, 11, 16), None, False),  # 141 days: a sibling
        ((None, date(2026, 4, 6)), None, date(2026, 4, 13), True),  # a revised due date
        ((date(2025, 3, 1), None), None, date(2026, 4, 6), False),  # the older sibling
        ((None, None), date(2026, 4, 6), None, False),  # nothing to compare
    ],
)
def test_same_child(entry, birth, expected, same):
    from rules.history import same_child

    granted = GrantedDays("maternity", (), "mother", entry[0], None, entry[1])
    assert same_child(granted, birth, expected) is same


def test_a_pre_birth_claim_and_a_later_claim_do_not_pay_the_same_days_twice():
    """The employer claims the 4 weeks before the birth, then (after a birth on the expected
    date) claims the same period again with the birth date: nothing is paid twice."""
    base = maternity(
        employee_cpr="0101901234", first_absence_day="2026-03-09", last_absence_day="2026-04-03"
    )
    today = date(2026, 4, 20)
    pre = decide(
        parse_claim(
            {**base, "expected_birth_date": "2026-04-06", "submitted_on": "2026-04-03"}, today
        )
    )
    again = parse_claim(
        {**base, "child_birth_date": "2026-04-06", "submitted_on": "2026-04-20"}, today
    )
    decision = decide(again, (GrantedDays.from_decision(pre),))
    assert decision.status == "rejected" and decision.amount == Decimal("0.00")
    assert "RULE_DAYS_ALREADY_GRANTED" in decision.codes
    # another employer (a second job) may be paid for the days, using no more entitlement
    other = GrantedDays.from_decision(dataclasses.replace(pre, employer_cvr="12345674"))
    assert decide(again, (other,)).days == 20
