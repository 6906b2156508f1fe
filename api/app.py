"""``create_app(settings, clock=…)``: the FastAPI application ``payments serve`` runs.

The app holds one database engine, one token verifier and one clock, made when it is
created; routes are grouped by audience in :mod:`api.routes` (citizen, employer, bank,
mapper, operator, auditor, health), and the web pages for people are in :mod:`api.web`
(log-in, citizen, employer, operator; not in the OpenAPI document). OpenAPI 3.1 is
served at ``/openapi.json`` and the interactive docs at ``/docs``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import ORJSONResponse

import rules
from api import problems
from api.edge import Edge
from api.models import Problem
from api.ratelimit import Limiter
from api.routes import auditor, bank, citizen, employer, health, mapper, operator
from api.state import Clock, State
from api.web import install as install_pages
from payments.config import Settings
from payments.db import make_engine
from payments.tokens import Verifier

DESCRIPTION = """The benefit payment engine as a service: NemKonto (the payout account of every
CPR and CVR number) and NemRefusion (employers' reimbursement claims).

Every endpoint but `/healthz`, `/readyz` and the docs needs a bearer token. Amounts are
decimal strings (`"4694.93"`), dates ISO 8601. Errors are RFC 9457 problems
(`application/problem+json`) with a stable `code`. No CPR number is ever put in a URL.
"""


#: the requests one process works on at once (its thread pool), and as many database
#: connections, kept open. Python runs one thread at a time, so more threads than it takes
#: to overlap the database's round trips only take turns at the interpreter's lock: on the
#: 2-core machine, 2 workers and 20 sessions of the employer's claim list, 4 threads a
#: worker gave 198-241 pages/s and p99 122-139 ms, 8 gave 180-208 and 183-191 ms, 16 gave
#: 176-197 and 204-217 ms (the server's CPU per page 7.1-8.7, 8.0-9.1, 7.8-9.6 ms), and
#: GET /v1/me/nemkonto with 50 clients 915 req/s p99 80 ms against 873 and 100 ms with 16.
#: The price: a long request (a batch run, a bank answer imported over HTTP) holds one of
#: the four while it lasts. A pool smaller than the thread pool opened and closed a
#: PostgreSQL connection for nearly every request beyond it (1,868 connections in a
#: 40-second benchmark), hence the same number.
CONCURRENCY = 4


@contextlib.asynccontextmanager
async def _lifespan(_app: FastAPI):
    anyio.to_thread.current_default_thread_limiter().total_tokens = CONCURRENCY
    # What start-up made (modules, the app, the parameters, templates) lives as long as the
    # process: frozen out of the collector, a full collection no longer walks it, and its
    # pauses — every request in flight waits for them — stay short.
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings, *, clock: Clock | None = None, engine=None) -> FastAPI:
    """The service for ``settings``; ``clock`` fixes time for tests (default: the real one)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="Benefit payment engine",
        version="1",
        description=DESCRIPTION,
        default_response_class=ORJSONResponse,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.payments = State(
        settings=settings,
        engine=engine
        or make_engine(
            settings.database_url, pool_recycle=1800, pool_size=CONCURRENCY, max_overflow=4
        ),
        verifier=Verifier(settings),
        clock=clock or Clock(),
        parameters=rules.load_parameters(extra_dirs=settings.parameter_dirs),
        limits={"activation": Limiter(5, dt.timedelta(minutes=15))},
    )
    problems.install(app)
    for module in (health, citizen, employer, bank, mapper, operator, auditor):
        app.include_router(module.router)
    install_pages(app)  # the web pages (api/web), on the same application layer
    app.add_middleware(Edge)
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    """The generated document, with the problem schema every route refers to."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        app.openapi_schema = document
    return app.openapi_schema
