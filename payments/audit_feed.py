"""The audit log as an auditor reads it: the events in order, paged by id.

The log never holds a full CPR or account number (:func:`payments.audit.append` refuses
one), so the events are shown as stored; each carries its hash and the previous one, so an
auditor can check the chain on their own side as well as with :func:`verify`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from payments import audit
from payments.db import read_scope
from payments.models import AuditEvent

PAGE_MAX = 1000


def events(engine: Engine, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Events with an id above ``after``, oldest first."""
    with read_scope(engine) as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > after)
            .order_by(AuditEvent.id)
            .limit(min(max(limit, 1), PAGE_MAX))
        ).all()
        return [
            {
                "id": r.id,
                "occurred_at": r.occurred_at,
                "actor": r.actor,
                "action": r.action,
                "subject": r.subject,
                "payload": json.loads(r.payload),
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            }
            for r in rows
        ]


def verify(engine: Engine) -> dict[str, Any]:
    """Walk the whole chain (:func:`payments.audit.verify`)."""
    report = audit.verify_database(engine)
    return {
        "events": report.events,
        "intact": report.intact,
        "broken_id": report.broken_id,
        "problem": report.problem,
    }
