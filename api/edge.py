"""The outermost layer of every request: URL privacy, body limits, headers, access log.

A pure ASGI middleware (it sees the raw request and every response, errors included):

- **No CPR in a URL.** A query string holding a full CPR (or 10-digit account) number is
  refused (400 ``REQUEST_CPR_IN_URL``) before any route sees it: URLs end up in proxies'
  logs and browsers' histories. Look-ups by CPR go in a body. Path segments of digits only
  are ids (an order id may one day have ten digits) and pass; others holding one are refused.
- **Body limits.** JSON bodies are limited to :data:`JSON_LIMIT` (413
  ``REQUEST_TOO_LARGE``), by ``Content-Length`` up front and by counting as the body
  streams in. File uploads (claim files, bank answers) are streamed to disk by their routes,
  with limits of their own.
- **Media types.** A body must be of a type its endpoint takes (415
  ``REQUEST_CONTENT_TYPE``), so a form post can never reach a JSON endpoint.
- **Pages** (:mod:`api.web`: every path outside the API's, :func:`is_page`) take form
  posts (``application/x-www-form-urlencoded`` up to :data:`JSON_LIMIT`,
  ``multipart/form-data`` up to :data:`PAGE_UPLOAD_LIMIT`) and nothing else.
- **Security headers** on every response, errors included: ``Content-Security-Policy``
  (``default-src 'none'; frame-ancestors 'none'`` for the API; the docs page may load
  its script and styles; pages :data:`PAGE_CSP`: their own stylesheet and images, forms
  posted only to this site, no script at all — not even inline),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` and ``Cache-Control: no-store``.
- **Access log** (logger ``payments.api.access``): method, path and query with anything
  CPR-like masked, status, time. Never a body, never a token.
- **Bugs** are logged with their traceback and answered 500 ``INTERNAL_ERROR``.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote

from starlette.exceptions import HTTPException

from api.problems import internal_error, problem
from identifiers.privacy import FULL_NUMBER

access_log = logging.getLogger("payments.api.access")
log = logging.getLogger("payments.api")

JSON_LIMIT = 10 * 1024 * 1024
JSON_TYPES = ("application/json",)
#: path prefix -> media types its body may have (the routes stream these bodies to disk)
UPLOAD_TYPES = {
    "/v1/claim-files": ("application/x-ndjson", "application/json", "text/csv"),
    "/v1/returns": ("application/xml", "text/xml"),
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: the API's paths; every other path is a page (or its static files)
API_PATHS = ("/v1/", "/docs", "/openapi.json", "/healthz", "/readyz", "/redoc")
PAGE_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PAGE_UPLOAD_LIMIT = 200 * 1024 * 1024  # a claim file sent from the employer's page
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "frame-ancestors 'none'"
)


def _security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cache-control", b"no-store"),
    ]


#: every response's security headers, as raw header pairs made once (by CSP)
SECURITY_HEADERS = {csp: _security_headers(csp) for csp in (API_CSP, PAGE_CSP, DOCS_CSP)}
_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS[API_CSP])


class TooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI passes it on."""

    def __init__(self) -> None:
        super().__init__(413, "the request body is larger than this endpoint takes")


def mask(text: str) -> str:
    return FULL_NUMBER.sub("**********", text)


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the web pages' (:mod:`api.web`) rather than the API's."""
    return not (path.startswith(API_PATHS) or path == "/v1")


def _holds_cpr(path: str, query: str) -> bool:
    if FULL_NUMBER.search(unquote(query)):
        return True
    return any(FULL_NUMBER.search(part) for part in unquote(path).split("/") if not part.isdigit())


def _media_type(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, int | None]:
    """The body's media type and length (``-1``: streamed, or a length that is no number)."""
    media, length = None, None
    for name, value in headers:
        if name == b"transfer-encoding":
            length = -1 if length is None else length
        elif name == b"content-type":
            media = value.decode("latin-1").split(";")[0].strip().lower()
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = -1
    return media, length


class Edge:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path, query = scope["path"], scope.get("query_string", b"").decode("latin-1")
        answer = {"status": 500, "sent": False}
        docs = path in ("/docs", "/docs/oauth2-redirect", "/redoc")
        page = is_page(path)
        csp = DOCS_CSP if docs else (PAGE_CSP if page else API_CSP)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["sent"] = message["status"], True
                kept = [
                    h for h in message.get("headers", ()) if h[0].lower() not in _SECURITY_NAMES
                ]
                message["headers"] = kept + SECURITY_HEADERS[csp]  # ours replace the app's
            await send(message)

        try:
            refusal = self._refusal(scope, path, query)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
            limit = None if path.startswith(tuple(UPLOAD_TYPES)) else JSON_LIMIT
            if page and _media_type(scope.get("headers", []))[0] == "multipart/form-data":
                limit = PAGE_UPLOAD_LIMIT
            received = 0

            async def counted():
                nonlocal received
                message = await receive()
                if limit is not None and message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise TooLarge()
                return message

            await self.app(scope, counted, send_with_headers)
        except TooLarge:
            if not answer["sent"]:
                await problem(413, "REQUEST_TOO_LARGE", "the request body is too large")(
                    scope, receive, send_with_headers
                )
        except Exception:
            log.exception("unexpected failure answering %s %s", scope["method"], mask(path))
            if not answer["sent"]:
                await internal_error()(scope, receive, send_with_headers)
        finally:
            client = scope.get("client") or ("-", 0)
            shown = mask(path) + ("?" + mask(unquote(query)) if query else "")
            access_log.info(
                '%s "%s %s" %s %.1fms',
                client[0],
                scope["method"],
                shown,
                answer["status"],
                (time.perf_counter() - started) * 1000,
            )

    def _refusal(self, scope, path: str, query: str):
        """A problem answered before the app sees the request, or None."""
        if _holds_cpr(path, query):
            return problem(
                400,
                "REQUEST_CPR_IN_URL",
                "a CPR number may never be put in a URL; send it in the request body",
            )
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        media, length = _media_type(scope.get("headers", []))
        if is_page(path):
            if media is None and not length:
                return None
            if media not in PAGE_FORM_TYPES:
                return problem(
                    415,
                    "REQUEST_CONTENT_TYPE",
                    f"a page takes a form: {', '.join(PAGE_FORM_TYPES)}",
                    "content-type",
                )
            big = PAGE_UPLOAD_LIMIT if media == "multipart/form-data" else JSON_LIMIT
            if length is not None and length > big:
                return problem(413, "REQUEST_TOO_LARGE", f"a form is at most {big} bytes")
            return None
        upload = next((t for p, t in UPLOAD_TYPES.items() if path.startswith(p)), None)
        if media is None and not length:
            return None  # no body (an approval, a release)
        if length is not None and upload is None and length > JSON_LIMIT:
            return problem(413, "REQUEST_TOO_LARGE", f"a JSON body is at most {JSON_LIMIT} bytes")
        allowed = upload or JSON_TYPES
        if media not in allowed and not (upload is None and (media or "").endswith("+json")):
            return problem(
                415,
                "REQUEST_CONTENT_TYPE",
                f"the body must be one of {', '.join(allowed)}",
                "content-type",
            )
        return None
