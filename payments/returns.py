"""Bank answers: pain.002 status reports and camt.054 return notifications.

``import_file(engine, path, actor=…, now=…)`` reads the file with the hardened, streaming
readers of :mod:`iso20022`, then in one transaction:

- refuses nothing twice: a message id already imported changes nothing (``created`` is
  False) — a bank that resends a report, or an operator who imports it again, is harmless;
- accepted transactions (``ACSC``, ``ACCP``, ``ACTC``, ``ACWC``, ``ACSP``) move their order
  from ``sent`` to ``settled``;
- rejected (pain.002 ``RJCT``) or returned (camt.054) transactions move their order to
  ``returned`` with the ISO reason code. An account reason (AC01, AC04, AC06, AG01, MD07)
  also marks the registration the order was paid to as ``rejected_by_bank``, so the next
  batch holds this order and every later one for the payee until a new account exists, and
  then pays it (see :mod:`payments.batch`). Other reasons (BE04, MS03, AM04, …) leave the
  order ``returned`` for a clerk: they are not account problems and must not be retried
  blindly. Once the clerk has dealt with the cause, :func:`requeue` makes the order
  ``pending`` again and the next batch pays it (a new attempt, with its own end-to-end id);
- a pain.002 whose group status answers for the whole message (no transaction details)
  applies that status to every transaction of the original file;
- a status for an earlier attempt of an order that has been paid again since changes
  nothing (the same return in an intraday and an end-of-day report must not return the new
  payment, which would then be paid a third time);
- end-to-end ids the engine never sent are kept (``order_id`` null) and reported;
- a camt.054 return is applied only when it is a booked credit (entry status ``BOOK`` and
  ``CRDT``, or not stated) of the amount and currency the transaction sent (or of no stated
  amount). Otherwise it is recorded but not applied, and reported (``not_applied``, with
  why): marking the order ``returned`` makes the batch pay it again, so a pending entry that
  is never booked, or a part of the money coming back, would pay a payee twice. A clerk
  settles such a return with the bank, and applies it with :func:`apply_return` when the
  whole amount came back.

Every transaction status read is stored (``status_report_items``) for reconciliation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import iso20022
from iso20022 import camt054, pain002
from iso20022.errors import Iso20022Error
from iso20022.validate import detect_message
from payments import audit, files, money, orders
from payments.db import lock_for_writing, session_scope
from payments.errors import ConflictError, InputError, NotFound
from payments.models import BatchFile, BatchItem, PaymentOrder, StatusReport, StatusReportItem
from payments.orders import ACCOUNT_REASONS
from payments.registry import lifecycle
from payments.statuses import OrderStatus

ACCEPTED = frozenset({"ACSC", "ACCP", "ACTC", "ACWC", "ACSP"})
REJECTED = "RJCT"
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class TxOutcome:
    end_to_end_id: str
    status: str
    reason: str | None
    amount: Decimal | None = None  # what a camt.054 says came back, when it says
    currency: str | None = None
    booked: bool = True  # a camt.054 entry booked (not pending) as a credit to us


@dataclass(frozen=True, slots=True)
class ReturnsImport:
    msg_id: str
    kind: str
    created: bool
    settled: int = 0
    returned: int = 0
    unchanged: int = 0
    unknown: tuple[str, ...] = ()
    registrations_flagged: int = 0
    #: whose account the bank refused (masked owner and account), every owner of it
    flagged: tuple[lifecycle.Flagged, ...] = ()
    by_reason: tuple[tuple[str, int], ...] = ()
    not_applied: tuple[tuple[str, str], ...] = ()  # (end-to-end id, why), for a clerk


def _chunks(items: Iterable[TxOutcome]) -> Iterator[list[TxOutcome]]:
    chunk: list[TxOutcome] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _whole_message(
    session: Session, original_msg_id: str | None, status: str, reason: str | None
) -> Iterator[TxOutcome]:
    """A group-level answer: every transaction of the original file gets that status."""
    if not original_msg_id:
        return
    rows = session.execute(
        select(BatchItem.end_to_end_id)
        .join(
            BatchFile,
            (BatchFile.batch_id == BatchItem.batch_id) & (BatchFile.seq == BatchItem.file_seq),
        )
        .where(BatchFile.msg_id == original_msg_id)
        .order_by(BatchItem.order_id)
    )
    for (e2e,) in rows:
        yield TxOutcome(e2e, status, reason)


def _apply(
    session: Session,
    outcomes: Iterable[TxOutcome],
    report: StatusReport,
    actor: str,
    now: dt.datetime,
) -> ReturnsImport:
    settled = returned = unchanged = 0
    to_flag: dict[int, str | None] = {}  # registration paid into -> the account reason
    unknown: list[str] = []
    held_back: list[tuple[str, str]] = []
    reasons: Counter[str] = Counter()
    for chunk in _chunks(outcomes):
        ids = {o.end_to_end_id for o in chunk}
        found = {
            item.end_to_end_id: (item, order)
            for item, order in session.execute(
                select(BatchItem, PaymentOrder)
                .join(PaymentOrder, PaymentOrder.id == BatchItem.order_id)
                .where(BatchItem.end_to_end_id.in_(ids))
            )
        }
        for outcome in chunk:
            match = found.get(outcome.end_to_end_id)
            session.add(
                StatusReportItem(
                    report_id=report.id,
                    end_to_end_id=outcome.end_to_end_id[:35],
                    status=outcome.status[:4],
                    reason_code=outcome.reason,
                    order_id=match[1].id if match else None,
                )
            )
            if match is None:
                unknown.append(outcome.end_to_end_id)
                continue
            item, order = match
            why = _not_applicable(outcome, item)
            if why:
                held_back.append((outcome.end_to_end_id, why))
                continue
            if item.attempt != order.attempts:
                # an earlier attempt of an order paid again since (the same return in an
                # intraday and an end-of-day report): it says nothing of the latest one
                unchanged += 1
                continue
            if outcome.status in ACCEPTED and orders.settle(order):
                settled += 1
            elif outcome.status == REJECTED and order.status in (
                OrderStatus.SENT,
                OrderStatus.SETTLED,
            ):
                _mark_returned(item, order, outcome.reason, to_flag)
                returned += 1
                reasons[outcome.reason or "NONE"] += 1
            else:
                unchanged += 1
        session.flush()
    # every registration at once, in id order (see lifecycle.mark_accounts_rejected)
    flagged = lifecycle.mark_accounts_rejected(session, to_flag, actor, now)
    return ReturnsImport(
        msg_id=report.msg_id,
        kind=report.kind,
        created=True,
        settled=settled,
        returned=returned,
        unchanged=unchanged,
        unknown=tuple(unknown),
        registrations_flagged=len(flagged),
        flagged=tuple(flagged),
        by_reason=tuple(sorted(reasons.items())),
        not_applied=tuple(held_back),
    )


def _mark_returned(
    item: BatchItem, order: PaymentOrder, reason: str | None, to_flag: dict[int, str | None]
) -> None:
    """The order came back; for an account reason, note the registration it was paid into,
    to be flagged (with every other owner's registration of that account) so that the next
    batch holds the payee."""
    orders.mark_returned(order, reason)
    if reason in ACCOUNT_REASONS:
        to_flag.setdefault(item.registration_id, reason)


def _not_applicable(outcome: TxOutcome, item: BatchItem) -> str | None:
    """Why a camt.054 return must not change its order (``None``: apply it)."""
    if not outcome.booked:
        return "not a booked credit"
    if outcome.amount is not None and (
        outcome.currency not in (None, "DKK") or outcome.amount != money.kr(item.amount_ore)
    ):
        return f"{outcome.amount} {outcome.currency or ''} back, not the amount sent".strip()
    return None


def _pain002_outcomes(session: Session, parsed) -> Iterator[TxOutcome]:
    any_tx = False
    for tx in parsed.transactions:
        any_tx = True
        yield TxOutcome(tx.original_end_to_end_id or "", tx.status or "", tx.reason_code)
    if not any_tx and parsed.group_status in ACCEPTED | {REJECTED}:
        yield from _whole_message(
            session, parsed.original_msg_id, parsed.group_status, parsed.group_reason_code
        )


def _camt054_outcomes(parsed) -> Iterator[TxOutcome]:
    for credit in parsed.returns:
        booked = credit.entry_status in (None, "BOOK") and credit.credit_debit in (None, "CRDT")
        yield TxOutcome(
            credit.original_end_to_end_id or "",
            REJECTED,
            credit.reason_code,
            credit.amount,
            credit.currency,
            booked,
        )


def _check_file(path: Path) -> str:
    """Refuse a damaged file before anything is read into the database.

    The whole file is validated against its shipped XSD (pain.002 .03/.08/.12, camt.054
    .02/.08); a later version without a shipped schema is read as it is (the readers do not
    depend on one version). Returns the message type.
    """
    message = detect_message(path)
    try:
        result = iso20022.validate(path)
    except Iso20022Error as exc:
        if exc.code != "XML_UNKNOWN_MESSAGE":
            raise
        return message
    if not result.valid:
        first = result.errors[0]
        where = f" (line {first.line})" if first.line else ""
        raise InputError(
            "RETURNS_FILE_INVALID",
            f"{path.name} is not a valid {message}{where}: {first.message}",
            "file",
        )
    return message


def import_file(engine: Engine, path: Path, *, actor: str, now: dt.datetime) -> ReturnsImport:
    """Import one pain.002 or camt.054 file; see the module docstring."""
    path = Path(path)
    message = _check_file(path)
    if message.startswith("pain.002"):
        kind, parsed = "pain.002", pain002.read(path)
    elif message.startswith("camt.054"):
        kind, parsed = "camt.054", camt054.read(path)
    else:
        raise InputError(
            "RETURNS_WRONG_MESSAGE",
            f"{path.name} is a {message}, not a pain.002 or camt.054",
            "file",
        )
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.returns")
        if session.scalar(select(StatusReport.id).where(StatusReport.msg_id == parsed.msg_id)):
            return ReturnsImport(msg_id=parsed.msg_id, kind=kind, created=False)
        report = StatusReport(
            msg_id=parsed.msg_id,
            kind=kind,
            original_msg_id=getattr(parsed, "original_msg_id", None),
            group_status=getattr(parsed, "group_status", None),
            file_sha256=files.sha256_file(path),
            imported_at=now,
            actor=actor,
        )
        session.add(report)
        session.flush()
        outcomes = (
            _pain002_outcomes(session, parsed) if kind == "pain.002" else _camt054_outcomes(parsed)
        )
        result = _apply(session, outcomes, report, actor, now)
        audit.append(
            session,
            actor=actor,
            action="returns.import",
            subject=f"status_report:{report.id}",
            payload={
                "msg_id": result.msg_id,
                "kind": kind,
                "settled": result.settled,
                "returned": result.returned,
                "unknown": len(result.unknown),
                "not_applied": dict(result.not_applied),
                "flagged": result.registrations_flagged,
                "by_reason": dict(result.by_reason),
            },
            now=now,
        )
        return result


def apply_return(engine: Engine, end_to_end_id: str, *, actor: str, now: dt.datetime) -> str:
    """Apply a reported return that the import did not (``not_applied``), once the bank has
    confirmed that the whole transaction came back: the order becomes ``returned`` with the
    reported reason (an account reason also flags the registration), as the import would
    have done. Returns the reason.

    ``RETURN_NOT_REPORTED`` when no report returned this transaction;
    ``ORDER_NOT_SENT`` when it is not the order's latest payment, or the order is not
    ``sent`` / ``settled`` (already returned, say). Only for a whole return: after a partial
    one the payee kept part of the money, and a returned order is paid again in full.
    """
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")  # not while a run is choosing orders
        match = session.execute(
            select(BatchItem, PaymentOrder)
            .join(PaymentOrder, PaymentOrder.id == BatchItem.order_id)
            .where(BatchItem.end_to_end_id == end_to_end_id)
        ).first()
        if match is None:
            raise NotFound(
                "ORDER_NOT_FOUND", f"no transaction {end_to_end_id} was ever sent", "end_to_end_id"
            )
        item, order = match
        report = session.execute(
            select(StatusReportItem.reason_code)
            .where(
                StatusReportItem.end_to_end_id == end_to_end_id, StatusReportItem.status == REJECTED
            )
            .order_by(StatusReportItem.id.desc())
        ).first()
        if report is None:
            raise ConflictError(
                "RETURN_NOT_REPORTED",
                f"no bank report returned {end_to_end_id}; import the bank's file first",
                "end_to_end_id",
            )
        reported = report[0]
        if item.attempt != order.attempts or order.status not in (
            OrderStatus.SENT,
            OrderStatus.SETTLED,
        ):
            raise ConflictError(
                "ORDER_NOT_SENT",
                f"{end_to_end_id} is not a payment waiting "
                f"for the bank's answer (its order is {order.status})",
                "end_to_end_id",
            )
        to_flag: dict[int, str | None] = {}
        _mark_returned(item, order, reported, to_flag)
        flagged = bool(lifecycle.mark_accounts_rejected(session, to_flag, actor, now))
        audit.append(
            session,
            actor=actor,
            action="order.return_applied",
            subject=f"order:{order.id}",
            payload={
                "end_to_end_id": end_to_end_id,
                "return_reason": reported,
                "amount_ore": order.amount_ore,
                "registration_flagged": flagged,
            },
            now=now,
        )
        return reported or "NONE"


def requeue(engine: Engine, end_to_end_id: str, *, actor: str, now: dt.datetime) -> str:
    """Pay again the order of a transaction the bank returned for a reason that is not the
    account's, named by its end-to-end id as in the bank's report.

    Returns the reason it had been returned for. An order returned for an account reason
    is retried by the batch itself once its payee has a new account
    (``ORDER_RETRIED_AUTOMATICALLY``); an order that is not ``returned`` cannot be requeued
    (``ORDER_NOT_RETURNED``). The reason stays in the status report items and the audit log.
    """
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")  # not while a run is choosing orders
        order = session.scalar(
            select(PaymentOrder)
            .join(BatchItem, BatchItem.order_id == PaymentOrder.id)
            .where(BatchItem.end_to_end_id == end_to_end_id)
        )
        if order is None:
            raise NotFound(
                "ORDER_NOT_FOUND", f"no transaction {end_to_end_id} was ever sent", "end_to_end_id"
            )
        if order.status != OrderStatus.RETURNED:
            raise ConflictError(
                "ORDER_NOT_RETURNED",
                f"the order of {end_to_end_id} is {order.status}, not returned",
                "end_to_end_id",
            )
        reason = order.return_reason or "NONE"
        if reason in ACCOUNT_REASONS:
            raise ConflictError(
                "ORDER_RETRIED_AUTOMATICALLY",
                f"{end_to_end_id} was returned for {reason}, an account "
                "reason: the batch pays it once the payee has a new account",
                "end_to_end_id",
            )
        orders.requeue(order)
        audit.append(
            session,
            actor=actor,
            action="order.requeued",
            subject=f"order:{order.id}",
            payload={
                "end_to_end_id": end_to_end_id,
                "return_reason": reason,
                "amount_ore": order.amount_ore,
            },
            now=now,
        )
        return reason
