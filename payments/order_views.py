"""Where each payment order stands, as its payee, its employer and an operator are told.

One query (:func:`_rows`) reads an order with its reported state and the batches that say
where the money is: ``pending`` (due, waiting for the night), ``held`` with the reason,
``in_batch`` (in a batch not released yet, with the execution date it will be paid on),
``sent`` (released, with the date the bank pays it), ``settled``, ``returned`` with the
bank's reason, ``cancelled`` (a correction replaced it). States are
:mod:`payments.orders`'; this module only reads them.

A held or returned order carries :data:`ADVICE`: what it means and what the payee can do,
in plain words, because a held payment is someone's rent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from identifiers import mask_owner
from payments import money, orders
from payments.db import read_scope
from payments.errors import NotFound
from payments.models import Batch, BatchItem, Claim, PaymentOrder
from payments.orders import ACCOUNT_REASONS, IN_BATCH
from payments.statuses import HoldReason, OrderStatus

PAGE_MAX = 500

#: a hold reason (or a return) in the words the payee is owed: what happened, what to do
ADVICE: dict[str, str] = {
    HoldReason.NO_ACCOUNT: (
        "No NemKonto is registered for you, so the money cannot be paid out yet. Ask your "
        "bank to register an account as your NemKonto (or register one yourself); the money "
        "is paid in the first payment run after that."
    ),
    HoldReason.PENDING_ACTIVATION: (
        "Your new NemKonto waits for the activation code we sent you by letter. Enter the "
        "code to activate it; the money is paid in the first payment run after that."
    ),
    HoldReason.REJECTED_BY_BANK: (
        "Your bank refused payments to your NemKonto (the account may be closed or blocked). "
        "Register a new account as your NemKonto; the money is paid after that."
    ),
    HoldReason.ACCOUNT_RECENTLY_CHANGED: (
        "Your NemKonto was changed recently. For your safety, payments wait a few days after "
        "a change. There is nothing you need to do."
    ),
    HoldReason.AMOUNT_REVIEW: (
        "The amount is large, so a second caseworker checks it before it is paid. There is "
        "nothing you need to do."
    ),
    HoldReason.RETURNED_FOR_REVIEW: (
        "The bank sent the payment back. A caseworker looks into it and contacts you if "
        "anything is needed from you."
    ),
}
RETURNED_ADVICE = {
    True: ADVICE[HoldReason.REJECTED_BY_BANK],  # an account reason: a new account is needed
    False: (
        "The bank sent the payment back. A caseworker looks into it and pays it again; "
        "you are contacted if anything is needed from you."
    ),
}


#: the batch items and batches of :func:`_rows`, made once: the same aliases in every query
#: let SQLAlchemy's statement cache reuse its compiled form (built anew, the aliases cost
#: more than the query itself on a page of 50 claims)
_WAITING, _PAID = aliased(BatchItem, name="waiting"), aliased(BatchItem, name="paid")
_NEXT_BATCH, _LAST_BATCH = aliased(Batch, name="next_batch"), aliased(Batch, name="last_batch")


def with_batches(query, o=PaymentOrder):
    """``query`` (which selects from ``o``) with the columns and outer joins of an order's
    view: its next attempt's batch (not released yet) and its last released attempt's.
    :func:`view` reads a row of it; :mod:`payments.claims.listing` joins it to a page of
    claims."""
    waiting, paid, next_batch, last_batch = _WAITING, _PAID, _NEXT_BATCH, _LAST_BATCH
    return (
        query.add_columns(
            o.id,
            o.claim_id,
            o.payee_kind,
            o.payee_number,
            o.amount_ore,
            o.due_date,
            o.status,
            o.hold_reason,
            o.return_reason,
            next_batch.id.label("next_batch_id"),
            next_batch.execution_date.label("next_execution"),
            last_batch.id.label("last_batch_id"),
            last_batch.execution_date.label("last_execution"),
        )
        .outerjoin(waiting, orders.next_attempt(waiting, o))
        .outerjoin(next_batch, next_batch.id == waiting.batch_id)
        .outerjoin(paid, orders.last_attempt(paid, o))
        .outerjoin(last_batch, last_batch.id == paid.batch_id)
    )


def _rows(session: Session, *where, after: int = 0, limit: int | None = PAGE_MAX) -> list[dict]:
    """The orders ``where`` selects, by id: a page after ``after``, or (``limit`` None)
    all of a few claims'. Those have no page bounds in the statement: under a ``LIMIT``
    and ``id > after`` PostgreSQL's generic plan for a prepared statement (psycopg
    prepares a statement run five times) walks the primary key past every other order
    instead of looking the claims up — 15 ms instead of 0.4 ms for a page of 50 claims
    among 10,000."""
    o = PaymentOrder
    query = with_batches(
        select(Claim.external_ref, Claim.employer_cvr)
        .select_from(o)
        .join(Claim, Claim.id == o.claim_id)
    )
    query = query.where(*where).order_by(o.id)
    if limit is not None:
        query = query.where(o.id > after).limit(limit)
    return [view(r) for r in session.execute(query)]


def view(r) -> dict[str, Any]:
    """An order's view (a dict) from a row of :func:`with_batches`."""
    state = IN_BATCH if r.next_batch_id is not None else r.status
    shown: dict[str, Any] = {
        "order_id": r.id,
        "external_ref": r.external_ref,
        "employer_cvr": r.employer_cvr,
        "payee": {"kind": r.payee_kind, "number": mask_owner(r.payee_kind, r.payee_number)},
        "amount": money.text(r.amount_ore),
        "currency": "DKK",
        "due_date": r.due_date,
        "state": state,
        "batch_id": None,
        "payment_date": None,
        "reason": None,
        "advice": None,
    }
    if state == IN_BATCH:
        shown |= {"batch_id": r.next_batch_id, "payment_date": r.next_execution}
    elif state in (
        OrderStatus.SENT,
        OrderStatus.ACCEPTED,
        OrderStatus.SETTLED,
        OrderStatus.RETURNED,
    ):
        shown |= {"batch_id": r.last_batch_id, "payment_date": r.last_execution}
    if state == OrderStatus.HELD:
        shown |= {"reason": r.hold_reason, "advice": ADVICE.get(r.hold_reason)}
    elif state == OrderStatus.RETURNED:
        account = r.return_reason in ACCOUNT_REASONS
        shown |= {"reason": r.return_reason, "advice": RETURNED_ADVICE[account]}
    return shown


def for_claim(session: Session, claim_id: int) -> list[dict[str, Any]]:
    """Every order of one claim (a correction adds difference orders), oldest first."""
    return _rows(session, PaymentOrder.claim_id == claim_id, limit=None)


def to_payee(
    engine: Engine, kind: str, number: str, *, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """The orders paid (or to be paid) to one CPR or CVR number, oldest first, paged by
    order id."""
    with read_scope(engine) as session:
        return _rows(
            session,
            PaymentOrder.payee_kind == kind,
            PaymentOrder.payee_number == number,
            after=after,
            limit=min(limit, PAGE_MAX),
        )


def held(
    engine: Engine, *, reason: str | None = None, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Orders the night held (payee masked), oldest first, for the operators' work list."""
    where = [orders.open_in(PaymentOrder, OrderStatus.HELD)]  # by its index (orders.open_in)
    if reason:
        where.append(PaymentOrder.hold_reason == reason)
    with read_scope(engine) as session:
        return _rows(session, *where, after=after, limit=min(limit, PAGE_MAX))


def held_counts(engine: Engine) -> list[dict[str, Any]]:
    """The held orders counted and summed by reason (in SQL: a night may hold many)."""
    o = PaymentOrder
    with read_scope(engine) as session:
        rows = session.execute(
            select(o.hold_reason, func.count(), func.sum(o.amount_ore))
            .where(orders.open_in(o, OrderStatus.HELD))
            .group_by(o.hold_reason)
            .order_by(o.hold_reason)
        ).all()
    return [
        {"reason": reason, "count": n, "amount": money.text(int(total or 0))}
        for reason, n, total in rows
    ]


def listing(
    engine: Engine, *, state: str | None = None, reason: str | None = None,
    payee: tuple[str, str] | None = None, after: int = 0, limit: int = 100,
) -> list[dict[str, Any]]:  # fmt: skip
    """Orders for a clerk (payee masked), oldest first, paged by order id: by state (a
    stored one, or ``in_batch``), hold or return reason, and payee."""
    where = []
    if state == IN_BATCH:
        where.append(orders.in_unreleased_batch())
    elif state:
        stored = (
            orders.open_in(PaymentOrder, OrderStatus(state))
            if state in orders.OPEN_STATES
            else PaymentOrder.status == state
        )
        where += [stored, ~orders.in_unreleased_batch()]
    if reason:
        where.append((PaymentOrder.hold_reason == reason) | (PaymentOrder.return_reason == reason))
    if payee:
        where += [PaymentOrder.payee_kind == payee[0], PaymentOrder.payee_number == payee[1]]
    with read_scope(engine) as session:
        return _rows(session, *where, after=after, limit=min(limit, PAGE_MAX))


def one(engine: Engine, order_id: int) -> dict[str, Any]:
    """One order as a clerk sees it, or ``ORDER_NOT_FOUND``."""
    with read_scope(engine) as session:
        found = _rows(session, PaymentOrder.id == order_id, limit=1)
    if not found:
        raise NotFound("ORDER_NOT_FOUND", f"there is no payment order {order_id}", "order_id")
    return found[0]
