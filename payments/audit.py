"""Append-only, hash-chained audit log.

Each event stores the previous event's hash and its own SHA-256 over that previous hash and
the event's canonical JSON (time, actor, action, subject, payload). Changing, deleting or
inserting a row anywhere breaks every later link; :func:`verify` walks the chain and names
the first broken row. ``prev_hash`` is unique in the database, so the chain cannot fork
even under concurrent writers (who also serialise on an advisory lock on PostgreSQL).

A chain alone cannot show what is missing at its end: delete the newest events and what is
left is still a chain, and whoever can write the table can re-hash it all. So the chain is
anchored outside the database. An :class:`Anchor` is a :class:`Head` someone kept — the
length of the chain at a moment and the hash it ended in — written into every release
manifest in the outbox (:mod:`payments.manifests`) and printed by ``payments audit
checkpoint``. :func:`verify` given anchors proves that no event up to each of them was
removed or altered: the chain must be at least that long (``AUDIT_TRUNCATED``) and its
event at that length must carry that hash (``AUDIT_ANCHOR_MISMATCH``). Events after the
newest anchor can still be rewritten by someone with write access to the table; only an
anchor kept where they cannot reach it (write-once storage, the bank, the auditor) stops it.

Payloads never hold a full CPR or account number: :func:`append` refuses any value that
looks like one (a second line of defence; callers pass masked values and row ids).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from identifiers import privacy
from identifiers.privacy import mask_numbers, masked
from payments.db import insert_rows, lock_for_writing, session_scope
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


#: events :func:`append_many` holds before it writes them (a row is about 1 kB with its
#: payload and hashes): 1,000 a ``COPY`` keeps a bank answer's 25,000 flagged
#: registrations from adding 5 MB to the import's peak memory, for 20 more round trips
_MANY_CHUNK = 1_000


def append_many(
    session: Session,
    events: Iterable[tuple[str, str, str, dict[str, Any]]],
    *,
    now: dt.datetime,
) -> int:
    """Append ``(actor, action, subject, payload)`` events in order, in the caller's
    transaction, as :func:`append` would one by one — the same checks, the same chain —
    with the lock taken and the chain's head read once, and the rows inserted in bulk
    (``COPY`` on PostgreSQL): a bank answer that flags 25,000 registrations writes 25,000
    events in a second, not in 75,000 round trips. Returns how many."""
    now = now.astimezone(dt.UTC)
    lock_for_writing(session, "audit_events")
    prev = (
        session.execute(
            select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).scalar_one_or_none()
        or GENESIS
    )
    session.flush()
    conn = session.connection()
    rows: list[dict[str, Any]] = []
    count = 0
    for actor, action, subject, payload in events:
        text = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False, default=str)
        # the JSON holds every string of the payload as it is (digits and hyphens are never
        # escaped): where it cannot hold a full number, no string of it does, and the
        # search string by string (the largest part of an event's cost) is not needed
        shown = f"{subject}\n{text}".encode("utf-8", "surrogatepass")
        if privacy.may_hold_full_number(shown) and (
            any(privacy.FULL_NUMBER.search(s) for s in _strings(payload or {}))
            or privacy.FULL_NUMBER.search(subject)
        ):
            raise ValueError(f"audit {action}: payload or subject holds a full CPR/account number")
        digest = event_hash(prev, now, actor, action, subject, text)
        rows.append(
            {
                "occurred_at": now,
                "actor": actor,
                "action": action,
                "subject": subject,
                "payload": text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
        count += 1
        if len(rows) == _MANY_CHUNK:
            insert_rows(conn, AuditEvent.__table__, rows)
            rows = []
    insert_rows(conn, AuditEvent.__table__, rows)
    return count


@dataclass(frozen=True, slots=True)
class Head:
    """The end of the chain: its newest event, the hash it ends in, how many events it has."""

    event_id: int | None
    hash: str
    length: int
    occurred_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "hash": self.hash,
            "length": self.length,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head kept outside the database: the chain had ``length`` events ending in ``hash``
    (the event's id too, when known). ``source`` says where it was read from."""

    length: int
    hash: str
    event_id: int | None = None
    source: str = ""


def head(session: Session) -> Head:
    """The chain's head now (an empty chain: length 0, the genesis hash)."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash, AuditEvent.occurred_at)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return Head(None, GENESIS, 0, None)
    # counted up to that event: one committed after the first statement is not counted
    # (appends serialise on a lock held to their commit, so ids grow in commit order)
    length = session.scalar(select(func.count()).where(AuditEvent.id <= last.id))
    return Head(last.id, last.hash, length, last.occurred_at)


def head_after(session: Session, event: AuditEvent) -> Head:
    """The head once ``event`` (just appended in this transaction) is the newest event.

    The append's lock is held until the commit, so no other event can come after it."""
    length = session.scalar(select(func.count()).where(AuditEvent.id <= event.id))
    return Head(event.id, event.hash, length, event.occurred_at)


def head_of_database(engine: Engine) -> Head:
    with session_scope(engine) as session:
        return head(session)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify` found. ``code`` is None when the chain holds (and every anchor):
    ``AUDIT_CHAIN_BROKEN`` (a row's link or hash), ``AUDIT_TRUNCATED`` (fewer events than an
    anchor names), ``AUDIT_ANCHOR_MISMATCH`` (the event at an anchor's length is not the
    one it names). ``broken_id`` is the first row that does not hold, when there is one."""

    events: int
    broken_id: int | None = None
    problem: str | None = None
    code: str | None = None
    anchors: int = 0  # anchors checked

    @property
    def intact(self) -> bool:
        return self.code is None


def verify_database(engine: Engine, anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """:func:`verify` in a transaction of its own."""
    with session_scope(engine) as session:
        return verify(session, anchors)


def verify(session: Session, anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Walk the chain in id order; report the first row whose link or hash does not hold,
    then hold it against each anchor (the shortest first)."""
    lengths = {a.length for a in anchors}
    at: dict[int, tuple[int | None, str]] = {0: (None, GENESIS)}  # length -> (id, hash)
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
            return ChainReport(
                count, row.id, "previous-hash link does not match the row before",
                "AUDIT_CHAIN_BROKEN",
            )  # fmt: skip
        expected = event_hash(
            prev, row.occurred_at, row.actor, row.action, row.subject, row.payload
        )
        if row.hash != expected:
            return ChainReport(
                count, row.id, "row content does not match its hash", "AUDIT_CHAIN_BROKEN"
            )
        prev = row.hash
        if count in lengths:
            at[count] = (row.id, row.hash)
    for anchor in sorted(anchors, key=lambda a: a.length):
        where = f" ({anchor.source})" if anchor.source else ""
        if anchor.length > count:
            return ChainReport(
                count, None,
                f"the chain has {count} events; an anchor{where} shows it had "
                f"{anchor.length}: events were removed",
                "AUDIT_TRUNCATED", len(anchors),
            )  # fmt: skip
        event_id, found = at[anchor.length]
        if found != anchor.hash or anchor.event_id not in (None, event_id):
            return ChainReport(
                count, event_id,
                f"event {anchor.length} of the chain is not the one an anchor{where} names: "
                "events up to it were removed, altered or re-hashed",
                "AUDIT_ANCHOR_MISMATCH", len(anchors),
            )  # fmt: skip
    return ChainReport(count, anchors=len(anchors))


def events(
    engine: Engine, *, after: int | None = None, subject: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """The log in id order, after event ``after``, of one ``subject`` (``batch:7``), at most
    ``limit`` events; any full number a row might hold (none should) is masked."""
    query = select(AuditEvent).order_by(AuditEvent.id).limit(limit)
    if after is not None:
        query = query.where(AuditEvent.id > after)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    with session_scope(engine) as session:
        rows = session.scalars(query).all()
        return [
            {
                "id": row.id,
                "occurred_at": row.occurred_at,
                "actor": mask_numbers(row.actor),
                "action": row.action,
                "subject": mask_numbers(row.subject),
                "payload": masked(_payload(row.payload)),
                "hash": row.hash,
            }
            for row in rows
        ]


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:  # not written by append(): show it as it is (masked)
        return text
