"""Who pays, and where the files go (issue 15, "a real run never pays from the demo
agency"), on SQLite and PostgreSQL.

- no paying agency configured: the run is refused (``CONFIG_DEBTOR_MISSING``) and creates
  nothing; the demo agency is a value only ``with_demo_debtor`` selects, never a default;
- a batch records the absolute folders it was run with; release, reject and the
  regeneration of a missing file use them, whatever folder or settings the releasing
  command has.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from payments import schema
from payments.batch import approval, night
from payments.config import DEMO_DEBTOR, Settings
from payments.db import make_engine, session_scope
from payments.errors import InputError
from payments.models import Batch
from tests.support import NOW, NS, RUN, TEST_DEBTOR, add_order, add_registration, cpr

RELATIVE = {"output_dir": "out", "outbox_dir": "outbox"}


def _orders(engine, n=2):
    with session_scope(engine) as s:
        for i in range(n):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 100_00 * (i + 1))


def _debtor_name(path) -> str:
    return etree.parse(str(path)).findtext(f"{NS}CstmrCdtTrfInitn/{NS}PmtInf/{NS}Dbtr/{NS}Nm")


def test_without_a_paying_agency_the_run_is_refused_and_creates_nothing(engine, tmp_path):
    _orders(engine)
    bare = Settings(output_dir=str(tmp_path / "out"), outbox_dir=str(tmp_path / "outbox"))
    assert bare.debtor_missing == (
        "PAYMENTS_DEBTOR_NAME", "PAYMENTS_DEBTOR_IBAN", "PAYMENTS_DEBTOR_BIC",
        "PAYMENTS_DEBTOR_CVR",
    )  # fmt: skip
    with pytest.raises(InputError) as refused:
        night.run(engine, bare, run_date=RUN, actor="alice", now=NOW)
    assert (refused.value.code, refused.value.field) == (
        "CONFIG_DEBTOR_MISSING", "PAYMENTS_DEBTOR_NAME"
    )  # fmt: skip
    assert refused.value.exit_status == 2  # a configuration error, as CONFIG_INVALID
    partial = dataclasses.replace(bare, debtor_name="Styrelsen", debtor_iban="DK5000400440116243")
    with pytest.raises(InputError) as half:
        night.run(engine, partial, run_date=RUN, actor="alice", now=NOW)
    assert (half.value.code, half.value.field) == ("CONFIG_DEBTOR_MISSING", "PAYMENTS_DEBTOR_BIC")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Batch)) == 0
    assert not (tmp_path / "out").exists()


def test_the_demo_agency_pays_only_when_asked_for_and_never_beside_a_configured_one(
    engine, tmp_path
):
    _orders(engine)
    bare = Settings(output_dir=str(tmp_path / "out"), outbox_dir=str(tmp_path / "outbox"))
    assert bare.debtor_name is None  # no default agency
    run = night.run(engine, bare.with_demo_debtor(), run_date=RUN, actor="alice", now=NOW)
    assert _debtor_name(run.files[0].path) == DEMO_DEBTOR["debtor_name"]
    configured = dataclasses.replace(bare, **TEST_DEBTOR)
    with pytest.raises(InputError) as mixed:
        configured.with_demo_debtor()
    assert (mixed.value.code, mixed.value.field) == ("CONFIG_INVALID", "demo_debtor")


def test_a_configured_agency_is_the_one_in_the_file(engine, tmp_path):
    _orders(engine)
    settings = Settings(
        output_dir=str(tmp_path / "out"), outbox_dir=str(tmp_path / "outbox"), **TEST_DEBTOR
    )
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    assert _debtor_name(run.files[0].path) == TEST_DEBTOR["debtor_name"] != DEMO_DEBTOR[
        "debtor_name"
    ]  # fmt: skip


def _relative(**kw) -> Settings:
    return Settings(**(RELATIVE | TEST_DEBTOR | kw))


def test_a_release_from_another_folder_writes_where_the_batch_was_run(
    engine, tmp_path, monkeypatch
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    folder_a.mkdir()
    folder_b.mkdir()
    _orders(engine)
    monkeypatch.chdir(folder_a)
    run = night.run(engine, _relative(), run_date=RUN, actor="alice", now=NOW)
    assert run.output_dir == folder_a.resolve() / "out"
    assert run.outbox_dir == folder_a.resolve() / "outbox"
    with session_scope(engine) as s:
        stored = s.get(Batch, run.batch_id)
        assert (stored.output_dir, stored.outbox_dir) == (
            str(folder_a.resolve() / "out"), str(folder_a.resolve() / "outbox")
        )  # fmt: skip
    name = run.files[0].path.name
    monkeypatch.chdir(folder_b)  # the same relative settings, another working directory
    approval.approve(engine, _relative(), run.batch_id, actor="bob", now=NOW)
    released = approval.release(engine, _relative(), run.batch_id, actor="bob", now=NOW)
    assert (folder_a / "outbox" / name).is_file()
    assert not (folder_b / "outbox").exists() and not (folder_b / "out").exists()
    assert released.outbox_dir == folder_a.resolve() / "outbox"
    assert released.files[0].path == folder_a.resolve() / "out" / name
    # other settings altogether: the batch's folders still count
    elsewhere = _relative(output_dir=str(tmp_path / "x"), outbox_dir=str(tmp_path / "y"))
    shown, _ = night.show(engine, elsewhere, run.batch_id)
    assert shown.outbox_dir == folder_a.resolve() / "outbox"


def test_a_missing_file_is_regenerated_and_a_reject_deletes_where_the_batch_was_run(
    engine, tmp_path, monkeypatch
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    folder_a.mkdir()
    folder_b.mkdir()
    _orders(engine)
    monkeypatch.chdir(folder_a)
    run = night.run(engine, _relative(), run_date=RUN, actor="alice", now=NOW)
    path = folder_a / "out" / run.files[0].path.name
    original = path.read_bytes()
    path.unlink()
    monkeypatch.chdir(folder_b)
    again = night.run(engine, _relative(), run_date=RUN, actor="alice", now=NOW)
    assert not again.created and path.read_bytes() == original  # finished in folder a
    assert not (folder_b / "out").exists() or not any((folder_b / "out").iterdir())
    approval.reject(engine, _relative(), run.batch_id, actor="bob", reason="test", now=NOW)
    assert not path.exists()


def test_0400_keeps_earlier_batches_on_the_settings_folders(empty_db_url, tmp_path):
    engine = make_engine(empty_db_url)
    try:
        schema.upgrade(engine, "0300")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO batches (run_date, execution_date, status, pain001_version, "
                    "order_count, total_ore, held_count, created_by, created_by_key, "
                    "created_at) VALUES ('2024-05-06', '2024-05-07', 'generated', "
                    "'001.001.03', 0, 0, 0, 'alice', 'alice', :at)"
                ),
                {"at": dt.datetime(2024, 5, 6, 22, 0) if "sqlite" in empty_db_url else NOW},
            )
        schema.upgrade(engine)
        with session_scope(engine) as s:
            old = s.scalar(select(Batch))
            assert (old.output_dir, old.outbox_dir) == (None, None)
            settings = Settings(
                output_dir=str(tmp_path / "o"), outbox_dir=str(tmp_path / "b"), **TEST_DEBTOR
            )
            shown = night.summary(s, old, False, settings)
        assert shown.outbox_dir == (tmp_path / "b").resolve()
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the CHECK of 0400
            conn.execute(text("UPDATE batches SET output_dir = 'relative/out'"))
    finally:
        engine.dispose()
