"""``payments accounts``: output is masked unless --reveal, errors are coded, exit codes hold."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import cli
from payments.db import make_engine, session_scope
from payments.models import AuditEvent
from payments.registry import lifecycle

CPR, MASKED = "0101901234", "010190-****"
HEADER = "owner_kind,owner_number,reg_no,account_no,iban,bic,action,effective_date\n"


@pytest.fixture
def pay(db_url):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["--database-url", db_url, "accounts", *args])

    return invoke


def code_of(result) -> str | None:
    match = re.search(r"^error (\w+):", result.stderr, re.M)
    return match.group(1) if match else None


def events(db_url, action):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        out = s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()
    engine.dispose()
    return out


def register(pay, *extra, cpr=CPR):
    return pay("register", "--cpr", cpr, "--channel", "bank", "--actor", "bank", *extra)


def test_register_show_history_masked_and_reveal_audited(pay, db_url):
    ok = register(pay, "--reg", "1234", "--account", "567890", "--date", "2024-01-01")
    assert ok.exit_code == 0, ok.output
    changed = register(
        pay, "--iban", "DK5000400440116243", "--bic", "DABADKKK", "--date", "2024-03-01"
    )
    assert changed.exit_code == 0
    assert (
        "unchanged"
        in register(
            pay, "--iban", "DK5000400440116243", "--bic", "DABADKKK", "--date", "2024-04-01"
        ).stdout
    )
    shown = pay("show", "--cpr", CPR, "--as-of", "2024-02-01")
    assert shown.exit_code == 0 and MASKED in shown.stdout and "****7890" in shown.stdout
    as_json = json.loads(pay("show", "--cpr", CPR, "--as-of", "2024-03-01", "--json").stdout)
    assert (as_json["account"], as_json["status"], as_json["active_from"]) == (
        "****6243",
        "active",
        "2024-03-01",
    )
    assert "iban" not in as_json and as_json["owner"] == MASKED
    hist = pay("history", "--cpr", CPR, "--json")
    assert [h["status"] for h in json.loads(hist.stdout)] == ["ended", "active"]
    for result in (ok, changed, shown, hist, pay("history", "--cpr", CPR)):
        assert CPR not in result.output and "567890" not in result.output
    assert events(db_url, "account.revealed") == []
    revealed = pay(
        "show", "--cpr", CPR, "--as-of", "2024-02-01", "--reveal", "--json", "--actor", "clerk"
    )
    data = json.loads(revealed.stdout)
    assert (data["owner"], data["account_no"], data["reg_no"]) == (CPR, "0000567890", "1234")
    assert [e.actor for e in events(db_url, "account.revealed")] == ["clerk"]
    assert pay("history", "--cpr", CPR, "--reveal").exit_code == 0
    assert len(events(db_url, "account.revealed")) == 2


def test_show_as_of_agrees_with_the_registry_on_every_day(pay, db_url):
    for args in (
        ("--reg", "1234", "--account", "1", "--date", "2024-01-05"),
        ("--reg", "1234", "--account", "2", "--date", "2024-01-10"),
    ):
        assert register(pay, *args).exit_code == 0
    assert (
        pay(
            "close",
            "--cpr",
            CPR,
            "--reason",
            "owner_request",
            "--actor",
            "c",
            "--date",
            "2024-01-15",
        ).exit_code
        == 0
    )
    engine = make_engine(db_url)
    for offset in range(0, 20):
        on = dt.date(2024, 1, 1) + dt.timedelta(days=offset)
        with session_scope(engine) as s:
            row = lifecycle.as_of(s, "cpr", CPR, on)
            expected = None if row is None else row.id
        result = pay("show", "--cpr", CPR, "--as-of", on.isoformat(), "--json")
        if expected is None:
            assert result.exit_code == 1 and code_of(result) == "ACCOUNT_NOT_FOUND"
            assert json.loads(result.stdout)["reason"] == "NO_ACCOUNT"
        else:
            assert result.exit_code == 0
            assert json.loads(result.stdout)["registration_id"] == expected
    engine.dispose()


def letter_code(pay, directory, actor) -> str:
    """Export the waiting letters and read the code of the one written (as its owner would)."""
    done = json.loads(
        pay("letters", "export", "--dir", str(directory), "--actor", actor, "--json").stdout
    )
    [name] = done["files"]
    [line] = [x for x in (directory / name).read_text().splitlines() if x.startswith("Activ")]
    return line.split(":")[1].strip()


def test_citizen_letter_activation_and_lock(pay, db_url, tmp_path):
    reg = pay(
        "register",
        "--cpr",
        CPR,
        "--reg",
        "1234",
        "--account",
        "1",
        "--channel",
        "citizen",
        "--actor",
        "self",
        "--date",
        "2024-01-01",
    )
    assert reg.exit_code == 0 and "waits for activation" in reg.stdout
    shown = pay("show", "--cpr", CPR, "--as-of", "2024-01-01", "--json")
    assert shown.exit_code == 1 and json.loads(shown.stdout)["reason"] == "PENDING_ACTIVATION"
    letters = json.loads(pay("letters", "--json").stdout)
    assert letters[0]["owner"] == MASKED and letters[0]["state"] == "pending_activation"
    assert "code" not in letters[0] and letters[0]["exported_at"] is None
    code = letter_code(pay, tmp_path / "mail", "printer")
    assert code not in reg.output
    wrong = pay("activate", "--cpr", CPR, "--code", "WRONG", "--date", "2024-01-03")
    assert wrong.exit_code == 1 and code_of(wrong) == "ACCOUNT_ACTIVATION_CODE_WRONG"
    right = pay("activate", "--cpr", CPR, "--code", code, "--date", "2024-01-03")
    assert right.exit_code == 0, right.output
    assert pay("show", "--cpr", CPR, "--as-of", "2024-01-03").exit_code == 0
    again = pay("activate", "--cpr", CPR, "--code", code, "--date", "2024-01-04")
    assert again.exit_code == 1 and code_of(again) == "ACCOUNT_NO_PENDING"

    pay(
        "register",
        "--cpr",
        CPR,
        "--reg",
        "1234",
        "--account",
        "2",
        "--channel",
        "authority",
        "--actor",
        "caseworker",
        "--date",
        "2024-02-01",
    )
    assert letter_code(pay, tmp_path / "mail2", "printer")
    results = [
        pay("activate", "--cpr", CPR, "--code", "BAD", "--date", "2024-02-03") for _ in range(6)
    ]
    assert [code_of(r) for r in results] == ["ACCOUNT_ACTIVATION_CODE_WRONG"] * 4 + [
        "ACCOUNT_ACTIVATION_LOCKED"
    ] * 2
    assert all(r.exit_code == 1 for r in results)
    states = [x["state"] for x in json.loads(pay("letters", "--json").stdout)]
    assert states == ["active", "locked"]
    assert [f"{x['exported_by']}" for x in json.loads(pay("letters", "--json").stdout)] == [
        "printer",
        "printer",
    ]


def test_close_and_error_codes(pay):
    assert register(pay, "--reg", "1234", "--account", "1", "--date", "2024-01-01").exit_code == 0
    closed = pay(
        "close", "--cpr", CPR, "--reason", "deceased", "--actor", "x", "--date", "2024-02-01"
    )
    assert closed.exit_code == 0 and MASKED in closed.stdout
    twice = pay("close", "--cpr", CPR, "--reason", "deceased", "--actor", "x")
    assert twice.exit_code == 1 and code_of(twice) == "ACCOUNT_NONE_TO_CLOSE"
    cases = [
        (pay("show", "--cpr", CPR, "--cvr", "13585628"), None),
        (pay("show"), None),
        (pay("show", "--cpr", "3201901234"), "ID_CPR_INVALID"),
        (
            pay(
                "register",
                "--cvr",
                "13585628",
                "--reg",
                "1234",
                "--account",
                "1",
                "--channel",
                "citizen",
                "--actor",
                "x",
            ),
            "ACCOUNT_CHANNEL_NOT_ALLOWED",
        ),
        (register(pay, "--iban", "DK5000400440116244"), "ID_IBAN_INVALID"),
        (register(pay, "--reg", "1234"), "ID_ACCOUNT_INVALID"),
        (register(pay, "--iban", "DK5000400440116243", "--reg", "1234"), "ACCOUNT_FORM_INVALID"),
        (register(pay, "--reg", "1234", "--account", "1", "--date", "2024-13-01"), None),
        (
            register(pay, "--reg", "1234", "--account", "5", "--date", "2024-01-15"),
            "ACCOUNT_DATE_CONFLICT",
        ),
    ]
    assert [(r.exit_code, code_of(r)) for r, _ in cases] == [
        (1 if code == "ACCOUNT_DATE_CONFLICT" else 2, code) for _, code in cases
    ]


def test_import_exit_codes_reject_file_and_reimport(pay, db_url, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text(
        HEADER + f"cpr,{CPR},1234,1,,,register,2024-01-01\n"
        "cpr,3201901234,1234,1,,,register,2024-01-01\n"
        "cvr,13585628,,,DK5000400440116243,,register,2024-01-01\n",
        encoding="utf-8",
    )
    first = pay("import", str(path), "--actor", "bank", "--json")
    assert first.exit_code == 1
    summary = json.loads(first.stdout)
    assert (summary["registered"], summary["rejected"]) == (2, 1)
    assert summary["rejects"] == [
        {
            "line": 3,
            "code": "ID_CPR_INVALID",
            "field": "owner_number",
            "message": summary["rejects"][0]["message"],
        }
    ]
    rejects = (tmp_path / "bank.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0] == "line,code,field,message"
    assert rejects[1].startswith("3,ID_CPR_INVALID,owner_number,")
    again = pay("import", str(path), "--actor", "bank")
    assert again.exit_code == 1 and "0 registered" in again.stdout and "2 unchanged" in again.stdout
    assert len(events(db_url, "account.import")) == 1

    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + f"cpr,{CPR},,,,,close,2024-02-01\n", encoding="utf-8")
    done = pay("import", str(clean), "--actor", "bank")
    assert done.exit_code == 0 and "1 closed" in done.stdout
    assert (tmp_path / "clean.rejects.csv").read_text(
        encoding="utf-8"
    ).strip() == "line,code,field,message"

    broken = tmp_path / "broken.csv"
    broken.write_text("owner_kind,owner_number\ncpr,0101901234\n", encoding="utf-8")
    bad = pay("import", str(broken), "--actor", "bank")
    assert bad.exit_code == 2 and code_of(bad) == "IMPORT_COLUMNS_MISSING"
    assert not (tmp_path / "broken.rejects.csv").exists()
    missing = pay("import", str(tmp_path / "nope.csv"), "--actor", "bank")
    assert missing.exit_code == 2 and code_of(missing) == "IMPORT_FILE_UNREADABLE"


def test_suspicious_lists_shared_accounts_masked(pay):
    for i in range(1, 4):
        register(
            pay, "--reg", "1234", "--account", "99", "--date", "2024-01-01", cpr=f"0{i}0190123{i}"
        )
    register(pay, "--reg", "1234", "--account", "98", "--date", "2024-01-01", cpr="0501901235")
    result = pay("suspicious", "--min-owners", "3", "--as-of", "2024-02-01", "--json")
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert [(x["account"], x["owners"]) for x in found] == [("****0099", 3)]
    assert "0101901231" not in result.stdout
    assert "no account" in pay("suspicious", "--as-of", "2024-02-01").stdout
