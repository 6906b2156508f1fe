"""Bank answers: pain.002 status reports and camt.054 notifications, as banks send them.

``import_file(engine, path, actor=…, now=…)`` reads the file through
:func:`iso20022.read_bank_answer` — validated against its shipped official XSD before
anything is read (a version without a shipped schema is refused, never read unvalidated; a
FIFO or a device is refused at once) — then, in one transaction that serialises with the
batch's release (both take the batch lock: an answer never races the release it answers):

- a pain.002 is validated by the very pass that stages its statuses (one read of the file;
  the statuses wait in a temporary table, and nothing is applied — or refused for its
  content — before the whole file has proved valid; any failure is judged by a full
  validation, so an invalid file is ``RETURNS_FILE_INVALID``);
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
  once, streaming, into a temporary table, and applied set-based only once the whole file
  is known (:mod:`payments.returns_apply`); a file that names one transaction twice
  without contradicting itself moves its order once, by the strongest status (settled
  before accepted);
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

Every transaction status read is stored (``status_report_items``) for reconciliation,
with what the import did with it (``outcome``); :mod:`payments.returned` lists a report's
returned transactions with whose account it was and what happens next. A proprietary
reason longer than ISO's four characters is stored by its first four.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import iso20022
from iso20022 import camt054, pain002
from iso20022.errors import XmlInputError
from payments import audit, money, orders
from payments import returns_apply as apply_
from payments.batch import states
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
from payments.statuses import AnswerOutcome as Outcome
from payments.statuses import BatchStatus, OrderStatus

REJECTED = "RJCT"
IN_PROGRESS, SETTLED, RETURNED = apply_.IN_PROGRESS, apply_.SETTLED, apply_.RETURNED
#: orders a rejection or return may still change (paid, or on their way)
_RETURNABLE = orders.RETURNABLE
Staged = apply_.Staged


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
    #: the report's id: its returned transactions are listed by :func:`returned_in`
    report_id: int | None = None

    @property
    def needs_a_clerk(self) -> bool:
        """Something in the file was not applied: the command exits 1."""
        return bool(self.unknown or self.not_applied)


def _code(reason: str | None) -> str | None:
    """A reason as the columns hold it: ISO's 4-letter code (a longer proprietary reason
    by its first four characters)."""
    return reason[:4] if reason else reason


def _apply(session: Session, report: StatusReport, actor: str, now: dt.datetime) -> ReturnsImport:
    """Decide and apply what the staged statuses do (:mod:`payments.returns_apply`)."""
    apply_.decide(session)
    counts, by_reason = apply_.apply(session, report.id)
    unknown, held_back, to_flag = apply_.singled_out(session)
    # every registration at once, in id order (see lifecycle.mark_accounts_rejected)
    flagged = lifecycle.mark_accounts_rejected(session, to_flag, actor, now)
    apply_.drop(session)
    return ReturnsImport(
        msg_id=report.msg_id,
        kind=report.kind,
        created=True,
        settled=counts.get(Outcome.SETTLED, 0),
        accepted=counts.get(Outcome.ACCEPTED, 0),
        returned=counts.get(Outcome.RETURNED, 0),
        unchanged=counts.get(Outcome.UNCHANGED, 0),
        unknown=unknown,
        registrations_flagged=len(flagged),
        flagged=tuple(flagged),
        by_reason=tuple(by_reason.items()),
        not_applied=held_back,
        report_id=report.id,
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


# -- pain.002 ----------------------------------------------------------------------------


def _stage_pain002(session: Session, report: pain002.StatusReport, sent: BatchFile) -> None:
    """Every transaction status the report gives, at whichever level it gives it, staged.

    A group ``RJCT`` rejects every transaction of the file, and a block ``RJCT`` every one
    of its block: each listed transaction with its own reason (else the block's, else the
    group's), every transaction not listed with the block's or the group's reason. A group
    or block status with nothing listed below it answers for all its transactions.

    The file is read once: the transactions are staged as listed, with their block, and the
    blocks (whose statuses follow their transactions in the file) are kept aside; then a
    rejected block's or group's listed transactions are rejected
    (:func:`payments.returns_apply.reject_listed`), those a level answers for without
    listing them are taken from the database (:func:`payments.returns_apply.sweep`), and a
    listed transaction both rejected and accepted is kept back
    (:func:`payments.returns_apply.flag_contradictions`).
    """
    group = pain002.status_meaning(report.group_status)
    group_reason = _code(report.group_reason_code)
    if report.answers_whole_message and group:
        apply_.stage(session, ())
        apply_.sweep(session, 0, sent.batch_id, sent.seq, report.group_status, group_reason,
                     group, unlisted_only=False)  # fmt: skip
        return
    blocks: dict[str | None, pain002.PaymentInfoStatus] = {}
    meaning = pain002.status_meaning

    def rows() -> Iterator[tuple]:  # a million times: positional, nothing twice
        # plain tuples laid out as Staged (a named tuple's constructor costs ten times more)
        for item in report.statuses:
            if isinstance(item, pain002.PaymentInfoStatus):
                blocks[item.original_payment_info_id] = item
                continue
            status = item.status or ""
            raw = meaning(status)
            reason = item.reason_code
            yield (
                item.original_end_to_end_id or "", status[:4], reason and reason[:4], raw, raw,
                0, 1, None, None, None, item.original_payment_info_id,
            )  # fmt: skip

    rejected_seen, positive_seen = apply_.stage(session, rows())
    rejected_blocks = {
        pid for pid, b in blocks.items() if pain002.status_meaning(b.status) == RETURNED
    }
    whole = {pid for pid, b in blocks.items() if _answers_whole_block(b)} - rejected_blocks
    for pid in sorted(rejected_blocks if group != RETURNED else blocks, key=str):
        apply_.reject_listed(session, pid, _code(blocks[pid].reason_code) or group_reason)
    if group == RETURNED:
        apply_.reject_listed(session, None, group_reason, every_block=True)
    elif rejected_seen and positive_seen:
        apply_.flag_contradictions(session)
    # our files hold one PmtInf each (``<MsgId>-1``): a block's transactions are the file's
    if group == RETURNED or rejected_blocks:
        block = blocks[min(rejected_blocks, key=str)] if rejected_blocks else None
        reason = _code((block and block.reason_code) or report.group_reason_code)
        apply_.sweep(session, 0, sent.batch_id, sent.seq, REJECTED, reason, RETURNED,
                     unlisted_only=True)  # fmt: skip
        return
    for number, pid in enumerate(sorted(whole, key=str)):
        block = blocks[pid]
        apply_.sweep(session, number, sent.batch_id, sent.seq, block.status,
                     _code(block.reason_code), pain002.status_meaning(block.status),
                     unlisted_only=False)  # fmt: skip


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


def _amount(amount: Decimal | None, currency: str | None) -> tuple[int | None, str | None]:
    """``(øre to compare with the amount sent, why it differs)``; ``why`` alone when no
    amount in DKK øre can be the one sent."""
    if amount is None:
        return None, None
    why = f"{amount} {currency or ''}, not the amount sent".strip()
    if currency not in (None, "DKK") or amount != amount.quantize(Decimal("0.01")):
        return None, why
    return money.ore(amount), why


def _stage_camt054(session: Session, notification: camt054.Notification) -> None:
    known: dict[str, bool] = {}

    def unknown_message(msg_id: str | None) -> str | None:
        if not msg_id:
            return None
        if msg_id not in known:
            known[msg_id] = (
                session.scalar(select(BatchFile.id).where(BatchFile.msg_id == msg_id)) is not None
            )
        return None if known[msg_id] else f"answers message {msg_id!r}, never sent by the engine"

    def rows() -> Iterator[Staged]:
        for entry in notification.entries:
            if isinstance(entry, camt054.BookedDebit):  # our account debited for the payment
                ore, why = _amount(entry.amount, entry.currency)
                yield Staged(
                    entry.end_to_end_id or "", "BOOK", None, SETTLED, amount_ore=ore,
                    amount_why=why,
                    why_not=unknown_message(entry.original_msg_id) or (why if ore is None
                                                                       else None),
                )  # fmt: skip
                continue
            booked = entry.entry_status in (None, "BOOK") and entry.credit_debit in (None, "CRDT")
            ore, why = _amount(entry.amount, entry.currency)
            why_not = unknown_message(entry.original_msg_id)
            if why_not is None and not (booked and not entry.reversal):
                why_not = "not a booked entry"
            if why_not is None and why is not None and ore is None:
                why_not = why
            yield Staged(
                entry.original_end_to_end_id or "", REJECTED, _code(entry.reason_code),
                RETURNED, amount_ore=ore, amount_why=why, why_not=why_not,
            )  # fmt: skip

    apply_.stage(session, rows())


# -- the import --------------------------------------------------------------------------


@contextmanager
def _coded(path: Path) -> Iterator[None]:
    """The engine's codes for a file that is not a valid bank answer."""
    try:
        yield
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


def _read(path: Path) -> iso20022.BankAnswer:
    """The answer, open: a camt.054 validated already, a pain.002 validated by the pass
    that stages it (one pass of the file for both: :func:`iso20022.read_bank_answer`,
    ``validate_while_reading``); :meth:`~iso20022.BankAnswer.require_valid` before
    anything is applied or refused."""
    with _coded(path):
        return iso20022.read_bank_answer(path, validate_while_reading=True)


def import_file(engine: Engine, path: Path, *, actor: str, now: dt.datetime) -> ReturnsImport:
    """Import one pain.002 or camt.054 file; see the module docstring."""
    path = Path(path)
    with _read(path) as answer, session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")  # never beside the release it answers
        lock_for_writing(session, "payments.returns")
        parsed = answer.report
        before = session.scalar(select(StatusReport.id).where(StatusReport.msg_id == parsed.msg_id))
        if before is not None:
            with _coded(path):
                answer.require_valid()  # an invalid file is that, even when seen before
            return ReturnsImport(
                msg_id=parsed.msg_id, kind=answer.kind, created=False, report_id=before
            )
        try:
            sent = _answered_file(session, parsed) if answer.kind == "pain.002" else None
        except ConflictError:
            with _coded(path):
                answer.require_valid()  # an invalid file is refused as that first
            raise
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
        if session.get_bind().dialect.name == "postgresql":
            # the joins and sorts of a million statuses in memory, not in temporary files;
            # no JIT: compiling these plain statements costs more than it saves
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL jit = off"))
        with _coded(path):
            if sent is not None:
                _stage_pain002(session, parsed, sent)  # validates as it reads
            else:
                _stage_camt054(session, parsed)
            answer.require_valid()  # nothing is applied before the whole file is valid
        result = _apply(session, report, actor, now)
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
            select(StatusReportItem.reason_code, StatusReportItem.id)
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
        before = order.status
        _mark_returned(item, order, reported, to_flag)
        # the batch's counts per state (the batch page): this transaction is returned
        states.move(session, [(item.batch_id, before, OrderStatus.RETURNED, 1, item.amount_ore)])
        # the report's item now says what was done with it (its returned transactions list it)
        session.execute(
            update(StatusReportItem)
            .where(StatusReportItem.id == report[1])
            .values(outcome=Outcome.RETURNED)
        )
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
