"""The citizen's pages over HTTP: what each shows (by its stable codes and states), the
change and activation, and that no page or parameter shows another citizen's data or a
full CPR or account number."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from api.web import i18n
from api.web.routes import citizen as citizen_pages
from payments import tokens
from payments.db import session_scope
from payments.models import AccountRegistration
from tests import support
from tests.web.helpers import (
    CITIZEN,
    HELD_CITIZEN,
    NOW,
    OTHER_CITIZEN,
    codes_of,
    csrf_of,
    inline_error,
    log_in,
    summary_links,
)

PAGES = (
    "/citizen",
    "/citizen/history",
    "/citizen/payments",
    "/citizen/decisions",
    "/citizen/activate",
    "/citizen/change/type",
)
FULL_NUMBER = re.compile(r"(?<![\d*])\d{10}(?!\d)|\d{6}-\d{4}")
OTHERS = ("****4321", "2.500,00", "0087654321", OTHER_CITIZEN, OTHER_CITIZEN[:6])
NEW = {"reg_no": "9570", "account_no": "99887766"}


def _state(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', html)


def _change(client, account: dict, kind: str = "dk"):
    """Kind → account → check → confirm; every answer a page; the receipt's response."""
    locations = []
    token = csrf_of(client.get("/citizen/change/type").text)
    for path, data in (
        ("/citizen/change/type", {"kind": kind}),
        ("/citizen/change/account", account),
        ("/citizen/change/check", {}),
    ):
        answer = client.post(path, data={"csrf_token": token} | data)
        assert answer.status_code == 303, (path, codes_of(answer.text))
        locations.append(answer.headers["location"])
    receipt = client.get(locations[-1])
    return receipt, locations


def test_my_nemkonto_is_masked_with_since_and_channel(web_client, seeded):
    log_in(web_client, "citizen-1")
    page = web_client.get("/citizen")
    assert page.status_code == 200 and '<html lang="da">' in page.text
    assert _state(page.text, "data-nemkonto") == ["****5678"]
    assert _state(page.text, "data-payable") == ["yes"]
    assert "0012345678" not in page.text and not FULL_NUMBER.search(page.text)


def test_no_nemkonto_says_why(web_client, seeded):
    log_in(web_client, "citizen-2")  # the held citizen: no account at all
    page = web_client.get("/citizen")
    assert _state(page.text, "data-nemkonto") == [] and "NO_ACCOUNT" in codes_of(page.text)


def test_no_page_or_parameter_shows_another_citizens_data(web_client, seeded):
    with session_scope(seeded) as s:
        other_reg = s.scalars(
            select(AccountRegistration.id).where(AccountRegistration.owner_number == OTHER_CITIZEN)
        ).one()
    log_in(web_client, "citizen-1")
    for path in PAGES:
        for params in ({}, {"registration_id": other_reg, "after": 0}, {"owner": "cpr"}):
            page = web_client.get(path, params=params, follow_redirects=True)
            assert page.status_code == 200, (path, params)
            assert not any(o in page.text for o in OTHERS), (path, params)
            assert not FULL_NUMBER.search(page.text), (path, params)
        # a CPR in the URL never reaches a page
        refused = web_client.get(path, params={"cpr": OTHER_CITIZEN})
        assert refused.status_code == 400 and refused.json()["code"] == "REQUEST_CPR_IN_URL"
    # a form naming another CPR still registers for the session's citizen only
    token = csrf_of(web_client.get("/citizen/change/type").text)
    web_client.post("/citizen/change/type", data={"csrf_token": token, "kind": "dk",
                                                  "cpr": OTHER_CITIZEN})  # fmt: skip
    web_client.post("/citizen/change/account", data={"csrf_token": token, "cpr": OTHER_CITIZEN}
                    | NEW)  # fmt: skip
    web_client.post("/citizen/change/check", data={"csrf_token": token, "cpr": OTHER_CITIZEN})
    with session_scope(seeded) as s:
        pending = s.scalars(
            select(AccountRegistration).where(AccountRegistration.status == "pending_activation")
        ).all()
        assert [(r.owner_number, r.registered_by_owner) for r in pending] == [(CITIZEN, True)]


def test_other_roles_cannot_see_the_citizens_pages(web_client, seeded):
    log_in(web_client, "operator-1")
    for path in PAGES:
        refused = web_client.get(path)
        assert refused.status_code == 403 and codes_of(refused.text) == ["WEB_FORBIDDEN"]


def test_change_one_question_per_page_then_a_receipt_with_the_codes_validity(
    web_client, seeded, clock
):
    log_in(web_client, "citizen-1")
    receipt, locations = _change(web_client, NEW)
    assert locations == [
        "/citizen/change/account",
        "/citizen/change/check",
        "/citizen/change/receipt",
    ]
    assert _state(receipt.text, "data-outcome") == ["pending"]
    valid_until = (clock.today() + dt.timedelta(days=60)).isoformat()
    assert _state(receipt.text, "data-valid-until") == [valid_until]
    assert "0099887766" not in receipt.text and "99887766" not in receipt.text
    overview = web_client.get("/citizen").text
    assert _state(overview, "data-nemkonto") == ["****5678"]  # the old one until activated
    assert 'href="/citizen/activate"' in overview
    # sent twice (a reload of the post): nothing more is registered
    token = csrf_of(overview)
    again = web_client.post("/citizen/change/check", data={"csrf_token": token})
    assert again.status_code == 303 and again.headers["location"] == "/citizen"
    with session_scope(seeded) as s:
        rows = s.scalars(
            select(AccountRegistration).where(AccountRegistration.owner_number == CITIZEN)
        ).all()
        assert sorted(r.status for r in rows) == ["active", "pending_activation"]
        assert {r.channel for r in rows if r.status != "active"} == {"citizen"}


def test_the_same_account_again_is_unchanged(web_client, seeded):
    log_in(web_client, "citizen-1")
    receipt, _ = _change(web_client, {"reg_no": "1234", "account_no": "12345678"})
    assert _state(receipt.text, "data-outcome") == ["unchanged"]


@pytest.mark.parametrize(
    "kind,account,field,code",
    [
        ("dk", {"reg_no": "", "account_no": "99887766"}, "reg_no", "WEB_FIELD_REQUIRED"),
        ("dk", {"reg_no": "12", "account_no": "99887766"}, "reg_no", "ID_REG_NO_INVALID"),
        ("dk", {"reg_no": "9570", "account_no": "12345678901"}, "account_no",
         "ID_ACCOUNT_INVALID"),
        ("iban", {"iban": "DK00 1234", "bic": ""}, "iban", "ID_IBAN_INVALID"),
        ("iban", {"iban": "", "bic": ""}, "iban", "WEB_FIELD_REQUIRED"),
    ],
)  # fmt: skip
def test_a_wrong_account_is_a_field_error_and_never_shown_again(
    web_client, seeded, kind, account, field, code
):
    log_in(web_client, "citizen-1")
    token = csrf_of(web_client.get("/citizen/change/type").text)
    web_client.post("/citizen/change/type", data={"csrf_token": token, "kind": kind})
    answer = web_client.post("/citizen/change/account", data={"csrf_token": token} | account)
    assert answer.status_code == 422
    assert codes_of(answer.text) == [code, code]  # the summary and the field
    assert f'href="#{field}"' in answer.text and f'id="{field}-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    if account.get("account_no"):
        assert account["account_no"] not in answer.text  # typed again, never echoed


def test_the_kind_must_be_chosen(web_client, seeded):
    log_in(web_client, "citizen-1")
    token = csrf_of(web_client.get("/citizen/change/type").text)
    answer = web_client.post("/citizen/change/type", data={"csrf_token": token})
    assert answer.status_code == 422 and codes_of(answer.text) == ["WEB_FIELD_REQUIRED"] * 2
    # skipping a question sends the citizen back to it
    assert web_client.get("/citizen/change/check").headers["location"] == "/citizen/change/type"


def _registration(engine) -> int:
    with session_scope(engine) as s:
        return s.scalars(
            select(AccountRegistration.id).where(AccountRegistration.status == "pending_activation")
        ).one()


def _activate(client, code: str):
    token = csrf_of(client.get("/citizen/activate").text)
    return client.post("/citizen/activate", data={"csrf_token": token, "code": code})


def test_activate_with_the_letters_code(web_client, seeded):
    log_in(web_client, "citizen-1")
    _change(web_client, NEW)
    wrong = _activate(web_client, "WRONGCOD")
    assert (
        wrong.status_code == 422 and codes_of(wrong.text) == ["ACCOUNT_ACTIVATION_CODE_WRONG"] * 2
    )
    with session_scope(seeded) as s:
        assert s.get(AccountRegistration, _registration(seeded)).activation_attempts == 1
    code = support.letter_code(seeded, _registration(seeded), Path(tempfile.mkdtemp()), now=NOW)
    done = _activate(web_client, code)
    assert done.status_code == 303 and done.headers["location"] == "/citizen"
    page = web_client.get("/citizen").text
    assert codes_of(page)[0] == "WEB_NEMKONTO_ACTIVATED"
    assert _state(page, "data-nemkonto") == ["****7766"]
    assert "WEB_NEMKONTO_ACTIVATED" not in codes_of(web_client.get("/citizen").text)  # once
    history = web_client.get("/citizen/history").text
    assert _state(history, "data-status") == ["ended", "active"]
    assert not FULL_NUMBER.search(history)


def test_wrong_codes_lock_and_attempts_are_rate_limited(web_client, seeded):
    log_in(web_client, "citizen-1")
    _change(web_client, NEW)
    answers = [_activate(web_client, "WRONGCOD") for _ in range(6)]
    codes = [codes_of(a.text)[0] for a in answers]
    assert codes[:4] == ["ACCOUNT_ACTIVATION_CODE_WRONG"] * 4
    assert codes[4] == "ACCOUNT_ACTIVATION_LOCKED"  # the fifth wrong code locks (database)
    assert answers[5].status_code == 429 and codes[5] == "RATE_LIMITED"
    assert "ACCOUNT_ACTIVATION_LOCKED" in codes_of(web_client.get("/citizen").text)
    empty = _activate(web_client, "")
    assert empty.status_code == 422  # the page says nothing waits for a code any more


def test_a_code_older_than_60_days_is_refused(web_client, seeded, clock):
    log_in(web_client, "citizen-1")
    _change(web_client, NEW)
    code = support.letter_code(seeded, _registration(seeded), Path(tempfile.mkdtemp()), now=NOW)
    clock.at = NOW + dt.timedelta(days=61)
    log_in(web_client, "citizen-1")  # the session ended long ago
    late = _activate(web_client, code)
    assert codes_of(late.text)[0] == "ACCOUNT_ACTIVATION_EXPIRED"
    with session_scope(seeded) as s:
        assert s.get(AccountRegistration, _registration(seeded)).activation_attempts == 0


@pytest.mark.parametrize("days,expired", [(60, False), (61, True)])
def test_an_expired_code_is_not_asked_for_and_a_new_letter_is_offered(
    web_client, seeded, clock, days, expired
):
    """The code's last day is the 60th after the request: the day after, neither page asks
    for it; both say it expired and link to registering again, which sends a new letter."""
    log_in(web_client, "citizen-1")
    _change(web_client, NEW)
    clock.at = NOW + dt.timedelta(days=days)
    log_in(web_client, "citizen-1")  # the session ended long ago
    overview = web_client.get("/citizen").text
    activate = web_client.get("/citizen/activate").text
    offered = 'data-action="register-again"'
    if not expired:
        assert 'href="/citizen/activate"' in overview and offered not in overview
        assert 'id="code"' in activate and "ACCOUNT_ACTIVATION_EXPIRED" not in codes_of(activate)
        return
    assert "ACCOUNT_ACTIVATION_EXPIRED" in codes_of(overview)
    assert 'href="/citizen/activate"' not in overview
    assert re.search(r'href="/citizen/change" ' + offered, overview)
    assert codes_of(activate) == ["ACCOUNT_ACTIVATION_EXPIRED"] and 'id="code"' not in activate
    assert re.search(r'href="/citizen/change" ' + offered, activate)
    # registering again is a new request with a new letter, whose code is asked for again
    receipt, _locations = _change(web_client, NEW)
    assert _state(receipt.text, "data-outcome") == ["pending"]
    assert 'id="code"' in web_client.get("/citizen/activate").text
    with session_scope(seeded) as s:
        rows = s.scalars(
            select(AccountRegistration).where(AccountRegistration.owner_number == CITIZEN)
        ).all()
        waiting = [r for r in rows if r.status == "pending_activation"]
        assert [(r.ended_on is None, r.end_reason) for r in waiting] == [
            (False, "replaced"),
            (True, None),
        ]


def test_a_code_posted_after_it_expired_shows_the_expired_page(web_client, seeded, clock):
    log_in(web_client, "citizen-1")
    _change(web_client, NEW)
    last_day = dt.datetime.combine(NOW.date() + dt.timedelta(days=60), dt.time(23, 55), dt.UTC)
    clock.at = last_day
    log_in(web_client, "citizen-1")
    token = csrf_of(web_client.get("/citizen/activate").text)  # the form, on its last day
    clock.at = last_day + dt.timedelta(minutes=10)  # sent the next day
    late = web_client.post("/citizen/activate", data={"csrf_token": token, "code": "ABCD2345"})
    assert late.status_code == 409
    assert codes_of(late.text) == ["ACCOUNT_ACTIVATION_EXPIRED"]  # no error summary: no field


def test_my_payments_with_states_and_for_a_held_one_why_and_what_to_do(web_client, seeded):
    log_in(web_client, "citizen-2")  # the citizen whose payment is held: no NemKonto
    page = web_client.get("/citizen/payments").text
    assert _state(page, "data-state") == ["held"]
    assert _state(page, "data-reason") == ["NO_ACCOUNT"]
    assert 'href="/citizen/change"' in page  # what to do: register one
    assert "3.000,00" in page and not FULL_NUMBER.search(page)
    web_client.post("/logout", data={"csrf_token": csrf_of(page)})
    log_in(web_client, "citizen-1")
    mine = web_client.get("/citizen/payments").text
    assert _state(mine, "data-state") == ["pending"] and "16.901,75" in mine
    assert "3.000,00" not in mine and "2.500,00" not in mine


def test_decisions_about_me_with_the_explanation(web_app, web_client, seeded, web_settings):
    from fastapi.testclient import TestClient

    key = tokens.dev_key(web_settings.dev_key_file, create=True)
    bearer = tokens.mint(key, role="employer", subject="employer", now=NOW,
                         cvr_number=support.EMPLOYER)  # fmt: skip
    api = TestClient(web_app)
    claim = support.worked(salary_paid=False, employee_cpr=CITIZEN)
    sent = api.post("/v1/claims", json=claim, headers={"Authorization": f"Bearer {bearer}"})
    assert sent.status_code == 201, sent.text
    log_in(web_client, "citizen-1")
    page = web_client.get("/citizen/decisions").text
    assert len(_state(page, "data-decision")) == 1
    assert _state(page, "data-status")[0] in ("approved", "partially_approved", "rejected")
    explanation = page.split('lang="en" data-explanation>')[1].split("</div>")[0]  # WCAG 3.1.2
    assert "§" in explanation and len(explanation.splitlines()) > 3  # the steps, with law
    assert not FULL_NUMBER.search(page)
    web_client.post("/logout", data={"csrf_token": csrf_of(page)})
    log_in(web_client, "citizen-2")
    assert _state(web_client.get("/citizen/decisions").text, "data-decision") == []


def test_the_citizens_pages_in_english(web_client, seeded):
    log_in(web_client, "citizen-1")
    web_client.get("/lang/en")
    for path in PAGES:
        page = web_client.get(path)
        assert '<html lang="en">' in page.text and "<script" not in page.text
        assert not re.search(r"\sstyle=", page.text)


def test_no_url_holds_a_cpr_or_account_number(web_client, seeded):
    log_in(web_client, "citizen-1")
    _, locations = _change(web_client, NEW)
    pages = [web_client.get(p).text for p in PAGES]
    hrefs = [h for text in pages for h in re.findall(r'(?:href|action)="([^"]*)"', text)]
    for url in [*locations, *hrefs]:
        assert not re.search(r"\d{8,}", url), url
    assert HELD_CITIZEN not in "".join(pages)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_two_missing_account_fields_are_two_links_each_naming_its_field(web_client, seeded, lang):
    """GOV.UK's error summary: each link says which field is wrong, by the label of the
    table the page takes its labels from, and leads to that field; the field's own error
    message is the link's text. A wrong value names its field too."""
    log_in(web_client, "citizen-1")
    web_client.cookies.set("lang", lang)
    token = csrf_of(web_client.get("/citizen/change/type").text)
    web_client.post("/citizen/change/type", data={"csrf_token": token, "kind": "dk"})
    answer = web_client.post(
        "/citizen/change/account", data={"csrf_token": token, "reg_no": "", "account_no": ""}
    )
    assert answer.status_code == 422
    links, gettext = summary_links(answer.text), i18n.translations(lang).gettext
    assert set(links) == {"reg_no", "account_no"}
    for name, (code, text) in links.items():
        assert code == "WEB_FIELD_REQUIRED" and f'id="{name}"' in answer.text
        assert gettext(citizen_pages.FIELDS["dk"][name].label) in text
        assert inline_error(answer.text, name) == text
    assert links["reg_no"][1] != links["account_no"][1]
    wrong = web_client.post(
        "/citizen/change/account",
        data={"csrf_token": token, "reg_no": "12", "account_no": NEW["account_no"]},
    )
    code, text = summary_links(wrong.text)["reg_no"]
    assert code == "ID_REG_NO_INVALID"
    assert gettext(citizen_pages.FIELDS["dk"]["reg_no"].label) in text
