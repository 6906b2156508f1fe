"""The SQL that says where an order stands between the claim intake and the bank.

An order in a batch that is not released yet stays ``pending`` in its own row; its batch
item for attempt ``attempts + 1`` says where it is (:func:`in_unreleased_batch`), and it is
reported as ``in_batch`` (:func:`reported_status`). Release marks the batch's orders
``sent`` and counts the attempt. See :mod:`payments.batch`, "Order states".

Shared by the nightly run, the claim intake (a correction treats an order in a file as
paid), and the bank's returns (an account reason makes the order due again).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, literal, or_

from payments import registry
from payments.models import BatchItem, PaymentOrder

# Return reasons that say the account is unusable (banking.md): the order is retried once
# the payee has a new registration.
ACCOUNT_REASONS = ("AC01", "AC04", "AC06", "AG01", "MD07")


def in_force(reg, owner_kind, owner_number, on) -> object:
    """SQL condition: registration ``reg`` is the owner's account on day ``on``."""
    return and_(
        reg.owner_kind == owner_kind,
        reg.owner_number == owner_number,
        *registry.in_force_on(on, reg),
    )


def in_unreleased_batch(order=PaymentOrder):
    """SQL condition: the order is in a batch that has not been released yet."""
    return exists().where(BatchItem.order_id == order.id, BatchItem.attempt == order.attempts + 1)


def reported_status(order=PaymentOrder):
    """SQL: the order's status as reported: ``in_batch`` while in an unreleased batch."""
    return case((in_unreleased_batch(order), literal("in_batch")), else_=order.status)


def due_orders(run_date: dt.date):
    """SQL condition: the order is owed on ``run_date`` and not in a batch yet.

    ``pending`` or ``held``, or ``returned`` for an account reason (the money is still owed,
    to a new account); never one in a batch that is not released.
    """
    o = PaymentOrder
    return and_(
        o.due_date <= run_date,
        or_(
            o.status.in_(("pending", "held")),
            and_(o.status == "returned", o.return_reason.in_(ACCOUNT_REASONS)),
        ),
        ~in_unreleased_batch(o),
    )
