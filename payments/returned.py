"""What a clerk is told about each transaction a bank answer returned.

For every transaction an import marked ``returned`` (``status_report_items.outcome``):
whose account it was — the owner of the registration the money was paid into and that
account, masked (``010190-****``, ``****1234``; a CVR is public and shown) unless
``reveal`` is asked for, and then audited under the actor who asked, before anything is
shown — and what happens next:

==============================  ========================================================
the order now                   ``next`` (``next_step``)
==============================  ========================================================
returned for an account reason  ``new_account``: held until a new account is registered;
(AC01, AC04, AC06, AG01, MD07)  the night pays it by itself once there is one
(``orders.ACCOUNT_REASONS``),
or held for it since
returned for another reason     ``requeue``: a clerk deals with the cause, then
(AM04, BE04, MS03, …)           ``payments returns requeue END_TO_END_ID``
anything else (requeued and     ``none``: it has moved on (``state`` says where)
paid again, cancelled, …)
==============================  ========================================================

:func:`returned_in` streams them in file order, from the database (one row in memory at a
time), so a report of 1,000,000 returned transactions is listed in flat memory; what the
command line shows of them is its choice (``payments returns import`` / ``show``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from identifiers import mask_account, mask_owner
from payments import actors, audit, money, orders
from payments.db import session_scope
from payments.errors import NotFound
from payments.models import AccountRegistration, BatchItem, PaymentOrder, StatusReport
from payments.models import StatusReportItem as Item
from payments.registry.lifecycle import Account
from payments.statuses import AnswerOutcome, HoldReason, OrderStatus

NEW_ACCOUNT, REQUEUE, NONE = "new_account", "requeue", "none"
_FETCH = 1_000  # a clerk's screen wants the first 50; flat memory for the rest


@dataclass(frozen=True, slots=True)
class Returned:
    """One returned transaction, as shown (masked unless revealed)."""

    end_to_end_id: str
    order_id: int
    amount: object  # Decimal kr
    reason: str | None
    owner: str
    account: str
    state: str  # the order's status now
    next_step: str  # new_account | requeue | none

    @property
    def next_text(self) -> str:
        """The next step in a clerk's words."""
        if self.next_step == NEW_ACCOUNT:
            return "held until a new account is registered"
        if self.next_step == REQUEUE:
            return f"requeue needed: `payments returns requeue {self.end_to_end_id}`"
        return f"nothing: the order is {self.state} now"


def next_step(status: str, reason: str | None, hold_reason: str | None) -> str:
    """What happens next to an order whose payment came back (see the module docstring)."""
    if status == OrderStatus.RETURNED:
        return NEW_ACCOUNT if reason in orders.ACCOUNT_REASONS else REQUEUE
    if status == OrderStatus.HELD and hold_reason == HoldReason.REJECTED_BY_BANK:
        return NEW_ACCOUNT
    return NONE


def report_id(engine: Engine, msg_id: str) -> int:
    """The id of the imported report with message id ``msg_id`` (``RETURNS_REPORT_NOT_FOUND``
    otherwise)."""
    with session_scope(engine) as session:
        found = session.scalar(select(StatusReport.id).where(StatusReport.msg_id == msg_id))
    if found is None:
        raise NotFound(
            "RETURNS_REPORT_NOT_FOUND", f"no bank answer {msg_id!r} was imported", "msg_id"
        )
    return found


def returned_in(
    engine: Engine,
    report: int,
    *,
    reveal: bool = False,
    actor: str | None = None,
    now: dt.datetime | None = None,
) -> Iterator[Returned]:
    """The transactions report ``report`` returned, in file order (see the module
    docstring). A reveal is written to the audit log first, and committed, so nothing is
    shown without its audit row."""
    if reveal:
        if actor is None or now is None:
            raise ValueError("a reveal is audited: give the actor and the time")  # a bug
        with session_scope(engine) as session:
            audit.append(
                session,
                actor=actors.actor(actor),
                action="returns.revealed",
                subject=f"status_report:{report}",
                payload={"what": "owners and accounts of the returned transactions"},
                now=now,
            )
    i, o, b, r = Item, PaymentOrder, BatchItem, AccountRegistration
    query = (
        select(
            i.end_to_end_id,
            o.id,
            b.amount_ore,
            i.reason_code,
            o.status,
            o.return_reason,
            o.hold_reason,
            r.owner_kind,
            r.owner_number,
            r.reg_no,
            r.account_no,
            r.iban,
            r.bic,
        )  # fmt: skip
        .join(o, o.id == i.order_id)
        .join(b, b.end_to_end_id == i.end_to_end_id)
        .join(r, r.id == b.registration_id)
        .where(i.report_id == report, i.outcome == AnswerOutcome.RETURNED)
        .order_by(i.id)
        .execution_options(stream_results=True, yield_per=_FETCH)
    )
    with session_scope(engine) as session:
        for row in session.execute(query):
            e2e, order_id, amount_ore, reason, status, order_reason, hold = row[:7]
            kind, number, reg_no, account_no, iban, bic = row[7:]
            if reveal:
                owner = number
                account = Account(reg_no, account_no, iban, bic).reveal()
            else:
                owner, account = mask_owner(kind, number), mask_account(reg_no, account_no, iban)
            yield Returned(
                e2e, order_id, money.kr(amount_ore), reason, owner, account, status,
                next_step(status, order_reason or reason, hold),
            )  # fmt: skip
