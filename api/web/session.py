"""Who is looking at a page: the server-side session, the role check, CSRF on every form.

The session lives in the database (:mod:`payments.web_sessions`); the cookie holds only
its random key. The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (sent on
the top-level return from the OpenID provider, which ``Strict`` would drop, and on no
cross-site form post), ``Path=/``, and ``Secure`` when the pages are served over https
(``PAYMENTS_PUBLIC_URL``), then under the name ``__Host-session`` so that no sub-domain can
set it. A log-in always makes a new session with a new key (:func:`log_in`: a key planted
before the log-in is worth nothing after it), and deletes every expired session; log-out
deletes it.

Dependencies for page routes:

- ``me: Principal = Depends(signed_in("citizen"))`` — the session's
  :class:`~payments.tokens.Principal`, the same type the API's bearer tokens give, so four
  eyes compares the same subjects. No session: a 303 to the log-in page (which says the
  session ended when it did); another role: a 403 page (``WEB_FORBIDDEN``).
- ``form = await checked_form(request)`` (or ``Depends(checked_form)``) — the posted form
  (urlencoded or multipart), once its ``csrf_token`` field matched the session's
  (constant-time); otherwise a 403 page ``WEB_CSRF_INVALID``. Every template form has
  ``{{ m.csrf() }}``.

Responses: :func:`redirect` (303) and :func:`api.web.render.page` both call :func:`finish`,
which sets (or clears) the cookie when the request changed the session.
"""

from __future__ import annotations

import datetime as dt
import hmac

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.state import state
from payments import web_sessions
from payments.tokens import Principal
from payments.web_sessions import Session

LOGIN = "/login"
#: the most a page form may hold: fields, files (an upload form has one file)
MAX_FIELDS, MAX_FILES = 200, 5
_UNSET = object()


class Redirect(Exception):
    """Answer with a 303 to ``url`` (a dependency cannot return a response)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class Refused(Exception):
    """Answer with an error page: ``status`` and a stable ``code`` (``WEB_FORBIDDEN``, …)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


def secure(request: Request) -> bool:
    return state(request).settings.public_url.startswith("https://")


def cookie_name(request: Request) -> str:
    return "__Host-session" if secure(request) else "session"


def idle(request: Request) -> dt.timedelta:
    return dt.timedelta(minutes=state(request).settings.session_idle_minutes)


def current(request: Request) -> Session | None:
    """The request's live session (read once per request), or None."""
    known = getattr(request.state, "web_session", _UNSET)
    if known is not _UNSET:
        return known
    app = state(request)
    found, expired = web_sessions.find(
        app.engine,
        request.cookies.get(cookie_name(request)),
        now=app.clock.now(),
        idle=idle(request),
    )
    request.state.web_session = found
    request.state.web_session_expired = expired
    return found


def expired(request: Request) -> bool:
    """Whether the request came with the key of a session that has expired."""
    current(request)
    return bool(getattr(request.state, "web_session_expired", False))


def ensure(request: Request) -> Session:
    """The request's session, or a new anonymous one (a form needs its CSRF token)."""
    found = current(request)
    if found is None:
        app = state(request)
        found = web_sessions.start(app.engine, now=app.clock.now(), idle=idle(request))
        _replace(request, found)
    return found


def log_in(request: Request, principal: Principal) -> Session:
    """A new session for ``principal`` in place of the request's (session fixation)."""
    app = state(request)
    web_sessions.purge(app.engine, now=app.clock.now())  # the expired, never seen again
    found = web_sessions.log_in(
        app.engine, current(request), principal, now=app.clock.now(), idle=idle(request)
    )
    _replace(request, found)
    return found


def log_out(request: Request) -> None:
    found = current(request)
    if found is not None:
        web_sessions.end(state(request).engine, found.key)
    _replace(request, None)


def save(request: Request, data: dict) -> Session:
    """Keep ``data`` with the request's session (which must exist)."""
    found = web_sessions.save(state(request).engine, ensure(request), data)
    request.state.web_session = found
    return found


def _replace(request: Request, found: Session | None) -> None:
    request.state.web_session = found
    request.state.web_session_changed = True


def finish(request: Request, response: Response) -> Response:
    """Set the cookie of a session made by this request, or clear one that ended."""
    name = cookie_name(request)
    if getattr(request.state, "web_session_changed", False):
        found = getattr(request.state, "web_session", None)
        if found is None:
            response.delete_cookie(name, path="/", secure=secure(request), httponly=True,
                                   samesite="lax")  # fmt: skip
        else:
            response.set_cookie(
                name,
                found.key,
                path="/",
                secure=secure(request),
                httponly=True,
                samesite="lax",
            )  # a session cookie: the server's expiry is the one that counts
    elif getattr(request.state, "web_session_expired", False):
        response.delete_cookie(name, path="/", secure=secure(request), httponly=True,
                               samesite="lax")  # fmt: skip
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    """A 303 (after a post: the browser gets the result page) with the session cookie."""
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response


def safe_next(url: str | None, default: str = "/") -> str:
    """A page of this site to go on to: a path, never another site (``//x``, ``/\\x``)."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")) or len(url) > 300:
        return default
    return url


def signed_in(*roles: str):
    """A dependency: the logged-in principal, when its role is one of ``roles``."""

    def dependency(request: Request) -> Principal:
        found = current(request)
        if found is None or found.principal is None:
            target = LOGIN + ("?expired=1" if expired(request) else "")
            raise Redirect(target)
        if roles and found.principal.role not in roles:
            raise Refused(403, "WEB_FORBIDDEN")
        return found.principal

    return dependency


async def checked_form(request: Request) -> FormData:
    """The posted form, once its ``csrf_token`` matched the session's; else 403."""
    form = await request.form(max_fields=MAX_FIELDS, max_files=MAX_FILES)
    found = await run_in_threadpool(current, request)
    given = form.get("csrf_token")
    if (
        found is None
        or not isinstance(given, str)
        or not hmac.compare_digest(given.encode("utf-8"), found.csrf_token.encode("utf-8"))
    ):
        raise Refused(403, "WEB_CSRF_INVALID")
    return form
