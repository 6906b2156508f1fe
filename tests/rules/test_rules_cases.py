"""Law-derived cases as data: one TOML file per sentence of law in ``tests/rules/cases/``.

A case file holds the provision it checks (``law``, quoted), where the sentence comes from
(``source``), the amounts worked out by hand (``hand``), the claim (over a base claim in
``cases/bases/``), optional ``[[history]]`` of granted days and an optional
``parameters_dir`` (an operator override directory), and the expected decision: status,
amount, codes, and optionally days, payee, weeks (``[week, days, amount]``, or with a fourth
element, the week's § 39 a supplement), the decision's ``supplement``, the hourly maxima of the
rate segments (``hourly_caps``) and results of named trace steps.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rules.claim import parse_claim
from rules.days import is_public_holiday
from rules.decision import invalid_decision
from rules.engine import decide
from rules.errors import InvalidClaim
from rules.history import GrantedDays
from rules.parameters import ParameterValue, load_parameters

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(CASES_DIR.glob("*.toml"))


def _load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def _granted(entry: dict) -> GrantedDays:
    """History days: the weekdays from..to (without public holidays for sickness)."""
    days = []
    day: date = entry["from"]
    while day <= entry["to"]:
        if day.weekday() < 5 and not (entry["kind"] == "sickness" and is_public_holiday(day)):
            days.append(day)
        day += timedelta(days=1)
    return GrantedDays(
        kind=entry["kind"],
        days=tuple(days),
        employer_cvr=entry.get("employer_cvr"),
        parent=entry.get("parent"),
        child_birth_date=entry.get("child_birth_date"),
        expected_birth_date=entry.get("expected_birth_date"),
    )


def run_case(case: dict):
    raw = dict(_load(CASES_DIR / "bases" / f"{case['base']}.toml")) if "base" in case else {}
    raw.update(case["claim"])
    params = (
        load_parameters((CASES_DIR / case["parameters_dir"],))
        if "parameters_dir" in case
        else load_parameters()
    )
    try:
        claim = parse_claim(raw, case["today"])
    except InvalidClaim as exc:
        return invalid_decision(exc.problems, raw)
    history = tuple(_granted(h) for h in case.get("history", ()))
    return decide(claim, history, params)


def test_there_are_cases_for_both_benefits():
    names = [p.stem for p in CASES]
    assert sum(n.startswith("sickness_") for n in names) >= 30
    assert sum(n.startswith("maternity_") for n in names) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path):
    case = _load(path)
    assert case.get("law", "").strip(), "every case quotes the sentence of law it checks"
    assert case.get("source", "").strip()
    decision = run_case(case)
    expected = case["expected"]

    assert decision.status == expected["status"], decision.reasons
    assert decision.amount == Decimal(expected["amount"])
    assert sorted(decision.codes) == sorted(expected.get("codes", []))
    assert decision.amount == sum((w.amount for w in decision.weeks), Decimal(0))
    assert decision.to_dict()["amount"] == expected["amount"]
    if "days" in expected:
        assert decision.days == expected["days"]
    if "payee" in expected:
        assert decision.payee is not None
        assert [decision.payee.kind, decision.payee.number] == expected["payee"]
    if "weeks" in expected:
        got = [
            [w.week, w.days, str(w.amount), str(w.supplement)][: len(want)]
            for w, want in zip(decision.weeks, expected["weeks"], strict=False)
        ]
        assert got == expected["weeks"]
        assert len(decision.weeks) == len(expected["weeks"])
    if "supplement" in expected:
        assert decision.supplement == Decimal(expected["supplement"])
        assert decision.to_dict()["supplement"] == expected["supplement"]
        assert decision.supplement == sum((w.supplement for w in decision.weeks), Decimal(0))
    if "hourly_caps" in expected:
        rate = next(s for s in decision.trace if s.rule == "hourly_rate")
        caps = [str(seg.hourly_cap) for seg in dict(rate.result)["segments"]]
        assert caps == expected["hourly_caps"]
    for rule, values in expected.get("trace", {}).items():
        steps = [s for s in decision.trace if s.rule == rule]
        assert steps, f"no trace step {rule}"
        result = dict(steps[0].inputs) | dict(steps[0].result)
        for key, want in values.items():
            got = result[key]
            if isinstance(got, tuple):
                got = list(got)
            if isinstance(got, ParameterValue):
                got = got.value_text()
            if isinstance(got, Decimal):
                want = Decimal(want)
            assert got == want, f"{rule}.{key}"
