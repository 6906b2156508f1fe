"""Every error as RFC 9457 ``application/problem+json``, with the engine's stable code.

The engine's coded errors (:data:`payments.errors.CODED_ERRORS`) map by class:
:class:`~payments.errors.InputError`, and the identifier, rule and ISO 20022 errors (all
input) → 422; :class:`~payments.errors.NotFound` → 404;
:class:`~payments.errors.ConflictError` → 409; an authentication failure → 401; other
codes by :data:`BY_CODE` (a wrong activation code is 422, an unusable database 503).
Failures of the machine (:func:`payments.errors.from_environment`) → 503. Anything else is
a bug: it is logged with its traceback on the server and answered 500 ``INTERNAL_ERROR``
without one — a traceback tells an attacker more than it helps a caller.
"""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from payments.errors import CODED_ERRORS, ConflictError, InputError, NotFound, from_environment
from payments.tokens import AuthError

log = logging.getLogger("payments.api")
MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
#: codes whose status does not follow from their class
BY_CODE = {
    "ACCOUNT_ACTIVATION_CODE_WRONG": 422,
    "ACCOUNT_ACTIVATION_LOCKED": 409,
    "AUTH_FORBIDDEN": 403,
    "AUTH_SUBJECT_MISMATCH": 403,
    "BATCH_ORDERS_CHANGED": 409,
    "BATCH_FILE_TAMPERED": 409,
    "CLAIM_DUPLICATE_REF": 409,
    "CLAIM_CONFLICT": 409,
    "CONFIG_INVALID": 503,
    "CONFIG_DATABASE_URL": 503,
    "CONFIG_DEBTOR_MISSING": 503,  # the server has no paying agency: not the caller's input
    "DB_SCHEMA_MISSING": 503,
    "DB_SCHEMA_OUTDATED": 503,
    "DB_UNAVAILABLE": 503,
    "FILE_UNUSABLE": 503,
    "IDEMPOTENCY_IN_PROGRESS": 409,
    "RATE_LIMITED": 429,
    "REQUEST_CONTENT_TYPE": 415,
    "REQUEST_CPR_IN_URL": 400,
    "REQUEST_MALFORMED": 400,
    "REQUEST_METHOD_NOT_ALLOWED": 405,
    "REQUEST_NOT_FOUND": 404,
    "REQUEST_TOO_LARGE": 413,
}


class ApiError(Exception):
    """An error of the HTTP layer itself (403, 413, 415, 429, …), with a stable code."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.headers = code, message, field, headers


def problem(
    status: int,
    code: str,
    detail: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {
        "type": f"urn:payments:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "field": field,
    }
    return Response(orjson.dumps(body), status, headers=headers, media_type=MEDIA_TYPE)


def status_of(exc: BaseException) -> int:
    """The HTTP status of a coded error."""
    code = getattr(exc, "code", "")
    if code in BY_CODE:
        return BY_CODE[code]
    if isinstance(exc, AuthError):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InputError) or not hasattr(exc, "exit_status"):
        return 422  # identifier, rule and ISO 20022 errors are all about the input
    return 422 if exc.exit_status == 2 else 409


def coded(exc: BaseException) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="payments"'} if status_of(exc) == 401 else None
    return problem(status_of(exc), exc.code, exc.message, exc.field, headers)


#: the stable code of an HTTP error the framework raises (no route, no such method, …)
HTTP_CODES = {
    404: "REQUEST_NOT_FOUND",
    405: "REQUEST_METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
}


def http_problem(exc: HTTPException) -> Response:
    """The problem for an HTTP error the framework raised (an unknown path: 404, …)."""
    code = HTTP_CODES.get(exc.status_code, "REQUEST_INVALID")
    status = exc.status_code if exc.status_code in TITLES else 400
    return problem(status, code, str(exc.detail), None, getattr(exc, "headers", None))


def _validation_field(error: dict) -> str | None:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    return ".".join(loc) or None


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return problem(BY_CODE.get(exc.code, 400), exc.code, exc.message, exc.field, exc.headers)

    for kind in CODED_ERRORS:
        app.add_exception_handler(kind, lambda request, exc: coded(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return problem(400, "REQUEST_MALFORMED", "the body is not well-formed JSON")
        return problem(
            422,
            "REQUEST_INVALID",
            str(first.get("msg", "the request is not valid"))[:300],
            _validation_field(first),
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return http_problem(exc)

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> Response:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return coded(from_environment(exc))

    @app.exception_handler(OSError)
    async def _os(request: Request, exc: OSError) -> Response:
        log.warning("file system: %s", exc.strerror)
        found = from_environment(exc)
        if found is None:
            return problem(503, "FILE_UNUSABLE", "a file the service needs cannot be used")
        return coded(found)


def internal_error() -> Response:
    """The answer to a bug (the edge middleware logs it): no traceback, no detail."""
    return problem(500, "INTERNAL_ERROR", "the service failed; the failure is logged")
