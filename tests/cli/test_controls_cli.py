"""The controls from the command line, on SQLite and PostgreSQL: each refusal's code, a
letter's code in no output but the letter, JSON masked unless --reveal (audited), and the
audit chain verified against a checkpoint and the outbox's manifests."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, text

from payments.db import make_engine, session_scope
from payments.models import ActivationLetter, AuditEvent
from tests.support import Cli, worked

EMPLOYER, EMPLOYEE = "13585628", "0101901234"
CLAIM = worked(salary_paid=False)  # paid to the employee's CPR


def audit_rows(db_url, action=None):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = [(e.actor, e.subject, json.loads(e.payload)) for e in s.scalars(query)]
    engine.dispose()
    return rows


def register_bank(run: Cli) -> None:
    run("accounts", "register", "--cpr", EMPLOYEE, "--iban", "DK5000400440116243",
        "--channel", "bank", "--actor", "bank", "--date", "2024-01-02")  # fmt: skip


def submit(run: Cli, *extra: str, actor: str = "erin"):
    path = run.tmp / "claims.ndjson"
    path.write_text(json.dumps(CLAIM) + "\n")
    return run("claims", "submit", str(path), "--date", "2024-03-20", "--actor", actor, *extra)


def night(run: Cli, date: str = "2024-03-20", actor: str = "alice") -> dict:
    return run.json("batch", "run", "--yes", "--date", date, "--actor", actor)


@pytest.mark.parametrize("approver", ["Alice", "ＡＬＩＣＥ", "  alice   ", "aLiCe"])
def test_the_runner_cannot_approve_under_another_spelling(db_url, tmp_path, approver):
    run = Cli(db_url, tmp_path)
    register_bank(run)
    submit(run)
    batch_id = str(night(run)["batch_id"])
    assert run.error("batch", "approve", batch_id, "--actor", approver) == "BATCH_FOUR_EYES"
    run("batch", "approve", batch_id, "--actor", "bob")


def test_review_cleared_by_neither_the_submitter_nor_the_runner(db_url, tmp_path):
    run = Cli(db_url, tmp_path, PAYMENTS_REVIEW_AMOUNT="1000")
    register_bank(run)
    submit(run, actor="erin")
    held = night(run)
    assert held["held_by_reason"] == {"AMOUNT_REVIEW": 1} and held["orders"] == 0
    for who in ("Erin", "ALICE", "ａｌｉｃｅ"):
        assert run.error("batch", "approve-review", "1", "--actor", who) == (
            "ORDER_REVIEW_FOUR_EYES"
        )
    run("batch", "approve-review", "1", "--actor", "carol")
    [(actor, _, payload)] = audit_rows(db_url, "order.review_approved")
    assert (actor, payload["claim_submitted_by"], payload["batch_run_by"]) == (
        "carol",
        "erin",
        "alice",
    )
    assert night(run, "2024-03-21", "alice")["orders"] == 1


def test_an_account_takeover_needs_two_people(db_url, tmp_path):
    """One operator registers for a citizen; the code is in no output but the letter; the
    registrar and the letter's exporter are refused; a third person activates."""
    run = Cli(db_url, tmp_path)
    reg = ("accounts", "register", "--cpr", EMPLOYEE, "--reg", "1234", "--account", "567890",
           "--channel", "citizen", "--actor", "mallory", "--date", "2024-01-01")  # fmt: skip
    run(*reg)
    run(*reg, "--json")  # a second request replaces the first: its letter is void
    run("accounts", "letters")
    listed = run.json("accounts", "letters")
    assert [(x["state"], x["exported_at"]) for x in listed] == [
        ("withdrawn", None),
        ("pending_activation", None),
    ]
    run("accounts", "letters", "--pending", "--json")
    mine = run.json("accounts", "letters", "export", "--dir", str(tmp_path / "m0"), "--actor",
                    "Mallory")  # fmt: skip
    assert mine["exported"] == 0 and mine["skipped_own"]  # her own registrations: left
    sent = run.json("accounts", "letters", "export", "--dir", str(tmp_path / "mail"), "--actor",
                    "printer")  # fmt: skip
    assert sent["exported"] == 1  # the newer request; the older one's letter is void
    [name] = sent["files"]
    letter = (tmp_path / "mail" / name).read_text()
    [code] = re.findall(r"^Activation code: (\w+)$", letter, re.M)
    assert run.json("accounts", "letters", "export", "--dir", str(tmp_path / "again"),
                    "--actor", "other")["exported"] == 0  # fmt: skip  # each code once
    activate = ("accounts", "activate", "--cpr", EMPLOYEE, "--code", code, "--date", "2024-01-05")
    for who in ("MALLORY", "printer"):
        assert run.error(*activate, "--actor", who) == "ACCOUNT_ACTIVATION_FOUR_EYES"
    wrong = (
        "accounts",
        "activate",
        "--cpr",
        EMPLOYEE,
        "--code",
        "NOT-IT",
        "--actor",
        "x",
        "--date",
        "2024-01-05",
    )  # within the code's 60 days
    assert run.error(*wrong) == "ACCOUNT_ACTIVATION_CODE_WRONG"
    run(*activate, "--actor", "citizen-desk")
    run("accounts", "show", "--cpr", EMPLOYEE, "--as-of", "2024-01-05", "--json")
    run("accounts", "history", "--cpr", EMPLOYEE, "--json", "--reveal", "--actor", "auditor")
    run("audit", "show", "--json")
    run("audit", "show")
    run("audit", "verify")
    everything = "\n".join(run.outputs)
    assert code not in everything and code not in json.dumps(audit_rows(db_url))
    engine = make_engine(db_url)
    with session_scope(engine) as s:  # nor in the database any more
        assert code not in json.dumps([x for x in s.scalars(select(ActivationLetter.code))])
    engine.dispose()


def test_json_is_masked_unless_revealed_and_the_reveal_is_audited(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    register_bank(run)
    masked = submit(run, "--json").stdout
    [decision] = json.loads(masked)
    assert decision["payee"] == {"kind": "cpr", "number": "010190-****"}
    show = ("claims", "show", "--employer", EMPLOYER, "--ref", "ACME-0001")
    assert run.json(*show)["payee"]["number"] == "010190-****"
    run(*show)
    run("claims", "explain", "--employer", EMPLOYER, "--ref", "ACME-0001")
    run("claims", "list", "--json")
    night(run)
    run.json("batch", "show", "1")
    run.json("batch", "list")
    run.json("accounts", "show", "--cpr", EMPLOYEE, "--as-of", "2024-03-21")
    run.json("audit", "show")
    everything = "\n".join(run.outputs)
    assert EMPLOYEE not in everything and "010190-1234" not in everything
    assert "5000400440116243" not in everything
    assert audit_rows(db_url, "claim.revealed") == []

    revealed = run.json(*show, "--reveal", "--actor", "clerk")
    assert revealed["payee"]["number"] == EMPLOYEE
    again = json.loads(submit(run, "--json", "--reveal", actor="employer-x").stdout)
    assert again[0]["payee"]["number"] == EMPLOYEE and again[0]["outcome"] == "unchanged"
    events = audit_rows(db_url, "claim.revealed")
    assert [(actor, subject) for actor, subject, _ in events] == [
        ("clerk", "claim:1"),
        ("employer-x", "claims:submit"),
    ]
    assert events[1][2]["file_sha256"]


def test_audit_checkpoint_and_verify_against_it_and_the_outbox(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    register_bank(run)
    submit(run)
    batch_id = str(night(run)["batch_id"])
    run("batch", "approve", batch_id, "--actor", "bob")
    run("batch", "release", batch_id, "--actor", "bob")
    [manifest] = (tmp_path / "outbox").glob("*.manifest.json")
    head = run.json("audit", "checkpoint")
    assert head["length"] == len(audit_rows(db_url)) and len(head["hash"]) == 64
    assert "hash" in run("audit", "checkpoint").stdout
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(json.dumps(head))
    outbox = str(tmp_path / "outbox")
    ok = run.json("audit", "verify", "--checkpoint", str(checkpoint), "--outbox", outbox)
    assert ok["intact"] and ok["anchors"] == 2
    assert "chain intact" in run("audit", "verify", "--outbox", outbox).stdout

    shown = run.json("audit", "show", "--subject", f"batch:{batch_id}")
    assert [e["action"] for e in shown] == ["batch.run", "batch.approve", "batch.release"]
    after = run.json("audit", "show", "--after", str(shown[1]["id"]), "--subject",
                     f"batch:{batch_id}")  # fmt: skip
    assert [e["action"] for e in after] == ["batch.release"]
    assert json.loads(manifest.read_text())["audit"]["event_id"] == shown[2]["id"]

    engine = make_engine(db_url)
    with engine.begin() as conn:  # an insider removes the newest events
        conn.execute(text(f"DELETE FROM audit_events WHERE id >= {shown[2]['id']}"))
    engine.dispose()
    assert run.json("audit", "verify")["intact"]  # the chain alone cannot tell
    for anchor in (("--checkpoint", str(checkpoint)), ("--outbox", outbox)):
        broken = run.json("audit", "verify", *anchor, code=1)
        assert broken["code"] == "AUDIT_TRUNCATED" and not broken["intact"]
    assert run.error("audit", "verify", "--outbox", outbox) == "AUDIT_TRUNCATED"
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert run.error("audit", "verify", "--checkpoint", str(bad), code=2) == "AUDIT_ANCHOR_INVALID"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run.error("audit", "verify", "--outbox", str(empty), code=2) == "AUDIT_ANCHOR_MISSING"
