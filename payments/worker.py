"""The claim-file worker: take a queued job, run its file through the intake, report.

``payments worker`` calls :func:`run_one` in a loop (or once). The file is read as the CLI
reads one (:func:`rules.iter_claim_records`: JSON, NDJSON or CSV, streamed) and submitted
with :func:`payments.claims.intake.submit`, so a file sent over HTTP is decided exactly as
``payments claims submit`` decides it — the claims as received on the day the employer
sent the file (the job's ``received_on``), however late a worker gets to it. Every record
naming another employer is refused (:func:`payments.employer.own_records`).

Progress (the counts so far) is written every :data:`PROGRESS_EVERY` records, which is also
the job's heartbeat; a worker that finds the job is no longer its own stops. The first
:data:`PROBLEMS_KEPT` invalid records are kept on the job with their codes; the counts
cover all. The spooled file is deleted once the job is finished: the claims are stored.

``now`` is the caller's clock (the CLI's): this module reads none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

import rules
from payments import employer, jobs
from payments.claims import intake
from payments.config import Settings
from payments.errors import CODED_ERRORS, from_environment

PROGRESS_EVERY = 2000
PROBLEMS_KEPT = 1000


def run_one(
    engine: Engine,
    settings: Settings,
    parameters: rules.Parameters,
    *,
    worker: str,
    now: Callable[[], dt.datetime],
) -> jobs.Job | None:
    """Take and finish one job; None when the queue is empty. Returns the job as it was
    taken (its counts are on the row: ``jobs.get``)."""
    job = jobs.take(engine, worker=worker, now=now())
    if job is None:
        return None
    path = Path(settings.spool_dir) / job.spool_name
    counts = dict.fromkeys(jobs.COUNTS, 0)
    problems: list[dict] = []
    error: tuple[str, str] | None = None
    try:
        records = rules.iter_claim_records(path, name=job.file_name)
        outcomes = intake.submit(
            engine,
            employer.own_records(records, job.employer_cvr),
            actor=job.actor,
            today=job.received_on,
            now=now(),
            parameters=parameters,
            documents=False,
        )
        for outcome in outcomes:
            view = employer.outcome_view(outcome)
            counts["records"] += 1
            counts[view["outcome"]] += 1
            if view["outcome"] == "invalid" and len(problems) < PROBLEMS_KEPT:
                problems.append(
                    {
                        "position": view["position"],
                        "external_ref": view["external_ref"],
                        "codes": view["codes"],
                    }
                )
            if counts["records"] % PROGRESS_EVERY == 0 and not jobs.progress(
                engine, job.id, worker, counts, now()
            ):
                return job  # another worker took it over (we were silent too long)
    except CODED_ERRORS as exc:  # the file as a whole is unusable (CLAIM_FILE_*)
        error = (exc.code, exc.message)
    except OSError as exc:
        coded = from_environment(exc)
        error = (coded.code, coded.message)
    if jobs.finish(engine, job.id, worker, counts, problems, now(), error):
        path.unlink(missing_ok=True)
    return job
