"""Steps both benefits share: employment requirement, hours, rate, weekly amounts, payee.

Sickness steps 1, 5, 6, 7 and 9 and maternity steps 2 and 6 are the same computation with
different provisions and parameters; they live here once. The money arithmetic:

- ``hourly_cap(d) = round(weekly_max(d) / hourly_max_basis_hours(d), 2)`` (ROUND_HALF_UP): the
  published hourly maximum (126.89 kr in 2024, 131.49 in 2025, 137.43 in 2026). It never
  depends on the employee's own ``normal_weekly_hours``: dividing by those (as an earlier
  version of the spec did) pays a part-timer above the hourly maximum up to the full weekly
  maximum — 4,695 kr instead of 30 × 126.89 = 3,806.70 kr for 30 hours in 2024;
- ``rate(d) = min(hourly_wage × (1 − am_contribution_rate(d)), hourly_cap(d))``, exact;
- day amount ``rate(d) × hours``, exact; a week's amount is the sum of its days, capped at
  the ``weekly_max`` in force on the week's first payable day, then rounded to øre
  (ROUND_HALF_UP); the decision's amount is the sum of its weeks.

Days are proleptic ordinals (see ``rules.days``); rates are worked out once per run of days
sharing the same parameter values (a "segment"), not once per day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from rules import codes
from rules.claim import Claim
from rules.days import DATES, week_label
from rules.decision import ZERO, Payee, Week, make_week, plain
from rules.fastinit import positional
from rules.history import GrantedDays
from rules.parameters import Parameter, ParameterValue
from rules.recorder import Recorder, distinct_values
from rules.supplement import week_supplement

__all__ = [
    "RateSegment",
    "already_granted",
    "employment_requirement",
    "hours_per_day",
    "payee",
    "price",
]

CENT = Decimal("0.01")
FIVE = Decimal(5)
PARTIAL_MIN_HOURS = Decimal(4)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class RateSegment:
    """Consecutive payable days sharing one hourly rate (same parameter values)."""

    first_day: date
    last_day: date
    weekly_max: ParameterValue
    am_contribution_rate: ParameterValue
    hourly_max_basis_hours: ParameterValue
    hourly_cap: Decimal
    hourly_wage: Decimal
    wage_after_am: Decimal
    rate: Decimal

    def __str__(self) -> str:
        return (
            f"{self.first_day}…{self.last_day}: hourly cap round("
            f"{self.weekly_max.value_text()} / {self.hourly_max_basis_hours.value_text()}, 2) = "
            f"{plain(self.hourly_cap)}; wage after AM {plain(self.hourly_wage)} × (1 − "
            f"{self.am_contribution_rate.value_text()}) = {plain(self.wage_after_am)}; "
            f"rate {plain(self.rate)} kr/h"
        )


_make_segment = positional(RateSegment)


def employment_requirement(
    rec: Recorder,
    claim: Claim,
    *,
    reference: str,
    code: str,
    total_min: int,
    months_min: int,
    month_hours: int = 40,
) -> bool:
    """``sum(monthly_hours) >= total_min`` and ``months_min`` months of ``month_hours``."""
    hours = claim.monthly_hours
    total = sum(hours, Decimal(0))
    months = sum(1 for h in hours if h >= month_hours)
    route = claim.employment_requirement_met_by
    by_hours = total >= total_min and months >= months_min
    met = by_hours or route is not None
    if route is not None and not by_hours:
        how = (
            "met by another route: {employment_requirement_met_by} "
            "(declared by the employer, not checked against registers)"
        )
    elif met:
        how = "met: {total_hours} hours, {months_with_enough_hours} months with ≥ {month_hours} h"
    else:
        how = (
            "not met: {total_hours} hours (need {total_min}) and {months_with_enough_hours} "
            "months with ≥ {month_hours} h (need {months_min})"
        )
    rec.step(
        "employment_requirement",
        reference,
        how,
        (
            ("monthly_hours", hours),
            ("employment_requirement_met_by", route),
            ("total_min", total_min),
            ("months_min", months_min),
            ("month_hours", month_hours),
        ),
        (("total_hours", total), ("months_with_enough_hours", months), ("met", met)),
    )
    if not met:
        rec.reason(
            code,
            f"employment requirement not met: {plain(total)} hours in the last "
            f"{len(hours)} months (need {total_min}) and {months} months with at least "
            f"{month_hours} hours (need {months_min})",
            reference,
        )
    return met


def hours_per_day(rec: Recorder, claim: Claim, *, reference: str, code: str) -> Decimal | None:
    """Hours per benefit day: a fifth of the weekly hours (full or partial absence).

    ``None`` (and a reason) when a partial absence is under 4 hours a week or above the
    normal weekly hours.
    """
    normal = claim.normal_weekly_hours
    partial = claim.absence_hours_per_week
    if partial is None:
        hours = normal / FIVE
        rec.step(
            "hours_per_day",
            reference,
            "full absence: {normal_weekly_hours} h / 5 = {hours_per_day} h a day",
            (("normal_weekly_hours", normal), ("absence_hours_per_week", None)),
            (("hours_per_day", hours), ("partial", False)),
        )
        return hours
    ok = PARTIAL_MIN_HOURS <= partial <= normal
    hours = partial / FIVE if ok else None
    rec.step(
        "hours_per_day",
        reference,
        (
            "partial absence: {absence_hours_per_week} h / 5 = {hours_per_day} h a day"
            if ok
            else "partial absence of {absence_hours_per_week} h a week is outside "
            "4 h … {normal_weekly_hours} h: not reimbursed"
        ),
        (("normal_weekly_hours", normal), ("absence_hours_per_week", partial)),
        (("hours_per_day", hours), ("partial", True)),
    )
    if not ok:
        rec.reason(
            code,
            f"partial absence of {plain(partial)} hours a week must be at least 4 hours and "
            f"at most the normal {plain(normal)} hours",
            reference,
        )
    return hours


def price(
    rec: Recorder,
    claim: Claim,
    days: Sequence[int],
    hours: Decimal,
    weekly_max: Parameter,
    am_rate: Parameter,
    basis_hours: Parameter,
    *,
    rate_reference: str,
    amount_reference: str,
    supplement_rate: Parameter | None = None,
) -> tuple[tuple[Week, ...], Decimal]:
    """Steps "hourly rate" and "amount" for the payable ``days`` (sorted ordinals).

    Works per rate segment and per week (bisecting ``days``), never per day. With
    ``supplement_rate`` (maternity refusion) each week also gets its § 39 a supplement at the
    rate in force on its first payable day (``rules.supplement``), so a week is built once;
    without it the weeks' supplement is 0.00.
    """
    wage = claim.hourly_wage
    n = len(days)
    last_day = days[-1]
    segments: list[RateSegment] = []
    ends: list[int] = []  # index one past each segment's last day
    seg_rates: list[Decimal] = []
    seg_caps: list[ParameterValue] = []
    i = 0
    while i < n:
        day = DATES[days[i]]
        wm = rec.use(weekly_max.at(day))
        am = rec.use(am_rate.at(day))
        basis = rec.use(basis_hours.at(day))
        end = min(wm.last_ordinal, am.last_ordinal, basis.last_ordinal)
        j = n if end >= last_day else bisect_right(days, end, i)
        cap = (wm.value / basis.value).quantize(CENT, ROUND_HALF_UP)
        after_am = wage * (_ONE - am.value)
        rate = after_am if after_am < cap else cap
        segments.append(
            _make_segment(day, DATES[days[j - 1]], wm, am, basis, cap, wage, after_am, rate)
        )
        ends.append(j)
        seg_rates.append(rate)
        seg_caps.append(wm)
        i = j
    if len(segments) == 1:  # the common case: one set of values for the whole claim
        only = segments[0]
        used = (only.weekly_max, only.am_contribution_rate, only.hourly_max_basis_hours)
    else:
        used = (
            distinct_values([s.weekly_max for s in segments]),
            distinct_values([s.am_contribution_rate for s in segments]),
            distinct_values([s.hourly_max_basis_hours for s in segments]),
        )
    rec.step(
        "hourly_rate",
        rate_reference,
        "rate = min(hourly wage × (1 − AM contribution), the hourly maximum round(weekly max / "
        "{hourly_max_basis_hours}, 2)), whatever the employee's own weekly hours",
        (
            ("hourly_wage", wage),
            ("weekly_max", used[0]),
            ("am_contribution_rate", used[1]),
            ("hourly_max_basis_hours", used[2]),
        ),
        (("segments", tuple(segments)),),
        details="segments",
    )

    weeks: list[Week] = []
    total = Decimal(0)
    # a week inside one segment depends only on the segment and its number of days: the full
    # weeks of a claim are worked out once (hours, exact sum, capped and rounded amount)
    done: dict[tuple[int, int, int], tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    sup = None  # the supplement rate in force, looked up again once its period has ended
    sup_end = -1
    sup_value = ZERO
    i = seg = 0
    while i < n:
        first = days[i]
        if (first - 1) % 7 == 0 and i + 4 < n and days[i + 4] == first + 4:
            j = i + 5  # a full Monday-Friday week (most weeks): no search needed
        else:
            j = bisect_left(days, first - (first - 1) % 7 + 7, i)  # the next Monday
        count = j - i
        while ends[seg] <= i:
            seg += 1
        cap = seg_caps[seg]  # the maximum in force on the week's first payable day
        if supplement_rate is not None and first > sup_end:
            sup = rec.use(supplement_rate.at(DATES[first]))
            sup_end, sup_value = sup.last_ordinal, sup.value
        if ends[seg] >= j:
            key = (seg, count, id(sup))
            hit = done.get(key)
            if hit is None:
                uncapped = seg_rates[seg] * count * hours
                amount = (cap.value if uncapped > cap.value else uncapped).quantize(
                    CENT, ROUND_HALF_UP
                )
                extra = week_supplement(amount, sup_value) if sup is not None else ZERO
                hit = done[key] = (hours * count, uncapped, amount, extra)
            week_hours, uncapped, amount, extra = hit
        else:  # a parameter changes within the week
            rate_sum, k, t = Decimal(0), i, seg
            while k < j:
                stop = min(ends[t], j)
                rate_sum += seg_rates[t] * (stop - k)
                k, t = stop, t + 1
            uncapped = rate_sum * hours
            amount = (cap.value if uncapped > cap.value else uncapped).quantize(CENT, ROUND_HALF_UP)
            week_hours = hours * count
            extra = week_supplement(amount, sup_value) if sup is not None else ZERO
        weeks.append(
            make_week(week_label(first), count, week_hours, amount, uncapped, cap, extra, sup)
        )
        total += amount
        i = j
    result = tuple(weeks)
    caps = used[0] if len(segments) == 1 else distinct_values([w.weekly_max for w in weeks])
    rec.step(
        "amount",
        amount_reference,
        "total {amount} kr: each ISO week is the sum of rate × {hours_per_day} h per day, "
        "capped at the weekly maximum in force on its first payable day, rounded to øre",
        (("hours_per_day", hours), ("weekly_max", caps)),
        (("weeks", result), ("amount", total)),
        details="weeks",
    )
    return result, total


def already_granted(
    rec: Recorder, claim: Claim, days: list[int], mine: Iterable[GrantedDays]
) -> list[int]:
    """Drop days already granted to the same employer by an earlier claim."""
    granted = {d.toordinal() for entry in mine for d in entry.days}
    kept = [o for o in days if o not in granted]
    dropped = len(days) - len(kept)
    rec.step(
        "already_granted",
        "Double payment check (earlier decisions for the same employer)",
        "{days_already_granted} of the days were already granted to this employer",
        (("earlier_days_for_this_employer", len(granted)),),
        (("days_already_granted", dropped),),
    )
    if dropped:
        rec.reason(
            codes.RULE_DAYS_ALREADY_GRANTED,
            f"{dropped} day(s) were already granted to this employer by an earlier claim and "
            "are not paid again",
            "Double payment check",
            reduces=True,
        )
    return kept


def payee(rec: Recorder, claim: Claim, *, employer_reference: str, employee_reference: str):
    """The employer's CVR when it paid salary (refusion), else the employee's CPR."""
    if claim.salary_paid:
        who = Payee("cvr", claim.employer_cvr)
        reference, template = employer_reference, "salary paid: reimbursement to the employer"
    else:
        who = Payee("cpr", claim.employee_cpr)
        reference, template = employee_reference, "no salary paid: benefit to the employee"
    rec.step(
        "payee",
        reference,
        template + " ({payee})",
        (("salary_paid", claim.salary_paid),),
        (("payee", who.display()),),
    )
    return who
