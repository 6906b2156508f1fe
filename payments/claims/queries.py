"""Looking at stored claims: the list, one claim's decision document, the recoveries (with
what of each is offset, open, paid back or written off).

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

from sqlalchemy import case, func, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from identifiers import cvr, mask_owner
from identifiers.privacy import mask_decision
from payments import actors, audit, money, order_views
from payments.claims import intake
from payments.db import read_scope, session_scope
from payments.errors import InputError
from payments.models import LIVE_DECISION, Claim, Decision, Recovery, RecoveryOffset
from payments.statuses import RecoveryStatus

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
        .join(Decision, LIVE_DECISION)
        .order_by(Claim.id.desc())
        .limit(limit)
    )
    if employer:
        query = query.where(Claim.employer_cvr == cvr.parse(employer, "employer"))
    if status:
        query = query.where(Decision.status == status)
    with read_scope(engine) as session:
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
        doc = json.loads(decision.document) | {
            "version": claim.version,
            # every order of the claim and where it stands (a correction adds difference
            # orders): pending, held with reason, in batch, sent on date, settled, returned
            "orders": order_views.for_claim(session, claim.id),
        }
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
class OffsetLine:
    """One offset of a recovery: the order that paid it back, and how much."""

    order_id: int
    amount: Decimal
    created_at: Any


@dataclass(frozen=True, slots=True)
class RecoveryLine:
    """A recovery and where its money is: offset, still open, paid back or written off."""

    id: int
    employer_cvr: str
    external_ref: str
    benefit: str  # the claim's kind
    payee_kind: str
    payee: str  # masked
    status: str
    amount: Decimal
    offset: Decimal
    open: Decimal
    paid: Decimal
    written_off: Decimal
    created_at: Any
    closed_by: str | None = None
    closed_at: Any = None
    close_reason: str | None = None
    offsets: tuple[OffsetLine, ...] = ()


@dataclass(frozen=True, slots=True)
class RecoveryTotals:
    """The sums over every recovery asked for (not only the lines shown)."""

    count: int
    amount: Decimal
    offset: Decimal
    open: Decimal
    paid: Decimal
    written_off: Decimal


def _closed(status: str):
    """SQL: what a closed recovery had open when it was closed as ``status``, else 0."""
    return case(
        (Recovery.status == status, Recovery.amount_ore - Recovery.offset_ore), else_=literal(0)
    )


def _recovery_filter(query, employer: str | None, state: str | None):
    if employer:
        query = query.where(Claim.employer_cvr == cvr.parse(employer, "employer"))
    if state:
        query = query.where(Recovery.status == state)
    return query


def recovery_lines(session: Session, query) -> list[RecoveryLine]:
    """The recoveries ``query`` selects (``select(Recovery, Claim)``), with their offsets."""
    rows = session.execute(query).all()
    offsets: dict[int, list[OffsetLine]] = {}
    if rows:
        for o in session.execute(
            select(RecoveryOffset)
            .where(RecoveryOffset.recovery_id.in_([r.id for r, _ in rows]))
            .order_by(RecoveryOffset.id)
        ).scalars():
            offsets.setdefault(o.recovery_id, []).append(
                OffsetLine(o.order_id, money.kr(o.amount_ore), o.created_at)
            )
    return [_line(r, c, tuple(offsets.get(r.id, ()))) for r, c in rows]


def live_page(where, *, after: int, limit: int, most: int):
    """Claims matching ``where`` with their live decisions, a page in the order they were
    first stored: the claim id is the sequence a reader pages by (``after`` = the last one
    read), at most ``limit`` claims, kept between 1 and ``most``. A correction keeps its
    claim's place."""
    return (
        select(Claim, Decision)
        .join(Decision, LIVE_DECISION)
        .where(where, Claim.id > after)
        .order_by(Claim.id)
        .limit(min(max(limit, 1), most))
    )


def _line(r: Recovery, claim: Claim, offsets: tuple[OffsetLine, ...]) -> RecoveryLine:
    closed = money.kr(r.amount_ore - r.offset_ore - r.open_ore)
    zero = money.kr(0)
    return RecoveryLine(
        id=r.id,
        employer_cvr=claim.employer_cvr,
        external_ref=claim.external_ref,
        benefit=claim.kind,
        payee_kind=r.payee_kind,
        payee=mask_owner(r.payee_kind, r.payee_number),
        status=r.status,
        amount=money.kr(r.amount_ore),
        offset=money.kr(r.offset_ore),
        open=money.kr(r.open_ore),
        paid=closed if r.status == RecoveryStatus.PAID else zero,
        written_off=closed if r.status == RecoveryStatus.WRITTEN_OFF else zero,
        created_at=r.created_at,
        closed_by=r.closed_by,
        closed_at=r.closed_at,
        close_reason=r.close_reason,
        offsets=offsets,
    )


def recoveries(
    engine: Engine,
    *,
    employer: str | None = None,
    state: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[RecoveryLine]:
    """Recoveries (oldest first, at most ``limit``): what corrections lowered after payment,
    and how much of each is offset, open, paid back or written off (payees masked)."""
    if state is not None and state not in tuple(RecoveryStatus):
        raise InputError(
            "RECOVERY_STATE_INVALID",
            f"a recovery's state is one of {', '.join(RecoveryStatus)}",
            "state",
        )
    query = _recovery_filter(
        select(Recovery, Claim).join(Claim, Claim.id == Recovery.claim_id), employer, state
    )
    with read_scope(engine) as session:
        return recovery_lines(session, query.order_by(Recovery.id).limit(limit))


def recovery_totals(
    engine: Engine, *, employer: str | None = None, state: str | None = None
) -> RecoveryTotals:
    """The count and the sums of every recovery :func:`recoveries` would list, unlimited."""
    query = _recovery_filter(
        select(
            func.count(),
            func.coalesce(func.sum(Recovery.amount_ore), 0),
            func.coalesce(func.sum(Recovery.offset_ore), 0),
            func.coalesce(func.sum(Recovery.open_ore), 0),
            func.coalesce(func.sum(_closed(RecoveryStatus.PAID)), 0),
            func.coalesce(func.sum(_closed(RecoveryStatus.WRITTEN_OFF)), 0),
        ).join(Claim, Claim.id == Recovery.claim_id),
        employer,
        state,
    )
    with read_scope(engine) as session:
        count, *sums = session.execute(query).one()
    return RecoveryTotals(count, *(money.kr(int(v)) for v in sums))
