"""From a claim's decision to money: its payment orders and recoveries.

Per payee, what was already paid (or committed to a file, or offset) plus the new orders
minus the recoveries equals what the latest decision grants. A new claim gets one order (to
the employer's CVR when salary was paid, else to the employee's CPR). A correction
(:func:`correct`) cancels the old decision's unpaid orders (``pending``, ``held``,
``returned``) and leaves what was paid out, is in a batch not yet released, or was partly or
wholly offset against a recovery (an offset paid the payee's debt); per payee the difference
becomes a new order (positive) or a recovery (negative). So for every claim and payee, at
any time: ``sum(live orders) - sum(recoveries) = latest decision amount``, with every order
at the amount its decision granted (``amount_ore``, offsets included).

New orders and recoveries are netted against each other across the payee's claims of the
same benefit (:mod:`payments.claims.netting`, which also states the conservation identity
with the offsets, the open, paid back and written-off recoveries).

Used by :mod:`payments.claims`, which keeps a chunk's new rows as plain dicts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from payments import money, orders
from payments.claims import remittance as remittance_text
from payments.claims.netting import Netting
from payments.db import IdReserver, lock_for_writing
from payments.models import Claim, Decision, PaymentOrder, Recovery
from payments.statuses import OrderStatus, RecoveryStatus


def period(result: rules.Decision) -> tuple:
    """The first and last day an order of the decision pays (its granted days)."""
    days = result.granted_days or (result.first_absence_day, result.last_absence_day)
    return days[0], days[-1]


def remittance(result: rules.Decision, payee_kind: str) -> str:
    """E.g. ``Refusion sygedagpenge 2024-04-03..2024-04-26 ACME-0001`` (≤ 140 characters);
    a maternity refusion with the § 39 a supplement says what the payment holds."""
    first, last = period(result)
    return remittance_text.text(
        result.kind, payee_kind, first, last, result.external_ref,
        supplement=(money.ore(result.amount), money.ore(result.supplement)),
    )  # fmt: skip


def end_to_end_id(claim: Claim, n: int) -> str:
    """``NR`` + 20 hex digits of SHA-256 over (employer, reference, version) + ``-n``.

    Derived from the claim rather than a database id, so a whole chunk is inserted in one
    batch; unique by construction per claim version and order, and by the database's unique
    constraint in any case. 24 characters leave room for a retry suffix within 35.
    """
    digest = hashlib.sha256(
        f"{claim.employer_cvr}|{claim.external_ref}|{claim.version}".encode()
    ).hexdigest()
    return f"NR{digest[:20].upper()}-{n}"


def payments(
    ids: IdReserver,
    stored,
    decision: dict[str, Any],
    result: rules.Decision,
    already: dict[tuple[str, str], int],
    *,
    today: dt.date,
    now: dt.datetime,
) -> Iterator[tuple[type, dict]]:
    """Rows of orders and recoveries so that, per payee, paid + new - recovered = decided.

    ``stored`` is the claim (row or ORM object), ``decision`` its new decision's ``id`` and
    ``amount_ore`` and ``supplement_ore`` (paid together), ``already`` what each payee has
    been paid net of recoveries.
    """
    target: dict[tuple[str, str], int] = defaultdict(int)
    total = decision["amount_ore"] + decision.get("supplement_ore", 0)  # § 39 a paid with it
    if total > 0 and result.payee is not None:
        target[(result.payee.kind, result.payee.number)] = total
    n = 0
    for payee in sorted(set(target) | set(already)):
        diff = target.get(payee, 0) - already.get(payee, 0)
        if diff > 0:
            n += 1
            yield (
                PaymentOrder,
                dict(
                    id=ids.next("payment_orders"),
                    decision_id=decision["id"],
                    claim_id=stored.id,
                    payee_kind=payee[0],
                    payee_number=payee[1],
                    amount_ore=diff,
                    offset_ore=0,
                    remittance=remittance(result, payee[0]),
                    end_to_end_id=end_to_end_id(stored, n),
                    due_date=today,
                    status=OrderStatus.PENDING,
                    hold_reason=None,
                    return_reason=None,
                    attempts=0,
                    review_approved_by=None,
                    created_at=now,
                ),
            )
        elif diff < 0:
            yield (
                Recovery,
                dict(
                    id=ids.next("recoveries"),
                    claim_id=stored.id,
                    decision_id=decision["id"],
                    payee_kind=payee[0],
                    payee_number=payee[1],
                    amount_ore=-diff,
                    status=RecoveryStatus.OPEN,
                    open_ore=-diff,
                    offset_ore=0,
                    created_at=now,
                ),
            )


def correct(
    session: Session,
    ids: IdReserver,
    stored: Claim,
    decision: Decision,
    result: rules.Decision,
    *,
    today: dt.date,
    now: dt.datetime,
    netting: Netting,
) -> None:
    """The orders and recoveries of a corrected claim (see the module docstring), netted.

    Takes the batch lock first, so a nightly run never pays an order that is being
    cancelled or offset here; an order in a batch not yet released counts as paid.
    """
    lock_for_writing(session, "payments.batch")  # no run between read and cancel
    existing = session.execute(
        select(PaymentOrder, orders.in_unreleased_batch())
        .where(PaymentOrder.claim_id == stored.id, PaymentOrder.status != OrderStatus.CANCELLED)
        .execution_options(populate_existing=True)  # offsets may have changed them
    ).all()
    recovered = session.scalars(select(Recovery).where(Recovery.claim_id == stored.id)).all()
    already: dict[tuple[str, str], int] = defaultdict(int)
    for order, committed in existing:
        if orders.cancellable(order, committed):
            orders.cancel(order)
        else:
            already[(order.payee_kind, order.payee_number)] += order.amount_ore
    for recovery in recovered:
        already[(recovery.payee_kind, recovery.payee_number)] -= recovery.amount_ore
    values = {
        "id": decision.id,
        "amount_ore": decision.amount_ore,
        "supplement_ore": decision.supplement_ore,
    }
    for model, row in payments(ids, stored, values, result, already, today=today, now=now):
        made = model(**row)
        session.add(made)
        if model is PaymentOrder:
            netting.order_created(made, stored.kind, period(result), stored.external_ref)
        else:
            netting.recovery_created(made, stored.kind, stored.external_ref)
    netting.record()
