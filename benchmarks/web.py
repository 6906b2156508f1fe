"""Web page figures (issue 18), against a real ``payments serve`` on 127.0.0.1.

Targets on the project's 2-core machine:

- page render p50 / p99 of the citizen's overview and of the employer's claim list with
  10,000 claims, at 20 concurrent sessions: p99 ≤ 150 ms;
- the operator's batch page for a night of 1,000,000 orders (PostgreSQL): ≤ 1 s.

Every loop is bounded in count and time and talks to 127.0.0.1 only. Each of the 20
sessions logs in through the test log-in (``GET /login`` for the form's CSRF token, then
``POST /login/test``), as a browser would; the load generator is ``benchmarks/api.py``'s
keep-alive HTTP/1.1 client, each session on its own connection with its own cookie.

The 10,000 claims are the demo's synthetic claims of one employer, decided by the intake
before the server starts; the citizen is one of their employees with a payment. The night
of a million orders is ``benchmarks/batch.py``'s seed and a real ``night.run`` (with
``--release`` also released: its states are then the batch row's counts per state,
:mod:`payments.batch.states`; before revision 0900 a ``GROUP BY`` of its items); the page is
fetched :data:`BATCH_FETCHES` times and its median and slowest time reported — as run
(waiting for approval) and, with ``--release``, once released.

    python -m benchmarks.web [--postgres URL] [--claims 10000] [--requests 100]
    python -m benchmarks.web --postgres URL --batch-size 1000000 [--release] [--skip-pages]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

import rules
from benchmarks import api as bench
from benchmarks import batch as batch_bench
from payments import schema
from payments.batch import approval, night
from payments.claims import intake
from payments.config import Settings
from payments.db import make_engine
from payments.demo import synthetic_claims, synthetic_cpr

DAY = dt.date(2024, 6, 3)
EMPLOYER = "13585628"
SESSIONS = 20
BATCH_FETCHES = 10
CITIZEN_PAGE = "/citizen"
CLAIMS_PAGE = "/employer"


class Record:
    def __init__(self, raw, position):
        self.raw, self.position, self.problem = raw, position, None


def seed_claims(db: str, count: int) -> None:
    """``count`` claims of one employer, decided as received on :data:`DAY` (their paid
    employees are the citizens the test log-in offers)."""
    rng = random.Random(11)
    used: set[str] = set()
    employees = [synthetic_cpr(rng, used) for _ in range(count + 1)]
    claims = synthetic_claims(rng, count, DAY, [EMPLOYER], employees)
    engine = make_engine(db)
    now = dt.datetime.combine(DAY, dt.time(9), tzinfo=dt.UTC)
    outcomes = intake.submit(
        engine,
        (Record(c, f"item {n}") for n, c in enumerate(claims, 1)),
        actor="bench",
        today=DAY,
        now=now,
        parameters=rules.load_parameters(),
        documents=False,
    )
    stored = sum(1 for o in outcomes if o.outcome == "created")
    engine.dispose()
    bench.analyse(db)
    print(f"seeded {stored:,} claims of employer {EMPLOYER}", flush=True)


def log_in(base: str, identity: str) -> str:
    """A session of the test log-in's ``identity`` (its key); returns the Cookie header."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = client.post("/login/test", data={"identity": identity, "csrf_token": token})
        if answer.status_code != 303:
            raise SystemExit(f"log-in as {identity} failed: {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def identity_of(base: str, kind: str) -> str:
    """The test log-in's key for the first identity of ``kind`` (``employer``, …)."""
    page = httpx.get(f"{base}/login", timeout=30).text
    keys = re.findall(r'name="identity" type="radio" value="([^"]+)"', page)
    found = [k for k in keys if k.startswith(kind)]
    if not found:
        raise SystemExit(f"the test log-in offers no {kind}: {keys}")
    return found[0]


def bench_page(server, path: str, identity: str, each: int) -> dict:
    cookies = [log_in(server.base, identity) for _ in range(SESSIONS)]
    per_client = [[bench._get(path, {"Cookie": c})] * each for c in cookies]
    bench.load(server.port, [r[:5] for r in per_client])  # warm every session and connection
    seconds, latencies, errors = bench.load(server.port, per_client)
    if errors:
        print(f"  {errors} errors; first answers: {bench.ERRORS}", flush=True)
    return {
        "requests": len(latencies),
        "per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": bench.p99(latencies),
        "errors": errors,
    }


def _fetch_batch_page(server, batch_id: int) -> dict:
    cookie = log_in(server.base, "operator-1")
    times = []
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for n in range(BATCH_FETCHES + 1):
            started = time.perf_counter()
            page = client.get(f"/operator/batches/{batch_id}", headers={"Cookie": cookie})
            elapsed = time.perf_counter() - started
            if page.status_code != 200:
                raise SystemExit(f"the batch page answered {page.status_code}")
            if n:  # the first fetch warms the connection pool and the caches
                times.append(elapsed)
        later = client.get(f"/operator/batches/{batch_id}?after=500000", headers={"Cookie": cookie})
    return {
        "median_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
        "bytes": len(page.content),
        "later_page": later.status_code,
    }


def bench_batch_page(url: str, tmp: Path, size: int, release: bool) -> list[dict]:
    """A night of ``size`` orders (batch.py's seed, a real run), then its page: as run
    (waiting for approval), and with ``release`` also once released (its states then are
    an aggregate of its items)."""
    db = bench.database(url, tmp, "bench_web_batch")
    engine = make_engine(db)
    schema.upgrade(engine)
    started = time.perf_counter()
    batch_bench.seed(engine, size)
    seeded = time.perf_counter() - started
    settings = Settings(
        database_url=db, output_dir=str(tmp / "out"), outbox_dir=str(tmp / "outbox")
    ).with_demo_debtor()
    started = time.perf_counter()
    run = night.run(
        engine, settings, run_date=batch_bench.RUN_DATE, actor="operator-1", now=batch_bench.NOW
    )
    ran = time.perf_counter() - started
    bench.analyse(db)
    print(
        f"night of {run.order_count:,} orders: seeded in {seeded:.0f} s, run in {ran:.0f} s",
        flush=True,
    )
    figures = []
    server = bench.Server(db, tmp, 1)
    try:
        figures.append(_fetch_batch_page(server, run.batch_id) | {"state": "generated"})
        if release:
            approval.approve(
                engine, settings, run.batch_id, actor="operator-2", now=batch_bench.NOW
            )
            approval.release(
                engine, settings, run.batch_id, actor="operator-2", now=batch_bench.NOW
            )
            bench.analyse(db)
            figures.append(_fetch_batch_page(server, run.batch_id) | {"state": "released"})
    finally:
        server.stop()
        engine.dispose()
        bench.drop(url, "bench_web_batch")
    for figure in figures:
        figure["orders"] = run.order_count
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (else SQLite)")
    parser.add_argument("--workers", type=int, default=2, help="payments serve --workers")
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100, help="per session, of 20")
    parser.add_argument("--batch-size", type=int, default=1_000_000)
    parser.add_argument("--release", action="store_true", help="release the night first")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    opts = parser.parse_args()
    kind = "postgresql" if opts.postgres else "sqlite"
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if not opts.skip_pages:
            db = bench.database(opts.postgres, tmp, "bench_web")
            engine = make_engine(db)
            schema.upgrade(engine)
            engine.dispose()
            seed_claims(db, opts.claims)
            server = bench.Server(db, tmp, opts.workers)
            try:
                employer = identity_of(server.base, "employer")
                shown = bench_page(server, CLAIMS_PAGE, employer, opts.requests)
                print(
                    f"{kind}, {opts.workers} workers: GET {CLAIMS_PAGE} ({opts.claims:,} "
                    f"claims), {SESSIONS} sessions: {shown['per_s']:,.0f} pages/s, p50 "
                    f"{shown['p50_ms']:.1f} ms, p99 {shown['p99_ms']:.1f} ms "
                    f"(errors {shown['errors']})",
                    flush=True,
                )
                who = identity_of(server.base, "citizen")
                shown = bench_page(server, CITIZEN_PAGE, who, opts.requests)
                print(
                    f"{kind}, {opts.workers} workers: GET {CITIZEN_PAGE}, {SESSIONS} sessions: "
                    f"{shown['per_s']:,.0f} pages/s, p50 {shown['p50_ms']:.1f} ms, p99 "
                    f"{shown['p99_ms']:.1f} ms (errors {shown['errors']})",
                    flush=True,
                )
            finally:
                server.stop()
                bench.drop(opts.postgres, "bench_web")
        if not opts.skip_batch:
            if not opts.postgres:
                print("the batch page figure needs --postgres; skipped", flush=True)
            else:
                for page in bench_batch_page(opts.postgres, tmp, opts.batch_size, opts.release):
                    print(
                        f"postgresql: GET /operator/batches/N for a night of {page['orders']:,} "
                        f"orders ({page['state']}): median {page['median_ms']:.0f} ms, slowest "
                        f"{page['max_ms']:.0f} ms of {BATCH_FETCHES} ({page['bytes']:,} bytes; "
                        f"a later page {page['later_page']})",
                        flush=True,
                    )
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
