"""What one chunk of a claim intake knows: stored claims, live decisions, history.

Used by :mod:`payments.claims`, which processes a claim file in chunks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

import rules
from payments.db import among
from payments.models import LIVE_DECISION, Claim, Decision
from rules.history import same_child


def _granted(decision: Decision, claim: Claim) -> rules.GrantedDays:
    days = tuple(dt.date.fromisoformat(d) for d in decision.granted_days.split(",") if d)
    return rules.GrantedDays(
        kind=claim.kind,
        days=days,
        parent=claim.parent,
        child_birth_date=claim.child_birth_date,
        employer_cvr=claim.employer_cvr,
        expected_birth_date=claim.expected_birth_date,
    )


class ClaimChunk:
    """Everything one chunk needs from the database, fetched up front in one query.

    The chunk's existing claims by ``(employer_cvr, external_ref)`` and every live decision
    of its employees at any employer; then history (§ 24, maternity weeks) and overlap are
    answered from memory, and :meth:`remember` keeps them current as the chunk stores
    claims. A claim is an ORM object, or the row of one made earlier in the same chunk.
    """

    def __init__(self, session: Session, claims: list[rules.Claim], documents: bool) -> None:
        keys = {(c.employer_cvr, c.external_ref) for c in claims}
        employees = {c.employee_cpr for c in claims}
        self.by_key: dict[tuple[str, str], tuple[Claim, Decision]] = {}
        # live decisions per employee (all employers), for history and overlap
        self.live: dict[str, list[tuple[Claim, Decision]]] = defaultdict(list)
        self.employee_of: dict[int, str] = {}  # claim id -> the list of live it is in
        # by employee, and by key: a correction may name another employee (a mistyped CPR);
        # by reference alone (the key's index starts with it), the employer checked below
        query = (
            select(Claim, Decision)
            .join(Decision, LIVE_DECISION)
            .where(
                or_(
                    among(session, Claim.employee_cpr, employees),
                    among(session, Claim.external_ref, {ref for _, ref in keys}),
                )
            )
        )
        if not documents:  # the stored traces are large; only JSON output needs them
            query = query.options(defer(Decision.document), defer(Claim.raw))
        rows = session.execute(query).all()
        for claim, decision in rows:
            self.live[claim.employee_cpr].append((claim, decision))
            self.employee_of[claim.id] = claim.employee_cpr
            if (claim.employer_cvr, claim.external_ref) in keys:
                self.by_key[(claim.employer_cvr, claim.external_ref)] = (claim, decision)

    def history(self, claim: rules.Claim, exclude: Claim | None) -> tuple[rules.GrantedDays, ...]:
        out = []
        for stored, decision in self.live.get(claim.employee_cpr, ()):
            if (
                _same_claim(stored, exclude)
                or stored.kind != claim.kind
                or not decision.granted_days
            ):
                continue
            granted = _granted(decision, stored)
            if claim.kind == "maternity" and (
                stored.parent != claim.parent
                or not same_child(granted, claim.child_birth_date, claim.expected_birth_date)
            ):
                continue  # another parent, or another child (rules.history.same_child)
            out.append(granted)
        return tuple(out)

    def overlap(self, claim: rules.Claim, exclude: Claim | None) -> Claim | None:
        if claim.kind != "sickness":
            return None
        for stored, _ in self.live.get(claim.employee_cpr, ()):
            if (
                not _same_claim(stored, exclude)
                and stored.kind == "sickness"
                and stored.employer_cvr == claim.employer_cvr
                and stored.first_day <= claim.last_absence_day
                and claim.first_absence_day <= stored.last_day
            ):
                return stored
        return None

    def remember(self, claim: Claim, decision: Decision) -> None:
        """The claim's live decision is now ``decision`` (a correction may have moved the
        claim to another employee: it leaves the old one's history)."""
        before = self.employee_of.get(claim.id)
        for employee in {before, claim.employee_cpr} - {None}:
            entries = self.live[employee]
            entries[:] = [(c, d) for c, d in entries if c.id != claim.id]
        self.live[claim.employee_cpr].append((claim, decision))
        self.employee_of[claim.id] = claim.employee_cpr
        self.by_key[(claim.employer_cvr, claim.external_ref)] = (claim, decision)


def _same_claim(a, b) -> bool:
    """The same stored claim (as an ORM object, or as the row of one made in this chunk)."""
    return b is not None and a.id == b.id
