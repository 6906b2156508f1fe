"""Files under attack and faults: every file the engine writes is new, private and never
written through a link; stray temporary files of uncommitted batches never reach a bank."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select

from payments import files, schema
from payments.batch import approval, night, pain_files
from payments.db import make_engine, session_scope
from payments.errors import PaymentsError
from payments.models import BatchFile
from payments.registry import bank_file
from tests.support import NOW, RUN, add_order, add_registration, cpr, make_settings


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _night(engine, tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i in range(3):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 100_00 * (i + 1))
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    return settings, run


def test_payment_files_are_private_in_private_directories(engine, tmp_path):
    os.umask(0o022)
    settings, run = _night(engine, tmp_path)
    released = approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    for directory in (settings.output_dir, settings.outbox_dir):
        assert mode(directory) == 0o700
        names = [f.path.name for f in released.files]
        assert names and all(mode(os.path.join(directory, n)) == 0o600 for n in names)


def test_a_symlink_planted_at_the_outbox_temporary_name_is_refused(engine, tmp_path):
    settings, run = _night(engine, tmp_path)
    with session_scope(engine) as s:
        name = s.scalar(select(BatchFile.filename).where(BatchFile.batch_id == run.batch_id))
    outbox = files.ensure_dir(settings.outbox_dir)
    decoy = tmp_path / "attacker.xml"
    decoy.write_text("<x/>")
    (outbox / f".{name}.tmp").symlink_to(decoy)
    with pytest.raises(PaymentsError) as refused:
        approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert refused.value.code == "FILE_UNSAFE"
    assert decoy.read_text() == "<x/>"  # never written through
    assert not (outbox / name).exists()  # nothing released, and the batch is not released
    assert night.show(engine, settings, run.batch_id)[0].status == "approved"


def test_the_copy_is_checked_from_the_written_bytes(tmp_path):
    source = files.write_new(tmp_path / "a.xml", b"payment")
    with pytest.raises(PaymentsError) as wrong:
        files.copy_verified(source, tmp_path / "b.xml", tmp_path / ".b.tmp", "0" * 64)
    assert wrong.value.code == "BATCH_FILE_TAMPERED"
    assert not (tmp_path / "b.xml").exists() and not (tmp_path / ".b.tmp").exists()


def test_a_stray_temporary_file_of_an_uncommitted_run_is_removed_and_reported(engine, tmp_path):
    settings = make_settings(tmp_path)
    out = files.ensure_dir(settings.output_dir)
    stray = out / f".pain001-{RUN:%Y%m%d}-b999-001.xml.tmp"  # a killed run's complete file
    files.write_new(stray, b"<Document/>")
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        add_order(s, cpr(1), 500_00)
    later = RUN.replace(day=RUN.day + 1)
    run = night.run(engine, settings, run_date=later, actor="alice", now=NOW)
    assert run.stray_removed == (stray.name,)
    assert not stray.exists()
    # a temporary file of a committed batch is kept: a re-run may publish it
    kept = out / f".pain001-{later:%Y%m%d}-b{run.batch_id}-001.xml.tmp"
    files.write_new(kept, b"x")
    with session_scope(engine) as s:
        assert pain_files.remove_stray_temporaries(s, pain_files.run_dirs(settings)) == ()
    assert kept.exists()


def test_a_link_at_a_stray_name_is_refused_not_followed(engine, tmp_path):
    settings = make_settings(tmp_path)
    out = files.ensure_dir(settings.output_dir)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (out / ".pain001-20240101-b77-001.xml.tmp").symlink_to(target)
    with session_scope(engine) as s, pytest.raises(PaymentsError) as refused:
        pain_files.remove_stray_temporaries(s, pain_files.run_dirs(settings))
    assert refused.value.code == "FILE_UNSAFE" and target.read_text() == "keep me"


def test_a_rejects_file_is_never_written_through_a_link(tmp_path):
    bank = tmp_path / "bank.csv"
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    bank_file.rejects_path(bank).symlink_to(target)
    with pytest.raises(PaymentsError) as refused:
        bank_file.write_rejects(bank, ())
    assert refused.value.code == "FILE_UNSAFE" and target.read_text() == "keep me"
    bank_file.rejects_path(bank).unlink()
    assert mode(bank_file.write_rejects(bank, ())) == 0o600


def test_the_sqlite_database_is_created_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "payments.db"
        schema.upgrade(make_engine(f"sqlite:///{path}"))
    finally:
        os.umask(old)
    assert mode(path) == 0o600
