"""Claim-file jobs as workers share them (issue 17): several workers taking at once never
take one job twice and leave none behind (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
single write lock on SQLite); a job whose worker fell silent is taken again, and the
silent worker can no longer report on it. Both databases."""

from __future__ import annotations

import datetime as dt
import threading

from payments import jobs
from payments.db import make_engine
from tests.support import EMPLOYER, NOW

WORKERS, JOBS = 4, 24


def _queue(engine, n: int) -> list[int]:
    return [
        jobs.create(
            engine, employer_cvr=EMPLOYER, actor="employer", spool_name=f"{i}.upload",
            file_name="upload.ndjson", size_bytes=1, sha256="0" * 64,
            received_on=NOW.date(), now=NOW,
        ).id
        for i in range(n)
    ]  # fmt: skip


def test_workers_taking_at_once_take_every_job_exactly_once(db_url):
    engine = make_engine(db_url)
    queued = _queue(engine, JOBS)
    taken: dict[str, list[int]] = {f"w{n}": [] for n in range(WORKERS)}
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        own = make_engine(db_url)  # a worker process has its own engine and connections
        try:
            start.wait()
            while (job := jobs.take(own, worker=name, now=NOW)) is not None:
                taken[name].append(job.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    every = sorted(i for ids in taken.values() for i in ids)
    assert every == sorted(queued)  # each once: no job twice, none left
    assert jobs.take(engine, worker="late", now=NOW) is None
    engine.dispose()


def test_a_silent_workers_job_is_taken_again_and_no_longer_its_own(engine):
    (job_id,) = _queue(engine, 1)
    assert jobs.take(engine, worker="w1", now=NOW).id == job_id
    assert jobs.take(engine, worker="w2", now=NOW + jobs.STALE_AFTER / 2) is None
    later = NOW + jobs.STALE_AFTER + dt.timedelta(seconds=1)
    assert jobs.take(engine, worker="w2", now=later).id == job_id
    assert not jobs.progress(engine, job_id, "w1", {"records": 5}, later)
    assert not jobs.finish(engine, job_id, "w1", {}, [], later)
    assert jobs.finish(engine, job_id, "w2", {"records": 1, "created": 1}, [], later)
    assert jobs.get(engine, job_id, EMPLOYER).status == jobs.DONE
