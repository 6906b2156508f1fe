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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.claim import Claim
from rules.days import DATES
from rules.decision import ZERO, Week, plain
from rules.parameters import Parameters, ParameterValue
from rules.recorder import Recorder
from rules.steps import distinct_values

__all__ = ["REF_SUPPLEMENT", "SupplementLine", "supplement"]

REF_SUPPLEMENT = "Barselsloven § 39 a, stk. 2"
REF_NO_SUPPLEMENT = "Barselsloven § 39 a, stk. 1 (only an employer receiving refusion)"
_KRONE = Decimal(1)
_CENT = Decimal("0.01")


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


def supplement(
    rec: Recorder,
    claim: Claim,
    params: Parameters,
    weeks: tuple[Week, ...],
    days: Sequence[int],
) -> tuple[tuple[Week, ...], Decimal]:
    """The weeks with their supplement, and the total (``0.00`` without an employer).

    ``days`` are the paid days (sorted ordinals) the weeks were built from, in the same order:
    the first of each week's days is its first benefit day.
    """
    if not claim.salary_paid:
        rec.step(
            "supplement",
            REF_NO_SUPPLEMENT,
            "no supplement: the benefit goes to the parent, not to an employer",
            (("salary_paid", False),),
            (("supplement", ZERO),),
        )
        return weeks, ZERO
    rates = params["maternity.refusion_supplement_rate"]
    out: list[Week] = []
    lines: list[SupplementLine] = []
    used: list[ParameterValue] = []
    done: dict[tuple[int, Decimal], tuple[Decimal, Decimal]] = {}  # full weeks repeat
    total = ZERO
    i = 0
    for w in weeks:
        rate = rec.use(rates.at(DATES[days[i]]))
        i += w.days
        key = (id(rate), w.amount)
        hit = done.get(key)
        if hit is None:
            exact = w.amount * rate.value
            hit = done[key] = (exact, exact.quantize(_KRONE, ROUND_HALF_UP).quantize(_CENT))
        exact, amount = hit
        out.append(Week(w.week, w.days, w.hours, w.amount, w.uncapped, w.weekly_max, amount, rate))
        lines.append(SupplementLine(w.week, w.amount, rate, exact, amount))
        used.append(rate)
        total += amount
    rec.step(
        "supplement",
        REF_SUPPLEMENT,
        "supplement to the employer's refusion {supplement} kr: each week's reimbursement × "
        "the § 39 b rate in force on its first benefit day, rounded to whole kroner",
        (("salary_paid", True), ("refusion_supplement_rate", distinct_values(used))),
        (("weeks", tuple(lines)), ("supplement", total)),
        details="weeks",
    )
    return tuple(out), total
