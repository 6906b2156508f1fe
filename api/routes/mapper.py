"""An authority's G2P Connect mapper, synchronous: ``/v1/mapper/sync/{resolve,link,update,
unlink}`` (see :mod:`payments.mapper` for what each does and where it departs from the spec).

The message answers in the spec's envelope. ``header.message_id`` is idempotent per caller:
the same id with the same message answers the stored answer again; with another message it
is refused with ``rjct.message_id.duplicate`` (409) and nothing is done. A resolve changes
nothing, so it is answered first and its answer stored with the id in one transaction
(:func:`payments.idempotency.remember`); link, update and unlink claim the id before they
act. A header whose
``action`` is not the endpoint's, or whose ``total_count`` is not the number of items, is
refused (``rjct.action.invalid``, ``rjct.total_count.invalid``; 422). Messages are
authenticated by the bearer token; the spec's message ``signature`` is not verified.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import respond
from api.auth import role
from api.mapper_models import (
    LinkRequest,
    ResolveRequest,
    UnlinkRequest,
    UpdateRequest,
)
from api.mapper_models import Response as MapperResponse
from api.routes import PROBLEM_SCHEMA, problems
from api.state import State, state
from payments import idempotency, mapper
from payments.errors import PaymentsError
from payments.tokens import DETAILS_SCOPE, Principal

router = APIRouter(prefix="/v1/mapper/sync", tags=["authority (G2P Connect mapper)"])
Authority = Annotated[Principal, Depends(role("authority"))]
RECEIVER = "nemkonto"
ENVELOPE_SCHEMA = {"$ref": "#/components/schemas/Response"}


def _both(description: str) -> dict[str, Any]:
    """An answer that is the envelope (a refused message) or a problem (a refused request)."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": ENVELOPE_SCHEMA},
            "application/problem+json": {"schema": PROBLEM_SCHEMA},
        },
    }


ANSWERS = {
    409: _both("rjct.message_id.duplicate, or the message is still being answered"),
    422: _both("rjct.action.invalid, rjct.total_count.invalid, or an invalid request"),
}


def _envelope(
    app: State,
    header,
    action: str,
    items: list[dict[str, Any]] | None,
    transaction_id: str | None,
    *,
    status: str = "succ",
    reason: str | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    answer = None
    if items is not None:
        answer = {
            "transaction_id": transaction_id,
            "correlation_id": uuid.uuid4().hex,
            f"{action}_response": items,
        }
    return {
        "header": {
            "version": "1.0.0",
            "message_id": uuid.uuid4().hex,
            "message_ts": app.clock.now(),
            "action": f"on-{action}",
            "status": status,
            "status_reason_code": reason,
            "status_reason_message": message,
            "total_count": header.total_count,
            "completed_count": len(items or ()),
            "sender_id": RECEIVER,
            "receiver_id": header.sender_id,
        },
        "message": answer,
    }


def _handle(request: Request, action: str, envelope, me: Principal) -> Response:
    app = state(request)
    header, now, today = envelope.header, app.clock.now(), app.clock.today()
    items = [i.model_dump() for i in getattr(envelope.message, f"{action}_request")]
    transaction = envelope.message.transaction_id
    if header.action != action or header.total_count != len(items):
        reason = "rjct.action.invalid" if header.action != action else "rjct.total_count.invalid"
        text = f"the header's action must be {action} and total_count the number of items"
        return respond.json(
            _envelope(
                app, header, action, None, transaction, status="rjct", reason=reason, message=text
            ),  # fmt: skip
            422,
        )
    scope, key = f"mapper:{me.subject}", header.message_id
    digest = idempotency.digest(envelope.model_dump_json().encode())
    if action == "resolve":  # changes nothing: answer first, then store it with the key
        answers = mapper.resolve(
            app.engine, items, details_allowed=DETAILS_SCOPE in me.scopes, on=today, now=now
        )
        response = respond.json(_envelope(app, header, action, answers, transaction))
        try:
            replay = idempotency.remember(
                app.engine, scope, key, digest, now, 200, response.body.decode()
            )
        except PaymentsError as exc:
            return _refused_reuse(app, header, action, transaction, exc)
        return _replayed(replay) if replay is not None else response
    try:
        replay = idempotency.begin(app.engine, scope, key, digest, now)
    except PaymentsError as exc:
        return _refused_reuse(app, header, action, transaction, exc)
    if replay is not None:
        return _replayed(replay)
    try:
        if action == "unlink":
            answers = mapper.unlink(app.engine, items, actor=me.actor, on=today, now=now)
        else:
            answers = mapper.link(
                app.engine, items, update=action == "update", actor=me.actor, on=today, now=now
            )
    except BaseException:
        idempotency.abandon(app.engine, scope, key)
        raise
    response = respond.json(_envelope(app, header, action, answers, transaction))
    idempotency.finish(app.engine, scope, key, 200, response.body.decode())
    return response


def _replayed(replay: idempotency.Replay) -> Response:
    return Response(replay.body.encode(), replay.status_code, media_type="application/json")


def _refused_reuse(app: State, header, action: str, transaction, exc: PaymentsError) -> Response:
    """A message id used before for another message: ``rjct.message_id.duplicate`` (409)."""
    if exc.code != "IDEMPOTENCY_KEY_REUSED":
        raise exc
    return respond.json(
        _envelope(
            app,
            header,
            action,
            None,
            transaction,
            status="rjct",
            reason="rjct.message_id.duplicate",
            message="this message_id was used for another message",
        ),
        409,
    )


@router.post("/resolve", responses=problems() | ANSWERS, response_model=MapperResponse)
def resolve(request: Request, envelope: ResolveRequest, me: Authority) -> Response:
    """Is each id paid into a NemKonto today? yes/no; the masked account with ``details``
    (needs the token scope ``mapper:details``)."""
    return _handle(request, "resolve", envelope, me)


@router.post("/link", responses=problems() | ANSWERS, response_model=MapperResponse)
def link(request: Request, envelope: LinkRequest, me: Authority) -> Response:
    """Assign an account to each id; it waits for the owner's letter code (``pdng``)."""
    return _handle(request, "link", envelope, me)


@router.post("/update", responses=problems() | ANSWERS, response_model=MapperResponse)
def update(request: Request, envelope: UpdateRequest, me: Authority) -> Response:
    """Assign a new account to ids that have one (or a waiting request)."""
    return _handle(request, "update", envelope, me)


@router.post("/unlink", responses=problems() | ANSWERS, response_model=MapperResponse)
def unlink(request: Request, envelope: UnlinkRequest, me: Authority) -> Response:
    """End each id's NemKonto."""
    return _handle(request, "unlink", envelope, me)
