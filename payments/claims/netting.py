"""Netting (*modregning*): open recoveries are collected from later payments to the payee.

A correction that lowers an amount already paid out creates a recovery
(:mod:`payments.claims.payouts`). It is collected by *offset*: later payments to the same
payee (the CPR or CVR number) for the same benefit (the claims' kind: sickness or
maternity) are reduced by what is still owed. Each offset is a row of ``recovery_offsets``
(which order paid back which recovery, by how much) and a ``recovery.offset`` audit event;
the order's remittance says so (:mod:`payments.claims.remittance`). Oldest recovery first,
oldest order first; an offset may take part of an order and part of a recovery.

When:

1. an order is created (a new claim, or a correction that raises an amount) for a payee
   who has open recoveries of the same benefit: it is offset at once
   (:meth:`Netting.order_created`; the intake loads the open recoveries of a chunk's
   payees in one query, locked);
2. a recovery is created: the payee's orders of the same benefit that were never sent and
   are in no batch (``pending`` or ``held``: :func:`payments.orders.nettable`) are offset
   (:meth:`Netting.recovery_created`), under the batch lock the correction holds, so no
   nightly run takes one of them meanwhile.

Never: an order in a batch that is not released, or sent, settled, returned, cancelled —
the bank has seen its amount or may; a recovery closed. An order keeps its amount and
records the offset (:mod:`payments.orders`); an order offset in full is ``offset`` and is
never sent. An offset is final: it paid the payee (their debt) and the recovery at once. So a
later correction of the order's own claim counts the order as paid, as it counts one in a
batch; a lower decision then makes a recovery, which rule 2 offsets against what of the
order is still unsent.

A recovery's states (:class:`~payments.statuses.RecoveryStatus`; the CHECKs of
:class:`~payments.models.Recovery` hold each to its amounts):

===================  ==========================  ==========================================
from                 to                          made by
===================  ==========================  ==========================================
(a correction)       ``open``                    :func:`payments.claims.payouts.payments`
``open`` /           ``partly_offset``, or       an offset (rules 1 and 2 above)
``partly_offset``    ``offset`` when none is
                     left open
``open`` /           ``paid`` (the payee paid    :func:`payments.claims.recoveries.close`
``partly_offset``    the rest back) or           (a clerk, with a reason)
                     ``written_off``
===================  ==========================  ==========================================

``offset``, ``paid`` and ``written_off`` are final.

Money is conserved. An order is *live* unless ``cancelled`` (pending, held, in a batch,
sent, settled, returned, offset), and counts at the amount its decision granted. For every
payee P and benefit K, at any time::

    decided = Σ live orders - Σ offset - Σ open - Σ paid back - Σ written off

where *decided* is the sum of the latest decisions (reimbursement and § 39 a supplement) on
P's claims of kind K that pay P, the
orders are P's of K and the four other sums are over P's recoveries of K: every øre a live
order grants is decided, or paid back a recovery by offset, or is still owed back, or was
paid back, or written off. An offset links an order and a recovery of the same P and K, so
``Σ offset`` is the same over the orders; what the payee gets through the bank (sent, or
still to send) is ``Σ payable = Σ live orders - Σ offset = decided + Σ open + Σ paid back +
Σ written off``. (Per claim and payee this is what the intake has always kept: live orders
minus recoveries is the latest decision.) ``tests/payments/test_netting.py`` checks it after
every step of random claims, corrections, nights and closings, on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from payments import audit, money, orders
from payments.claims import remittance
from payments.db import among
from payments.models import OPEN_RECOVERY_SQL, Claim, Decision, PaymentOrder, Recovery
from payments.models import RecoveryOffset as Offset
from payments.statuses import RecoveryStatus

#: the states with money still owed back
OPEN = (RecoveryStatus.OPEN, RecoveryStatus.PARTLY_OFFSET)


@dataclass(frozen=True, slots=True)
class _Made:
    """An offset made in this transaction, with the states it left (for the audit event)."""

    recovery: Recovery
    ref: str  # the claim of the recovery
    order: Any  # a PaymentOrder, or a RowView of one
    amount: int
    recovery_status: str
    recovery_open: int
    order_status: str


class RowView:
    """An order's row (a dict the intake inserts later) seen as an order by :mod:`orders`."""

    __slots__ = ("row",)

    def __init__(self, row: dict[str, Any]) -> None:
        object.__setattr__(self, "row", row)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.row[name] = value


def _collect(recovery: Recovery, amount: int) -> None:
    """``amount`` more of the recovery was paid back by an offset."""
    assert recovery.status in OPEN and 0 < amount <= recovery.open_ore, recovery.status
    recovery.open_ore -= amount
    recovery.offset_ore += amount
    recovery.status = RecoveryStatus.PARTLY_OFFSET if recovery.open_ore else RecoveryStatus.OFFSET


class Netting:
    """The netting of one transaction: the open recoveries of the payees it may pay.

    Made with the payee numbers a transaction may pay (for a chunk of the intake: its
    employers and employees), it loads their open recoveries once, locked, and keeps them
    current as offsets and new recoveries are made. Offsets are recorded (rows and audit
    events) by :meth:`record`, once the orders they name are stored.
    """

    def __init__(
        self, session: Session, numbers: Iterable[str], *, actor: str, now: dt.datetime
    ) -> None:
        self.session, self.actor, self.now = session, actor, now
        self.open: dict[tuple[str, str, str], list[tuple[Recovery, str]]] = defaultdict(list)
        self.made: list[_Made] = []  # offsets not recorded yet
        numbers = set(numbers)
        if not numbers:
            return
        query = (
            select(Recovery, Claim.kind, Claim.external_ref)
            .join(Claim, Claim.id == Recovery.claim_id)
            .where(
                among(session, Recovery.payee_number, numbers),
                text("recoveries." + OPEN_RECOVERY_SQL),
            )
            .order_by(Recovery.id)
            .with_for_update(of=Recovery)
            .execution_options(populate_existing=True)
        )
        for recovery, kind, ref in session.execute(query):
            self.open[(recovery.payee_kind, recovery.payee_number, kind)].append((recovery, ref))

    def _offset(self, recovery: Recovery, ref: str, order, amount: int) -> None:
        orders.offset(order, amount)
        _collect(recovery, amount)
        self.made.append(
            _Made(recovery, ref, order, amount, recovery.status, recovery.open_ore, order.status)
        )

    def order_created(self, order, kind: str, period: Sequence[object], ref: str) -> None:
        """A new order (loaded, or a :class:`RowView`) of benefit ``kind`` for the days
        ``period`` (first, last) of claim ``ref``: the payee's open recoveries of that
        benefit take what they can of it, oldest first."""
        queue = self.open.get((order.payee_kind, order.payee_number, kind))
        if not queue:
            return
        refs: list[str] = []
        for recovery, recovered_ref in queue:
            room = orders.payable(order)
            if not room:
                break
            if recovery.status in OPEN:
                self._offset(recovery, recovered_ref, order, min(room, recovery.open_ore))
                refs.append(recovered_ref)
        if refs:
            order.remittance = remittance.text(
                kind, order.payee_kind, period[0], period[-1], ref, order.offset_ore, _once(refs)
            )

    def recovery_created(self, recovery: Recovery, kind: str, ref: str) -> None:
        """A new recovery of benefit ``kind`` on claim ``ref``: the payee's orders of that
        benefit that may still be offset pay it back, oldest first; then later orders in
        this transaction may."""
        rows = self.session.execute(
            select(
                PaymentOrder,
                Claim.kind,
                Claim.external_ref,
                Claim.first_day,
                Claim.last_day,
                Decision.granted_days,
            )
            .join(Claim, Claim.id == PaymentOrder.claim_id)
            .join(Decision, Decision.id == PaymentOrder.decision_id)
            .where(
                PaymentOrder.payee_number == recovery.payee_number,
                PaymentOrder.payee_kind == recovery.payee_kind,
                Claim.kind == kind,
                orders.nettable(),
            )
            .order_by(PaymentOrder.id)
            .with_for_update(of=PaymentOrder)
            .execution_options(populate_existing=True)
        ).all()
        for order, order_kind, order_ref, first, last, granted in rows:
            if recovery.status not in OPEN:
                break
            self._offset(recovery, ref, order, min(orders.payable(order), recovery.open_ore))
            days = granted.split(",") if granted else (first, last)
            order.remittance = remittance.text(
                order_kind,
                order.payee_kind,
                days[0],
                days[-1],
                order_ref,
                order.offset_ore,
                _once(self._recovered_refs(order)),
            )
        self.open[(recovery.payee_kind, recovery.payee_number, kind)].append((recovery, ref))

    def _recovered_refs(self, order: PaymentOrder) -> list[str]:
        """The claims of the recoveries the order paid back, oldest first: the offsets
        recorded earlier, then those of this transaction not recorded yet."""
        stored = self.session.scalars(
            select(Claim.external_ref)
            .join(Recovery, Recovery.claim_id == Claim.id)
            .join(Offset, Offset.recovery_id == Recovery.id)
            .where(Offset.order_id == order.id)
            .order_by(Offset.recovery_id)
        ).all()
        return [*stored, *(m.ref for m in self.made if m.order is order)]

    def record(self) -> None:
        """Store the offsets made so far, each with its ``recovery.offset`` audit event.

        Called once the orders they name are stored or added to the session (an order the
        intake inserts as a row is named by its id).
        """
        for made in self.made:
            row = Offset(
                recovery=made.recovery,
                amount_ore=made.amount,
                actor=self.actor,
                created_at=self.now,
            )
            if isinstance(made.order, RowView):
                row.order_id = made.order.id
            else:
                row.order = made.order
            self.session.add(row)
            audit.append(
                self.session,
                actor=self.actor,
                action="recovery.offset",
                subject=f"recovery:{made.recovery.id}",
                payload={
                    "order": made.order.id,
                    "amount": money.text(made.amount),
                    "order_status": made.order_status,
                    "recovery_status": made.recovery_status,
                    "recovery_open": money.text(made.recovery_open),
                },
                now=self.now,
            )
        self.made.clear()


def _once(refs: Iterable[str]) -> list[str]:
    """``refs`` without repeats, in order (a claim corrected down twice has two recoveries)."""
    return list(dict.fromkeys(refs))
