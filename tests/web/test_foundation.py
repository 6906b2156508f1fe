"""The pages' foundation over HTTP: sessions, CSRF, roles, log-in (test and OpenID
Connect), language, and the headers every page has. Codes, never message text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.web import i18n, session
from api.web.render import page
from payments.db import session_scope
from payments.models import WebSession
from tests.web import oidc_provider
from tests.web.helpers import CITIZEN, NOW, codes_of, csrf_of, log_in

FULL_CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def _protected(app) -> None:
    """A page of the test's own behind the operator role, with a form."""
    router = APIRouter(include_in_schema=False)

    @router.get("/test-only/operator")
    def show(request: Request, me=Depends(session.signed_in("operator"))):
        return page(request, "error.html", {"code": "WEB_FORBIDDEN"})

    @router.post("/test-only/operator")
    def post(request: Request, me=Depends(session.signed_in("operator")),
             form=Depends(session.checked_form)):  # fmt: skip
        return page(request, "error.html", {"code": "WEB_FIELD_REQUIRED"})

    app.include_router(router)


def _sessions(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(WebSession))


def test_the_test_log_in_lists_people_masked_and_a_new_session_id_at_log_in(
    web_client, seeded, web_app
):
    page_ = web_client.get("/login")
    assert page_.status_code == 200
    assert '<html lang="da">' in page_.text
    assert not FULL_CPR.search(page_.text)  # the identities' CPRs are masked
    assert "010190-****" in page_.text
    for key in ("citizen-1", "citizen-2", "employer-1", "operator-1", "operator-2"):
        assert f'value="{key}"' in page_.text
    before = web_client.cookies.get("session")
    cookie = page_.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    answer = web_client.post(
        "/login/test", data={"csrf_token": csrf_of(page_.text), "identity": "operator-1"}
    )
    assert answer.status_code == 303
    after = web_client.cookies.get("session")
    assert before and after and after != before  # no session fixation
    # the pre-log-in key is worth nothing now
    stale = TestClient(web_app, follow_redirects=False, cookies={"session": before})
    assert stale.get("/").headers["location"] == "/login"
    front = web_client.get("/")  # logged in: the role's home (403 while it has no pages)
    assert front.status_code in (303, 403) and front.headers.get("location") not in (
        "/login",
        "/",
    )


def test_log_out_ends_the_session_on_the_server(web_client, seeded, web_app):
    _protected(web_app)
    log_in(web_client, "operator-1")
    key = web_client.cookies.get("session")
    token = csrf_of(web_client.get("/test-only/operator").text)
    answer = web_client.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/login?out=1"
    assert "WEB_LOGGED_OUT" in codes_of(web_client.get("/login?out=1").text)
    copied = TestClient(web_app, follow_redirects=False, cookies={"session": key})
    assert copied.get("/test-only/operator").status_code == 303  # a copied cookie is dead


def test_idle_expiry_logs_out_and_says_so(web_client, seeded, web_app, clock):
    _protected(web_app)
    log_in(web_client, "operator-1")
    shown = web_client.get("/test-only/operator")
    assert shown.status_code == 200
    assert 'class="session-note"' in shown.text  # the warning: when the session ends
    clock.at = NOW + dt.timedelta(minutes=14)
    assert web_client.get("/test-only/operator").status_code == 200  # use moves the expiry
    clock.at = NOW + dt.timedelta(minutes=14 + 16)
    gone = web_client.get("/test-only/operator")
    assert gone.status_code == 303 and gone.headers["location"] == "/login?expired=1"
    assert "WEB_SESSION_EXPIRED" in codes_of(web_client.get(gone.headers["location"]).text)
    assert _sessions(web_app.state.payments.engine) == 1  # only the new log-in page's
    # sessions left to expire are deleted at the next log-in, whoever's it is
    other = TestClient(web_app, follow_redirects=False)
    log_in(other, "operator-2")
    clock.at += dt.timedelta(hours=1)
    log_in(web_client, "operator-1")
    assert _sessions(web_app.state.payments.engine) == 1


def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(web_client, seeded, web_app):
    _protected(web_app)
    log_in(web_client, "operator-1")
    token = csrf_of(web_client.get("/test-only/operator").text)
    for data in ({}, {"csrf_token": "x" * len(token)}, {"csrf_token": ""}):
        refused = web_client.post("/test-only/operator", data=data)
        assert refused.status_code == 403
        assert codes_of(refused.text) == ["WEB_CSRF_INVALID"]
    assert web_client.post("/test-only/operator", data={"csrf_token": token}).status_code == 200
    # another session's token does not do either
    other = TestClient(web_app, follow_redirects=False)
    log_in(other, "operator-2")
    refused = other.post("/test-only/operator", data={"csrf_token": token})
    assert refused.status_code == 403 and codes_of(refused.text) == ["WEB_CSRF_INVALID"]
    # the log-in form itself has one
    anonymous = TestClient(web_app, follow_redirects=False)
    assert anonymous.post("/login/test", data={"identity": "operator-1"}).status_code == 403


def test_a_page_of_another_role_is_403_and_none_without_a_session(web_client, seeded, web_app):
    _protected(web_app)
    assert web_client.get("/test-only/operator").headers["location"] == "/login"
    log_in(web_client, "citizen-1")
    refused = web_client.get("/test-only/operator")
    assert refused.status_code == 403 and codes_of(refused.text) == ["WEB_FORBIDDEN"]


def test_an_unknown_identity_is_a_field_error(web_client, seeded):
    page_ = web_client.get("/login")
    answer = web_client.post(
        "/login/test", data={"csrf_token": csrf_of(page_.text), "identity": "citizen-99"}
    )
    assert answer.status_code == 422
    assert codes_of(answer.text) == ["WEB_FIELD_REQUIRED", "WEB_FIELD_REQUIRED"]  # summary, field
    assert 'href="#identity"' in answer.text and 'id="identity"' in answer.text


def test_pages_have_a_csp_without_any_script_and_no_inline_script_or_style(web_client, seeded):
    log_in(web_client, "citizen-1")
    for path in ("/login", "/"):
        answer = web_client.get(path, follow_redirects=True)
        csp = answer.headers["content-security-policy"]
        assert "script-src" not in csp and "'unsafe-inline'" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert "<script" not in answer.text.lower()
        assert not re.search(r"\sstyle=", answer.text) and "<style" not in answer.text
    css = web_client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    # the API keeps its own policy
    assert web_client.get("/healthz").headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


def _h1(html: str) -> str:
    return re.search(r'<h1 class="heading-l">([^<]+)</h1>', html).group(1)


@pytest.mark.parametrize("path", ["/no-such-page", "/citizen/no-such-page", "/operator/x/y"])
def test_an_unknown_page_is_a_page_not_found_in_the_layout_with_a_link_home(
    web_client, seeded, path
):
    log_in(web_client, "citizen-1")
    answer = web_client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert codes_of(answer.text) == ["REQUEST_NOT_FOUND"]
    assert '<a class="header__service" href="/">' in answer.text  # the site's layout
    assert re.search(r'<main id="main".*<a href="/">', answer.text, re.S)  # a link home
    assert "script-src" not in answer.headers["content-security-policy"]  # a page's policy
    # in the visitor's language, from the catalogues
    assert '<html lang="da">' in answer.text
    assert _h1(answer.text) == i18n.translations("da").gettext("Page not found")
    web_client.cookies.set("lang", "en")
    english = web_client.get(path)
    assert english.status_code == 404 and '<html lang="en">' in english.text
    assert _h1(english.text) == "Page not found" != _h1(answer.text)


def test_a_page_opened_with_a_method_it_does_not_take_is_a_405_page(web_client, seeded):
    answer = web_client.get("/logout")  # a form's address, opened as a link
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.headers["content-type"].startswith("text/html")
    assert codes_of(answer.text) == ["REQUEST_METHOD_NOT_ALLOWED"]
    assert re.search(r'<main id="main".*<a href="/">', answer.text, re.S)


@pytest.mark.parametrize(
    "method,path,status,code",
    [
        ("GET", "/v1/no-such-resource", 404, "REQUEST_NOT_FOUND"),
        ("GET", "/v1", 404, "REQUEST_NOT_FOUND"),
        ("DELETE", "/v1/me/nemkonto", 405, "REQUEST_METHOD_NOT_ALLOWED"),
        ("GET", "/static/no-such.css", 404, "REQUEST_NOT_FOUND"),
    ],
)
def test_the_api_and_static_files_keep_their_problems(web_client, method, path, status, code):
    answer = web_client.request(method, path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code and answer.json()["status"] == status


def test_a_page_its_route_does_not_find_is_a_page_not_found(web_client, seeded):
    log_in(web_client, "operator-1")
    answer = web_client.get("/operator/batches/999999")
    assert answer.status_code == 404 and codes_of(answer.text) == ["BATCH_NOT_FOUND"]
    assert _h1(answer.text) == i18n.translations("da").gettext("Page not found")


def test_a_page_takes_forms_only(web_client, seeded):
    answer = web_client.post("/login/test", json={"identity": "operator-1"})
    assert answer.status_code == 415 and answer.json()["code"] == "REQUEST_CONTENT_TYPE"


def test_the_language_switch_keeps_the_choice_in_a_cookie(web_client, seeded):
    assert '<html lang="da">' in web_client.get("/login").text
    switched = web_client.get("/lang/en", params={"next": "/login"})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert web_client.cookies.get("lang") == "en"
    english = web_client.get("/login").text
    assert '<html lang="en">' in english and 'href="/lang/da?next=/login"' in english
    # never to another site
    for bad in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        assert web_client.get("/lang/da", params={"next": bad}).headers["location"] == "/"
    assert web_client.get("/lang/xx").status_code == 303
    assert web_client.cookies.get("lang") == "da"


# -- OpenID Connect ---------------------------------------------------------------------------


@pytest.fixture
def provider(tmp_path):
    return oidc_provider.Provider(tmp_path, NOW)


@pytest.fixture
def oidc_client(web_settings, provider, clock):
    settings = web_settings.replace(
        oidc_issuer=oidc_provider.ISSUER,
        oidc_audience="payments-api",
        oidc_jwks=str(provider.jwks),
        oidc_client_id=oidc_provider.CLIENT_ID,
        oidc_client_secret=oidc_provider.CLIENT_SECRET,
        oidc_discovery=str(provider.discovery),
        public_url="https://pages.test",
    )
    app = create_app(settings, clock=clock)
    from api.web.oidc import Provider

    app.state.web_oidc = Provider(settings, transport=provider.transport)
    provider.claims = {"sub": "citizen-a1b2c3", "role": "citizen", "cpr": CITIZEN}
    with TestClient(app, base_url="https://pages.test", follow_redirects=False) as client:
        yield client
    app.state.payments.engine.dispose()


def _callback_path(url: str) -> str:
    assert url.startswith("https://pages.test/login/callback?")
    return url.removeprefix("https://pages.test")


def test_oidc_code_flow_logs_in_with_a_new_secure_session(oidc_client, provider):
    page_ = oidc_client.get("/login")
    assert page_.status_code == 200 and 'value="citizen-1"' not in page_.text  # no test log-in
    start = oidc_client.get("/login/oidc")
    assert start.status_code == 303
    pre = oidc_client.cookies.get("__Host-session")
    assert "secure" in start.headers["set-cookie"].lower()
    back = oidc_client.get(_callback_path(provider.authorize(start.headers["location"])))
    assert back.status_code == 303 and back.headers["location"] == "/citizen"
    after = oidc_client.cookies.get("__Host-session")
    assert after and after != pre and provider.exchanged == 1


def test_oidc_a_state_that_is_not_the_sessions_is_refused(oidc_client, provider):
    start = oidc_client.get("/login/oidc")
    callback = _callback_path(provider.authorize(start.headers["location"]))
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    refused = oidc_client.get(forged)
    assert refused.status_code == 403 and codes_of(refused.text) == ["WEB_LOGIN_STATE_INVALID"]
    # and the real one cannot be used after the login was spent
    again = oidc_client.get(callback)
    assert again.status_code == 403 and codes_of(again.text) == ["WEB_LOGIN_STATE_INVALID"]
    assert provider.exchanged == 0
    # a return in another browser (no session of the log-in) is refused as well
    other = TestClient(oidc_client.app, base_url="https://pages.test", follow_redirects=False)
    start = oidc_client.get("/login/oidc")
    stolen = other.get(_callback_path(provider.authorize(start.headers["location"])))
    assert codes_of(stolen.text) == ["WEB_LOGIN_STATE_INVALID"]


def test_oidc_an_id_token_with_another_nonce_is_refused(oidc_client, provider):
    provider.nonce = "a-replayed-nonce"
    start = oidc_client.get("/login/oidc")
    refused = oidc_client.get(_callback_path(provider.authorize(start.headers["location"])))
    assert refused.status_code == 403 and codes_of(refused.text) == ["WEB_LOGIN_NONCE_INVALID"]
    assert oidc_client.get("/").headers["location"] == "/login"  # not logged in


def test_oidc_an_id_token_is_checked_as_the_api_checks_tokens(oidc_client, provider):
    provider.claims = {"sub": "someone", "role": "citizen"}  # a citizen without a CPR
    start = oidc_client.get("/login/oidc")
    refused = oidc_client.get(_callback_path(provider.authorize(start.headers["location"])))
    assert refused.status_code == 401 and codes_of(refused.text) == ["AUTH_CLAIMS_INVALID"]
    provider.claims = {"sub": "x", "role": "citizen", "cpr": CITIZEN, "iss": "https://evil"}
    start = oidc_client.get("/login/oidc")
    refused = oidc_client.get(_callback_path(provider.authorize(start.headers["location"])))
    assert refused.status_code == 401 and codes_of(refused.text) == ["AUTH_TOKEN_INVALID"]


def test_with_a_provider_the_test_log_in_is_refused(oidc_client):
    oidc_client.get("/login/oidc")  # a session, so that only the provider can refuse
    refused = oidc_client.post("/login/test", data={"csrf_token": "", "identity": "operator-1"})
    assert refused.status_code == 403
    assert codes_of(refused.text)[0] in ("WEB_CSRF_INVALID", "WEB_TEST_LOGIN_DISABLED")
    assert oidc_client.get("/").headers["location"] == "/login"


def test_a_busy_session_still_ends_12_hours_after_log_in(web_app):
    from payments import web_sessions
    from payments.tokens import Principal

    engine, idle = web_app.state.payments.engine, dt.timedelta(minutes=15)
    who = Principal("operator", "operator-1")
    made = web_sessions.start(engine, now=NOW, idle=idle, principal=who)
    at = NOW
    while at < NOW + dt.timedelta(hours=11, minutes=50):
        at += dt.timedelta(minutes=10)
        found, expired = web_sessions.find(engine, made.key, now=at, idle=idle)
        assert found is not None and found.principal == who and not expired
    found, expired = web_sessions.find(engine, made.key, now=NOW + dt.timedelta(hours=12),
                                       idle=idle)  # fmt: skip
    assert found is None and expired
    assert web_sessions.find(engine, made.key, now=NOW, idle=idle) == (None, False)  # deleted


def test_no_template_or_catalogue_holds_a_full_cpr_or_account_number():
    """A hint or an example is text a page shows to everyone: a number shaped like a full
    CPR (or a 10-digit account) in it would be a real person's, on every page that uses it."""
    from pathlib import Path

    from identifiers.privacy import holds_full_number

    web = Path(__file__).resolve().parents[2] / "api" / "web"
    files = [*web.glob("templates/**/*.html"), *web.glob("locale/*/LC_MESSAGES/*.po")]
    assert files
    assert [str(f.relative_to(web)) for f in files if holds_full_number(f.read_text())] == []
