"""An employer's claims as its bookkeeper works through them: filtered, paged, and with
where each claim's money stands.

The web page "Refusion" lists a company's claims newest first, a page at a time, and must
stay fast for a company with tens of thousands of claims: one statement gives the page of at
most ``limit + 1`` claims (keyset paging on the claim id, by ``ix_claims_employer``) joined
to their orders as :mod:`payments.order_views` shows them, and its total — the company's
kept number of claims (:mod:`payments.claims.counts`), carried by the same statement, when
nothing filters, else a count of the matching claims by one more.

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
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, exists, func, select
from sqlalchemy.engine import Engine

from payments import money, order_views, orders
from payments.claims import counts, intake
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


def _where(filters: Filters) -> list:
    """The conditions of ``filters``, their values bound by name (see :func:`_values`)."""
    where = [Claim.employer_cvr == bindparam("employer_cvr")]
    if filters.status:
        where.append(Decision.status == bindparam("status"))
    if filters.kind:
        where.append(Claim.kind == bindparam("kind"))
    if filters.ref:
        where.append(Claim.external_ref.like(bindparam("ref"), escape="\\"))
    if filters.payment:
        where.append(_payment_filter(filters.payment))
    return where


def _values(employer_cvr: str, filters: Filters) -> dict[str, Any]:
    values: dict[str, Any] = {"employer_cvr": employer_cvr}
    if filters.status:
        values["status"] = filters.status
    if filters.kind:
        values["kind"] = filters.kind
    if filters.ref:
        escaped = filters.ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values["ref"] = escaped + "%"
    return values


@lru_cache(maxsize=64)
def _statements(shape: Filters, paged: bool) -> tuple[Select, Select | None]:
    """The page's statement and the count's for filters of this ``shape`` (which filters
    are set; the payment filter's state, which changes the statement), built once: their
    values are bound by name. Building the statements cost more Python than running them.

    The page is one statement: the page of claims (by ``ix_claims_employer``, newest
    first) with each claim's orders in their view (:func:`payments.order_views.with_batches`)
    joined to it, a row per order, or one row without order columns for a claim that pays
    nothing. Unfiltered, each row also carries the company's kept total
    (:func:`payments.claims.counts.kept`) and there is no count statement: one round trip
    to the database a page instead of two (on SQLite the second statement's own cost was
    ~7 % of the page's CPU)."""
    unfiltered = shape == Filters()
    where = _where(shape)
    claims = (
        select(
            Claim.id.label("claim_seq"),
            Claim.employer_cvr,
            Claim.external_ref,
            Claim.kind,
            Claim.first_day,
            Claim.last_day,
            Claim.version,
            Claim.received_on,
            Decision.status.label("decision_status"),
            Decision.amount_ore.label("decision_amount_ore"),
            Decision.supplement_ore,
            Decision.codes,
        )
        .join(Decision, LIVE_DECISION)
        .where(*where, *([Claim.id < bindparam("before")] if paged else []))
        .order_by(Claim.id.desc())
        .limit(bindparam("limit", type_=Integer, literal_execute=True))
        .subquery("page")
    )
    o = PaymentOrder
    total = [counts.kept(bindparam("employer_cvr")).label("kept_total")] if unfiltered else []
    page_statement = order_views.with_batches(
        select(claims, *total).outerjoin(o, o.claim_id == claims.c.claim_seq), o
    ).order_by(claims.c.claim_seq.desc(), o.id)
    if unfiltered:
        return page_statement, None
    # every claim has exactly one live decision (uq_decisions_live_claim): without a
    # status filter the count needs no join, only the company's index entries
    counted = select(func.count()).select_from(Claim)
    if shape.status:
        counted = counted.join(Decision, LIVE_DECISION)
    return page_statement, counted.where(*where)


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
    shape = Filters(
        filters.status and "set", filters.kind and "set", filters.payment, filters.ref and "set"
    )
    page_statement, count_statement = _statements(shape, before is not None)
    values = _values(employer_cvr, filters)
    with read_scope(engine) as session:
        rows = session.execute(
            page_statement, values | {"limit": limit + 1, "before": before}
        ).all()
        if count_statement is not None:
            total = session.scalar(count_statement, values)
        else:  # kept as claims are created, carried by the page's rows (none past the last)
            total = rows[0].kept_total if rows else counts.total(session, employer_cvr)
    claims: list[tuple[Any, list[dict[str, Any]]]] = []
    for r in rows:  # newest claim first, each claim's orders oldest first
        if not claims or claims[-1][0].claim_seq != r.claim_seq:
            claims.append((r, []))
        if r.id is not None:
            claims[-1][1].append(order_views.view(r))
    more = len(claims) > limit
    claims = claims[:limit]
    items = [
        {
            "sequence": r.claim_seq,
            "external_ref": r.external_ref,
            "kind": r.kind,
            "first_absence_day": r.first_day,
            "last_absence_day": r.last_day,
            "version": r.version,
            "received_on": r.received_on,
            "status": r.decision_status,
            "amount": money.text(r.decision_amount_ore + r.supplement_ore),
            "codes": [c for c in r.codes.split(",") if c],
            "payment": payment_state(claim_orders),
        }
        for r, claim_orders in claims
    ]
    return ClaimsPage(items, total, claims[-1][0].claim_seq if more else None)


def stored_claim(engine: Engine, employer_cvr: str, external_ref: str) -> dict[str, Any]:
    """The claim as the employer last sent it (its raw record, without ``correction``): what
    a correction starts from. Holds the employee's full CPR: a caller shows it masked or not
    at all."""
    with read_scope(engine) as session:
        claim, _ = intake.find(session, employer_cvr, external_ref)
        raw = json.loads(claim.raw)
    raw.pop("correction", None)
    return raw
