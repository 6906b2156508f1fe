"""The citizen's journey in a real browser (Debian's chromium), by keyboard alone, on the
demo's data, SQLite and PostgreSQL: log in (test) → Din NemKonto → change it (kind →
account → check your answers → receipt) → the activation code, read from the letter the
mail house exported, as the real system gives it → enter the code → the new account is
shown. axe-core checks every page at 1280 px and 375 px, and each is screenshot."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from payments.db import session_scope
from payments.models import AccountRegistration
from payments.registry import letters, service
from tests.web.helpers import check_page, tab_to

NEW_ACCOUNT = ("9570", "0012345678")  # a reg. no. and an account no. no one else has


def _press(page, selector: str, key: str = "Space") -> None:
    """Tab to ``selector`` and press ``key`` (a radio: Space chooses it)."""
    tab_to(page, selector)
    page.keyboard.press(key)


def _go(page, selector: str) -> None:
    """Tab to a link or button and press Enter: the next page."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _type(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_the_log_in_page(live_server, browser):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    assert page.url.endswith("/login")
    assert page.get_attribute("html", "lang") == "da"
    check_page(page, "login")
    _go(page, "a.header__link[hreflang='en']")
    assert page.get_attribute("html", "lang") == "en"
    check_page(page, "login-en")


def test_the_page_not_found(live_server, browser):
    """A mistyped address: a 404 page in the site's layout, in Danish and in English, with a
    link home that leads on (here to the log-in)."""
    page = browser.new_page()
    answer = page.goto(live_server.url + "/citizen/no-such-page")
    assert answer.status == 404
    assert page.get_attribute("[data-code]", "data-code") == "REQUEST_NOT_FOUND"
    check_page(page, "not-found")
    _go(page, "a.header__link[hreflang='en']")
    assert page.get_attribute("html", "lang") == "en"
    check_page(page, "not-found-en")
    _go(page, "main a[href='/']")
    assert page.url.endswith("/login")


def _letter_code(live_server, cpr: str, registration_id: int) -> str:
    """The mail house exports the letters; the citizen reads the code off theirs."""
    directory = live_server.workdir / "letters-web"
    exported = service.export_letters(
        live_server.engine,
        directory,
        actor="mail-house",
        now=live_server.app.state.payments.clock.now(),
    )
    for path in exported.files:
        text = path.read_text(encoding="utf-8")
        if f"(registration {registration_id})" in text:
            return re.search(rf"^{re.escape(letters.CODE_LINE)}(\S+)$", text, re.M).group(1)
    raise AssertionError("no letter for the registration")


def test_citizen_changes_and_activates_the_nemkonto_by_keyboard(live_server, browser):
    page = browser.new_page()
    page.goto(live_server.url + "/login")
    # log in as the first test citizen: Tab to the first radio, Space chooses it
    _press(page, "#identity")
    _go(page, "form[action='/login/test'] button[type=submit]")
    assert page.url.endswith("/citizen")
    check_page(page, "citizen-nemkonto")
    before = page.get_attribute("[data-nemkonto]", "data-nemkonto")

    _go(page, "a[href='/citizen/change']")
    assert page.url.endswith("/citizen/change/type")
    # nothing chosen: the error summary links to the field, with a stable code
    _go(page, "#continue")
    assert page.locator(".error-summary [data-code]").get_attribute("data-code") == (
        "WEB_FIELD_REQUIRED"
    )
    check_page(page, "citizen-change-type-error")
    _press(page, "#kind")  # the Danish account
    check_page(page, "citizen-change-type")
    _go(page, "#continue")

    assert page.url.endswith("/citizen/change/account")
    _type(page, "#reg_no", "12")  # too short
    _type(page, "#account_no", NEW_ACCOUNT[1])
    _go(page, "#continue")
    assert page.locator("#reg_no-error").get_attribute("data-code") == "ID_REG_NO_INVALID"
    assert page.input_value("#account_no") == ""  # an account number is never shown again
    check_page(page, "citizen-change-account-error")
    tab_to(page, "#reg_no")  # the field keeps what was typed: select it, type anew
    page.keyboard.press("Control+A")
    page.keyboard.type(NEW_ACCOUNT[0])
    _type(page, "#account_no", NEW_ACCOUNT[1])
    check_page(page, "citizen-change-account")
    _go(page, "#continue")

    assert page.url.endswith("/citizen/change/check")
    assert NEW_ACCOUNT[1] not in page.content() and "****5678" in page.content()
    check_page(page, "citizen-change-check")
    _go(page, "#confirm")

    assert page.url.endswith("/citizen/change/receipt")
    assert page.get_attribute("[data-outcome]", "data-outcome") == "pending"
    check_page(page, "citizen-change-receipt")

    with session_scope(live_server.engine) as s:
        pending = s.scalars(
            select(AccountRegistration).where(AccountRegistration.status == "pending_activation",
                                              AccountRegistration.reg_no == NEW_ACCOUNT[0])
        ).one()  # fmt: skip
        cpr, registration_id = pending.owner_number, pending.id
    code = _letter_code(live_server, cpr, registration_id)

    _go(page, "a[href='/citizen/activate']")
    assert page.url.endswith("/citizen/activate")
    check_page(page, "citizen-activate")
    _type(page, "#code", "WRONGCOD")
    _go(page, "#activate")
    assert page.locator("#code-error").get_attribute("data-code") == (
        "ACCOUNT_ACTIVATION_CODE_WRONG"
    )
    check_page(page, "citizen-activate-error")
    tab_to(page, "#code")
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    _go(page, "#activate")

    assert page.url.endswith("/citizen"), page.locator("[data-code]").evaluate_all(
        "els => els.map(e => e.dataset.code)"
    )
    assert page.locator("[data-code='WEB_NEMKONTO_ACTIVATED']").count() == 1
    after = page.get_attribute("[data-nemkonto]", "data-nemkonto")
    assert after == "****5678" and after != before
    check_page(page, "citizen-nemkonto-activated")

    for path, name in (
        ("a[href='/citizen/history']", "citizen-history"),
        ("a.nav__link[href='/citizen/payments']", "citizen-payments"),
        ("a.nav__link[href='/citizen/decisions']", "citizen-decisions"),
    ):
        _go(page, path)
        check_page(page, name)
        if name == "citizen-history":
            statuses = page.locator("[data-registration] [data-status]").all_inner_texts()
            assert len(statuses) >= 2
            _go(page, "a.back-link")
    assert "<script" not in page.content()


def test_an_expired_activation_code_offers_a_new_letter(live_server, browser):
    """A change whose letter's code expired (the server's clock moved 61 days on): both the
    overview and the activation page say so and lead to registering again."""
    page = browser.new_page()
    page.goto(live_server.url + "/login")
    page.check("#identity")  # the first test citizen
    page.click("form[action='/login/test'] button[type=submit]")
    page.goto(live_server.url + "/citizen/change")
    page.check("#kind")  # a Danish account
    page.click("#continue")
    page.fill("#reg_no", NEW_ACCOUNT[0])
    page.fill("#account_no", NEW_ACCOUNT[1])
    page.click("#continue")
    page.click("#confirm")
    assert page.get_attribute("[data-outcome]", "data-outcome") == "pending"

    clock = live_server.app.state.payments.clock
    clock.at = clock.at + dt.timedelta(days=61)
    page.goto(live_server.url + "/login")  # the session ended long ago
    page.check("#identity")
    page.click("form[action='/login/test'] button[type=submit]")
    assert page.url.endswith("/citizen")
    assert page.locator("[data-code='ACCOUNT_ACTIVATION_EXPIRED']").count() == 1
    assert page.locator("main a[href='/citizen/activate']").count() == 0
    check_page(page, "citizen-code-expired")
    page.goto(live_server.url + "/citizen/activate")
    assert page.locator("#code").count() == 0
    check_page(page, "citizen-activate-expired")
    _go(page, "[data-action='register-again']")
    assert page.url.endswith("/citizen/change/type")
