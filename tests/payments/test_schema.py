"""Migrations: one head, upgrade from empty on both databases, no drift, naming."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from payments import audit, schema
from payments.db import make_engine, session_scope
from payments.models import (
    REPORT_ITEMS_FK,
    AccountRegistration,
    AuditEvent,
    PaymentOrder,
    StatusReport,
    StatusReportItem,
)
from payments.orders import reported_status
from tests.support import NOW, add_order, add_registration


def test_one_head():
    assert len(schema.heads()) == 1


def test_upgrade_from_empty_sqlite_and_no_drift(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert schema.current_revision(engine) is None
    schema.upgrade(engine)
    report = schema.check(engine)
    assert report.clean, report.differences
    schema.upgrade(engine)  # idempotent
    assert schema.current_revision(engine) == schema.heads()[0]


def test_migrated_database_matches_models(engine):
    report = schema.check(engine)
    assert report.differences == ()
    assert report.revision in report.head
    names = set(inspect(engine).get_table_names())
    assert {
        "account_registrations",
        "claims",
        "decisions",
        "payment_orders",
        "batches",
        "batch_files",
        "batch_items",
        "status_reports",
        "audit_events",
    } <= names


def test_drift_is_detected(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    assert not schema.check(engine).clean


def test_utc_timestamps_round_trip(engine):
    when = dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with session_scope(engine) as s:
        reg = add_registration(s, "0101901234", registered_at=when)
    with session_scope(engine) as s:
        back = s.get(AccountRegistration, reg.id).registered_at
    assert back == when and back.utcoffset() == dt.timedelta(0)


def test_database_refuses_two_current_registrations(engine):
    with session_scope(engine) as s:
        add_registration(s, "0101901234")
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        add_registration(s, "0101901234", account="2")
    with session_scope(engine) as s:  # an ended one beside the current one is fine
        add_registration(s, "0101901234", account="3", status="ended", ended_on=dt.date(2024, 2, 1))


def test_database_refuses_an_account_in_two_forms(engine):
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        add_registration(s, "0101901234", iban="DK5000400440116243", reg_no="1234", account_no="1")


def _report(session, msg_id: str) -> int:
    report = StatusReport(
        msg_id=msg_id, kind="pain.002", file_sha256="0" * 64, imported_at=NOW, actor="t"
    )
    session.add(report)
    session.flush()
    return report.id


def _items(session, report_ids: list[int]) -> None:
    session.execute(
        insert(StatusReportItem),
        [
            {"report_id": r, "end_to_end_id": f"E2E{n}", "status": "ACSC", "outcome": "settled"}
            for n, r in enumerate(report_ids)
        ],
    )


def test_database_refuses_a_status_report_item_of_no_report(engine):
    """A foreign key on SQLite, a check per statement on PostgreSQL (revision 1010): one
    item of a report that does not exist refuses the whole statement."""
    with session_scope(engine) as s:
        report = _report(s, "ANSWER-1")
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        _items(s, [report, report, report + 1])
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(StatusReportItem)) == 0
        _items(s, [report, report])
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(update(StatusReportItem).values(report_id=report + 1))
    with session_scope(engine) as s:  # an update that keeps the report is fine
        s.execute(update(StatusReportItem).values(outcome="returned"))
        assert set(s.scalars(select(StatusReportItem.report_id))) == {report}


def test_database_keeps_a_report_its_items_name(engine):
    with session_scope(engine) as s:
        report = _report(s, "ANSWER-1")
        _items(s, [report])
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(delete(StatusReport).where(StatusReport.id == report))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(update(StatusReport).values(id=report + 1))
    with session_scope(engine) as s:
        assert s.scalar(select(StatusReport.id)) == report


def test_1010_down_and_up(postgres_url, empty_db_url):
    """PostgreSQL: down to 1000 the foreign key is back (and holds), up again its triggers.
    SQLite keeps the foreign key through both (revision 1010 changes PostgreSQL only)."""
    engine = make_engine(empty_db_url)
    kept = [] if engine.dialect.name == "postgresql" else [REPORT_ITEMS_FK]
    schema.upgrade(engine)
    with session_scope(engine) as s:
        report = _report(s, "ANSWER-1")
        _items(s, [report])
    schema.downgrade(engine, "1000")
    fks = inspect(engine).get_foreign_keys("status_report_items")
    assert [fk["name"] for fk in fks] == [REPORT_ITEMS_FK]
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        _items(s, [report + 1])
    schema.upgrade(engine)
    fks = inspect(engine).get_foreign_keys("status_report_items")
    assert [fk["name"] for fk in fks] == kept
    assert schema.check(engine).clean
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        _items(s, [report + 1])
    engine.dispose()


def test_0002_keeps_orders_in_unreleased_batches_and_numbers_attempts(tmp_path):
    """Revision 0002: ``in_batch`` orders become ``pending`` with a live item; attempts counted.

    Order 1 was returned from batch 1 and is in batch 2 (not released); order 2 was sent
    in batch 1. Down again to 0001, both are as they were.
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    schema.upgrade(engine, "0001")
    at = "'2024-05-06 22:00:00.000000'"
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO account_registrations (id, owner_kind, owner_number, reg_no, "
            "account_no, channel, status, actor, registered_at, active_from, "
            f"activation_attempts) VALUES (1, 'cpr', '0101901234', '1234', '567890', 'bank', "
            f"'active', 't', {at}, '2024-01-01', 0)",
            "INSERT INTO claims (id, employer_cvr, external_ref, employee_cpr, kind, first_day, "
            "last_day, raw, raw_sha256, version, received_at, actor) VALUES (1, '13585628', "
            f"'R1', '0101901234', 'sickness', '2024-04-01', '2024-04-05', '{{}}', 'x', 1, {at}, "
            "'t')",
            "INSERT INTO decisions (id, claim_id, version, status, amount_ore, codes, "
            "granted_days, parameter_versions, document, decided_on, created_at, superseded) "
            f"VALUES (1, 1, 1, 'approved', 300, '', '', '{{}}', '{{}}', '2024-05-06', {at}, 0)",
            "INSERT INTO batches (id, run_date, execution_date, status, pain001_version, "
            "order_count, total_ore, held_count, created_by, created_at) VALUES "
            f"(1, '2024-05-06', '2024-05-07', 'released', '001.001.03', 2, 300, 0, 'a', {at}), "
            f"(2, '2024-05-08', '2024-05-09', 'generated', '001.001.03', 1, 100, 0, 'a', {at})",
            "INSERT INTO batch_files (id, batch_id, seq, msg_id, filename, sha256, tx_count, "
            "total_ore) VALUES (1, 1, 1, 'M1', 'f1', 'h1', 2, 300), (2, 2, 1, 'M2', 'f2', 'h2', "
            "1, 100)",
            "INSERT INTO payment_orders (id, decision_id, claim_id, payee_kind, payee_number, "
            "amount_ore, remittance, end_to_end_id, due_date, status, registration_id, batch_id, "
            "attempts, created_at) VALUES "
            f"(1, 1, 1, 'cpr', '0101901234', 100, 'r', 'E1', '2024-05-06', 'in_batch', 1, 2, 2, "
            f"{at}), (2, 1, 1, 'cpr', '0101901234', 200, 'r', 'E2', '2024-05-06', 'sent', 1, "
            f"NULL, 1, {at})",
            "INSERT INTO batch_items (batch_id, order_id, file_seq, registration_id, "
            "end_to_end_id, amount_ore) VALUES (1, 1, 1, 1, 'E1', 100), (2, 1, 1, 1, 'E1-2', "
            "100), (1, 2, 1, 1, 'E2', 200)",
        ):
            conn.execute(text(sql))
    schema.upgrade(engine)
    assert schema.check(engine).clean
    with engine.connect() as conn:
        orders = conn.execute(
            text("SELECT id, status, attempts FROM payment_orders ORDER BY id")
        ).all()
        items = conn.execute(
            text("SELECT batch_id, order_id, attempt FROM batch_items ORDER BY batch_id, order_id")
        ).all()
    assert [tuple(r) for r in orders] == [(1, "pending", 1), (2, "sent", 1)]
    assert [tuple(r) for r in items] == [(1, 1, 1), (1, 2, 1), (2, 1, 2)]
    with engine.connect() as conn:  # revision 0900 counted the released batch's states
        counts = conn.execute(
            text(
                "SELECT id, sent_count, sent_ore, returned_count, returned_ore, settled_count "
                "FROM batches ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in counts] == [(1, 1, 200, 1, 100, 0), (2, 0, 0, 0, 0, 0)]
    with session_scope(engine) as s:
        assert s.execute(
            select(PaymentOrder.id, reported_status()).order_by(PaymentOrder.id)
        ).all() == [(1, "in_batch"), (2, "sent")]
    schema.downgrade(engine, "0001")
    with engine.connect() as conn:
        orders = conn.execute(
            text(
                "SELECT id, status, attempts, batch_id, registration_id "
                "FROM payment_orders ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in orders] == [(1, "in_batch", 2, 2, 1), (2, "sent", 1, None, 1)]
    engine.dispose()


@pytest.mark.postgres
def test_decision_documents_are_lz4_compressed_on_postgresql(postgres_engine):
    """Revision 0003, where the server has lz4 (it does in CI). SQLite has no compression
    setting, so this test runs on PostgreSQL only."""
    with postgres_engine.connect() as conn:
        lz4 = conn.scalar(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
        )
        method = conn.scalar(
            text(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = "
                "'decisions'::regclass AND attname = 'document'"
            )
        )
    assert method == ("l" if lz4 else "")


def test_0004_and_0005_up_and_down(empty_db_url):
    """On both databases: a date's batch may be rejected and run again, and the downgrade is
    refused (and changes nothing) while a rejected batch exists; a claim's key is as unique
    with its index reference first (0005) as before."""
    engine = make_engine(empty_db_url)
    schema.upgrade(engine, "0003")
    claim = (
        "INSERT INTO claims (id, employer_cvr, external_ref, employee_cpr, kind, first_day, "
        "last_day, raw, raw_sha256, version, received_at, actor) VALUES ({id}, '13585628', "
        "'R1', '0101901234', 'sickness', '2024-04-01', '2024-04-05', '{{}}', 'x', 1, "
        "'2024-05-06 22:00:00', 't')"
    )
    row = (
        "INSERT INTO batches (id, run_date, execution_date, status, pain001_version, "
        "order_count, total_ore, held_count, created_by, created_at) VALUES "
        "({id}, '2024-05-06', '2024-05-07', 'generated', '001.001.03', 0, 0, 0, 'a', "
        "'2024-05-06 22:00:00')"
    )
    at_head = (  # since 0200 a batch names its runner's identity too
        "INSERT INTO batches (id, run_date, execution_date, status, pain001_version, "
        "order_count, total_ore, held_count, created_by, created_by_key, created_at) VALUES "
        "({id}, '2024-05-06', '2024-05-07', 'generated', '001.001.03', 0, 0, 0, 'a', 'a', "
        "'2024-05-06 22:00:00')"
    )
    with engine.begin() as conn:
        conn.execute(text(claim.format(id=1)))
        conn.execute(text(row.format(id=1)))
    schema.upgrade(engine)
    assert schema.check(engine).clean
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE batches SET status = 'rejected', rejected_by = 'b', "
                "rejected_at = created_at, reject_reason = 'r' WHERE id = 1"
            )
        )
        conn.execute(text(at_head.format(id=2)))
    with pytest.raises(RuntimeError, match="1 rejected batch"):
        schema.downgrade(engine, "0003")
    assert schema.current_revision(engine) in schema.heads()  # nothing was undone
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM batches WHERE id = 1"))
    schema.downgrade(engine, "0003")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(row.format(id=3)))  # one batch per date, as before 0004
    schema.upgrade(engine)
    assert schema.check(engine).clean
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(claim.format(id=2)))  # the same employer and reference again
    engine.dispose()


def test_0200_keys_breaches_letters_and_holds(empty_db_url):
    """Revision 0200 on both databases, with rows in it: every actor gets its identity key;
    a batch its runner approved under another spelling is withdrawn when it waits for
    release and recorded when it is done, both in the audit chain (which stays intact); a
    held order names the batch that held it; a letter's code may go once it is exported,
    and the downgrade is refused while an exported letter exists."""
    engine = make_engine(empty_db_url)
    schema.upgrade(engine, "0005")
    at = "'2024-05-06 22:00:00'"
    batch = (
        "INSERT INTO batches (id, run_date, execution_date, status, pain001_version, "
        "order_count, total_ore, held_count, created_by, created_at, approved_by, approved_at, "
        "released_by, released_at) VALUES ({id}, '2024-05-0{id}', '2024-05-07', '{status}', "
        "'001.001.03', 0, 0, 0, '{by}', " + at + ", {ok}, {ok_at}, {rel}, {rel_at})"
    )
    with session_scope(engine) as s:  # one event in the chain before the upgrade
        audit.append(s, actor="a", action="x", subject="y", payload={}, now=NOW)
    with engine.begin() as conn:
        for id_, status, by, ok, released in (
            (1, "released", "bob", "'BOB'", True),  # a breach, done
            (2, "approved", "alice", "'Ａlice'", False),  # a breach, waiting
            (3, "approved", "carol", "'dave'", False),
            (4, "generated", "Eve  Smith", "NULL", False),
        ):
            conn.execute(
                text(
                    batch.format(
                        id=id_, status=status, by=by, ok=ok, ok_at="NULL" if ok == "NULL" else at,
                        rel="'x'" if released else "NULL", rel_at=at if released else "NULL",
                    )
                )
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO account_registrations (id, owner_kind, owner_number, reg_no, "
                "account_no, channel, status, actor, registered_at, active_from, "
                "activation_attempts) VALUES (1, 'cpr', '0101901234', '1234', '0000000001', "
                f"'citizen', 'pending_activation', 'ＣＬＥＲＫ', {at}, '2024-05-01', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO activation_letters (id, registration_id, owner_kind, owner_number, "
                f"code, created_at) VALUES (1, 1, 'cpr', '0101901234', 'ABCDEFGH', {at})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO claims (id, employer_cvr, external_ref, employee_cpr, kind, "
                "first_day, last_day, raw, raw_sha256, version, received_at, actor) VALUES (1, "
                "'13585628', 'R1', '0101901234', 'sickness', '2024-04-01', '2024-04-05', '{}', "
                f"'x', 1, {at}, 't')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO decisions (id, claim_id, version, status, amount_ore, codes, "
                "granted_days, parameter_versions, document, decided_on, created_at, superseded) "
                f"VALUES (1, 1, 1, 'approved', 300, '', '', '{{}}', '{{}}', '2024-05-01', {at}, "
                "false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO payment_orders (id, decision_id, claim_id, payee_kind, payee_number, "
                "amount_ore, remittance, end_to_end_id, due_date, status, hold_reason, attempts, "
                "created_at) VALUES (1, 1, 1, 'cpr', '0101901234', 300, 'r', 'E1', '2024-05-01', "
                "'held', 'AMOUNT_REVIEW', 0, '2024-05-01 08:00:00')"
            )
        )
    schema.upgrade(engine)
    assert schema.check(engine).clean
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, status, created_by_key, approved_by, approved_by_key FROM batches "
                "ORDER BY id"
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            (1, "released", "bob", "BOB", None),
            (2, "generated", "alice", None, None),
            (3, "approved", "carol", "dave", "dave"),
            (4, "generated", "eve smith", None, None),
        ]
        reg = conn.execute(
            text("SELECT actor_key, registered_by_owner FROM account_registrations")
        ).one()
        assert (reg[0], bool(reg[1])) == ("clerk", False)
        assert conn.scalar(text("SELECT held_by_batch_id FROM payment_orders")) == 4
    breaches = [(e.action, e.subject, e.actor) for e in _events(engine)][1:]
    assert breaches == [
        ("batch.four_eyes_breach", "batch:1", "payments db upgrade"),
        ("batch.approval_withdrawn", "batch:2", "payments db upgrade"),
    ]
    with session_scope(engine) as s:
        assert audit.verify(s).intact
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the CHECK on identities
        conn.execute(text("UPDATE batches SET approved_by_key = 'carol' WHERE id = 3"))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE activation_letters SET code = NULL, exported_at = created_at, "
                "exported_by = 'printer'"
            )
        )
    with pytest.raises(RuntimeError, match="1 exported activation letter"):
        schema.downgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE activation_letters SET code = 'ABCDEFGH', exported_at = NULL, "
                "exported_by = NULL"
            )
        )
    schema.downgrade(engine, "0005")
    schema.upgrade(engine)
    assert schema.check(engine).clean
    engine.dispose()


def _events(engine):
    with session_scope(engine) as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_0300_existing_recoveries_are_open_and_the_downgrade_keeps_what_it_can(empty_db_url):
    """On both databases: a recovery made before netting existed is ``open`` with its whole
    amount owed, an order has nothing offset; the downgrade is refused (and changes
    nothing) once something was offset."""
    engine = make_engine(empty_db_url)
    schema.upgrade(engine, "0005")
    at = "'2024-05-06 22:00:00'"
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO claims (id, employer_cvr, external_ref, employee_cpr, kind, first_day, "
            "last_day, raw, raw_sha256, version, received_at, actor) VALUES (1, '13585628', "
            f"'R1', '0101901234', 'sickness', '2024-04-01', '2024-04-05', '{{}}', 'x', 2, {at}, "
            "'t')",
            "INSERT INTO decisions (id, claim_id, version, status, amount_ore, codes, "
            "granted_days, parameter_versions, document, decided_on, created_at, superseded) "
            f"VALUES (1, 1, 2, 'approved', 300, '', '', '{{}}', '{{}}', '2024-05-06', {at}, "
            "false)",
            "INSERT INTO payment_orders (id, decision_id, claim_id, payee_kind, payee_number, "
            "amount_ore, remittance, end_to_end_id, due_date, status, attempts, created_at) "
            f"VALUES (1, 1, 1, 'cvr', '13585628', 500, 'r', 'E1', '2024-05-06', 'sent', 1, {at})",
            "INSERT INTO recoveries (id, claim_id, decision_id, payee_kind, payee_number, "
            f"amount_ore, created_at) VALUES (1, 1, 1, 'cvr', '13585628', 200, {at})",
        ):
            conn.execute(text(sql))
    schema.upgrade(engine)
    assert schema.check(engine).clean
    with engine.connect() as conn:
        recovery = conn.execute(
            text("SELECT status, open_ore, offset_ore, closed_by FROM recoveries")
        ).one()
        order = conn.execute(text("SELECT status, offset_ore FROM payment_orders")).one()
    assert tuple(recovery) == ("open", 200, 0, None) and tuple(order) == ("sent", 0)
    with engine.begin() as conn:  # a new order paid back 150 of the recovery
        conn.execute(
            text(
                "INSERT INTO payment_orders (id, decision_id, claim_id, payee_kind, "
                "payee_number, amount_ore, offset_ore, remittance, end_to_end_id, due_date, "
                "status, attempts, created_at) VALUES (2, 1, 1, 'cvr', '13585628', 150, 150, "
                f"'r', 'E2', '2024-05-06', 'offset', 0, {at})"
            )
        )
        conn.execute(
            text("UPDATE recoveries SET status = 'partly_offset', open_ore = 50, offset_ore = 150")
        )
        conn.execute(
            text(
                "INSERT INTO recovery_offsets (id, recovery_id, order_id, amount_ore, actor, "
                f"created_at) VALUES (1, 1, 2, 150, 't', {at})"
            )
        )
    with pytest.raises(RuntimeError, match="1 offset"):
        schema.downgrade(engine, "0005")
    assert schema.current_revision(engine) in schema.heads()  # nothing was undone
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM recovery_offsets"))
        conn.execute(text("DELETE FROM payment_orders WHERE id = 2"))
        conn.execute(text("UPDATE recoveries SET status = 'open', open_ore = 200, offset_ore = 0"))
    schema.downgrade(engine, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT amount_ore FROM recoveries")).scalar() == 200
    schema.upgrade(engine)
    assert schema.check(engine).clean
    engine.dispose()


def test_the_status_checks_hold_every_status_the_code_knows(engine):
    """The CHECK on payment_orders.status, rebuilt by several revisions, admits every
    OrderStatus (a revision built on an older list would refuse a state the code writes)."""
    from payments.statuses import OrderStatus

    with session_scope(engine) as s:
        order = add_order(s, "0101901234", 100)
        for status in set(OrderStatus) - {OrderStatus.OFFSET}:  # offset: its own CHECK, netting
            s.execute(text("UPDATE payment_orders SET status = :s WHERE id = :i"),
                      {"s": status.value, "i": order.id})  # fmt: skip
            s.flush()
