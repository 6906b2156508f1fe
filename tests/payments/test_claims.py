"""Claim intake: decide, store, idempotency, corrections, cross-claim rules, bad records."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError

import rules
from payments import orders
from payments.batch import night
from payments.claims import counts, intake
from payments.db import make_engine, metadata, session_scope
from payments.models import (
    AuditEvent,
    Claim,
    Decision,
    PaymentOrder,
    Recovery,
)
from tests.support import (
    WORKED_AMOUNT,
    WORKED_EXAMPLE,
    Record,
    add_registration,
    live_orders,
    make_settings,
    maternity,
)

TODAY = dt.date(2024, 3, 20)
NOW = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
PARAMS = rules.load_parameters()
EMPLOYER, OTHER_EMPLOYER = "13585628", "10150817"

WORKED = WORKED_EXAMPLE


def submit(engine, *raws, today=TODAY, backdated=False):
    """Submit claims received on ``today``; ``backdated`` honours each one's submitted_on."""
    records = [Record(r, f"item {i}") for i, r in enumerate(raws, 1)]
    return list(
        intake.submit(
            engine, records, actor="employer", today=today, now=NOW, parameters=PARAMS,
            backdated=backdated,
        )
    )  # fmt: skip


def count(engine, model):
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_worked_example_creates_one_order_to_the_employer(engine):
    [out] = submit(engine, WORKED)
    assert out.outcome == "created" and out.decision["amount"] == "16901.75"
    [order] = live_orders(engine)
    assert (order.payee_kind, order.payee_number) == ("cvr", EMPLOYER)
    assert order.amount_ore == 1_690_175 and order.status == "pending"
    assert order.due_date == TODAY and len(order.end_to_end_id) <= 35
    assert order.remittance == "Refusion sygedagpenge 2024-04-03..2024-04-26 ACME-0001"
    with session_scope(engine) as s:
        claim, decision = intake.find(s, EMPLOYER, "ACME-0001")
        assert json.loads(claim.raw)["hourly_wage"] == "250.00"
        assert decision.amount_ore == 1_690_175 and decision.status == "approved"
        assert json.loads(decision.document)["trace"]
        assert "weekly_max" in decision.parameter_versions


def test_stored_decision_is_compact_utf8_json_with_the_trace(engine):
    [out] = submit(engine, WORKED)
    with session_scope(engine) as s:
        text = s.scalar(select(Decision.document))
    assert json.loads(text) == out.decision and out.decision["trace"]
    assert text == json.dumps(out.decision, ensure_ascii=False, separators=(",", ":"))
    assert "–" in text  # non-ASCII kept as text, not \u escapes


def test_resubmitting_the_same_claim_changes_nothing(engine):
    submit(engine, WORKED)
    before = (count(engine, Claim), count(engine, Decision), count(engine, PaymentOrder))
    [out] = submit(engine, WORKED | {"correction": True})
    assert out.outcome == "unchanged" and out.decision["amount"] == "16901.75"
    assert (count(engine, Claim), count(engine, Decision), count(engine, PaymentOrder)) == before
    [brief] = intake.submit(
        engine,
        [Record(WORKED)],
        actor="e",
        today=TODAY,
        now=NOW,
        parameters=PARAMS,
        documents=False,
    )
    assert (brief.outcome, brief.status, brief.decision["amount"]) == (
        "unchanged",
        "approved",
        "16901.75",
    )
    assert brief.decision["payee"] == {"kind": "cvr", "number": EMPLOYER}


def test_a_different_claim_under_the_same_reference_is_refused(engine):
    submit(engine, WORKED)
    [out] = submit(engine, WORKED | {"last_absence_day": "2024-05-03"})
    [other_person] = submit(engine, WORKED | {"employee_cpr": "020290-1234"})
    assert out.status == "invalid" and out.outcome == "not_stored"
    assert [r["code"] for r in out.decision["reasons"]] == ["CLAIM_DUPLICATE_REF"]
    assert [r["code"] for r in other_person.decision["reasons"]] == ["CLAIM_DUPLICATE_REF"]
    assert live_orders(engine)[0].amount_ore == 1_690_175


def test_correction_of_an_unknown_reference_is_refused(engine):
    [out] = submit(engine, WORKED | {"correction": True})
    assert [r["code"] for r in out.decision["reasons"]] == ["CLAIM_CORRECTION_UNKNOWN_REF"]
    assert count(engine, Claim) == 0


def test_claim_and_its_correction_in_the_same_file(engine):
    outs = submit(engine, WORKED, WORKED | {"last_absence_day": "2024-05-03", "correction": True})
    assert [o.outcome for o in outs] == ["created", "corrected"]
    assert [o.amount_ore for o in live_orders(engine)] == [2_159_668]


def test_chunk_boundaries_change_nothing(engine):
    """Chunks of two: a resend, a correction and an overlap each meet their claim in an
    earlier, committed chunk, and are answered as in one chunk."""
    other = WORKED | {"external_ref": "ACME-0002", "employee_cpr": "020290-1234"}
    corrected = WORKED | {"last_absence_day": "2024-05-03", "correction": True}
    overlapping = WORKED | {
        "external_ref": "ACME-0003",
        "first_absence_day": "2024-04-29",
        "last_absence_day": "2024-05-10",
    }
    records = [
        Record(r, f"line {i}")
        for i, r in enumerate([WORKED, other, WORKED, corrected, overlapping, other], 1)
    ]
    outs = list(
        intake.submit(
            engine, records, actor="employer", today=TODAY, now=NOW, parameters=PARAMS, chunk_size=2
        )
    )
    assert [o.outcome for o in outs] == [
        "created",
        "created",
        "unchanged",
        "corrected",
        "not_stored",
        "unchanged",
    ]
    assert [r["code"] for r in outs[4].decision["reasons"]] == ["CLAIM_OVERLAP"]
    assert outs[2].decision["amount"] == "16901.75" and outs[3].decision["amount"] == "21596.68"
    assert [o.amount_ore for o in live_orders(engine)] == [2_159_668]
    assert (count(engine, Claim), count(engine, Decision)) == (2, 3)


def test_a_reference_stored_by_a_concurrent_submitter_loses_no_other_claim(engine, monkeypatch):
    """Another submitter stores ACME-0001 after this chunk looked it up: the database
    refuses the chunk's insert (unique employer + reference), the chunk is redone one claim
    per transaction, and only that claim is reported."""
    submit(engine, WORKED)  # the other submitter's claim, invisible to the chunk below

    class Blind(intake.ClaimChunk):
        def __init__(self, *args):
            super().__init__(*args)
            self.by_key.clear()
            self.live.clear()

    monkeypatch.setattr(intake, "ClaimChunk", Blind)
    monkeypatch.setattr(intake._Intake, "_stored_by_digest", lambda self, digests: {})
    other = WORKED | {"external_ref": "ACME-0002", "employee_cpr": "020290-1234"}
    [lost, kept] = submit(engine, WORKED, other)
    assert (lost.outcome, [r["code"] for r in lost.decision["reasons"]]) == (
        "not_stored",
        ["CLAIM_CONFLICT"],
    )
    assert kept.outcome == "created" and kept.decision["amount"] == "16901.75"
    assert (count(engine, Claim), count(engine, Decision), count(engine, PaymentOrder)) == (2, 2, 2)


def test_a_claim_the_database_refuses_is_reported_and_the_others_stored(engine, monkeypatch):
    """A value the database cannot hold (PostgreSQL refuses NUL in text, say) fails the
    chunk; redone claim by claim, only that claim is reported."""
    real = intake.insert_rows

    def picky(conn, table, rows):
        if any(row.get("external_ref") == "ACME-0002" for row in rows):
            raise DataError("COPY claims", None, ValueError("value refused\ndetail"))
        real(conn, table, rows)

    monkeypatch.setattr(intake, "insert_rows", picky)
    refused = WORKED | {"external_ref": "ACME-0002", "employee_cpr": "020290-1234"}
    [kept, lost] = submit(engine, WORKED, refused)
    assert kept.outcome == "created"
    assert (lost.outcome, [r["code"] for r in lost.decision["reasons"]]) == (
        "not_stored",
        ["CLAIM_NOT_STORABLE"],
    )
    assert "value refused" in lost.decision["reasons"][0]["message"]
    assert (count(engine, Claim), count(engine, PaymentOrder)) == (1, 1)


def test_correction_before_payment_replaces_the_order(engine):
    submit(engine, WORKED)
    [out] = submit(engine, WORKED | {"last_absence_day": "2024-05-03", "correction": True})
    assert out.outcome == "corrected"
    # week 18 (Mon 29 Apr - Fri 3 May, 1 May is a working day) adds 4,694.93
    assert out.decision["amount"] == "21596.68"
    [order] = live_orders(engine)
    assert order.amount_ore == 2_159_668
    with session_scope(engine) as s:
        statuses = sorted(s.scalars(select(PaymentOrder.status)).all())
        assert statuses == ["cancelled", "pending"]
        assert (
            s.scalar(
                select(func.count()).select_from(Decision).where(Decision.superseded.is_(False))
            )
            == 1
        )


def _mark_sent(engine):
    with session_scope(engine) as s:
        s.execute(
            update(PaymentOrder).where(PaymentOrder.status == "pending").values(status="sent")
        )


def test_correcting_a_mistyped_employee_cpr_moves_the_claim_to_the_right_person(engine):
    """Paid to the wrong CPR (no salary paid, so the employee is the payee): the correction
    names the right one. The money sent is recovered from the first, the right one gets a
    new order, and the claim counts in the right person's history from now on."""
    first = WORKED | {"salary_paid": False, "employee_cpr": "020290-1234"}
    submit(engine, first)
    _mark_sent(engine)
    [out] = submit(engine, first | {"employee_cpr": "010190-1234", "correction": True})
    assert out.outcome == "corrected" and out.decision["payee"] == {
        "kind": "cpr",
        "number": "0101901234",
    }
    with session_scope(engine) as s:
        claim, _ = intake.find(s, EMPLOYER, "ACME-0001")
        recovery = s.scalars(select(Recovery)).one()
    assert claim.employee_cpr == "0101901234" and claim.version == 2
    assert (recovery.payee_number, recovery.amount_ore) == ("0202901234", 1_690_175)
    assert [(o.payee_number, o.amount_ore, o.status) for o in live_orders(engine)] == [
        ("0202901234", 1_690_175, "sent"),
        ("0101901234", 1_690_175, "pending"),
    ]
    same_days = WORKED | {"external_ref": "ACME-0002"}
    [right, wrong] = submit(
        engine, same_days, same_days | {"external_ref": "ACME-0003", "employee_cpr": "020290-1234"}
    )
    assert [r["code"] for r in right.decision["reasons"]] == ["CLAIM_OVERLAP"]
    assert wrong.outcome == "created"  # the first person has no such absence any more


def test_correction_up_after_payment_adds_a_difference_order(engine):
    submit(engine, WORKED)
    _mark_sent(engine)
    submit(engine, WORKED | {"last_absence_day": "2024-05-03", "correction": True})
    orders = live_orders(engine)
    assert [(o.status, o.amount_ore) for o in orders] == [("sent", 1_690_175), ("pending", 469_493)]
    assert orders[1].end_to_end_id != orders[0].end_to_end_id


def test_correction_keeps_an_order_already_in_an_unreleased_batch(engine, tmp_path):
    """The file with the first amount is made: the correction pays only the difference."""
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr", account="567890")
    submit(engine, WORKED)
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=TODAY, actor="night", now=NOW)
    assert run.order_count == 1
    submit(engine, WORKED | {"last_absence_day": "2024-05-03", "correction": True})
    with session_scope(engine) as s:
        rows = s.execute(
            select(orders.reported_status(), PaymentOrder.amount_ore).order_by(PaymentOrder.id)
        ).all()
    assert [tuple(r) for r in rows] == [("in_batch", 1_690_175), ("pending", 469_493)]


def test_correction_down_after_payment_records_a_recovery(engine):
    submit(engine, WORKED)
    _mark_sent(engine)
    [out] = submit(engine, WORKED | {"last_absence_day": "2024-04-19", "correction": True})
    assert out.decision["amount"] == "12206.82"  # one week of 4,694.93 less
    with session_scope(engine) as s:
        [recovery] = s.scalars(select(Recovery)).all()
        assert recovery.amount_ore == 469_493 and recovery.payee_number == EMPLOYER
    assert [o.amount_ore for o in live_orders(engine)] == [1_690_175]


def test_overlapping_sickness_claim_for_the_same_employee_is_invalid(engine):
    submit(engine, WORKED)
    [out] = submit(
        engine,
        WORKED
        | {
            "external_ref": "ACME-0002",
            "first_absence_day": "2024-04-22",
            "last_absence_day": "2024-05-10",
        },
    )
    assert [r["code"] for r in out.decision["reasons"]] == ["CLAIM_OVERLAP"]
    # the same days at another employer (a second job) are not an overlap
    [other] = submit(engine, WORKED | {"external_ref": "JOB2-1", "employer_cvr": OTHER_EMPLOYER})
    assert other.outcome == "created"


def test_22_weeks_in_9_months_counts_days_from_another_employer(engine):
    first = WORKED | {
        "external_ref": "A-1",
        "first_absence_day": "2023-12-01",
        "last_absence_day": "2024-05-31",
        "submitted_on": "2023-12-20",
    }
    second = WORKED | {
        "external_ref": "B-1",
        "employer_cvr": OTHER_EMPLOYER,
        "first_absence_day": "2024-06-03",
        "last_absence_day": "2024-08-30",
        "submitted_on": "2024-06-20",
    }
    alone = rules.decide(rules.parse_claim(second, today=dt.date(2024, 6, 20)), parameters=PARAMS)
    assert "RULE_SICK_22_WEEKS" not in alone.codes
    [a, b] = submit(engine, first, second, today=dt.date(2024, 6, 20), backdated=True)
    assert a.outcome == b.outcome == "created"
    assert "RULE_SICK_22_WEEKS" in [r["code"] for r in b.decision["reasons"]]
    assert Decimal(b.decision["amount"]) < alone.amount


def test_maternity_weeks_already_granted_limit_the_next_claim(engine):
    base = maternity(child_birth_date="2024-02-05")
    first = base | {
        "external_ref": "MAT-1",
        "first_absence_day": "2024-02-05",
        "last_absence_day": "2024-06-28",
        "submitted_on": "2024-06-28",
    }
    second = base | {
        "external_ref": "MAT-2",
        "first_absence_day": "2024-07-01",
        "last_absence_day": "2024-08-30",
        "submitted_on": "2024-08-30",
    }
    [a, b] = submit(engine, first, second, today=dt.date(2024, 8, 30), backdated=True)
    assert a.decision["days"] == 105  # 21 weeks of Monday-Friday from the birth
    assert b.decision["days"] == 15  # 24 weeks = 120 days; 105 used
    assert "RULE_MAT_ENTITLEMENT_USED" in [r["code"] for r in b.decision["reasons"]]


def test_bad_records_are_reported_and_good_ones_stored(engine):
    base = WORKED | {"submitted_on": "2024-03-20"}  # received on time, imported years on
    problem = rules.Problem("CLAIM_FILE_MALFORMED", None, "line 2 is not JSON")
    records = [
        Record(base, "line 1"),
        Record(None, "line 2", problem),
        Record(base | {"external_ref": "X-2", "surprise": 1}, "line 3"),
        Record(base | {"external_ref": "X-3", "employee_cpr": "3102901234"}, "line 4"),
        Record(base | {"external_ref": "X-4", "employer_cvr": "13585627"}, "line 5"),
        Record(
            base
            | {
                "external_ref": "X-5",
                "first_absence_day": "2027-03-01",  # no 2027 rates ship: RULE_PARAM_MISSING
                "last_absence_day": "2027-04-23",
                "submitted_on": "2027-03-19",
            },
            "line 6",
        ),
        Record(base | {"external_ref": "X-6", "employee_cpr": "020290-1234"}, "line 7"),
    ]
    outs = list(
        intake.submit(
            engine,
            records,
            actor="e",
            today=dt.date(2027, 3, 19),
            now=NOW,
            parameters=PARAMS,
            backdated=True,
        )  # fmt: skip
    )
    assert [o.position for o in outs] == [f"line {i}" for i in range(1, 8)]
    assert [o.status for o in outs] == [
        "approved",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "error",
        "approved",
    ]
    codes = [[r["code"] for r in o.decision["reasons"]] for o in outs]
    assert codes[1] == ["CLAIM_FILE_MALFORMED"]
    assert "CLAIM_FIELD_UNKNOWN" in codes[2]
    assert "ID_CPR_INVALID" in codes[3] and "ID_CVR_INVALID" in codes[4]
    assert "RULE_PARAM_MISSING" in codes[5]
    assert count(engine, Claim) == 2 and count(engine, PaymentOrder) == 2


def _wipe(engine):
    with session_scope(engine) as s:
        for table in reversed(metadata.sorted_tables):
            s.execute(table.delete())


@settings(max_examples=12)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["2024-04-05", "2024-04-12", "2024-04-19", "2024-04-26", "2024-05-10"]),
            st.booleans(),
            st.booleans(),
            st.sampled_from(["010190-1234", "020290-1234"]),
        ),  # a mistyped CPR
        min_size=1,
        max_size=5,
    )
)
def test_live_orders_minus_recoveries_equal_the_latest_decision(db_url, steps):
    engine = make_engine(db_url)
    _wipe(engine)
    for i, (last_day, salary_paid, send, employee) in enumerate(steps):
        claim = WORKED | {
            "last_absence_day": last_day,
            "salary_paid": salary_paid,
            "employee_cpr": employee,
            "correction": i > 0,
        }
        [out] = submit(engine, claim)
        assert out.outcome in ("created", "corrected", "unchanged")
        if send:
            _mark_sent(engine)
        with session_scope(engine) as s:
            _, decision = intake.find(s, EMPLOYER, "ACME-0001")
            paid = s.scalar(
                select(func.coalesce(func.sum(PaymentOrder.amount_ore), 0)).where(
                    PaymentOrder.status != "cancelled"
                )
            )
            recovered = s.scalar(select(func.coalesce(func.sum(Recovery.amount_ore), 0)))
            assert counts.check(s) == [] and counts.total(s, EMPLOYER) == 1
        assert paid - recovered == decision.amount_ore
    engine.dispose()


KILL_CHILD = """
import datetime as dt, json, os, signal, sys
import rules
from payments.claims import intake
from payments.db import make_engine

url, path = sys.argv[1], sys.argv[2]
writes = []
real_write = intake._Intake.write
def write(self):
    writes.append(1)
    if len(writes) == 3:  # two chunks committed; the third dies while it writes its rows
        os.kill(os.getpid(), signal.SIGKILL)
    real_write(self)
intake._Intake.write = write
list(intake.submit(make_engine(url), rules.iter_claim_records(path), actor="employer",
                   today=dt.date(2024, 3, 20), now=dt.datetime(2024, 3, 20, 9, tzinfo=dt.UTC),
                   parameters=rules.load_parameters(), chunk_size=2))
"""


def test_a_killed_intake_loses_no_claim_and_pays_none_twice(db_url, tmp_path):
    """Killed in its third chunk: the two committed chunks stay, the third leaves nothing;
    the same file again creates exactly the rest, and every claim has one order."""
    records = [
        WORKED | {"external_ref": f"K-{i}", "employee_cpr": f"{i + 1:02d}0190-1234"}
        for i in range(7)
    ]
    path = tmp_path / "claims.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    child = subprocess.run(
        [sys.executable, "-c", KILL_CHILD, db_url, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    engine = make_engine(db_url)
    assert (count(engine, Claim), count(engine, PaymentOrder)) == (4, 4)
    again = list(
        intake.submit(
            engine,
            rules.iter_claim_records(path),
            actor="employer",
            today=TODAY,
            now=NOW,
            parameters=PARAMS,
            chunk_size=2,
        )
    )
    assert [o.outcome for o in again] == ["unchanged"] * 4 + ["created"] * 3
    with session_scope(engine) as s:
        per_claim = s.execute(
            select(PaymentOrder.claim_id, func.count(), func.sum(PaymentOrder.amount_ore)).group_by(
                PaymentOrder.claim_id
            )
        ).all()
    assert len(per_claim) == 7 and {(n, total) for _, n, total in per_claim} == {(1, 1_690_175)}
    with session_scope(engine) as s:  # the company's kept number of claims died with them
        assert counts.check(s) == [] and counts.total(s, EMPLOYER) == 7
    engine.dispose()


# -- the receipt date belongs to the engine (issue 13) ------------------------------------


def test_a_file_cannot_backdate_its_own_receipt(engine):
    """The same claim, late when received on 2024-05-01, may not make itself on time by
    saying it was submitted on 2024-03-20."""
    late = dt.date(2024, 5, 1)
    [refused] = submit(engine, WORKED | {"submitted_on": "2024-03-20"}, today=late)
    assert refused.status == "invalid"
    assert [(r["code"], r.get("field")) for r in refused.decision["reasons"]] == [
        ("CLAIM_FIELD_NOT_ALLOWED", "submitted_on")
    ]
    [received] = submit(engine, WORKED, today=late)
    assert "RULE_SICK_LATE" in [r["code"] for r in received.decision["reasons"]]
    with session_scope(engine) as s:
        claim = s.scalar(select(Claim))
        assert (claim.received_on, claim.backdated) == (late, False)


def test_a_backdated_import_keeps_the_files_dates_and_says_so(engine):
    [out] = submit(
        engine, WORKED | {"submitted_on": "2024-03-20"}, today=dt.date(2024, 5, 1), backdated=True
    )
    assert out.status == "approved" and Decimal(out.decision["amount"]) == WORKED_AMOUNT
    with session_scope(engine) as s:
        claim = s.scalar(select(Claim))
        assert (claim.received_on, claim.backdated) == (dt.date(2024, 3, 20), True)
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "claims.submit")).all()
        assert json.loads(event.payload)["backdated"] is True


def test_a_2026_absence_received_on_time_is_decided_with_the_shipped_rates(engine):
    claim = WORKED | {
        "external_ref": "ACME-2026",
        "first_absence_day": "2026-03-02",
        "last_absence_day": "2026-04-24",
    }
    [out] = submit(engine, claim, today=dt.date(2026, 3, 18))
    assert out.status == "approved"
    # 37 h at the 2026 hourly maximum 137.43 (5,085 / 37): a full week is 5,084.91
    assert Decimal(out.decision["weeks"][-1]["amount"]) == Decimal("5084.91")


# -- the § 39 a supplement is paid with the reimbursement (issue 13) -----------------------

MATERNITY = maternity(
    external_ref="MAT-39A",
    child_birth_date="2026-02-02",
    first_absence_day="2026-02-02",
    last_absence_day="2026-03-27",
)


def test_the_order_pays_the_reimbursement_and_the_supplement(engine):
    [out] = submit(engine, MATERNITY, today=dt.date(2026, 4, 1))
    amount, supplement = Decimal(out.decision["amount"]), Decimal(out.decision["supplement"])
    assert supplement > 0 and supplement == supplement.to_integral_value()
    [order] = live_orders(engine, "MAT-39A")
    assert order.amount_ore == int((amount + supplement) * 100)
    assert order.payee_kind == "cvr" and "tillæg § 39 a" in order.remittance
    assert len(order.remittance) <= 140
    with session_scope(engine) as s:
        decision = s.scalar(select(Decision))
        assert (decision.amount_ore, decision.supplement_ore) == (
            int(amount * 100),
            int(supplement * 100),
        )


def test_no_supplement_when_the_benefit_goes_to_the_parent(engine):
    [out] = submit(engine, MATERNITY | {"salary_paid": False}, today=dt.date(2026, 4, 1))
    assert out.decision["supplement"] == "0.00"
    [order] = live_orders(engine, "MAT-39A")
    assert order.payee_kind == "cpr" and "tillæg" not in order.remittance
    assert order.amount_ore == int(Decimal(out.decision["amount"]) * 100)


def test_a_correction_compares_totals_supplement_included(engine):
    """A correction that shortens the leave lowers reimbursement and supplement alike; the
    order not yet paid is cancelled and the new total is ordered."""
    [first] = submit(engine, MATERNITY, today=dt.date(2026, 4, 1))
    shorter = MATERNITY | {"last_absence_day": "2026-03-13", "correction": True}
    [second] = submit(engine, shorter, today=dt.date(2026, 4, 1))
    assert second.outcome == "corrected"
    total = Decimal(second.decision["amount"]) + Decimal(second.decision["supplement"])
    assert total < Decimal(first.decision["amount"]) + Decimal(first.decision["supplement"])
    assert sum(o.amount_ore for o in live_orders(engine, "MAT-39A")) == int(total * 100)


def _synthetic(seed: int, count: int) -> list[dict]:
    """``count`` of the demo's synthetic claims of one employer, each its own employee."""
    import random

    from payments.demo import synthetic_claims, synthetic_cpr

    rng, used = random.Random(seed), set()
    employees = [synthetic_cpr(rng, used) for _ in range(count + 1)]
    return list(synthetic_claims(rng, count, TODAY, [EMPLOYER], employees))


def _analysed_rows(engine) -> float:
    """The rows of ``claims`` at PostgreSQL's last analysis of it."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'claims'::regclass"
        ).scalar()


def test_the_planner_statistics_follow_the_table_not_every_intake(postgres_engine):
    """An intake of 1,000 claims or more analyses the tables it fills when ``claims`` grew to
    twice (and 1,000 rows more than) its rows at the last analysis — not on every API
    request of 1,000."""
    raws = _synthetic(3, 4_000)

    seen = []
    for start, end in ((0, 2_000), (2_000, 3_000), (3_000, 4_000)):
        outcomes = submit(postgres_engine, *raws[start:end])
        assert sum(o.outcome == "created" for o in outcomes) == end - start
        seen.append(_analysed_rows(postgres_engine))
    # 2,000 into an empty table: analysed at 1,000 (2,000 < 1,000 + 2 x 1,000: not again);
    # 1,000 more: 3,000 >= 3,000, analysed; 1,000 more: 4,000 < 1,000 + 2 x 3,000, not
    assert seen == [1_000, 3_000, 3_000]


def test_an_intake_leaves_the_analysis_to_the_one_analysing(postgres_engine):
    """Concurrent intakes that all find the table grown analyse it once: one that finds
    the analysis lock taken (another intake analysing) does not analyse; the next one that
    takes the lock does."""
    raws = _synthetic(4, 2_000)

    with postgres_engine.connect() as other, other.begin():
        assert other.exec_driver_sql(intake._ANALYSING).scalar()  # another intake analyses
        outcomes = submit(postgres_engine, *raws[:1_000])
        assert sum(o.outcome == "created" for o in outcomes) == 1_000
        assert _analysed_rows(postgres_engine) <= 0  # never analysed (-1), or empty
    outcomes = submit(postgres_engine, *raws[1_000:2_000])
    assert sum(o.outcome == "created" for o in outcomes) == 1_000
    assert _analysed_rows(postgres_engine) == 2_000
