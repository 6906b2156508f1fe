"""Looking at stored claims: the list, one claim's decision document, the recoveries.

Read-only; each function opens its own transaction. Shared by the CLI and the HTTP API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from identifiers import cvr, mask_owner
from payments import money
from payments.claims import intake
from payments.db import session_scope
from payments.models import Claim, Decision, Recovery

LIST_LIMIT = 1000


def list_claims(
    engine: Engine, *, employer: str | None = None, status: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[dict[str, Any]]:  # fmt: skip
    """Claims with their live decision, newest first."""
    query = (
        select(
            Claim.employer_cvr,
            Claim.external_ref,
            Claim.kind,
            Claim.first_day,
            Claim.last_day,
            Claim.version,
            Decision.status,
            Decision.amount_ore,
            Decision.codes,
        )
        .join(Decision, (Decision.claim_id == Claim.id) & Decision.superseded.is_(False))
        .order_by(Claim.id.desc())
        .limit(limit)
    )
    if employer:
        query = query.where(Claim.employer_cvr == cvr.parse(employer, "employer"))
    if status:
        query = query.where(Decision.status == status)
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    return [
        {
            "employer_cvr": r.employer_cvr,
            "external_ref": r.external_ref,
            "kind": r.kind,
            "period": f"{r.first_day}..{r.last_day}",
            "version": r.version,
            "status": r.status,
            "amount": money.text(r.amount_ore),
            "codes": [c for c in r.codes.split(",") if c],
        }
        for r in rows
    ]


def document(engine: Engine, employer: str, external_ref: str) -> dict[str, Any]:
    """The live decision document of one claim (with its trace), and the claim's version."""
    with session_scope(engine) as session:
        claim, decision = intake.find(session, cvr.parse(employer, "employer"), external_ref)
        return json.loads(decision.document) | {"version": claim.version}


@dataclass(frozen=True, slots=True)
class RecoveryLine:
    employer_cvr: str
    external_ref: str
    payee_kind: str
    payee: str  # masked
    amount: Decimal
    created_at: Any


def recoveries(engine: Engine, *, employer: str | None = None) -> list[RecoveryLine]:
    """Amounts to claw back after corrections lowered what was already paid (masked)."""
    query = (
        select(
            Claim.employer_cvr,
            Claim.external_ref,
            Recovery.payee_kind,
            Recovery.payee_number,
            Recovery.amount_ore,
            Recovery.created_at,
        )
        .join(Claim, Claim.id == Recovery.claim_id)
        .order_by(Recovery.id)
    )
    if employer:
        query = query.where(Claim.employer_cvr == cvr.parse(employer, "employer"))
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    return [
        RecoveryLine(
            r.employer_cvr,
            r.external_ref,
            r.payee_kind,
            mask_owner(r.payee_kind, r.payee_number),
            money.kr(r.amount_ore),
            r.created_at,
        )
        for r in rows
    ]
