"""``/healthz`` (the process answers) and ``/readyz`` (the database answers, at this
release's schema): for the load balancer and the orchestrator, without a token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError

from api import respond
from api.models import Health
from api.problems import coded
from api.routes import problem_answer
from api.state import state
from payments import schema
from payments.errors import CODED_ERRORS, from_environment

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Response:
    return respond.json({"status": "ok"})


@router.get("/readyz", response_model=Health, responses={503: problem_answer(503)})
def readyz(request: Request) -> Response:
    engine = state(request).engine
    try:
        schema.require_current(engine)
        revision = schema.current_revision(engine)
    except CODED_ERRORS as exc:
        return coded(exc)
    except OperationalError as exc:
        return coded(from_environment(exc))
    return respond.json({"status": "ready", "revision": revision})
