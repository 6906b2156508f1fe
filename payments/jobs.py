"""Claim-file jobs: a file an employer sent over HTTP, queued for a ``payments worker``.

``POST /v1/claim-files`` streams the file to the spool directory (``PAYMENTS_SPOOL_DIR``)
and :func:`create` queues it; any number of ``payments worker`` processes :func:`take` the
oldest queued job. On PostgreSQL the taking ``SELECT … FOR UPDATE SKIP LOCKED`` lets
workers on one database pass each other without waiting and without two ever taking the
same row; on SQLite every transaction holds the database's single write lock
(``BEGIN IMMEDIATE``), which serialises the taking just as well. The spool directory must
be one every worker can read (the same host, or shared storage).

A job a worker took but stopped reporting on for :data:`STALE_AFTER` (the worker died) is
taken again by the next worker, and its file is read from the start: the claims already
stored come out ``unchanged`` (intake is idempotent), so nothing is stored twice.

A job belongs to the employer whose token sent it: :func:`get` of another employer's job
is ``JOB_NOT_FOUND``, as for a job that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from payments.config import Settings
from payments.db import read_scope, session_scope
from payments.errors import NotFound
from payments.models import ClaimJob

STALE_AFTER = dt.timedelta(minutes=10)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
COUNTS = ("records", "created", "unchanged", "corrected", "invalid")


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    employer_cvr: str
    actor: str
    status: str
    spool_name: str
    file_name: str
    size_bytes: int
    received_on: dt.date
    received_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    counts: dict[str, int]
    problems: list[dict[str, Any]]
    error: dict[str, str] | None
    #: the records the file is expected to hold (its lines as received), or None
    expected_records: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The job as its employer sees it (the spool name is the server's business)."""
        return {
            "job_id": self.id,
            "status": self.status,
            "file_name": self.file_name,
            "size_bytes": self.size_bytes,
            "received_on": self.received_on,
            "received_at": self.received_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": self.counts,
            "problems": self.problems,
            "error": self.error,
        }


def _job(row: ClaimJob) -> Job:
    return Job(
        id=row.id,
        employer_cvr=row.employer_cvr,
        actor=row.actor,
        status=row.status,
        spool_name=row.spool_name,
        file_name=row.file_name,
        size_bytes=row.size_bytes,
        received_on=row.received_on,
        received_at=row.received_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts={name: getattr(row, name) for name in COUNTS},
        problems=json.loads(row.problems or "[]"),
        error={"code": row.error_code, "message": row.error_message or ""}
        if row.error_code
        else None,
        expected_records=row.expected_records,
    )


def spool_dir(settings: Settings) -> Path:
    path = Path(settings.spool_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_spool_name() -> str:
    """A fresh file name in the spool (random: it says nothing of who sent what)."""
    return f"{uuid.uuid4().hex}.upload"


def create(
    engine: Engine,
    *,
    employer_cvr: str,
    actor: str,
    spool_name: str,
    file_name: str,
    size_bytes: int,
    sha256: str,
    received_on: dt.date,
    now: dt.datetime,
    expected_records: int | None = None,
) -> Job:
    """Queue a spooled file for the workers (``expected_records``: see :func:`expected`)."""
    with session_scope(engine) as session:
        row = ClaimJob(
            employer_cvr=employer_cvr,
            actor=actor,
            status=QUEUED,
            spool_name=spool_name,
            file_name=file_name[:100],
            size_bytes=size_bytes,
            sha256=sha256,
            received_on=received_on,
            received_at=now,
            records=0,
            created=0,
            unchanged=0,
            corrected=0,
            invalid=0,
            problems="[]",
            expected_records=expected_records,
        )
        session.add(row)
        session.flush()
        return _job(row)


def get(engine: Engine, job_id: int, employer_cvr: str) -> Job:
    """The employer's own job, or ``JOB_NOT_FOUND`` (also for another employer's job)."""
    with read_scope(engine) as session:
        row = session.get(ClaimJob, job_id)
        if row is None or row.employer_cvr != employer_cvr:
            raise NotFound("JOB_NOT_FOUND", f"you have no claim-file job {job_id}", "job_id")
        return _job(row)


def expected(newlines: int, last_byte: bytes, first_byte: bytes, file_name: str) -> int | None:
    """How many records a claim file of ``newlines`` line breaks probably holds: one a line
    for NDJSON, one a line but the header for CSV (a last line without a break counts too);
    None for a JSON document (``[`` first), whose records are not lines. An estimate for a
    progress bar; blank lines make it high, and the bar then ends before it is full."""
    if first_byte in (b"[", b"") or newlines < 0:
        return None
    lines = newlines + (1 if last_byte not in (b"\n", b"") else 0)
    return max(lines - (1 if file_name.lower().endswith(".csv") else 0), 0)


def recent(engine: Engine, employer_cvr: str, *, limit: int = 10) -> list[Job]:
    """The employer's newest jobs, newest first (its own only)."""
    with read_scope(engine) as session:
        rows = session.scalars(
            select(ClaimJob)
            .where(ClaimJob.employer_cvr == employer_cvr)
            .order_by(ClaimJob.id.desc())
            .limit(limit)
        ).all()
        return [_job(row) for row in rows]


def take(engine: Engine, *, worker: str, now: dt.datetime) -> Job | None:
    """The oldest queued job (or one whose worker went silent), now this worker's; None
    when there is none. See the module docstring for how two workers never take one job."""
    with session_scope(engine) as session:
        row = session.scalar(
            select(ClaimJob)
            .where(
                or_(
                    ClaimJob.status == QUEUED,
                    (ClaimJob.status == RUNNING) & (ClaimJob.heartbeat_at < now - STALE_AFTER),
                )
            )
            .order_by(ClaimJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return None
        row.status, row.worker, row.started_at, row.heartbeat_at = RUNNING, worker, now, now
        for name in COUNTS:
            setattr(row, name, 0)
        row.problems = "[]"
        session.flush()
        return _job(row)


def progress(
    engine: Engine, job_id: int, worker: str, counts: dict[str, int], now: dt.datetime
) -> bool:
    """Record how far the worker is; False when the job is no longer this worker's."""
    return _update_own(
        engine, job_id, worker, heartbeat_at=now, **{n: counts.get(n, 0) for n in COUNTS}
    )


def finish(
    engine: Engine,
    job_id: int,
    worker: str,
    counts: dict[str, int],
    problems: list[dict[str, Any]],
    now: dt.datetime,
    error: tuple[str, str] | None = None,
) -> bool:
    """The job is done (or failed with ``error``: code and message); False when it was no
    longer this worker's (another took it over: that one finishes it)."""
    values: dict[str, Any] = {n: counts.get(n, 0) for n in COUNTS}
    values |= {
        "status": FAILED if error else DONE,
        "finished_at": now,
        "heartbeat_at": now,
        "problems": json.dumps(problems, default=str),
    }
    if error:
        values |= {"error_code": error[0][:40], "error_message": error[1][:500]}
    return _update_own(engine, job_id, worker, **values)


def _update_own(engine: Engine, job_id: int, worker: str, **values: Any) -> bool:
    """Set ``values`` on the job while ``worker`` runs it; False when it no longer does (it
    was taken over after a missed heartbeat, and the other worker finishes it)."""
    with session_scope(engine) as session:
        return bool(
            session.execute(
                update(ClaimJob)
                .where(
                    ClaimJob.id == job_id,
                    ClaimJob.worker == worker,
                    ClaimJob.status == RUNNING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
        )
