"""The CLI frame: help lists the groups, coded errors are one stderr line with exit 2/1."""

from __future__ import annotations

import json
import subprocess
import sys

from cli.main import COMMANDS
from payments import audit, schema
from payments.db import make_engine, session_scope


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_every_command_group():
    result = run("--help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line}
    assert listed == set(COMMANDS)
    for group in COMMANDS:  # and each group's own help works
        assert run(group, "--help").returncode == 0, group


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
    result = run("--database-url", url, "audit", "verify", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) | {"problem": None} == {
        "events": 1,
        "intact": True,
        "code": None,
        "broken_id": None,
        "problem": None,
        "anchors": 0,
    }
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'eve'")
    result = run("--database-url", url, "audit", "verify", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["broken_id"] == 1
    assert json.loads(result.stdout)["code"] == "AUDIT_CHAIN_BROKEN"


def test_db_check_reports_drift(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    run("--database-url", url, "db", "upgrade")
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_payment_orders_due")
    result = run("--database-url", url, "db", "check", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["clean"] is False and any(
        "ix_payment_orders_due" in d for d in report["differences"]
    )


def test_commands_never_create_or_migrate_a_database(tmp_path):
    """Only ``db upgrade`` migrates: elsewhere a missing or old schema is a coded error that
    names the command to run, and no ``payments.db`` appears as a side effect."""
    missing = tmp_path / "payments.db"
    for args in (("batch", "list"), ("audit", "verify"), ("db", "check")):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr.startswith("error DB_SCHEMA_MISSING:"), args
        assert not missing.exists()
    url = f"sqlite:///{missing}"
    assert run("--database-url", url, "db", "upgrade").returncode == 0
    assert run("--database-url", url, "batch", "list").returncode == 0
    schema.downgrade(make_engine(url), "0004")
    result = run("--database-url", url, "batch", "list")
    assert result.returncode == 1 and result.stderr.startswith("error DB_SCHEMA_OUTDATED:")
    assert run("--database-url", url, "db", "upgrade").returncode == 0
    assert run("--database-url", url, "batch", "list").returncode == 0


def test_an_empty_database_is_missing_its_schema(empty_db_url):
    result = run("--database-url", empty_db_url, "batch", "list")
    assert result.returncode == 1 and result.stderr.startswith("error DB_SCHEMA_MISSING:")


def test_unreachable_database_is_one_coded_line(tmp_path):
    result = run("--database-url", f"sqlite:///{tmp_path}/missing/dir/x.db", "db", "upgrade")
    assert result.returncode == 1
    assert result.stderr.startswith("error DB_UNAVAILABLE:")
    assert len(result.stderr.strip().splitlines()) == 1


def _read_only(db_url: str) -> str:
    """The same database, opened so that it may only be read."""
    if db_url.startswith("sqlite:///"):
        return f"sqlite:///file:{db_url[len('sqlite:///') :]}?mode=ro&uri=true"
    return db_url + "%20-cdefault_transaction_read_only%3Don"


def test_a_read_only_database_is_one_coded_line(db_url):
    url = _read_only(db_url)
    assert run("--database-url", url, "batch", "list").returncode == 0  # reading works
    result = run(
        "--database-url", url, "accounts", "register", "--cpr", "0101901234",
        "--reg", "1234", "--account", "567890", "--channel", "bank", "--actor", "bank",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error DB_READ_ONLY:")
    assert len(result.stderr.strip().splitlines()) == 1
