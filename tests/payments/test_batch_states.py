"""A batch's transactions per state as its row keeps them (payments.batch.states) always
equal the ``GROUP BY`` of its items by ``orders.item_state``, on SQLite and PostgreSQL.

Two nights with holds, releases and every kind of bank answer: settled, accepted then
settled, returned for an account reason (held the next night) and for another (requeued
and paid again in the second night), a settled payment returned by camt.054, a late answer
to an earlier attempt, and a partial return a clerk applies by hand. After each step every
batch's stored counts are compared with the counted ones, and some with the figures the
step must give.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from payments import returns
from payments.batch import approval, night, states
from payments.db import session_scope
from payments.models import Batch, BatchFile, BatchItem
from payments.statuses import BatchStatus, OrderStatus
from tests.payments.test_returns import CAMT, _pain002
from tests.support import NOW, RUN, add_order, add_registration, cpr, make_settings

LATER = NOW + dt.timedelta(days=1)
RUN_2 = RUN + dt.timedelta(days=1)
NOW_2 = NOW + dt.timedelta(days=1, hours=1)
AMOUNTS = (100_00, 200_00, 300_00, 400_00, 500_00, 600_00)


def _agree(engine) -> dict[int, dict[str, tuple[int, int]]]:
    """Every batch's stored counts, once checked against the items: equal for a released
    batch, none before release."""
    found = {}
    with session_scope(engine) as s:
        for batch in s.scalars(select(Batch).order_by(Batch.id)):
            stored = states.stored(batch)
            if batch.status == BatchStatus.RELEASED:
                assert stored == states.counted(s, batch.id), batch.id
            else:
                assert stored == {}, batch.id
            found[batch.id] = stored
    return found


def _release(engine, settings, run_date, now):
    run = night.run(engine, settings, run_date=run_date, actor="alice", now=now)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=now)
    approval.release(engine, settings, run.batch_id, actor="bob", now=now)
    with session_scope(engine) as s:
        msg_id = s.scalar(select(BatchFile.msg_id).where(BatchFile.batch_id == run.batch_id))
        e2e = s.scalars(
            select(BatchItem.end_to_end_id)
            .where(BatchItem.batch_id == run.batch_id)
            .order_by(BatchItem.order_id)
        ).all()
    return run.batch_id, msg_id, list(e2e)


def test_the_counts_follow_two_nights_of_answers(engine, tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i, amount in enumerate(AMOUNTS):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), amount)
        add_order(s, cpr(50), 70_00)  # no account: held
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    assert run.held_count == 1
    assert _agree(engine) == {run.batch_id: {}}  # nothing counted before release
    assert night.show(engine, settings, run.batch_id)[1]["in_batch"]["count"] == 6

    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    first = run.batch_id
    assert _agree(engine)[first] == {"sent": (6, sum(AMOUNTS))}
    with session_scope(engine) as s:
        msg_id = s.scalar(select(BatchFile.msg_id).where(BatchFile.batch_id == first))
        e2e = s.scalars(select(BatchItem.end_to_end_id).order_by(BatchItem.order_id)).all()

    answer = _pain002(
        tmp_path / "a1.xml",
        "BANK-1",
        msg_id,
        [
            (e2e[0], "ACSC"),
            (e2e[1], "ACTC"),
            (e2e[2], "RJCT", "AC04"),  # the account: held the next night
            (e2e[3], "RJCT", "AM04"),  # not the account: a clerk requeues it
            (e2e[4], "ACTC"),
            (e2e[4], "ACSC"),  # named twice: moves once, to settled
        ],
    )
    returns.import_file(engine, answer, actor="returns", now=LATER)
    assert _agree(engine)[first] == {
        "sent": (1, 600_00),
        "accepted": (1, 200_00),
        "settled": (2, 100_00 + 500_00),
        "returned": (2, 300_00 + 400_00),
    }

    # accepted, then settled; the settled one is returned by a camt.054 of its whole amount
    answer = _pain002(tmp_path / "a2.xml", "BANK-2", msg_id, [(e2e[1], "ACSC")], group="ACSC")
    returns.import_file(engine, answer, actor="returns", now=LATER)
    camt = tmp_path / "camt.xml"
    camt.write_text(CAMT.format(msg_id="CAMT-1", amount="100.00", e2e=e2e[0], reason="MS03"))
    returns.import_file(engine, camt, actor="returns", now=LATER)
    assert _agree(engine)[first] == {
        "sent": (1, 600_00),
        "settled": (2, 200_00 + 500_00),
        "returned": (3, 100_00 + 300_00 + 400_00),
    }

    # a requeued order is paid again the next night; its first transaction stays returned
    returns.requeue(engine, e2e[3], actor="clerk", now=LATER)
    assert _agree(engine)[first]["returned"] == (3, 800_00)
    second, msg_2, e2e_2 = _release(engine, settings, RUN_2, NOW_2)
    counts = _agree(engine)
    assert counts[first]["returned"] == (3, 800_00)
    assert counts[second] == {"sent": (1, 400_00)}  # AC04 held, the unpaid one held again

    # a late answer to the first attempt changes nothing; the second attempt's does
    late = _pain002(tmp_path / "a3.xml", "BANK-3", msg_id, [(e2e[3], "ACSC")], group="ACSC")
    returns.import_file(engine, late, actor="returns", now=NOW_2)
    assert _agree(engine) == counts
    answer = _pain002(tmp_path / "a4.xml", "BANK-4", msg_2, [(e2e_2[0], "ACSC")], group="ACSC")
    returns.import_file(engine, answer, actor="returns", now=NOW_2)
    assert _agree(engine)[second] == {"settled": (1, 400_00)}

    # part of a payment comes back: not applied until a clerk confirms the whole of it did
    camt = tmp_path / "camt2.xml"
    camt.write_text(CAMT.format(msg_id="CAMT-2", amount="60.00", e2e=e2e[5], reason="AC04"))
    assert returns.import_file(engine, camt, actor="returns", now=NOW_2).not_applied
    assert _agree(engine)[first]["sent"] == (1, 600_00)
    returns.apply_return(engine, e2e[5], actor="clerk", now=NOW_2)
    assert _agree(engine)[first] == {
        "settled": (2, 700_00),
        "returned": (4, 1_400_00),
    }
    # and the page shows the row's counts
    shown = night.show(engine, settings, first)[1]
    assert {s: v["count"] for s, v in shown.items()} == {"settled": 2, "returned": 4}


def test_the_database_refuses_counts_that_do_not_add_up(engine, tmp_path):
    """The CHECKs: a released batch's counts add up to its transactions, none below 0, and
    a batch not released counts none."""
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        add_registration(s, cpr(0))
        add_order(s, cpr(0), 100_00)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    with pytest.raises(IntegrityError), session_scope(engine) as s:  # not released yet
        s.execute(update(Batch).values(sent_count=1, sent_ore=100_00))
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    for values in (
        {"sent_count": 0},  # one transaction in no state
        {"sent_count": 2, "returned_count": -1},  # below 0
        {"settled_ore": 1},  # more money than was sent
    ):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.execute(update(Batch).values(values))
    with session_scope(engine) as s:  # a move keeps the totals
        s.execute(
            update(Batch).values(sent_count=0, sent_ore=0, settled_count=1, settled_ore=100_00)
        )
        assert s.execute(text("SELECT settled_count FROM batches")).scalar_one() == 1


def test_a_move_out_of_the_released_states_is_a_bug(engine):
    with pytest.raises(ValueError), session_scope(engine) as s:
        states.move(s, [(1, OrderStatus.SENT, OrderStatus.PENDING, 1, 100)])
