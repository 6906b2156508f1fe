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
    """``workers`` processes behind one listening socket that this process accepts from,
    handing each new connection to the next worker in turn (round robin, as Node's cluster
    module does; the connection's file descriptor goes over a Unix socket, ``SCM_RIGHTS``).

    Why not let the kernel spread them: ``uvicorn --workers`` shares the socket, and the
    worker that wakes first accepts every connection waiting, so one worker took most of a
    burst of keep-alive clients; one ``SO_REUSEPORT`` socket per worker (the previous way)
    spreads them by a hash of their addresses, so 4 clients came 3 to 1 (or 4 to 0) in
    most runs and 20 sessions 12 to 8 or worse, and every request of the fuller worker
    waited for the others there. In turn, 4 clients are 2 and 2, and 20 are 10 and 10.

    Connections that arrive before a worker has started wait in its Unix socket (or, once
    that is full, are handed to the next). Not a supervisor: when a worker dies the others
    are stopped and the command exits 1, for the service manager to restart; SIGTERM or
    SIGINT stops every worker."""
    import multiprocessing
    import signal

    from cli import handoff

    ctx = multiprocessing.get_context("spawn")
    listening = handoff.listening(host, port)
    channels = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(workers)]
    processes = [ctx.Process(target=_worker, args=(theirs,), daemon=True) for _, theirs in channels]
    for process in processes:
        process.start()
    for ours, theirs in channels:
        theirs.close()
        ours.setblocking(False)
    threading.Thread(
        target=handoff.hand_out, args=(listening, [ours for ours, _ in channels]), daemon=True
    ).start()
    handoff.log.info("serving http://%s:%d with %d workers", host, port, workers)
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


def _worker(channel: socket.socket) -> None:
    import uvicorn

    from cli import handoff

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    handoff.Server(uvicorn.Config("api.asgi:app", **UVICORN), channel).run(sockets=[])
