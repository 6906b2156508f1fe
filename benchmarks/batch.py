"""Benchmark of the nightly batch, end to end: resolution, holds, files, state changes.

    .venv/bin/python benchmarks/batch.py --size 100000
    .venv/bin/python benchmarks/batch.py --size 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Targets (issue 7): 1,000,000 orders in at most 30 s on PostgreSQL with a peak memory of at
most 200 MB; 100,000 orders in at most 10 s on SQLite.

1. **Seed** (not timed) a fresh database with set-based SQL: registrations for 80 % as many
   payees as there are orders (2 % of payees have no account, 1 % only one pending
   activation, 0.5 % an account the bank rejected, 10 % an ended older account, 0.1 % an
   IBAN account), then one claim, one approved decision and one ``pending`` payment order
   each, all due on or before the run date; one order in 100,000 is above the review
   amount. SQLite: a fresh file in a temporary directory; PostgreSQL: a fresh schema in the
   given database (dropped at the end unless ``--keep``), migrated with the app's migrations.
2. **Run** ``payments.batch.night.run`` in a child process, so that its peak RSS is the batch's
   own; the child times the call and reports ``ru_maxrss``.
3. **Check** that the money is conserved: the files' ``CtrlSum`` add up to the orders in the
   batch (``pending`` with an item of this batch for their next attempt: count and sum),
   every transaction in the files adds up to its header, the file hashes match, and every
   order is either in the batch or held with its reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from benchmarks_path import ROOT  # noqa: F401 - puts the repository first on sys.path
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

RUN_DATE = dt.date(2024, 5, 6)  # a Monday: executes Tuesday 2024-05-07
NOW = dt.datetime(2024, 5, 6, 22, 0, tzinfo=dt.UTC)
CPR_DAYS = 20_000  # birth dates from 1940-01-01 on (about 55 years)
REVIEW_ORE = 150_000_000  # 1.5 million kr: above the default review amount of 1 million kr
TARGETS = {("postgresql", 1_000_000): (30.0, 200.0), ("sqlite", 100_000): (10.0, None)}


# -- seeding ------------------------------------------------------------------------------


class _Sql:
    """The few expressions whose spelling differs between PostgreSQL and SQLite."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def series(self, n: int) -> str:
        """A row source ``s`` with one integer column ``p`` from 0 to n - 1."""
        if self.pg:
            return f"generate_series(0, {n - 1}) AS s(p)"
        return (
            f"(WITH RECURSIVE c(p) AS (SELECT 0 UNION ALL SELECT p + 1 FROM c "
            f"WHERE p < {n - 1}) SELECT p FROM c) AS s"
        )

    def pad(self, expr: str, width: int) -> str:
        if self.pg:
            return f"lpad(({expr})::text, {width}, '0')"
        return f"substr('{'0' * width}' || ({expr}), -{width})"

    def cpr(self, p: str) -> str:
        """A valid-looking CPR number for payee ``p``: DDMMYY of a real date + 4 digits."""
        seq = self.pad(f"({p}) / {CPR_DAYS}", 4)
        if self.pg:
            return f"to_char(DATE '1940-01-01' + ({p}) % {CPR_DAYS}, 'DDMMYY') || {seq}"
        day = f"date('1940-01-01', '+' || (({p}) % {CPR_DAYS}) || ' days')"
        return f"strftime('%d%m', {day}) || substr(strftime('%Y', {day}), 3, 2) || {seq}"

    def date(self, value: dt.date, minus_days: str = "0") -> str:
        if self.pg:
            return f"(DATE '{value.isoformat()}' - ({minus_days})::int)"
        return f"date('{value.isoformat()}', '-' || ({minus_days}) || ' days')"

    def ts(self, value: dt.datetime) -> str:
        if self.pg:
            return f"TIMESTAMPTZ '{value.isoformat()}'"
        # what payments.db.UtcDateTime stores on SQLite: naive UTC with microseconds
        return f"'{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S.%f}'"

    def false(self) -> str:
        return "false" if self.pg else "0"


def _iban(reg_no: str, account_no: str) -> str:
    bban = reg_no + account_no.zfill(10)
    check = 98 - int(bban + "132000") % 97  # "DK" is 13 20, then "00"
    return f"DK{check:02d}{bban}"


def seed(engine: Engine, size: int) -> dict[str, int]:
    """Fill an empty, migrated database; return what was inserted."""
    q = _Sql(engine.dialect.name)
    payees = max(1, size * 4 // 5)
    reg_cols = (
        "owner_kind, owner_number, reg_no, account_no, iban, bic, channel, status, "
        "actor, registered_at, active_from, ended_on, end_reason, "
        "activation_code_hash, activation_attempts, rejected_reason"
    )
    registered = q.ts(dt.datetime(2023, 5, 30, 10, 0, tzinfo=dt.UTC))
    no_account = "s.p % 50 = 0"
    pending = "s.p % 100 = 1"
    iban = "s.p % 1000 = 3"
    statements = [
        # the current account (domestic) of most payees; 0.5 % rejected by the bank
        f"""INSERT INTO account_registrations ({reg_cols})
        SELECT 'cpr', {q.cpr("s.p")}, {q.pad("1000 + s.p % 9000", 4)}, {q.pad("s.p", 10)},
               NULL, NULL, 'bank',
               CASE WHEN s.p % 200 = 9 THEN 'rejected_by_bank' ELSE 'active' END,
               'bench', {registered}, DATE '2023-06-01', NULL, NULL, NULL, 0,
               CASE WHEN s.p % 200 = 9 THEN 'AC04' END
        FROM {q.series(payees)}
        WHERE NOT ({no_account} OR {pending} OR {iban})""",
        # an older account, ended when the current one started
        f"""INSERT INTO account_registrations ({reg_cols})
        SELECT 'cpr', {q.cpr("s.p")}, '9999', {q.pad("s.p", 10)}, NULL, NULL, 'citizen',
               'ended', 'bench', {registered}, DATE '2020-01-01', DATE '2023-06-01',
               'replaced', NULL, 0, NULL
        FROM {q.series(payees)}
        WHERE s.p % 10 = 5""",
        # a registration waiting for its activation letter, and nothing else
        f"""INSERT INTO account_registrations ({reg_cols})
        SELECT 'cpr', {q.cpr("s.p")}, '1234', {q.pad("s.p", 10)}, NULL, NULL, 'citizen',
               'pending_activation', 'bench', {registered}, DATE '2024-05-01', NULL, NULL,
               '{"0" * 64}', 0, NULL
        FROM {q.series(payees)}
        WHERE {pending}""",
    ]
    if not q.pg:  # DATE '…' literals are PostgreSQL; SQLite stores dates as ISO text
        statements = [s.replace("DATE '", "'") for s in statements]
    claims = f"""INSERT INTO claims (employer_cvr, external_ref, employee_cpr, kind, first_day,
               last_day, raw, raw_sha256, version, received_at, received_on, actor)
        SELECT '3' || {q.pad("s.p % 997", 7)}, 'BENCH-' || s.p, {q.cpr(f"s.p % {payees}")},
               CASE WHEN s.p % 10 = 0 THEN 'maternity' ELSE 'sickness' END,
               {q.date(RUN_DATE, "40 + s.p % 30")}, {q.date(RUN_DATE, "31 + s.p % 30")},
               '{{}}', '{"0" * 64}', 1, {q.ts(NOW)}, {q.date(RUN_DATE)}, 'bench'
        FROM {q.series(size)}"""
    decisions = f"""INSERT INTO decisions (claim_id, version, status, amount_ore, payee_kind,
               payee_number, codes, granted_days, parameter_versions, document, decided_on,
               created_at, superseded)
        SELECT c.id, 1, 'approved',
               CASE WHEN c.id % 100000 = 77 THEN {REVIEW_ORE}
                    ELSE 10000 + (c.id * 7919) % 2990000 END,
               'cpr', c.employee_cpr, '', '', '{{}}', '{{}}', {q.date(RUN_DATE, "c.id % 14")},
               {q.ts(NOW)}, {q.false()}
        FROM claims c"""
    orders = f"""INSERT INTO payment_orders (decision_id, claim_id, payee_kind, payee_number,
               amount_ore, remittance, end_to_end_id, due_date, status, attempts, created_at)
        SELECT d.id, d.claim_id, d.payee_kind, d.payee_number, d.amount_ore,
               'Refusion sygedagpenge BENCH-' || (d.claim_id - 1),
               'BENCH' || {q.pad("d.id", 12)}, d.decided_on, 'pending', 0, {q.ts(NOW)}
        FROM decisions d"""
    ibans = []
    for p in range(3, payees, 1000):
        reg_no, account_no = f"{1000 + p % 9000:04d}", f"{p:010d}"
        ibans.append(
            {
                "cpr": _cpr(p),
                "iban": _iban(reg_no, account_no),
                "bic": "DABADKKK" if p % 2000 == 3 else None,
                "registered": NOW if q.pg else f"{NOW:%Y-%m-%d %H:%M:%S.%f}",
            }
        )
    with engine.begin() as conn:
        if conn.scalar(text("SELECT count(*) FROM payment_orders")):
            raise SystemExit("the benchmark needs an empty database")
        if q.pg:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        for statement in [*statements, claims, decisions, orders]:
            conn.execute(text(statement))
        if ibans:
            conn.execute(
                text(
                    f"INSERT INTO account_registrations ({reg_cols}) VALUES ('cpr', :cpr, NULL, "
                    "NULL, :iban, :bic, 'bank', 'active', 'bench', :registered, "
                    "'2023-06-01', NULL, NULL, NULL, 0, NULL)"
                ),
                ibans,
            )
        counts = {
            table: conn.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("account_registrations", "claims", "decisions", "payment_orders")
        }
    # fresh statistics, as autovacuum would have them by the night (PostgreSQL); SQLite
    # gets none, as a file created by the application would not have them either
    if q.pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return counts


def _cpr(p: int) -> str:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=p % CPR_DAYS)
    return f"{born:%d%m%y}{p // CPR_DAYS:04d}"


# -- the timed run (child process) --------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """Run the batch once and print what happened as JSON on stdout."""
    from payments.batch import night
    from payments.config import Settings
    from payments.db import make_engine

    engine = make_engine(args.database_url)
    settings = Settings(
        database_url=args.database_url,
        output_dir=str(args.out / "out"),
        outbox_dir=str(args.out / "outbox"),
        max_tx_per_file=args.max_tx_per_file,
    )
    backend = None
    with engine.connect() as conn:  # open the pool's connection outside the timing
        if engine.dialect.name == "postgresql":
            backend = conn.scalar(text("SELECT pg_backend_pid()"))
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server_cpu = _process_cpu(backend)
    own = resource.getrusage(resource.RUSAGE_SELF)
    phases: dict[str, float] = {}
    if args.phases:
        _time_phases(night, phases)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    result = night.run(engine, settings, run_date=RUN_DATE, actor="bench", now=NOW)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    if server_cpu is not None:
        server_cpu = _process_cpu(backend) - server_cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    engine.dispose()
    json.dump(
        {
            "seconds": seconds,
            "baseline_kb": baseline_kb,
            "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "phases": phases,
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
            "load": os.getloadavg()[0],
            "batch_id": result.batch_id,
            "order_count": result.order_count,
            "total": str(result.total),
            "held_by_reason": dict(result.held_by_reason),
            "files": [
                {
                    "path": str(f.path),
                    "tx_count": f.tx_count,
                    "total": str(f.total),
                    "sha256": f.sha256,
                }
                for f in result.files
            ],
        },
        sys.stdout,
    )


def _process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) of a local process, from /proc; None where unreadable."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # PostgreSQL on another machine
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time_phases(batch, phases: dict[str, float]) -> None:
    """Wrap the batch's steps to add up the time spent in each (``--phases``)."""
    from payments.batch import candidates, pain_files

    for module, name in (
        (candidates, "fill"),
        (candidates, "add_files"),
        (candidates, "insert_items"),
        (candidates, "update_orders"),
        (pain_files, "write_file"),
    ):
        inner = getattr(module, name, None)
        if inner is None:
            continue

        def timed(*a, _inner=inner, _name=name, **kw):
            started = time.perf_counter()
            try:
                return _inner(*a, **kw)
            finally:
                phases[_name] = phases.get(_name, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)


# -- checks -------------------------------------------------------------------------------

_HEADER = re.compile(rb"<GrpHdr>.*?<NbOfTxs>(\d+)</NbOfTxs><CtrlSum>([\d.]+)</CtrlSum>", re.S)
_AMOUNT = re.compile(rb'<InstdAmt Ccy="DKK">([\d.]+)</InstdAmt>')


def check(engine: Engine, run: dict, size: int) -> list[tuple[str, bool, str]]:
    """Money conserved and every order accounted for; a list of (check, ok, detail)."""
    checks = []
    header_count, header_sum, tx_count, tx_sum, hashes_ok = 0, Decimal(0), 0, Decimal(0), True
    for f in run["files"]:
        data = Path(f["path"]).read_bytes()
        hashes_ok &= hashlib.sha256(data).hexdigest() == f["sha256"]
        head = _HEADER.search(data)
        header_count += int(head.group(1))
        header_sum += Decimal(head.group(2).decode())
        amounts = _AMOUNT.findall(data)
        tx_count += len(amounts)
        tx_sum += sum((Decimal(a.decode()) for a in amounts), Decimal(0))
    with engine.connect() as conn:
        paid_count, paid_ore = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(o.amount_ore), 0) FROM payment_orders o "
                "JOIN batch_items i ON i.order_id = o.id AND i.attempt = o.attempts + 1 "
                "WHERE o.status = 'pending' AND i.batch_id = :b"
            ),
            {"b": run["batch_id"]},
        ).one()
        held = dict(
            conn.execute(
                text(
                    "SELECT hold_reason, count(*) FROM payment_orders WHERE status = 'held' "
                    "GROUP BY hold_reason"
                )
            ).all()
        )
        all_count, all_ore = conn.execute(
            text("SELECT count(*), sum(amount_ore) FROM payment_orders")
        ).one()
        held_ore = conn.scalar(
            text("SELECT coalesce(sum(amount_ore), 0) FROM payment_orders WHERE status = 'held'")
        )
    paid = Decimal(paid_ore).scaleb(-2)
    checks.append(
        (
            "file CtrlSums = in_batch orders",
            header_sum == paid and header_count == paid_count,
            f"{header_sum} DKK / {header_count:,} tx vs {paid} DKK / {paid_count:,}",
        )
    )
    checks.append(
        (
            "file transactions = headers",
            tx_sum == header_sum and tx_count == header_count,
            f"{tx_sum} DKK / {tx_count:,} tx",
        )
    )
    checks.append(
        (
            "batch result = in_batch orders",
            Decimal(run["total"]) == paid and run["order_count"] == paid_count,
            f"{run['total']} DKK",
        )
    )
    checks.append(("file SHA-256 as recorded", hashes_ok, f"{len(run['files'])} files"))
    checks.append(
        (
            "in_batch + held = all orders",
            paid_count + sum(held.values()) == all_count == size and paid_ore + held_ore == all_ore,
            f"{paid_count:,} + {sum(held.values()):,} = {all_count:,}",
        )
    )
    checks.append(("held by reason as reported", held == run["held_by_reason"], str(held)))
    return checks


# -- the driver ---------------------------------------------------------------------------


def _postgres_schema(url: str, name: str) -> str:
    base = make_url(url)
    options = base.query.get("options")
    if options:
        raise SystemExit(
            "--database-url must not set options: the benchmark sets search_path to its own schema"
        )
    return base.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
        hide_password=False
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="orders (default 100,000)")
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file in a temporary "
        "directory; for postgresql+psycopg://… a fresh schema is created",
    )
    parser.add_argument("--max-tx-per-file", type=int, default=9_999)
    parser.add_argument(
        "--phases", action="store_true", help="also time the batch's steps (fill, insert_items, …)"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the run into FILE")
    parser.add_argument(
        "--release",
        action="store_true",
        help="afterwards, also time approving and releasing the batch",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL schema and the files for a look afterwards",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    from payments import schema
    from payments.db import make_engine

    workdir = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    admin = None
    schema_name = None
    if args.database_url and not args.database_url.startswith("sqlite"):
        admin = make_engine(args.database_url)
        schema_name = f"bench_batch_{os.getpid()}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema_name}"))
        url = _postgres_schema(admin.url.render_as_string(hide_password=False), schema_name)
    else:
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        started = time.perf_counter()
        counts = seed(engine, args.size)
        print(
            f"seeded in {time.perf_counter() - started:.1f} s (not timed): "
            + ", ".join(f"{n:,} {table}" for table, n in counts.items()),
            flush=True,
        )
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            "--database-url",
            url,
            "--out",
            str(workdir),
            "--max-tx-per-file",
            str(args.max_tx_per_file),
        ]
        if args.phases:
            command.append("--phases")
        if args.profile:
            command += ["--profile", os.path.abspath(args.profile)]
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        wall = time.perf_counter() - started
        children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        run = json.loads(done.stdout)
        checks = check(engine, run, args.size)
        report(engine.dialect.name, args, run, wall, children_kb, checks)
        if args.release and all(ok for _, ok, _ in checks):
            release_seconds(url, workdir, args, run)
        return 0 if all(ok for _, ok, _ in checks) else 1
    finally:
        engine.dispose()
        if admin is not None:
            if not args.keep:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema_name} CASCADE"))
            admin.dispose()
        if args.keep:
            print(
                f"kept {workdir}" + (f" and schema {schema_name}" if schema_name else ""),
                file=sys.stderr,
            )
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def release_seconds(url: str, workdir: Path, args, run: dict) -> None:
    """Approve and release the batch (not part of the target): marks every order ``sent``."""
    from payments.batch import approval
    from payments.config import Settings
    from payments.db import make_engine

    engine = make_engine(url)
    settings = Settings(
        database_url=url,
        output_dir=str(workdir / "out"),
        outbox_dir=str(workdir / "outbox"),
        max_tx_per_file=args.max_tx_per_file,
    )
    approval.approve(engine, settings, run["batch_id"], actor="approver", now=NOW)
    started = time.perf_counter()
    released = approval.release(engine, settings, run["batch_id"], actor="approver", now=NOW)
    seconds = time.perf_counter() - started
    engine.dispose()
    print(
        f"release (hash check, copy to outbox, {released.order_count:,} orders sent): "
        f"{seconds:.2f} s"
    )


def report(
    dialect: str,
    args,
    run: dict,
    wall: float,
    children_kb: int,
    checks: list[tuple[str, bool, str]],
) -> None:
    seconds = run["seconds"]
    peak_mb = run["peak_kb"] / 1024
    # the targets: 1,000,000 orders on PostgreSQL, 100,000 on SQLite
    target_s, target_mb = TARGETS.get((dialect, args.size), (None, None))
    money_ok = all(ok for _, ok, _ in checks)
    held = run["held_by_reason"]
    rows = [
        ("database", dialect),
        ("orders", f"{args.size:,}"),
        (
            "batch.run seconds",
            f"{seconds:.2f}" + (f"  (target ≤ {target_s:.0f})" if target_s else ""),
        ),
        ("orders/s", f"{args.size / seconds:,.0f}"),
        (
            "peak RSS MB",
            f"{peak_mb:.0f}"
            + (f"  (target ≤ {target_mb:.0f})" if target_mb else "")
            + f"  (after imports {run['baseline_kb'] / 1024:.0f};"
            f" RUSAGE_CHILDREN {children_kb / 1024:.0f})",
        ),
        (
            "CPU seconds",
            f"client {run['client_cpu']:.2f}"
            + (
                f", PostgreSQL backend {run['server_cpu']:.2f}"
                if run["server_cpu"] is not None
                else ""
            ),
        ),
        ("child process seconds", f"{wall:.2f}"),
        ("load average (1 min)", f"{run['load']:.2f} at the end, on {os.cpu_count()} cores"),
        ("files written", f"{len(run['files'])} (≤ {args.max_tx_per_file:,} tx each)"),
        ("paid", f"{run['order_count']:,} orders, {Decimal(run['total']):,} DKK"),
        (
            "held",
            f"{sum(held.values()):,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(held.items())),
        ),
    ]
    for name, spent in run["phases"].items():
        rows.append((f"  phase {name}", f"{spent:.2f} s"))
    rows += [(name, ("OK" if ok else "FAIL") + f"  {detail}") for name, ok, detail in checks]
    rows.append(("money conserved", "OK" if money_ok else "FAIL"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    verdicts = []
    if target_s:
        verdicts.append(f"time {'OK' if seconds <= target_s else 'OVER'}")
    if target_mb:
        verdicts.append(f"memory {'OK' if peak_mb <= target_mb else 'OVER'}")
    if verdicts:
        print(f"{'targets':<{width}}  {', '.join(verdicts)}")


if __name__ == "__main__":
    sys.exit(main())
