"""A bank registers and closes its customers' NemKonto: the bank file's rows as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api import respond
from api.auth import role
from api.models import BankResult, BankRowsIn
from api.routes import problems
from api.state import state
from payments import bank_rows
from payments.tokens import Principal

router = APIRouter(tags=["bank"])
Bank = Annotated[Principal, Depends(role("bank"))]


@router.post("/v1/bank/registrations", response_model=BankResult, responses=problems())
def registrations(request: Request, body: BankRowsIn, me: Bank) -> Response:
    """Apply the rows in one transaction, as ``payments accounts import`` applies the file:
    each row is applied whole or rejected with its code; the same rows again change nothing."""
    app = state(request)
    rows = [r.model_dump() for r in body.rows]
    result, outcomes = bank_rows.apply(app.engine, rows, actor=me.actor, now=app.clock.now())
    return respond.json(
        {
            "rows": result.rows,
            "registered": result.registered,
            "closed": result.closed,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "outcomes": outcomes,
        }
    )
