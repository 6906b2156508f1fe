"""Which account an owner is paid into on a day, or why there is none — for a few owners.

:func:`resolve` answers for a list of owners (a clerk's ``accounts show``, an authority's
mapper look-up of up to a thousand ids, the tests) with one query per :data:`CHUNK` owners.
The owners travel as ONE JSON parameter, unpacked by the database (``json_to_recordset`` on
PostgreSQL, ``json_each`` on SQLite), so the statement is the same text for every call and
SQLAlchemy compiles it once: building a ``UNION ALL`` of one ``SELECT`` per owner cost 0.25 s
of Python for 1,000 owners before any SQL ran (``benchmarks/registry.py``). It is built
from :mod:`payments.registry.periods`, as is the nightly batch's set-based resolution of a
million orders (:func:`payments.batch.candidates.fill`), so both give the same answer for
the same owner and day: the account in force, or ``NO_ACCOUNT`` / ``PENDING_ACTIVATION`` /
``REJECTED_BY_BANK``.

(The batch does not call this: it resolves inside its one ``INSERT … SELECT``, which is
cheaper than bringing a million answers into Python and back — measured when the separate
bulk resolver ``resolve_many`` was removed; see ``benchmarks/README.md``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import orjson
from sqlalchemy import Date, String, and_, bindparam, case, column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from payments.models import AccountRegistration
from payments.registry import periods

CHUNK = 1000

#: the owners as a derived table ``wanted(kind, number)`` from one JSON parameter ``:owners``
WANTED_SQL = {
    "postgresql": "SELECT w.kind, w.number"
    " FROM json_to_recordset(CAST(:owners AS json)) AS w(kind text, number text)",
    "sqlite": "SELECT json_extract(value, '$.kind') AS kind,"
    " json_extract(value, '$.number') AS number FROM json_each(:owners)",
}


class Resolution(NamedTuple):
    """An owner's payout account on a day, or the reason there is none."""

    owner_kind: str
    owner_number: str
    registration_id: int | None  # None when reason is NO_ACCOUNT / PENDING_ACTIVATION
    reason: str | None  # None = payable; else NO_ACCOUNT | PENDING_ACTIVATION | REJECTED_BY_BANK
    reg_no: str | None
    account_no: str | None
    iban: str | None
    bic: str | None
    active_from: dt.date | None


def resolve(
    session: Session | Connection, owners: Iterable[tuple[str, str]], on: dt.date
) -> dict[tuple[str, str], Resolution]:
    """Every owner (``(kind, number)``, validated by the caller) resolved as of ``on``, in
    the session's transaction (or on a connection: :func:`payments.db.read_connection`)."""
    keys = list(dict.fromkeys(owners))
    out: dict[tuple[str, str], Resolution] = {}
    for start in range(0, len(keys), CHUNK):
        out.update(_resolve_chunk(session, keys[start : start + CHUNK], on))
    return out


def _resolve_chunk(session: Session | Connection, keys: list[tuple[str, str]], on: dt.date) -> dict:
    owners = orjson.dumps([{"kind": kind, "number": number} for kind, number in keys])
    conn = session.connection() if isinstance(session, Session) else session
    sql, fixed, order = _driver_sql(conn.dialect)
    values = fixed | {"owners": owners.decode(), "on": on}
    sqlite = order is not None
    if sqlite:
        values["on"] = on.isoformat()
    rows = conn.exec_driver_sql(
        sql, tuple(values[n] for n in order) if sqlite else values
    ).fetchall()
    if sqlite:  # the driver's rows: SQLite's dates are text
        return {
            (row[0], row[1]): Resolution(
                *row[:8], dt.date.fromisoformat(row[8]) if row[8] else None
            )
            for row in rows
        }
    return {(row[0], row[1]): Resolution._make(row) for row in rows}


_compiled: dict[str, tuple[str, dict, tuple[str, ...] | None]] = {}


def _driver_sql(dialect) -> tuple[str, dict, tuple[str, ...] | None]:
    """:func:`_statement` compiled once for ``dialect`` to the driver's SQL text: the text,
    its fixed values (the statuses and reasons of :mod:`periods`), and the order of its
    parameters when the driver's are positional (SQLite). Run through
    ``exec_driver_sql``, a look-up skips SQLAlchemy's per-execution work — the statement's
    cache key, the expansion of its ``IN`` lists, the ORM's execution — which cost a
    mapper message of 100 ids more Python than building its answer (``benchmarks.api``)."""
    if dialect.name not in _compiled:
        expanded = (
            _statement(dialect.name)
            .compile(dialect=dialect)
            .construct_expanded_state({"owners": None, "on": None})
        )
        fixed = {
            name: str(value)  # the statuses are StrEnums: the driver gets their text
            for name, value in expanded.parameters.items()
            if name not in ("owners", "on")
        }
        order = tuple(expanded.positiontup) if expanded.positiontup else None
        _compiled[dialect.name] = (expanded.statement, fixed, order)
    return _compiled[dialect.name]


_statements: dict[str, object] = {}


def _statement(dialect: str):
    """The look-up for ``:owners`` on ``:on``, built once per dialect."""
    if dialect not in _statements:
        wanted = (
            text(WANTED_SQL[dialect])
            .columns(column("kind", String), column("number", String))
            .subquery("wanted")
        )
        r = aliased(AccountRegistration, name="r")
        pending = aliased(AccountRegistration, name="p")
        on = bindparam("on", type_=Date)
        reason = case(*periods.no_account_whens(r, pending, wanted.c.kind, wanted.c.number))
        _statements[dialect] = (
            select(
                wanted.c.kind,
                wanted.c.number,
                r.id,
                reason,
                r.reg_no,
                r.account_no,
                r.iban,
                r.bic,
                r.active_from,
            )
            .select_from(wanted)
            .outerjoin(
                r,
                and_(
                    periods.owned_by(r, wanted.c.kind, wanted.c.number),
                    periods.in_force_on(r, on),
                ),
            )
        )
    return _statements[dialect]
