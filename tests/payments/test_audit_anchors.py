"""An audit trail that notices what is missing: the chain held against anchors kept outside.

Each tampering an insider with write access to the table could do — delete the newest
events, delete one in the middle, edit one and re-hash everything after it — is caught
against a checkpoint and against the release manifests in the outbox. Without an anchor,
the first and the last pass: that is why the anchors exist.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from payments import audit, manifests
from payments.batch import approval, night
from payments.db import session_scope
from payments.models import AuditEvent, BatchFile
from tests.support import NOW, RUN, add_order, add_registration, code_of, cpr, make_settings


def later_events(engine, n, start=0):
    with session_scope(engine) as s:
        for i in range(n):
            audit.append(
                s, actor="clerk", action="test.later", subject=f"thing:{start + i}", payload={},
                now=NOW + dt.timedelta(minutes=i),
            )  # fmt: skip


def rehash(engine) -> None:
    """What an insider re-hashing the table does: every link made to hold again."""
    with session_scope(engine) as s:
        prev = audit.GENESIS
        for row in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all():
            new = audit.event_hash(
                prev, row.occurred_at, row.actor, row.action, row.subject, row.payload
            )
            s.execute(
                update(AuditEvent).where(AuditEvent.id == row.id).values(prev_hash=prev, hash=new)
            )
            prev = new


def delete(engine, where: str) -> None:
    with session_scope(engine) as s:
        s.execute(text(f"DELETE FROM audit_events WHERE {where}"))


@pytest.fixture
def released(engine, tmp_path):
    """Two nights released (two manifests), then a few events more."""
    settings = make_settings(tmp_path)
    for day in (0, 1):
        with session_scope(engine) as s:
            add_registration(s, cpr(day), account=str(day + 1))
            add_order(s, cpr(day), 10_000 + day, due=RUN + dt.timedelta(days=day))
        run = night.run(
            engine, settings, run_date=RUN + dt.timedelta(days=day), actor="alice", now=NOW
        )
        approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    later_events(engine, 3)
    return settings


def outbox(settings):
    return manifests.outbox_anchors(settings.outbox_dir)


def verify(engine, anchors=()):
    with session_scope(engine) as s:
        return audit.verify(s, tuple(anchors))


def test_a_manifest_lists_the_files_and_anchors_the_chain_after_its_release(engine, released):
    path = sorted(Path(released.outbox_dir).glob("*.manifest.json"))[0]
    data = json.loads(path.read_text())
    assert path.name == "pain001-20240506-b1.manifest.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with session_scope(engine) as s:
        [bfile] = s.scalars(select(BatchFile).where(BatchFile.batch_id == 1)).all()
        release = s.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "batch.release", AuditEvent.subject == "batch:1"
            )
        )
        length = s.scalar(select(func.count()).where(AuditEvent.id <= release.id))
    assert data["files"] == [
        {
            "name": bfile.filename,
            "msg_id": bfile.msg_id,
            "sha256": bfile.sha256,
            "transactions": 1,
            "total": "100.00",
        }
    ]
    assert (data["batch_id"], data["transactions"], data["total"]) == (1, 1, "100.00")
    assert (data["created_by"], data["approved_by"], data["released_by"]) == ("alice", "bob", "bob")
    # the head after the release event: the manifest vouches for the release itself
    assert data["audit"]["event_id"] == release.id and data["audit"]["hash"] == release.hash
    assert data["audit"]["length"] == length
    report = verify(engine, outbox(released))
    assert report.intact and report.anchors == 2


def test_deleting_the_newest_events_is_caught(engine, released):
    checkpoint = audit.head_of_database(engine)
    anchor = audit.Anchor(checkpoint.length, checkpoint.hash, checkpoint.event_id)
    delete(engine, f"id > {checkpoint.event_id - 2}")
    assert verify(engine).intact  # what is left is still a chain
    assert verify(engine, [anchor]).code == "AUDIT_TRUNCATED"
    delete(engine, "id > 3")  # back to the first release: the second one's event is gone
    assert verify(engine).intact
    assert verify(engine, outbox(released)).code == "AUDIT_TRUNCATED"


def test_deleting_a_middle_event_is_caught(engine, released):
    delete(engine, "id = 3")
    assert verify(engine).code == "AUDIT_CHAIN_BROKEN"
    assert verify(engine, outbox(released)).code == "AUDIT_CHAIN_BROKEN"


@pytest.mark.parametrize("how", ["delete", "edit"])
def test_tampering_and_rehashing_the_whole_chain_is_caught(engine, released, how):
    anchor = audit.head_of_database(engine)
    if how == "delete":
        delete(engine, "id = 3")
    else:
        with session_scope(engine) as s:
            s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor="mallory"))
    rehash(engine)
    assert verify(engine).intact  # the chain alone cannot tell
    report = verify(engine, outbox(released))
    assert report.code == "AUDIT_ANCHOR_MISMATCH" and report.broken_id is not None
    against_checkpoint = verify(engine, [audit.Anchor(anchor.length, anchor.hash)])
    assert against_checkpoint.code == (
        "AUDIT_TRUNCATED" if how == "delete" else "AUDIT_ANCHOR_MISMATCH"
    )


def test_replacing_the_newest_events_with_as_many_others_is_caught(engine, released):
    before = audit.head_of_database(engine)
    delete(engine, f"id > {before.event_id - 3}")
    later_events(engine, 3, start=100)
    now = audit.head_of_database(engine)
    assert now.length == before.length and verify(engine).intact
    anchor = audit.Anchor(before.length, before.hash, before.event_id)
    assert verify(engine, [anchor]).code == "AUDIT_ANCHOR_MISMATCH"
    assert verify(engine, outbox(released)).intact  # the releases' events are untouched


def test_events_after_the_newest_anchor_are_not_covered(engine, released):
    """The limit the README states: what came after the last anchor can be rewritten."""
    delete(engine, f"id > {audit.head_of_database(engine).event_id - 3}")
    assert verify(engine, outbox(released)).intact


def test_an_empty_chain_has_a_head_too(engine):
    head = audit.head_of_database(engine)
    assert (head.event_id, head.hash, head.length) == (None, audit.GENESIS, 0)
    assert verify(engine, [audit.Anchor(0, audit.GENESIS)]).intact
    assert verify(engine, [audit.Anchor(1, "a" * 64)]).code == "AUDIT_TRUNCATED"


def test_the_manifest_is_never_written_through_a_link(engine, tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        add_order(s, cpr(1), 10_000)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    box = tmp_path / "outbox"
    box.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.json"
    target.write_text("theirs")
    (box / "pain001-20240506-b1.manifest.json").symlink_to(target)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    written = box / "pain001-20240506-b1.manifest.json"
    assert not written.is_symlink() and json.loads(written.read_text())["batch_id"] == 1
    assert target.read_text() == "theirs"


def test_anchor_files_that_cannot_be_used(tmp_path):
    cases = {
        "not-json.json": "{",
        "list.json": "[]",
        "no-length.json": json.dumps({"hash": "a" * 64}),
        "bad-hash.json": json.dumps({"length": 3, "hash": "xyz"}),
        "bad-id.json": json.dumps({"length": 3, "hash": "a" * 64, "event_id": "3"}),
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(body)
        assert code_of(lambda n=name: manifests.read_anchor(tmp_path / n)) == (
            "AUDIT_ANCHOR_INVALID"
        ), name
    assert code_of(lambda: manifests.read_anchor(tmp_path / "missing")) == "AUDIT_ANCHOR_INVALID"
    assert code_of(lambda: manifests.outbox_anchors(tmp_path)) == "AUDIT_ANCHOR_MISSING"
    assert code_of(lambda: manifests.outbox_anchors(tmp_path / "nope")) == "AUDIT_ANCHOR_MISSING"
    (tmp_path / "cp.json").write_text(json.dumps({"length": 0, "hash": "0" * 64}))
    assert manifests.read_anchor(tmp_path / "cp.json").length == 0


def test_the_log_is_read_masked_and_filtered(engine):
    later_events(engine, 3)
    with session_scope(engine) as s:  # a row no append() would write: a full CPR in it
        row = s.get(AuditEvent, 2)
        row.payload = json.dumps({"owner": "0101901234"})
    shown = audit.events(engine, after=1, limit=10)
    assert [e["id"] for e in shown] == [2, 3]
    assert shown[0]["payload"] == {"owner": "010190-****"}
    assert [e["id"] for e in audit.events(engine, subject="thing:2")] == [3]
    assert len(audit.events(engine, limit=1)) == 1
