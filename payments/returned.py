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
:func:`first_of_import` is the bounded view of one import — its first returned
transactions and its first statuses not applied (why, whose account, ``apply`` once the
bank confirms a return, else ``check``), each with its count — that the HTTP API answers
``POST /v1/returns`` with.
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

    def as_dict(self) -> dict[str, object]:
        """As the CLI's ``--json`` and the API list it (the amount a ``Decimal``)."""
        return {
            "end_to_end_id": self.end_to_end_id,
            "order_id": self.order_id,
            "amount": self.amount,
            "reason": self.reason,
            "owner": self.owner,
            "account": self.account,
            "state": self.state,
            "next": self.next_step,
            "next_text": self.next_text,
        }


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
    limit: int | None = None,
) -> Iterator[Returned]:
    """The transactions report ``report`` returned, in file order (see the module
    docstring); the first ``limit`` of them when given. A reveal is written to the audit
    log first, and committed, so nothing is shown without its audit row.

    A ``limit`` is for a screen's first lines: the database then joins those few
    transactions only, instead of every one the report returned (50,000 in a
    million-status answer: 0.6-1.4 s, for 50 lines)."""
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
    o, b, r = PaymentOrder, BatchItem, AccountRegistration
    # the report's returned items first, and with a limit only the first few of them, so
    # that only those are joined (right after an import the planner has no statistics of
    # the new items and would join every one of them before sorting)
    items = select(Item.id, Item.end_to_end_id, Item.reason_code, Item.order_id).where(
        Item.report_id == report, Item.outcome == AnswerOutcome.RETURNED
    )
    if limit is not None:
        items = items.order_by(Item.id).limit(limit)
    i = items.subquery()
    query = (
        select(
            i.c.end_to_end_id,
            o.id,
            b.amount_ore,
            i.c.reason_code,
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
        .select_from(i)
        .join(o, o.id == i.c.order_id)
        .join(b, b.end_to_end_id == i.c.end_to_end_id)
        .join(r, r.id == b.registration_id)
        .order_by(i.c.id)
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


# -- what an import shows at once: the first few of each list, and how many there are -----

#: the next step of a status recorded but not applied
APPLY, CHECK = "apply", "check"


@dataclass(frozen=True, slots=True)
class NotApplied:
    """One transaction status an import recorded but did not apply, as shown (masked):
    whose account the transaction was paid into (None for an end-to-end id never sent)
    and what a clerk does next."""

    end_to_end_id: str
    why: str
    status: str
    reason: str | None
    order_id: int | None
    owner: str | None
    account: str | None
    next_step: str  # apply | check

    @property
    def next_text(self) -> str:
        if self.next_step == APPLY:
            return (
                "apply it once the bank confirms the whole amount came back: "
                f"`payments returns apply {self.end_to_end_id}`"
            )
        return "check it with the bank: nothing was changed"


@dataclass(frozen=True, slots=True)
class FirstOfImport:
    """The first ``limit`` returned and not-applied transactions of one import, in file
    order, with how many there are of each: a bounded answer to show at once (the command
    line's text, the HTTP API's answer). ``payments returns show`` and
    :func:`returned_in` list every returned one."""

    returned: tuple[Returned, ...]
    returned_total: int
    not_applied: tuple[NotApplied, ...]
    not_applied_total: int

    @property
    def returned_truncated(self) -> bool:
        return self.returned_total > len(self.returned)

    @property
    def not_applied_truncated(self) -> bool:
        return self.not_applied_total > len(self.not_applied)


def first_of_import(
    engine: Engine,
    report: int | None,
    returned_total: int,
    not_applied: tuple[tuple[str, str], ...],
    *,
    limit: int,
) -> FirstOfImport:
    """What an import (:class:`payments.returns.ReturnsImport`: its ``report_id`` — None
    for a message imported before, which lists nothing —, its ``returned`` count and
    ``not_applied`` pairs) shows at once: its first ``limit`` returned transactions
    (:func:`returned_in`) and first ``limit`` statuses not applied, each with whose
    account it was, masked: never a full CPR or account number (a reveal is the command
    line's ``returns show --reveal``, audited)."""
    shown: list[Returned] = []
    if report is not None and returned_total and limit:
        rows = returned_in(engine, report, limit=limit)
        try:
            for r in rows:
                shown.append(r)
                if len(shown) == limit:
                    break
        finally:
            rows.close()
    held = _not_applied(engine, report, not_applied[:limit]) if report else ()
    return FirstOfImport(tuple(shown), returned_total, held, len(not_applied))


def _not_applied(
    engine: Engine, report: int, pairs: tuple[tuple[str, str], ...]
) -> tuple[NotApplied, ...]:
    if not pairs:
        return ()
    i, b, r = Item, BatchItem, AccountRegistration
    e2e_ids = [e2e[:35] for e2e, _ in pairs]
    with session_scope(engine) as session:
        items: dict[str, list[tuple]] = {}  # a file may name a transaction twice
        for row in session.execute(
            select(i.end_to_end_id, i.status, i.reason_code, i.order_id)
            .where(
                i.report_id == report,
                i.outcome == AnswerOutcome.NOT_APPLIED,
                i.end_to_end_id.in_(e2e_ids),
            )
            .order_by(i.id)  # file order, as the pairs are
        ):
            items.setdefault(row[0], []).append(tuple(row[1:]))
        paid_into = {
            row[0]: row[1:]
            for row in session.execute(
                select(
                    b.end_to_end_id,
                    r.owner_kind,
                    r.owner_number,
                    r.reg_no,
                    r.account_no,
                    r.iban,
                )
                .join(r, r.id == b.registration_id)
                .where(b.end_to_end_id.in_(e2e_ids))
            )  # fmt: skip
        }
    out = []
    for (e2e, why), key in zip(pairs, e2e_ids, strict=True):
        same = items.get(key)
        status, reason, order_id = same.pop(0) if same else ("", None, None)
        owner = account = None
        if key in paid_into:
            kind, number, reg_no, account_no, iban = paid_into[key]
            owner, account = mask_owner(kind, number), mask_account(reg_no, account_no, iban)
        step = APPLY if status == "RJCT" and order_id is not None else CHECK
        out.append(NotApplied(e2e, why, status, reason, order_id, owner, account, step))
    return tuple(out)
