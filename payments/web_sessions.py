"""Sessions of the web pages, kept on the server (table ``web_sessions``).

Why on the server, not in a signed cookie: a log-out must end the session everywhere (a
copied cookie is useless once its row is gone), idle expiry must be enforced by the server,
and a citizen's CPR must never travel in a cookie. The browser holds a random 256-bit key;
the table keeps only its SHA-256, so reading the table gives no one a session.

- :func:`start` makes a session (anonymous while logging in; its CSRF token protects the
  log-in form too); :func:`log_in` *replaces* a session by a new one with a new key for the
  principal (no session fixation: a key planted before the log-in is worth nothing after);
- :func:`find` answers the session of a key, or tells it has expired. A session expires
  ``idle`` after its last use, and at the latest :data:`ABSOLUTE` after it was made. Use
  moves the expiry, written at most every :data:`TOUCH_EVERY` (a page view is a read, not
  a write, most of the time; the expiry shown may be up to that much early, never late);
- :func:`end` deletes it (log-out); :func:`purge` deletes the expired ones.

Nothing here reads the clock: every function takes ``now``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from payments.db import read_scope, session_scope
from payments.models import WebSession
from payments.tokens import Principal

ABSOLUTE = dt.timedelta(hours=12)  # however busy, a session is logged in again after this
TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: its key (the cookie's value), who is logged in, its CSRF token."""

    key: str
    id: int
    principal: Principal | None
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def principal_json(found: Principal) -> str:
    return json.dumps(
        {
            "role": found.role,
            "subject": found.subject,
            "cpr": found.cpr,
            "cvr": found.cvr,
            "name": found.name,
            "scopes": sorted(found.scopes),
        },
        sort_keys=True,
    )


def principal_of(text: str | None) -> Principal | None:
    if not text:
        return None
    data = json.loads(text)
    return Principal(
        role=data["role"],
        subject=data["subject"],
        cpr=data.get("cpr"),
        cvr=data.get("cvr"),
        name=data.get("name"),
        scopes=frozenset(data.get("scopes") or ()),
    )


def _expiry(created: dt.datetime, now: dt.datetime, idle: dt.timedelta) -> dt.datetime:
    return min(now + idle, created + ABSOLUTE)


def start(
    engine: Engine,
    *,
    now: dt.datetime,
    idle: dt.timedelta,
    principal: Principal | None = None,
    data: dict[str, Any] | None = None,
) -> Session:
    """A new session with a new key and a new CSRF token."""
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = _expiry(now, now, idle)
    row = WebSession(
        key_hash=_hash(key),
        principal=principal_json(principal) if principal else None,
        csrf_token=csrf,
        data=json.dumps(data or {}, sort_keys=True),
        created_at=now,
        last_seen=now,
        expires_at=expires,
    )
    with session_scope(engine) as session:
        session.add(row)
        session.flush()
        ident = row.id
    return Session(key, ident, principal, csrf, now, expires, dict(data or {}))


def find(
    engine: Engine, key: str | None, *, now: dt.datetime, idle: dt.timedelta
) -> tuple[Session | None, bool]:
    """``(session, expired)``: the live session of ``key`` (or None), and whether ``key``
    named a session that has expired (it is deleted).

    Most page views only read the row (:func:`payments.db.read_scope`: on SQLite no wait
    for the write lock); the few that must delete an expired session or move the expiry
    write it in a transaction of their own, which re-reads the row first."""
    if not key or len(key) > 100:
        return None, False
    with read_scope(engine) as session:
        row = session.scalars(_by_key(key)).first()
    if row is None:
        return None, False
    if row.expires_at > now and now - row.last_seen < TOUCH_EVERY:
        return _session(key, row, row.expires_at), False
    with session_scope(engine) as session:
        row = session.scalars(_by_key(key)).first()
        if row is None:
            return None, False
        if row.expires_at <= now:
            session.delete(row)
            return None, True
        expires = row.expires_at
        if now - row.last_seen >= TOUCH_EVERY:
            expires = _expiry(row.created_at, now, idle)
            row.last_seen, row.expires_at = now, expires
        return _session(key, row, expires), False


def _by_key(key: str):
    return select(WebSession).where(WebSession.key_hash == _hash(key))


def _session(key: str, row: WebSession, expires: dt.datetime) -> Session:
    return Session(
        key,
        row.id,
        principal_of(row.principal),
        row.csrf_token,
        row.created_at,
        expires,
        json.loads(row.data or "{}"),
    )


def save(engine: Engine, found: Session, data: dict[str, Any]) -> Session:
    """Keep ``data`` (JSON-able) with the session: a log-in or a change in progress."""
    with session_scope(engine) as session:
        session.execute(
            update(WebSession)
            .where(WebSession.id == found.id)
            .values(data=json.dumps(data, sort_keys=True, default=str))
        )
    return Session(
        found.key,
        found.id,
        found.principal,
        found.csrf_token,
        found.created_at,
        found.expires_at,
        dict(data),
    )


def log_in(
    engine: Engine,
    old: Session | None,
    principal: Principal,
    *,
    now: dt.datetime,
    idle: dt.timedelta,
) -> Session:
    """A new session (new key, new CSRF token) for ``principal``; ``old`` is deleted."""
    if old is not None:
        end(engine, old.key)
    return start(engine, now=now, idle=idle, principal=principal)


def end(engine: Engine, key: str | None) -> None:
    """Delete the session of ``key`` (log-out); nothing when there is none."""
    if not key:
        return
    with session_scope(engine) as session:
        session.execute(delete(WebSession).where(WebSession.key_hash == _hash(key)))


def purge(engine: Engine, *, now: dt.datetime) -> int:
    """Delete every expired session; how many."""
    with session_scope(engine) as session:
        result = session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        return result.rowcount or 0
