"""Recoveries are collected: netted against later payments, closed by a clerk, money kept.

The payee is the employer (salary paid) unless a test says otherwise; the worked example's
amounts by last day of absence: 04-05 2,816.96, 04-12 7,511.89, 04-19 12,206.82, 04-26
16,901.75 kr.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import rules
from payments import audit, orders
from payments.batch import approval, night
from payments.claims import intake, queries, recoveries
from payments.db import make_engine, session_scope
from payments.errors import PaymentsError
from payments.models import (
    AuditEvent,
    Batch,
    BatchItem,
    Claim,
    Decision,
    PaymentOrder,
    Recovery,
    RecoveryOffset,
)
from tests.support import (
    EMPLOYER,
    Record,
    add_registration,
    file_transactions,
    live_orders,
    make_settings,
    maternity,
    wipe,
    worked,
)

TODAY = dt.date(2024, 3, 20)  # a Wednesday; the worked example is on time
NOW = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
PARAMS = rules.load_parameters()
SECOND = {"external_ref": "ACME-0002", "employee_cpr": "020290-1234"}
THIRD = {"external_ref": "ACME-0003", "employee_cpr": "030390-1234"}
MATERNITY = maternity(
    external_ref="MAT-1",
    employee_cpr="040490-1234",
    child_birth_date="2024-02-05",
    first_absence_day="2024-02-05",
    last_absence_day="2024-02-23",  # 14,084.79 kr
)


def submit(engine, *raws, actor="employer"):
    records = [Record(r, f"item {i}") for i, r in enumerate(raws, 1)]
    outs = list(
        intake.submit(engine, records, actor=actor, today=TODAY, now=NOW, parameters=PARAMS)
    )
    assert all(not o.failed for o in outs), [o.decision.get("reasons") for o in outs]
    return outs


def mark_sent(engine):
    """Pretend every pending order was paid (the bank has seen it)."""
    with session_scope(engine) as s:
        s.execute(
            update(PaymentOrder)
            .where(PaymentOrder.status == "pending")
            .values(status="sent", attempts=1)
        )


def all_recoveries(engine):
    with session_scope(engine) as s:
        return s.scalars(select(Recovery).order_by(Recovery.id)).all()


def offsets(engine):
    with session_scope(engine) as s:
        return [
            (o.recovery_id, o.order_id, o.amount_ore)
            for o in s.scalars(select(RecoveryOffset).order_by(RecoveryOffset.id))
        ]


def paid_then_lowered(engine, last_day="2024-04-19", **changes):
    """ACME-0001 paid out at 16,901.75 kr, then corrected down: a recovery of the difference."""
    submit(engine, worked())
    mark_sent(engine)
    submit(engine, worked(last_absence_day=last_day, correction=True, **changes))


def conservation(engine) -> dict:
    """Check every identity of payments.claims.netting; return the sums per payee and benefit.

    Per payee P and benefit K: live orders = decided + offset + open + paid + written off
    (over P's recoveries of K); each order's and recovery's offset is the sum of its rows;
    an offset links the same payee and benefit; a batch item sends what its order did not
    offset.
    """
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with session_scope(engine) as s:
        for kind, number, benefit, amount in s.execute(  # the order pays the § 39 a supplement too
            select(
                Decision.payee_kind,
                Decision.payee_number,
                Claim.kind,
                Decision.amount_ore + Decision.supplement_ore,
            )
            .join(Claim, Claim.id == Decision.claim_id)
            .where(Decision.superseded.is_(False), Decision.payee_kind.is_not(None))
        ):
            sums[(kind, number, benefit)]["decided"] += amount
        by_order = {}
        for order, benefit in s.execute(
            select(PaymentOrder, Claim.kind)
            .join(Claim, Claim.id == PaymentOrder.claim_id)
            .where(PaymentOrder.status != "cancelled")
        ):
            key = (order.payee_kind, order.payee_number, benefit)
            sums[key]["live"] += order.amount_ore
            sums[key]["order_offsets"] += order.offset_ore
            by_order[order.id] = (key, order)
            assert (order.status == "offset") == (order.offset_ore == order.amount_ore)
        by_recovery = {}
        for r, benefit in s.execute(
            select(Recovery, Claim.kind).join(Claim, Claim.id == Recovery.claim_id)
        ):
            key = (r.payee_kind, r.payee_number, benefit)
            closed = r.amount_ore - r.offset_ore - r.open_ore
            assert closed == 0 or r.status in ("paid", "written_off"), r.status
            for name, value in (
                ("offset", r.offset_ore),
                ("open", r.open_ore),
                ("paid", closed if r.status == "paid" else 0),
                ("written_off", closed if r.status == "written_off" else 0),
            ):
                sums[key][name] += value
            by_recovery[r.id] = (key, r)
        per_order, per_recovery = defaultdict(int), defaultdict(int)
        for o in s.scalars(select(RecoveryOffset)):
            assert by_order[o.order_id][0] == by_recovery[o.recovery_id][0]  # payee, benefit
            per_order[o.order_id] += o.amount_ore
            per_recovery[o.recovery_id] += o.amount_ore
        assert {i: o.offset_ore for i, (_, o) in by_order.items() if o.offset_ore} == per_order
        assert {i: r.offset_ore for i, (_, r) in by_recovery.items() if r.offset_ore} == (
            per_recovery
        )
        for item_amount, order in s.execute(
            select(BatchItem.amount_ore, PaymentOrder).join(
                PaymentOrder, PaymentOrder.id == BatchItem.order_id
            )
        ):
            assert item_amount == orders.payable(order), order.id
    for key, v in sums.items():
        assert v["live"] == v["decided"] + v["offset"] + v["open"] + v["paid"] + v["written_off"], (
            key,
            dict(v),
        )
        assert v["order_offsets"] == v["offset"], (key, dict(v))
    return {k: dict(v) for k, v in sums.items()}


# -- netting at an order's creation --------------------------------------------------------


def test_an_open_recovery_is_offset_against_the_next_payment_and_the_bank_gets_the_rest(
    engine, tmp_path
):
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr")
    paid_then_lowered(engine)
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.amount_ore, recovery.open_ore) == ("open", 469_493, 469_493)

    submit(engine, worked(**SECOND))
    [order] = live_orders(engine, "ACME-0002")
    assert (order.status, order.amount_ore, order.offset_ore) == ("pending", 1_690_175, 469_493)
    assert order.remittance == (
        "Refusion sygedagpenge 2024-04-03..2024-04-26 ACME-0002 "
        "modregnet 4.694,93 kr (tilbagebetaling ACME-0001)"
    )
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.open_ore, recovery.offset_ore) == ("offset", 0, 469_493)
    assert offsets(engine) == [(recovery.id, order.id, 469_493)]
    with session_scope(engine) as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "recovery.offset"))
        assert event.subject == f"recovery:{recovery.id}"
        assert (
            '"amount": "4694.93"' in event.payload
            and '"recovery_status": "offset"' in event.payload
        )

    run = night.run(engine, make_settings(tmp_path), run_date=TODAY, actor="n", now=NOW)
    assert run.order_count == 1 and run.total == Decimal("12206.82")
    [(_, amount)] = file_transactions(run.files[0].path)
    assert amount == Decimal("12206.82")
    conservation(engine)
    assert audit.verify_database(engine).intact


def test_partial_offsets_an_order_offset_in_full_is_never_sent(engine, tmp_path):
    """A recovery of 16,901.75 (the employer turned out not to have paid salary: the money
    goes to the employee) takes the whole of a 12,206.82 order, then 4,694.93 of the next."""
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr")
    paid_then_lowered(engine, last_day="2024-04-26", salary_paid=False)
    [recovery] = all_recoveries(engine)
    assert (recovery.payee_kind, recovery.amount_ore) == ("cvr", 1_690_175)

    submit(engine, worked(last_absence_day="2024-04-19", **SECOND))
    [small] = live_orders(engine, "ACME-0002")
    assert (small.status, small.offset_ore, orders.payable(small)) == ("offset", 1_220_682, 0)
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.open_ore) == ("partly_offset", 469_493)

    submit(engine, worked(**THIRD))
    [big] = live_orders(engine, "ACME-0003")
    assert (big.status, big.offset_ore, orders.payable(big)) == ("pending", 469_493, 1_220_682)
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.open_ore, recovery.offset_ore) == ("offset", 0, 1_690_175)
    assert [(o[1], o[2]) for o in offsets(engine)] == [(small.id, 1_220_682), (big.id, 469_493)]

    submit(engine, worked(external_ref="ACME-0004", employee_cpr="050590-1234"))
    [untouched] = live_orders(engine, "ACME-0004")  # nothing is owed any more
    assert untouched.offset_ore == 0 and "modregnet" not in untouched.remittance

    run = night.run(engine, make_settings(tmp_path), run_date=TODAY, actor="n", now=NOW)
    with session_scope(engine) as s:
        batched = set(s.scalars(select(BatchItem.order_id)))
    assert small.id not in batched and {big.id, untouched.id} <= batched
    assert run.total == Decimal("12206.82") + Decimal("16901.75")
    conservation(engine)


def test_benefits_are_not_mixed(engine):
    """A sickness recovery is not collected from a maternity payment to the same employer."""
    paid_then_lowered(engine)
    submit(engine, MATERNITY)
    [order] = live_orders(engine, "MAT-1")
    assert order.offset_ore == 0
    assert all_recoveries(engine)[0].status == "open"
    conservation(engine)


# -- netting at a recovery's creation ------------------------------------------------------


def test_a_new_recovery_reduces_orders_not_yet_sent_but_never_one_in_a_batch(engine, tmp_path):
    """ACME-0002 is in a batch that is not released, ACME-0003 waits for the next night. The
    correction of ACME-0001 is offset against ACME-0003 only, though ACME-0002 is older."""
    submit(engine, worked())
    mark_sent(engine)
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr")
    submit(engine, worked(**SECOND))
    run = night.run(engine, make_settings(tmp_path), run_date=TODAY, actor="n", now=NOW)
    assert run.order_count == 1
    submit(engine, worked(**THIRD))

    submit(engine, worked(last_absence_day="2024-04-12", correction=True))  # 9,389.86 less
    [in_batch] = live_orders(engine, "ACME-0002")
    [waiting] = live_orders(engine, "ACME-0003")
    assert in_batch.offset_ore == 0 and "modregnet" not in in_batch.remittance
    with session_scope(engine) as s:
        assert s.scalar(select(orders.reported_status()).where(PaymentOrder.id == in_batch.id)) == (
            "in_batch"
        )
    assert (waiting.status, waiting.offset_ore) == ("pending", 938_986)
    assert waiting.remittance.endswith("modregnet 9.389,86 kr (tilbagebetaling ACME-0001)")
    [recovery] = all_recoveries(engine)
    assert recovery.status == "offset"
    conservation(engine)


def test_a_recovery_with_nothing_to_offset_against_stays_open(engine, tmp_path):
    """The only other payment is in a batch that is not released: nothing is reduced."""
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr")
    submit(engine, worked())
    mark_sent(engine)
    submit(engine, worked(**SECOND))
    night.run(engine, make_settings(tmp_path), run_date=TODAY, actor="n", now=NOW)
    submit(engine, worked(last_absence_day="2024-04-19", correction=True))
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.open_ore) == ("open", 469_493)
    assert [o.offset_ore for o in live_orders(engine, "ACME-0002")] == [0]
    assert offsets(engine) == []
    conservation(engine)


def test_an_order_with_an_offset_survives_a_correction_of_its_own_claim(engine):
    """An offset paid the payee's debt: the order counts as paid and is not cancelled. The
    lower decision makes a recovery, which the order's unsent rest pays back at once."""
    paid_then_lowered(engine)
    submit(engine, worked(**SECOND))
    submit(engine, worked(last_absence_day="2024-04-19", correction=True, **SECOND))
    [order] = live_orders(engine, "ACME-0002")
    assert (order.amount_ore, order.offset_ore, order.status) == (1_690_175, 938_986, "pending")
    assert order.remittance.endswith("modregnet 9.389,86 kr (tilbagebetaling ACME-0001, ACME-0002)")
    first, second = all_recoveries(engine)
    assert (first.status, second.status, second.amount_ore) == ("offset", "offset", 469_493)
    sums = conservation(engine)
    assert sums[("cvr", EMPLOYER, "sickness")]["decided"] == 2 * 1_220_682


def test_the_database_refuses_amounts_that_do_not_add_up(engine):
    paid_then_lowered(engine)
    [recovery] = all_recoveries(engine)
    for values in (
        {"open_ore": 1},  # open, but not the whole amount open
        {"status": "offset"},  # offset, with nothing offset
        {"status": "paid", "open_ore": 0},  # closed by nobody
    ):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.execute(update(Recovery).where(Recovery.id == recovery.id).values(**values))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(update(PaymentOrder).values(offset_ore=PaymentOrder.amount_ore + 1))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(update(PaymentOrder).values(status="offset"))  # nothing offset


# -- a clerk closes a recovery -------------------------------------------------------------


def test_a_recovery_paid_back_is_closed_and_no_later_payment_is_reduced(engine):
    paid_then_lowered(engine, last_day="2024-04-05")  # 14,084.79 to recover
    submit(engine, worked(last_absence_day="2024-04-12", **SECOND))  # 7,511.89 offset
    [recovery] = all_recoveries(engine)
    assert (recovery.status, recovery.open_ore) == ("partly_offset", 657_290)
    line = recoveries.close(
        engine, recovery.id, outcome="paid", reason="paid by transfer 2024-03-25", actor="clerk",
        now=NOW,
    )  # fmt: skip
    assert (line.status, line.paid, line.offset, line.open) == (
        "paid",
        Decimal("6572.90"),
        Decimal("7511.89"),
        Decimal("0.00"),
    )
    assert line.closed_by == "clerk" and line.close_reason == "paid by transfer 2024-03-25"
    assert [o.order_id for o in line.offsets] == [live_orders(engine, "ACME-0002")[0].id]
    with pytest.raises(PaymentsError) as again:
        recoveries.close(engine, recovery.id, outcome="written_off", reason="x", actor="c", now=NOW)
    assert again.value.code == "RECOVERY_CLOSED"
    submit(engine, worked(**THIRD))
    assert live_orders(engine, "ACME-0003")[0].offset_ore == 0
    with session_scope(engine) as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "recovery.paid"))
    assert '"amount": "6572.90"' in event.payload
    conservation(engine)


def test_a_recovery_written_off(engine):
    paid_then_lowered(engine)
    [recovery] = all_recoveries(engine)
    line = recoveries.close(
        engine, recovery.id, outcome="written_off", reason="below the collection limit",
        actor="clerk", now=NOW,
    )  # fmt: skip
    assert (line.status, line.written_off, line.paid) == (
        "written_off",
        Decimal("4694.93"),
        Decimal("0.00"),
    )
    totals = queries.recovery_totals(engine, state="written_off")
    assert (totals.count, totals.written_off, totals.open) == (1, Decimal("4694.93"), 0)
    assert queries.recoveries(engine, state="open") == []
    conservation(engine)


def test_closing_refuses_what_it_cannot_do(engine):
    paid_then_lowered(engine)
    [recovery] = all_recoveries(engine)
    cases = [
        (12345, "paid", "r", "RECOVERY_NOT_FOUND"),
        (recovery.id, "settled", "r", "RECOVERY_OUTCOME_INVALID"),
        (recovery.id, "paid", "  ", "RECOVERY_REASON_INVALID"),
        (recovery.id, "paid", "paid by 010190-1234", "RECOVERY_REASON_INVALID"),
    ]
    for recovery_id, outcome, reason, code in cases:
        with pytest.raises(PaymentsError) as exc:
            recoveries.close(
                engine, recovery_id, outcome=outcome, reason=reason, actor="c", now=NOW
            )
        assert exc.value.code == code
    with pytest.raises(PaymentsError) as exc:
        queries.recoveries(engine, state="closed")
    assert exc.value.code == "RECOVERY_STATE_INVALID"
    assert all_recoveries(engine)[0].status == "open"


# -- the property ---------------------------------------------------------------------------

CLAIMS = [
    worked(),
    worked(**SECOND),
    MATERNITY,
]
LAST_DAYS = {
    "sickness": ["2024-04-05", "2024-04-12", "2024-04-19", "2024-04-26", "2024-05-10"],
    "maternity": ["2024-02-23", "2024-03-01", "2024-03-15"],
}
# a step: a claim or its correction (one of three; a new last day, salary paid or not —
# which moves the payment between the employer and the employee), then maybe a night that
# pays it (released) or leaves it in a batch until the next night, then maybe a clerk
# closes the oldest open recovery
step = st.tuples(
    st.integers(0, len(CLAIMS) - 1),
    st.integers(0, 4),
    st.booleans(),
    st.sampled_from(["released", "released", "unreleased", None]),
    st.sampled_from([None, None, None, "paid", "written_off"]),
)


@settings(max_examples=25)
@given(st.lists(step, min_size=2, max_size=8))
def test_money_is_conserved_through_claims_corrections_nights_and_closing(
    db_url, tmp_path_factory, steps
):
    """After every step, for every payee and benefit: live orders = decided + offsets + open
    + paid back + written off; every batch item pays what its order did not offset."""
    engine = make_engine(db_url)
    wipe(engine)
    config = make_settings(tmp_path_factory.mktemp("night"))
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr")
        add_registration(s, "0101901234")  # the second employee has no account: held
        add_registration(s, "0404901234", account="2")
    seen: set[int] = set()
    nights = 0
    for n, day, salary_paid, paid_by, close in steps:
        claim = CLAIMS[n]
        days = LAST_DAYS[claim["kind"]]
        raw = claim | {
            "last_absence_day": days[day % len(days)],
            "salary_paid": salary_paid,
            "correction": n in seen,
        }
        [out] = submit(engine, raw)
        assert out.outcome in ("created", "corrected", "unchanged")
        seen.add(n)
        conservation(engine)
        if paid_by is not None:
            with session_scope(engine) as s:
                batch_id = s.scalar(select(Batch.id).where(Batch.status == "generated"))
            if batch_id is None:  # a new night; else the night that left its batch
                nights += 1
                run = night.run(
                    engine, config, run_date=TODAY + dt.timedelta(days=nights), actor="a", now=NOW
                )
                batch_id = run.batch_id if paid_by == "released" and run.order_count else None
            if batch_id is not None:
                approval.approve(engine, config, batch_id, actor="b", now=NOW)
                approval.release(engine, config, batch_id, actor="b", now=NOW)
            conservation(engine)
        if close is not None:
            with session_scope(engine) as s:
                first_open = s.scalar(
                    select(func.min(Recovery.id)).where(
                        Recovery.status.in_(["open", "partly_offset"])
                    )
                )
            if first_open is not None:
                recoveries.close(
                    engine, first_open, outcome=close, reason="r", actor="clerk", now=NOW
                )
                conservation(engine)
    assert audit.verify_database(engine).intact
    # what the examples reached (pytest --hypothesis-show-statistics)
    event(f"offsets: {min(len(offsets(engine)), 3)}")
    with session_scope(engine) as s:
        event("orders: " + ",".join(sorted(set(s.scalars(select(PaymentOrder.status))))))
        event("recoveries: " + ",".join(sorted(set(s.scalars(select(Recovery.status))))))
    engine.dispose()
