"""The operators' pages, "Nattens kørsel": run the night, work the holds, approve, release or
reject a batch, read the bank's answer in, and see the audit chain's state.

The operator is the session's principal; its subject is the actor of everything done here,
so four eyes compares authenticated people, as in the API: the operator who ran a batch is
refused its approval (``BATCH_FOUR_EYES``), the one who ran the batch that held an order
or submitted its claim is refused clearing its amount review (``ORDER_REVIEW_FOUR_EYES``).
The services refuse; these pages only say so — the refusal is shown in the error summary
with its code and what to do, and nothing changed.

Choices (README, "Web pages"):

- **Every action** is a form post with the CSRF token, answered with a 303 to the page of
  its result with ``?done=…`` (the page says what was done: "You approved batch 7"); a
  refused action shows the same page again with the refusal (status 409, or 422 for bad
  input) — post/redirect/get, so a reload never repeats an action.
- **Running the night** for a date in the past or more than 7 days ahead first asks for a
  confirmation, with the batch's own warning (:func:`payments.batch.night.unusual_run_date`,
  as ``batch run`` asks for ``--yes``).
- **A batch's page** reads counts and sums, never its rows: the batch row and its files,
  the transactions by state (:func:`payments.batch.night.show`: from the batch row while it
  is not released, one aggregate after), the holds by reason in SQL, and one page of
  :data:`payments.batch.transactions.PAGE` transactions by keyset. A night of a million
  orders renders like a night of ten.
- **The bank's answer** is uploaded (pain.002 or camt.054), imported as ``returns import``
  imports it, and answered with the report's page: the statuses counted, and each
  transaction with what the bank said and where its order stands now, a page at a time.
- **The audit chain**: its head (length, newest event, hash) on every look; walking the
  whole chain (:func:`payments.audit.verify_database`) is an action of its own, because it
  reads every event.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.state import state
from api.web import errors, render, session
from api.web.errors import Field
from api.web.i18n import N_
from payments import audit, bank_answers, jobs, order_views, returns
from payments.batch import approval, night, transactions
from payments.errors import CODED_ERRORS, ConflictError, NotFound, PaymentsError
from payments.statuses import BatchStatus, HoldReason
from payments.tokens import Principal

ROLE = "operator"
HOME = "/operator"
NAV = [
    ("/operator", N_("Tonight's run")),
    ("/operator/holds", N_("Held payments")),
    ("/operator/returns", N_("Bank answers")),
    ("/operator/audit", N_("Audit log")),
]
router = APIRouter(include_in_schema=False)
Operator = Annotated[Principal, Depends(session.signed_in(ROLE))]
BatchId = Annotated[int, Path(ge=1, le=2**62)]
After = Annotated[int, Query(ge=0, le=2**62)]
CHUNK = 1 << 20

#: what a refusal means and what to do, by the service's code (shown with the code)
REFUSALS = {
    "BATCH_FOUR_EYES": N_(
        "You ran this batch yourself, so you cannot approve it. Another operator must "
        "approve it (four eyes)."
    ),
    "ORDER_REVIEW_FOUR_EYES": N_(
        "You ran the batch that held this payment, or submitted its claim, so you cannot "
        "clear its review. Another operator must clear it (four eyes)."
    ),
    "BATCH_NOT_GENERATED": N_("The batch is not waiting for approval."),
    "BATCH_NOT_APPROVED": N_("The batch must be approved before it is released."),
    "BATCH_ALREADY_RELEASED": N_("The batch is already released."),
    "BATCH_REJECTED": N_("The batch was rejected."),
    "BATCH_IN_OUTBOX": N_(
        "A file of the batch is in the outbox (a release was interrupted): release it."
    ),
    "BATCH_REJECT_REASON": N_(
        "Say why the batch is rejected, in at most 500 characters, without a CPR or account number."
    ),
    "ORDER_NOT_IN_REVIEW": N_("The payment is not held for amount review."),
    "RETURNS_UNKNOWN_MESSAGE": N_(
        "The file answers a payment file this engine never sent. Nothing was recorded."
    ),
    "RETURNS_BATCH_NOT_RELEASED": N_(
        "The file answers a batch that is not released yet. Nothing was recorded: import it "
        "after the release."
    ),
    "RETURNS_FILE_INVALID": N_(
        "The file is not valid against its ISO 20022 schema. Nothing was recorded."
    ),
    "RETURNS_WRONG_MESSAGE": N_("The file is not a pain.002 or camt.054. Nothing was recorded."),
}
#: the inputs of the run's and the returns' forms, with the labels the pages show and
#: their errors name them by (:data:`api.web.errors.FIELD_MESSAGES`)
FIELDS = {
    "date": Field(N_("Run the night for the business date"), "date"),
    "file": Field(N_("The bank's file"), "file"),
}
#: what an action did, by the ``done`` of its result page
DONE = {
    "run": N_(
        "The night was run: batch %(batch)s was made. Check it, and let another "
        "operator approve it."
    ),
    "exists": N_("The date already had batch %(batch)s: nothing new was made."),
    "approved": N_("You approved batch %(batch)s. It can now be released."),
    "released": N_("You released batch %(batch)s: its files are in the outbox for the bank."),
    "rejected": N_("You rejected batch %(batch)s. Its payments are due again in the next run."),
    "review": N_("You cleared the amount review of payment %(order)s: the next run pays it."),
    "imported": N_("The bank's answer was imported. What it changed is below."),
    "known": N_("This answer was imported before: nothing changed this time."),
}


def _refusal(request: Request, exc, button: str = "main") -> dict[str, Any]:
    """A service's refusal as a page error: on its input when the page has it, else on
    the ``button`` that asked (the error summary links there)."""
    _ = render.gettext(request)
    field = exc.field if exc.field in ("reason", "file", "date") else button
    text = errors.field_message(exc.code, field, FIELDS, _)
    if text is None and exc.code in REFUSALS:
        text = _(REFUSALS[exc.code])
    return {
        "code": exc.code,
        "field": field,
        "message": text or exc.message,
        "detail": exc.message if text else None,
    }


def _labels(request: Request) -> dict[str, str]:
    return errors.labels(FIELDS, render.gettext(request))


def _done(request: Request, done: str | None, **values: Any) -> str | None:
    if done not in DONE:
        return None
    return render.gettext(request)(DONE[done]) % values


def _status(exc) -> int:
    return 409 if isinstance(exc, ConflictError) else 404 if isinstance(exc, NotFound) else 422


# -- the overview: run the night ------------------------------------------------------------------


def _overview(request: Request, **context: Any) -> dict[str, Any]:
    app = state(request)
    return {
        "today": app.clock.today(),
        "batches": night.recent_batches(app.engine, app.settings),
        "holds": order_views.held_counts(app.engine),
        "head": audit.head_of_database(app.engine),
        "reports": bank_answers.recent(app.engine, limit=5),
        "date_value": app.clock.today().isoformat(),
        "labels": _labels(request),
    } | context


@router.get("/operator")
def overview(request: Request, me: Operator) -> Response:
    session.ensure(request)
    return render.page(request, "operator/overview.html", _overview(request))


@router.post("/operator/run")
async def run(request: Request, me: Operator) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    given = str(form.get("date") or "").strip()
    try:
        run_date = dt.date.fromisoformat(given) if given else app.clock.today()
        if not dt.date(1900, 1, 1) <= run_date <= dt.date(2099, 12, 31):
            raise ValueError
    except ValueError:
        error = _refusal(request, PaymentsError("BATCH_DATE_INVALID", "", "date"))
        return render.page(
            request,
            "operator/overview.html",
            _overview(request, errors=[error], date_value=given[:20]),
            status=422,
        )
    warning = night.unusual_run_date(run_date, app.clock.today())
    if warning and form.get("confirm") != "yes":
        return render.page(
            request,
            "operator/confirm_run.html",
            {"run_date": run_date, "warning": warning, "today": app.clock.today()},
        )
    try:
        result = await run_in_threadpool(
            lambda: night.run(
                app.engine, app.settings, run_date=run_date, actor=me.actor, now=app.clock.now()
            )
        )
    except PaymentsError as exc:
        return render.page(
            request,
            "operator/overview.html",
            _overview(request, errors=[_refusal(request, exc)]),
            status=_status(exc),
        )
    done = "run" if result.created else "exists"
    return session.redirect(request, f"/operator/batches/{result.batch_id}?done={done}")


# -- a batch --------------------------------------------------------------------------------------


def _batch_page(
    request: Request,
    batch_id: int,
    *,
    after: int = 0,
    done: str | None = None,
    errors: list[dict] | None = None,
    status: int = 200,
    reason: str = "",
) -> Response:
    app = state(request)
    try:
        found, by_state = night.show(app.engine, app.settings, batch_id)
    except NotFound:
        raise session.Refused(404, "BATCH_NOT_FOUND") from None
    lines = transactions.page(app.engine, batch_id, after=after)
    return render.page(
        request,
        "operator/batch.html",
        {
            "batch": found,
            "by_state": by_state,
            "lines": lines,
            "after": after,
            "done": _done(request, done, batch=batch_id),
            "errors": errors or [],
            "reason_value": reason,
            "statuses": BatchStatus,
        },
        status=status,
    )


@router.get("/operator/batches/{batch_id}")
def batch(
    request: Request,
    me: Operator,
    batch_id: BatchId,
    after: After = 0,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    session.ensure(request)
    return _batch_page(request, batch_id, after=after, done=done)


async def _act(request: Request, batch_id: int, done: str, action, button: str) -> Response:
    try:
        await run_in_threadpool(action)
    except PaymentsError as exc:
        if isinstance(exc, NotFound):
            raise session.Refused(404, exc.code) from None
        error = _refusal(request, exc, button)
        return _batch_page(request, batch_id, errors=[error], status=_status(exc))
    return session.redirect(request, f"/operator/batches/{batch_id}?done={done}")


@router.post("/operator/batches/{batch_id}/approve")
async def approve(request: Request, me: Operator, batch_id: BatchId) -> Response:
    await session.checked_form(request)
    app = state(request)
    return await _act(
        request,
        batch_id,
        "approved",
        lambda: approval.approve(
            app.engine, app.settings, batch_id, actor=me.actor, now=app.clock.now()
        ),
        "approve",
    )


@router.post("/operator/batches/{batch_id}/release")
async def release(request: Request, me: Operator, batch_id: BatchId) -> Response:
    await session.checked_form(request)
    app = state(request)
    return await _act(
        request,
        batch_id,
        "released",
        lambda: approval.release(
            app.engine, app.settings, batch_id, actor=me.actor, now=app.clock.now()
        ),
        "release",
    )


@router.post("/operator/batches/{batch_id}/reject")
async def reject(request: Request, me: Operator, batch_id: BatchId) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    reason = str(form.get("reason") or "")
    try:
        await run_in_threadpool(
            lambda: approval.reject(
                app.engine, app.settings, batch_id, actor=me.actor, reason=reason,
                now=app.clock.now(),
            )
        )  # fmt: skip
    except PaymentsError as exc:
        if isinstance(exc, NotFound):
            raise session.Refused(404, exc.code) from None
        shown = "" if exc.code == "BATCH_REJECT_REASON" else reason[:500]
        error = _refusal(request, exc, "reject")
        return _batch_page(request, batch_id, errors=[error], status=_status(exc), reason=shown)
    return session.redirect(request, f"/operator/batches/{batch_id}?done=rejected")


# -- holds ----------------------------------------------------------------------------------------


def _holds_page(
    request: Request,
    reason: str | None,
    after: int,
    *,
    done: str | None = None,
    order: int | None = None,
    errors: list[dict] | None = None,
    status: int = 200,
) -> Response:
    app = state(request)
    limit = 50
    items = order_views.held(app.engine, reason=reason, after=after, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return render.page(
        request,
        "operator/holds.html",
        {
            "counts": order_views.held_counts(app.engine),
            "reason": reason,
            "reasons": list(HoldReason),
            "review": HoldReason.AMOUNT_REVIEW.value,
            "items": items,
            "next_after": items[-1]["order_id"] if more else None,
            "after": after,
            "done": _done(request, done, order=order),
            "errors": errors or [],
        },
        status=status,
    )


@router.get("/operator/holds")
def holds(
    request: Request,
    me: Operator,
    reason: Annotated[HoldReason | None, Query()] = None,
    after: After = 0,
    done: Annotated[str | None, Query(max_length=20)] = None,
    order: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    session.ensure(request)
    return _holds_page(request, reason, after, done=done, order=order)


@router.post("/operator/holds/{order_id}/review")
async def clear_review(
    request: Request, me: Operator, order_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    await session.checked_form(request)
    app = state(request)
    try:
        await run_in_threadpool(
            lambda: approval.approve_review(
                app.engine, order_id, actor=me.actor, now=app.clock.now()
            )
        )
    except PaymentsError as exc:
        if isinstance(exc, NotFound):
            raise session.Refused(404, exc.code) from None
        return _holds_page(
            request,
            HoldReason.AMOUNT_REVIEW,
            0,
            errors=[_refusal(request, exc, f"review-{order_id}")],
            status=_status(exc),
        )
    target = f"/operator/holds?reason={HoldReason.AMOUNT_REVIEW.value}&done=review&order={order_id}"
    return session.redirect(request, target)


# -- the bank's answers ---------------------------------------------------------------------------


@router.get("/operator/returns")
def returns_form(request: Request, me: Operator) -> Response:
    session.ensure(request)
    reports = bank_answers.recent(state(request).engine, limit=20)
    return render.page(
        request, "operator/returns.html", {"reports": reports, "labels": _labels(request)}
    )


@router.post("/operator/returns")
async def returns_upload(request: Request, me: Operator) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    sent = form.get("file")

    def refused(exc) -> Response:
        reports = bank_answers.recent(app.engine, limit=20)
        return render.page(
            request,
            "operator/returns.html",
            {
                "reports": reports,
                "errors": [_refusal(request, exc, "file") | {"field": "file"}],
                "labels": _labels(request),
            },
            status=_status(exc),
        )

    if sent is None or isinstance(sent, str) or not sent.filename:
        return refused(PaymentsError("REQUEST_INVALID", "choose a file", "file"))
    spool = jobs.spool_dir(app.settings)
    with tempfile.NamedTemporaryFile(dir=spool, suffix=".xml", delete=False) as out:
        path = FilePath(out.name)
        try:
            while chunk := await sent.read(CHUNK):
                out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    try:
        if path.stat().st_size == 0:
            return refused(PaymentsError("REQUEST_INVALID", "the file is empty", "file"))
        result = await run_in_threadpool(
            lambda: returns.import_file(app.engine, path, actor=me.actor, now=app.clock.now())
        )
    except CODED_ERRORS as exc:  # a file that is no bank answer: XML_*, RETURNS_*
        return refused(exc)
    finally:
        path.unlink(missing_ok=True)
    found = bank_answers.report(app.engine, msg_id=result.msg_id)
    done = "imported" if result.created else "known"
    return session.redirect(request, f"/operator/returns/{found.id}?done={done}")


@router.get("/operator/returns/{report_id}")
def report(
    request: Request,
    me: Operator,
    report_id: Annotated[int, Path(ge=1, le=2**62)],
    after: After = 0,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    app = state(request)
    try:
        found = bank_answers.report(app.engine, report_id=report_id)
    except NotFound:
        raise session.Refused(404, "RETURNS_REPORT_NOT_FOUND") from None
    lines = bank_answers.items(app.engine, report_id, after=after)
    return render.page(
        request,
        "operator/report.html",
        {"report": found, "lines": lines, "after": after, "done": _done(request, done)},
    )


# -- the audit chain ------------------------------------------------------------------------------


@router.get("/operator/audit")
def audit_page(request: Request, me: Operator) -> Response:
    session.ensure(request)
    head = audit.head_of_database(state(request).engine)
    return render.page(request, "operator/audit.html", {"head": head, "report": None})


@router.post("/operator/audit/verify")
async def verify(request: Request, me: Operator) -> Response:
    await session.checked_form(request)
    app = state(request)
    checked = await run_in_threadpool(audit.verify_database, app.engine)
    head = audit.head_of_database(app.engine)
    return render.page(
        request,
        "operator/audit.html",
        {"head": head, "report": checked},
        status=200 if checked.intact else 409,
    )
