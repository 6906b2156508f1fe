"""An employer's claims as its bookkeeper works through them: filtered, paged, and with
where each claim's money stands.

The web page "Refusion" lists a company's claims newest first, a page at a time, and must
stay fast for a company with tens of thousands of claims: one query of at most
``limit + 1`` claims (keyset paging on the claim id, by ``ix_claims_employer``), one count,
and one query for the orders of the claims shown (:func:`payments.order_views.for_claims`).

Filters, each optional: the decision's status, the kind (sickness or maternity), a
reference prefix, and the payment state: ``pending``, ``in_batch``, ``held``, ``sent``
(sent to the bank or accepted by it), ``settled`` or ``returned`` — a claim matches when
one of its live orders is in that state (a correction can give a claim a settled order and
a held difference order: it matches both).

A claim's own payment state (:func:`payment_state`) is the one that needs attention first:
returned, held, in a batch, pending, sent, settled, offset (paid back a recovery in full);
``none`` when the decision pays nothing. Cancelled orders (replaced by a correction) do not
count.

Only the employer's own claims are ever read: every query is bound to ``employer_cvr``, the
caller's authenticated company; a claim of another company is ``CLAIM_NOT_FOUND``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Engine

from payments import money, order_views, orders
from payments.claims import intake
from payments.db import read_scope
from payments.errors import InputError
from payments.models import LIVE_DECISION, Claim, Decision, PaymentOrder
from payments.statuses import ClaimKind, DecisionStatus, OrderStatus

PAGE = 50
PAGE_MAX = 200
#: the payment states a list can be filtered by
PAYMENT_FILTERS = ("pending", orders.IN_BATCH, "held", "sent", "settled", "returned")
#: a claim's payment state: the first of its orders' states in this order
PRECEDENCE = (
    OrderStatus.RETURNED,
    OrderStatus.HELD,
    orders.IN_BATCH,
    OrderStatus.PENDING,
    OrderStatus.SENT,
    OrderStatus.ACCEPTED,
    OrderStatus.SETTLED,
    OrderStatus.OFFSET,
)
#: the decision statuses stored (error and invalid decisions are never stored)
STORED_STATUSES = (
    DecisionStatus.APPROVED,
    DecisionStatus.PARTIALLY_APPROVED,
    DecisionStatus.REJECTED,
)


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    payment: str | None = None
    ref: str | None = None

    def check(self) -> Filters:
        """The filters, or ``CLAIM_FILTER_INVALID`` naming the one that is not a choice."""
        for name, value, allowed in (
            ("status", self.status, STORED_STATUSES),
            ("kind", self.kind, tuple(ClaimKind)),
            ("payment", self.payment, PAYMENT_FILTERS),
        ):
            if value is not None and value not in allowed:
                raise InputError(
                    "CLAIM_FILTER_INVALID", f"{name} is one of {', '.join(allowed)}", name
                )
        if self.ref is not None and (len(self.ref) > 35 or not self.ref.isprintable()):
            raise InputError(
                "CLAIM_FILTER_INVALID", "a reference is at most 35 printable characters", "ref"
            )
        return self


@dataclass(frozen=True, slots=True)
class ClaimsPage:
    items: list[dict[str, Any]]
    total: int  # claims matching the filters, on every page
    next_before: int | None  # the ``before`` of the next (older) page, None on the last


def _payment_filter(state: str):
    o = PaymentOrder
    if state == orders.IN_BATCH:
        where = orders.in_unreleased_batch(o)
    else:
        stored = (OrderStatus.SENT, OrderStatus.ACCEPTED) if state == "sent" else (state,)
        where = and_(o.status.in_(stored), ~orders.in_unreleased_batch(o))
    return exists().where(o.claim_id == Claim.id, where)


def _where(employer_cvr: str, filters: Filters) -> list:
    where = [Claim.employer_cvr == employer_cvr]
    if filters.status:
        where.append(Decision.status == filters.status)
    if filters.kind:
        where.append(Claim.kind == filters.kind)
    if filters.ref:
        escaped = filters.ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Claim.external_ref.like(escaped + "%", escape="\\"))
    if filters.payment:
        where.append(_payment_filter(filters.payment))
    return where


def payment_state(claim_orders: list[dict[str, Any]]) -> dict[str, Any]:
    """Where a claim's money stands, from its orders' views: the state that needs attention
    first, its reason and payment date, and the amount of its live orders."""
    live = [o for o in claim_orders if o["state"] != OrderStatus.CANCELLED]
    if not live:
        return {"state": "none", "reason": None, "payment_date": None, "orders": 0}
    first = min(live, key=lambda o: PRECEDENCE.index(o["state"]))
    return {
        "state": first["state"],
        "reason": first["reason"],
        "payment_date": first["payment_date"],
        "orders": len(live),
    }


def page(
    engine: Engine,
    employer_cvr: str,
    filters: Filters = Filters(),
    *,
    before: int | None = None,
    limit: int = PAGE,
) -> ClaimsPage:
    """The employer's claims matching ``filters``, newest first, ``limit`` a page, older than
    claim ``before``; each with its live decision and payment state (see the module)."""
    filters = filters.check()
    limit = min(max(limit, 1), PAGE_MAX)
    where = _where(employer_cvr, filters)
    query = (
        select(
            Claim.id,
            Claim.external_ref,
            Claim.kind,
            Claim.first_day,
            Claim.last_day,
            Claim.version,
            Claim.received_on,
            Decision.status,
            Decision.amount_ore,
            Decision.supplement_ore,
            Decision.codes,
        )
        .join(Decision, LIVE_DECISION)
        .where(*where, *([Claim.id < before] if before else []))
        .order_by(Claim.id.desc())
        .limit(limit + 1)
    )
    with read_scope(engine) as session:
        rows = session.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        # every claim has exactly one live decision (uq_decisions_live_claim): without a
        # status filter the count needs no join, only the company's index entries
        counted = select(func.count()).select_from(Claim)
        if filters.status:
            counted = counted.join(Decision, LIVE_DECISION)
        total = session.scalar(counted.where(*where))
        by_claim = order_views.for_claims(session, [r.id for r in rows])
    items = [
        {
            "sequence": r.id,
            "external_ref": r.external_ref,
            "kind": r.kind,
            "first_absence_day": r.first_day,
            "last_absence_day": r.last_day,
            "version": r.version,
            "received_on": r.received_on,
            "status": r.status,
            "amount": money.text(r.amount_ore + r.supplement_ore),
            "codes": [c for c in r.codes.split(",") if c],
            "payment": payment_state(by_claim.get((employer_cvr, r.external_ref), [])),
        }
        for r in rows
    ]
    return ClaimsPage(items, total, rows[-1].id if more else None)


def stored_claim(engine: Engine, employer_cvr: str, external_ref: str) -> dict[str, Any]:
    """The claim as the employer last sent it (its raw record, without ``correction``): what
    a correction starts from. Holds the employee's full CPR: a caller shows it masked or not
    at all."""
    with read_scope(engine) as session:
        claim, _ = intake.find(session, employer_cvr, external_ref)
        raw = json.loads(claim.raw)
    raw.pop("correction", None)
    return raw
