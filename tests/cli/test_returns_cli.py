"""Issue 15 from the command line, on SQLite and PostgreSQL: who pays (``--demo-debtor``),
where a release writes (the batch's own folders), and what ``returns import`` tells a
clerk about each returned transaction; a night whose whole payment information the bank
rejects, paid again the next night after ``returns requeue``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from cli.main import cli
from iso20022 import pain002_writer
from payments.config import DEMO_DEBTOR
from payments.db import make_engine, session_scope
from payments.models import AuditEvent
from tests.cli.test_night_cli import Cli, e2e_ids
from tests.support import NS, TEST_DEBTOR_ENV, worked

EMPLOYEES = ("0101901234", "0202851234")
ANSWERED = dt.datetime(2024, 3, 21, 6, tzinfo=dt.UTC)


def _two_payees_night(run: Cli, tmp: Path) -> dict:
    """Two employees with accounts, one claim each (paid to them), night 1 released."""
    for i, cpr in enumerate(EMPLOYEES):
        account = f"56789{i}1"
        run("accounts", "register", "--cpr", cpr, "--reg", "1234", "--account", account,
            "--channel", "bank", "--actor", "bank", "--date", "2024-01-02")  # fmt: skip
    claims = tmp / "claims.ndjson"
    claims.write_text(
        "".join(
            json.dumps(worked(salary_paid=False, external_ref=f"R-{i}", employee_cpr=cpr)) + "\n"
            for i, cpr in enumerate(EMPLOYEES)
        )
    )
    run("claims", "submit", str(claims), "--date", "2024-03-20")
    night = run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")
    assert night["orders"] == 2
    run("batch", "approve", str(night["batch_id"]), "--actor", "bob")
    run("batch", "release", str(night["batch_id"]))
    return night


def _answer(tmp: Path, name: str, msg_id: str, original: str, **kw) -> Path:
    path = tmp / name
    pain002_writer.write(
        path, msg_id=msg_id, original_msg_id=original, created_at=ANSWERED, **kw
    )  # fmt: skip
    return path


def test_a_rejected_payment_information_is_reported_per_payee_and_paid_again_after_requeue(
    db_url, tmp_path
):
    run = Cli(db_url, tmp_path)
    night = _two_payees_night(run, tmp_path)
    [sent] = night["files"]
    e2e = e2e_ids(sent["path"])
    answer = _answer(
        tmp_path, "am04.xml", "BANK-AM04", sent["msg_id"], group_status="PART",
        payment_infos=[pain002_writer.PaymentInfoAnswer(f"{sent['msg_id']}-1", "RJCT", "AM04")],
    )  # fmt: skip
    imported = run.json("returns", "import", str(answer))
    assert (imported["returned"], imported["by_reason"]) == (2, {"AM04": 2})
    listed = imported["returned_transactions"]
    assert [t["end_to_end_id"] for t in listed] == e2e
    assert [t["owner"] for t in listed] == ["010190-****", "020285-****"]
    assert [t["account"] for t in listed] == ["****8901", "****8911"]
    assert [(t["reason"], t["next"], t["state"]) for t in listed] == [
        ("AM04", "requeue", "returned")
    ] * 2
    text = run("returns", "show", "BANK-AM04").stdout
    assert text.count("requeue needed: `payments returns requeue ") == 2
    assert "5678901" not in text and "0101901234" not in text  # masked
    # nothing is paid again by itself: AM04 is the agency's own account, not the payee's
    assert run.json("batch", "run", "--yes", "--date", "2024-03-21", "--actor", "alice")[
        "orders"
    ] == 0  # fmt: skip
    for one in e2e:
        run("returns", "requeue", one, "--actor", "clerk")
    again = run.json("batch", "run", "--yes", "--date", "2024-03-22", "--actor", "alice")
    assert again["orders"] == 2 and again["amount"] == night["amount"]
    assert e2e_ids(again["files"][0]["path"]) == [f"{x}-2" for x in e2e]
    run("batch", "approve", str(again["batch_id"]), "--actor", "bob")
    run("batch", "release", str(again["batch_id"]))
    settled = _answer(
        tmp_path, "acsc.xml", "BANK-OK", again["files"][0]["msg_id"], group_status="ACSC"
    )
    assert run.json("returns", "import", str(settled))["settled"] == 2
    # the first report's transactions have moved on since: nothing more to do for them
    later = run.json("returns", "show", "BANK-AM04")["returned_transactions"]
    assert [t["next"] for t in later] == ["none", "none"]
    assert "intact" in run("audit", "verify").output


def test_whose_account_and_what_next_masked_unless_revealed_and_audited(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    night = _two_payees_night(run, tmp_path)
    [sent] = night["files"]
    e2e = e2e_ids(sent["path"])
    answer = _answer(
        tmp_path, "mixed.xml", "BANK-MIX", sent["msg_id"], group_status="PART",
        transactions=[pain002_writer.TxAnswer(e2e[0], "RJCT", "AC04"),
                      pain002_writer.TxAnswer(e2e[1], "RJCT", "MS03")],
    )  # fmt: skip
    text = run("returns", "import", str(answer)).stdout
    lines = [line for line in text.splitlines() if line.strip().startswith(tuple(e2e))]
    assert len(lines) == 2
    assert "held until a new account is registered" in lines[0] and "AC04" in lines[0]
    assert f"payments returns requeue {e2e[1]}" in lines[1] and "MS03" in lines[1]
    assert "010190-****" in lines[0] and "0101901234" not in text
    revealed = run.json("returns", "show", "BANK-MIX", "--reveal", "--actor", "carol")
    owners = [t["owner"] for t in revealed["returned_transactions"]]
    accounts = [t["account"] for t in revealed["returned_transactions"]]
    assert owners == list(EMPLOYEES) and accounts == ["1234 0005678901", "1234 0005678911"]
    with session_scope(make_engine(db_url)) as s:
        reveals = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "returns.revealed")
        ).all()
    assert reveals == ["carol"]
    assert "RETURNS_REPORT_NOT_FOUND" in run("returns", "show", "NO-SUCH", code=1).output


def test_without_a_paying_agency_batch_run_is_refused_unless_demo_debtor(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    run.env = {k: v for k, v in run.env.items() if k not in TEST_DEBTOR_ENV}
    run("accounts", "register", "--cpr", EMPLOYEES[0], "--reg", "1234", "--account", "5678901",
        "--channel", "bank", "--actor", "bank", "--date", "2024-01-02")  # fmt: skip
    claims = tmp_path / "claims.ndjson"
    claims.write_text(json.dumps(worked(salary_paid=False)) + "\n")
    run("claims", "submit", str(claims), "--date", "2024-03-20")
    refused = run("batch", "run", "--yes", "--date", "2024-03-20", code=2)
    assert "CONFIG_DEBTOR_MISSING" in refused.output
    assert run.json("batch", "list") == []
    night = run.json("batch", "run", "--yes", "--date", "2024-03-20", "--demo-debtor")
    debtor = etree.parse(night["files"][0]["path"]).findtext(f".//{NS}Dbtr/{NS}Nm")
    assert debtor == DEMO_DEBTOR["debtor_name"]
    run.env |= TEST_DEBTOR_ENV  # a configured agency and --demo-debtor do not mix
    mixed = run("batch", "run", "--yes", "--date", "2024-03-21", "--demo-debtor", code=2)
    assert "CONFIG_INVALID" in mixed.output


def test_a_release_from_another_folder_puts_the_files_in_the_runs_outbox(
    db_url, tmp_path, monkeypatch
):
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    folder_a.mkdir()
    folder_b.mkdir()
    run = Cli(db_url, tmp_path)
    run.env = TEST_DEBTOR_ENV | {"PAYMENTS_OUTPUT_DIR": "out", "PAYMENTS_OUTBOX_DIR": "outbox"}
    run("accounts", "register", "--cpr", EMPLOYEES[0], "--reg", "1234", "--account", "5678901",
        "--channel", "bank", "--actor", "bank", "--date", "2024-01-02")  # fmt: skip
    claims = tmp_path / "claims.ndjson"
    claims.write_text(json.dumps(worked(salary_paid=False)) + "\n")
    run("claims", "submit", str(claims), "--date", "2024-03-20")
    monkeypatch.chdir(folder_a)
    night = run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")
    assert night["outbox_dir"] == str(folder_a.resolve() / "outbox")
    monkeypatch.chdir(folder_b)
    run("batch", "approve", str(night["batch_id"]), "--actor", "bob")
    said = run("batch", "release", str(night["batch_id"])).stdout
    name = Path(night["files"][0]["path"]).name
    assert (folder_a / "outbox" / name).is_file()
    assert not (folder_b / "outbox").exists()
    assert str(folder_a.resolve() / "outbox") in said.splitlines()[0]


def test_the_api_runs_no_batch_without_a_paying_agency(db_url, tmp_path):
    """POST /v1/batches of a server started without PAYMENTS_DEBTOR_* (and without
    --demo-debtor): 503 CONFIG_DEBTOR_MISSING, nothing created."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.state import Clock
    from payments import tokens
    from payments.config import Settings

    settings = Settings(
        database_url=db_url,
        output_dir=str(tmp_path / "out"),
        outbox_dir=str(tmp_path / "outbox"),
        spool_dir=str(tmp_path / "spool"),
        dev_key_file=str(tmp_path / "key.pem"),
    )
    now = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
    app = create_app(settings, clock=Clock(now=lambda: now, date=now.date()))
    key = tokens.dev_key(settings.dev_key_file, create=True)
    bearer = {
        "Authorization": "Bearer "
        + tokens.mint(
            key,
            role="operator",
            subject="op",
            now=now,
            ttl=600,
            cpr_number=None,
            cvr_number=None,
            scopes=(),
        )  # fmt: skip
    }
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            refused = client.post("/v1/batches", json={}, headers=bearer)
            assert refused.status_code == 503
            assert refused.json()["code"] == "CONFIG_DEBTOR_MISSING"
            assert client.get("/v1/batches", headers=bearer).json()["items"] == []
    finally:
        app.state.payments.engine.dispose()


def test_make_serve_and_the_demo_select_the_demo_agency():
    """Only the demo asks for the demo agency: ``make serve`` starts the server with
    --demo-debtor, and ``payments batch run`` has the flag (off by default)."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "payments serve --demo-debtor" in makefile
    result = CliRunner().invoke(cli, ["batch", "run", "--help"])
    assert "--demo-debtor" in result.output
