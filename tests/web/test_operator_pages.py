"""The operators' pages over HTTP, on SQLite and PostgreSQL: the night from the run to the
bank's answer, four eyes as the services enforce them, and what the pages refuse.

Two operators of the test log-in: ``operator-1`` runs the night and is refused its
approval and the amount review of what it held (the codes on the page), ``operator-2``
approves, releases and clears. Every form needs its CSRF token; citizens and employers
never get an operator page. Assertions read codes, states and counts, never words.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from iso20022 import pain002_writer
from payments.batch import night
from payments.db import session_scope
from payments.models import AuditEvent, Batch, BatchFile, BatchItem, PaymentOrder, StatusReport
from payments.statuses import BatchStatus, HoldReason, OrderStatus
from tests.support import add_order, add_registration, cpr
from tests.web.helpers import NOW, TODAY, codes_of, log_in
from tests.web.page_support import post_form, two_companies

REVIEW_ORE = 150_000_000  # 1.5 million kr: above the default review amount


@pytest.fixture
def night_data(web_app):
    """Five payees with accounts, one without (held), one order held for amount review."""
    engine = web_app.state.payments.engine
    with session_scope(engine) as s:
        for i in range(5):
            add_registration(s, cpr(i), account=str(i + 1))
            add_order(s, cpr(i), (i + 1) * 100_00)
        add_order(s, cpr(50), 42_00)  # no NemKonto
        add_registration(s, cpr(51), account="51")
        big = add_order(s, cpr(51), REVIEW_ORE)
        return {"engine": engine, "review": big.id}


@pytest.fixture
def operator(web_client, night_data):
    log_in(web_client, "operator-1")
    return web_client


def _batch(engine) -> Batch:
    with session_scope(engine) as s:
        return s.scalars(select(Batch).order_by(Batch.id.desc())).first()


def _run(client, date: str = TODAY.isoformat()):
    return post_form(client, "/operator/run", {"date": date}, page="/operator")


def test_the_night_from_run_to_the_bank_s_answer(web_app, night_data, operator, tmp_path):
    engine = night_data["engine"]
    ran = _run(operator)
    assert ran.status_code == 303
    batch = _batch(engine)
    assert ran.headers["location"] == f"/operator/batches/{batch.id}?done=run"
    page = operator.get(ran.headers["location"])
    assert page.status_code == 200 and "BATCH_DONE" in codes_of(page.text)
    assert 'class="tag tag--in_batch"' in page.text
    assert cpr(0) not in page.text and cpr(0)[:6] + "-****" in page.text  # payees masked
    # the runner may not approve: the page says why, with the service's code
    approve = f"/operator/batches/{batch.id}/approve"
    refused = post_form(operator, approve, page=ran.headers["location"])
    assert refused.status_code == 409 and "BATCH_FOUR_EYES" in codes_of(refused.text)
    assert _batch(engine).status == BatchStatus.GENERATED
    log_in(operator, "operator-2")
    approved = post_form(operator, f"/operator/batches/{batch.id}/approve", page="/operator")
    assert approved.headers["location"] == f"/operator/batches/{batch.id}?done=approved"
    released = post_form(operator, f"/operator/batches/{batch.id}/release", page="/operator")
    assert released.headers["location"] == f"/operator/batches/{batch.id}?done=released"
    assert _batch(engine).status == BatchStatus.RELEASED
    again = post_form(operator, f"/operator/batches/{batch.id}/release", page="/operator")
    assert again.status_code == 409 and "BATCH_ALREADY_RELEASED" in codes_of(again.text)
    # the bank answers: one payment rejected for a closed account, the rest settled
    with session_scope(engine) as s:
        msg_id = s.scalar(select(BatchFile.msg_id).where(BatchFile.batch_id == batch.id))
        e2e = s.scalars(select(BatchItem.end_to_end_id).order_by(BatchItem.order_id)).all()
    answer = tmp_path / "pain002.xml"
    pain002_writer.write(
        answer, msg_id="BANK-ANSWER-1", created_at=NOW + dt.timedelta(days=1),
        original_msg_id=msg_id, group_status="PART",
        transactions=[pain002_writer.TxAnswer(e, "RJCT" if n == 1 else "ACSC",
                                              "AC04" if n == 1 else None)
                      for n, e in enumerate(e2e)],
    )  # fmt: skip
    body = answer.read_bytes()
    imported = post_form(
        operator, "/operator/returns", files={"file": ("pain002.xml", body, "application/xml")}
    )
    assert imported.status_code == 303
    assert re.fullmatch(r"/operator/returns/\d+\?done=imported", imported.headers["location"])
    report = operator.get(imported.headers["location"])
    assert "RETURNS_IMPORTED" in codes_of(report.text)
    assert report.text.count('class="tag tag--settled"') == len(e2e) - 1
    assert report.text.count('class="tag tag--returned"') == 1
    with session_scope(engine) as s:
        states = s.scalars(select(PaymentOrder.status).order_by(PaymentOrder.id)).all()
    assert states.count(OrderStatus.RETURNED) == 1
    known = post_form(
        operator, "/operator/returns", files={"file": ("pain002.xml", body, "application/xml")}
    )
    assert known.headers["location"].endswith("?done=known")
    with session_scope(engine) as s:
        assert len(s.scalars(select(StatusReport)).all()) == 1


def test_an_amount_review_is_cleared_by_another_operator_than_the_runner(night_data, operator):
    _run(operator)
    order_id = night_data["review"]
    holds = operator.get(f"/operator/holds?reason={HoldReason.AMOUNT_REVIEW.value}")
    assert f'action="/operator/holds/{order_id}/review"' in holds.text
    refused = post_form(operator, f"/operator/holds/{order_id}/review", page="/operator/holds")
    assert refused.status_code == 409 and "ORDER_REVIEW_FOUR_EYES" in codes_of(refused.text)
    log_in(operator, "operator-2")
    cleared = post_form(operator, f"/operator/holds/{order_id}/review", page="/operator/holds")
    assert cleared.status_code == 303
    assert "done=review" in cleared.headers["location"]
    assert "ORDER_REVIEW_APPROVED" in codes_of(operator.get(cleared.headers["location"]).text)
    with session_scope(night_data["engine"]) as s:
        assert s.get(PaymentOrder, order_id).review_approved_by == "operator-2"


def test_holds_are_counted_by_reason_and_listed_masked(night_data, operator):
    _run(operator)
    page = operator.get("/operator/holds?reason=NO_ACCOUNT")
    assert page.status_code == 200
    assert cpr(50)[:6] + "-****" in page.text and cpr(50) not in page.text
    assert "/operator/holds?reason=AMOUNT_REVIEW" in page.text


def test_a_date_far_from_today_asks_for_a_confirmation_first(night_data, operator):
    later = (TODAY + dt.timedelta(days=30)).isoformat()
    asked = _run(operator, later)
    assert asked.status_code == 200 and "BATCH_DATE_UNUSUAL" in codes_of(asked.text)
    assert _batch(night_data["engine"]) is None
    confirmed = post_form(
        operator, "/operator/run", {"date": later, "confirm": "yes"}, page="/operator"
    )
    assert confirmed.status_code == 303
    assert _batch(night_data["engine"]).run_date.isoformat() == later


def test_a_date_that_is_no_date_is_refused(night_data, operator):
    answer = _run(operator, "2024-13-01")
    assert answer.status_code == 422 and "BATCH_DATE_INVALID" in codes_of(answer.text)
    assert _batch(night_data["engine"]) is None


def test_a_batch_is_rejected_with_a_reason(night_data, operator):
    _run(operator)
    batch = _batch(night_data["engine"])
    path = f"/operator/batches/{batch.id}/reject"
    empty = post_form(operator, path, {"reason": " "}, page="/operator")
    assert empty.status_code == 422 and "BATCH_REJECT_REASON" in codes_of(empty.text)
    rejected = post_form(operator, path, {"reason": "wrong debtor account"}, page="/operator")
    assert rejected.headers["location"] == f"/operator/batches/{batch.id}?done=rejected"
    assert _batch(night_data["engine"]).reject_reason == "wrong debtor account"


def test_the_batch_page_pages_its_transactions(web_app, night_data, operator):
    _run(operator)
    batch = _batch(night_data["engine"])
    from payments.batch import transactions

    first = transactions.page(night_data["engine"], batch.id, limit=2)
    page = operator.get(f"/operator/batches/{batch.id}?after={first.items[1]['order_id']}")
    shown = re.findall(r"<tr><td>(\d+)</td>", page.text)
    assert shown and int(shown[0]) > first.items[1]["order_id"]
    found, by_state = night.show(night_data["engine"], web_app.state.payments.settings, batch.id)
    assert by_state["in_batch"]["count"] == found.order_count == 5


def test_a_file_that_is_no_bank_answer_is_refused_and_nothing_recorded(night_data, operator):
    answer = post_form(
        operator, "/operator/returns", files={"file": ("x.xml", b"<a/>", "application/xml")}
    )
    assert answer.status_code in (409, 422)
    assert "XML_UNKNOWN_MESSAGE" in codes_of(answer.text)
    with session_scope(night_data["engine"]) as s:
        assert s.scalars(select(StatusReport)).all() == []


def test_the_audit_chain_is_checked_on_demand(night_data, operator):
    _run(operator)
    page = operator.get("/operator/audit")
    assert page.status_code == 200
    checked = post_form(operator, "/operator/audit/verify", page="/operator/audit")
    assert checked.status_code == 200 and "AUDIT_CHAIN_INTACT" in codes_of(checked.text)


@pytest.mark.parametrize(
    "path,data",
    [
        ("/operator/run", {"date": TODAY.isoformat()}),
        ("/operator/batches/1/approve", {}),
        ("/operator/batches/1/release", {}),
        ("/operator/batches/1/reject", {"reason": "no"}),
        ("/operator/holds/1/review", {}),
        ("/operator/audit/verify", {}),
        ("/operator/returns", {}),
    ],
)
def test_every_operator_form_needs_its_csrf_token(night_data, operator, path, data):
    engine = night_data["engine"]
    with session_scope(engine) as s:
        events = len(s.scalars(select(AuditEvent)).all())
    for token in (None, "forged"):
        fields = data | ({"csrf_token": token} if token else {})
        answer = operator.post(path, data=fields, files={"file": ("a.xml", b"<a/>", "text/xml")})
        assert answer.status_code == 403 and "WEB_CSRF_INVALID" in codes_of(answer.text)
    assert _batch(engine) is None
    with session_scope(engine) as s:
        assert len(s.scalars(select(AuditEvent)).all()) == events


@pytest.mark.parametrize("who", ["citizen-1", "employer-1"])
def test_operator_pages_refuse_a_citizen_or_an_employer(web_app, web_client, seeded, who):
    two_companies(web_app.state.payments.engine)
    log_in(web_client, who)
    for path in ("/operator", "/operator/holds", "/operator/returns", "/operator/audit"):
        answer = web_client.get(path)
        assert answer.status_code == 403 and "WEB_FORBIDDEN" in codes_of(answer.text)
    refused = post_form(web_client, "/operator/run", {"date": TODAY.isoformat()}, page="/login")
    assert refused.status_code == 403
    with session_scope(web_app.state.payments.engine) as s:
        assert s.scalars(select(Batch)).all() == []
