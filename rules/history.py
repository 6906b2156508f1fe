"""What earlier decisions granted: the input of the cross-claim rules.

Contract with the caller (the claims intake):

- Pass ``decide(claim, history)`` the ``GrantedDays`` of every *current* (not superseded)
  decision with status ``approved`` or ``partially_approved`` for **the same employee**
  (same CPR), from all employers. The rules do not check the CPR: filtering by employee is
  the caller's job. When deciding a correction, leave out the decision it supersedes.
- ``GrantedDays.from_decision(decision)`` builds one from a stored ``Decision``;
  ``GrantedDays.from_dict(data)`` from its JSON (``Decision.to_dict()``), so the intake can
  keep either. A decision that paid nothing contributes nothing.
- ``days`` are the days actually paid (``Decision.granted_days``), not the absence period:
  the employer period, weekends, public holidays and days cut by a rule are never in it.

How the rules read it:

- sickness, § 24 (22 weeks in 9 months): every ``kind == "sickness"`` entry counts, from
  any employer; a date is counted once even if two employers were paid for it.
- maternity, entitlement: the entries with ``kind == "maternity"``, the claim's ``parent`` and
  the same child (:func:`same_child`); days before the birth count against the pre-birth weeks,
  days from the birth on against the weeks after birth. The rules pick these entries
  themselves, so the caller may pass every maternity entry of the employee — and must pass the
  pre-birth ones (``child_birth_date`` None, ``expected_birth_date`` set): filtering them out
  by birth date would pay the 4 pre-birth weeks twice.
- both: a day already granted to the *same employer* for the same kind (and, for maternity,
  the same child) is not paid again (``RULE_DAYS_ALREADY_GRANTED``). Another employer may be
  paid for the same day (a second job); the day then uses no extra entitlement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules.decision import Decision

__all__ = ["SAME_PREGNANCY_DAYS", "GrantedDays", "same_child"]

#: two records of one parent, at least one of them without a birth date, are about the same
#: child when their dates (the birth date where known, else the expected date) are at most
#: this far apart: a child is born from about 18 weeks before its expected date (the earliest
#: viable births) to a few weeks after, while the next child of the same mother cannot be
#: expected within 20 weeks of the previous birth or due date
SAME_PREGNANCY_DAYS = 140


@dataclass(frozen=True, slots=True)
class GrantedDays:
    """Days paid to one employee by one earlier decision."""

    kind: str  # "sickness" | "maternity"
    days: tuple[date, ...]
    parent: str | None = None  # maternity
    child_birth_date: date | None = None  # maternity; None for a claim made before the birth
    employer_cvr: str | None = None
    expected_birth_date: date | None = None  # maternity, when the claim gave it

    @classmethod
    def from_decision(cls, decision: Decision) -> GrantedDays:
        return cls(
            kind=decision.kind or "",
            days=decision.granted_days,
            employer_cvr=decision.employer_cvr,
            parent=decision.parent,
            child_birth_date=decision.child_birth_date,
            expected_birth_date=decision.expected_birth_date,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GrantedDays:
        """From the decision JSON (``Decision.to_dict()``)."""
        birth = data.get("child_birth_date")
        expected = data.get("expected_birth_date")
        return cls(
            kind=str(data.get("kind") or ""),
            days=tuple(date.fromisoformat(d) for d in data.get("granted_days") or ()),
            employer_cvr=data.get("employer_cvr"),
            parent=data.get("parent"),
            child_birth_date=date.fromisoformat(birth) if birth else None,
            expected_birth_date=date.fromisoformat(expected) if expected else None,
        )


def same_child(entry: GrantedDays, birth: date | None, expected: date | None) -> bool:
    """Whether ``entry`` is about the child of a claim with this ``birth`` / ``expected`` date.

    A child is identified by its birth date once it is known: two records that both give one
    are about the same child exactly when the dates are equal (twins share a birth). A claim
    made before the birth only knows the expected date, and a later claim may give the real
    birth date with or without repeating the expected one, or a revised one; so when either
    record lacks a birth date, the two are about the same child when their dates — each one's
    birth date if it has one, else its expected date — are at most ``SAME_PREGNANCY_DAYS``
    apart.

    >>> pre = GrantedDays("maternity", (), "mother", None, None, date(2026, 4, 6))
    >>> same_child(pre, date(2026, 4, 8), None)       # born two days after the due date
    True
    >>> same_child(pre, date(2025, 3, 1), None)       # an older sibling
    False
    """
    if entry.child_birth_date is not None and birth is not None:
        return entry.child_birth_date == birth
    theirs = entry.child_birth_date or entry.expected_birth_date
    mine = birth or expected
    if theirs is None or mine is None:
        return False
    return abs(theirs.toordinal() - mine.toordinal()) <= SAME_PREGNANCY_DAYS
