"""Run every benchmark at one size, on SQLite and (with ``--postgres``) PostgreSQL.

    .venv/bin/python -m benchmarks.run_all --size 100000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Each script prints its own table of figures; this runner prints them in turn, each under a
heading, then one table with every run's wall time and exit status. For PostgreSQL it
creates a private schema per script (``bench_<name>``) and drops it afterwards. The batch's
figure for PostgreSQL is asked at ten times ``--size`` (its target is 1,000,000 orders), and
so is the bank answer's (``returns``: 1,000,000 statuses). Each script runs as
``python -m benchmarks.<name>`` in the runner's own working directory (the repository
root), as a person would run it alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._measure import drop_schema, fresh_schema


def plan(size: int, postgres: str | None, tmp: Path) -> list[tuple[str, str, list[str]]]:
    """(module name, database, arguments) for each run."""
    runs = [
        ("rules", "-", ["--size", str(size)]),
        ("iso20022", "-", ["--size", str(size)]),
        (
            "registry",
            "sqlite",
            [
                "--size",
                str(size),
                "--database-url",
                f"sqlite:///{tmp / 'registry.db'}",
            ],
        ),
        ("claims", "sqlite", ["--size", str(size)]),
        ("batch", "sqlite", ["--size", str(size)]),
        ("returns", "sqlite", ["--statuses", str(size)]),
    ]
    if postgres:
        runs += [
            (
                "registry",
                "postgresql",
                ["--size", str(size), "--database-url", "@bench_registry"],
            ),
            (
                "claims",
                "postgresql",
                ["--size", str(size), "--skip-sqlite", "--postgres", postgres],
            ),
            (
                "batch",
                "postgresql",
                ["--size", str(size * 10), "--database-url", postgres],
            ),
            (
                "returns",
                "postgresql",
                ["--statuses", str(size * 10), "--database-url", postgres],
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
                    fresh_schema(opts.postgres, schema) if a == "@bench_registry" else a
                    for a in args
                ]
            print(f"\n=== {name} ({database}) ===", flush=True)
            start = time.perf_counter()
            status = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args]).returncode
            summary.append((name, database, time.perf_counter() - start, status))
            if schema:
                drop_schema(opts.postgres, schema)
    print("\n=== summary ===")
    print(f"{'benchmark':<10} {'database':<11} {'wall s':>8}  status")
    for name, database, seconds, status in summary:
        print(f"{name:<10} {database:<11} {seconds:>8.1f}  {'ok' if status == 0 else status}")
    sys.exit(max(status for *_, status in summary))


if __name__ == "__main__":
    main()
