"""The audit chain: appends link up, and any tampering is found at the first broken row."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update

from payments import audit
from payments.db import session_scope
from payments.models import AuditEvent


def _fill(engine, now, n=5):
    with session_scope(engine) as s:
        for i in range(n):
            audit.append(
                s,
                actor="clerk",
                action="test.event",
                subject=f"thing:{i}",
                payload={"i": i, "who": "010190-****"},
                now=now + dt.timedelta(seconds=i),
            )


def test_intact_chain(engine, now):
    _fill(engine, now)
    with session_scope(engine) as s:
        report = audit.verify(s)
        first = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().first()
    assert report.intact and report.events == 5
    assert first.prev_hash == audit.GENESIS
    assert first.occurred_at.tzinfo is not None


def test_changed_payload_is_caught_at_that_row(engine, now):
    _fill(engine, now)
    with session_scope(engine) as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(payload='{"i": 99}'))
    with session_scope(engine) as s:
        report = audit.verify(s)
    assert not report.intact and report.broken_id == 3


def test_deleted_row_is_caught_at_the_next_row(engine, now):
    _fill(engine, now)
    with session_scope(engine) as s:
        s.execute(text("DELETE FROM audit_events WHERE id = 2"))
    with session_scope(engine) as s:
        report = audit.verify(s)
    assert report.broken_id == 3


def test_rehashed_row_still_breaks_the_next_link(engine, now):
    _fill(engine, now)
    with session_scope(engine) as s:
        row = s.get(AuditEvent, 2)
        forged = audit.event_hash(
            row.prev_hash, row.occurred_at, "mallory", row.action, row.subject, row.payload
        )
        s.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="mallory", hash=forged))
    with session_scope(engine) as s:
        assert audit.verify(s).broken_id == 3


def test_full_cpr_in_payload_is_refused(engine, now):
    with session_scope(engine) as s, pytest.raises(ValueError):
        audit.append(s, actor="a", action="x", subject="y", payload={"cpr": "0101901234"}, now=now)


def test_chain_cannot_fork(engine, now):
    _fill(engine, now, 1)
    with pytest.raises(Exception), session_scope(engine) as s:  # noqa: B017 - IntegrityError
        s.add(
            AuditEvent(
                occurred_at=now,
                actor="a",
                action="x",
                subject="y",
                payload="{}",
                prev_hash=audit.GENESIS,
                hash="f" * 64,
            )
        )
        s.flush()


def test_amounts_and_hashes_are_not_mistaken_for_cpr_numbers(engine, now):
    hashes = ["0123456789abcdef" * 4, "ab" + "9" * 62]
    with session_scope(engine) as s:
        event = audit.append(
            s,
            actor="a",
            action="batch.release",
            subject="batch:1",
            payload={"total_ore": 1_451_725_492, "sha256": hashes},
            now=now,
        )
    assert event.id
    for bad in (
        {"owner": "010190-1234"},
        {"account": "1234 0000056789"},
        {"list": ["x", "0101901234"]},
        {"0101901234": 1},
    ):
        with session_scope(engine) as s, pytest.raises(ValueError):
            audit.append(s, actor="a", action="x", subject="y", payload=bad, now=now)


def test_append_many_refuses_and_accepts_what_append_does(engine, now):
    """append_many skips the string-by-string search when its JSON cannot hold a full
    number: the same payloads are refused (a number in any string, a key, the subject, in
    another script's digits) and accepted (amounts, hashes, masked numbers) as by append."""
    hashes = ["0123456789abcdef" * 4, "ab" + "9" * 62]
    fine = [
        ("batch:1", {"total_ore": 1_451_725_492, "sha256": hashes}),
        ("registration:7", {"owner": "010190-****", "account": "****6789", "id": 7}),
    ]
    with session_scope(engine) as s:
        assert audit.append_many(s, (("a", "x", sub, p) for sub, p in fine), now=now) == 2
    for subject, bad in (
        ("y", {"owner": "010190-1234"}),
        ("y", {"account": "1234 0000056789"}),
        ("y", {"list": ["x", "0101901234"]}),
        ("y", {"0101901234": 1}),
        ("y", {"owner": "٠١٠١٩٠١٢٣٤"}),  # Arabic-Indic digits are digits to the pattern
        ("owner:0101901234", {}),
    ):
        with session_scope(engine) as s, pytest.raises(ValueError):
            audit.append_many(s, [("a", "x", "ok", {}), ("a", "x", subject, bad)], now=now)
    with session_scope(engine) as s:
        assert audit.verify(s).broken_id is None
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2
