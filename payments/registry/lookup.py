"""Which account an owner is paid into on a day, or why there is none — for a few owners.

:func:`resolve` answers for a list of owners (a clerk's ``accounts show``, an authority's
mapper look-up of up to a thousand ids, the tests) with one query per 500 owners. It is built
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

from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import Session, aliased

from payments.models import AccountRegistration
from payments.registry import periods

CHUNK = 500


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
    session: Session, owners: Iterable[tuple[str, str]], on: dt.date
) -> dict[tuple[str, str], Resolution]:
    """Every owner (``(kind, number)``, validated by the caller) resolved as of ``on``."""
    keys = list(dict.fromkeys(owners))
    out: dict[tuple[str, str], Resolution] = {}
    for start in range(0, len(keys), CHUNK):
        out.update(_resolve_chunk(session, keys[start : start + CHUNK], on))
    return out


def _resolve_chunk(session: Session, keys: list[tuple[str, str]], on: dt.date) -> dict:
    owner = select(
        literal(keys[0][0]).label("kind"), literal(keys[0][1]).label("number")
    ).union_all(*(select(literal(k), literal(n)) for k, n in keys[1:]))
    wanted = owner.subquery("wanted")
    r = aliased(AccountRegistration, name="r")
    pending = aliased(AccountRegistration, name="p")
    reason = case(*periods.no_account_whens(r, pending, wanted.c.kind, wanted.c.number))
    rows = session.execute(
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
            and_(periods.owned_by(r, wanted.c.kind, wanted.c.number), periods.in_force_on(r, on)),
        )
    )
    return {(row[0], row[1]): Resolution(*row) for row in rows}
