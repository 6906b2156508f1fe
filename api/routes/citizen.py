"""The citizen's own NemKonto, payments and decisions: ``/v1/me/…``.

The CPR is the token's (``cpr`` claim), never a path or a body: ``me`` is the only way to
name it. A body that names a CPR anyway must name the token's (403 otherwise).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from api import respond
from api.auth import role, same_owner
from api.models import (
    AccountIn,
    ActivationIn,
    ActivationResult,
    DecisionsPage,
    MyNemKonto,
    PaymentsPage,
    RegisterResult,
    Registration,
)
from api.routes import problems
from api.state import state
from payments import citizen, order_views
from payments.registry import service
from payments.registry.lifecycle import Account
from payments.tokens import Principal

router = APIRouter(prefix="/v1/me", tags=["citizen"])
Citizen = Annotated[Principal, Depends(role("citizen"))]
After = Annotated[int, Query(ge=0, le=2**62, description="the last id of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]


def _page(items: list[dict], key: str, limit: int) -> dict:
    return {"items": items, "next_after": items[-1][key] if len(items) == limit else None}


@router.get("/nemkonto", response_model=MyNemKonto, responses=problems())
def my_nemkonto(request: Request, me: Citizen) -> Response:
    """The NemKonto the citizen is paid into today (masked), or why there is none."""
    app = state(request)
    found = citizen.overview(app.engine, me.cpr, on=app.clock.today())
    found.pop("waiting")
    return respond.json(found)


@router.get("/nemkonto/history", response_model=list[Registration], responses=problems())
def my_history(request: Request, me: Citizen) -> Response:
    """Every registration of the citizen, oldest first (masked)."""
    app = state(request)
    views = service.history(
        app.engine, "cpr", me.cpr, reveal=False, actor=me.actor, now=app.clock.now()
    )
    return respond.json([citizen.owner_view(v) for v in views])


@router.post(
    "/nemkonto",
    status_code=201,
    response_model=RegisterResult,
    responses={200: {"model": RegisterResult, "description": "already the NemKonto"}}
    | problems(409),
)
def register(
    request: Request,
    body: AccountIn,
    me: Citizen,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Response:
    """Register an account; it waits for the code the citizen gets by letter (201), or is
    already the NemKonto (200). Send an ``Idempotency-Key`` to retry safely."""
    app = state(request)
    same_owner(me, "cpr", body.cpr, "cpr")
    now = app.clock.now()

    def work() -> Response:
        account = Account.parse(
            reg_no=body.reg_no, account_no=body.account_no, iban=body.iban, bic=body.bic
        )
        change = service.register(
            app.engine,
            "cpr",
            me.cpr,
            account,
            channel="citizen",
            actor=me.actor,
            on=app.clock.today(),
            now=now,
            by_owner=True,  # the citizen, authenticated: the letter is the second factor
        )
        return respond.json(
            {
                "outcome": change.outcome,
                "registration_id": change.registration_id,
                "letter_id": change.letter_id,
                "account": account.mask(),
            },
            200 if change.outcome == "unchanged" else 201,
        )

    request_body = orjson.dumps(body.model_dump(), option=orjson.OPT_SORT_KEYS)
    return respond.idempotent(
        app.engine,
        scope=f"citizen-register:{me.subject}",
        key=idempotency_key,
        request=request_body,
        now=now,
        work=work,
    )


@router.post("/nemkonto/activation", response_model=ActivationResult, responses=problems(409, 429))
def activate(request: Request, body: ActivationIn, me: Citizen) -> Response:
    """Activate the waiting registration with the letter's code. A wrong code counts toward
    the lock (five lock it); attempts are also rate limited (429, ``Retry-After``)."""
    app = state(request)
    now = app.clock.now()
    app.limits["activation"].check(me.subject, now)
    today = app.clock.today()
    result = service.activate(
        app.engine, "cpr", me.cpr, body.code, actor=me.actor, on=today, now=now
    )
    return respond.json(
        {"registration_id": result.registration_id, "status": "active", "active_from": today}
    )


@router.get("/payments", response_model=PaymentsPage, responses=problems())
def my_payments(request: Request, me: Citizen, after: After = 0, limit: Limit = 50) -> Response:
    """Payments to the citizen: amount, state, date; for a held one, why and what to do."""
    app = state(request)
    items = order_views.to_payee(app.engine, "cpr", me.cpr, after=after, limit=limit)
    return respond.json(_page(items, "order_id", limit))


@router.get("/decisions", response_model=DecisionsPage, responses=problems())
def my_decisions(request: Request, me: Citizen, after: After = 0, limit: Limit = 20) -> Response:
    """Decisions on claims about the citizen as an employee, each with its explanation."""
    app = state(request)
    items = citizen.decisions(app.engine, me.cpr, after=after, limit=limit)
    return respond.json(_page(items, "sequence", limit))
