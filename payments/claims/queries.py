"""Looking at stored claims: the list, one claim's decision document, the recoveries.

Read-only (but for the audit row of a reveal); each function opens its own transaction.
Shared by the CLI and the HTTP API, so both show the same: a decision document is masked
(:func:`identifiers.privacy.mask_decision`: a CPR payee's number, any full number in it)
unless the caller asks to reveal it, and every reveal is written to the audit log under
the actor who asked — here, so that no caller can reveal without the audit row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from identifiers import cvr, mask_owner
from identifiers.privacy import mask_decision
from payments import actors, audit, money
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


def document(
    engine: Engine, employer: str, external_ref: str, *, reveal: bool = False,
    actor: str | None = None, now: dt.datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The live decision document of one claim (with its trace), and the claim's version;
    masked unless ``reveal`` (then audited under ``actor`` at ``now``)."""
    with session_scope(engine) as session:
        claim, decision = intake.find(session, cvr.parse(employer, "employer"), external_ref)
        doc = json.loads(decision.document) | {"version": claim.version}
        if reveal:
            _revealed(session, actor, now, f"claim:{claim.id}", command="claims show",
                      claim_id=claim.id, version=claim.version)  # fmt: skip
        return decision_view(doc, reveal)


def decision_view(document: dict[str, Any], reveal: bool) -> dict[str, Any]:
    """A decision document as it may be shown: masked unless ``reveal`` (which the caller
    has audited: :func:`document` does, :func:`record_reveal` for documents it did not read)."""
    return document if reveal else mask_decision(document)


def record_reveal(
    engine: Engine, *, actor: str, now: dt.datetime, subject: str, **payload: Any
) -> None:
    """Audit a reveal of decision documents shown straight from the intake (``claims submit
    --reveal``): before any is shown, so none is shown without its audit row."""
    with session_scope(engine) as session:
        _revealed(session, actor, now, subject, **payload)


def _revealed(session, actor, now, subject: str, **payload: Any) -> None:
    if now is None:
        raise ValueError("a reveal is audited: give the time")  # a caller's bug
    audit.append(
        session, actor=actors.actor(actor), action="claim.revealed", subject=subject,
        payload=payload, now=now,
    )  # fmt: skip


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
