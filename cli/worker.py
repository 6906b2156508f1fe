"""``payments worker``: decide the claim files sent to ``POST /v1/claim-files``."""

from __future__ import annotations

import os
import socket
import time

import click
from sqlalchemy.exc import OperationalError

import rules
from payments.errors import from_environment
from payments.worker import run_one


@click.command()
@click.option("--once", is_flag=True, help="Take at most one job, then stop.")
@click.option("--poll", default=1.0, show_default=True, type=float, help="Seconds between looks.")
@click.option("--max-jobs", type=int, help="Stop after this many jobs.")
@click.pass_obj
def command(app, once: bool, poll: float, max_jobs: int | None) -> None:
    """Take queued claim-file jobs one at a time until stopped (Ctrl-C) or, with --once,
    after one. Run as many as the machine has cores: on PostgreSQL they never take the same
    job (FOR UPDATE SKIP LOCKED); on SQLite they take turns."""
    engine = app.engine()
    parameters = rules.load_parameters(extra_dirs=app.settings.parameter_dirs)
    name = f"{socket.gethostname()}:{os.getpid()}"
    done = 0
    while True:
        try:
            job = run_one(engine, app.settings, parameters, worker=name, now=app.now)
        except OperationalError as exc:  # the database went away: say so, try again later
            click.echo(f"error {from_environment(exc).code}: will retry", err=True)
            if once:
                raise
            time.sleep(max(poll, 5.0))
            continue
        if job is not None:
            done += 1
            click.echo(f"job {job.id}: {job.file_name} finished")
        if once or (max_jobs is not None and done >= max_jobs):
            return
        if job is None:
            time.sleep(poll)
