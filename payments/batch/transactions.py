"""A batch's transactions a page at a time, as an operator checks them (payees masked).

A night holds up to a million transactions; a page never reads more than ``limit + 1`` of
them: keyset paging on the order id, on the items' primary key ``(batch_id, order_id)``.
Each line is the item (the amount sent, its end-to-end id, its file) with its own state
(:func:`payments.orders.item_state`: ``in_batch`` until release, then as the bank answered);
a rejected batch's lines are its set-aside items, each ``rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.engine import Engine

from identifiers import mask_owner
from payments import money, orders
from payments.batch.night import get_batch
from payments.db import session_scope
from payments.models import BatchItem, Claim, PaymentOrder, RejectedBatchItem
from payments.statuses import BatchStatus

PAGE = 50
PAGE_MAX = 500


@dataclass(frozen=True, slots=True)
class TransactionsPage:
    items: list[dict[str, Any]]
    next_after: int | None  # the ``after`` of the next page (an order id), None on the last


def page(engine: Engine, batch_id: int, *, after: int = 0, limit: int = PAGE) -> TransactionsPage:
    """The batch's transactions by order id after ``after``; ``BATCH_NOT_FOUND`` if none."""
    limit = min(max(limit, 1), PAGE_MAX)
    with session_scope(engine) as session:
        batch = get_batch(session, batch_id)
        o = PaymentOrder
        i = RejectedBatchItem if batch.status == BatchStatus.REJECTED else BatchItem
        state = (
            literal(BatchStatus.REJECTED.value)
            if batch.status == BatchStatus.REJECTED
            else orders.item_state(i, o)
        )
        rows = session.execute(
            select(
                i.order_id,
                i.end_to_end_id,
                i.file_seq,
                i.amount_ore,
                o.payee_kind,
                o.payee_number,
                o.return_reason,
                Claim.external_ref,
                Claim.employer_cvr,
                state.label("state"),
            )
            .join(o, o.id == i.order_id)
            .join(Claim, Claim.id == o.claim_id)
            .where(i.batch_id == batch_id, i.order_id > after)
            .order_by(i.order_id)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    items = [
        {
            "order_id": r.order_id,
            "end_to_end_id": r.end_to_end_id,
            "file_seq": r.file_seq,
            "amount": money.text(r.amount_ore),
            "payee": {"kind": r.payee_kind, "number": mask_owner(r.payee_kind, r.payee_number)},
            "external_ref": r.external_ref,
            "employer_cvr": r.employer_cvr,
            "state": r.state,
            "reason": r.return_reason if r.state == "returned" else None,
        }
        for r in rows[:limit]
    ]
    return TransactionsPage(items, items[-1]["order_id"] if more else None)
