"""Run every benchmark at one size, on SQLite and (with ``--postgres``) PostgreSQL.

    .venv/bin/python benchmarks/run_all.py --size 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Each script prints its own table of figures; this runner prints them in turn, each under a
heading, then one table with every run's wall time and exit status. For PostgreSQL it
creates a private schema per script (``bench_<name>``) and drops it afterwards. The batch's
figure for PostgreSQL is asked at ten times ``--size`` (its target is 1,000,000 orders), and
so is the bank answer's (``returns.py``: 1,000,000 statuses).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks_path import ROOT
from sqlalchemy import text

from payments.db import make_engine

HERE = ROOT / "benchmarks"


def _schema_url(url: str, name: str) -> str:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}"


def _drop(url: str, name: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


def plan(size: int, postgres: str | None, tmp: Path) -> list[tuple[str, str, list[str]]]:
    """(name, database, arguments) for each run."""
    runs = [
        ("rules", "-", ["rules.py", "--size", str(size)]),
        ("iso20022", "-", ["iso20022.py", "--size", str(size)]),
        (
            "registry",
            "sqlite",
            [
                "registry.py",
                "--size",
                str(size),
                "--database-url",
                f"sqlite:///{tmp / 'registry.db'}",
            ],
        ),
        ("claims", "sqlite", ["claims.py", "--size", str(size)]),
        ("batch", "sqlite", ["batch.py", "--size", str(size)]),
        ("returns", "sqlite", ["returns.py", "--statuses", str(size)]),
    ]
    if postgres:
        runs += [
            (
                "registry",
                "postgresql",
                ["registry.py", "--size", str(size), "--database-url", "@bench_registry"],
            ),
            (
                "claims",
                "postgresql",
                ["claims.py", "--size", str(size), "--skip-sqlite", "--postgres", postgres],
            ),
            (
                "batch",
                "postgresql",
                ["batch.py", "--size", str(size * 10), "--database-url", postgres],
            ),
            (
                "returns",
                "postgresql",
                ["returns.py", "--statuses", str(size * 10), "--database-url", postgres],
            ),
        ]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL")
    opts = parser.parse_args()
    summary = []
    with tempfile.TemporaryDirectory() as tmp_name:
        for name, database, args in plan(opts.size, opts.postgres, Path(tmp_name)):
            schema = None
            if "@bench_registry" in args:
                schema = "bench_registry"
                args = [
                    _schema_url(opts.postgres, schema) if a == "@bench_registry" else a
                    for a in args
                ]
            print(f"\n=== {name} ({database}) ===", flush=True)
            start = time.perf_counter()
            status = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]]).returncode
            summary.append((name, database, time.perf_counter() - start, status))
            if schema:
                _drop(opts.postgres, schema)
    print("\n=== summary ===")
    print(f"{'benchmark':<10} {'database':<11} {'wall s':>8}  status")
    for name, database, seconds, status in summary:
        print(f"{name:<10} {database:<11} {seconds:>8.1f}  {'ok' if status == 0 else status}")
    sys.exit(max(status for *_, status in summary))


if __name__ == "__main__":
    main()
