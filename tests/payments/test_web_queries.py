"""The application layer's read models behind the web pages, on SQLite and PostgreSQL: an
employer's claim list (filters, keyset pages, payment state, nobody else's claims), a
batch's transactions a page at a time and its states from the batch row, the holds
counted by reason, the bank's answers read back per transaction, claim-file job sizes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import rules
from iso20022 import pain002_writer
from payments import bank_answers, employer, jobs, money, order_views, orders, returns
from payments.batch import approval, night, transactions
from payments.claims import counts, listing
from payments.db import session_scope
from payments.errors import InputError, NotFound
from payments.models import BatchFile, BatchItem, PaymentOrder
from payments.statuses import HoldReason
from tests.support import NOW, RUN, WORKED_AMOUNT, add_order, add_registration, cpr, make_settings
from tests.support import worked as worked_claim

TODAY = dt.date(2024, 3, 20)
AT = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
PARAMS = rules.load_parameters()
EMPLOYER, OTHER = "13585628", "10150817"


def _send(engine, *raws, cvr=EMPLOYER):
    return employer.submit(
        engine, list(raws), employer_cvr=cvr, actor="payroll", today=TODAY, now=AT,
        parameters=PARAMS,
    )  # fmt: skip


def _claims(engine, n, cvr=EMPLOYER, prefix="ACME"):
    raws = [
        worked_claim(external_ref=f"{prefix}-{i:04d}", employer_cvr=cvr, employee_cpr=cpr(i))
        for i in range(n)
    ]
    outcomes = _send(engine, *raws, cvr=cvr)
    assert {o["outcome"] for o in outcomes} == {"created"}


def test_the_list_pages_newest_first_and_counts_every_match(engine):
    _claims(engine, 7)
    first = listing.page(engine, EMPLOYER, limit=3)
    assert first.total == 7
    assert [c["external_ref"] for c in first.items] == ["ACME-0006", "ACME-0005", "ACME-0004"]
    second = listing.page(engine, EMPLOYER, before=first.next_before, limit=3)
    last = listing.page(engine, EMPLOYER, before=second.next_before, limit=3)
    assert [c["external_ref"] for c in second.items + last.items] == [
        "ACME-0003", "ACME-0002", "ACME-0001", "ACME-0000",
    ]  # fmt: skip
    assert last.next_before is None
    one = first.items[0]
    assert Decimal(one["amount"]) == WORKED_AMOUNT and one["status"] == "approved"
    assert one["payment"] == {"state": "pending", "reason": None, "payment_date": None, "orders": 1}


def test_an_employer_sees_only_its_own_claims(engine):
    _claims(engine, 2)
    _claims(engine, 3, cvr=OTHER, prefix="OTHER")
    mine = listing.page(engine, EMPLOYER)
    assert mine.total == 2 and {c["external_ref"][:4] for c in mine.items} == {"ACME"}
    assert listing.page(engine, OTHER, listing.Filters(ref="ACME")).total == 0
    with pytest.raises(NotFound) as missing:
        listing.stored_claim(engine, OTHER, "ACME-0000")
    assert missing.value.code == "CLAIM_NOT_FOUND"


def test_filters_by_status_kind_reference_and_payment_state(engine, tmp_path):
    _claims(engine, 3)
    late = worked_claim(external_ref="LATE-1", employee_cpr=cpr(50), first_absence_day="2023-10-02",
                        last_absence_day="2023-10-27")  # fmt: skip
    [outcome] = _send(engine, late)
    assert outcome["status"] == "rejected"
    assert [
        c["external_ref"] for c in listing.page(engine, EMPLOYER, listing.Filters("rejected")).items
    ] == ["LATE-1"]  # noqa: E501
    assert listing.page(engine, EMPLOYER, listing.Filters(kind="maternity")).total == 0
    assert listing.page(engine, EMPLOYER, listing.Filters(ref="ACME-000")).total == 3
    assert listing.page(engine, EMPLOYER, listing.Filters(ref="%")).total == 0  # no wildcard
    # the night takes the three approved claims' orders; the employer has no NemKonto
    settings = make_settings(tmp_path)
    night.run(engine, settings, run_date=TODAY, actor="alice", now=AT)
    held = listing.page(engine, EMPLOYER, listing.Filters(payment="held"))
    assert held.total == 3
    assert held.items[0]["payment"]["state"] == "held"
    assert held.items[0]["payment"]["reason"] == HoldReason.NO_ACCOUNT
    assert listing.page(engine, EMPLOYER, listing.Filters(payment="pending")).total == 0
    with session_scope(engine) as s:
        add_registration(s, EMPLOYER, kind="cvr", active_from=dt.date(2024, 1, 1))
    run = night.run(engine, settings, run_date=TODAY + dt.timedelta(days=1), actor="alice", now=AT)
    assert listing.page(engine, EMPLOYER, listing.Filters(payment="in_batch")).total == 3
    in_batch = listing.page(engine, EMPLOYER, listing.Filters(payment="in_batch")).items[0]
    assert in_batch["payment"]["state"] == "in_batch"
    assert in_batch["payment"]["payment_date"] == run.execution_date
    approval.approve(engine, settings, run.batch_id, actor="bob", now=AT)
    approval.release(engine, settings, run.batch_id, actor="bob", now=AT)
    assert listing.page(engine, EMPLOYER, listing.Filters(payment="sent")).total == 3
    assert listing.page(engine, EMPLOYER, listing.Filters(payment="in_batch")).total == 0


@pytest.mark.parametrize(
    "filters,field",
    [
        (listing.Filters(status="error"), "status"),
        (listing.Filters(kind="pension"), "kind"),
        (listing.Filters(payment="lost"), "payment"),
        (listing.Filters(ref="x" * 36), "ref"),
        (listing.Filters(ref="a\nb"), "ref"),
    ],
)
def test_a_filter_that_is_not_a_choice_is_refused(engine, filters, field):
    with pytest.raises(InputError) as refused:
        listing.page(engine, EMPLOYER, filters)
    assert (refused.value.code, refused.value.field) == ("CLAIM_FILTER_INVALID", field)


def test_payment_state_is_what_needs_attention_first():
    view = [
        {"state": "settled", "reason": None, "payment_date": dt.date(2024, 5, 7)},
        {"state": "held", "reason": "NO_ACCOUNT", "payment_date": None},
        {"state": "cancelled", "reason": None, "payment_date": None},
    ]
    assert listing.payment_state(view)["state"] == "held"
    assert listing.payment_state(view)["orders"] == 2
    assert listing.payment_state(view[2:])["state"] == "none"


def test_stored_claim_is_the_record_as_sent_without_its_correction_flag(engine):
    _claims(engine, 1)
    corrected = worked_claim(external_ref="ACME-0000", employee_cpr=cpr(0),
                             last_absence_day="2024-04-19", correction=True)  # fmt: skip
    assert _send(engine, corrected)[0]["outcome"] == "corrected"
    stored = listing.stored_claim(engine, EMPLOYER, "ACME-0000")
    assert stored["last_absence_day"] == "2024-04-19" and "correction" not in stored
    assert listing.page(engine, EMPLOYER).items[0]["version"] == 2


def test_a_claim_with_several_orders_is_one_item_and_the_pages_still_meet(engine):
    """The page is one statement of claims joined to their orders (a row per order): a
    corrected claim's cancelled and new order make one item, and the next page starts
    right after it."""
    _claims(engine, 4)
    corrected = worked_claim(external_ref="ACME-0002", employee_cpr=cpr(2),
                             last_absence_day="2024-04-19", correction=True)  # fmt: skip
    assert _send(engine, corrected)[0]["outcome"] == "corrected"
    with session_scope(engine) as s:
        states = sorted(
            o.status
            for o in s.scalars(select(PaymentOrder))
            if o.claim_id == listing.page(engine, EMPLOYER).items[1]["sequence"]
        )
    assert states == ["cancelled", "pending"]  # two orders behind one claim
    first = listing.page(engine, EMPLOYER, limit=2)
    assert [c["external_ref"] for c in first.items] == ["ACME-0003", "ACME-0002"]
    assert first.items[1]["payment"]["orders"] == 1 and first.items[1]["version"] == 2
    assert first.next_before == first.items[1]["sequence"]
    rest = listing.page(engine, EMPLOYER, before=first.next_before, limit=2)
    assert [c["external_ref"] for c in rest.items] == ["ACME-0001", "ACME-0000"]
    assert rest.next_before is None and first.total == rest.total == 4


def test_the_kept_claim_counts_follow_created_claims_only(engine):
    """Each company's kept number of claims (revision 1000) is its claims: a record sent
    again (unchanged), a correction and an invalid claim add nothing; another company's
    claims are its own."""
    _claims(engine, 3)
    _claims(engine, 2, cvr=OTHER, prefix="OTHR")
    again = worked_claim(external_ref="ACME-0001", employee_cpr=cpr(1))
    corrected = worked_claim(external_ref="ACME-0000", employee_cpr=cpr(0),
                             last_absence_day="2024-04-19", correction=True)  # fmt: skip
    invalid = worked_claim(external_ref="ACME-0009", employee_cpr="0101")
    outcomes = [o["outcome"] for o in _send(engine, again, corrected, invalid)]
    assert outcomes == ["unchanged", "corrected", "invalid"]
    with session_scope(engine) as s:
        assert counts.check(s) == []
        assert (counts.total(s, EMPLOYER), counts.total(s, OTHER), counts.total(s, "0")) == (
            3, 2, 0,
        )  # fmt: skip
    assert listing.page(engine, EMPLOYER).total == 3
    assert listing.page(engine, OTHER).total == 2
    # the page's rows carry the kept total; a page past the last, or a company without
    # claims, has no rows and reads it on its own
    oldest = listing.page(engine, EMPLOYER).items[-1]["sequence"]
    past = listing.page(engine, EMPLOYER, before=oldest)
    assert (past.items, past.total, past.next_before) == ([], 3, None)
    assert listing.page(engine, "0").total == 0


# -- a batch, a page at a time -------------------------------------------------------------------


def _night(engine, tmp_path, n=7):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        for i in range(n):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), (i + 1) * 100_00)
        add_order(s, cpr(90), 5_00)  # no account: held
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    return settings, run


def _counted(engine, batch_id):
    """The states of a batch's items aggregated from its rows (the released-batch path)."""
    state = orders.item_state(BatchItem, PaymentOrder)
    with session_scope(engine) as s:
        rows = s.execute(
            select(state, func.count(), func.sum(BatchItem.amount_ore))
            .join(PaymentOrder, PaymentOrder.id == BatchItem.order_id)
            .where(BatchItem.batch_id == batch_id)
            .group_by(state)
        ).all()
    return {k: {"count": n, "amount": money.kr(int(t))} for k, n, t in rows}


def test_an_unreleased_batch_is_shown_from_its_row_as_its_items_would_say(engine, tmp_path):
    settings, run = _night(engine, tmp_path)
    _, by_state = night.show(engine, settings, run.batch_id)
    assert by_state == _counted(engine, run.batch_id)
    assert by_state == {"in_batch": {"count": 7, "amount": money.kr(28 * 100_00)}}
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    assert night.show(engine, settings, run.batch_id)[1] == by_state
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    released = night.show(engine, settings, run.batch_id)[1]
    assert released == {"sent": {"count": 7, "amount": money.kr(28 * 100_00)}}


def test_a_batch_s_transactions_page_by_order_id_with_payees_masked(engine, tmp_path):
    settings, run = _night(engine, tmp_path)
    first = transactions.page(engine, run.batch_id, limit=3)
    assert [t["amount"] for t in first.items] == ["100.00", "200.00", "300.00"]
    assert first.items[0]["payee"]["number"] == cpr(0)[:6] + "-****"
    assert {t["state"] for t in first.items} == {"in_batch"}
    rest = transactions.page(engine, run.batch_id, after=first.next_after, limit=10)
    assert len(rest.items) == 4 and rest.next_after is None
    approval.reject(engine, settings, run.batch_id, actor="bob", reason="wrong day", now=NOW)
    rejected = transactions.page(engine, run.batch_id, limit=10)
    assert len(rejected.items) == 7 and {t["state"] for t in rejected.items} == {"rejected"}
    with pytest.raises(NotFound) as missing:
        transactions.page(engine, run.batch_id + 100)
    assert missing.value.code == "BATCH_NOT_FOUND"


def test_held_orders_are_counted_and_summed_by_reason(engine, tmp_path):
    _night(engine, tmp_path)
    assert order_views.held_counts(engine) == [
        {"reason": HoldReason.NO_ACCOUNT, "count": 1, "amount": "5.00"}
    ]
    batches = night.recent_batches(engine, make_settings(tmp_path))
    assert [b.order_count for b in batches] == [7]


# -- the bank's answers --------------------------------------------------------------------------


def test_a_bank_answer_is_read_back_per_transaction(engine, tmp_path):
    settings, run = _night(engine, tmp_path, n=3)
    approval.approve(engine, settings, run.batch_id, actor="bob", now=NOW)
    approval.release(engine, settings, run.batch_id, actor="bob", now=NOW)
    with session_scope(engine) as s:
        msg_id = s.scalar(select(BatchFile.msg_id).where(BatchFile.batch_id == run.batch_id))
        e2e = s.scalars(select(BatchItem.end_to_end_id).order_by(BatchItem.order_id)).all()
    path = tmp_path / "answer.xml"
    pain002_writer.write(
        path,
        msg_id="BANK-1",
        created_at=NOW,
        original_msg_id=msg_id,
        group_status="PART",
        transactions=[
            pain002_writer.TxAnswer(e2e[0], "ACSC", None),
            pain002_writer.TxAnswer(e2e[1], "RJCT", "AC04"),
            pain002_writer.TxAnswer(e2e[2], "ACSC", None),
        ],
    )
    result = returns.import_file(engine, path, actor="carol", now=NOW)
    report = bank_answers.report(engine, msg_id=result.msg_id)
    assert (report.transactions, report.unknown, report.kind) == (3, 0, "pain.002")
    assert report.by_status == (("ACSC", None, 2), ("RJCT", "AC04", 1))
    first = bank_answers.items(engine, report.id, limit=2)
    assert [(t["status"], t["state"]) for t in first.items] == [
        ("ACSC", "settled"), ("RJCT", "returned"),
    ]  # fmt: skip
    assert first.items[1]["return_reason"] == "AC04" and first.items[1]["amount"] == "200.00"
    assert first.items[1]["payee"]["number"].endswith("-****")
    rest = bank_answers.items(engine, report.id, after=first.next_after)
    assert len(rest.items) == 1 and rest.next_after is None
    assert [r["msg_id"] for r in bank_answers.recent(engine)] == ["BANK-1"]
    with pytest.raises(NotFound) as missing:
        bank_answers.report(engine, report_id=report.id + 1)
    assert missing.value.code == "RETURNS_REPORT_NOT_FOUND"


# -- claim-file jobs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "newlines,last,first,name,expected",
    [
        (3, b"\n", b"{", "upload.ndjson", 3),
        (2, b"}", b"{", "upload.ndjson", 3),  # no break after the last line
        (4, b"\n", b"e", "upload.csv", 3),  # the header is no claim
        (40, b"\n", b"[", "upload.json", None),  # a JSON document's records are not lines
        (0, b"", b"", "upload.json", None),
    ],
)
def test_a_claim_file_s_expected_records(newlines, last, first, name, expected):
    assert jobs.expected(newlines, last, first, name) == expected


def test_recent_jobs_are_the_employer_s_own_newest_first(engine):
    for cvr in (EMPLOYER, OTHER, EMPLOYER):
        jobs.create(
            engine, employer_cvr=cvr, actor="payroll", spool_name=jobs.new_spool_name(),
            file_name="upload.ndjson", size_bytes=10, sha256="0" * 64, received_on=TODAY,
            now=AT, expected_records=4,
        )  # fmt: skip
    mine = jobs.recent(engine, EMPLOYER)
    assert len(mine) == 2 and mine[0].id > mine[1].id
    assert {j.employer_cvr for j in mine} == {EMPLOYER} and mine[0].expected_records == 4
