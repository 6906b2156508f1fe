"""Which benefit days of a maternity claim are payable: the entitled window and the entitlement.

Steps 3 and 4 of ``maternity.md``, split out of ``rules.maternity`` (which keeps the order of
the steps) because they are the part that knows about births, expected dates and earlier
claims.

Two dates place a claim's days: the *split* between pre-birth and post-birth days is the
birth date, and the 4 pre-birth weeks count back from the expected date (or the birth date when
no expected date is given). A mother may claim before the birth (a *pre-birth claim*, with
``expected_birth_date`` and no ``child_birth_date``). Choices for that case, where the
specification is terse:

- The expected date stands in for the birth: the split is the expected date, the 4 weeks
  count back from it (``expected − 28 days`` … ``expected − 1``), and the scheme parameters
  (weeks) are read on it.
- Nothing on or after the expected date is payable on a pre-birth claim: without the real
  birth date the engine cannot tell a late pregnancy's last weeks from days after the birth.
  Those days are ``RULE_MAT_OUTSIDE_WINDOW`` (not paid, the rest of the claim is); the employer
  claims them again, with ``child_birth_date``, once the child is born. Days before the 4 weeks
  are outside the window too, as for any mother's claim — that is how "the expected date must
  not be more than 4 weeks after the first absence day" is applied: as a rule that cuts, not as
  validation that refuses the whole claim.
- Validation (``rules.claim``) already refused a pre-birth claim covering days after its
  submission, and one by a father or co-mother (they need the birth date).
- Earlier claims for the same child are found by :func:`rules.history.same_child`: a pre-birth
  claim and the later one that gives the birth date are one child, so the 4 pre-birth weeks are
  counted once across both.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta

from rules import codes
from rules.claim import Claim
from rules.days import DATES, weekdays_between
from rules.history import GrantedDays
from rules.parameters import Parameters
from rules.recorder import Recorder

__all__ = ["REF_ENTITLEMENT", "REF_WINDOW", "entitlement", "window"]

REF_WINDOW = "Barselsloven § 6, stk. 1 (4 weeks before the expected birth) and § 7 (after)"
REF_ENTITLEMENT = "Barselsloven; vejledning nr. 9816 af 27/10/2023, afsnit 1.1"


def window(
    rec: Recorder, claim: Claim, params: Parameters, anchor: date
) -> tuple[list[int], list[int]]:
    """Split the claim's benefit days (Mon–Fri) into pre-birth and post-birth days.

    ``anchor`` is the date the scheme is read on: the birth date, or for a pre-birth claim
    the expected date.
    """
    birth = claim.child_birth_date
    expected = claim.expected_birth_date
    before = rec.use(params["maternity.weeks_before_birth"].at(anchor))
    mother = claim.parent == "mother"
    pre_start = ((expected or anchor) - timedelta(days=7 * before.value)).toordinal()
    split = anchor.toordinal()  # the birth, or the expected date before the birth
    weekdays = weekdays_between(
        claim.first_absence_day.toordinal(), claim.last_absence_day.toordinal(), False
    )
    at_split = bisect_left(weekdays, split)
    prior = weekdays[:at_split]
    if birth is None:  # a pre-birth claim: nothing from the expected date on, yet
        post, unborn = [], weekdays[at_split:]
    else:
        post, unborn = weekdays[at_split:], []
    at_window = bisect_left(prior, pre_start) if mother else len(prior)
    pre = prior[at_window:]
    early = prior[:at_window]
    late_days = 0
    if birth is not None:
        first_birthday = _birthday(birth, 1)
        late_days = len(post) - bisect_left(post, first_birthday.toordinal())
    if birth is None:
        text = (
            "mother, before the birth (expected {expected_birth_date}): {pre_birth_from} … "
            "the day before the expected date; {pre_birth_days} pre-birth benefit days, "
            "{days_outside_window} outside ({days_from_expected_date} from the expected date "
            "on, payable only on a claim that gives the birth date)"
        )
    elif mother:
        text = (
            "mother: {pre_birth_from} … the day before the birth, and from {child_birth_date}; "
            "{pre_birth_days} pre-birth and {post_birth_days} post-birth benefit days, "
            "{days_outside_window} outside"
        )
    else:
        text = (
            "father / co-mother: from the birth date {child_birth_date}; {pre_birth_days} "
            "pre-birth and {post_birth_days} post-birth benefit days, {days_outside_window} "
            "outside"
        )
    if late_days:
        text += (
            "; {days_after_first_birthday} day(s) after the child's first birthday: postponed "
            "leave is out of scope and was not assessed"
        )
    outside = len(early) + len(unborn)
    rec.step(
        "entitled_window",
        REF_WINDOW,
        text,
        (
            ("parent", claim.parent),
            ("child_birth_date", birth),
            ("expected_birth_date", expected),
            ("weeks_before_birth", before),
        ),
        (
            ("pre_birth_from", DATES[pre_start] if mother else None),
            ("pre_birth_days", len(pre)),
            ("post_birth_days", len(post)),
            ("days_outside_window", outside),
            ("days_from_expected_date", len(unborn)),
            ("days_after_first_birthday", late_days),
        ),
    )
    if outside:
        parts = []
        if early:
            parts.append(
                f"{len(early)} benefit day(s) from {DATES[early[0]].isoformat()} lie outside "
                f"the {claim.parent}'s entitled window"
            )
        if unborn:
            parts.append(
                f"{len(unborn)} benefit day(s) from the expected birth date "
                f"{DATES[unborn[0]].isoformat()} on can only be paid on a claim that gives "
                "child_birth_date"
            )
        rec.reason(
            codes.RULE_MAT_OUTSIDE_WINDOW,
            "; ".join(parts) + ": not paid",
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


def entitlement(
    rec: Recorder,
    claim: Claim,
    params: Parameters,
    anchor: date,
    pre: list[int],
    post: list[int],
    mine: list[GrantedDays],
) -> list[int] | None:
    """The days within this parent's entitlement; ``None`` when a transfer is over the limit.

    ``mine`` are the earlier grants to this parent for this child; their days before
    ``anchor`` (the birth, or the expected date of a pre-birth claim) count against the
    pre-birth weeks, the others against the weeks after birth.
    """
    before = rec.use(params["maternity.weeks_before_birth"].at(anchor))
    after = rec.use(params["maternity.weeks_after_birth"].at(anchor))
    earmarked = rec.use(params["maternity.earmarked_weeks"].at(anchor))
    transferable = rec.use(params["maternity.transferable_weeks"].at(anchor))
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
    split = anchor.toordinal()
    granted = {d.toordinal() for h in mine for d in h.days}
    used_pre = sum(1 for o in granted if o < split)
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
