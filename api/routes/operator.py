"""The operators' night: run, approve (four eyes), release or reject a batch; work the held
orders; upload the bank's answers.

Four eyes compares the authenticated subjects: the operator whose token ran a batch cannot
approve it (409 ``BATCH_FOUR_EYES``), whatever a body might say — no body names an actor.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import respond
from api.auth import role
from api.edge import TooLarge
from api.models import (
    Batch,
    BatchList,
    BatchRunIn,
    HeldPage,
    RejectionIn,
    ReturnsResult,
    ReviewResult,
)
from api.routes import problems
from api.state import state
from payments import jobs, order_views, returned, returns
from payments.batch import approval, night
from payments.statuses import HoldReason
from payments.tokens import Principal

router = APIRouter(tags=["operator"])
Operator = Annotated[Principal, Depends(role("operator"))]
BatchId = Annotated[int, Path(ge=1, le=2**62)]
RETURNS_LIMIT = 1024**3  # a bank report of a million transactions is some 500 MB
#: returned and not-applied transactions an import's answer lists, the first ones in file
#: order, each list with its count and a truncation flag: bounded, so that an answer
#: returning a million payments is not a response of hundreds of MB (every returned one:
#: ``payments returns show MSG_ID``)
RETURNS_LISTED = 100


def batch_view(run: night.BatchRun, states: dict | None = None) -> dict:
    return {
        "batch_id": run.batch_id,
        "created": run.created,
        "run_date": run.run_date,
        "execution_date": run.execution_date,
        "status": run.status,
        "orders": run.order_count,
        "amount": str(run.total),
        "held": run.held_count,
        "held_by_reason": dict(run.held_by_reason),
        "files": [
            {
                "name": f.path.name,
                "msg_id": f.msg_id,
                "transactions": f.tx_count,
                "amount": str(f.total),
                "sha256": f.sha256,
            }
            for f in run.files
        ],
        "rejected_by": run.rejected_by,
        "reject_reason": run.reject_reason,
        "orders_by_state": None
        if states is None
        else {k: {"count": v["count"], "amount": str(v["amount"])} for k, v in states.items()},
    }


@router.post(
    "/v1/batches",
    status_code=201,
    response_model=Batch,
    responses={200: {"model": Batch, "description": "the date's batch exists"}} | problems(409),
)
def run(request: Request, me: Operator, body: BatchRunIn | None = None) -> Response:
    """Run the night for a business date (default today): 201 a new batch, 200 the date's
    batch already exists (finished if a run was interrupted)."""
    app = state(request)
    result = night.run(
        app.engine,
        app.settings,
        run_date=(body.date if body and body.date else None) or app.clock.today(),
        actor=me.actor,
        now=app.clock.now(),
    )
    return respond.json(batch_view(result), 201 if result.created else 200)


@router.get("/v1/batches", response_model=BatchList, responses=problems())
def batches(request: Request, me: Operator) -> Response:
    app = state(request)
    return respond.json(
        {"items": [batch_view(r) for r in night.list_batches(app.engine, app.settings)]}
    )


@router.get("/v1/batches/{batch_id}", response_model=Batch, responses=problems(404))
def batch(request: Request, me: Operator, batch_id: BatchId) -> Response:
    """A batch, with its transactions counted and summed by their state now."""
    app = state(request)
    found, states = night.show(app.engine, app.settings, batch_id)
    return respond.json(batch_view(found, states))


@router.post("/v1/batches/{batch_id}/approval", response_model=Batch, responses=problems(404, 409))
def approve(request: Request, me: Operator, batch_id: BatchId) -> Response:
    """Approve a generated batch; not by the subject who ran it (``BATCH_FOUR_EYES``)."""
    app = state(request)
    result = approval.approve(
        app.engine, app.settings, batch_id, actor=me.actor, now=app.clock.now()
    )
    return respond.json(batch_view(result))


@router.post("/v1/batches/{batch_id}/release", response_model=Batch, responses=problems(404, 409))
def release(request: Request, me: Operator, batch_id: BatchId) -> Response:
    """Check the files' hashes and put them in the outbox; the orders become ``sent``."""
    app = state(request)
    result = approval.release(
        app.engine, app.settings, batch_id, actor=me.actor, now=app.clock.now()
    )
    return respond.json(batch_view(result))


@router.post("/v1/batches/{batch_id}/rejection", response_model=Batch, responses=problems(404, 409))
def reject(request: Request, me: Operator, batch_id: BatchId, body: RejectionIn) -> Response:
    """Refuse a batch that is not released: its files are deleted, its orders due again."""
    app = state(request)
    result = approval.reject(
        app.engine,
        app.settings,
        batch_id,
        actor=me.actor,
        reason=body.reason,
        now=app.clock.now(),
    )
    return respond.json(batch_view(result))


@router.get("/v1/orders", response_model=HeldPage, responses=problems())
def held_orders(
    request: Request,
    me: Operator,
    state_: Annotated[Literal["held"], Query(alias="state")] = "held",
    reason: Annotated[HoldReason | None, Query()] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Orders the night held, payee masked, oldest first (``?reason=`` to narrow)."""
    items = order_views.held(state(request).engine, reason=reason, after=after, limit=limit)
    return respond.json(
        {"items": items, "next_after": items[-1]["order_id"] if len(items) == limit else None}
    )


@router.post(
    "/v1/orders/{order_id}/review-approval",
    response_model=ReviewResult,
    responses=problems(404, 409),
)
def review_approval(
    request: Request, me: Operator, order_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    """Clear an order held for ``AMOUNT_REVIEW``: the next night pays it."""
    app = state(request)
    approval.approve_review(app.engine, order_id, actor=me.actor, now=app.clock.now())
    return respond.json({"order_id": order_id, "review_approved_by": me.actor})


@router.post(
    "/v1/returns",
    response_model=ReturnsResult,
    responses=problems(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("application/xml", "text/xml")
            },
        }
    },
)
async def bank_answer(request: Request, me: Operator) -> Response:
    """Import the bank's pain.002 or camt.054 (streamed to a temporary file): orders become
    settled or returned; an account reason flags the registration. Importing the same
    message again changes nothing (``created`` false, no transactions listed). The answer
    lists the first 100 returned transactions, whose account each was (masked) and what
    happens next, and the first 100 statuses not applied, as ``returns import`` does."""
    app = state(request)
    spool = jobs.spool_dir(app.settings)
    with tempfile.NamedTemporaryFile(dir=spool, suffix=".xml", delete=False) as out:
        path = FilePath(out.name)
        try:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > RETURNS_LIMIT:
                    raise TooLarge()
                out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    try:
        result = await run_in_threadpool(
            returns.import_file, app.engine, path, actor=me.actor, now=app.clock.now()
        )
    finally:
        path.unlink(missing_ok=True)
    shown = await run_in_threadpool(
        returned.first_of_import,
        app.engine,
        result.report_id if result.created else None,
        result.returned,
        result.not_applied,
        limit=RETURNS_LISTED,
    )
    return respond.json(
        {
            "msg_id": result.msg_id,
            "kind": result.kind,
            "created": result.created,
            "settled": result.settled,
            "returned": result.returned,
            "unchanged": result.unchanged,
            "unknown": list(result.unknown),
            "registrations_flagged": result.registrations_flagged,
            "by_reason": dict(result.by_reason),
            "not_applied": dict(result.not_applied),
            "returned_transactions": [r.as_dict() for r in shown.returned],
            "returned_transactions_truncated": shown.returned_truncated,
            "not_applied_transactions": [
                {
                    "end_to_end_id": n.end_to_end_id,
                    "why": n.why,
                    "status": n.status,
                    "reason": n.reason,
                    "order_id": n.order_id,
                    "owner": n.owner,
                    "account": n.account,
                    "next": n.next_step,
                    "next_text": n.next_text,
                }
                for n in shown.not_applied
            ],
            "not_applied_count": shown.not_applied_total,
            "not_applied_transactions_truncated": shown.not_applied_truncated,
        }
    )
