"""The nightly payment batch: resolve, hold, write pain.001, commit — all or nothing.

``run(engine, settings, run_date=D, actor=…, now=…)`` does, in one database transaction
serialised by a lock (advisory lock on PostgreSQL, the write lock on SQLite):

1. take every order due on or before D that is ``pending`` or ``held``, or ``returned``
   for an account reason (AC01, AC04, …: the money is still owed, to a new account);
2. resolve each payee's NemKonto as of the execution date (the first banking day after D)
   in one set-based statement into a temporary table, with the reason when it cannot be
   paid: ``NO_ACCOUNT``, ``PENDING_ACTIVATION``, ``REJECTED_BY_BANK``,
   ``ACCOUNT_RECENTLY_CHANGED`` (cooling-off), ``AMOUNT_REVIEW``; each payable order gets
   its file (by order id, in runs of ``max_tx_per_file``) and what its transaction says;
3. record each payable order as a batch item (with the registration it resolved to and
   the attempt it is);
4. mark the orders that cannot be paid ``held`` with the reason and this batch (they are
   tried again on every later run); an order paid now that was ``held`` or ``returned``
   becomes ``pending`` again. Orders already ``pending`` are not touched;
5. write the files from the temporary table (one ordered scan for all of them), each to a
   temporary name, fsync it, hash it. On PostgreSQL the rows are first copied to a local
   spool (``COPY``), and steps 3 and 4 run on the connection in a second thread while this
   one writes: the database's work and the XML overlap on the two cores;
6. commit the batch, its files' hashes and the order states together; then rename the
   files to their final names.

A crash before the commit leaves no batch (the transaction rolls back; stray temporary
files are removed by the next run). A crash after the commit leaves a complete batch whose
files may lack their final names: running again for the same date finds the batch,
regenerates any missing file from the database — byte-identical, because everything in it
(message ids, creation time, order) comes from stored rows — checks it against the stored
hash, and renames it. A run for a date that already has a batch creates nothing new.

Order states. The run writes one row per paid order, its batch item, and does not rewrite
the order: an order in a batch that is not yet released is ``pending`` in its own row with
an item for attempt ``attempts + 1`` (:func:`in_unreleased_batch`), and is reported as
``in_batch``. Release marks the batch's orders ``sent`` and counts the attempt, so an item
whose attempt is above the order's count is exactly an item of an unreleased batch. The
database holds the invariant: ``unique(order_id, attempt)`` on the items means no order can
be in two unreleased batches, and a due order is one with no such item. This is a decision
for speed with the invariant kept: rewriting every paid order at run time (and again at
release) cost 29 of the 74 s a 1,000,000-order night took on PostgreSQL.

The SQL of steps 1-4 is :mod:`payments.batch.candidates`, the order states it reads
:mod:`payments.orders`; approving (four eyes), releasing and rejecting a batch is
:mod:`payments.batch.approval`; writing, publishing, checking and regenerating the files is
:mod:`payments.batch.pain_files`. A rejected batch does not count as the date's batch: running
the date again makes a new one.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from payments import actors, audit, files, money, orders
from payments.batch import candidates, pain_files, states
from payments.batch.banking_days import next_banking_day
from payments.config import Settings
from payments.db import lock_for_writing, session_scope
from payments.errors import NotFound, PaymentsError
from payments.models import (
    Batch,
    BatchFile,
    PaymentOrder,
)
from payments.statuses import BatchStatus, OrderStatus


@dataclass(frozen=True, slots=True)
class FileInfo:
    seq: int
    path: Path
    msg_id: str
    tx_count: int
    total: Decimal
    sha256: str


@dataclass(frozen=True, slots=True)
class BatchRun:
    batch_id: int
    created: bool
    run_date: dt.date
    execution_date: dt.date
    status: str
    order_count: int
    total: Decimal
    held_count: int
    held_by_reason: tuple[tuple[str, int], ...]
    files: tuple[FileInfo, ...]
    rejected_by: str | None = None
    reject_reason: str | None = None
    #: temporary files of batches never committed, removed before this command did its work
    stray_removed: tuple[str, ...] = ()
    #: payments (of this run) to a payee whose registration has no name: placeholder Cdtr/Nm
    unnamed: int = 0
    #: the folders recorded for the batch (absolute): its files, and where release puts them
    output_dir: Path | None = None
    outbox_dir: Path | None = None


def _in_background(work: Callable[[], None]) -> Callable[[], None]:
    """Start ``work`` in a thread; the returned function waits for it and re-raises."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="batch-database", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failure:
            raise failure[0]

    return wait


def summary(
    session: Session,
    batch: Batch,
    created: bool,
    settings: Settings,
    held: dict[str, int] | None = None,
) -> BatchRun:
    """What a command reports about a batch (held: the orders held now, unless given)."""
    files = session.scalars(
        select(BatchFile).where(BatchFile.batch_id == batch.id).order_by(BatchFile.seq)
    ).all()
    out, outbox = pain_files.batch_dirs(batch, settings)
    if held is None:
        held = dict(
            session.execute(
                select(PaymentOrder.hold_reason, func.count())
                .where(orders.open_in(PaymentOrder, OrderStatus.HELD))
                .group_by(PaymentOrder.hold_reason)
            ).all()
        )
    return BatchRun(
        batch_id=batch.id,
        created=created,
        run_date=batch.run_date,
        execution_date=batch.execution_date,
        status=batch.status,
        order_count=batch.order_count,
        total=money.kr(batch.total_ore),
        held_count=sum(held.values()),
        held_by_reason=tuple(sorted(held.items())),
        files=tuple(
            FileInfo(
                f.seq,
                out / f.filename,
                f.msg_id,
                f.tx_count,
                money.kr(f.total_ore),
                f.sha256,
            )
            for f in files
        ),
        rejected_by=batch.rejected_by,
        reject_reason=batch.reject_reason,
        output_dir=out,
        outbox_dir=outbox,
    )


def run(
    engine: Engine,
    settings: Settings,
    *,
    run_date: dt.date,
    actor: str,
    now: dt.datetime,
    progress: pain_files.Progress | None = None,
) -> BatchRun:
    """Run (or finish) the nightly batch for ``run_date``. See the module docstring."""
    pain_files.check_debtor(settings)
    actor = actors.actor(actor)
    execution_date = next_banking_day(run_date)
    published: list[tuple[Path, Path]] = []
    out_dir, outbox_dir = pain_files.run_dirs(settings)
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")
        stray = pain_files.remove_stray_temporaries(session, (out_dir, outbox_dir))
        existing = session.scalar(
            select(Batch).where(Batch.run_date == run_date, Batch.status != BatchStatus.REJECTED)
        )
        if existing is not None:
            # finished where it was run (its recorded folders), whatever these settings say
            stray += pain_files.remove_stray_temporaries(
                session, pain_files.batch_dirs(existing, settings)
            )
            pain_files.complete_files(session, settings, existing)
            return replace(summary(session, existing, False, settings), stray_removed=stray)
        batch = Batch(
            run_date=run_date,
            execution_date=execution_date,
            status=BatchStatus.GENERATED,
            pain001_version=settings.pain001_version,
            order_count=0,
            total_ore=0,
            held_count=0,
            created_by=actor,
            created_at=now,
            output_dir=str(out_dir),
            outbox_dir=str(outbox_dir),
        )
        session.add(batch)
        session.flush()
        conn = session.connection()
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:
            # sorts and hashes of a million rows in memory rather than in temporary files;
            # no JIT: compiling these plain statements costs more than it saves
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL jit = off"))
        candidates.fill(session, settings, run_date, execution_date)
        held = candidates.held_by_reason(session)
        unnamed = candidates.unnamed(session)
        planned = candidates.add_files(session, batch, run_date)
        batch.held_count = sum(held.values())
        out = files.ensure_dir(out_dir)
        # the spool is used on PostgreSQL only (an empty, already unlinked file elsewhere)
        steps = candidates
        with tempfile.TemporaryFile(dir=out) as spool:
            if postgresql:
                # the database inserts the items while this thread writes the files
                rows = pain_files.spooled_rows(session, steps.file_rows_query(), spool)
                wait = _in_background(
                    lambda: (
                        steps.insert_items(conn, batch.id),
                        steps.update_orders(conn, batch.id),
                    )
                )
            else:
                steps.insert_items(conn, batch.id)
                steps.update_orders(conn, batch.id)
                rows, wait = pain_files.stream(session, steps.file_rows_query()), lambda: None
            try:
                for bfile in planned:
                    final = out / bfile.filename
                    tmp = pain_files.tmp_path(final)
                    bfile.sha256 = pain_files.write_file(
                        settings, batch, bfile, rows, tmp, progress
                    )
                    published.append((tmp, final))
                if next(rows, None) is not None:
                    raise PaymentsError(
                        "BATCH_FILE_ORDER",
                        "the batch has more transactions than its files",
                        "batch_id",
                    )
            finally:
                wait()  # never roll back or commit under a running statement
        candidates.candidates.drop(session.connection())
        audit.append(
            session,
            actor=actor,
            action="batch.run",
            subject=f"batch:{batch.id}",
            payload={
                "run_date": run_date.isoformat(),
                "execution_date": execution_date.isoformat(),
                "orders": batch.order_count,
                "total_ore": batch.total_ore,
                "held": held,
                "files": len(published),
            },
            now=now,
        )
        result = replace(
            summary(session, batch, True, settings, held), stray_removed=stray, unnamed=unnamed
        )
    for tmp, final in published:  # after the commit: a crash here is finished by a re-run
        pain_files.publish(tmp, final)
    return result


#: how far ahead a nightly run is expected (a typo such as 2025 for 2024 is a year off)
RUN_AHEAD_DAYS = 7


def unusual_run_date(run_date: dt.date, today: dt.date) -> str | None:
    """Why a run for ``run_date`` deserves a second look, or None: a date in the past pays
    late, one more than a week ahead pays early; either needs a confirmation."""
    if run_date < today:
        return f"{run_date} is in the past (today is {today}): its payments execute late"
    if run_date > today + dt.timedelta(days=RUN_AHEAD_DAYS):
        return f"{run_date} is more than {RUN_AHEAD_DAYS} days ahead of today ({today})"
    return None


def get_batch(session: Session, batch_id: int) -> Batch:
    """The batch, or ``BATCH_NOT_FOUND``."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound("BATCH_NOT_FOUND", f"there is no batch {batch_id}", "batch_id")
    return batch


def show(engine: Engine, settings: Settings, batch_id: int) -> tuple[BatchRun, dict]:
    """A batch and its transactions' states: count and sum (kr) per state.

    ``in_batch`` until release; then ``sent``, ``settled`` or ``returned`` as the bank
    answered. A transaction whose order was later held, cancelled or paid again counts as
    ``returned``: only a return lets an order move on from a released batch. Every
    transaction of a rejected batch is ``rejected``.

    No item is read: a night of a million orders is shown in the time of one row. Before
    release the batch row's count and sum are every transaction's (nothing of an
    unreleased batch has moved on: an order's attempts only grow when the batch holding
    its next attempt is released, and no order is in two unreleased batches); once
    released, the row keeps the counts per state as they move (:mod:`payments.batch.states`).
    """
    with session_scope(engine) as session:
        batch = get_batch(session, batch_id)
        if batch.status in (BatchStatus.GENERATED, BatchStatus.APPROVED, BatchStatus.REJECTED):
            state = orders.IN_BATCH if batch.status != BatchStatus.REJECTED else batch.status
            counts = {state: (batch.order_count, batch.total_ore)} if batch.order_count else {}
        else:
            counts = states.stored(batch)
        by_state = {s: {"count": n, "amount": money.kr(ore)} for s, (n, ore) in counts.items()}
        return summary(session, batch, False, settings), by_state


def list_batches(engine: Engine, settings: Settings) -> list[BatchRun]:
    with session_scope(engine) as session:
        batches = session.scalars(select(Batch).order_by(Batch.id)).all()
        return [summary(session, b, False, settings, held={}) for b in batches]


def recent_batches(engine: Engine, settings: Settings, *, limit: int = 20) -> list[BatchRun]:
    """The newest batches, newest first (an operator's overview; :func:`list_batches` has
    them all, oldest first)."""
    with session_scope(engine) as session:
        batches = session.scalars(select(Batch).order_by(Batch.id.desc()).limit(limit)).all()
        return [summary(session, b, False, settings, held={}) for b in batches]
