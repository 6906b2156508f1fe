"""Append-only, hash-chained audit log.

Each event stores the previous event's hash and its own SHA-256 over that previous hash and
the event's canonical JSON (time, actor, action, subject, payload). Changing, deleting or
inserting a row anywhere breaks every later link; :func:`verify` walks the chain and names
the first broken row. ``prev_hash`` is unique in the database, so the chain cannot fork
even under concurrent writers (who also serialise on an advisory lock on PostgreSQL).

Payloads never hold a full CPR or account number: :func:`append` refuses any value that
looks like one (a second line of defence; callers pass masked values and row ids).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from identifiers import privacy
from payments.db import lock_for_writing, session_scope
from payments.models import AuditEvent

GENESIS = "0" * 64
holds_full_number = privacy.holds_full_number  # the one pattern (identifiers.privacy)


def _strings(value: Any):
    """Every string in a JSON-like payload, keys included (numbers are amounts, not ids)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _canonical(
    occurred_at: dt.datetime, actor: str, action: str, subject: str, payload: str
) -> bytes:
    body = {
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": payload,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(
    prev_hash: str, occurred_at: dt.datetime, actor: str, action: str, subject: str, payload: str
) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(_canonical(occurred_at, actor, action, subject, payload))
    return digest.hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any] | None,
    now: dt.datetime,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with it)."""
    text = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False, default=str)
    if any(
        privacy.FULL_NUMBER.search(s) for s in _strings(payload or {})
    ) or privacy.FULL_NUMBER.search(subject):
        raise ValueError(f"audit {action}: payload or subject holds a full CPR/account number")
    # Microsecond precision is what both databases store; hash what will be read back.
    now = now.astimezone(dt.UTC)
    lock_for_writing(session, "audit_events")
    prev = (
        session.execute(
            select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one_or_none()
        or GENESIS
    )
    event = AuditEvent(
        occurred_at=now,
        actor=actor,
        action=action,
        subject=subject,
        payload=text,
        prev_hash=prev,
        hash=event_hash(prev, now, actor, action, subject, text),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    events: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_database(engine: Engine) -> ChainReport:
    """:func:`verify` in a transaction of its own."""
    with session_scope(engine) as session:
        return verify(session)


def verify(session: Session) -> ChainReport:
    """Walk the chain in id order; report the first row whose link or hash does not hold."""
    prev = GENESIS
    count = 0
    rows = session.execute(
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.subject,
            AuditEvent.payload,
            AuditEvent.prev_hash,
            AuditEvent.hash,
        )
        .order_by(AuditEvent.id)
        .execution_options(yield_per=5000)
    )
    for row in rows:
        count += 1
        if row.prev_hash != prev:
            return ChainReport(count, row.id, "previous-hash link does not match the row before")
        expected = event_hash(
            prev, row.occurred_at, row.actor, row.action, row.subject, row.payload
        )
        if row.hash != expected:
            return ChainReport(count, row.id, "row content does not match its hash")
        prev = row.hash
    return ChainReport(count)
