"""Benchmark of importing the bank's answer, end to end: a pain.002 of N transaction statuses.

    .venv/bin/python -m benchmarks.returns --statuses 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m benchmarks.returns --statuses 100000          # SQLite

Target (issue 15): 1,000,000 statuses imported in at most 30 s with a peak memory of at
most 100 MB on PostgreSQL, streaming; reported beside the validation time of the same file.

1. **Seed** (not timed) a fresh database with the batch benchmark's set-based seed
   (``benchmarks/batch.py``: registrations, claims, decisions, orders) for a little more
   orders than statuses, run the night with the engine's own ``night.run``, approve and
   release it (the demo agency pays). The engine writes at most 9,999 transactions a file
   (the banks' limit per ``PmtInf``) and a pain.002 answers one file, so the released
   files are then made one message in the database (``batch_files`` / ``file_seq``), for
   one report to answer all of them; the import reads nothing else of them.
2. **Answer** it (not timed) as the bank would, with the demo bank's writer
   (``iso20022.pain002_writer``): group ``PART``, the first N transactions of the file in
   file order, one in ``--reject-every`` (20) ``RJCT`` — alternately ``AC04`` (the
   account: the registration is flagged) and ``AM04`` (the agency's funds: a clerk
   requeues) — the rest ``ACSC``.
3. **Validate** the file alone (``iso20022.validate``) in a child process: time, peak RSS.
4. **Import** it with ``payments returns import FILE`` in a child process (the command a
   clerk runs, text output: the summary, the first 50 returned transactions and a count):
   time and peak RSS (the child's own VmHWM).
5. **Check** that every status was recorded once with its outcome, that the orders'
   states add up (settled + returned = N) and that every AC04 flagged its registration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks import ROOT
from benchmarks import batch as batch_bench  # its seed and PostgreSQL schema helper

NOW = batch_bench.NOW
ANSWERED = NOW + dt.timedelta(hours=8)
TARGETS = {"postgresql": (30.0, 100.0)}  # at 1,000,000 statuses
#: held by the seed: no account 2 %, pending activation 1 %, rejected by the bank 0.5 %
PAID_SHARE = 0.96

#: a child's own peak RSS: VmHWM of its address space (``ru_maxrss`` keeps the high-water
#: mark of the forked parent across exec, which here holds a whole night)
_PEAK = """
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""
_VALIDATE = (
    _PEAK
    + """
import sys, time
import iso20022
started = time.perf_counter()
result = iso20022.validate(sys.argv[1])
seconds = time.perf_counter() - started
print(f"{seconds} {peak_kb()} {int(result.valid)}")
"""
)
_IMPORT = (
    _PEAK
    + """
import sys, time
from cli.main import cli
import os
profile = os.environ.get("BENCH_PROFILE")
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
started = time.perf_counter()
try:
    cli.main(args=sys.argv[1:], prog_name="payments")
    status = 0
except SystemExit as exc:
    status = exc.code or 0
if profile:
    profiler.disable()
    profiler.dump_stats(profile)
sys.stderr.write(f"\\nRESULT {time.perf_counter() - started} {peak_kb()} {status}\\n")
"""
)


def prepare(url: str, workdir: Path, statuses: int) -> tuple[str, int]:
    """Seed, run, approve and release; return the file's message id and its size."""
    from payments import schema
    from payments.batch import approval, night
    from payments.config import Settings
    from payments.db import make_engine

    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        batch_bench.seed(engine, int(statuses / PAID_SHARE) + 1000)
        settings = Settings(
            database_url=url, output_dir=str(workdir / "out"), outbox_dir=str(workdir / "outbox")
        ).with_demo_debtor()
        run = night.run(engine, settings, run_date=batch_bench.RUN_DATE, actor="bench", now=NOW)
        approval.approve(engine, settings, run.batch_id, actor="approver", now=NOW)
        approval.release(engine, settings, run.batch_id, actor="approver", now=NOW)
        if run.order_count < statuses:
            raise SystemExit(f"the batch holds {run.order_count:,} payments, not {statuses:,}")
        # The engine writes at most 9,999 transactions a file (the banks' limit per PmtInf),
        # and a pain.002 answers one file. To answer 1,000,000 in one report, as the issue
        # measures, the released files become one message in the database (not on disk:
        # the import reads only the database and the report).
        with engine.begin() as conn:
            params = {"b": run.batch_id}
            conn.execute(text("UPDATE batch_items SET file_seq = 1 WHERE batch_id = :b"), params)
            conn.execute(text("DELETE FROM batch_files WHERE batch_id = :b AND seq > 1"), params)
            conn.execute(
                text(
                    "UPDATE batch_files SET tx_count = :n, total_ore = :t "
                    "WHERE batch_id = :b AND seq = 1"
                ),
                params | {"n": run.order_count, "t": int(run.total * 100)},
            )
            msg_id = conn.scalar(text("SELECT msg_id FROM batch_files WHERE batch_id = :b"), params)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
                # the seed's writes flushed now, not by a checkpoint during the measurement
                conn.execute(text("CHECKPOINT"))
        return msg_id, run.order_count
    finally:
        engine.dispose()


def write_answer(url: str, path: Path, msg_id: str, statuses: int, reject_every: int) -> int:
    """The bank's pain.002 for the first ``statuses`` transactions; its size in bytes."""
    from iso20022 import pain002_writer
    from payments.db import make_engine

    engine = make_engine(url)

    def answers():
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=10_000).execute(
                text("SELECT end_to_end_id FROM batch_items ORDER BY order_id LIMIT :n"),
                {"n": statuses},
            )
            for i, (e2e,) in enumerate(rows):
                if i % reject_every == 0:
                    reason = "AC04" if (i // reject_every) % 2 == 0 else "AM04"
                    yield pain002_writer.TxAnswer(e2e, "RJCT", reason)
                else:
                    yield pain002_writer.TxAnswer(e2e, "ACSC")

    try:
        pain002_writer.write(
            path, msg_id="BENCH-ANSWER-1", created_at=ANSWERED, original_msg_id=msg_id,
            group_status="PART", transactions=answers(),
        )  # fmt: skip
    finally:
        engine.dispose()
    return path.stat().st_size


def validate_seconds(path: Path) -> tuple[float, float, bool]:
    done = subprocess.run(
        [sys.executable, "-c", _VALIDATE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds, peak_kb, valid = done.stdout.split()
    return float(seconds), int(peak_kb) / 1024, valid == "1"


def import_seconds(url: str, path: Path, profile: str | None = None) -> tuple[float, float, int]:
    """``payments returns import`` in a child: (seconds, peak MB, exit status)."""
    env = os.environ | {"PAYMENTS_DATABASE_URL": url}
    if profile:
        env["BENCH_PROFILE"] = os.path.abspath(profile)
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT, "returns", "import", str(path), "--actor", "bench"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    result = [line for line in done.stderr.splitlines() if line.startswith("RESULT ")]
    if not result:
        raise SystemExit(f"payments returns import failed:\n{done.stderr[-3000:]}")
    seconds, peak_kb, status = result[-1].split()[1:]
    seconds, peak_mb, status = float(seconds), int(peak_kb) / 1024, int(status)
    return seconds, peak_mb, status


def check(url: str, statuses: int, reject_every: int) -> list[tuple[str, bool, str]]:
    from payments.db import make_engine

    engine = make_engine(url)
    rejected = len(range(0, statuses, reject_every))
    ac04 = len(range(0, rejected, 2))
    with engine.connect() as conn:
        items = dict(
            conn.execute(
                text("SELECT outcome, count(*) FROM status_report_items GROUP BY outcome")
            ).all()
        )
        states = dict(
            conn.execute(text("SELECT status, count(*) FROM payment_orders GROUP BY status")).all()
        )
        unflagged = conn.scalar(
            text(
                "SELECT count(*) FROM payment_orders o JOIN batch_items i ON i.order_id = o.id "
                "AND i.attempt = o.attempts JOIN account_registrations r "
                "ON r.id = i.registration_id WHERE o.status = 'returned' "
                "AND o.return_reason = 'AC04' AND r.status <> 'rejected_by_bank'"
            )
        )
    engine.dispose()
    return [
        (
            "every status recorded once",
            sum(items.values()) == statuses,
            f"{sum(items.values()):,} items: {items}",
        ),
        (
            "outcomes as answered",
            items.get("settled") == statuses - rejected and items.get("returned") == rejected,
            f"settled {items.get('settled', 0):,}, returned {items.get('returned', 0):,}",
        ),
        (
            "orders settled / returned",
            states.get("settled") == statuses - rejected and states.get("returned") == rejected,
            str(states),
        ),
        (
            "AC04 flagged its registrations",
            unflagged == 0 and states.get("returned", 0) >= ac04,
            f"{ac04:,} AC04 returns, {unflagged} paid into a registration not flagged",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statuses", type=int, default=100_000, help="default 100,000")
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file in a temporary directory; for "
        "postgresql+psycopg://… a fresh schema is created (and dropped)",
    )
    parser.add_argument("--reject-every", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the files and the schema")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the import into FILE")
    parser.add_argument(
        "--answer",
        type=Path,
        help="a prepared answer (from --prepare-only): import it into --database-url as is",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="prepare the database and the answer, print where they are, import nothing (keeps)",
    )
    args = parser.parse_args(argv)

    from payments.db import make_engine

    workdir = Path(tempfile.mkdtemp(prefix="bench-returns-"))
    admin = schema_name = None
    if args.answer:  # prepared before (--prepare-only): the database as it is
        url = args.database_url
        dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    elif args.database_url and not args.database_url.startswith("sqlite"):
        admin = make_engine(args.database_url)
        schema_name = f"bench_returns_{os.getpid()}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema_name}"))
        url = batch_bench._postgres_schema(
            admin.url.render_as_string(hide_password=False), schema_name
        )
        dialect = "postgresql"
    else:
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        dialect = "sqlite"
    answer = workdir / "pain002-answer.xml"
    try:
        started = time.perf_counter()
        if args.answer:
            answer = args.answer
            size = answer.stat().st_size
        else:
            msg_id, sent = prepare(url, workdir, args.statuses)
            size = write_answer(url, answer, msg_id, args.statuses, args.reject_every)
            print(
                f"prepared in {time.perf_counter() - started:.1f} s (not timed): a released "
                f"file of {sent:,} payments, its answer {size / 2**20:.0f} MB with "
                f"{args.statuses:,} statuses",
                flush=True,
            )
        if args.prepare_only:
            args.keep = True
            print(f"database {url}\nanswer {answer}")
            return 0
        v_seconds, v_peak, valid = validate_seconds(answer)
        seconds, peak, status = import_seconds(url, answer, args.profile)
        checks = check(url, args.statuses, args.reject_every)
        target_s, target_mb = TARGETS.get(dialect, (None, None))
        if args.statuses != 1_000_000:
            target_s = target_mb = None
        rows = [
            ("database", dialect),
            ("statuses", f"{args.statuses:,} (1 in {args.reject_every} RJCT, AC04/AM04)"),
            ("file", f"{size / 2**20:.0f} MB"),
            ("validate only", f"{v_seconds:.2f} s, {v_peak:.0f} MB peak, valid {valid}"),
            (
                "returns import seconds",
                f"{seconds:.2f}" + (f"  (target ≤ {target_s:.0f})" if target_s else ""),
            ),
            (
                "returns import peak RSS",
                f"{peak:.1f} MB" + (f"  (target ≤ {target_mb:.0f})" if target_mb else ""),
            ),
            ("statuses/s", f"{args.statuses / seconds:,.0f}"),
            ("exit status", str(status)),
            ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ]
        rows += [(name, ("OK" if ok else "FAIL") + f"  {detail}") for name, ok, detail in checks]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        if target_s:
            print(
                f"{'targets':<{width}}  time {'OK' if seconds <= target_s else 'OVER'}, "
                f"memory {'OK' if peak <= target_mb else 'OVER'}"
            )
        return 0 if all(ok for _, ok, _ in checks) and status == 0 else 1
    finally:
        if admin is not None:
            if not args.keep:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema_name} CASCADE"))
            admin.dispose()
        if args.keep:
            print(f"kept {workdir}" + (f" and schema {schema_name}" if schema_name else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
