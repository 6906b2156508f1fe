"""JSON answers written by orjson (dates as ISO 8601, amounts already strings), and the
``Idempotency-Key`` handling shared by the routes that change something."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from api.problems import MEDIA_TYPE, coded, status_of
from payments import idempotency
from payments.errors import CODED_ERRORS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default)


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status, headers=headers, media_type="application/json")


def idempotent(
    engine: Engine,
    *,
    scope: str,
    key: str | None,
    request: bytes,
    now: dt.datetime,
    work: Callable[[], Response],
) -> Response:
    """Answer with ``work()``, or — with a key seen before for the same request — with the
    stored answer (see :mod:`payments.idempotency`). A coded refusal is an answer too and is
    stored; a failure of the machine gives the key up so that the retry does the work."""
    if key is None:
        return work()
    key = idempotency.check_key(key)
    replay = idempotency.begin(engine, scope, key, idempotency.digest(request), now)
    if replay is not None:
        media = MEDIA_TYPE if replay.status_code >= 400 else "application/json"
        return Response(
            replay.body.encode(),
            replay.status_code,
            headers={"Idempotent-Replayed": "true"},
            media_type=media,
        )
    try:
        response = work()
    except CODED_ERRORS as exc:
        if status_of(exc) >= 500:
            idempotency.abandon(engine, scope, key)
            raise
        response = coded(exc)
    except BaseException:
        idempotency.abandon(engine, scope, key)
        raise
    idempotency.finish(engine, scope, key, response.status_code, response.body.decode())
    return response
