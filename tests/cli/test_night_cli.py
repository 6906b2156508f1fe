"""A full night from the command line, on SQLite and PostgreSQL (issue 7, "done when").

register → submit → run → approve (another actor) → release → bank rejects one payment →
holds → new account → the next run pays it → audit chain intact. Plus the camt.054 path,
idempotent re-import, unknown end-to-end ids, and the exit codes of the bad paths.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from lxml import etree

from iso20022 import pain002_writer
from tests.support import Cli, worked

EMPLOYER, EMPLOYEE = "13585628", "0101901234"
CLAIM = worked(salary_paid=False)  # received on 2024-03-20: --date 2024-03-20
NS = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}"


def e2e_ids(path: str) -> list[str]:
    return [e.text for e in etree.parse(path).iter(f"{NS}EndToEndId")]


def generated_night(run: Cli, tmp: Path) -> dict:
    """One claim to pay to an IBAN account, and night 1 run (not approved yet)."""
    run(
        "accounts",
        "register",
        "--cpr",
        EMPLOYEE,
        "--iban",
        "DK5000400440116243",
        "--channel",
        "bank",
        "--actor",
        "bank",
        "--date",
        "2024-01-02",
    )
    claims = tmp / "claims.ndjson"
    claims.write_text(json.dumps(CLAIM) + "\n")
    run("claims", "submit", str(claims), "--date", "2024-03-20")
    return run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")


def released_night(run: Cli, tmp: Path) -> tuple[dict, str]:
    """Night 1 of :func:`generated_night`, approved and released; its e2e id."""
    night = generated_night(run, tmp)
    run("batch", "approve", str(night["batch_id"]), "--actor", "bob")
    run("batch", "release", str(night["batch_id"]))
    [e2e] = e2e_ids(night["files"][0]["path"])
    return night, e2e


def test_full_night(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    run(
        "accounts",
        "register",
        "--cpr",
        EMPLOYEE,
        "--reg",
        "1234",
        "--account",
        "5678901",
        "--channel",
        "bank",
        "--actor",
        "bank",
        "--date",
        "2024-01-02",
    )
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps([CLAIM]))
    [decision] = run.json("claims", "submit", str(claims), "--date", "2024-03-20")
    assert decision["outcome"] == "created" and decision["amount"] == "16901.75"

    night1 = run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")
    assert night1["orders"] == 1 and night1["amount"] == "16901.75"
    batch_id = str(night1["batch_id"])
    run("batch", "approve", batch_id, "--actor", "alice", code=1)  # four eyes
    run("batch", "approve", batch_id, "--actor", "bob")
    run("batch", "release", batch_id)
    [file1] = night1["files"]
    assert run("files", "validate", file1["path"]).exit_code == 0
    assert (tmp_path / "outbox" / Path(file1["path"]).name).exists()
    [e2e] = e2e_ids(file1["path"])

    report = tmp_path / "pain002.xml"
    pain002_writer.write(
        report,
        msg_id="BANK-0001",
        original_msg_id=file1["msg_id"],
        created_at=dt.datetime(2024, 3, 21, 6, tzinfo=dt.UTC),
        group_status="RJCT",
        transactions=[pain002_writer.TxAnswer(e2e, "RJCT", "AC04")],
    )
    imported = run.json("returns", "import", str(report))
    assert (imported["returned"], imported["registrations_flagged"]) == (1, 1)
    assert run.json("returns", "import", str(report))["created"] is False
    assert (
        "ORDER_RETRIED_AUTOMATICALLY"
        in run(  # AC04: the batch retries it itself
            "returns", "requeue", e2e, "--actor", "clerk", code=1
        ).output
    )

    night2 = run.json("batch", "run", "--yes", "--date", "2024-03-21", "--actor", "alice")
    assert night2["orders"] == 0 and night2["held_by_reason"] == {"REJECTED_BY_BANK": 1}
    shown = run.json("batch", "show", batch_id)  # night 1's transaction came back
    assert shown["orders_by_state"] == {"returned": {"count": 1, "amount": "16901.75"}}

    run(
        "accounts",
        "register",
        "--cpr",
        EMPLOYEE,
        "--reg",
        "4321",
        "--account",
        "99887766",
        "--channel",
        "bank",
        "--actor",
        "bank",
        "--date",
        "2024-03-22",
    )
    night3 = run.json("batch", "run", "--yes", "--date", "2024-03-22", "--actor", "alice")
    assert night3["orders"] == 1 and night3["amount"] == "16901.75" and night3["held"] == 0
    [file3] = night3["files"]
    assert e2e_ids(file3["path"]) == [f"{e2e}-2"]  # a retry is a new transmission
    run("batch", "approve", str(night3["batch_id"]), "--actor", "bob")
    run("batch", "release", str(night3["batch_id"]))
    again = tmp_path / "pain002-again.xml"  # the first return once more, in another report
    again.write_text(report.read_text().replace("BANK-0001", "BANK-0002"))
    assert run.json("returns", "import", str(again))["unchanged"] == 1
    assert run.json("batch", "show", str(night3["batch_id"]))["orders_by_state"] == {
        "sent": {"count": 1, "amount": "16901.75"}
    }  # the new payment is not "returned"
    assert "43210099887766" in Path(file3["path"]).read_text()  # paid to the new account
    assert "chain intact" in run("audit", "verify").output


def test_a_clerk_requeues_a_payment_returned_for_another_reason(db_url, tmp_path):
    """AM04 is not the account's fault: the order waits, returned, until a clerk requeues it;
    the next night pays it as a new transaction."""
    run = Cli(db_url, tmp_path)
    night, e2e = released_night(run, tmp_path)
    report = tmp_path / "pain002.xml"
    pain002_writer.write(
        report,
        msg_id="BANK-AM04",
        original_msg_id=night["files"][0]["msg_id"],
        created_at=dt.datetime(2024, 3, 21, 6, tzinfo=dt.UTC),
        group_status="RJCT",
        transactions=[pain002_writer.TxAnswer(e2e, "RJCT", "AM04")],
    )
    imported = run.json("returns", "import", str(report))
    assert (imported["returned"], imported["registrations_flagged"]) == (1, 0)
    assert (
        run.json("batch", "run", "--yes", "--date", "2024-03-21", "--actor", "alice")["orders"] == 0
    )
    assert (
        "ORDER_NOT_FOUND"
        in run("returns", "requeue", "NEVER-SENT", "--actor", "clerk", code=1).output
    )
    run("returns", "requeue", e2e, "--actor", "clerk")
    assert "ORDER_NOT_RETURNED" in run("returns", "requeue", e2e, "--actor", "clerk", code=1).output
    again = run.json("batch", "run", "--yes", "--date", "2024-03-22", "--actor", "alice")
    assert again["orders"] == 1 and again["amount"] == "16901.75"
    assert e2e_ids(again["files"][0]["path"]) == [f"{e2e}-2"]
    assert "intact" in run("audit", "verify").output


def test_camt054_return_after_settlement_and_unknown_ids(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    night, e2e = released_night(run, tmp_path)
    accepted = tmp_path / "accepted.xml"
    pain002_writer.write(
        accepted,
        msg_id="BANK-A",
        original_msg_id=night["files"][0]["msg_id"],
        created_at=dt.datetime(2024, 3, 21, 6, tzinfo=dt.UTC),
        group_status="ACSC",
        transactions=[],
    )
    assert run.json("returns", "import", str(accepted))["settled"] == 1
    camt = tmp_path / "camt054.xml"
    camt.write_text(CAMT054.format(e2e=e2e))
    result = run.json("returns", "import", str(camt), code=1)  # one id was never sent
    assert result["returned"] == 1 and result["unknown"] == ["NEVER-SENT"]
    assert result["by_reason"] == {"MD07": 1}
    shown = run.json("batch", "show", str(night["batch_id"]))
    assert shown["orders_by_state"] == {"returned": {"count": 1, "amount": "16901.75"}}


def test_camt054_return_of_another_amount_or_not_booked_is_recorded_not_applied(db_url, tmp_path):
    """100.00 back of 16,901.75 sent, or a return still pending: marking the order returned
    would pay it all again. A clerk applies it once the bank confirms all of it came back."""
    run = Cli(db_url, tmp_path)
    night, e2e = released_night(run, tmp_path)
    assert "RETURN_NOT_REPORTED" in run("returns", "apply", e2e, "--actor", "clerk", code=1).output
    camt = tmp_path / "camt054.xml"
    camt.write_text(
        CAMT054.format(e2e=e2e).replace(
            '<TxAmt><Amt Ccy="DKK">16901.75</Amt>', '<TxAmt><Amt Ccy="DKK">100.00</Amt>'
        )
    )
    result = run.json("returns", "import", str(camt), code=1)
    assert (result["returned"], list(result["not_applied"])) == (0, [e2e])
    pending = tmp_path / "pending.xml"  # an entry not booked yet: money not back yet
    pending.write_text(
        CAMT054.format(e2e=e2e)
        .replace("CAMT-0001", "CAMT-0002")
        .replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>")
    )
    result = run.json("returns", "import", str(pending), code=1)
    assert list(result["not_applied"]) == [e2e]
    shown = run.json("batch", "show", str(night["batch_id"]))
    assert shown["orders_by_state"] == {"sent": {"count": 1, "amount": "16901.75"}}
    assert (
        run.json("batch", "run", "--yes", "--date", "2024-03-21", "--actor", "alice")["orders"] == 0
    )
    # the bank confirms that the whole payment came back: a clerk applies the return
    run("returns", "apply", "NO-SUCH-ID", "--actor", "clerk", code=1)
    assert "returned (MD07)" in run("returns", "apply", e2e, "--actor", "clerk").output
    assert "ORDER_NOT_SENT" in run("returns", "apply", e2e, "--actor", "clerk", code=1).output
    night2 = run.json("batch", "run", "--yes", "--date", "2024-03-22", "--actor", "alice")
    assert night2["held_by_reason"] == {"REJECTED_BY_BANK": 1}  # MD07 flagged the account


def test_a_refused_batch_is_rejected_and_its_date_run_again(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    night = generated_night(run, tmp_path)
    batch_id, sent_in_rejected = str(night["batch_id"]), e2e_ids(night["files"][0]["path"])
    run("batch", "reject", batch_id, "--actor", "bob", code=2)  # no --reason
    assert (
        "BATCH_REJECT_REASON"
        in run("batch", "reject", batch_id, "--reason", " ", "--actor", "bob", code=2).output
    )
    rejected = run.json("batch", "reject", batch_id, "--reason", "wrong amount", "--actor", "bob")
    assert (rejected["status"], rejected["rejected_by"], rejected["reject_reason"]) == (
        "rejected",
        "bob",
        "wrong amount",
    )
    assert not Path(night["files"][0]["path"]).exists()
    assert "BATCH_REJECTED" in run("batch", "release", batch_id, code=1).output
    assert "rejected by bob: wrong amount" in run("batch", "show", batch_id).output
    assert run.json("batch", "show", batch_id)["orders_by_state"] == {
        "rejected": {"count": 1, "amount": "16901.75"}
    }
    again = run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")
    assert again["created"] and again["batch_id"] != night["batch_id"]
    assert (again["orders"], again["amount"]) == (1, "16901.75")
    assert e2e_ids(again["files"][0]["path"]) == sent_in_rejected  # it never left
    assert "chain intact" in run("audit", "verify").output


def test_bad_inputs_have_coded_exit_codes(db_url, tmp_path):
    run = Cli(db_url, tmp_path)
    assert (
        "error BATCH_NOT_FOUND:" in run("batch", "approve", "99", "--actor", "bob", code=1).output
    )
    for nobody in ("", "   ", "x" * 101, "bob\x1b[2J"):  # would pass four eyes, audit nothing
        assert "is not a name" in run("batch", "approve", "99", "--actor", nobody, code=2).output
    run("batch", "run", "--yes", "--date", "2024-02-30", code=2)
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert "error XML_FORBIDDEN:" in run("returns", "import", str(hostile), code=2).output
    claims = tmp_path / "bad.csv"
    claims.write_text("external_ref,employer_cvr\nX,13585628\n")
    assert "error CLAIM_FILE_MISSING_COLUMN:" in run("claims", "submit", str(claims), code=2).output
    report = tmp_path / "pain002.xml"
    pain002_writer.write(
        report,
        msg_id="BANK-T",
        original_msg_id="NKB-1",
        created_at=dt.datetime(2024, 3, 21, 6, tzinfo=dt.UTC),
        group_status="PART",
        transactions=[pain002_writer.TxAnswer("E2E-1", "RJCT", "AC04")],
    )
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(report.read_bytes()[:-60])
    assert "XML_MALFORMED" in run("returns", "import", str(truncated), code=2).output
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    run.env["PAYMENTS_OUTPUT_DIR"] = str(blocked)  # a file where the folder should be
    assert (
        "error FILE_UNUSABLE:"
        in run("batch", "run", "--yes", "--date", "2024-03-20", code=1).output
    )
    run.env["PAYMENTS_DEBTOR_IBAN"] = "DK0000"
    assert "CONFIG_INVALID" in run("batch", "run", "--yes", "--date", "2024-03-20", code=2).output
    assert "batch_id" not in run("batch", "list", "--json").output  # nothing was created


CAMT054 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
<BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>CAMT-0001</MsgId><CreDtTm>2024-03-25T06:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><CreDtTm>2024-03-25T06:00:00</CreDtTm>
<Acct><Id><IBAN>DK5000400440116243</IBAN></Id></Acct>
<Ntry><Amt Ccy="DKK">16901.75</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-03-25</Dt></BookgDt><BkTxCd/>
<NtryDtls>
<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="DKK">16901.75</Amt></TxAmt></AmtDtls>
<RtrInf><Rsn><Cd>MD07</Cd></Rsn></RtrInf></TxDtls>
<TxDtls><Refs><EndToEndId>NEVER-SENT</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="DKK">1.00</Amt></TxAmt></AmtDtls>
<RtrInf><Rsn><Cd>AC01</Cd></Rsn></RtrInf></TxDtls>
</NtryDtls></Ntry></Ntfctn>
</BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_a_run_for_a_date_in_the_past_or_far_ahead_needs_yes(db_url, tmp_path):
    """A typo in --date (2024 for 2026) would pay a night's money late or early."""
    run = Cli(db_url, tmp_path)
    refused = run("batch", "run", "--date", "2024-03-20", code=2)
    assert "warning:" in refused.output
    assert "batch_id" not in run("batch", "list", "--json").output  # nothing was run
    assert run.json("batch", "run", "--yes", "--date", "2024-03-20", "--actor", "alice")["created"]
