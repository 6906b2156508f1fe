"""How many claims each company has sent, kept as they are created.

The employer's claim list shows its total on every view; counting the company's claims
each time cost about 2.5 ms of PostgreSQL for 10,000 claims and grows with the company, so
``employer_claim_counts`` (revision 1000) keeps the number: :func:`add` is called by the
intake with the claims it created, in the transaction that inserts them, and after the
audit event's lock (:func:`payments.audit.append`), which every storing intake takes anyway:
the count's row is locked only by a transaction that already holds that lock, so it adds no
wait and no lock order to deadlock on. Claims are never deleted, so the number only grows.

:func:`check` compares the kept numbers with the claims themselves (the intake's tests and
its Hypothesis property use it).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.orm import Session

from payments.models import Claim, EmployerClaimCount

#: PostgreSQL and SQLite (3.24 and later) both speak this upsert
_ADD = text(
    "INSERT INTO employer_claim_counts (employer_cvr, claims) VALUES (:cvr, :n) "
    "ON CONFLICT (employer_cvr) DO UPDATE "
    "SET claims = employer_claim_counts.claims + excluded.claims"
)


def add(session: Session, created: Counter[str]) -> None:
    """Count ``created`` (claims created, by employer CVR) in; CVRs in order, one lock
    order for any transaction that creates claims of several companies."""
    rows = [{"cvr": cvr, "n": n} for cvr, n in sorted(created.items()) if n]
    if rows:
        session.execute(_ADD, rows)


def kept(employer_cvr) -> ColumnElement[int]:
    """The company's kept number as a column (0 for one that has sent none), for another
    statement to carry: the claim list's page of claims brings its total along, one
    statement instead of two. ``employer_cvr`` is a value or a bound parameter."""
    found = select(EmployerClaimCount.claims).where(EmployerClaimCount.employer_cvr == employer_cvr)
    return func.coalesce(found.scalar_subquery(), 0)


_TOTAL = select(kept(bindparam("employer_cvr")))


def total(session: Session, employer_cvr: str) -> int:
    """The number of claims the company has sent (0 for one that has sent none)."""
    return session.scalar(_TOTAL, {"employer_cvr": employer_cvr})


def check(session: Session) -> list[tuple[str, int, int]]:
    """Every company whose kept number differs from its claims: (CVR, kept, counted)."""
    per_company = select(Claim.employer_cvr, func.count()).group_by(Claim.employer_cvr)
    counted = {cvr: n for cvr, n in session.execute(per_company)}
    kept_rows = select(EmployerClaimCount.employer_cvr, EmployerClaimCount.claims)
    kept = {cvr: n for cvr, n in session.execute(kept_rows)}
    return sorted(
        (cvr, kept.get(cvr, 0), counted.get(cvr, 0))
        for cvr in counted.keys() | kept.keys()
        if kept.get(cvr, 0) != counted.get(cvr, 0)
    )
