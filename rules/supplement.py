"""Barselsloven § 39 a: the supplement to an employer's maternity refusion (tillæg til refusion).

An employer that receives refusion under the barselslov is entitled to a supplement on top of
it (§ 39 a, stk. 1). For each week, the supplement is that week's refusion × the percentage of
§ 39 b, and "tillægget til refusion for 1 uge afrundes til nærmeste hele kronebeløb" (§ 39 a,
stk. 2): whole kroner, ROUND_HALF_UP (0.50 kr goes up), week by week, then summed — never the
total rounded once, which could differ by several kroner.

- The base is the week's reimbursement *after* the salary cap (§ 39: the refusion is at most the
  salary paid), because the supplement is computed "på grundlag af refusionen".
- The rate is the one in force on the week's first benefit day. § 39 b's rates change on the
  first Monday of January, so a week never straddles two rates.
- No employer, no supplement: when the benefit goes to the parent's CPR (``salary_paid`` false)
  the decision's supplement is 0.00 and the trace says why.
- Sick pay gets none here: the specification (sickness.md) has no supplement for sickness
  refusion, although sygedagpengeloven § 54 a grants one with the same wording; adding it is a
  change of the specification, not of this module.

The decision carries the result in ``Week.supplement`` (with ``Week.supplement_rate``) and
``Decision.supplement``; ``Decision.amount`` stays the reimbursement alone.

Where it is computed: :func:`week_supplement` is the rounding rule. ``rules.steps.price`` applies
it while it builds each week (a week is made once, and the full weeks of a claim share one
computation); the salary cap applies it again to the weeks it reduces; :func:`supplement` then
only adds the weeks up and writes the trace step, whose per-week lines
(:class:`SupplementWeeks`) are derived from the weeks when the trace is read, like the trace's
sentences.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.claim import Claim
from rules.decision import ZERO, Week, plain
from rules.parameters import ParameterValue
from rules.recorder import Recorder, distinct_values

__all__ = ["REF_SUPPLEMENT", "SupplementLine", "SupplementWeeks", "supplement", "week_supplement"]

REF_SUPPLEMENT = "Barselsloven § 39 a, stk. 2"
REF_NO_SUPPLEMENT = "Barselsloven § 39 a, stk. 1 (only an employer receiving refusion)"
_KRONE = Decimal(1)
_CENT = Decimal("0.01")


def week_supplement(reimbursement: Decimal, rate: Decimal) -> Decimal:
    """§ 39 a, stk. 2: a week's refusion × the rate, rounded to whole kroner (half up).

    >>> week_supplement(Decimal("4694.93"), Decimal("0.015"))  # 70.42395
    Decimal('70.00')
    >>> week_supplement(Decimal("500.00"), Decimal("0.021"))   # 10.50 goes up
    Decimal('11.00')
    """
    return (reimbursement * rate).quantize(_KRONE, ROUND_HALF_UP).quantize(_CENT)


@dataclass(frozen=True, slots=True)
class SupplementLine:
    """One week of the supplement step, as the trace lists it."""

    week: str
    reimbursement: Decimal
    rate: ParameterValue
    exact: Decimal
    supplement: Decimal

    def __str__(self) -> str:
        return (
            f"{self.week}: {self.reimbursement} × {self.rate.value_text()} = "
            f"{plain(self.exact)} → {self.supplement}"
        )


@dataclass(frozen=True, slots=True)
class SupplementWeeks:
    """The supplement step's weeks: iterated (``rules explain``) or written as JSON, one
    :class:`SupplementLine` per week, made from the weeks only when the trace is read."""

    weeks: tuple[Week, ...]

    def __iter__(self) -> Iterator[SupplementLine]:
        for w in self.weeks:
            rate = w.supplement_rate
            if rate is not None:
                yield SupplementLine(w.week, w.amount, rate, w.amount * rate.value, w.supplement)

    def json_value(self) -> list[SupplementLine]:
        """What the decision JSON holds in its place (``rules.decision``'s encoder asks)."""
        return list(self)


def supplement(rec: Recorder, claim: Claim, weeks: tuple[Week, ...]) -> Decimal:
    """The total supplement of ``weeks`` (each computed when it was priced), with its step.

    ``0.00``, and a step saying why, when the benefit goes to the parent.
    """
    if not claim.salary_paid:
        rec.step(
            "supplement",
            REF_NO_SUPPLEMENT,
            "no supplement: the benefit goes to the parent, not to an employer",
            (("salary_paid", False),),
            (("supplement", ZERO),),
        )
        return ZERO
    total = ZERO
    rates: list[ParameterValue] = []
    for w in weeks:
        total += w.supplement
        if w.supplement_rate is not None:
            rates.append(w.supplement_rate)
    rec.step(
        "supplement",
        REF_SUPPLEMENT,
        "supplement to the employer's refusion {supplement} kr: each week's reimbursement × "
        "the § 39 b rate in force on its first benefit day, rounded to whole kroner",
        (
            ("salary_paid", True),
            ("refusion_supplement_rate", distinct_values(rates) if rates else None),
        ),
        (("weeks", SupplementWeeks(weeks)), ("supplement", total)),
        details="weeks",
    )
    return total
