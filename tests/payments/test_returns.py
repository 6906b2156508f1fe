"""The bank's answers (payments.returns), on SQLite and PostgreSQL: what each status does to
the order and the registration it was paid into, and what an import must never do twice.

Each test sends a real night (orders → batch → approval → release) and answers its file as
the bank would, with the demo bank's pain.002 writer or a hand-written camt.054.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from iso20022 import pain002_writer
from iso20022.errors import Iso20022Error
from payments import returns
from payments.batch import approval, night
from payments.db import make_engine, session_scope
from payments.errors import ConflictError, InputError
from payments.models import (
    AccountRegistration,
    BatchFile,
    BatchItem,
    PaymentOrder,
    StatusReport,
    StatusReportItem,
)
from payments.statuses import OrderStatus, RegistrationStatus
from tests.support import (
    BANK_FILE_HEADER,
    NOW,
    RUN,
    add_order,
    add_registration,
    cpr,
    make_settings,
)

LATER = NOW + dt.timedelta(days=1)


def _send_night(engine, tmp_path, amounts=(100_00, 200_00, 300_00)):
    """Orders to three payees with accounts, paid in one released batch."""
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i, amount in enumerate(amounts):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), amount)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    with session_scope(engine) as s:
        msg_id = s.scalar(select(BatchFile.msg_id).where(BatchFile.batch_id == run.batch_id))
        e2e = s.scalars(select(BatchItem.end_to_end_id).order_by(BatchItem.order_id)).all()
    return msg_id, list(e2e)


def _pain002(path, msg_id, original, answers, group="PART", version=None):
    pain002_writer.write(
        path,
        msg_id=msg_id,
        created_at=LATER,
        original_msg_id=original,
        group_status=group,
        transactions=[pain002_writer.TxAnswer(*a) for a in answers],
        version=version,
    )
    return path


def _states(engine):
    with session_scope(engine) as s:
        rows = s.execute(
            select(PaymentOrder.status, PaymentOrder.return_reason).order_by(PaymentOrder.id)
        ).all()
    return [tuple(r) for r in rows]


def _registration_statuses(engine):
    with session_scope(engine) as s:
        return s.scalars(select(AccountRegistration.status).order_by(AccountRegistration.id)).all()


def test_settled_and_rejected_with_an_account_reason(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    report = _pain002(
        tmp_path / "answer.xml",
        "BANK-1",
        original,
        [(e2e[0], "ACSC"), (e2e[1], "RJCT", "AC04"), (e2e[2], "RJCT", "AM04")],
    )
    result = returns.import_file(engine, report, actor="returns", now=LATER)
    assert (result.created, result.settled, result.returned) == (True, 1, 2)
    assert result.registrations_flagged == 1
    assert dict(result.by_reason) == {"AC04": 1, "AM04": 1}
    assert _states(engine) == [
        (OrderStatus.SETTLED, None),
        (OrderStatus.RETURNED, "AC04"),
        (OrderStatus.RETURNED, "AM04"),
    ]
    # AC04 (closed account) flags the registration it was paid into; AM04 (the agency's
    # own funds) is not the payee's account and flags nothing
    assert _registration_statuses(engine) == [
        RegistrationStatus.ACTIVE,
        RegistrationStatus.REJECTED_BY_BANK,
        RegistrationStatus.ACTIVE,
    ]


def test_the_same_report_twice_changes_nothing_the_second_time(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    report = _pain002(tmp_path / "a.xml", "BANK-2", original, [(e2e[1], "RJCT", "AC01")])
    first = returns.import_file(engine, report, actor="returns", now=LATER)
    before = _states(engine)
    again = returns.import_file(engine, report, actor="returns", now=LATER)
    assert first.created and not again.created
    assert _states(engine) == before


def test_an_end_to_end_id_never_sent_is_reported_and_changes_nothing(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    report = _pain002(
        tmp_path / "a.xml", "BANK-3", original, [("NEVER-SENT-1", "RJCT", "AC01"), (e2e[0], "ACSC")]
    )
    result = returns.import_file(engine, report, actor="returns", now=LATER)
    assert result.unknown == ("NEVER-SENT-1",)
    assert _states(engine)[0] == (OrderStatus.SETTLED, None)


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2024-05-08T09:00:00</CreDtTm></GrpHdr>
  <Ntfctn>
   <Id>N1</Id><CreDtTm>2024-05-08T09:00:00</CreDtTm>
   <Acct><Id><IBAN>DK5000400440116243</IBAN></Id></Acct>
   <Ntry>
    <Amt Ccy="DKK">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn>
    </BkTxCd>
    <NtryDtls><TxDtls>
     <Refs><EndToEndId>{e2e}</EndToEndId></Refs>
     <AmtDtls><InstdAmt><Amt Ccy="DKK">{amount}</Amt></InstdAmt></AmtDtls>
     <RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>
    </TxDtls></NtryDtls>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>
"""


@pytest.mark.parametrize("amount,applied", [("200.00", True), ("20.00", False)])
def test_a_camt054_return_applies_only_for_the_whole_amount(engine, tmp_path, amount, applied):
    """Paying an order again after a return of part of its money would pay the payee
    twice: only a booked return of the amount sent changes the order."""
    original, e2e = _send_night(engine, tmp_path)
    path = tmp_path / "camt.xml"
    path.write_text(CAMT.format(msg_id="CAMT-1", amount=amount, e2e=e2e[1], reason="AC04"))
    result = returns.import_file(engine, path, actor="returns", now=LATER)
    state = _states(engine)[1]
    if applied:
        assert result.returned == 1 and not result.not_applied
        assert state == (OrderStatus.RETURNED, "AC04")
    else:
        assert result.returned == 0 and [e for e, _ in result.not_applied] == [e2e[1]]
        assert state == (OrderStatus.SENT, None)
        # the clerk confirms with the bank that the whole payment came back
        assert returns.apply_return(engine, e2e[1], actor="clerk", now=LATER) == "AC04"
        assert _states(engine)[1] == (OrderStatus.RETURNED, "AC04")


def test_requeue_pays_again_only_what_was_not_an_account_problem(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    report = _pain002(
        tmp_path / "a.xml", "BANK-4", original, [(e2e[1], "RJCT", "AC04"), (e2e[2], "RJCT", "BE04")]
    )
    returns.import_file(engine, report, actor="returns", now=LATER)
    with pytest.raises(ConflictError) as refused:
        returns.requeue(engine, e2e[1], actor="clerk", now=LATER)
    assert refused.value.code == "ORDER_RETRIED_AUTOMATICALLY"
    assert returns.requeue(engine, e2e[2], actor="clerk", now=LATER) == "BE04"
    assert _states(engine)[2] == (OrderStatus.PENDING, None)
    with pytest.raises(ConflictError) as twice:
        returns.requeue(engine, e2e[2], actor="clerk", now=LATER)
    assert twice.value.code == "ORDER_NOT_RETURNED"


def test_an_account_the_bank_refused_is_flagged_for_every_owner_using_it(engine, tmp_path):
    """Two people share one account (a couple, or a money mule's); the bank says it is
    closed: both are held until each has a new account, not only the one paid tonight."""
    original, e2e = _send_night(engine, tmp_path)
    with session_scope(engine) as s:
        add_registration(s, cpr(7), account="2")  # the same account as payee 1
        add_registration(s, cpr(8), account="99")  # another account: untouched
    report = _pain002(tmp_path / "a.xml", "BANK-5", original, [(e2e[1], "RJCT", "AC04")])
    result = returns.import_file(engine, report, actor="returns", now=LATER)
    assert result.registrations_flagged == 2
    assert sorted(f.owner for f in result.flagged) == sorted(
        [f"{cpr(1)[:6]}-****", f"{cpr(7)[:6]}-****"]
    )
    assert {f.account for f in result.flagged} == {"****0002"}
    assert _registration_statuses(engine) == [
        RegistrationStatus.ACTIVE,
        RegistrationStatus.REJECTED_BY_BANK,
        RegistrationStatus.ACTIVE,
        RegistrationStatus.REJECTED_BY_BANK,
        RegistrationStatus.ACTIVE,
    ]


def test_a_bank_file_and_a_bank_answer_imported_at_once_do_not_deadlock(db_url, tmp_path):
    """Both imports change ``account_registrations``: the bank file ends the current rows
    of the owners it re-registers, the answer flags the rows it was paid into. Both lock
    rows in id order, so two processes running them at once both finish, every time."""
    engine = make_engine(db_url)
    n = 60
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i in range(n):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 100_00)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    with session_scope(engine) as s:
        original = s.scalar(select(BatchFile.msg_id))
        e2e = s.scalars(select(BatchItem.end_to_end_id).order_by(BatchItem.order_id)).all()
    answer = _pain002(
        tmp_path / "answer.xml", "BANK-D", original, [(x, "RJCT", "AC04") for x in e2e]
    )
    bank = tmp_path / "bank.csv"
    rows = [f"cpr,{cpr(i)},5678,{i + 1000},,,register,2024-05-07" for i in reversed(range(n))]
    bank.write_text(BANK_FILE_HEADER + "\n".join(rows) + "\n")
    env = dict(os.environ, PAYMENTS_OUTPUT_DIR=str(tmp_path / "out"))
    base = [sys.executable, "-m", "cli.main", "--database-url", db_url]
    procs = [
        subprocess.Popen([*base, "accounts", "import", str(bank), "--actor", "bank"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([*base, "returns", "import", str(answer)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    ]  # fmt: skip
    done = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], done
    assert not any("deadlock" in err.lower() or "Traceback" in err for _, err in done)
    with session_scope(engine) as s:
        returned = s.scalar(select(func.count()).where(PaymentOrder.status == OrderStatus.RETURNED))
        registered = s.scalar(select(func.count()).where(AccountRegistration.reg_no == "5678"))
    assert (returned, registered) == (n, n)
    engine.dispose()


# -- every level, every status as ISO defines it (issue 15) ---------------------------------


def _states_only(engine):
    return [s for s, _ in _states(engine)]


def test_a_payment_information_rejected_without_transactions_returns_every_one(engine, tmp_path):
    """The CGI guide's "reject of a debit entry": AM04, the agency's own account lacks
    funds. No transaction is listed, yet none of them was paid."""
    original, e2e = _send_night(engine, tmp_path)
    path = tmp_path / "pmtinf.xml"
    pain002_writer.write(
        path, msg_id="BANK-P", created_at=LATER, original_msg_id=original, group_status="PART",
        payment_infos=[pain002_writer.PaymentInfoAnswer(f"{original}-1", "RJCT", "AM04")],
    )  # fmt: skip
    result = returns.import_file(engine, path, actor="returns", now=LATER)
    assert (result.returned, dict(result.by_reason)) == (3, {"AM04": 3})
    assert _states(engine) == [(OrderStatus.RETURNED, "AM04")] * 3
    assert result.registrations_flagged == 0  # AM04 is the agency's, not the payee's account


def test_accepted_is_not_paid(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    accepted = _pain002(tmp_path / "actc.xml", "BANK-A", original, [(x, "ACTC") for x in e2e])
    result = returns.import_file(engine, accepted, actor="returns", now=LATER)
    assert (result.accepted, result.settled) == (3, 0)
    assert _states_only(engine) == [OrderStatus.ACCEPTED] * 3
    settled = _pain002(tmp_path / "acsc.xml", "BANK-S", original, [(e2e[0], "ACSC")])
    assert returns.import_file(engine, settled, actor="returns", now=LATER).settled == 1
    rejected = _pain002(tmp_path / "rjct.xml", "BANK-R", original, [(e2e[1], "RJCT", "AC01")])
    assert returns.import_file(engine, rejected, actor="returns", now=LATER).returned == 1
    assert _states_only(engine) == [
        OrderStatus.SETTLED, OrderStatus.RETURNED, OrderStatus.ACCEPTED
    ]  # fmt: skip


def test_an_answer_to_a_message_never_sent_is_refused_and_not_recorded(engine, tmp_path):
    _send_night(engine, tmp_path)
    stray = _pain002(tmp_path / "x.xml", "BANK-X", "NKB-SOMEONE-ELSES", [("E-1", "RJCT", "AC04")])
    with pytest.raises(ConflictError) as refused:
        returns.import_file(engine, stray, actor="returns", now=LATER)
    assert refused.value.code == "RETURNS_UNKNOWN_MESSAGE"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(StatusReport)) == 0


def test_an_answer_before_the_release_is_refused_then_applies_after_it(engine, tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        add_order(s, cpr(1), 500_00)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    with session_scope(engine) as s:
        original = s.scalar(select(BatchFile.msg_id))
        [e2e] = s.scalars(select(BatchItem.end_to_end_id)).all()
    early = _pain002(tmp_path / "early.xml", "BANK-E", original, [(e2e, "RJCT", "AC04")])
    with pytest.raises(ConflictError) as refused:
        returns.import_file(engine, early, actor="returns", now=LATER)
    assert refused.value.code == "RETURNS_BATCH_NOT_RELEASED"
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    result = returns.import_file(engine, early, actor="returns", now=LATER)
    assert (result.created, result.returned) == (True, 1)


def test_a_transaction_rejected_and_settled_in_one_file_is_reported_not_applied(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    both = _pain002(
        tmp_path / "both.xml", "BANK-C", original,
        [(e2e[0], "RJCT", "AC04"), (e2e[0], "ACSC"), (e2e[1], "ACSC")],
    )  # fmt: skip
    result = returns.import_file(engine, both, actor="returns", now=LATER)
    assert [e for e, _ in result.not_applied] == [e2e[0], e2e[0]]
    assert result.needs_a_clerk and result.settled == 1 and result.returned == 0
    assert _states_only(engine) == [OrderStatus.SENT, OrderStatus.SETTLED, OrderStatus.SENT]


def test_a_status_the_engine_does_not_know_is_reported(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    # pain.002.001.10 takes any external status code; RCVD (received) says nothing of payment
    odd = _pain002(
        tmp_path / "rcvd.xml", "BANK-O", original, [(e2e[0], "RCVD")], version="pain.002.001.10"
    )
    result = returns.import_file(engine, odd, actor="returns", now=LATER)
    assert [e for e, _ in result.not_applied] == [e2e[0]] and result.needs_a_clerk
    assert _states_only(engine)[0] == OrderStatus.SENT


def test_a_rejected_block_gives_listed_transactions_their_own_reason_and_the_rest_its_own(
    engine, tmp_path
):
    """The file is read once: a block's RJCT comes after the transactions it lists, yet
    the listed one keeps its own reason and the unlisted ones take the block's."""
    original, e2e = _send_night(engine, tmp_path)
    path = tmp_path / "block.xml"
    pain002_writer.write(
        path, msg_id="BANK-B", created_at=LATER, original_msg_id=original, group_status="PART",
        payment_infos=[pain002_writer.PaymentInfoAnswer(
            f"{original}-1", "RJCT", "AM04",
            transactions=[pain002_writer.TxAnswer(e2e[1], "RJCT", "AC01")],
        )],
    )  # fmt: skip
    result = returns.import_file(engine, path, actor="returns", now=LATER)
    assert dict(result.by_reason) == {"AC01": 1, "AM04": 2}
    assert _states(engine) == [
        (OrderStatus.RETURNED, "AM04"),
        (OrderStatus.RETURNED, "AC01"),
        (OrderStatus.RETURNED, "AM04"),
    ]
    assert result.registrations_flagged == 1  # AC01 is the account's


def test_a_file_naming_one_transaction_twice_moves_its_order_once(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    twice = _pain002(
        tmp_path / "twice.xml", "BANK-T", original,
        [(e2e[0], "ACTC"), (e2e[0], "ACSC"), (e2e[1], "RJCT", "MS03"), (e2e[1], "RJCT", "MS03")],
    )  # fmt: skip
    result = returns.import_file(engine, twice, actor="returns", now=LATER)
    assert (result.settled, result.accepted, result.returned, result.unchanged) == (1, 0, 1, 2)
    assert _states(engine)[:2] == [(OrderStatus.SETTLED, None), (OrderStatus.RETURNED, "MS03")]
    with session_scope(engine) as s:
        outcomes = s.scalars(select(StatusReportItem.outcome).order_by(StatusReportItem.id)).all()
    assert outcomes == ["unchanged", "settled", "returned", "unchanged"]


@pytest.mark.parametrize(
    "damage",
    [
        # an element the schema does not know, after every status a reader would use
        lambda xml: xml.replace("</TxInfAndSts>", "<Surprise>1</Surprise></TxInfAndSts>"),
        # a value the reader cannot use either: the schema's verdict is the one reported
        lambda xml: xml.replace(
            "</TxSts>",
            '</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy="DKK">many</InstdAmt></Amt></OrgnlTxRef>',
        ),
    ],
)
def test_an_invalid_report_validated_while_read_applies_nothing(engine, tmp_path, damage):
    """One pass validates and stages: an invalid file is RETURNS_FILE_INVALID, recorded
    nowhere, whatever the reader met first; so is one answering a message never sent."""
    original, e2e = _send_night(engine, tmp_path)
    good = _pain002(tmp_path / "good.xml", "BANK-V", original, [(x, "RJCT", "AC04") for x in e2e])
    bad = tmp_path / "bad.xml"
    bad.write_text(damage(good.read_text()))
    stranger = tmp_path / "stranger.xml"
    stranger.write_text(bad.read_text().replace(original, "NKB-NEVER-SENT"))
    for path in (bad, stranger):
        with pytest.raises(InputError) as refused:
            returns.import_file(engine, path, actor="returns", now=LATER)
        assert refused.value.code == "RETURNS_FILE_INVALID"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(StatusReport)) == 0
    assert _states_only(engine) == [OrderStatus.SENT] * 3
    assert _registration_statuses(engine) == [RegistrationStatus.ACTIVE] * 3


def test_a_truncated_report_is_malformed_and_applies_nothing(engine, tmp_path):
    original, e2e = _send_night(engine, tmp_path)
    good = _pain002(tmp_path / "good.xml", "BANK-W", original, [(x, "ACSC") for x in e2e])
    cut = tmp_path / "cut.xml"
    data = good.read_bytes()
    cut.write_bytes(data[: data.rindex(b"</OrgnlPmtInfAndSts>")])
    with pytest.raises(Iso20022Error) as refused:
        returns.import_file(engine, cut, actor="returns", now=LATER)
    assert refused.value.code == "XML_MALFORMED"
    assert _states_only(engine) == [OrderStatus.SENT] * 3


@pytest.mark.parametrize("answer_first", [False, True])
def test_an_answer_imported_while_its_batch_is_released_is_applied_once_or_refused(
    db_url, tmp_path, answer_first
):
    """Two real processes: ``batch release`` and ``returns import`` of the answer to that
    batch, started together (either one a moment first). The import waits for the release
    (the batch lock) and applies every status, or comes first and is refused
    (RETURNS_BATCH_NOT_RELEASED) without recording anything, so importing it again applies
    it. Never a status counted "unchanged" for a payment that was not released."""
    engine = make_engine(db_url)
    n = 2_000
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i in range(n):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), 100_00 + i)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    with session_scope(engine) as s:
        files = s.scalars(select(BatchFile).order_by(BatchFile.seq)).all()
        by_file = {
            f.msg_id: s.scalars(
                select(BatchItem.end_to_end_id).where(BatchItem.file_seq == f.seq)
            ).all()
            for f in files
        }
    original, e2e = next(iter(by_file.items()))
    answer = _pain002(tmp_path / "answer.xml", "BANK-R", original, [(x, "ACSC") for x in e2e])
    env = dict(os.environ, PAYMENTS_OUTPUT_DIR=str(tmp_path / "out"),
               PAYMENTS_OUTBOX_DIR=str(tmp_path / "outbox"))  # fmt: skip
    base = [sys.executable, "-m", "cli.main", "--database-url", db_url]
    commands = [
        [*base, "batch", "release", str(run.batch_id), "--actor", "bob"],
        [*base, "returns", "import", str(answer), "--json"],
    ]
    if answer_first:
        commands.reverse()
    procs = [
        subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    done = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    importer = 0 if answer_first else 1
    assert codes[1 - importer] == 0, done  # the release
    assert not any("Traceback" in err for _, err in done), done
    out, err = done[importer]
    if codes[importer] == 0:
        imported = json.loads(out)
        assert (imported["settled"], imported["unchanged"]) == (len(e2e), 0)
    else:
        assert codes[importer] == 1 and "RETURNS_BATCH_NOT_RELEASED" in err, done
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(StatusReport)) == 0
        again = returns.import_file(engine, answer, actor="returns", now=LATER)
        assert (again.created, again.settled, again.unchanged) == (True, len(e2e), 0)
    with session_scope(engine) as s:
        settled = s.scalar(select(func.count()).where(PaymentOrder.status == OrderStatus.SETTLED))
        items = s.scalar(select(func.count()).select_from(StatusReportItem))
    assert settled == items == len(e2e)
    engine.dispose()
