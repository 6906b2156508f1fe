"""A released batch's transactions per state, kept on the batch row as they move.

The operator's page of a batch says how many of its transactions (and how much money) are
``sent``, ``accepted``, ``settled`` and ``returned``. A transaction's state is defined once,
by :func:`payments.orders.item_state` (its order's state at that attempt); counting it for
a released night of a million transactions is a ``GROUP BY`` over its million items joined
to their orders, about 1 s on PostgreSQL on every view of the page (benchmarks/README.md).
So the batch row keeps the counts and sums (``sent_count``/``sent_ore``, …), and every
function that moves a released transaction writes them, in its own transaction:

==============================================  ==========================================
what moves the transactions                     the counts it writes
==============================================  ==========================================
:func:`payments.batch.approval.release`         all ``sent`` (:func:`released`): release
                                                marks every order of the batch ``sent``
                                                or refuses (``BATCH_ORDERS_CHANGED``)
:func:`payments.returns_apply.apply` (a bank   from each moving order's state to the
answer, set-based, just before                  answer's (:func:`answer_moves`, from one
:func:`payments.orders.apply_bank_answers`)     ``GROUP BY`` of the outcomes, before
                                                they move), one ``UPDATE`` per batch
:func:`payments.returns.apply_return`           one transaction to ``returned``
(a reported return applied by a clerk)
==============================================  ==========================================

Nothing else changes a released transaction's state: an order moves on from its released
attempt only after a return (requeued, held, cancelled, paid again in a later batch), and
the item then stays ``returned`` (``item_state``'s last branch). A batch that is not
released has every transaction ``in_batch`` (its row's ``order_count``/``total_ore``), a
rejected one has them all ``rejected``; both keep the counts at 0.

The database holds what it can (CHECKs on ``batches``, revision 0900): no count below 0;
before release all are 0; once released they add up to ``order_count`` and ``total_ore``.
That the split among the states is right is the writers' job; :func:`counted` is the
``GROUP BY`` they must agree with (the tests compare the two after nights with holds,
releases and bank answers on both databases). The price, per bank answer: its outcomes
table carries three more columns (the join that decides the outcomes already reads
them), one ``GROUP BY`` of it, and one ``UPDATE`` of each batch it answers for, under the
batch lock the import already holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from payments import orders
from payments.models import BATCH_ITEM_STATES, Batch, BatchItem, PaymentOrder
from payments.statuses import OrderStatus

#: the states whose counts the batch row keeps (a released batch's transactions)
STATES = tuple(OrderStatus(s) for s in BATCH_ITEM_STATES)
assert STATES == (OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.SETTLED, OrderStatus.RETURNED)

#: a move of some transactions of one batch: (batch id, from state, to state, count, øre)
Move = tuple[int, str, str, int, int]


def released(batch: Batch) -> None:
    """Release: every transaction of ``batch`` is ``sent`` (set with its status, so that
    the row is written once: the CHECKs hold only a released batch to its counts)."""
    batch.sent_count, batch.sent_ore = batch.order_count, batch.total_ore
    for state in STATES[1:]:
        setattr(batch, f"{state}_count", 0)
        setattr(batch, f"{state}_ore", 0)


def stored(batch: Batch) -> dict[str, tuple[int, int]]:
    """The counts the row keeps: state -> (count, øre), the states with a transaction."""
    found = {s.value: (getattr(batch, f"{s}_count"), getattr(batch, f"{s}_ore")) for s in STATES}
    return {s: v for s, v in found.items() if v[0]}


def counted(session: Session, batch_id: int) -> dict[str, tuple[int, int]]:
    """The same from the items, by :func:`payments.orders.item_state` (what :func:`stored`
    must equal for a released batch; it reads every item of the batch)."""
    o, i = PaymentOrder, BatchItem
    state = orders.item_state(i, o)
    rows = session.execute(
        select(state, func.count(), func.sum(i.amount_ore))
        .join(o, i.order_id == o.id)
        .where(i.batch_id == batch_id)
        .group_by(state)
    )
    return {s: (n, int(t or 0)) for s, n, t in rows if n}


def answer_moves(groups: Iterable[tuple]) -> list[Move]:
    """What a bank answer does to the counts, read before it moves the orders: each order
    that moves takes its last released transaction from its state to the outcome.

    ``groups`` are ``(batch_id, order state, outcome, count, øre)`` of the rows of
    :data:`payments.returns_apply.outcomes`, which already hold the transaction's batch
    and amount and the order's state (its ``decide`` joined them for the outcome): one
    ``GROUP BY`` of that table (a group may come in parts: :func:`move` adds them up), no
    second join of a million rows."""
    moving = (OrderStatus.SETTLED, OrderStatus.ACCEPTED, OrderStatus.RETURNED)
    return [
        (b, before, after, n, int(ore)) for b, before, after, n, ore in groups if after in moving
    ]


def move(session: Session, moves: Iterable[Move]) -> None:
    """Write ``moves``: one ``UPDATE`` per batch, every count it changes at once (the
    totals stay what they were, so the CHECKs hold after each statement)."""
    deltas: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for batch_id, before, after, count, ore in moves:
        if before == after or not count:
            continue
        if before not in STATES or after not in STATES:
            raise ValueError(f"a released transaction cannot move from {before} to {after}")
        for state, sign in ((before, -1), (after, 1)):
            deltas[batch_id][f"{state}_count"] += sign * count
            deltas[batch_id][f"{state}_ore"] += sign * ore
    columns = Batch.__table__.c
    for batch_id, changes in sorted(deltas.items()):
        values = {name: columns[name] + delta for name, delta in changes.items() if delta}
        if values:
            session.execute(
                update(Batch)
                .where(Batch.id == batch_id)
                .values(values)
                .execution_options(synchronize_session="fetch")
            )
