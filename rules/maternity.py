"""Maternity and parental pay reimbursement (barselsloven), the steps of ``maternity.md``.

1. scheme: children born on or after 2 August 2022 (else ``RULE_MAT_OLD_SCHEME``);
2. employment requirement (§ 27, stk. 1, nr. 1);
3. the entitled window for this parent (``RULE_MAT_OUTSIDE_WINDOW``);
4. entitlement in weeks, counting earlier claims (``RULE_MAT_ENTITLEMENT_USED``);
5. deadline, 8 weeks after the last day of the leave (§ 40; ``RULE_MAT_LATE`` rejects);
6. hours, rate, amount as for sick pay (``rules.steps``), on Monday–Friday benefit days —
   public holidays are *not* excluded for maternity pay;
7. salary cap (``RULE_MAT_SALARY_CAP``); 8. the § 39 a supplement to an employer's refusion
   (``rules.supplement``); 9. who is paid (§ 39).

Scheme parameters (weeks) are read on the child's birth date; money parameters per day.

Choices where the spec is silent or terse (each written down here on purpose):

- Pre-birth days count against the 4 pre-birth weeks only, literally: at most
  ``weeks_before_birth × 5`` benefit days before the birth, across all claims. When the child
  is born after the expected date the window runs to the day before the birth, but days
  beyond the 20 are not paid (``RULE_MAT_ENTITLEMENT_USED``). (The statute extends pregnancy
  leave to the actual birth; the spec caps it; the spec wins until it says otherwise.)
- The post-birth window has no end date in the spec; the entitlement in days bounds it.
  Postponed leave (udskudt orlov) is out of scope: when a claim has days after the child's
  first birthday, the trace says so and the days are assessed like any other.
- The entitlement is consumed in date order: history first (it was granted earlier), then
  this claim's days from the earliest. A day already granted to *another* employer (a second
  job) is paid without using more entitlement; one granted to the *same* employer is not
  paid again (``RULE_DAYS_ALREADY_GRANTED``).
- A partial absence uses the sickness rule (4 hours a week up to the normal hours), with its
  own code ``RULE_MAT_PARTIAL_MIN``.
- The salary cap keeps "amount = sum of weeks": the reduction is taken from the last week
  backwards. A salary with fractions of øre is rounded down, so the reimbursement never
  exceeds the salary. A cap that brings the amount to 0.00 rejects the claim and grants no days (the
  parent may then claim the benefit directly). Any cut makes the decision
  ``partially_approved``.
- More than ``transferable_weeks`` transferred in or out is rejected
  (``RULE_MAT_TRANSFER_LIMIT``); validation already limits both to 0–13.
- Out of scope (solo parents, multiple births, adoption, self-employed, extension and
  postponement, the 22 transferable weeks of non-employees): the trace's scope step says so.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from rules import codes
from rules.claim import Claim
from rules.days import DATES, dates_of, weekdays_between
from rules.decision import Decision, Week, plain
from rules.history import GrantedDays
from rules.parameters import Parameters
from rules.recorder import Recorder
from rules.steps import already_granted, employment_requirement, hours_per_day, payee, price
from rules.supplement import supplement

__all__ = ["NEW_SCHEME_FROM", "decide_maternity"]

NEW_SCHEME_FROM = date(2022, 8, 2)
REF_SCHEME = "Barselsloven, as amended for children born or received from 2 August 2022"
REF_EMPLOYMENT = "Barselsloven § 27, stk. 1, nr. 1"
REF_WINDOW = "Barselsloven § 6, stk. 1 (4 weeks before the expected birth) and § 7 (after)"
REF_ENTITLEMENT = "Barselsloven; vejledning nr. 9816 af 27/10/2023, afsnit 1.1"
REF_DEADLINE = "Barselsloven § 40, stk. 2"
REF_PARTIAL = "Barselsloven (partial absence, as sygedagpengeloven § 53)"
REF_RATE = "Barselsloven § 35"
REF_AMOUNT = "Barselsloven § 35"
REF_SALARY_CAP = "Barselsloven §§ 39-40"
REF_REFUSION = "Barselsloven § 39"
REF_DIRECT = "Barselsloven § 35 (barselsdagpenge paid to the parent)"
OUT_OF_SCOPE = (
    "solo parents, multiple births, adoption specifics, self-employed, leave extension and "
    "postponement (udskudt orlov), the non-employee rule of 22 transferable weeks"
)
_CENT = Decimal("0.01")


def decide_maternity(
    claim: Claim, history: Sequence[GrantedDays], params: Parameters, rec: Recorder
) -> Decision:
    birth = claim.child_birth_date
    if birth is None or claim.parent is None:  # parse_claim guarantees both
        raise ValueError("a maternity claim needs parent and child_birth_date")
    # 1. scheme
    new_scheme = birth >= NEW_SCHEME_FROM
    rec.step(
        "scheme",
        REF_SCHEME,
        "child born {child_birth_date}: "
        + ("the scheme from 2 August 2022 applies" if new_scheme else "older scheme")
        + "; not assessed: {out_of_scope}",
        (("child_birth_date", birth), ("new_scheme_from", NEW_SCHEME_FROM)),
        (("new_scheme", new_scheme), ("out_of_scope", OUT_OF_SCOPE)),
    )
    if not new_scheme:
        rec.reason(
            codes.RULE_MAT_OLD_SCHEME,
            f"the child was born {birth.isoformat()}, before 2 August 2022: the older scheme "
            "applies and is out of scope",
            REF_SCHEME,
        )
        return rec.rejected()
    # 2. employment requirement
    if not employment_requirement(
        rec,
        claim,
        reference=REF_EMPLOYMENT,
        code=codes.RULE_MAT_EMPLOYMENT,
        total_min=160,
        months_min=3,
    ):
        return rec.rejected()
    # 3. window
    pre, post = _window(rec, claim, params, birth)
    if not pre and not post:
        return rec.rejected()
    # 4. entitlement (and days already granted to this employer)
    mine = [
        h
        for h in history
        if h.kind == "maternity" and h.parent == claim.parent and h.child_birth_date == birth
    ]
    same_employer = [h for h in mine if h.employer_cvr == claim.employer_cvr]
    if same_employer:
        kept = already_granted(rec, claim, pre + post, same_employer)
        birth_o = birth.toordinal()
        pre = [o for o in kept if o < birth_o]
        post = [o for o in kept if o >= birth_o]
    days = _entitlement(rec, claim, params, birth, pre, post, mine)
    if days is None or not days:
        return rec.rejected()
    # 5. deadline
    if not _deadline(rec, claim, params, birth):
        return rec.rejected()
    # 6. hours, rate, amount
    hours = hours_per_day(rec, claim, reference=REF_PARTIAL, code=codes.RULE_MAT_PARTIAL_MIN)
    if hours is None:
        return rec.rejected()
    weeks, amount = price(
        rec,
        claim,
        days,
        hours,
        params["maternity.weekly_max"],
        params["maternity.am_contribution_rate"],
        params["maternity.hourly_max_basis_hours"],
        rate_reference=REF_RATE,
        amount_reference=REF_AMOUNT,
    )
    # 7. salary cap
    if claim.salary_paid_amount is not None:
        weeks, amount = _salary_cap(rec, claim.salary_paid_amount, weeks, amount)
    # 8. the § 39 a supplement to an employer's refusion
    weeks, extra = supplement(rec, claim, params, weeks, days)
    # 9. payee
    who = payee(rec, claim, employer_reference=REF_REFUSION, employee_reference=REF_DIRECT)
    return rec.finish(amount, weeks, dates_of(days), who, extra)


def _window(
    rec: Recorder, claim: Claim, params: Parameters, birth: date
) -> tuple[list[int], list[int]]:
    """Split the claim's benefit days (Mon–Fri) into pre-birth and post-birth days."""
    before = rec.use(params["maternity.weeks_before_birth"].at(birth))
    anchor = claim.expected_birth_date or birth
    mother = claim.parent == "mother"
    pre_start = (anchor - timedelta(days=7 * before.value)).toordinal()
    birth_o = birth.toordinal()
    weekdays = weekdays_between(
        claim.first_absence_day.toordinal(), claim.last_absence_day.toordinal(), False
    )
    at_birth = bisect_left(weekdays, birth_o)
    post = weekdays[at_birth:]
    prior = weekdays[:at_birth]
    at_window = bisect_left(prior, pre_start) if mother else len(prior)
    pre = prior[at_window:]
    outside = prior[:at_window]
    first_birthday = _birthday(birth, 1)
    late_days = len(post) - bisect_left(post, first_birthday.toordinal())
    if mother:
        window = "mother: {pre_birth_from} … the day before the birth, and from {child_birth_date}"
    else:
        window = "father / co-mother: from the birth date {child_birth_date}"
    rec.step(
        "entitled_window",
        REF_WINDOW,
        window + "; {pre_birth_days} pre-birth and {post_birth_days} post-birth benefit days, "
        "{days_outside_window} outside"
        + (
            "; {days_after_first_birthday} day(s) after the child's first birthday: postponed "
            "leave is out of scope and was not assessed"
            if late_days
            else ""
        ),
        (
            ("parent", claim.parent),
            ("child_birth_date", birth),
            ("expected_birth_date", claim.expected_birth_date),
            ("weeks_before_birth", before),
        ),
        (
            ("pre_birth_from", DATES[pre_start] if mother else None),
            ("pre_birth_days", len(pre)),
            ("post_birth_days", len(post)),
            ("days_outside_window", len(outside)),
            ("days_after_first_birthday", late_days),
        ),
    )
    if outside:
        rec.reason(
            codes.RULE_MAT_OUTSIDE_WINDOW,
            f"{len(outside)} benefit day(s) from {DATES[outside[0]].isoformat()} lie "
            f"outside the {claim.parent}'s entitled window and are not paid",
            REF_WINDOW,
            reduces=True,
        )
    if not weekdays:
        rec.reason(
            codes.RULE_MAT_NO_PAYABLE_DAYS,
            "the claimed period holds no benefit day (Monday–Friday)",
            REF_WINDOW,
        )
    return pre, post


def _birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return date(birth.year + years, 3, 1)


def _entitlement(
    rec: Recorder,
    claim: Claim,
    params: Parameters,
    birth: date,
    pre: list[int],
    post: list[int],
    mine: list[GrantedDays],
) -> list[int] | None:
    before = rec.use(params["maternity.weeks_before_birth"].at(birth))
    after = rec.use(params["maternity.weeks_after_birth"].at(birth))
    earmarked = rec.use(params["maternity.earmarked_weeks"].at(birth))
    transferable = rec.use(params["maternity.transferable_weeks"].at(birth))
    t_in, t_out = claim.weeks_transferred_in, claim.weeks_transferred_out
    inputs = (
        ("weeks_after_birth", after),
        ("earmarked_weeks", earmarked),
        ("transferable_weeks", transferable),
        ("weeks_before_birth", before),
        ("weeks_transferred_in", t_in),
        ("weeks_transferred_out", t_out),
    )
    if t_in > transferable.value or t_out > transferable.value:
        rec.step(
            "entitlement",
            REF_ENTITLEMENT,
            "at most {transferable_weeks} weeks can be transferred",
            inputs,
            (),
        )
        rec.reason(
            codes.RULE_MAT_TRANSFER_LIMIT,
            f"at most {transferable.value} weeks can be transferred in or out "
            f"({earmarked.value} of the {after.value} weeks are earmarked)",
            REF_ENTITLEMENT,
        )
        return None
    weeks = after.value + t_in - t_out
    birth_o = birth.toordinal()
    granted = {d.toordinal() for h in mine for d in h.days}
    used_pre = sum(1 for o in granted if o < birth_o)
    used_post = len(granted) - used_pre
    pre_kept, pre_cut = _consume(pre, granted, before.value * 5 - used_pre)
    post_kept, post_cut = _consume(post, granted, weeks * 5 - used_post)
    rec.step(
        "entitlement",
        REF_ENTITLEMENT,
        "{weeks_after_birth} + {weeks_transferred_in} − {weeks_transferred_out} = "
        "{entitled_weeks} weeks after birth ({entitled_days} days), {used_post_birth_days} "
        "used before; pre-birth {pre_birth_entitled_days} days, {used_pre_birth_days} used "
        "before; {days_cut} day(s) of this claim beyond the entitlement",
        inputs,
        (
            ("entitled_weeks", weeks),
            ("entitled_days", weeks * 5),
            ("used_post_birth_days", used_post),
            ("pre_birth_entitled_days", before.value * 5),
            ("used_pre_birth_days", used_pre),
            ("days_cut", pre_cut + post_cut),
        ),
    )
    if pre_cut or post_cut:
        rec.reason(
            codes.RULE_MAT_ENTITLEMENT_USED,
            f"{pre_cut + post_cut} benefit day(s) exceed the {claim.parent}'s entitlement "
            f"({weeks} weeks after birth, {before.value} before) and are not paid",
            REF_ENTITLEMENT,
            reduces=True,
        )
    return pre_kept + post_kept


def _consume(days: list[int], granted: set[int], left: int) -> tuple[list[int], int]:
    if not granted:
        kept = days[: max(left, 0)]
        return kept, len(days) - len(kept)
    kept: list[int] = []
    for o in days:
        if o in granted:
            kept.append(o)  # granted to another employer already: uses no more entitlement
        elif left > 0:
            kept.append(o)
            left -= 1
    return kept, len(days) - len(kept)


def _deadline(rec: Recorder, claim: Claim, params: Parameters, birth: date) -> bool:
    weeks = rec.use(params["maternity.claim_deadline_weeks"].at(birth))
    deadline = claim.last_absence_day + timedelta(days=7 * weeks.value)
    on_time = claim.submitted_on <= deadline
    rec.step(
        "deadline",
        REF_DEADLINE,
        "deadline {deadline} ({claim_deadline_weeks} weeks after the last day of leave): "
        + ("on time" if on_time else "late, the period is lost"),
        (
            ("last_absence_day", claim.last_absence_day),
            ("claim_deadline_weeks", weeks),
            ("submitted_on", claim.submitted_on),
        ),
        (("deadline", deadline), ("on_time", on_time)),
    )
    if not on_time:
        rec.reason(
            codes.RULE_MAT_LATE,
            f"submitted {claim.submitted_on.isoformat()}, after the deadline "
            f"{deadline.isoformat()}: the right to reimbursement for the period has lapsed",
            REF_DEADLINE,
        )
    return on_time


def _salary_cap(
    rec: Recorder, salary: Decimal, weeks: tuple[Week, ...], amount: Decimal
) -> tuple[tuple[Week, ...], Decimal]:
    capped = amount > salary
    new_amount = salary.quantize(_CENT, ROUND_DOWN) if capped else amount
    if capped:
        excess = amount - new_amount
        out = list(weeks)
        for i in range(len(out) - 1, -1, -1):
            if excess <= 0:
                break
            take = min(out[i].amount, excess)
            w = out[i]
            out[i] = replace(w, amount=w.amount - take)
            excess -= take
        weeks = tuple(out)
    rec.step(
        "salary_cap",
        REF_SALARY_CAP,
        "benefit {amount} kr, salary paid {salary_paid_amount} kr: reimbursement {reimbursed} kr",
        (("salary_paid_amount", salary), ("amount", amount)),
        (("capped", capped), ("reimbursed", new_amount)),
    )
    if capped:
        rec.reason(
            codes.RULE_MAT_SALARY_CAP,
            f"the benefit of {amount} kr is capped at the salary paid, {plain(salary)} kr",
            REF_SALARY_CAP,
            reduces=True,
        )
    return weeks, new_amount
