"""Bank answers: pain.002 status reports and camt.054 notifications, as banks send them.

``import_file(engine, path, actor=…, now=…)`` reads the file through
:func:`iso20022.read_bank_answer` — validated against its shipped official XSD before
anything is read (a version without a shipped schema is refused, never read unvalidated; a
FIFO or a device is refused at once) — then, in one transaction that serialises with the
batch's release (both take the batch lock: an answer never races the release it answers):

- refuses nothing twice: a message id already imported changes nothing (``created`` False);
- a pain.002 must answer a file this engine sent (``OrgnlMsgId`` compared exactly as sent),
  else ``RETURNS_UNKNOWN_MESSAGE``; and that file's batch must be released, else
  ``RETURNS_BATCH_NOT_RELEASED``. Either is refused (exit 1) and *not* recorded as imported,
  so the same file applies once the batch is released;
- what each status means, as ISO defines it (:func:`iso20022.pain002.status_meaning`):

  =============================  =========================================================
  status                         the order
  =============================  =========================================================
  ACTC, ACCP, ACSP, ACWC, PDNG   ``sent`` → ``accepted``: in progress, not yet paid
  ACSC, ACCC; a booked camt.054  ``sent`` / ``accepted`` → ``settled``
  debit of our account for it
  RJCT; a booked camt.054        ``sent`` / ``accepted`` / ``settled`` → ``returned`` with
  return of the amount sent      the ISO reason
  anything else                  unchanged, reported for a clerk (``not_applied``, exit 1)
  =============================  =========================================================

- every level counts: a group ``RJCT`` returns every transaction of the original file with
  its reason (whatever follows it); a payment-information ``RJCT`` (the CGI guide's "reject
  of a debit entry", e.g. AM04 when the agency's own account lacks funds) returns every
  transaction of that ``PmtInf``, listed or not; a group or ``PmtInf`` status with no
  transactions below it answers for all of them; under ``PART`` the transactions listed say
  which;
- contradictions are reported, never resolved first-wins: a transaction rejected and
  accepted in the same file changes nothing and is reported (exit 1). The file is read
  twice for that (the readers stream; the first pass keeps one small integer per
  transaction), so nothing is applied before the whole file is known;
- an account reason (AC01, AC04, AC06, AG01, MD07) also flags the registration paid into —
  and every current registration of that account (:func:`lifecycle.mark_accounts_rejected`)
  — so the next batch holds the payee until a new account exists, then pays it again. Other
  reasons (BE04, MS03, AM04, …) leave the order ``returned`` for a clerk, who requeues it
  (:func:`requeue`) once the cause is dealt with;
- a status for an earlier attempt of an order paid again since changes nothing;
- end-to-end ids the engine never sent are kept (``order_id`` null) and reported;
- a camt.054 return is applied only when it is a booked credit of the amount and currency
  sent; otherwise it is recorded, reported (``not_applied``) and applied by a clerk with
  :func:`apply_return` once the whole amount came back.

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
from iso20022.errors import XmlInputError
from payments import audit, money, orders
from payments.db import lock_for_writing, session_scope
from payments.errors import ConflictError, InputError, NotFound
from payments.models import (
    Batch,
    BatchFile,
    BatchItem,
    PaymentOrder,
    StatusReport,
    StatusReportItem,
)
from payments.orders import ACCOUNT_REASONS
from payments.registry import lifecycle
from payments.statuses import BatchStatus, OrderStatus

REJECTED = "RJCT"
IN_PROGRESS, SETTLED, RETURNED = "in_progress", "settled", "rejected"
CHUNK = 1000
#: orders a rejection or return may still change (paid, or on their way)
_RETURNABLE = (OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.SETTLED)


@dataclass(frozen=True, slots=True)
class TxOutcome:
    end_to_end_id: str
    status: str
    reason: str | None
    meaning: str | None  # in_progress | settled | rejected | None (not understood)
    amount: Decimal | None = None  # what a camt.054 says moved, when it says
    currency: str | None = None
    booked: bool = True  # a camt.054 entry booked (not pending), in the expected direction
    why_not: str | None = None  # known already not to apply (contradiction, unknown message)


@dataclass(frozen=True, slots=True)
class ReturnsImport:
    msg_id: str
    kind: str
    created: bool
    settled: int = 0
    accepted: int = 0
    returned: int = 0
    unchanged: int = 0
    unknown: tuple[str, ...] = ()
    registrations_flagged: int = 0
    #: whose account the bank refused (masked owner and account), every owner of it
    flagged: tuple[lifecycle.Flagged, ...] = ()
    by_reason: tuple[tuple[str, int], ...] = ()
    not_applied: tuple[tuple[str, str], ...] = ()  # (end-to-end id, why), for a clerk

    @property
    def needs_a_clerk(self) -> bool:
        """Something in the file was not applied: the command exits 1."""
        return bool(self.unknown or self.not_applied)


def _chunks(items: Iterable[TxOutcome]) -> Iterator[list[TxOutcome]]:
    chunk: list[TxOutcome] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sent_in(session: Session, batch_file: BatchFile) -> Iterator[str]:
    """The end-to-end ids of the transactions of one of our files, in file order."""
    rows = session.execute(
        select(BatchItem.end_to_end_id)
        .where(BatchItem.batch_id == batch_file.batch_id, BatchItem.file_seq == batch_file.seq)
        .order_by(BatchItem.order_id)
        .execution_options(yield_per=10_000)
    )
    for (e2e,) in rows:
        yield e2e


def _apply(
    session: Session,
    outcomes: Iterable[TxOutcome],
    report: StatusReport,
    actor: str,
    now: dt.datetime,
) -> ReturnsImport:
    settled = accepted = returned = unchanged = 0
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
                    status=(outcome.status or "")[:4],
                    reason_code=outcome.reason,
                    order_id=match[1].id if match else None,
                )
            )
            if match is None:
                unknown.append(outcome.end_to_end_id)
                continue
            item, order = match
            why = outcome.why_not or _not_applicable(outcome, item)
            if why:
                held_back.append((outcome.end_to_end_id, why))
                continue
            if item.attempt != order.attempts:
                # an earlier attempt of an order paid again since (the same return in an
                # intraday and an end-of-day report): it says nothing of the latest one
                unchanged += 1
                continue
            if outcome.meaning == SETTLED and orders.settle(order):
                settled += 1
            elif outcome.meaning == IN_PROGRESS and orders.accept(order):
                accepted += 1
            elif outcome.meaning == RETURNED and order.status in _RETURNABLE:
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
        accepted=accepted,
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
    """Why a status must not change its order (``None``: apply it)."""
    if outcome.meaning is None:
        return f"status {outcome.status or '(none)'} is not one the engine acts on"
    if not outcome.booked:
        return "not a booked entry"
    if outcome.amount is not None and (
        outcome.currency not in (None, "DKK") or outcome.amount != money.kr(item.amount_ore)
    ):
        return f"{outcome.amount} {outcome.currency or ''}, not the amount sent".strip()
    return None


# -- pain.002 ----------------------------------------------------------------------------

_REJECTED_BIT, _POSITIVE_BIT = 1, 2


def _contradicted(report: pain002.StatusReport) -> set[int]:
    """First pass: the transactions the file both rejects and accepts (by the hash of their
    end-to-end id: one small integer per transaction in memory, not the ids). A collision
    can only report a transaction for a clerk, never apply a wrong status."""
    seen: dict[int, int] = {}
    for item in report.statuses:
        if isinstance(item, pain002.PaymentInfoStatus):
            continue
        meaning = pain002.status_meaning(item.status)
        bit = _REJECTED_BIT if meaning == RETURNED else _POSITIVE_BIT if meaning else 0
        if bit:
            key = hash(item.original_end_to_end_id)
            seen[key] = seen.get(key, 0) | bit
    return {key for key, bits in seen.items() if bits == _REJECTED_BIT | _POSITIVE_BIT}


def _blocks(report: pain002.StatusReport) -> dict[str | None, pain002.PaymentInfoStatus]:
    return {b.original_payment_info_id: b for b in report.payment_infos}


def _pain002_outcomes(
    session: Session, report: pain002.StatusReport, sent: BatchFile
) -> Iterator[TxOutcome]:
    """Every transaction status the report gives, at whichever level it gives it.

    A group ``RJCT`` rejects every transaction of the file, and a block ``RJCT`` every one
    of its block: each listed transaction with its own reason (else the block's, else the
    group's), every transaction not listed with the block's or the group's reason. A group
    or block status with nothing listed below it answers for all its transactions.
    """
    group = pain002.status_meaning(report.group_status)
    if report.answers_whole_message and group:
        for e2e in _sent_in(session, sent):
            yield TxOutcome(e2e, report.group_status, report.group_reason_code, group)
        return
    blocks = _blocks(report)
    rejected_blocks = {
        pid for pid, b in blocks.items() if pain002.status_meaning(b.status) == RETURNED
    }
    whole = {pid for pid, b in blocks.items() if _answers_whole_block(b)} - rejected_blocks
    contradicted = set() if group == RETURNED else _contradicted(report)
    listed: set[int] = set()  # of rejected blocks or a rejected group: who has its own reason
    for item in report.statuses:
        if isinstance(item, pain002.PaymentInfoStatus):
            continue
        e2e = item.original_end_to_end_id or ""
        block = blocks.get(item.original_payment_info_id)
        if group == RETURNED or item.original_payment_info_id in rejected_blocks:
            listed.add(hash(e2e))
            reason = item.reason_code or (block and block.reason_code) or report.group_reason_code
            yield TxOutcome(e2e, REJECTED, reason, RETURNED)
            continue
        if item.original_payment_info_id in whole:
            continue  # the block's own status answers for every transaction in it
        why = "rejected and accepted in the same file" if hash(e2e) in contradicted else None
        meaning = pain002.status_meaning(item.status)
        yield TxOutcome(e2e, item.status or "", item.reason_code, meaning, why_not=why)
    # our files hold one PmtInf each (``<MsgId>-1``): a block's transactions are the file's
    if group == RETURNED or rejected_blocks:
        block = blocks[min(rejected_blocks)] if rejected_blocks else None
        reason = (block and block.reason_code) or report.group_reason_code
        for e2e in _sent_in(session, sent):
            if hash(e2e) not in listed:
                yield TxOutcome(e2e, REJECTED, reason, RETURNED)
        return
    for pid in whole:
        block = blocks[pid]
        for e2e in _sent_in(session, sent):
            yield TxOutcome(
                e2e, block.status, block.reason_code, pain002.status_meaning(block.status)
            )


def _answers_whole_block(block: pain002.PaymentInfoStatus) -> bool:
    """A rejected block rejects all its transactions, listed or not; a block accepted or
    settled with no transaction listed answers for all of them."""
    meaning = pain002.status_meaning(block.status)
    return meaning == RETURNED or (
        meaning in (IN_PROGRESS, SETTLED) and not block.transaction_count
    )


def _answered_file(session: Session, report: pain002.StatusReport) -> BatchFile:
    """The file of ours the report answers, released; else refused (not recorded)."""
    sent = session.scalar(select(BatchFile).where(BatchFile.msg_id == report.original_msg_id))
    if sent is None:
        raise ConflictError(
            "RETURNS_UNKNOWN_MESSAGE",
            f"the report answers message {report.original_msg_id!r}, which this engine never "
            "sent; nothing was imported",
            "file",
        )
    status = session.scalar(select(Batch.status).where(Batch.id == sent.batch_id))
    if status != BatchStatus.RELEASED:
        raise ConflictError(
            "RETURNS_BATCH_NOT_RELEASED",
            f"the report answers batch {sent.batch_id}, which is {status}, not released; "
            "nothing was imported (import it again once the batch is released)",
            "file",
        )
    return sent


# -- camt.054 ----------------------------------------------------------------------------


def _camt054_outcomes(session: Session, notification: camt054.Notification) -> Iterator[TxOutcome]:
    known: dict[str, bool] = {}

    def unknown_message(msg_id: str | None) -> str | None:
        if not msg_id:
            return None
        if msg_id not in known:
            known[msg_id] = (
                session.scalar(select(BatchFile.id).where(BatchFile.msg_id == msg_id)) is not None
            )
        return None if known[msg_id] else f"answers message {msg_id!r}, never sent by the engine"

    for entry in notification.entries:
        if isinstance(entry, camt054.BookedDebit):  # our account debited for the payment
            yield TxOutcome(
                entry.end_to_end_id, "BOOK", None, SETTLED, entry.amount, entry.currency,
                why_not=unknown_message(entry.original_msg_id),
            )  # fmt: skip
            continue
        booked = entry.entry_status in (None, "BOOK") and entry.credit_debit in (None, "CRDT")
        yield TxOutcome(
            entry.original_end_to_end_id or "", REJECTED, entry.reason_code, RETURNED,
            entry.amount, entry.currency, booked and not entry.reversal,
            why_not=unknown_message(entry.original_msg_id),
        )  # fmt: skip


# -- the import --------------------------------------------------------------------------


def _read(path: Path) -> iso20022.BankAnswer:
    """The validated answer, with the engine's codes for what is not one."""
    try:
        return iso20022.read_bank_answer(path)
    except XmlInputError as exc:
        if exc.code == "XML_SCHEMA_INVALID":
            raise InputError(
                "RETURNS_FILE_INVALID", f"{path.name}: {exc.message}", "file"
            ) from None
        if exc.code == "XML_WRONG_MESSAGE":
            raise InputError(
                "RETURNS_WRONG_MESSAGE", f"{path.name} is not a pain.002 or camt.054", "file"
            ) from None
        raise


def import_file(engine: Engine, path: Path, *, actor: str, now: dt.datetime) -> ReturnsImport:
    """Import one pain.002 or camt.054 file; see the module docstring."""
    path = Path(path)
    with _read(path) as answer, session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")  # never beside the release it answers
        lock_for_writing(session, "payments.returns")
        parsed = answer.report
        if session.scalar(select(StatusReport.id).where(StatusReport.msg_id == parsed.msg_id)):
            return ReturnsImport(msg_id=parsed.msg_id, kind=answer.kind, created=False)
        sent = _answered_file(session, parsed) if answer.kind == "pain.002" else None
        report = StatusReport(
            msg_id=parsed.msg_id,
            kind=answer.kind,
            original_msg_id=getattr(parsed, "original_msg_id", None),
            group_status=getattr(parsed, "group_status", None),
            file_sha256=answer.sha256,
            imported_at=now,
            actor=actor,
        )
        session.add(report)
        session.flush()
        outcomes = (
            _pain002_outcomes(session, parsed, sent)
            if sent is not None
            else _camt054_outcomes(session, parsed)
        )
        result = _apply(session, outcomes, report, actor, now)
        audit.append(
            session,
            actor=actor,
            action="returns.import",
            subject=f"status_report:{report.id}",
            payload={
                "msg_id": result.msg_id,
                "kind": answer.kind,
                "settled": result.settled,
                "accepted": result.accepted,
                "returned": result.returned,
                "unknown": len(result.unknown),
                "not_applied": len(result.not_applied),
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
        if item.attempt != order.attempts or order.status not in _RETURNABLE:
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
