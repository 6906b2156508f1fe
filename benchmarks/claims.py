"""Claim intake figures (issue 5): submit N mixed claims from NDJSON, then resubmit.

Targets on the project's 2-core machine: 100,000 claims ≤ 60 s on PostgreSQL and ≤ 90 s on
SQLite, peak memory ≤ 250 MB; resubmitting the same file ≤ 30 s and creates nothing.

    python -m benchmarks.claims --size 100000                       # SQLite, a temp file
    python -m benchmarks.claims --size 100000 --postgres URL        # a fresh schema in URL
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from benchmarks._measure import drop_schema, fresh_schema, run_payments
from payments import schema
from payments.db import make_engine, session_scope
from payments.demo import synthetic_claims, synthetic_cpr, synthetic_cvr
from payments.models import Claim, Decision, PaymentOrder

DAY = dt.date(2024, 6, 3)


def write_claims(path: Path, size: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    employers = [synthetic_cvr(rng) for _ in range(max(3, size // 200))]
    used: set[str] = set()
    employees = [synthetic_cpr(rng, used) for _ in range(size + 1)]
    with open(path, "w", encoding="utf-8") as fh:
        for claim in synthetic_claims(rng, size, DAY, employers, employees):
            fh.write(json.dumps(claim) + "\n")


def database(kind: str, url: str | None, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'claims.db'}"
    return fresh_schema(url, "bench_claims")


def counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        out = tuple(
            s.scalar(select(func.count()).select_from(m)) for m in (Claim, Decision, PaymentOrder)
        )
    engine.dispose()
    return out


def bench(kind: str, url: str | None, size: int) -> list[tuple]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        claims = tmp / "claims.ndjson"
        write_claims(claims, size)
        db = database(kind, url, tmp)
        engine = make_engine(db)
        schema.upgrade(engine)
        engine.dispose()
        args = [
            "--database-url",
            db,
            "claims",
            "submit",
            str(claims),
            "--date",
            DAY.isoformat(),
            "--actor",
            "bench",
        ]
        first = run_payments(args)
        after_first = counts(db)
        again = run_payments(args)
        after_again = counts(db)
        rows = [
            (kind, "submit", size, *first[:2], after_first),
            (kind, "resubmit", size, *again[:2], after_again),
        ]
        assert after_again == after_first, "resubmitting created rows"
        if kind == "postgresql":
            drop_schema(url, "bench_claims")
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run on PostgreSQL (a schema bench_claims is created)",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    opts = parser.parse_args()
    rows = []
    if not opts.skip_sqlite:
        rows += bench("sqlite", None, opts.size)
    if opts.postgres:
        rows += bench("postgresql", opts.postgres, opts.size)
    print(
        f"{'database':<11} {'run':<9} {'claims':>8} {'seconds':>8} {'claims/s':>9} "
        f"{'peak MB':>8}  claims/decisions/orders after"
    )
    for kind, run, size, seconds, peak, after in rows:
        print(
            f"{kind:<11} {run:<9} {size:>8,} {seconds:>8.1f} {size / seconds:>9,.0f} "
            f"{peak:>8.0f}  {after}"
        )


if __name__ == "__main__":
    main()
