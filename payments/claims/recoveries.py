"""A clerk closes a recovery: the payee paid back what was still open, or it is written off.

Netting (:mod:`payments.claims.netting`) collects a recovery from later payments; what it
has not collected a clerk closes, with a reason, when the payee paid it back
(``paid``) or when it will not be collected (``written_off``). Only an ``open`` or
``partly_offset`` recovery can be closed (``RECOVERY_CLOSED`` otherwise); what it had
already offset stays offset, and the rest is what was paid back or written off. Either is
final: no later payment is offset against it. Audited as ``recovery.paid`` /
``recovery.written_off`` with the amount and the reason.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Engine

from payments import actors, audit, money
from payments.claims import queries
from payments.claims.netting import OPEN
from payments.db import session_scope
from payments.errors import ConflictError, InputError, NotFound
from payments.models import Claim, Recovery
from payments.statuses import RecoveryStatus

REASON_MAX = 500
#: how a clerk may close a recovery
OUTCOMES = (RecoveryStatus.PAID, RecoveryStatus.WRITTEN_OFF)


def _reason(reason: object) -> str:
    text = " ".join(str(reason).split())
    if not text or len(text) > REASON_MAX or not text.isprintable():
        raise InputError(
            "RECOVERY_REASON_INVALID",
            f"say why, in at most {REASON_MAX} printable characters",
            "reason",
        )
    if audit.holds_full_number(text):
        raise InputError(
            "RECOVERY_REASON_INVALID",
            "the reason is kept in the audit log, which never holds a full CPR or account "
            "number; name the claim or the recovery instead",
            "reason",
        )
    return text


def close(
    engine: Engine,
    recovery_id: int,
    *,
    outcome: str,
    reason: str,
    actor: str,
    now: dt.datetime,
) -> queries.RecoveryLine:
    """Close recovery ``recovery_id`` as ``paid`` or ``written_off``; the closed recovery."""
    actor = actors.actor(actor)
    if outcome not in OUTCOMES:
        raise InputError(
            "RECOVERY_OUTCOME_INVALID",
            "a recovery is closed as paid (the payee paid it back) or written_off",
            "outcome",
        )
    reason = _reason(reason)
    with session_scope(engine) as session:
        recovery = session.scalar(
            select(Recovery).where(Recovery.id == recovery_id).with_for_update()
        )
        if recovery is None:
            raise NotFound("RECOVERY_NOT_FOUND", f"no recovery {recovery_id}", "recovery_id")
        if recovery.status not in OPEN:
            raise ConflictError(
                "RECOVERY_CLOSED",
                f"recovery {recovery_id} is {recovery.status}: nothing is left open to close",
                "recovery_id",
            )
        closed = recovery.open_ore
        recovery.status, recovery.open_ore = RecoveryStatus(outcome), 0
        recovery.closed_by, recovery.closed_at, recovery.close_reason = actor, now, reason
        audit.append(
            session,
            actor=actor,
            action=f"recovery.{outcome}",
            subject=f"recovery:{recovery_id}",
            payload={
                "amount": money.text(closed),
                "offset_before": money.text(recovery.offset_ore),
                "reason": reason,
            },
            now=now,
        )
        session.flush()
        [line] = queries.recovery_lines(
            session,
            select(Recovery, Claim)
            .join(Claim, Claim.id == Recovery.claim_id)
            .where(Recovery.id == recovery_id),
        )
        return line
