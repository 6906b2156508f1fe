"""The bank's answers as an operator reads them after an import: what each one said, per
transaction, and where each order stands now.

:func:`payments.returns.import_file` applies a pain.002 or camt.054 and records every status
in it (``status_report_items``, with the order it concerns, or none for an end-to-end id
the engine never sent). This module reads that record back: the report (:func:`report`,
found by its message id or id), the statuses counted by status and reason in SQL
(:func:`report` too, however large the file), and its transactions a page at a time
(:func:`items`: keyset paging on the item id), each with the order's amount, its payee
masked and its reported state now (``returned`` with the reason, ``settled``, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from identifiers import mask_owner
from payments import money, orders
from payments.db import session_scope
from payments.errors import NotFound
from payments.models import PaymentOrder, StatusReport, StatusReportItem

PAGE = 50
PAGE_MAX = 500


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    msg_id: str
    kind: str
    original_msg_id: str | None
    group_status: str | None
    imported_at: Any
    actor: str
    transactions: int
    #: (bank status, reason or None, count), most frequent first
    by_status: tuple[tuple[str, str | None, int], ...]
    unknown: int  # end-to-end ids the engine never sent


@dataclass(frozen=True, slots=True)
class ItemsPage:
    items: list[dict[str, Any]]
    next_after: int | None


def _found(session, *, report_id: int | None, msg_id: str | None) -> StatusReport:
    where = StatusReport.id == report_id if report_id is not None else StatusReport.msg_id == msg_id
    row = session.scalar(select(StatusReport).where(where))
    if row is None:
        raise NotFound("RETURNS_REPORT_NOT_FOUND", "no such bank answer was imported", "report")
    return row


def report(engine: Engine, *, report_id: int | None = None, msg_id: str | None = None) -> Report:
    """An imported answer and its statuses counted (``RETURNS_REPORT_NOT_FOUND`` if none)."""
    with session_scope(engine) as session:
        row = _found(session, report_id=report_id, msg_id=msg_id)
        i = StatusReportItem
        counted = session.execute(
            select(i.status, i.reason_code, func.count())
            .where(i.report_id == row.id)
            .group_by(i.status, i.reason_code)
        ).all()
        unknown = session.scalar(
            select(func.count()).where(i.report_id == row.id, i.order_id.is_(None))
        )
    by_status = tuple(
        sorted(((s, r, n) for s, r, n in counted), key=lambda t: (-t[2], t[0], t[1] or ""))
    )
    return Report(
        id=row.id,
        msg_id=row.msg_id,
        kind=row.kind,
        original_msg_id=row.original_msg_id,
        group_status=row.group_status,
        imported_at=row.imported_at,
        actor=row.actor,
        transactions=sum(n for _, _, n in by_status),
        by_status=by_status,
        unknown=unknown or 0,
    )


def recent(engine: Engine, *, limit: int = 10) -> list[dict[str, Any]]:
    """The newest imported answers, newest first."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(StatusReport).order_by(StatusReport.id.desc()).limit(limit)
        ).all()
        return [
            {
                "id": r.id,
                "msg_id": r.msg_id,
                "kind": r.kind,
                "imported_at": r.imported_at,
                "actor": r.actor,
            }
            for r in rows
        ]


def items(engine: Engine, report_id: int, *, after: int = 0, limit: int = PAGE) -> ItemsPage:
    """The answer's transactions after item ``after``: what the bank said and where the
    order stands now (payee masked; no order for an id never sent)."""
    limit = min(max(limit, 1), PAGE_MAX)
    i, o = StatusReportItem, PaymentOrder
    with session_scope(engine) as session:
        _found(session, report_id=report_id, msg_id=None)
        rows = session.execute(
            select(
                i.id,
                i.end_to_end_id,
                i.status,
                i.reason_code,
                i.order_id,
                o.payee_kind,
                o.payee_number,
                o.amount_ore,
                o.return_reason,
                orders.reported_status(o).label("state"),
            )
            .outerjoin(o, o.id == i.order_id)
            .where(i.report_id == report_id, i.id > after)
            .order_by(i.id)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    lines = [
        {
            "item_id": r.id,
            "end_to_end_id": r.end_to_end_id,
            "status": r.status,
            "reason": r.reason_code,
            "order_id": r.order_id,
            "payee": None
            if r.order_id is None
            else {"kind": r.payee_kind, "number": mask_owner(r.payee_kind, r.payee_number)},
            "amount": None if r.order_id is None else money.text(r.amount_ore),
            "state": r.state if r.order_id is not None else None,
            "return_reason": r.return_reason if r.state == "returned" else None,
        }
        for r in rows[:limit]
    ]
    return ItemsPage(lines, lines[-1]["item_id"] if more else None)
