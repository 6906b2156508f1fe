"""The payment order's state machine: its states, where an order stands, and every move.

A payment order is money owed to a CPR or CVR number for a decision. Its ``status`` column
holds one of :class:`~payments.statuses.OrderStatus`; one more state is *reported* but never
stored: ``in_batch``. An order in a batch that is not released yet stays ``pending`` in its
own row, and its batch item for attempt ``attempts + 1`` says where it is
(:func:`in_unreleased_batch`); release marks the batch's orders ``sent`` and counts the
attempt. This is a decision for speed with the invariant kept: the nightly run writes one
row per paid order (its item) instead of rewriting the order as well, and
``unique(order_id, attempt)`` on the items means no order is in two unreleased batches.

Every transition, and the one function that makes it:

==========================  ===================  =========================================
from                        to                   made by
==========================  ===================  =========================================
(a decision grants money)   ``pending``          :func:`payments.claims.payouts.payments`
``pending``/``held``/       ``held`` + reason    :func:`payments.batch.candidates.update_orders`
``returned`` (account)                           (the night could not pay it)
``held``/``returned``       ``pending``          :func:`payments.batch.candidates.update_orders`
(account)                   (in the new batch)   (the night pays it)
``pending`` in a batch      ``sent``             :func:`mark_sent` (batch release)
``sent``                    ``accepted``         :func:`accept` (bank: ACTC, ACCP, ACSP,
                                                 ACWC, PDNG — in progress, not paid)
``sent``/``accepted``       ``settled``          :func:`settle` (bank: ACSC, ACCC, or a
                                                 booked camt.054 debit)
``sent``/``accepted``/      ``returned`` +       :func:`mark_returned` (bank: rejected or
``settled``                 reason               returned; also ``returns apply``)
``returned`` (not account)  ``pending``          :func:`requeue` (a clerk dealt with it)
``pending``/``held``/       ``cancelled``        :func:`cancel` (a correction replaced the
``returned``, not in batch                       decision)
==========================  ===================  =========================================

An order returned for an account reason (:data:`ACCOUNT_REASONS`) is due again by itself:
the next night holds it until the payee has a new account, then pays it with a new
attempt (its end-to-end id gets a suffix). A batch that is *rejected* moves its items
away, so its orders are simply due again (:func:`payments.batch.approval.reject`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, literal, or_, update
from sqlalchemy.orm import Session

from payments.models import BatchItem, PaymentOrder
from payments.statuses import OrderStatus

__all__ = [
    "ACCOUNT_REASONS",
    "IN_BATCH",
    "OrderStatus",
    "UNPAID",
    "accept",
    "cancel",
    "due_orders",
    "in_unreleased_batch",
    "mark_returned",
    "mark_sent",
    "reported_status",
    "requeue",
    "settle",
]

#: the reported state of an order in a batch that is not released yet (never stored)
IN_BATCH = "in_batch"
#: not paid, not on its way: what a correction may still cancel
UNPAID = (OrderStatus.PENDING, OrderStatus.HELD, OrderStatus.RETURNED)
# Return reasons that say the account is unusable (banking.md): the order is retried once
# the payee has a new registration.
ACCOUNT_REASONS = ("AC01", "AC04", "AC06", "AG01", "MD07")


# -- where an order stands (SQL) -------------------------------------------------------------


def in_unreleased_batch(order=PaymentOrder):
    """SQL condition: the order is in a batch that has not been released yet."""
    return exists().where(BatchItem.order_id == order.id, BatchItem.attempt == order.attempts + 1)


def reported_status(order=PaymentOrder):
    """SQL: the order's status as reported: ``in_batch`` while in an unreleased batch."""
    return case((in_unreleased_batch(order), literal(IN_BATCH)), else_=order.status)


def due_orders(run_date: dt.date):
    """SQL condition: the order is owed on ``run_date`` and not in a batch yet.

    ``pending`` or ``held``, or ``returned`` for an account reason (the money is still owed,
    to a new account); never one in a batch that is not released.
    """
    o = PaymentOrder
    return and_(
        o.due_date <= run_date,
        or_(
            o.status.in_((OrderStatus.PENDING, OrderStatus.HELD)),
            and_(o.status == OrderStatus.RETURNED, o.return_reason.in_(ACCOUNT_REASONS)),
        ),
        ~in_unreleased_batch(o),
    )


# -- the moves -------------------------------------------------------------------------------


def cancel(order: PaymentOrder) -> None:
    """A correction replaced the decision: an unpaid order not in a batch is cancelled."""
    assert order.status in UNPAID, order.status
    order.status, order.hold_reason = OrderStatus.CANCELLED, None


def mark_sent(session: Session, batch_id: int) -> int:
    """Release: every order waiting in batch ``batch_id`` is ``sent``; returns how many.

    The attempt is counted, which is what takes the order out of "in an unreleased batch".
    """
    o, i = PaymentOrder, BatchItem
    return session.execute(
        update(o)
        .where(
            o.status == OrderStatus.PENDING,
            exists().where(i.batch_id == batch_id, i.order_id == o.id, i.attempt == o.attempts + 1),
        )
        .values(status=OrderStatus.SENT, attempts=o.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount


def accept(order: PaymentOrder) -> bool:
    """The bank accepted the payment for execution; True when the order changed (only a
    ``sent`` one: accepted is not paid, and a settled order stays settled)."""
    if order.status != OrderStatus.SENT:
        return False
    order.status = OrderStatus.ACCEPTED
    return True


def settle(order: PaymentOrder) -> bool:
    """The bank paid it; True when the order changed (a ``sent`` or ``accepted`` order)."""
    if order.status not in (OrderStatus.SENT, OrderStatus.ACCEPTED):
        return False
    order.status = OrderStatus.SETTLED
    return True


def mark_returned(order: PaymentOrder, reason: str | None) -> None:
    """The bank rejected or returned the payment (``sent``, ``accepted`` or ``settled``)."""
    assert order.status in (
        OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.SETTLED
    ), order.status  # fmt: skip
    order.status, order.return_reason = OrderStatus.RETURNED, reason


def requeue(order: PaymentOrder) -> None:
    """A clerk dealt with a return that was not the account's: pay it again."""
    assert order.status == OrderStatus.RETURNED, order.status
    order.status, order.return_reason = OrderStatus.PENDING, None
