"""Answer a retried request as the first one was answered, and never do its work twice.

A caller that cannot tell whether its request arrived (a timeout, a dropped connection)
sends it again with the same key: an ``Idempotency-Key`` header, or a G2P Connect
``message_id``. The first request claims the key (:func:`begin`, its own transaction: the
unique ``(scope, key)`` decides between two at once), does its work, and stores its answer
(:func:`finish`). A request with a claimed key gets:

- the stored answer, byte for byte, when its body is the same (compared by SHA-256);
- ``IDEMPOTENCY_KEY_REUSED`` when the body differs: a key names one request, and a client
  that reuses it for another has a bug that must not pass silently;
- ``IDEMPOTENCY_IN_PROGRESS`` while the first is still being answered.

A request that fails for a reason of the machine (the database went away) gives up its key
(:func:`abandon`) so that the retry does the work. A key whose request never finished (the
process died between its work and :func:`finish`) may be taken over after
:data:`STALE_AFTER`; the work is then done again, which for the registry means a newer
registration request replacing the first — never two current accounts.

``scope`` keeps callers apart: it names the operation and the caller's subject, so one
caller can neither read nor block another's keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from payments.db import session_scope
from payments.errors import ConflictError, InputError
from payments.models import IdempotencyKey

KEY_MAX = 200
STALE_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored answer to the first request with the key."""

    status_code: int
    body: str


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_key(key: object, field: str = "Idempotency-Key") -> str:
    """The key as given, or ``IDEMPOTENCY_KEY_INVALID``."""
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX or not key.isprintable():
        raise InputError(
            "IDEMPOTENCY_KEY_INVALID",
            f"an idempotency key is 1-{KEY_MAX} printable characters",
            field,
        )
    return key


def begin(
    engine: Engine, scope: str, key: str, request_sha256: str, now: dt.datetime
) -> Replay | None:
    """Claim ``key`` in ``scope``: None when the caller goes ahead (and must :func:`finish`
    or :func:`abandon`), the stored answer when the same request was answered before."""
    scope = scope[:200]
    try:
        with session_scope(engine) as session:
            session.add(
                IdempotencyKey(scope=scope, key=key, request_sha256=request_sha256, created_at=now)
            )
        return None
    except IntegrityError:
        pass
    with session_scope(engine) as session:
        row = _stored(session, scope, key)
        if row is None:  # given up meanwhile: claim it again
            session.add(
                IdempotencyKey(scope=scope, key=key, request_sha256=request_sha256, created_at=now)
            )
            return None
        if row.request_sha256 != request_sha256:
            raise _reused()
        if row.status_code is not None:
            return Replay(row.status_code, row.response or "")
        if now - row.created_at < STALE_AFTER:
            raise _in_progress()
        taken = session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row.id, IdempotencyKey.created_at == row.created_at)
            .values(created_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            raise ConflictError(
                "IDEMPOTENCY_IN_PROGRESS",
                "another retry took over this key; try again shortly",
                "Idempotency-Key",
            )
        return None


def remember(
    engine: Engine,
    scope: str,
    key: str,
    request_sha256: str,
    now: dt.datetime,
    status_code: int,
    body: str,
) -> Replay | None:
    """For a request that changes nothing (a mapper resolve): its answer, computed before,
    stored with the key in one transaction instead of :func:`begin` and :func:`finish`'s
    two. None when this answer was stored (send it); the first answer when the same request
    had the key before (send that); ``IDEMPOTENCY_KEY_REUSED`` or
    ``IDEMPOTENCY_IN_PROGRESS`` as :func:`begin` says.

    One ``INSERT … ON CONFLICT (scope, key) DO NOTHING RETURNING id`` (built once per
    dialect, Core): a stored row is the common case of every resolve, and the ORM's unit of
    work cost it more Python than the rest of the message's storing (``benchmarks.api``)."""
    row = {
        "scope": scope[:200],
        "key": key,
        "request_sha256": request_sha256,
        "created_at": now,
        "status_code": status_code,
        "response": body,
    }
    with engine.begin() as conn:
        if conn.execute(_insert_new(engine.dialect.name), row).first() is not None:
            return None
    with session_scope(engine) as session:
        first = _stored(session, row["scope"], key)
        if first is None:  # given up meanwhile
            session.add(IdempotencyKey(**row))
            return None
        if first.request_sha256 != request_sha256:
            raise _reused()
        if first.status_code is not None:
            return Replay(first.status_code, first.response or "")
        raise _in_progress()


@cache
def _insert_new(dialect: str):
    """A key's row, or nothing when ``(scope, key)`` is taken: its ``id`` tells which."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(IdempotencyKey)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(IdempotencyKey.id)
    )


def _stored(session, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _reused() -> InputError:
    return InputError(
        "IDEMPOTENCY_KEY_REUSED",
        "this idempotency key was used for another request; use a new key",
        "Idempotency-Key",
    )


def _in_progress() -> ConflictError:
    return ConflictError(
        "IDEMPOTENCY_IN_PROGRESS",
        "the first request with this key is still being answered; try again shortly",
        "Idempotency-Key",
    )


def finish(engine: Engine, scope: str, key: str, status_code: int, body: str) -> None:
    """Store the answer a retry with the same key and body gets."""
    with session_scope(engine) as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.scope == scope[:200], IdempotencyKey.key == key)
            .values(status_code=status_code, response=body)
            .execution_options(synchronize_session=False)
        )


def abandon(engine: Engine, scope: str, key: str) -> None:
    """Give the key up: the request failed for a reason of the machine; a retry may go on."""
    with session_scope(engine) as session:
        session.execute(
            delete(IdempotencyKey)
            .where(
                IdempotencyKey.scope == scope[:200],
                IdempotencyKey.key == key,
                IdempotencyKey.status_code.is_(None),
            )
            .execution_options(synchronize_session=False)
        )
