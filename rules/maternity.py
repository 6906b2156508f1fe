"""Maternity and parental pay reimbursement (barselsloven), the steps of ``maternity.md``.

1. scheme: children born on or after 2 August 2022 (else ``RULE_MAT_OLD_SCHEME``); a claim
   made before the birth is placed by its expected date;
2. employment requirement (§ 27, stk. 1, nr. 1);
3. the entitled window for this parent (``RULE_MAT_OUTSIDE_WINDOW``) and
4. entitlement in weeks, counting earlier claims (``RULE_MAT_ENTITLEMENT_USED``), both in
   ``rules.maternity_days`` (which also holds the choices for claims made before the birth);
5. deadline, 8 weeks after the last day of the leave (§ 40; ``RULE_MAT_LATE`` rejects);
6. hours, rate, amount as for sick pay (``rules.steps``), on Monday–Friday benefit days —
   public holidays are *not* excluded for maternity pay;
7. salary cap (``RULE_MAT_SALARY_CAP``); 8. the § 39 a supplement to an employer's refusion
   (``rules.supplement``); 9. who is paid (§ 39).

Scheme parameters (weeks) are read on the child's birth date (the expected date before the
birth); money parameters per day.

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

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from rules import codes
from rules.claim import Claim
from rules.days import dates_of
from rules.decision import Decision, Week, plain
from rules.history import GrantedDays, same_child
from rules.maternity_days import entitlement, window
from rules.parameters import Parameters
from rules.recorder import Recorder
from rules.steps import already_granted, employment_requirement, hours_per_day, payee, price
from rules.supplement import supplement, week_supplement

__all__ = ["NEW_SCHEME_FROM", "decide_maternity"]

NEW_SCHEME_FROM = date(2022, 8, 2)
REF_SCHEME = "Barselsloven, as amended for children born or received from 2 August 2022"
REF_EMPLOYMENT = "Barselsloven § 27, stk. 1, nr. 1"
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
    expected = claim.expected_birth_date
    anchor = birth or expected  # before the birth, the expected date places the claim
    if anchor is None or claim.parent is None:  # parse_claim guarantees both
        raise ValueError(
            "a maternity claim needs parent and child_birth_date (or, for a "
            "mother before the birth, expected_birth_date)"
        )
    # 1. scheme
    new_scheme = anchor >= NEW_SCHEME_FROM
    rec.step(
        "scheme",
        REF_SCHEME,
        ("child born {child_birth_date}: " if birth else "child expected {expected_birth_date}: ")
        + ("the scheme from 2 August 2022 applies" if new_scheme else "older scheme")
        + "; not assessed: {out_of_scope}",
        (
            ("child_birth_date", birth),
            ("expected_birth_date", expected),
            ("new_scheme_from", NEW_SCHEME_FROM),
        ),
        (("new_scheme", new_scheme), ("out_of_scope", OUT_OF_SCOPE)),
    )
    if not new_scheme:
        rec.reason(
            codes.RULE_MAT_OLD_SCHEME,
            f"the child was {'born' if birth else 'expected'} {anchor.isoformat()}, before "
            "2 August 2022: the older scheme applies and is out of scope",
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
    pre, post = window(rec, claim, params, anchor)
    if not pre and not post:
        return rec.rejected()
    # 4. entitlement (and days already granted to this employer)
    mine = [
        h
        for h in history
        if h.kind == "maternity" and h.parent == claim.parent and same_child(h, birth, expected)
    ]
    same_employer = [h for h in mine if h.employer_cvr == claim.employer_cvr]
    if same_employer:
        kept = already_granted(rec, claim, pre + post, same_employer)
        split = anchor.toordinal()
        pre = [o for o in kept if o < split]
        post = [o for o in kept if o >= split]
    days = entitlement(rec, claim, params, anchor, pre, post, mine)
    if days is None or not days:
        return rec.rejected()
    # 5. deadline
    if not _deadline(rec, claim, params, anchor):
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
        supplement_rate=params["maternity.refusion_supplement_rate"] if claim.salary_paid else None,
    )
    # 7. salary cap
    if claim.salary_paid_amount is not None:
        weeks, amount = _salary_cap(rec, claim.salary_paid_amount, weeks, amount)
    # 8. the § 39 a supplement to an employer's refusion (worked out per week with the amounts)
    extra = supplement(rec, claim, weeks)
    # 9. payee
    who = payee(rec, claim, employer_reference=REF_REFUSION, employee_reference=REF_DIRECT)
    return rec.finish(amount, weeks, dates_of(days), who, extra)


def _deadline(rec: Recorder, claim: Claim, params: Parameters, anchor: date) -> bool:
    weeks = rec.use(params["maternity.claim_deadline_weeks"].at(anchor))
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
            amount = w.amount - take
            rate = w.supplement_rate  # § 39 a: the supplement follows the reduced refusion
            extra = week_supplement(amount, rate.value) if rate is not None else w.supplement
            out[i] = replace(w, amount=amount, supplement=extra)
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
