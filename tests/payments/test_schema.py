"""Migrations: one head, upgrade from empty on both databases, no drift, naming."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from payments import schema
from payments.db import make_engine, session_scope
from payments.models import AccountRegistration


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
    assert {"account_registrations", "claims", "decisions", "payment_orders", "batches",
            "batch_files", "batch_items", "status_reports", "audit_events"} <= names


def test_drift_is_detected(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    assert not schema.check(engine).clean


def test_utc_timestamps_round_trip(engine):
    when = dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with session_scope(engine) as s:
        reg = AccountRegistration(
            owner_kind="cpr", owner_number="0101901234", reg_no="1234", account_no="0000000001",
            channel="bank", status="active", actor="t", registered_at=when,
            active_from=dt.date(2024, 3, 1), activation_attempts=0)
        s.add(reg)
    with session_scope(engine) as s:
        back = s.get(AccountRegistration, reg.id).registered_at
    assert back == when and back.utcoffset() == dt.timedelta(0)


def test_database_refuses_two_current_registrations(engine, now):
    def reg(**kw):
        base = dict(owner_kind="cpr", owner_number="0101901234", reg_no="1234",
                    account_no="0000000001", channel="bank", status="active", actor="t",
                    registered_at=now, active_from=dt.date(2024, 1, 1), activation_attempts=0)
        return AccountRegistration(**(base | kw))

    with session_scope(engine) as s:
        s.add(reg())
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(reg(account_no="0000000002"))
        s.flush()
    with session_scope(engine) as s:  # an ended one beside the current one is fine
        s.add(reg(account_no="0000000003", status="ended", ended_on=dt.date(2024, 2, 1)))


def test_database_refuses_an_account_in_two_forms(engine, now):
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(AccountRegistration(
            owner_kind="cpr", owner_number="0101901234", reg_no="1234", account_no="1",
            iban="DK5000400440116243", channel="bank", status="active", actor="t",
            registered_at=now, active_from=dt.date(2024, 1, 1), activation_attempts=0))
        s.flush()
