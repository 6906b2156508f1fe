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
- maternity, entitlement: the entries with ``kind == "maternity"`` and the claim's ``parent``
  and ``child_birth_date``; days before the birth count against the pre-birth weeks, days
  from the birth on against the weeks after birth.
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

__all__ = ["GrantedDays"]


@dataclass(frozen=True, slots=True)
class GrantedDays:
    """Days paid to one employee by one earlier decision."""

    kind: str  # "sickness" | "maternity"
    days: tuple[date, ...]
    parent: str | None = None  # maternity
    child_birth_date: date | None = None  # maternity
    employer_cvr: str | None = None

    @classmethod
    def from_decision(cls, decision: Decision) -> GrantedDays:
        return cls(
            kind=decision.kind or "",
            days=decision.granted_days,
            employer_cvr=decision.employer_cvr,
            parent=decision.parent,
            child_birth_date=decision.child_birth_date,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GrantedDays:
        """From the decision JSON (``Decision.to_dict()``)."""
        birth = data.get("child_birth_date")
        return cls(
            kind=str(data.get("kind") or ""),
            days=tuple(date.fromisoformat(d) for d in data.get("granted_days") or ()),
            employer_cvr=data.get("employer_cvr"),
            parent=data.get("parent"),
            child_birth_date=date.fromisoformat(birth) if birth else None,
        )
