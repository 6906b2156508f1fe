"""The payment order's state machine: its states, where an order stands, and every move.

A payment order is money owed to a CPR or CVR number for a decision. Its ``status`` column
holds one of :class:`~payments.statuses.OrderStatus`; one more state is *reported* but never
stored: ``in_batch``. An order in a batch that is not released yet stays ``pending`` in its
own row, and its batch item for attempt ``attempts + 1`` says where it is
(:func:`in_unreleased_batch`); release marks the batch's orders ``sent`` and counts the
attempt. This is a decision for speed with the invariant kept: the nightly run writes one
row per paid order (its item) instead of rewriting the order as well, and
``unique(order_id, attempt)`` on the items means no order is in two unreleased batches.

Netting (:mod:`payments.claims.netting`). An order keeps the amount its decision granted
(``amount_ore``, never changed); the part of it that paid back the payee's recoveries of
the same benefit is ``offset_ore``, each offset a row of ``recovery_offsets`` saying which
recovery and how much. The bank is sent the rest, :func:`payable`. That is what an auditor
reads off the rows: the decision's amount, what was kept back and for which recovery, what
was paid out. Only an order never sent and not in a batch is offset (:func:`nettable`);
an order whose whole amount is offset is ``offset`` (settled by offset) and is never sent,
which keeps ``amount_ore > 0`` and every amount the bank sees positive. An offset is a
payment to the payee (it paid their debt), so an order with an offset is never cancelled:
a correction counts it as paid, as it does an order in a batch.

Every transition, and the one function that makes it:

==========================  ===================  =========================================
from                        to                   made by
==========================  ===================  =========================================
(a decision grants money)   ``pending``          :func:`payments.claims.payouts.payments`
``pending``/``held``,       the same, with a     :func:`offset` (netting: at the order's
never sent, not in a        larger offset; or    creation, or when a recovery of the
batch                       ``offset`` when it   payee and benefit is created)
                            is the whole amount
``pending``/``held``/       ``held`` + reason    :func:`payments.batch.candidates.update_orders`
``returned`` (account)                           (the night could not pay it)
``held``/``returned``       ``pending``          :func:`payments.batch.candidates.update_orders`
(account)                   (in the new batch)   (the night pays it)
``pending`` in a batch      ``sent``             :func:`mark_sent` (batch release)
``sent``                    ``accepted``         :func:`accept` (bank: ACTC, ACCP, ACSP,
                                                 ACWC, PDNG — in progress, not paid);
                                                 a whole bank answer at once:
                                                 :func:`apply_bank_answers`
``sent``/``accepted``       ``settled``          :func:`settle` (bank: ACSC, ACCC, or a
                                                 booked camt.054 debit)
``sent``/``accepted``/      ``returned`` +       :func:`mark_returned` (bank: rejected or
``settled``                 reason               returned; also ``returns apply``)
``returned`` (not account)  ``pending``          :func:`requeue` (a clerk dealt with it)
``pending``/``held``/       ``cancelled``        :func:`cancel` (a correction replaced the
``returned``, in no batch,                       decision)
nothing offset
==========================  ===================  =========================================

``offset`` and ``cancelled`` are final; ``settled`` is final unless the bank returns it.

An order returned for an account reason (:data:`ACCOUNT_REASONS`) is due again by itself:
the next night holds it until the payee has a new account, then pays it with a new
attempt (its end-to-end id gets a suffix). A batch that is *rejected* moves its items
away, so its orders are simply due again (:func:`payments.batch.approval.reject`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, literal, literal_column, or_, update
from sqlalchemy.orm import Session

from payments.models import OPEN_ORDER_STATES, BatchItem, PaymentOrder
from payments.statuses import OrderStatus

__all__ = [
    "ACCEPTABLE",
    "ACCOUNT_REASONS",
    "IN_BATCH",
    "RETURNABLE",
    "SETTLEABLE",
    "OrderStatus",
    "UNPAID",
    "accept",
    "apply_bank_answers",
    "cancel",
    "cancellable",
    "due_orders",
    "in_unreleased_batch",
    "item_state",
    "mark_returned",
    "mark_sent",
    "nettable",
    "offset",
    "open_in",
    "payable",
    "reported_status",
    "requeue",
    "settle",
]

#: the reported state of an order in a batch that is not released yet (never stored)
IN_BATCH = "in_batch"
#: not paid, not on its way: what a correction may still cancel
UNPAID = (OrderStatus.PENDING, OrderStatus.HELD, OrderStatus.RETURNED)
#: the states ``open_status`` keeps (NULL for the others): see :func:`open_in`
OPEN_STATES = frozenset(OPEN_ORDER_STATES)
# Return reasons that say the account is unusable (banking.md): the order is retried once
# the payee has a new registration.
ACCOUNT_REASONS = ("AC01", "AC04", "AC06", "AG01", "MD07")


# -- where an order stands (SQL) -------------------------------------------------------------


def next_attempt(item, order=PaymentOrder):
    """SQL condition: ``item`` (a :class:`BatchItem` or an alias) is the order's next attempt,
    the item of a batch not released yet; ``attempts`` counts the released ones."""
    return and_(item.order_id == order.id, item.attempt == order.attempts + 1)


def last_attempt(item, order=PaymentOrder):
    """SQL condition: ``item`` is the order's last released attempt (the bank has seen it)."""
    return and_(item.order_id == order.id, item.attempt == order.attempts)


def in_unreleased_batch(order=PaymentOrder):
    """SQL condition: the order is in a batch that has not been released yet."""
    return exists().where(next_attempt(BatchItem, order))


def payable(order=PaymentOrder):
    """What the bank is sent for the order: its amount less what was offset.

    An expression on the model (or an alias of it) in SQL; an ``int`` for a loaded order.
    The one definition of an order's payment, should its amount ever have parts.
    """
    return order.amount_ore - order.offset_ore


def nettable(order=PaymentOrder):
    """SQL condition: the order may still be offset: ``pending`` or ``held``, never sent (no
    attempt released) and not in a batch that is not released. Never an order the bank has
    seen or may see: its amount there is fixed."""
    # by open_status, the states as literals: the partial index
    # ix_payment_orders_unpaid_payee matches them (see open_in)
    return and_(
        open_in(order, OrderStatus.PENDING, OrderStatus.HELD),
        order.attempts == 0,
        ~in_unreleased_batch(order),
    )


def open_in(order, *states: OrderStatus):
    """SQL condition: the order's ``status`` is one of ``states``, all of them open
    (``pending``, ``held``, ``returned``), as the generated column ``open_status`` says it
    (the same value; revision 0800). The indexes that select orders by state are on
    ``open_status``, never ``status``, so that settling a million orders updates their rows
    in place; a query by an open state names ``open_status`` to use them. The states are
    literals, so a partial index's predicate is seen to match."""
    assert states and all(s in OPEN_STATES for s in states), states
    values = [literal_column(f"'{s}'") for s in states]
    return order.open_status == values[0] if len(values) == 1 else order.open_status.in_(values)


def reported_status(order=PaymentOrder):
    """SQL: the order's status as reported: ``in_batch`` while in an unreleased batch."""
    return case((in_unreleased_batch(order), literal(IN_BATCH)), else_=order.status)


def item_state(item=BatchItem, order=PaymentOrder):
    """SQL: a batch item's own state: ``in_batch`` until its batch is released, then its
    order's state (``sent``, ``accepted``, ``settled``), unless the order has moved on from
    this attempt — only a return lets it (returned, then held, cancelled or paid again) —
    which is ``returned``."""
    return case(
        (item.attempt > order.attempts, literal(IN_BATCH)),
        (
            and_(
                item.attempt == order.attempts,
                order.status.in_((OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.SETTLED)),
            ),
            order.status,
        ),
        else_=literal(OrderStatus.RETURNED.value),
    )


def due_orders(run_date: dt.date):
    """SQL condition: the order is owed on ``run_date`` and not in a batch yet.

    ``pending`` or ``held``, or ``returned`` for an account reason (the money is still owed,
    to a new account); never one in a batch that is not released.
    """
    o = PaymentOrder
    return and_(
        o.due_date <= run_date,
        or_(
            open_in(o, OrderStatus.PENDING, OrderStatus.HELD),
            and_(open_in(o, OrderStatus.RETURNED), o.return_reason.in_(ACCOUNT_REASONS)),
        ),
        ~in_unreleased_batch(o),
    )


# -- the moves -------------------------------------------------------------------------------


def cancellable(order: PaymentOrder, in_batch: bool) -> bool:
    """Whether a correction may cancel the order: unpaid, not in a batch, nothing offset
    (an offset paid part of it to the payee, by paying their debt)."""
    return order.status in UNPAID and not in_batch and order.offset_ore == 0


def cancel(order: PaymentOrder) -> None:
    """A correction replaced the decision: an unpaid order not in a batch is cancelled."""
    assert order.status in UNPAID and order.offset_ore == 0, (order.status, order.offset_ore)
    order.status, order.hold_reason = OrderStatus.CANCELLED, None


def offset(order, amount_ore: int) -> None:
    """Netting: ``amount_ore`` more of a never-sent order paid back a recovery; when that is
    the rest of it, the order is ``offset`` (settled by offset) and will never be sent.

    ``order`` is a loaded order or a view of the row of one about to be inserted.
    """
    assert order.status in (OrderStatus.PENDING, OrderStatus.HELD), order.status
    assert order.attempts == 0 and 0 < amount_ore <= payable(order), amount_ore
    order.offset_ore += amount_ore
    if order.offset_ore == order.amount_ore:
        order.status, order.hold_reason = OrderStatus.OFFSET, None


def mark_sent(session: Session, batch_id: int) -> int:
    """Release: every order waiting in batch ``batch_id`` is ``sent``; returns how many.

    The attempt is counted, which is what takes the order out of "in an unreleased batch".
    """
    o, i = PaymentOrder, BatchItem
    return session.execute(
        update(o)
        .where(
            open_in(o, OrderStatus.PENDING),
            exists().where(i.batch_id == batch_id, i.order_id == o.id, i.attempt == o.attempts + 1),
        )
        .values(status=OrderStatus.SENT, attempts=o.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount


#: the states from which the bank's answers move an order (and the SQL of the import,
#: :func:`apply_bank_answers`, uses the same)
ACCEPTABLE = (OrderStatus.SENT,)
SETTLEABLE = (OrderStatus.SENT, OrderStatus.ACCEPTED)
RETURNABLE = (OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.SETTLED)


def apply_bank_answers(session: Session, outcomes) -> int:
    """The import of a bank answer, set-based: every order named in the table ``outcomes``
    (columns ``order_id``, ``outcome``, ``reason``; one row per order that moves, chosen
    by :mod:`payments.returns_apply` from the states above) becomes ``settled``,
    ``accepted`` or ``returned`` with the reason, as :func:`settle`, :func:`accept` and
    :func:`mark_returned` do one order at a time. Returns how many orders changed."""
    o = PaymentOrder
    c = outcomes.c
    moving = c.outcome.in_(("settled", "accepted", "returned"))
    status = case(
        (c.outcome == "settled", literal(OrderStatus.SETTLED.value)),
        (c.outcome == "accepted", literal(OrderStatus.ACCEPTED.value)),
        else_=literal(OrderStatus.RETURNED.value),
    )
    return session.execute(
        update(o)
        .where(o.id == c.order_id, moving)
        .values(
            status=status,
            return_reason=case((c.outcome == "returned", c.reason), else_=o.return_reason),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def accept(order: PaymentOrder) -> bool:
    """The bank accepted the payment for execution; True when the order changed (only a
    ``sent`` one: accepted is not paid, and a settled order stays settled)."""
    if order.status not in ACCEPTABLE:
        return False
    order.status = OrderStatus.ACCEPTED
    return True


def settle(order: PaymentOrder) -> bool:
    """The bank paid it; True when the order changed (a ``sent`` or ``accepted`` order)."""
    if order.status not in SETTLEABLE:
        return False
    order.status = OrderStatus.SETTLED
    return True


def mark_returned(order: PaymentOrder, reason: str | None) -> None:
    """The bank rejected or returned the payment (``sent``, ``accepted`` or ``settled``)."""
    assert order.status in RETURNABLE, order.status
    order.status, order.return_reason = OrderStatus.RETURNED, reason


def requeue(order: PaymentOrder) -> None:
    """A clerk dealt with a return that was not the account's: pay it again."""
    assert order.status == OrderStatus.RETURNED, order.status
    order.status, order.return_reason = OrderStatus.PENDING, None
