"""The CLI frame: help lists the groups, coded errors are one stderr line with exit 2/1."""

from __future__ import annotations

import subprocess
import sys

from payments import audit
from payments.db import make_engine, session_scope


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_the_command_groups():
    result = run("--help")
    assert result.returncode == 0
    for group in ("audit", "db"):
        assert group in result.stdout


def test_unknown_command_is_bad_usage():
    assert run("nonsense").returncode == 2


def test_bad_database_url_is_one_coded_line(tmp_path):
    result = run("--database-url", "mysql://x/y", "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error CONFIG_DATABASE_URL:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_upgrade_check_and_audit_verify(tmp_path, now):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("--database-url", url, "db", "upgrade").returncode == 0
    assert run("--database-url", url, "db", "check").returncode == 0
    with session_scope(make_engine(url)) as s:
        audit.append(s, actor="a", action="x", subject="y", payload={}, now=now)
    result = run("--database-url", url, "audit", "verify")
    assert result.returncode == 0 and "1 events, chain intact" in result.stdout
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'eve'")
    result = run("--database-url", url, "audit", "verify")
    assert result.returncode == 1 and "broken at event 1" in result.stderr


def test_db_check_reports_drift(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    run("--database-url", url, "db", "upgrade")
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_payment_orders_due")
    result = run("--database-url", url, "db", "check")
    assert result.returncode == 1 and "drift" in result.stderr


def test_unreachable_database_is_one_coded_line(tmp_path):
    result = run("--database-url", f"sqlite:///{tmp_path}/missing/dir/x.db", "db", "upgrade")
    assert result.returncode == 1
    assert result.stderr.startswith("error DB_UNAVAILABLE:")
    assert len(result.stderr.strip().splitlines()) == 1
