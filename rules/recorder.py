"""Collects what a rule module does — trace steps, reasons, parameters used — into a Decision.

A rule module calls ``step()`` once per rule it applies, ``use()`` for every parameter value
it reads, ``reason()`` for every code it raises, and ends with ``finish()``, ``rejected()`` or
(via ``rules.engine``) ``error()``. Keeping this bookkeeping in one place keeps the rule
modules about the law.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rules import codes
from rules.claim import Claim
from rules.decision import ZERO, Decision, Payee, Reason, TraceStep, Week, make_decision, make_step
from rules.errors import ParameterMissing
from rules.parameters import Parameters, ParameterValue

__all__ = ["Recorder", "REDUCING", "distinct_values"]

#: codes meaning "less than asked for was paid": the decision is partially_approved (or
#: rejected when nothing is left)
REDUCING = frozenset(
    (
        codes.RULE_SICK_LATE,
        codes.RULE_SICK_22_WEEKS,
        codes.RULE_MAT_OUTSIDE_WINDOW,
        codes.RULE_MAT_ENTITLEMENT_USED,
        codes.RULE_MAT_SALARY_CAP,
        codes.RULE_DAYS_ALREADY_GRANTED,
    )
)


class Recorder:
    """The working state of one decision."""

    __slots__ = ("claim", "trace", "reasons", "used", "reduced")

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.trace: list[TraceStep] = []
        self.reasons: list[Reason] = []
        self.used: dict[int, ParameterValue] = {}
        self.reduced = False

    def use(self, value: ParameterValue) -> ParameterValue:
        """Note that the decision read ``value`` (listed in ``Decision.parameters``)."""
        self.used[id(value)] = value  # by identity: hashing a value hashes all its fields
        return value

    def step(
        self,
        rule: str,
        reference: str,
        template: str,
        inputs: tuple[tuple[str, Any], ...],
        result: tuple[tuple[str, Any], ...],
        details: str | None = None,
    ) -> None:
        self.trace.append(make_step(rule, reference, inputs, result, template, details))

    def reason(self, code: str, message: str, reference: str, reduces: bool = False) -> None:
        self.reasons.append(Reason(code, message, reference))
        if reduces:
            self.reduced = True

    def finish(
        self,
        amount: Decimal,
        weeks: tuple[Week, ...],
        days: tuple[date, ...],
        payee: Payee,
        supplement: Decimal = ZERO,
    ) -> Decision:
        """An approved or partially approved decision (rejected when nothing is paid)."""
        if not days or (amount == 0 and self.reduced):
            return self.rejected()
        status = "partially_approved" if self.reduced else "approved"
        return self._decision(status, amount, payee, weeks, days, supplement)

    def rejected(self) -> Decision:
        return self._decision("rejected", ZERO, None, (), ())

    def error(self, exc: ParameterMissing, parameters: Parameters) -> Decision:
        reference = None
        if exc.parameter in parameters:
            reference = parameters[exc.parameter].reference
        self.reasons.append(Reason(codes.RULE_PARAM_MISSING, exc.message, reference))
        self.step(
            "parameter_missing",
            reference or "",
            "cannot decide: no value of {parameter} is in force on {day}",
            (("parameter", exc.parameter), ("day", exc.day)),
            (),
        )
        return self._decision("error", ZERO, None, (), ())

    def _decision(
        self,
        status: str,
        amount: Decimal,
        payee: Payee | None,
        weeks: tuple[Week, ...],
        days: tuple[date, ...],
        supplement: Decimal = ZERO,
    ) -> Decision:
        claim = self.claim
        maternity = claim.kind == "maternity"
        return make_decision(  # every field of Decision, in order
            claim.kind,
            claim.external_ref,
            claim.employer_cvr,
            claim.employee_cpr,
            status,
            amount,
            payee,
            weeks,
            tuple(self.reasons),
            tuple(self.trace),
            tuple(self.used.values()),
            days,
            claim.first_absence_day,
            claim.last_absence_day,
            claim.parent if maternity else None,
            claim.child_birth_date if maternity else None,
            "DKK",
            supplement,
            claim.expected_birth_date if maternity else None,
        )


def distinct_values(values: list[ParameterValue]) -> ParameterValue | tuple[ParameterValue, ...]:
    """One value, or the distinct values in order (by identity: values are shared objects).

    What a trace step lists as its input when several days or weeks read one parameter.
    """
    first = values[0]
    if values.count(first) == len(values):  # list.count checks identity first: cheap
        return first
    return tuple({id(v): v for v in values}.values())
