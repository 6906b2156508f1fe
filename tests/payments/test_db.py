"""``insert_rows``: the bulk insert of the claim intake (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from payments.db import insert_rows, read_scope, session_scope
from payments.models import Claim

RECEIVED = dt.datetime(2024, 3, 20, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def claim_row(id_: int, ref: str, received: dt.datetime = RECEIVED) -> dict:
    return dict(
        id=id_,
        employer_cvr="13585628",
        external_ref=ref,
        employee_cpr="0101901234",
        kind="maternity",
        first_day=dt.date(2024, 3, 4),
        last_day=dt.date(2024, 3, 15),
        child_birth_date=dt.date(2024, 3, 4),
        parent=None,
        raw='{"a": "æ\\t\\\\"}',
        raw_sha256="0" * 64,
        version=1,
        received_at=received,
        received_on=received.date(),
        backdated=False,
        expected_birth_date=None,
        actor="employer",
    )


def test_rows_are_stored_as_given(engine):
    with session_scope(engine) as s:
        insert_rows(s.connection(), Claim.__table__, [claim_row(1, "A-1"), claim_row(2, "A-2")])
    with session_scope(engine) as s:
        stored = s.scalars(select(Claim).order_by(Claim.id)).all()
    assert [c.external_ref for c in stored] == ["A-1", "A-2"]
    assert stored[0].received_at == RECEIVED and stored[0].received_at.tzinfo == dt.UTC
    assert stored[0].raw == '{"a": "æ\\t\\\\"}' and stored[0].parent is None
    assert stored[1].child_birth_date == dt.date(2024, 3, 4)


def test_a_constraint_violation_is_an_integrity_error_and_nothing_is_stored(engine):
    with session_scope(engine) as s:
        insert_rows(s.connection(), Claim.__table__, [claim_row(1, "A-1")])
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        insert_rows(s.connection(), Claim.__table__, [claim_row(2, "A-2"), claim_row(3, "A-1")])
    with session_scope(engine) as s:
        assert s.scalars(select(Claim.external_ref)).all() == ["A-1"]


def test_a_naive_timestamp_is_refused(engine):
    naive = dt.datetime(2024, 3, 20, 10, 30)
    with (
        pytest.raises((ValueError, StatementError), match="naive datetime"),
        session_scope(engine) as s,
    ):
        insert_rows(s.connection(), Claim.__table__, [claim_row(1, "A-1", naive)])


def test_a_read_sees_the_last_commit_while_a_writer_holds_its_transaction(engine):
    """A page's read never queues behind a writer (SQLite's write lock, PostgreSQL's row
    locks): it answers at once with what was committed before the writer began."""
    with session_scope(engine) as s:
        insert_rows(s.connection(), Claim.__table__, [claim_row(1, "A-1")])
    answered: list[list[str]] = []

    def read() -> None:
        with read_scope(engine) as r:
            answered.append(list(r.scalars(select(Claim.external_ref))))

    with session_scope(engine) as writer:
        insert_rows(writer.connection(), Claim.__table__, [claim_row(2, "A-2")])
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive()  # did not wait for the writer's commit
    assert answered == [["A-1"]]
    with read_scope(engine) as r:
        assert sorted(r.scalars(select(Claim.external_ref))) == ["A-1", "A-2"]


def test_nothing_is_written_through_a_read(engine):
    with pytest.raises(RuntimeError), read_scope(engine) as r:
        r.add(Claim(**claim_row(1, "A-1")))
        r.flush()
    with read_scope(engine) as r:
        assert r.scalars(select(Claim.external_ref)).all() == []
