"""``payments serve``: the HTTP API (FastAPI under uvicorn) on the configured database.

``--claim-workers N`` also decides the claim files sent over HTTP (the API's
``POST /v1/claim-files``, the employer's upload page) in N threads of this process, as
``payments worker`` processes would; ``make serve`` starts one, so that the demo needs a
single command. In production, run ``payments worker`` processes instead (as many as the
machine has cores, on any host that reads the spool).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import click
from sqlalchemy.exc import OperationalError

import rules
from cli.options import DATE
from payments import worker as jobs_worker

log = logging.getLogger("payments.worker")
LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


def _claim_worker(app, number: int, poll: float = 1.0) -> None:
    """Take and decide queued claim files until the process ends (a daemon thread)."""
    engine = app.engine()
    parameters = rules.load_parameters(extra_dirs=app.settings.parameter_dirs)
    name = f"{socket.gethostname()}:{os.getpid()}:serve-{number}"
    while True:
        try:
            job = jobs_worker.run_one(engine, app.settings, parameters, worker=name, now=app.now)
        except OperationalError:  # the database went away: try again later
            log.warning("claim worker %s: the database is unavailable; will retry", name)
            time.sleep(5.0)
            continue
        if job is None:
            time.sleep(poll)
        else:
            log.info("claim worker %s: job %s finished", name, job.id)


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
@click.option(
    "--claim-workers",
    default=0,
    show_default=True,
    type=click.IntRange(0, 16),
    help="Threads that decide uploaded claim files (else run `payments worker`).",
)
@click.pass_obj
def command(
    app, host: str, port: int, workers: int, on, demo_debtor: bool, claim_workers: int
) -> None:
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
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for number in range(claim_workers):
        threading.Thread(
            target=_claim_worker, args=(app, number), name=f"claim-worker-{number}", daemon=True
        ).start()
    if workers == 1:
        uvicorn.run("api.asgi:app", host=host, port=port, **UVICORN)
    else:
        _serve_workers(host, port, workers)


#: how every worker runs uvicorn
UVICORN = {
    "access_log": False,  # api.edge writes the access log, with CPR-like values masked
    "log_level": "info",
    "proxy_headers": False,
}


def _serve_workers(host: str, port: int, workers: int) -> None:
    """``workers`` processes, each with its own listening socket on ``host:port``
    (``SO_REUSEPORT``): the kernel spreads new connections over the sockets by their
    addresses. ``uvicorn --workers`` shares one socket instead, and asyncio accepts every
    connection waiting on it at each wake-up, so the worker that wakes first takes most of a
    burst of keep-alive clients: in a benchmark of 50 clients one worker did twice the other's
    work, and every request on it waited twice as long.

    Not a supervisor: when a worker dies the others are stopped and the command exits 1, for
    the service manager to restart; SIGTERM or SIGINT stops every worker."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("spawn")
    processes = [
        ctx.Process(target=_worker, args=(host, port), daemon=True) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    stopping = threading.Event()

    def stop(*_args) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping.is_set() and all(p.is_alive() for p in processes):
        stopping.wait(0.5)
    failed = not stopping.is_set()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=20)
    if failed:
        raise SystemExit(1)


def _worker(host: str, port: int) -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    # listening before the app is imported: a connection the kernel gives this socket
    # while the worker starts waits in its queue instead of being refused
    sock.listen(2048)
    config = uvicorn.Config("api.asgi:app", host=host, port=port, backlog=2048, **UVICORN)
    uvicorn.Server(config).run(sockets=[sock])
