"""One router per audience; each route names the roles that may call it."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    400: "malformed request, or a CPR in the URL",
    401: "no token, or one that does not verify",
    403: "the token's role or subject may not do this",
    404: "not found (or not the caller's)",
    409: "the state does not allow it",
    413: "the body is too large",
    415: "the body's media type is not taken",
    422: "the input is not valid",
    429: "too many attempts",
    500: "the service failed",
    503: "the database is unavailable (or no paying agency is configured)",
}


def problem_answer(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem answers a route documents: the common ones and ``statuses``."""
    wanted = {400, 401, 403, 413, 415, 422, 500, 503, *statuses}
    return {s: problem_answer(s) for s in sorted(wanted)}
