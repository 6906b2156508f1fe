"""Sick pay reimbursement (sygedagpengeloven), the steps of ``sickness.md`` in order.

1. employment requirement towards the municipality (§ 32, stk. 1, nr. 1);
2. first reimbursable day (§§ 30, 55, 56; new hires; fewer than 74 hours in 8 weeks);
3. deadline and how far back refusion reaches (§ 59);
4. payable days: Monday–Friday, public holidays excluded while that rule is in force;
8. 22 weeks in 9 months (§ 24) — applied right after step 4, because it decides *which days*
   are paid; pricing days and then un-pricing them would give the same amount with a trace
   a clerk cannot follow. The trace shows the step where it is applied;
5. hours per day, the 4-hour floor for partial absence (§ 53);
6. hourly rate and 7. weekly amounts (§ 50), in ``rules.steps``;
9. who is paid (§ 54).

Choices where the spec is silent (each is what a clerk would expect):

- An absence wholly inside the employer period is ``rejected`` with
  ``RULE_SICK_EMPLOYER_PERIOD``; payable days that are all weekends or public holidays give
  ``RULE_SICK_NO_PAYABLE_DAYS``. Excluded weekends, holidays and employer-period days do not
  make a decision "partial": the law never pays them.
- "3 calendar months back" clamps to the end of a shorter month (31 May → 29 February).
  For an on-time claim it never bites (the deadline is 5 weeks after the first absence day),
  but it is applied and traced as the law states it.
- § 24 in detail: for every day *p* among this claim's payable days and the sickness days
  granted before (``history``, all employers, each date once) from 9 months before this
  claim's first payable day up to its last, count the granted + payable days in
  (p − 9 months, p].
  The first *p* where the count exceeds 110 stops payment after the end of *p*'s month;
  later days of this claim are not paid (``RULE_SICK_22_WEEKS``, "reassessment required").
  When the count passes 110 but the month's end is after the claim, the reason is still
  given (reassessment is due) without cutting anything. Extensions (§ 27) are out of scope.
- § 30, stk. 2 has two conditions for the employer period: employed with the employer for the
  8 weeks before the absence (``employment_start``) *and* at least 74 hours worked in them
  (``hours_last_8_weeks``, the parameter ``employer_period_min_hours``). Either one failing
  means no employer period: reimbursement from the first absence day. The hours are optional
  in the claim format; when they are absent the 74-hour condition is taken as met (the trace
  says so), which is the reading that never pays from day 1 without the employer saying so.
  A § 56 agreement decides first (from day 1 anyway); § 55 insurance comes after the § 30
  conditions (the day after the first absence day applies only where there is an employer
  period to shorten). § 30, stk. 4 (earlier spells with the same employer adding up to 74
  hours) is the employer's to reflect in the hours it reports.
- Days already granted to the same employer by an earlier claim are not paid twice
  (``RULE_DAYS_ALREADY_GRANTED``, see ``rules.history``).
- The 240 / 40 / 5-month thresholds, the 8-week new-hire rule, the 35/36-day deadlines and
  the 110-day limit are the statute's own numbers, kept here with their references; the
  amounts and periods that change are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rules import codes
from rules.claim import Claim
from rules.days import (
    DATES,
    add_months,
    dates_of,
    end_of_month,
    holidays_between,
    weekdays_between,
)
from rules.decision import Decision
from rules.history import GrantedDays
from rules.parameters import Parameters
from rules.recorder import Recorder
from rules.steps import already_granted, employment_requirement, hours_per_day, payee, price

__all__ = ["decide_sickness"]

REF_EMPLOYMENT = "Sygedagpengeloven § 32, stk. 1, nr. 1"
REF_EMPLOYER_PERIOD = "Sygedagpengeloven § 30"
REF_NEW_HIRE = "Sygedagpengeloven § 30, stk. 2 (8 weeks with the employer, at least 74 hours)"
REF_SMALL_EMPLOYER = "Sygedagpengeloven § 55"
REF_CHRONIC = "Sygedagpengeloven § 56"
REF_DEADLINE = "Sygedagpengeloven § 59"
REF_DAYS = "Sygedagpengeloven § 50, stk. 3 (5-day week); søgnehelligdage from 2 July 2012"
REF_22_WEEKS = "Sygedagpengeloven § 24"
REF_PARTIAL = "Sygedagpengeloven § 53"
REF_RATE = "Sygedagpengeloven § 50, stk. 1"
REF_AMOUNT = "Sygedagpengeloven § 50, stk. 1-2"
REF_REFUSION = "Sygedagpengeloven § 54"
REF_DIRECT = "Sygedagpengeloven § 6"

NEW_HIRE_DAYS = 56  # 8 weeks
DEADLINE_SALARY_PAID = 35  # 5 weeks
DEADLINE_NO_SALARY = 36  # one week after the 30-day employer period
REFUSION_MONTHS_BACK = 3
LIMIT_DAYS = 110  # 22 weeks × 5 days
LIMIT_MONTHS = 9


def decide_sickness(
    claim: Claim, history: Sequence[GrantedDays], params: Parameters, rec: Recorder
) -> Decision:
    # 1. employment requirement
    if not employment_requirement(
        rec,
        claim,
        reference=REF_EMPLOYMENT,
        code=codes.RULE_SICK_EMPLOYMENT,
        total_min=240,
        months_min=5,
    ):
        return rec.rejected()
    # 2. first reimbursable day
    first_paid = _first_reimbursable_day(rec, claim, params)
    # 3. deadline
    earliest = _deadline(rec, claim)
    # 4. payable days
    days = _payable_days(rec, claim, params, first_paid, earliest)
    if not days:
        return rec.rejected()
    # cross-claim rules
    if history:
        sick = [h for h in history if h.kind == "sickness"]
        mine = [h for h in sick if h.employer_cvr == claim.employer_cvr]
        if mine:
            days = already_granted(rec, claim, days, mine)
            if not days:
                return rec.rejected()
        earlier = {d.toordinal() for h in sick for d in h.days}
    else:
        earlier = set()
    # 8. 22 weeks in 9 months (applied here: it decides which days are paid)
    days = _twenty_two_weeks(rec, days, earlier)
    if not days:
        return rec.rejected()
    # 5. hours per day
    hours = hours_per_day(rec, claim, reference=REF_PARTIAL, code=codes.RULE_SICK_PARTIAL_MIN)
    if hours is None:
        return rec.rejected()
    # 6. + 7. rate and weekly amounts
    weeks, amount = price(
        rec,
        claim,
        days,
        hours,
        params["sickness.weekly_max"],
        params["sickness.am_contribution_rate"],
        params["sickness.hourly_max_basis_hours"],
        rate_reference=REF_RATE,
        amount_reference=REF_AMOUNT,
    )
    # 9. payee
    who = payee(rec, claim, employer_reference=REF_REFUSION, employee_reference=REF_DIRECT)
    return rec.finish(amount, weeks, dates_of(days), who)


def _first_reimbursable_day(rec: Recorder, claim: Claim, params: Parameters) -> date:
    first = claim.first_absence_day
    hours = claim.hours_last_8_weeks
    inputs: tuple[tuple[str, object], ...] = (
        ("first_absence_day", first),
        ("section_56_agreement", claim.section_56_agreement),
        ("employment_start", claim.employment_start),
        ("hours_last_8_weeks", hours),
        ("small_employer_insurance", claim.small_employer_insurance),
    )
    condition = None  # the 74-hour condition: "met", "not met", "taken as met" (not given)
    if claim.section_56_agreement:
        day, reference = first, REF_CHRONIC
        why = "§ 56 agreement (chronic or long-term illness): from the first absence day"
    elif claim.employment_start > first - timedelta(days=NEW_HIRE_DAYS):
        day, reference = first, REF_NEW_HIRE
        why = "employed less than 8 weeks: no employer period, from the first absence day"
    else:
        minimum = rec.use(params["sickness.employer_period_min_hours"].at(first))
        inputs += (("employer_period_min_hours", minimum),)
        if hours is None:
            condition = "taken as met"
        else:
            condition = "not met" if hours < minimum.value else "met"
        if condition == "not met":
            day, reference = first, REF_NEW_HIRE
            why = (
                "{hours_last_8_weeks} hours in the last 8 weeks, fewer than "
                "{employer_period_min_hours}: no employer period, from the first absence day"
            )
        else:
            met = (
                "{hours_last_8_weeks} hours in the last 8 weeks (at least "
                "{employer_period_min_hours})"
                if hours is not None
                else "hours in the last 8 weeks not given: the {employer_period_min_hours}-hour "
                "condition was taken as met"
            )
            if claim.small_employer_insurance:
                day, reference = first + timedelta(days=1), REF_SMALL_EMPLOYER
                why = (
                    met + "; § 55 insurance for small employers: from the day after the first "
                    "absence day"
                )
            else:
                period = rec.use(params["sickness.employer_period_days"].at(first))
                inputs += (("employer_period_days", period),)
                day, reference = first + timedelta(days=period.value), REF_EMPLOYER_PERIOD
                why = met + "; after the employer period of {employer_period_days} calendar days"
    rec.step(
        "first_reimbursable_day",
        reference,
        "first reimbursable day {first_reimbursable_day}: " + why,
        inputs,
        (("first_reimbursable_day", day), ("hours_condition", condition)),
    )
    return day


def _deadline(rec: Recorder, claim: Claim) -> date:
    """The earliest payable day under § 59; records RULE_SICK_LATE for a late claim."""
    first = claim.first_absence_day
    days = DEADLINE_SALARY_PAID if claim.salary_paid else DEADLINE_NO_SALARY
    deadline = first + timedelta(days=days)
    on_time = claim.submitted_on <= deadline
    if on_time:
        earliest = add_months(claim.submitted_on, -REFUSION_MONTHS_BACK)
        template = (
            "deadline {deadline} ({deadline_days} days after the first absence day): on time; "
            "days from {earliest_payable_day} (3 calendar months before submission) are payable"
        )
    else:
        earliest = claim.submitted_on
        template = (
            "deadline {deadline} ({deadline_days} days after the first absence day): late; "
            "only days from the submission day {earliest_payable_day} are payable"
        )
        rec.reason(
            codes.RULE_SICK_LATE,
            f"submitted {claim.submitted_on.isoformat()}, after the deadline "
            f"{deadline.isoformat()}: only days from the submission day are reimbursed",
            REF_DEADLINE,
            reduces=True,
        )
    rec.step(
        "deadline",
        REF_DEADLINE,
        template,
        (
            ("first_absence_day", first),
            ("salary_paid", claim.salary_paid),
            ("submitted_on", claim.submitted_on),
        ),
        (
            ("deadline_days", days),
            ("deadline", deadline),
            ("on_time", on_time),
            ("earliest_payable_day", earliest),
        ),
    )
    return earliest


def _payable_days(
    rec: Recorder, claim: Claim, params: Parameters, first_paid: date, earliest: date
) -> list[int]:
    start = max(first_paid, earliest)
    last = claim.last_absence_day
    days: list[int] = []
    holidays_skipped: list[date] = []
    used = []
    rule = params["sickness.exclude_public_holidays"]
    o, end = start.toordinal(), last.toordinal()
    while True:
        o += (7 - (o + 6) % 7) % 7 if (o + 6) % 7 >= 5 else 0  # to a weekday
        if o > end:
            break
        value = rec.use(rule.at(DATES[o]))
        used.append(value)
        stop = min(end, value.last_ordinal)
        days.extend(weekdays_between(o, stop, exclude_holidays=value.value))
        if value.value:
            holidays_skipped.extend(holidays_between(o, stop))
        o = stop + 1
    rec.step(
        "payable_days",
        REF_DAYS,
        "{payable_days} payable days (Monday–Friday) from {from_day} to {last_absence_day}; "
        "public holidays not paid: {public_holidays_excluded}",
        (
            ("first_reimbursable_day", first_paid),
            ("earliest_payable_day", earliest),
            ("last_absence_day", last),
            ("exclude_public_holidays", used[0] if len(used) == 1 else tuple(used)),
        ),
        (
            ("from_day", start),
            ("payable_days", len(days)),
            ("public_holidays_excluded", tuple(holidays_skipped)),
        ),
    )
    if not days:
        if first_paid > last:
            rec.reason(
                codes.RULE_SICK_EMPLOYER_PERIOD,
                f"the absence ends {last.isoformat()}, within the employer period; "
                f"reimbursement would start {first_paid.isoformat()}",
                REF_EMPLOYER_PERIOD,
            )
        elif earliest <= last:
            rec.reason(
                codes.RULE_SICK_NO_PAYABLE_DAYS,
                "no weekday outside public holidays is left to reimburse",
                REF_DAYS,
            )
    return days


def _twenty_two_weeks(rec: Recorder, days: list[int], earlier: set[int]) -> list[int]:
    union = sorted(earlier.union(days)) if earlier else days
    passed = stop = None
    peak: int | None = 0
    if len(union) > LIMIT_DAYS:
        relevant = add_months(DATES[days[0]], -LIMIT_MONTHS).toordinal()
        last = days[-1]
        lo = 0
        for i, p in enumerate(union):
            if p > last:
                break  # granted days after this claim do not stop it
            bound = add_months(DATES[p], -LIMIT_MONTHS).toordinal()
            while union[lo] <= bound:
                lo += 1
            count = i - lo + 1
            if p > relevant:
                peak = max(peak, count)
                if count > LIMIT_DAYS:
                    passed = DATES[p]
                    stop = end_of_month(passed)
                    break
    else:
        peak = None  # at most len(union) <= 110: nothing to look for
    kept = days
    if stop is not None:
        stop_o = stop.toordinal()
        kept = [o for o in days if o <= stop_o]
    cut = len(days) - len(kept)
    rec.step(
        "22_weeks_in_9_months",
        REF_22_WEEKS,
        (
            "{days_counted} days counted (this claim and {earlier_sickness_days} granted "
            "before); the count stays within 110 in every 9-month window"
            if passed is None
            else "the count passed 110 on {passed_on}: payment stops after {stop_after}; "
            "{days_cut} day(s) of this claim not paid"
        ),
        (("earlier_sickness_days", len(earlier)), ("limit_days", LIMIT_DAYS)),
        (
            ("days_counted", len(union)),
            ("highest_count", peak),
            ("passed_on", passed),
            ("stop_after", stop),
            ("days_cut", cut),
        ),
    )
    if passed is not None:
        rec.reason(
            codes.RULE_SICK_22_WEEKS,
            f"more than 22 weeks of sick pay within 9 months on {passed.isoformat()}: payment "
            f"stops after {stop.isoformat()}, reassessment required",
            REF_22_WEEKS,
            reduces=cut > 0,
        )
    return kept
