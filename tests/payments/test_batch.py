"""The nightly batch: holds, files, idempotency, four eyes, crashes, money conservation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import iso20022
from payments import audit, orders
from payments.batch import approval, night, pain_files
from payments.db import make_engine, session_scope
from payments.errors import PaymentsError
from payments.models import (
    Batch,
    BatchItem,
    PaymentOrder,
    RejectedBatchItem,
)
from tests.support import (
    NOW,
    NS,
    RUN,
    TEST_DEBTOR_ENV,
    add_order,
    add_registration,
    cpr,
    file_transactions,
    items_by_order,
    make_settings,
    orders_by_id,
    wipe,
)


@pytest.fixture
def night_db(engine):
    """Three payees with an account, one without, one pending activation."""
    with session_scope(engine) as s:
        for i in range(3):
            add_registration(s, cpr(i), account=str(1000 + i))
        add_registration(s, cpr(9), status="pending_activation")
        ids = [add_order(s, cpr(i), 100_000 + i).id for i in range(3)]
        ids.append(add_order(s, cpr(7), 5_000).id)  # no account at all
        ids.append(add_order(s, cpr(9), 7_000).id)  # pending activation only
        add_order(s, cpr(0), 9_900, due=RUN + dt.timedelta(days=1))  # not due yet
    return ids


def test_run_pays_resolvable_orders_and_holds_the_rest(engine, tmp_path, night_db):
    settings = make_settings(tmp_path)
    result = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert result.created and result.execution_date == dt.date(2024, 5, 7)
    assert result.order_count == 3 and result.total == Decimal("3000.03")
    assert dict(result.held_by_reason) == {"NO_ACCOUNT": 1, "PENDING_ACTIVATION": 1}
    [info] = result.files
    assert info.path.exists() and not list(info.path.parent.glob(".*.tmp"))
    assert hashlib.sha256(info.path.read_bytes()).hexdigest() == info.sha256
    assert iso20022.validate(info.path).valid
    txs = file_transactions(info.path)
    assert [a for _, a in txs] == [Decimal("1000.00"), Decimal("1000.01"), Decimal("1000.02")]
    tree = etree.parse(str(info.path))
    assert tree.findtext(f".//{NS}GrpHdr/{NS}CtrlSum") == "3000.03"
    assert tree.findtext(f".//{NS}PmtInf/{NS}ReqdExctnDt") == "2024-05-07"
    orders = orders_by_id(engine)
    assert [orders[i].status for i in night_db] == ["in_batch"] * 3 + ["held", "held"]
    assert orders[night_db[3]].hold_reason == "NO_ACCOUNT"
    items = items_by_order(engine)
    assert [(len(items[i]), items[i][0].attempt) for i in night_db[:3]] == [(1, 1)] * 3
    assert all(items[i][0].registration_id for i in night_db[:3])
    assert not any(i in items for i in night_db[3:])
    with session_scope(engine) as s:
        assert audit.verify(s).intact


def test_second_run_for_the_same_date_creates_nothing(engine, tmp_path, night_db):
    settings = make_settings(tmp_path)
    first = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    again = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert not again.created and again.batch_id == first.batch_id
    assert again.files == first.files
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
        assert s.scalar(select(func.count()).select_from(BatchItem)) == 3


def test_an_order_in_an_unreleased_batch_is_not_paid_again(engine, tmp_path, night_db):
    """Night 1 is not released yet; night_db 2 must not take its orders a second time."""
    settings = make_settings(tmp_path)
    first = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    second = night.run(
        engine, settings, run_date=RUN + dt.timedelta(days=1), actor="night", now=NOW
    )
    assert (first.order_count, second.order_count) == (3, 1)  # 1: the order due on day 2
    assert dict(second.held_by_reason) == {"NO_ACCOUNT": 1, "PENDING_ACTIVATION": 1}
    items = items_by_order(engine)
    assert [[i.batch_id for i in items[o]] for o in night_db[:3]] == [[first.batch_id]] * 3
    assert [o for o, got in items.items() if got[0].batch_id == second.batch_id] == [max(items)]


def test_database_refuses_an_order_in_two_unreleased_batches(engine, tmp_path, night_db):
    """``unique(order_id, attempt)``: a second item for the same attempt cannot exist."""
    night.run(engine, make_settings(tmp_path), run_date=RUN, actor="night", now=NOW)
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            s.add(
                BatchItem(
                    batch_id=999,
                    order_id=night_db[0],
                    attempt=1,
                    file_seq=1,
                    registration_id=1,
                    end_to_end_id="SECOND-COPY",
                    amount_ore=1,
                )
            )


def test_release_refuses_when_an_order_left_the_batch(engine, tmp_path, night_db):
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    with session_scope(engine) as s:  # what no command does: an order changed under the batch
        s.execute(
            update(PaymentOrder).where(PaymentOrder.id == night_db[0]).values(status="cancelled")
        )
    with pytest.raises(PaymentsError) as info:
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert info.value.code == "BATCH_ORDERS_CHANGED"
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").iterdir())
    assert [orders_by_id(engine)[i].status for i in night_db[1:3]] == ["in_batch"] * 2


def test_a_rejected_batch_frees_its_orders_and_its_date(engine, tmp_path, night_db):
    """The approver refuses night_db 1: its files go, its orders are due again, and the same
    date is run again with the same end-to-end ids (the rejected files never left)."""
    settings = make_settings(tmp_path)
    first = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, first.batch_id, actor="bob", now=NOW)
    e2e = sorted(e for f in first.files for e, _ in file_transactions(f.path))
    rejected = approval.reject(
        engine, settings, first.batch_id, actor="bob", reason="  wrong   debtor account ", now=NOW
    )
    assert (rejected.status, rejected.rejected_by, rejected.reject_reason) == (
        "rejected",
        "bob",
        "wrong debtor account",
    )
    assert not any(f.path.exists() for f in first.files)
    assert [orders_by_id(engine)[i].status for i in night_db[:3]] == ["pending"] * 3
    assert items_by_order(engine) == {}
    _, states = night.show(engine, settings, first.batch_id)
    assert states == {"rejected": {"count": 3, "amount": first.total}}
    with session_scope(engine) as s:
        kept = s.scalars(
            select(RejectedBatchItem.end_to_end_id).where(
                RejectedBatchItem.batch_id == first.batch_id
            )
        ).all()
        [event] = [e for e in s.scalars(select(audit.AuditEvent)) if e.action == "batch.reject"]
    assert sorted(kept) == e2e
    assert json.loads(event.payload)["reason"] == "wrong debtor account"

    again = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    assert again.created and again.batch_id != first.batch_id
    assert (again.order_count, again.total) == (first.order_count, first.total)
    assert sorted(e for f in again.files for e, _ in file_transactions(f.path)) == e2e
    approval.approve(engine, settings, again.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, again.batch_id, actor="bob", now=NOW)
    assert [
        (orders_by_id(engine)[i].status, orders_by_id(engine)[i].attempts) for i in night_db[:3]
    ] == [("sent", 1)] * 3
    assert [b.status for b in night.list_batches(engine, settings)] == ["rejected", "released"]


def test_reject_refuses_what_cannot_be_rejected(engine, tmp_path, night_db):
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    codes = []
    for batch_id, reason in (
        (run.batch_id, " "),
        (run.batch_id, "x" * 501),
        (run.batch_id, "ok\x1b[2J"),
        (run.batch_id, "0101901234 is wrong"),
        (99, "why"),
    ):
        with pytest.raises(PaymentsError) as info:
            approval.reject(engine, settings, batch_id, actor="bob", reason=reason, now=NOW)
        codes.append(info.value.code)
    assert codes == ["BATCH_REJECT_REASON"] * 4 + ["BATCH_NOT_FOUND"]
    assert run.files[0].path.exists()  # nothing happened to the batch
    approval.reject(engine, settings, run.batch_id, actor="alice", reason="test run", now=NOW)
    for action, code in (
        (approval.approve, "BATCH_NOT_GENERATED"),
        (approval.release, "BATCH_REJECTED"),
    ):
        with pytest.raises(PaymentsError) as info:
            action(engine, settings, run.batch_id, actor="bob", now=NOW)
        assert info.value.code == code
    with pytest.raises(PaymentsError) as info:
        approval.reject(engine, settings, run.batch_id, actor="bob", reason="again", now=NOW)
    assert info.value.code == "BATCH_REJECTED"
    second = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, second.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, second.batch_id, actor="bob", now=NOW)
    with pytest.raises(PaymentsError) as info:
        approval.reject(engine, settings, second.batch_id, actor="bob", reason="late", now=NOW)
    assert info.value.code == "BATCH_ALREADY_RELEASED"
    assert all(f.path.exists() for f in second.files)


def test_a_batch_whose_release_stopped_after_copying_cannot_be_rejected(
    engine, tmp_path, night_db, monkeypatch
):
    """The file reached the outbox, then the release failed before its commit: the bank may
    have it, so rejecting (and paying the orders again next night) is refused; releasing
    again finishes the job with the same bytes."""
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    monkeypatch.setattr(approval.audit, "append", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    monkeypatch.undo()
    outbox = tmp_path / "outbox" / run.files[0].path.name
    assert outbox.exists() and night.list_batches(engine, settings)[0].status == "approved"
    with pytest.raises(PaymentsError) as info:
        approval.reject(engine, settings, run.batch_id, actor="bob", reason="x", now=NOW)
    assert info.value.code == "BATCH_IN_OUTBOX"
    assert run.files[0].path.exists() and items_by_order(engine)  # nothing was changed
    released = approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert released.status == "released" and outbox.read_bytes() == run.files[0].path.read_bytes()


def test_database_keeps_one_live_batch_per_date_and_a_reason_for_a_rejection(engine):
    def batch(**kw):
        return Batch(
            **{
                "run_date": RUN,
                "execution_date": RUN,
                "status": "generated",
                "pain001_version": "001.001.03",
                "order_count": 0,
                "total_ore": 0,
                "held_count": 0,
                "created_by": "alice",
                "created_at": NOW,
            }
            | kw
        )

    with session_scope(engine) as s:
        s.add(batch(status="rejected", rejected_by="bob", rejected_at=NOW, reject_reason="x"))
        s.add(batch())  # a rejected batch leaves its date free
    for bad in (batch(), batch(status="rejected", rejected_by="bob", rejected_at=NOW)):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.add(bad)


def test_files_split_by_size_and_regenerate_identically(engine, tmp_path):
    settings = make_settings(tmp_path, max_tx_per_file=2)
    with session_scope(engine) as s:
        for i in range(5):
            add_registration(s, cpr(i), account=str(500 + i))
            add_order(s, cpr(i), 1_000 * (i + 1))
    result = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert [f.tx_count for f in result.files] == [2, 2, 1]
    assert sum(f.total for f in result.files) == result.total == Decimal("150.00")
    for f in result.files:
        assert sum(a for _, a in file_transactions(f.path)) == f.total
    original = result.files[1].path.read_bytes()
    result.files[1].path.unlink()
    night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert result.files[1].path.read_bytes() == original


def test_four_eyes_release_and_tamper_check(engine, tmp_path, night_db):
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    with pytest.raises(PaymentsError) as info:
        approval.approve(engine, settings, run.batch_id, actor="alice", now=NOW)
    assert info.value.code == "BATCH_FOUR_EYES"
    with pytest.raises(PaymentsError) as info:
        approval.approve(engine, settings, run.batch_id, actor=" ", now=NOW)
    assert info.value.code == "ACTOR_INVALID"
    with pytest.raises(PaymentsError) as info:
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert info.value.code == "BATCH_NOT_APPROVED"
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    path = run.files[0].path
    good = path.read_bytes()
    path.write_bytes(good.replace(b"1000.00", b"9000.00"))
    with pytest.raises(PaymentsError) as info:
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert info.value.code == "BATCH_FILE_TAMPERED"
    path.write_bytes(good)
    released = approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert released.status == "released"
    assert (tmp_path / "outbox" / path.name).read_bytes() == good
    orders = orders_by_id(engine)
    assert [orders[i].status for i in night_db[:3]] == ["sent"] * 3
    assert [orders[i].attempts for i in night_db] == [1, 1, 1, 0, 0]
    with pytest.raises(PaymentsError) as info:
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert info.value.code == "BATCH_ALREADY_RELEASED"


def test_crash_between_file_write_and_commit_leaves_no_batch(
    engine, tmp_path, night_db, monkeypatch
):
    settings = make_settings(tmp_path)

    def crash(*a, **kw):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(night.audit, "append", crash)
    with pytest.raises(KeyboardInterrupt):
        night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert list((tmp_path / "out").glob(".*.tmp"))  # the half-done file is left behind
    orders = orders_by_id(engine)
    assert {o.status for o in orders.values()} == {"pending"}
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 0
    monkeypatch.undo()
    result = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert result.created and result.order_count == 3
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_crash_after_commit_before_rename_is_finished_by_a_rerun(
    engine, tmp_path, night_db, monkeypatch
):
    settings = make_settings(tmp_path)

    def crash(*a, **kw):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(pain_files, "publish", crash)
    with pytest.raises(KeyboardInterrupt):
        night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    monkeypatch.undo()
    with session_scope(engine) as s:
        [batch] = s.scalars(select(Batch)).all()
        assert batch.order_count == 3
    final = next(iter((tmp_path / "out").glob(".*.tmp")))
    final.unlink()  # even the temporary file is lost: regenerate from the database
    result = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert not result.created
    [info] = result.files
    assert hashlib.sha256(info.path.read_bytes()).hexdigest() == info.sha256
    assert len(file_transactions(info.path)) == 3


def test_amount_review_and_cooling_off(engine, tmp_path):
    settings = make_settings(tmp_path, review_amount=Decimal("500"), cooling_off_days=5)
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        big = add_order(s, cpr(1), 60_000).id  # 600 kr ≥ 500 kr review threshold
        add_registration(s, cpr(2), status="ended", ended_on=RUN - dt.timedelta(days=1))
        add_registration(s, cpr(2), account="77", active_from=RUN - dt.timedelta(days=1))
        changed = add_order(s, cpr(2), 1_000).id
        add_registration(s, cpr(3), active_from=RUN - dt.timedelta(days=1))  # first account
        first = add_order(s, cpr(3), 1_000).id
    run = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    orders = orders_by_id(engine)
    assert orders[big].hold_reason == "AMOUNT_REVIEW"
    assert orders[changed].hold_reason == "ACCOUNT_RECENTLY_CHANGED"
    assert orders[first].status == "in_batch" and run.order_count == 1
    approval.approve_review(engine, big, actor="supervisor", now=NOW)
    later = night.run(engine, settings, run_date=RUN + dt.timedelta(days=7), actor="night", now=NOW)
    assert later.order_count == 2  # the reviewed order, and the account past cooling-off


@settings(max_examples=15)
@given(
    st.lists(st.tuples(st.integers(1, 10_000_000), st.booleans()), min_size=1, max_size=25),
    st.integers(1, 7),
)
def test_money_is_conserved(db_url, tmp_path_factory, cases, per_file):
    engine = make_engine(db_url)
    out = tmp_path_factory.mktemp("conserve")
    settings = make_settings(out, max_tx_per_file=per_file)
    wipe(engine)
    with session_scope(engine) as s:
        for i, (amount, has_account) in enumerate(cases):
            number = cpr(i)
            if has_account:
                add_registration(s, number, account=str(i + 1))
            add_order(s, number, amount)
    run_date = RUN + dt.timedelta(days=len(cases))
    result = night.run(engine, settings, run_date=run_date, actor="night", now=NOW)
    paid = sum(a for a, ok in cases if ok)
    assert result.total * 100 == paid
    assert sum(f.total for f in result.files) == result.total
    for f in result.files:
        tree = etree.parse(str(f.path))
        assert Decimal(tree.findtext(f".//{NS}GrpHdr/{NS}CtrlSum")) == f.total
        assert sum(a for _, a in file_transactions(f.path)) == f.total
        assert len(file_transactions(f.path)) == f.tx_count <= per_file
    with session_scope(engine) as s:
        status = orders.reported_status()
        by_state = dict(
            s.execute(select(status, func.sum(PaymentOrder.amount_ore)).group_by(status)).all()
        )
    assert sum(by_state.values()) == sum(a for a, _ in cases)
    assert by_state.get("in_batch", 0) == paid
    engine.dispose()


def test_two_simultaneous_runs_make_one_batch(db_url, tmp_path):
    """Two processes start the same night at once: the lock lets exactly one build it."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        for i in range(200):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 1_000 + i)
    env = (
        os.environ
        | TEST_DEBTOR_ENV
        | {
            "PAYMENTS_OUTPUT_DIR": str(tmp_path / "out"),
            "PAYMENTS_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "cli.main",
        "--database-url",
        db_url,
        "batch",
        "run",
        "--yes",
        "--date",
        RUN.isoformat(),
        "--json",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    results = [json.loads(out) for out, _ in outputs]
    assert sorted(r["created"] for r in results) == [False, True]
    assert results[0]["batch_id"] == results[1]["batch_id"]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
        assert s.scalar(select(func.count()).select_from(BatchItem)) == 200
    engine.dispose()


KILL_CHILD = """
import datetime as dt, os, signal, sys
from payments.batch import night, pain_files
from payments.config import Settings
from payments.db import make_engine

url, out, point = sys.argv[1], sys.argv[2], sys.argv[3]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "before_commit":
    night.audit.append = die          # files written and fsynced, transaction still open
else:
    pain_files.publish = die         # committed, files not yet renamed
settings = Settings(output_dir=out, outbox_dir=out + "-outbox").with_demo_debtor()
night.run(make_engine(url), settings, run_date=dt.date(2024, 5, 6), actor="night",
          now=dt.datetime(2024, 5, 6, 22, 0, tzinfo=dt.UTC))
"""


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_a_killed_batch_process_never_loses_or_doubles_a_payment(db_url, tmp_path, point):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        for i in range(30):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 10_000 + i)
    out = tmp_path / "out"
    child = subprocess.run(
        [sys.executable, "-c", KILL_CHILD, db_url, str(out), point],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    with session_scope(engine) as s:
        batches_after_kill = s.scalar(select(func.count()).select_from(Batch))
    assert batches_after_kill == (0 if point == "before_commit" else 1)
    settings = make_settings(tmp_path)
    result = night.run(engine, settings, run_date=RUN, actor="night", now=NOW)
    assert result.created == (point == "before_commit")
    [info] = result.files
    txs = file_transactions(info.path)
    assert len(txs) == 30 and len({e2e for e2e, _ in txs}) == 30
    assert sum(a for _, a in txs) == result.total == Decimal("3004.35")
    assert hashlib.sha256(info.path.read_bytes()).hexdigest() == info.sha256
    assert not list(out.glob(".*.tmp"))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(BatchItem)) == 30
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
    engine.dispose()


def test_files_carry_what_the_banks_guides_require(engine, tmp_path):
    """Cdtr/Nm (the registered name, or the placeholder), Dbtr/PstlAdr/Ctry, DbtrAcct/Ccy and
    the configured initiating party (a bank agreement id, scheme CUST); still XSD-valid."""
    settings = make_settings(
        tmp_path, initiating_party_id="AGREEMENT-4711", initiating_party_scheme="CUST"
    )
    with session_scope(engine) as s:
        named = add_registration(s, cpr(1), account="1")
        named.owner_name = "Jens Jensen"
        add_registration(s, cpr(2), account="2")
        add_order(s, cpr(1), 100_00)
        add_order(s, cpr(2), 200_00)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    assert run.unnamed == 1
    [f] = run.files
    assert iso20022.validate(f.path).valid
    tree = etree.parse(str(f.path))
    names = [n.text for n in tree.iter(f"{NS}Cdtr") for n in n.iter(f"{NS}Nm")]
    assert names == ["Jens Jensen", pain_files.UNNAMED_PAYEE]
    initiating = tree.find(f".//{NS}InitgPty/{NS}Id/{NS}OrgId/{NS}Othr")
    assert initiating.findtext(f"{NS}Id") == "AGREEMENT-4711"
    assert initiating.findtext(f"{NS}SchmeNm/{NS}Cd") == "CUST"
    assert tree.findtext(f".//{NS}Dbtr/{NS}PstlAdr/{NS}Ctry") == "DK"
    assert tree.findtext(f".//{NS}DbtrAcct/{NS}Ccy") == "DKK"
