"""``payments claims`` from the command line, on SQLite and PostgreSQL: one line per claim,
the summary, the exit code, and the look-up commands."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import update

from cli.main import cli
from payments.db import make_engine, session_scope
from payments.models import PaymentOrder
from tests.cli.test_listing_cli import columns
from tests.support import worked

CLAIM = worked(salary_paid=False)  # received on 2024-03-20: --date 2024-03-20


def payments(db_url, *args, code=0):
    result = CliRunner().invoke(cli, ["--database-url", db_url, *args])
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_submit_reports_each_line_and_exits_1_after_storing_the_good_ones(db_url, tmp_path):
    path = tmp_path / "claims.ndjson"
    path.write_text(
        "\n".join(
            [
                json.dumps(CLAIM),
                json.dumps(CLAIM | {"external_ref": "ACME\u001b[2J0002"}),  # an escape sequence
                "{not json",
            ]
        )
        + "\n"
    )
    out = payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20", code=1)
    lines = out.splitlines()
    assert columns(lines[0]) == ["POSITION", "REF", "OUTCOME", "STATUS", "AMOUNT", "CODES"]
    rows = [line for line in lines[1:-1] if not line.startswith(" ")]
    assert rows[0].split()[:5] == ["line", "1", "ACME-0001", "created", "approved"]
    assert "16,901.75 DKK" in rows[0]
    assert "ACME\\x1b[2J0002" in rows[1] and "\x1b" not in out
    assert "CLAIM_FIELD_RANGE" in rows[1] and "CLAIM_FILE_MALFORMED" in rows[2]
    # under each invalid claim's line: its codes with the field, and the message
    reasons = [line.split(":")[0].split() for line in lines[1:-1] if line.startswith(" ")]
    assert reasons == [["CLAIM_FIELD_RANGE", "[external_ref]"], ["CLAIM_FILE_MALFORMED"]]
    assert lines[-1] == (
        "3 claims: 1 created, 2 invalid; 16,901.75 DKK decided in new or corrected claims"
    )
    again = payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20", code=1)
    assert again.splitlines()[-1].startswith("3 claims: 2 invalid, 1 unchanged; 0 DKK")

    listed = payments(db_url, "claims", "list", "--employer", "13585628")
    assert "ACME-0001" in listed and "16,901.75 DKK" in listed
    shown = payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "ACME-0001")
    assert "to cpr 010190-****" in shown and "0101901234" not in shown  # masked
    explained = payments(
        db_url, "claims", "explain", "--employer", "13585628", "--ref", "ACME-0001"
    )
    assert "Sygedagpengeloven § 50" in explained
    payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "NOPE", code=1)


def test_recoveries_are_listed_masked_and_a_clerk_marks_one_paid(db_url, tmp_path):
    assert payments(db_url, "claims", "recoveries") == "no recoveries\n"
    path = tmp_path / "claims.ndjson"
    path.write_text(json.dumps(CLAIM) + "\n")
    payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20")
    engine = make_engine(db_url)
    with session_scope(engine) as s:  # the bank paid it
        s.execute(update(PaymentOrder).values(status="sent", attempts=1))
    engine.dispose()
    path.write_text(json.dumps(CLAIM | {"last_absence_day": "2024-04-19", "correction": True}))
    payments(db_url, "claims", "submit", str(path), "--date", "2024-03-21")

    out = payments(db_url, "claims", "recoveries", "--employer", "13585628")
    header, line, summary = out.splitlines()
    assert header.split()[:7] == ["ID", "EMPLOYER", "REF", "BENEFIT", "PAYEE", "STATE", "AMOUNT"]
    assert line.split()[:6] == ["1", "13585628", "ACME-0001", "sickness", "010190-****", "open"]
    assert "0101901234" not in out
    assert summary == (
        "1 recovery: 4,694.93 DKK in all; 0.00 offset, 4,694.93 open, 0.00 paid back, "
        "0.00 written off"
    )
    doc = json.loads(payments(db_url, "claims", "recoveries", "--json"))
    assert (doc["count"], doc["open"], doc["recoveries"][0]["payee"]) == (
        1,
        "4694.93",
        "010190-****",
    )
    assert payments(db_url, "claims", "recoveries", "--state", "paid") == "no recoveries\n"
    payments(db_url, "claims", "recoveries", "--state", "closed", code=2)

    mark = ["claims", "recoveries", "mark", "1", "--reason", "paid back by transfer"]
    payments(db_url, *mark, "--actor", "clerk", code=2)  # paid or written off?
    out = payments(db_url, *mark, "--paid", "--actor", "clerk")
    assert out == (
        "recovery 1 (ACME-0001, 010190-****) paid: 4,694.93 DKK paid back, 0.00 DKK offset before\n"
    )
    again = CliRunner().invoke(
        cli, ["--database-url", db_url, *mark, "--written-off", "--actor", "clerk"]
    )
    assert again.exit_code == 1 and "error RECOVERY_CLOSED" in again.output
    missing = CliRunner().invoke(
        cli, ["--database-url", db_url, "claims", "recoveries", "mark", "9", "--paid",
              "--reason", "r", "--actor", "clerk"],
    )  # fmt: skip
    assert missing.exit_code == 1 and "error RECOVERY_NOT_FOUND" in missing.output
    assert "1 recovery: 4,694.93 DKK in all; 0.00 offset, 0.00 open, 4,694.93 paid back" in (
        payments(db_url, "claims", "recoveries", "--state", "paid")
    )


def test_show_lists_every_order_of_the_claim_and_its_state(db_url, tmp_path):
    path = tmp_path / "one.ndjson"
    path.write_text(json.dumps(CLAIM) + "\n")
    payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20")
    shown = json.loads(
        payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "ACME-0001",
                 "--json")
    )  # fmt: skip
    assert [(o["state"], o["amount"]) for o in shown["orders"]] == [("pending", "16901.75")]
    text = payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "ACME-0001")
    assert "1 payment order:" in text
