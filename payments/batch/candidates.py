"""What one night pays: every due order resolved to its account, or held with a reason.

The nightly run (:func:`payments.batch.night.run`) fills the temporary table ``batch_candidates``
with one ``INSERT … SELECT`` (:func:`fill`), then from it numbers the files
(:func:`add_files`), inserts the batch items (:func:`insert_items`), marks the held orders
(:func:`update_orders`) and streams the files' rows (:func:`file_rows_query`). Set-based
SQL only: a million orders a night.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from payments import money
from payments.batch import pain_files
from payments.config import Settings
from payments.models import AccountRegistration, Batch, BatchFile, BatchItem, PaymentOrder
from payments.orders import due_orders
from payments.orders import payable as payable_ore
from payments.registry import periods
from payments.statuses import HoldReason, OrderStatus

_tmp_meta = MetaData()
candidates = Table(
    "batch_candidates",
    _tmp_meta,
    Column("order_id", BigInteger, primary_key=True),
    Column("registration_id", BigInteger),
    Column("reason", String(30)),
    Column("amount_ore", BigInteger),
    Column("end_to_end_id", String(35)),
    Column("attempt", Integer),
    Column("order_status", String(10)),  # the order's status before this run
    Column("seq", Integer),  # the file it goes into; null when held
    # what the file needs, so that writing it is one ordered scan of this table
    Column("remittance", String(140)),
    Column("reg_no", String(4)),
    Column("account_no", String(10)),
    Column("iban", String(34)),
    Column("bic", String(11)),
    Column("owner_name", String(70)),
    prefixes=["TEMPORARY"],
)


def fill(session: Session, settings: Settings, run_date: dt.date, execution_date: dt.date) -> None:
    """One INSERT … SELECT: every due order with its registration or its hold reason.

    Each payable order also gets what the later steps need, so that none of them has to
    join the orders again: its amount, the end-to-end id of this attempt, and the number of
    its file (the payable orders, by order id, in runs of ``max_tx_per_file``).
    """
    o = PaymentOrder
    r = aliased(AccountRegistration, name="r")
    pending = aliased(AccountRegistration, name="p")
    older = aliased(AccountRegistration, name="q")
    review_ore = money.ore(settings.review_amount)
    cooling = settings.cooling_off_days
    replaced_another = exists().where(
        periods.owned_by(older, o.payee_kind, o.payee_number),
        older.id != r.id,
        older.status.in_(periods.IN_FORCE_STATUSES),
        older.active_from <= r.active_from,
    )
    whens = periods.no_account_whens(r, pending, o.payee_kind, o.payee_number)
    if cooling > 0:
        limit = execution_date - dt.timedelta(days=cooling)
        whens.append(
            (
                and_(r.active_from > limit, replaced_another),
                literal(HoldReason.ACCOUNT_RECENTLY_CHANGED.value),
            )
        )
    whens.append(
        (
            and_(payable_ore(o) >= review_ore, o.review_approved_by.is_(None)),
            literal(HoldReason.AMOUNT_REVIEW.value),
        )
    )
    # a retry after an account return is a new transaction: its end-to-end id gets a suffix
    e2e = case(
        (o.attempts == 0, o.end_to_end_id),
        else_=o.end_to_end_id + "-" + func.cast(o.attempts + 1, String),
    )
    resolved = (
        select(
            o.id.label("order_id"),
            r.id.label("registration_id"),
            case(*whens, else_=None).label("reason"),
            payable_ore(o).label("amount_ore"),  # what was not offset against recoveries
            e2e.label("end_to_end_id"),
            (o.attempts + 1).label("attempt"),
            o.status.label("order_status"),
            o.remittance,
            r.reg_no,
            r.account_no,
            r.iban,
            r.bic,
            r.owner_name,
        )
        .select_from(o)
        .outerjoin(
            r,
            and_(
                periods.owned_by(r, o.payee_kind, o.payee_number),
                periods.in_force_on(r, execution_date),
            ),
        )
        .where(due_orders(run_date))
        .subquery()
    )
    payable = resolved.c.reason.is_(None)
    rank = func.row_number(type_=BigInteger).over(
        partition_by=payable, order_by=resolved.c.order_id
    )
    seq = case((payable, (rank - 1) // settings.max_tx_per_file + 1), else_=None)
    conn = session.connection()
    candidates.create(conn)
    session.execute(
        insert(candidates).from_select(
            [
                "order_id",
                "registration_id",
                "reason",
                "amount_ore",
                "end_to_end_id",
                "attempt",
                "order_status",
                "seq",
                "remittance",
                "reg_no",
                "account_no",
                "iban",
                "bic",
                "owner_name",
            ],
            select(
                resolved.c.order_id,
                resolved.c.registration_id,
                resolved.c.reason,
                resolved.c.amount_ore,
                resolved.c.end_to_end_id,
                resolved.c.attempt,
                resolved.c.order_status,
                seq,
                resolved.c.remittance,
                resolved.c.reg_no,
                resolved.c.account_no,
                resolved.c.iban,
                resolved.c.bic,
                resolved.c.owner_name,
            ),
        )
    )
    if conn.dialect.name == "postgresql":
        # a temporary table has no statistics until analysed: without them the planner
        # guesses a few thousand rows and joins a million by nested index lookups
        session.execute(text(f"ANALYZE {candidates.name}"))


def unnamed(session: Session) -> int:
    """Payable orders whose payee's registration carries no name: their files name the
    payee with the placeholder ``pain_files.UNNAMED_PAYEE``."""
    c = candidates.c
    return session.scalar(select(func.count()).where(c.seq.is_not(None), c.owner_name.is_(None)))


def held_by_reason(session: Session) -> dict[str, int]:
    c = candidates.c
    rows = session.execute(
        select(c.reason, func.count()).where(c.reason.is_not(None)).group_by(c.reason)
    ).all()
    return {reason: n for reason, n in rows}


def add_files(session: Session, batch: Batch, run_date: dt.date) -> list[BatchFile]:
    """The batch's files (count and sum each, from the candidates), numbered from 1."""
    c = candidates.c
    per_file = session.execute(
        select(c.seq, func.count(), func.sum(c.amount_ore))
        .where(c.seq.is_not(None))
        .group_by(c.seq)
        .order_by(c.seq)
    ).all()
    files = [
        BatchFile(
            batch_id=batch.id,
            seq=seq,
            msg_id=pain_files.msg_id_for(run_date, batch.id, seq),
            filename=pain_files.file_name_for(run_date, batch.id, seq),
            sha256="",
            tx_count=count,
            total_ore=int(total),
        )
        for seq, count, total in per_file
    ]
    session.add_all(files)
    session.flush()
    batch.order_count = sum(f.tx_count for f in files)
    batch.total_ore = sum(f.total_ore for f in files)
    return files


def insert_items(conn: Connection, batch_id: int) -> None:
    """One batch item per payable candidate (Core only: may run beside the file writer)."""
    c = candidates.c
    conn.execute(
        insert(BatchItem).from_select(
            [
                "batch_id",
                "order_id",
                "attempt",
                "file_seq",
                "registration_id",
                "end_to_end_id",
                "amount_ore",
            ],
            select(
                literal(batch_id, BigInteger),
                c.order_id,
                c.attempt,
                c.seq,
                c.registration_id,
                c.end_to_end_id,
                c.amount_ore,
            ).where(c.seq.is_not(None)),
        )
    )


def update_orders(conn: Connection, batch_id: int) -> None:
    """Held orders get ``held``, the reason and this batch (``held_by_batch_id``: its runner
    may not clear an ``AMOUNT_REVIEW``, see :func:`payments.batch.approval.approve_review`);
    paid ones that were not ``pending`` get ``pending`` and no holding batch.

    Every held order is written (its holding batch is new each night: held orders are a
    few percent of a night); a paid order already ``pending`` (nearly all of them) is left
    alone: its batch item is its record of this run.
    """
    c, o = candidates.c, PaymentOrder
    paid = c.seq.is_not(None)
    conn.execute(
        update(o)
        .where(o.id == c.order_id, or_(~paid, o.status != OrderStatus.PENDING))
        .values(
            status=case(
                (paid, literal(OrderStatus.PENDING.value)), else_=literal(OrderStatus.HELD.value)
            ),
            hold_reason=c.reason,
            return_reason=case((paid, null()), else_=o.return_reason),
            held_by_batch_id=case((paid, null()), else_=literal(batch_id, BigInteger)),
        )
        .execution_options(synchronize_session=False)
    )


def file_rows_query():
    """The payable candidates of this run, by order id: the files' rows, file after file.

    One ordered scan of the temporary table (its key is the order id).
    """
    c = candidates.c
    return (
        select(
            c.seq,
            c.end_to_end_id,
            c.amount_ore,
            c.remittance,
            c.reg_no,
            c.account_no,
            c.iban,
            c.bic,
            c.owner_name,
        )
        .where(c.seq.is_not(None))
        .order_by(c.order_id)
    )
