"""The operators' journey in a real browser (Debian's chromium), on the demo's data, SQLite
and PostgreSQL: operator 1 runs the night → the batch → its approval is refused (four
eyes), as is clearing the amount review it held → operator 2 approves → releases → clears
the review → uploads the bank's answer → sees what it changed per transaction → checks
the audit chain. axe-core checks every page at 1280 px and 375 px, and each is
screenshot."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from iso20022 import pain002_writer
from payments.db import session_scope
from payments.models import Batch, BatchFile, BatchItem
from payments.statuses import BatchStatus, HoldReason
from tests.support import add_order, add_registration, cpr
from tests.web.helpers import check_page

REVIEW_ORE = 150_000_000


def _log_in(page, url: str, key: str) -> None:
    page.goto(url + "/login")
    page.check(f"input[name=identity][value='{key}']")
    page.click("form[action='/login/test'] button[type=submit]")
    page.wait_for_load_state()


def _submit(page, form: str) -> None:
    page.click(f"form[action='{form}'] button[type=submit]")
    page.wait_for_load_state()


def _night_to_run(engine) -> tuple[dt.date, int]:
    """Payments due for a night after the demo's: five payees with accounts, one order
    held for amount review. Returns the night's date and that order's id."""
    with session_scope(engine) as s:
        last = s.scalar(select(func.max(Batch.run_date)))
        for i in range(5):
            add_registration(s, cpr(700 + i), account=str(700 + i))
            add_order(s, cpr(700 + i), (i + 1) * 123_45, due=last)
        add_registration(s, cpr(799), account="799")
        review = add_order(s, cpr(799), REVIEW_ORE, due=last)
        return last + dt.timedelta(days=1), review.id


def test_operators_run_approve_release_and_read_the_bank_s_answer(live_server, browser, tmp_path):
    run_date, review = _night_to_run(live_server.engine)
    page = browser.new_page()
    _log_in(page, live_server.url, "operator-1")
    assert page.url.endswith("/operator")
    check_page(page, "operator-overview")

    # a date a year ahead (a typo) asks first; going back runs nothing
    page.fill("#date", (run_date + dt.timedelta(days=365)).isoformat())
    _submit(page, "/operator/run")
    assert page.locator("[data-code='BATCH_DATE_UNUSUAL']").count() == 1
    check_page(page, "operator-run-confirm")
    page.click("main a[href='/operator']")
    page.wait_for_load_state()
    with session_scope(live_server.engine) as s:
        assert s.scalar(select(func.max(Batch.run_date))) < run_date

    page.fill("#date", run_date.isoformat())
    _submit(page, "/operator/run")
    if "/operator/batches/" not in page.url:  # the demo's last night was over a week ago
        _submit(page, "/operator/run")
    assert page.url.endswith("?done=run")
    batch_url = page.url.split("?")[0]
    batch_id = int(batch_url.rsplit("/", 1)[1])
    check_page(page, "operator-batch-generated")

    _submit(page, f"/operator/batches/{batch_id}/approve")
    assert page.locator(".error-summary [data-code]").get_attribute("data-code") == (
        "BATCH_FOUR_EYES"
    )
    check_page(page, "operator-approve-refused")

    page.goto(f"{live_server.url}/operator/holds?reason={HoldReason.AMOUNT_REVIEW.value}")
    check_page(page, "operator-holds")
    _submit(page, f"/operator/holds/{review}/review")
    assert page.locator(".error-summary [data-code]").get_attribute("data-code") == (
        "ORDER_REVIEW_FOUR_EYES"
    )
    check_page(page, "operator-review-refused")

    _submit(page, "/logout")
    _log_in(page, live_server.url, "operator-2")
    page.goto(batch_url)
    _submit(page, f"/operator/batches/{batch_id}/approve")
    assert page.url.endswith("?done=approved")
    check_page(page, "operator-batch-approved")
    _submit(page, f"/operator/batches/{batch_id}/release")
    assert page.url.endswith("?done=released")
    check_page(page, "operator-batch-released")
    with session_scope(live_server.engine) as s:
        assert s.get(Batch, batch_id).status == BatchStatus.RELEASED

    page.goto(f"{live_server.url}/operator/holds?reason={HoldReason.AMOUNT_REVIEW.value}")
    _submit(page, f"/operator/holds/{review}/review")
    assert page.locator("[data-code='ORDER_REVIEW_APPROVED']").count() == 1
    check_page(page, "operator-review-cleared")

    # the bank answers the released file: the first payment rejected, the rest paid
    with session_scope(live_server.engine) as s:
        files = s.execute(
            select(BatchFile.msg_id, BatchFile.id).where(BatchFile.batch_id == batch_id)
        ).all()
        msg_id = files[0].msg_id
        e2e = s.scalars(
            select(BatchItem.end_to_end_id)
            .where(BatchItem.batch_id == batch_id, BatchItem.file_seq == 1)
            .order_by(BatchItem.order_id)
        ).all()
    answer = tmp_path / "pain002.xml"
    pain002_writer.write(
        answer, msg_id=f"WEB-BANK-{batch_id}", created_at=dt.datetime.now(dt.UTC),
        original_msg_id=msg_id, group_status="PART",
        transactions=[pain002_writer.TxAnswer(e, "RJCT" if n == 0 else "ACSC",
                                              "AC04" if n == 0 else None)
                      for n, e in enumerate(e2e)],
    )  # fmt: skip
    page.click("a.nav__link[href='/operator/returns']")
    check_page(page, "operator-returns")
    page.set_input_files("#file", str(answer))
    _submit(page, "/operator/returns")
    assert page.url.endswith("?done=imported")
    assert page.locator("td .tag--returned").count() == 1
    assert page.locator("td .tag--settled").count() == len(e2e) - 1
    check_page(page, "operator-bank-answer")

    page.click("a.nav__link[href='/operator/audit']")
    check_page(page, "operator-audit")
    _submit(page, "/operator/audit/verify")
    assert page.locator("[data-code='AUDIT_CHAIN_INTACT']").count() == 1
    check_page(page, "operator-audit-verified")
    assert "<script" not in page.content()
