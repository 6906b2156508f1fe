"""The bank refused accounts: flag every registration of them, set-based.

:func:`mark_accounts_rejected` is what :func:`payments.registry.lifecycle.mark_accounts_rejected`
does (its docstring says what), in a fixed number of statements however many accounts a
bank answer refuses: the registrations paid into and their reasons go to a temporary
table, their accounts' keys (:mod:`payments.registry.accounts`) to another, every current
registration of another owner naming one of those accounts is added by a join on the
account indexes, the rows are locked in id order (PostgreSQL; SQLite has its one write
lock), updated by one ``UPDATE … FROM``, and one audit event per flagged registration is
appended in bulk (:func:`payments.audit.append_many`). A bank answer of 1,000,000
statuses with 25,000 refused accounts took some 8 ms a registration one by one (a look-up
of the sharing owners, an update, a refresh, an audit event each): minutes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, text
from sqlalchemy.orm import Session

from identifiers import mask_account, mask_owner
from payments import audit
from payments.db import drop_temp_table, load_temp_table
from payments.errors import NotFound
from payments.models import AccountRegistration
from payments.registry.accounts import ACCOUNT_KEY_SQL
from payments.statuses import RegistrationStatus as S

_FETCH = 2_000
_meta = MetaData()
_flag = Table(
    "flag_registrations",
    _meta,
    Column("id", BigInteger, primary_key=True),
    Column("reason", String(4)),
    Column("own", Integer, nullable=False),  # 1: paid into; 0: another owner of the account
    Column("changes", Integer),  # 1: active or ended, so flagged now
    prefixes=["TEMPORARY"],
)
_keys = Table(
    "flag_accounts",
    _meta,
    Column("account_key", Text, primary_key=True),
    Column("reason", String(4)),
    prefixes=["TEMPORARY"],
)


def mark_accounts_rejected(
    session: Session, reasons: dict[int, str | None], actor: str, now: dt.datetime
) -> list:
    """See :func:`payments.registry.lifecycle.mark_accounts_rejected`; a list of
    :class:`~payments.registry.lifecycle.Flagged`, in registration id order."""
    from payments.registry.lifecycle import Flagged

    if not reasons:
        return []
    own = ((i, (r or "").strip().upper()[:4] or None, 1) for i, r in reasons.items())
    load_temp_table(session, _flag, own, columns=3)  # one row in memory at a time
    missing = session.scalar(
        text(
            "SELECT min(t.id) FROM flag_registrations t LEFT JOIN account_registrations r "
            "ON r.id = t.id WHERE r.id IS NULL"
        )
    )
    if missing is not None:
        _drop(session)
        raise NotFound(
            "ACCOUNT_REGISTRATION_NOT_FOUND", f"no registration {missing}", "registration_id"
        )
    # each refused account once, with the reason of its registration of lowest id
    load_temp_table(session, _keys, ())
    session.execute(
        text(
            "INSERT INTO flag_accounts (account_key, reason) SELECT account_key, reason FROM ("
            f"SELECT {ACCOUNT_KEY_SQL} AS account_key, t.reason, row_number() OVER "
            f"(PARTITION BY {ACCOUNT_KEY_SQL} ORDER BY r.id) AS n "
            "FROM account_registrations r JOIN flag_registrations t ON t.id = r.id) k "
            "WHERE n = 1"
        )
    )
    # every other current registration of those accounts: domestic ones by the account
    # index, foreign IBANs by the IBAN index, Danish IBANs by the key of each
    session.execute(
        text(
            "INSERT INTO flag_registrations (id, reason, own) "
            f"SELECT id, min(reason), 0 FROM ({_sharing(session)}) s "
            "WHERE NOT EXISTS (SELECT 1 FROM flag_registrations t WHERE t.id = s.id) "
            "GROUP BY id"
        ),
        {"active": S.ACTIVE.value},
    )
    # the rows that change, marked (each looked up by its key: 25,000 probes, not a scan of
    # every registration); locked in id order (the order the bank-file import locks in;
    # SQLite has its one write lock)
    params = {"active": S.ACTIVE.value, "ended": S.ENDED.value}
    session.execute(
        text(
            "UPDATE flag_registrations SET changes = 1 WHERE (SELECT r.status FROM "
            "account_registrations r WHERE r.id = flag_registrations.id) IN (:active, :ended)"
        ),
        params,
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT r.id FROM account_registrations r JOIN flag_registrations t "
                "ON t.id = r.id WHERE t.changes = 1 ORDER BY r.id FOR UPDATE OF r"
            )
        ).all()
    session.execute(
        text(
            "UPDATE account_registrations SET status = :rejected, rejected_reason = ("
            "SELECT t.reason FROM flag_registrations t WHERE t.id = account_registrations.id) "
            "WHERE id IN (SELECT id FROM flag_registrations WHERE changes = 1)"
        ),
        {"rejected": S.REJECTED_BY_BANK.value},
    )
    changed = session.execute(
        text(
            "SELECT r.id, r.owner_kind, r.owner_number, r.reg_no, r.account_no, r.iban, "
            "r.channel, r.registered_by_owner, t.reason, t.own "
            "FROM account_registrations r JOIN flag_registrations t ON t.id = r.id "
            "WHERE t.changes = 1 ORDER BY r.id"
        ).execution_options(stream_results=True, yield_per=_FETCH)
    )
    flagged = []

    def events():  # one row, one payload at a time
        for row in changed:
            shown = Flagged(
                row.id,
                mask_owner(row.owner_kind, row.owner_number),
                mask_account(row.reg_no, row.account_no, row.iban),
                row.reason,
            )
            flagged.append(shown)
            payload = {
                "registration_id": row.id,
                "owner": shown.owner,
                "account": shown.account,
                "channel": row.channel,
                "status": S.REJECTED_BY_BANK.value,
                "registered_by_owner": None
                if row.registered_by_owner is None
                else bool(row.registered_by_owner),
                "reason": row.reason,
                "shared_account": not row.own,
            }
            yield actor, "account.rejected_by_bank", f"registration:{row.id}", payload

    audit.append_many(session, events(), now=now)
    _drop(session)
    ids = {f.registration_id for f in flagged}
    for obj in list(session.identity_map.values()):  # loaded rows say what the table says
        if isinstance(obj, AccountRegistration) and obj.id in ids:
            session.expire(obj)
    return flagged


#: Danish IBAN registrations of a refused account, by the key of each (not indexable; there
#: are few of them): the last branch of both forms below
_DANISH_IBANS = (
    "SELECT r.id, k.reason FROM account_registrations r JOIN flag_accounts k "
    "ON r.iban IS NOT NULL AND r.iban LIKE 'DK%' AND substr(r.iban, 5, 14) = k.account_key "
    "WHERE r.ended_on IS NULL AND r.status = :active"
)
#: the other current registrations of a refused account (``flag_accounts``): the rows
#: ``(id, reason)`` of each, by the indexes on ``reg_no, account_no`` and on ``iban``
_SHARING = (
    "SELECT r.id, k.reason FROM account_registrations r JOIN flag_accounts k "
    "ON r.reg_no = substr(k.account_key, 1, 4) AND r.account_no = substr(k.account_key, 5) "
    "WHERE r.ended_on IS NULL AND r.status = :active "
    "UNION ALL "
    "SELECT r.id, k.reason FROM account_registrations r JOIN flag_accounts k "
    "ON r.iban = k.account_key "
    "WHERE r.ended_on IS NULL AND r.status = :active "
    "UNION ALL " + _DANISH_IBANS
)
#: the same on PostgreSQL, each refused account looked up in the indexes: its planner
#: cannot tell how few registrations a key of ``substr``s matches, and would hash every
#: registration of the table instead (a scan of all of them per import); ``OFFSET 0``
#: keeps each look-up a subquery of its own, run once per account
_SHARING_POSTGRESQL = (
    "SELECT r.id, k.reason FROM flag_accounts k CROSS JOIN LATERAL (SELECT r.id "
    "FROM account_registrations r WHERE r.reg_no = substr(k.account_key, 1, 4) "
    "AND r.account_no = substr(k.account_key, 5) AND r.ended_on IS NULL "
    "AND r.status = :active OFFSET 0) r "
    "UNION ALL "
    "SELECT r.id, k.reason FROM flag_accounts k CROSS JOIN LATERAL (SELECT r.id "
    "FROM account_registrations r WHERE r.iban = k.account_key AND r.ended_on IS NULL "
    "AND r.status = :active OFFSET 0) r "
    "UNION ALL " + _DANISH_IBANS
)


def _sharing(session: Session) -> str:
    postgresql = session.get_bind().dialect.name == "postgresql"
    return _SHARING_POSTGRESQL if postgresql else _SHARING


def _drop(session: Session) -> None:
    drop_temp_table(session, _flag)
    drop_temp_table(session, _keys)
