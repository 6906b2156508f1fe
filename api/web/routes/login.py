"""Log-in, log-out, the language switch and the front page.

- ``GET /login``: without an OpenID provider (development, the demo) the test log-in
  ("Log ind (test)", :mod:`payments.web_identities`): a list of people to be, posted as a
  key (never a CPR) to ``POST /login/test``. With a provider and a web client
  (``PAYMENTS_OIDC_CLIENT_ID`` …) a button to the provider (``GET /login/oidc``,
  :mod:`api.web.oidc`); with a provider but no web client, a page saying log-in is not
  available here — never the test log-in. ``?expired=1`` (a session that ended) says so.
- ``POST /logout``: deletes the session, then the log-in page says you logged out.
- ``GET /lang/{da|en}?next=/path``: keeps the choice in the ``lang`` cookie (a year) and
  goes back; ``next`` must be a path of this site.
- ``GET /``: the home of the logged-in role, or the log-in page.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.state import state
from api.web import HOMES, i18n, oidc, session
from api.web.i18n import N_
from api.web.render import gettext, page
from api.web.session import Refused, checked_form
from identifiers import mask_owner
from payments import tokens, web_identities

router = APIRouter(include_in_schema=False)
#: what each test identity's data shows (web_identities.Identity.kind)
KINDS = {
    "paid": N_("A citizen with payments"),
    "held": N_("A citizen whose payment is held"),
    "self_service": N_("A citizen who changed their NemKonto themself"),
    "employer": N_("An employer with claims for reimbursement"),
    "operator": N_("An operator of the night's payment run"),
}
Form = Annotated[FormData, Depends(checked_form)]


def _provider(request: Request) -> oidc.Provider:
    app = request.app
    found = getattr(app.state, "web_oidc", None)
    if found is None:
        found = app.state.web_oidc = oidc.Provider(state(request).settings)
    return found


@router.get("/")
def front(request: Request) -> Response:
    """The home of the logged-in role (a role without pages: the 403 page), or log-in."""
    found = session.current(request)
    if found is None or found.principal is None:
        return session.redirect(request, session.LOGIN)
    if found.principal.role not in HOMES:
        raise Refused(403, "WEB_FORBIDDEN")
    return session.redirect(request, HOMES[found.principal.role])


@router.get("/login")
def login(request: Request, expired: int = 0, out: int = 0) -> Response:
    settings = state(request).settings
    mode = "test" if not settings.oidc else ("oidc" if settings.oidc_client_id else "none")
    options = []
    if mode == "test":
        session.ensure(request)  # the form's CSRF token
        options = _options(request)
    return page(
        request,
        "login.html",
        {
            "mode": mode,
            "options": options,
            "notice": "WEB_SESSION_EXPIRED"
            if expired or session.expired(request)
            else ("WEB_LOGGED_OUT" if out else None),
        },
    )


def _options(request: Request) -> list[dict]:
    """The test identities as radio options: name, masked CPR or CVR, what they show."""
    _ = gettext(request)
    options = []
    for person in web_identities.identities(state(request).engine):
        who = person.principal
        number = f" ({mask_owner('cpr', who.cpr)})" if who.cpr else ""
        number += f" (CVR {who.cvr})" if who.cvr else ""
        options.append(
            {"value": person.key, "label": f"{who.name}{number}", "hint": _(KINDS[person.kind])}
        )
    return options


@router.post("/login/test")
def login_test(request: Request, form: Form) -> Response:
    if state(request).settings.oidc:
        raise Refused(403, "WEB_TEST_LOGIN_DISABLED")
    key = form.get("identity")
    found = web_identities.find(state(request).engine, key) if isinstance(key, str) else None
    if found is None:
        errors = [{"field": "identity", "code": "WEB_FIELD_REQUIRED",
                   "message": gettext(request)("Choose who to log in as")}]  # fmt: skip
        return page(
            request,
            "login.html",
            {"mode": "test", "options": _options(request), "notice": None, "errors": errors},
            status=422,
        )  # fmt: skip
    session.log_in(request, found.principal)
    return session.redirect(request, HOMES.get(found.principal.role, "/"))


@router.get("/login/oidc")
def login_oidc(request: Request) -> Response:
    settings = state(request).settings
    if not (settings.oidc and settings.oidc_client_id):
        raise Refused(404, "WEB_LOGIN_UNAVAILABLE")
    url, pending = _provider(request).start()
    session.log_out(request)  # a log-in starts from a fresh session
    session.save(request, {"login": pending})
    return session.redirect(request, url)


@router.get(oidc.CALLBACK)
def login_callback(request: Request, code: str | None = None, error: str | None = None) -> Response:
    app = state(request)
    if not (app.settings.oidc and app.settings.oidc_client_id):
        raise Refused(404, "WEB_LOGIN_UNAVAILABLE")
    given = request.query_params.get("state")
    found = session.current(request)
    pending = (found.data.get("login") if found else None) or {}
    if found is not None:
        session.save(request, {})  # a log-in is tried once: a wrong return ends it too
    if (
        found is None
        or not given
        or not pending.get("state")
        or not hmac.compare_digest(given.encode(), pending["state"].encode())
    ):
        raise Refused(403, "WEB_LOGIN_STATE_INVALID")
    if error or not code:
        raise Refused(403, "WEB_LOGIN_FAILED")
    try:
        id_token = _provider(request).exchange(code, pending["code_verifier"])
        now = app.clock.now()
        claims = app.verifier.claims(id_token, now, audience=app.settings.oidc_client_id)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), pending["nonce"].encode()
        ):
            raise Refused(403, "WEB_LOGIN_NONCE_INVALID")
        principal = tokens.principal(claims, app.clock.today())
    except oidc.LoginFailed as failed:
        raise Refused(403, failed.code) from None
    except tokens.AuthError as failed:
        raise Refused(401, failed.code) from None
    session.log_in(request, principal)
    return session.redirect(request, HOMES.get(principal.role, "/"))


@router.post("/logout")
def logout(request: Request, form: Form) -> Response:
    session.log_out(request)
    return session.redirect(request, session.LOGIN + "?out=1")


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
    response = session.redirect(request, session.safe_next(next))
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            path="/",
            secure=session.secure(request),
            httponly=True,
            samesite="lax",
        )
    return response
