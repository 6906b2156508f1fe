"""The auditor reads the hash-chained audit log and has it verified."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api import respond
from api.auth import role
from api.models import AuditPage, Verification
from api.routes import problems
from api.state import state
from payments import audit_feed
from payments.tokens import Principal

router = APIRouter(prefix="/v1/audit", tags=["auditor"])
Auditor = Annotated[Principal, Depends(role("auditor"))]


@router.get("", response_model=AuditPage, responses=problems())
def events(
    request: Request,
    me: Auditor,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Events after ``after``, oldest first (masked: the log holds no full CPR)."""
    items = audit_feed.events(state(request).engine, after=after, limit=limit)
    return respond.json(
        {"items": items, "next_after": items[-1]["id"] if len(items) == limit else None}
    )


@router.get("/verification", response_model=Verification, responses=problems())
def verification(request: Request, me: Auditor) -> Response:
    """Walk the whole chain; ``intact`` false names the first broken event."""
    return respond.json(audit_feed.verify(state(request).engine))
