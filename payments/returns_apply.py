"""A bank answer applied set-based: staged in a temporary table, then a few statements.

:mod:`payments.returns` reads the file (validated, streaming) and turns it into one row
per transaction status — what the status is, what it means, and anything already known to
keep it from applying (a contradiction, an unknown message, a pending entry, another
currency). Here those rows are staged and applied:

1. :func:`stage` loads them into the temporary table ``answer_statuses`` (``COPY`` on
   PostgreSQL, ``executemany`` in chunks on SQLite: one row in memory at a time) and
   indexes them by end-to-end id — a unique index when it can be, which proves that the
   file names no transaction twice, so steps 3 and 4 skip what only a repeated id needs;
2. :func:`sweep` adds the transactions a group or payment-information status answers for
   without listing them, straight from ``batch_items`` (no id travels through Python);
3. :func:`flag_contradictions`: a transaction the file rejects and accepts is reported,
   not resolved first-wins (one ``GROUP BY``, only when an id is listed twice; the file
   is read once, not twice);
4. :func:`decide` joins the staged rows to the items and orders once, into
   ``answer_outcomes``, with what the import does to each: ``unknown`` (never sent),
   ``not_applied`` (with why), ``unchanged`` (an earlier attempt, or nothing new), or the
   move — ``settled``, ``accepted``, ``returned`` — by the order state machine's rules
   (:data:`payments.orders.SETTLEABLE` …). One order moves once: when a file names its
   transaction twice the strongest status counts (settled before accepted), the others
   are ``unchanged`` (a ranking of the rows by order: skipped when no id is staged twice);
5. :func:`apply` moves the orders (:func:`payments.orders.apply_bank_answers`, one
   ``UPDATE … FROM``; settling leaves every indexed column as it was, so on PostgreSQL
   each row is updated in place: revision 0800; the batches' counts per state just before,
   :mod:`payments.batch.states`) and records every status in ``status_report_items`` with
   its outcome, in file order (one ``INSERT … SELECT``; on PostgreSQL their report is
   checked once for the statement, not once a row: revision 1010).

The counts (with the moves, by :func:`apply`), the lists for a clerk and the
registrations to flag (:func:`singled_out`) are read back from ``answer_outcomes``, one
scan each. Everything runs in the import's one transaction: nothing is applied unless all
of it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments import orders
from payments.batch import states
from payments.db import drop_temp_table, load_temp_table
from payments.orders import ACCOUNT_REASONS
from payments.statuses import AnswerOutcome as Outcome

IN_PROGRESS, SETTLED, RETURNED = "in_progress", "settled", "rejected"
CONTRADICTION = "rejected and accepted in the same file"
#: rows read back at a time (a million-status answer singles out some 25,000)
_FETCH = 2_000
#: seq of the rows a sweep adds: after every listed row, by order id within a sweep
_SWEEP_BASE = 1 << 40

_meta = MetaData()
statuses = Table(
    "answer_statuses",
    _meta,
    Column("seq", BigInteger, nullable=False),  # file order
    Column("e2e", Text, nullable=False),
    Column("status", String(4), nullable=False),  # as stored: the first 4 characters
    Column("reason", Text),
    Column("meaning", String(11)),  # in_progress | settled | rejected | NULL
    Column("raw_meaning", String(11)),  # the listed status's own (contradictions)
    Column("listed", Integer, nullable=False),  # 1: listed under a rejected group/block
    Column("checkable", Integer, nullable=False),  # 1: a contradiction keeps it back
    Column("amount_ore", BigInteger),  # what a camt.054 says moved (whole øre)
    Column("why_not", Text),  # known already not to apply
    Column("amount_why", Text),  # why, should the amount differ from the one sent
    Column("block", Text),  # the OrgnlPmtInfId it was listed under
    prefixes=["TEMPORARY"],
)
outcomes = Table(
    "answer_outcomes",
    _meta,
    Column("seq", BigInteger),
    Column("e2e", Text),
    Column("status", String(4)),
    Column("reason", Text),
    Column("order_id", BigInteger),
    Column("registration_id", BigInteger),
    Column("outcome", String(11)),
    Column("why", Text),
    # the item's batch and amount, and its order's state before the answer: what the
    # batch's counts per state move by (payments.batch.states.answer_moves)
    Column("batch_id", BigInteger),
    Column("order_status", String(10)),
    Column("item_ore", BigInteger),
    prefixes=["TEMPORARY"],
)


class Staged(NamedTuple):
    """One transaction status, as :func:`stage` takes it: the columns of
    ``answer_statuses`` after ``seq``, in their order (a named tuple, not a dataclass: a
    million of them are made while the file is read, and a tuple is what COPY takes).
    ``status`` at most 4 characters, as stored; ``listed`` and ``checkable`` 0 or 1."""

    e2e: str
    status: str
    reason: str | None
    meaning: str | None
    raw_meaning: str | None = None
    listed: int = 0
    checkable: int = 0
    amount_ore: int | None = None
    why_not: str | None = None
    amount_why: str | None = None
    block: str | None = None


def stage(session: Session, rows: Iterable[Staged]) -> tuple[bool, bool]:
    """Load the listed statuses; whether any rejected and any positive one was listed
    (only then can the file contradict itself)."""
    seen = [False, False]

    def tuples() -> Iterator[tuple]:
        for seq, r in enumerate(rows):
            raw = r[4]  # raw_meaning
            if raw is not None:
                seen[raw != RETURNED] = True
            yield (seq, *r)

    load_temp_table(session, statuses, tuples())
    _index_e2e(session)
    return seen[0], seen[1]


#: ``session.info`` key: True while no end-to-end id is staged twice (see :func:`_index_e2e`)
_UNIQUE = "payments.returns_apply.unique_e2e"


def _index_e2e(session: Session) -> None:
    """Index the staged rows by end-to-end id; unique when it can be.

    A bank answer almost always names each transaction once. The index the joins need is
    built anyway, so it is first built unique (in a savepoint): when that succeeds, the
    file names no transaction twice, which the rest uses — no contradiction is possible
    (:func:`flag_contradictions` has nothing to look for) and no order can be named twice
    (:func:`decide` needs no ranking of one order's statuses: a million-row sort). When it
    fails, the file does name one twice: a plain index, and every check runs.
    """
    try:
        with session.begin_nested():
            session.execute(
                text("CREATE UNIQUE INDEX ix_answer_statuses_e2e ON answer_statuses (e2e)")
            )
        session.info[_UNIQUE] = True
    except IntegrityError:
        session.execute(text("CREATE INDEX ix_answer_statuses_e2e ON answer_statuses (e2e)"))
        session.info[_UNIQUE] = False


def _unique(session: Session) -> bool:
    return session.info.get(_UNIQUE, False)


def sweep(
    session: Session,
    number: int,
    batch_id: int,
    file_seq: int,
    status: str,
    reason: str | None,
    meaning: str | None,
    *,
    unlisted_only: bool,
) -> None:
    """Add every transaction of our file ``(batch_id, file_seq)`` with ``status`` (the
    group's or block's); with ``unlisted_only``, those a rejected group or block did not
    list with a reason of their own."""
    if _unique(session):  # a sweep may add an id already staged: the index becomes plain
        session.execute(text("DROP INDEX ix_answer_statuses_e2e"))
        session.execute(text("CREATE INDEX ix_answer_statuses_e2e ON answer_statuses (e2e)"))
        session.info[_UNIQUE] = False
    unlisted = (
        " AND NOT EXISTS (SELECT 1 FROM answer_statuses t "
        "WHERE t.listed = 1 AND t.e2e = i.end_to_end_id)"
        if unlisted_only
        else ""
    )
    session.execute(
        text(
            "INSERT INTO answer_statuses (seq, e2e, status, reason, meaning, raw_meaning, "
            "listed, checkable, amount_ore, why_not, amount_why, block) "
            "SELECT :base + i.order_id, i.end_to_end_id, :status, :reason, :meaning, NULL, "
            "0, 0, NULL, NULL, NULL, NULL FROM batch_items i "
            f"WHERE i.batch_id = :batch AND i.file_seq = :file{unlisted}"
        ),
        {
            "base": _SWEEP_BASE * (number + 1),
            "status": (status or "")[:4],
            "reason": reason,
            "meaning": meaning,
            "batch": batch_id,
            "file": file_seq,
        },
    )


def reject_listed(
    session: Session, block: str | None, reason: str | None, *, every_block: bool = False
) -> None:
    """The listed transactions of a rejected block (or, ``every_block``, of every block not
    yet rejected: a rejected group) are rejected, each with its own reason, else
    ``reason`` (the block's, else the group's)."""
    where = "listed = 0" if every_block else "block IS NULL" if block is None else "block = :b"
    session.execute(
        text(
            "UPDATE answer_statuses SET status = 'RJCT', meaning = :rejected, listed = 1, "
            f"checkable = 0, reason = coalesce(reason, :reason) WHERE {where}"
        ),
        {"rejected": RETURNED, "reason": reason, "b": block},
    )


def flag_contradictions(session: Session) -> None:
    """A listed transaction both rejected and accepted (or settled) in the file changes
    nothing: kept back with why, for a clerk. Only a transaction listed twice can be
    both, so a file that lists each once (:func:`_index_e2e`) is not searched."""
    if _unique(session):
        return
    session.execute(
        text(
            "UPDATE answer_statuses SET why_not = :why WHERE checkable = 1 AND why_not IS NULL "
            "AND e2e IN (SELECT e2e FROM answer_statuses WHERE raw_meaning IS NOT NULL "
            "GROUP BY e2e HAVING max(CASE WHEN raw_meaning = 'rejected' THEN 1 ELSE 0 END) = 1 "
            "AND max(CASE WHEN raw_meaning <> 'rejected' THEN 1 ELSE 0 END) = 1)"
        ),
        {"why": CONTRADICTION},
    )


def _states(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def decide(session: Session) -> None:
    """``answer_outcomes``: each staged row joined to its item and order, with what the
    import does to it (see the module docstring)."""
    moves = _states((Outcome.SETTLED, Outcome.ACCEPTED, Outcome.RETURNED))
    if _unique(session):
        # each transaction staged once: an order's one moving status is its last attempt's
        # (unique per order), so no ranking (the sort of a million rows) is needed
        outcome = "candidate AS outcome"
    else:
        outcome = f"""CASE WHEN candidate IN {moves} AND row_number() OVER (
                  PARTITION BY order_id, candidate IN {moves}
                  ORDER BY CASE candidate WHEN 'settled' THEN 0 WHEN 'accepted' THEN 1
                           ELSE 2 END, seq) > 1
                THEN 'unchanged' ELSE candidate END AS outcome"""
    drop_temp_table(session, outcomes)
    session.execute(
        text(
            f"""CREATE TEMPORARY TABLE answer_outcomes AS
            WITH joined AS (
                SELECT t.seq, t.e2e, t.status, t.reason, i.order_id, i.registration_id,
                  i.batch_id, o.status AS order_status, i.amount_ore AS item_ore,
                  CASE
                    WHEN i.order_id IS NULL THEN 'unknown'
                    WHEN t.why_not IS NOT NULL THEN 'not_applied'
                    WHEN t.meaning IS NULL THEN 'not_applied'
                    WHEN t.amount_ore IS NOT NULL AND t.amount_ore <> i.amount_ore
                      THEN 'not_applied'
                    WHEN i.attempt <> o.attempts THEN 'unchanged'
                    WHEN t.meaning = 'settled' AND o.status IN {_states(orders.SETTLEABLE)}
                      THEN 'settled'
                    WHEN t.meaning = 'in_progress' AND o.status IN {_states(orders.ACCEPTABLE)}
                      THEN 'accepted'
                    WHEN t.meaning = 'rejected' AND o.status IN {_states(orders.RETURNABLE)}
                      THEN 'returned'
                    ELSE 'unchanged'
                  END AS candidate,
                  CASE
                    WHEN i.order_id IS NULL THEN NULL
                    WHEN t.why_not IS NOT NULL THEN t.why_not
                    WHEN t.meaning IS NULL
                      THEN 'status ' || coalesce(nullif(t.status, ''), '(none)')
                           || ' is not one the engine acts on'
                    WHEN t.amount_ore IS NOT NULL AND t.amount_ore <> i.amount_ore
                      THEN t.amount_why
                  END AS why
                FROM answer_statuses t
                LEFT JOIN batch_items i ON i.end_to_end_id = t.e2e
                LEFT JOIN payment_orders o ON o.id = i.order_id
            )
            SELECT seq, e2e, status, reason, order_id, registration_id, why,
              batch_id, order_status, item_ore, {outcome}
            FROM joined"""
        )
    )


def apply(session: Session, report_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Move the orders and record every status with its outcome, in file order; return
    how many statuses had each outcome, and the returned ones by reason (``NONE`` for
    none; sorted).

    The batches' counts per state (:mod:`payments.batch.states`) move first, by the
    orders' states before the answer, which :func:`decide` noted beside each outcome: one
    ``GROUP BY`` of ``answer_outcomes`` gives those moves and the counts returned."""
    returned_reason = "CASE WHEN outcome = 'returned' THEN coalesce(reason, 'NONE') END"
    groups = session.execute(
        text(
            f"SELECT batch_id, order_status, outcome, {returned_reason}, count(*), "
            "coalesce(sum(item_ore), 0) FROM answer_outcomes "
            f"GROUP BY batch_id, order_status, outcome, {returned_reason}"
        )
    ).all()
    states.move(session, states.answer_moves(g[:3] + g[4:] for g in groups))
    orders.apply_bank_answers(session, outcomes)
    session.execute(
        text(
            "INSERT INTO status_report_items "
            "(report_id, end_to_end_id, status, reason_code, order_id, outcome) "
            "SELECT :report, substr(e2e, 1, 35), status, reason, order_id, outcome "
            "FROM answer_outcomes ORDER BY seq"
        ),
        {"report": report_id},
    )
    counts: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for _batch, _before, outcome, reason, n, _ore in groups:
        counts[outcome] = counts.get(outcome, 0) + n
        if reason is not None:
            by_reason[reason] = by_reason.get(reason, 0) + n
    return counts, dict(sorted(by_reason.items()))


class SingledOut(NamedTuple):
    """What of an answer a clerk is told about, or the registry acts on, in file order."""

    #: end-to-end ids the engine never sent
    unknown: tuple[str, ...]
    #: ``(end-to-end id, why)`` of the statuses recorded but not applied
    not_applied: tuple[tuple[str, str | None], ...]
    #: the registrations paid into that came back for an account reason (the first such
    #: reason in the file for each): to be flagged ``rejected_by_bank``
    to_flag: dict[int, str | None]


def singled_out(session: Session) -> SingledOut:
    """The unknown ids, the statuses not applied and the registrations to flag: one scan
    of ``answer_outcomes`` for the three (each a few rows of a million)."""
    reasons = ", ".join(f"'{r}'" for r in ACCOUNT_REASONS)
    rows = session.execute(
        text(
            "SELECT outcome, e2e, why, registration_id, reason FROM answer_outcomes "
            "WHERE outcome IN ('unknown', 'not_applied') "
            f"OR (outcome = 'returned' AND reason IN ({reasons})) ORDER BY seq"
        ).execution_options(stream_results=True, yield_per=_FETCH)
    )
    unknown: list[str] = []
    not_applied: list[tuple[str, str | None]] = []
    to_flag: dict[int, str | None] = {}
    for outcome, e2e, why, registration_id, reason in rows:
        if outcome == Outcome.UNKNOWN:
            unknown.append(e2e)
        elif outcome == Outcome.NOT_APPLIED:
            not_applied.append((e2e, why))
        else:
            to_flag.setdefault(registration_id, reason)
    return SingledOut(tuple(unknown), tuple(not_applied), to_flag)


def drop(session: Session) -> None:
    session.info.pop(_UNIQUE, None)
    drop_temp_table(session, statuses)
    drop_temp_table(session, outcomes)
