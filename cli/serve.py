"""``payments serve``: the HTTP API (FastAPI under uvicorn) on the configured database."""

from __future__ import annotations

import logging
import os

import click

from cli.options import DATE


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option(
    "--date",
    "on",
    type=DATE,
    help="Serve as if today were this business date (tests, demos); default: today.",
)
@click.option(
    "--demo-debtor",
    is_flag=True,
    help="Batches run over the API pay from the demo's fictitious agency (make serve).",
)
@click.pass_obj
def command(app, host: str, port: int, workers: int, on, demo_debtor: bool) -> None:
    """Serve the API at http://HOST:PORT (OpenAPI at /openapi.json, docs at /docs).

    The database must be at this release's schema (run `payments db upgrade` first);
    /readyz says whether it is. With several workers each process has its own database
    pool; put several hosts behind a load balancer on one PostgreSQL to scale out.

    ``POST /v1/batches`` pays from the configured agency (PAYMENTS_DEBTOR_*); without one it
    answers 503 CONFIG_DEBTOR_MISSING, unless the server was started for the demo with
    --demo-debtor.
    """
    import uvicorn

    app.engine()  # refuse to start on a missing or outdated database, as every command does
    if app.overrides.get("database_url"):
        os.environ["PAYMENTS_DATABASE_URL"] = app.overrides["database_url"]
    if on is not None:
        os.environ["PAYMENTS_SERVE_DATE"] = on.isoformat()
    if demo_debtor:
        app.settings.with_demo_debtor()  # refused here, before serving, if one is configured
        os.environ["PAYMENTS_SERVE_DEMO_DEBTOR"] = "1"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        "api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # api.edge writes the access log, with CPR-like values masked
        log_level="info",
        proxy_headers=False,
    )
