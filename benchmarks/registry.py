"""Figures for the NemKonto registry: bank-file import and re-import, a single lookup.

    .venv/bin/python -m benchmarks.registry --database-url sqlite:////tmp/bench.db
    psql -c 'CREATE SCHEMA bench' && .venv/bin/python -m benchmarks.registry \\
        --database-url 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench'

Use an empty database (or ``--reset``, which deletes the registry tables' rows). Steps:

1. import a bank CSV of ``--size`` register rows (10 % IBAN, the rest Danish accounts),
   timed end to end (file read, validation, staging, SQL, commit), then the same file again
   (the idempotent re-import);
2. seed the registry up to ``--owners`` owners (set-based, not timed; 5 % of them also get an
   older, ended registration) and refresh planner statistics, as autovacuum would;
3. the single lookup behind ``payments accounts show`` (``as_of`` + the pending check), timed
   as database round-trip time over 300 random owners (median and 95th percentile).

(The bulk resolver ``resolve_many`` and its step went in issue 14: the nightly batch resolves
its orders inside its own ``INSERT … SELECT``, measured by ``benchmarks.batch``.)

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from payments import schema
from payments.db import drop_temp_table, load_temp_table, make_engine, session_scope
from payments.registry import bank_file, lifecycle

NOW = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
ON = dt.date(2024, 5, 1)
HEADER = "owner_kind,owner_number,reg_no,account_no,iban,bic,action,effective_date\n"
IBAN = "DK5000400440116243"


def cpr(i: int) -> str:
    """A distinct, well-formed CPR number for every i below 336 million."""
    return f"{i % 28 + 1:02d}{i // 28 % 12 + 1:02d}{i // 336 % 100:02d}{i // 33600:04d}"


def write_bank_file(path: Path, size: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(size):
            if i % 10 == 0:
                out.write(f"cpr,{cpr(i)},,,{IBAN},DABADKKK,register,2024-01-01\n")
            else:
                out.write(f"cpr,{cpr(i)},{1000 + i % 9000},{i + 1},,,register,2024-01-01\n")


def seed(engine, start: int, owners: int) -> None:
    """Registrations for owners start..owners-1 (and an ended one for every 20th)."""
    from sqlalchemy import Column, Date, Integer, MetaData, String, Table

    stage = Table(
        "bench_seed",
        MetaData(),
        Column("owner_number", String(10)),
        Column("account_no", String(10)),
        Column("active_from", Date),
        Column("ended_on", Date),
        Column("status", String(10)),
        Column("n", Integer),
        prefixes=["TEMPORARY"],
    )
    rows = []
    for i in range(start, owners):
        if i % 20 == 0:
            rows.append(
                (cpr(i), f"{i + 7:010d}", dt.date(2020, 1, 1), dt.date(2024, 1, 1), "ended", i)
            )
        rows.append((cpr(i), f"{i + 1:010d}", dt.date(2024, 1, 1), None, "active", i))
    with session_scope(engine) as s:
        load_temp_table(s, stage, rows)
        s.execute(
            text(
                "INSERT INTO account_registrations (owner_kind, owner_number, reg_no, account_no,"
                " channel, status, actor, registered_at, active_from, ended_on, end_reason,"
                " activation_attempts) SELECT 'cpr', owner_number, '1234', account_no, 'bank',"
                " status, 'seed', :now, active_from, ended_on,"
                " CASE WHEN ended_on IS NULL THEN NULL ELSE 'replaced' END, 0"
                " FROM bench_seed ORDER BY n"
            ),
            {"now": NOW if engine.dialect.name == "postgresql" else NOW.replace(tzinfo=None)},
        )
        drop_temp_table(s, stage)
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "ANALYZE account_registrations" if engine.dialect.name == "postgresql" else "ANALYZE"
        )
        conn.commit()


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<58}{elapsed:9.2f} s")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--size", type=int, default=100_000, help="bank file rows")
    parser.add_argument(
        "--owners", type=int, default=None, help="owners in the registry (default 10 x --size)"
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete every registration and letter first"
    )
    args = parser.parse_args()
    owners = args.owners or 10 * args.size
    engine = make_engine(args.database_url)
    schema.upgrade(engine)
    with engine.begin() as conn:
        if args.reset:
            conn.exec_driver_sql("DELETE FROM activation_letters")
            conn.exec_driver_sql("DELETE FROM account_registrations")
        existing = conn.exec_driver_sql("SELECT COUNT(*) FROM account_registrations").scalar()
    if existing:
        sys.exit(f"account_registrations holds {existing} rows; use an empty database or --reset")
    print(f"database: {engine.dialect.name}; bank file {args.size:,} rows; {owners:,} owners")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.csv"
        write_bank_file(path, args.size)

        def run_import():
            with session_scope(engine) as s:
                return bank_file.import_file(s, path, actor="bench", now=NOW)

        result, _ = timed(f"import {args.size:,} bank rows", run_import)
        assert result.registered == args.size and not result.rejects, result
        again, _ = timed("re-import the same file (no-op)", run_import)
        assert again.unchanged == args.size and again.changed == 0
        parse_start = time.perf_counter()
        bank_file.parse(path.read_bytes())
        print(
            f"{'  of which reading + validating the CSV in Python':<58}"
            f"{time.perf_counter() - parse_start:9.2f} s"
        )

    if owners > args.size:
        seed(engine, args.size, owners)
    sample = random.Random(2).sample(range(owners), 300)
    times = []
    with session_scope(engine) as s:
        for i in sample:
            start = time.perf_counter()
            row = lifecycle.as_of(s, "cpr", cpr(i), ON)
            if row is None:
                lifecycle.has_pending(s, "cpr", cpr(i))
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"{'single lookup (accounts show): median / p95':<58}"
        f"{statistics.median(times):6.2f} / {times[int(len(times) * 0.95)]:.2f} ms"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
