"""The employer's pages over HTTP, on SQLite and PostgreSQL: what they show and refuse.

An employer sees its own company's claims and jobs only, whatever the URL or a form says;
a claim sent in the form is decided by the intake and a refused one comes back with the
rules' codes linked to their fields (and without the CPR typed); a correction is a
resubmission under the same reference; a claim file becomes a job whose page reloads
itself while it runs. Every form needs its CSRF token. Assertions read codes, amounts and
states, never the pages' words.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from babel.numbers import format_decimal

import rules
from api.web import i18n
from api.web.routes import employer as employer_pages
from api.web.routes import employer_maternity
from payments import employer, jobs, worker
from payments.claims import listing
from tests.support import cpr, worked
from tests.web.helpers import TODAY as PAGES_DAY
from tests.web.helpers import codes_of, inline_error, log_in, summary_links
from tests.web.page_support import (
    EMPLOYER,
    NOW,
    OTHER,
    PARAMS,
    RECENT,
    RECENT_AMOUNT,
    TODAY,
    post_form,
    two_companies,
)


@pytest.fixture
def employer_client(web_app, web_client):
    two_companies(web_app.state.payments.engine)
    log_in(web_client, "employer-1")
    return web_client


def _engine(web_app):
    return web_app.state.payments.engine


def test_the_claim_list_shows_the_company_s_own_claims_and_their_amounts(employer_client):
    page = employer_client.get("/employer")
    assert page.status_code == 200
    refs = re.findall(r'href="/employer/claims/([^"?]+)"', page.text)
    assert sorted(refs) == ["ACME-0001", "ACME-0002", "ACME-0003"]
    assert "16.901,75" in page.text  # the worked example's amount, in Danish
    filtered = employer_client.get("/employer?ref=ACME-0002")
    assert re.findall(r'href="/employer/claims/([^"?]+)"', filtered.text) == ["ACME-0002"]


def test_an_employer_never_sees_another_company_s_claims(web_app, employer_client):
    assert "OTHER-" not in employer_client.get("/employer").text
    assert "OTHER-" not in employer_client.get("/employer?ref=OTHER").text
    assert "OTHER-" not in employer_client.get("/employer?before=1000000").text
    assert "OTHER-" not in employer_client.get("/employer?payment=pending&status=approved").text
    for path in ("/employer/claims/OTHER-1", "/employer/claims/OTHER-1/correction"):
        answer = employer_client.get(path)
        assert answer.status_code == 404 and "CLAIM_NOT_FOUND" in codes_of(answer.text)
    refused = post_form(
        employer_client,
        "/employer/claims/OTHER-1/correction",
        {"last_absence_day": "2024-04-19"},
        page="/employer/new",
    )
    assert refused.status_code == 404
    assert listing.stored_claim(_engine(web_app), OTHER, "OTHER-1")["last_absence_day"] == (
        "2024-04-26"
    )  # unchanged
    # a claim in the form naming the other company is refused, nothing stored
    sent = post_form(
        employer_client,
        "/employer/new",
        _form(worked(external_ref="X-9", employee_cpr=cpr(30))) | {"employer_cvr": OTHER},
    )
    assert sent.status_code == 303  # the page sends its own company, never the form's
    assert listing.page(_engine(web_app), OTHER).total == 2
    assert listing.page(_engine(web_app), EMPLOYER, listing.Filters(ref="X-9")).total == 1


def test_another_company_s_job_is_not_found(web_app, employer_client):
    other = jobs.create(
        _engine(web_app), employer_cvr=OTHER, actor="x", spool_name="x.upload",
        file_name="upload.json", size_bytes=1, sha256="0" * 64, received_on=TODAY, now=NOW,
    )  # fmt: skip
    answer = employer_client.get(f"/employer/jobs/{other.id}")
    assert answer.status_code == 404 and "JOB_NOT_FOUND" in codes_of(answer.text)


def test_a_bad_filter_is_reported_with_its_code(employer_client):
    answer = employer_client.get("/employer?payment=lost")
    assert answer.status_code == 422 and "CLAIM_FILTER_INVALID" in codes_of(answer.text)


def _form(raw: dict) -> dict:
    """A claim as the form's fields."""
    fields = {k: str(v) for k, v in raw.items() if k not in ("monthly_hours", "salary_paid")}
    fields["monthly_hours"] = " ".join(str(h) for h in raw["monthly_hours"])
    fields["salary_paid"] = "yes" if raw["salary_paid"] else "no"
    for gone in ("kind", "employer_cvr"):
        fields.pop(gone, None)
    return fields


def test_one_claim_in_the_form_is_decided_and_shown_with_its_explanation(web_app, employer_client):
    fields = _form(worked(external_ref="FORM-1", employee_cpr=cpr(40), **RECENT))
    fields["hourly_wage"] = "250,00"  # a Danish decimal comma
    sent = post_form(employer_client, "/employer/new", fields)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/employer/claims/FORM-1?done=created"
    page = employer_client.get(sent.headers["location"])
    assert page.status_code == 200 and "CLAIM_DECIDED" in codes_of(page.text)
    assert RECENT_AMOUNT in page.text
    # the explanation: every step of the stored trace with its legal reference
    document = listing.stored_claim(_engine(web_app), EMPLOYER, "FORM-1")
    assert document["hourly_wage"] == "250.00"
    steps = re.findall(r'<ol class="explanation">(.*?)</ol>', page.text, re.S)[0]
    assert steps.count("<li>") >= 5 and "§" in steps
    # the page is Danish; each step's sentence is the rules' English, and says so (WCAG 3.1.2)
    assert steps.count('<p lang="en">') == steps.count("<li>")
    assert cpr(40) not in page.text and cpr(40)[:6] + "-" + cpr(40)[6:] not in page.text


def test_a_refused_claim_names_each_field_by_its_code_and_never_echoes_the_cpr(employer_client):
    fields = _form(worked(external_ref="FORM-2", employee_cpr=cpr(41)))
    fields["hourly_wage"] = ""
    fields["monthly_hours"] = "160 160"
    answer = post_form(employer_client, "/employer/new", fields)
    assert answer.status_code == 422
    codes = codes_of(answer.text)
    assert "CLAIM_FIELD_MISSING" in codes and "CLAIM_MONTHLY_HOURS_LENGTH" in codes
    summary = re.search(r'class="error-summary".*?</div>', answer.text, re.S).group(0)
    assert 'href="#hourly_wage"' in summary and 'href="#monthly_hours"' in summary
    assert cpr(41) not in answer.text
    assert 'value="FORM-2"' in answer.text  # what is not a CPR is kept for the next try


def _names_each_field(html: str, fields: dict, expected: dict[str, str], lang: str) -> None:
    """Each field of ``expected`` (field -> code) has its own link in the error summary,
    leading to its input, whose text names it by the label of ``fields`` (the table the form
    takes its labels from) and is the error message beside the input; no two say the same."""
    links = summary_links(html)
    gettext = i18n.translations(lang).gettext
    for name, code in expected.items():
        assert links[name][0] == code and f'id="{name}"' in html
        assert gettext(fields[name].label) in links[name][1]
        assert inline_error(html, name) == links[name][1]
    texts = [links[name][1] for name in expected]
    assert len(set(texts)) == len(texts), texts


@pytest.mark.parametrize("lang", ["da", "en"])
def test_two_missing_fields_of_the_claim_form_are_two_links_each_naming_its_field(
    employer_client, lang
):
    employer_client.cookies.set("lang", lang)
    fields = _form(worked(external_ref="FORM-3", employee_cpr=cpr(42)))
    fields |= {"first_absence_day": "", "hourly_wage": "", "salary_paid": ""}
    answer = post_form(employer_client, "/employer/new", fields)
    assert answer.status_code == 422
    missing = dict.fromkeys(
        ("first_absence_day", "hourly_wage", "salary_paid"), "CLAIM_FIELD_MISSING"
    )
    _names_each_field(answer.text, employer_pages.FIELDS, missing, lang)
    wrong = post_form(
        employer_client, "/employer/new", fields | {"first_absence_day": "4/3", "hourly_wage": "x"}
    )
    expected = {"first_absence_day": "CLAIM_FIELD_TYPE", "hourly_wage": "CLAIM_FIELD_TYPE"}
    _names_each_field(wrong.text, employer_pages.FIELDS, expected, lang)


def test_a_correction_is_a_resubmission_under_the_same_reference(web_app, employer_client):
    form = employer_client.get("/employer/claims/ACME-0001/correction")
    assert form.status_code == 200
    assert cpr(100) not in form.text and cpr(100)[:6] + "-****" in form.text  # the employee, masked
    assert 'value="2024-04-26"' in form.text
    assert re.search(r'value="yes"\s+checked\s', form.text)  # salary paid, as sent
    sent = post_form(
        employer_client,
        "/employer/claims/ACME-0001/correction",
        _form(worked(employee_cpr=cpr(100))) | {"last_absence_day": "2024-04-19"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/employer/claims/ACME-0001?done=corrected"
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "ACME-0001")
    assert stored["last_absence_day"] == "2024-04-19" and stored["employee_cpr"] == cpr(100)
    row = listing.page(_engine(web_app), EMPLOYER, listing.Filters(ref="ACME-0001")).items[0]
    assert row["version"] == 2
    again = post_form(
        employer_client,
        "/employer/claims/ACME-0001/correction",
        _form(worked(employee_cpr=cpr(100))) | {"last_absence_day": "2024-04-19"},
    )
    assert again.headers["location"].endswith("?done=unchanged")


def _api_decision(web_app, raw: dict) -> tuple[str, str, list[str]]:
    """The status, amount and codes the API's intake (:func:`payments.employer.submit`)
    gives ``raw`` on the pages' day."""
    clock = web_app.state.payments.clock
    (outcome,) = employer.submit(
        _engine(web_app), [raw], employer_cvr=EMPLOYER, actor="payroll", today=clock.today(),
        now=clock.now(), parameters=PARAMS,
    )  # fmt: skip
    assert outcome["outcome"] == "created", outcome
    return outcome["status"], outcome["amount"], outcome["codes"]


def _form_decision(web_app, ref: str) -> tuple[str, str, list[str]]:
    found = employer.claim(_engine(web_app), EMPLOYER, ref)
    return found["status"], found["amount"], [r["code"] for r in found["reasons"]]


def test_a_section_56_agreement_ticked_in_the_form_is_decided_as_the_api_decides_it(
    web_app, employer_client
):
    """Ticked, the form sends ``"section_56_agreement": true``: the decision is the one the
    API's intake gives the same claim with that field (reimbursed from the first day, so
    more than the plain claim); unticked, the field is left out, not sent as false, and the
    decision is the plain one."""
    ticked = _form(worked(external_ref="FORM-56", employee_cpr=cpr(43), **RECENT))
    sent = post_form(employer_client, "/employer/new", ticked | {"section_56_agreement": "yes"})
    assert sent.status_code == 303
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "FORM-56")
    assert stored["section_56_agreement"] is True and "small_employer_insurance" not in stored
    via_api = worked(
        external_ref="API-56", employee_cpr=cpr(44), section_56_agreement=True, **RECENT
    )
    assert _form_decision(web_app, "FORM-56") == _api_decision(web_app, via_api)

    plain = _form(worked(external_ref="FORM-PLAIN", employee_cpr=cpr(45), **RECENT))
    assert post_form(employer_client, "/employer/new", plain).status_code == 303
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "FORM-PLAIN")
    assert not {"section_56_agreement", "small_employer_insurance"} & set(stored)
    assert "employment_requirement_met_by" not in stored  # "none of these": left out
    plain_api = worked(external_ref="API-PLAIN", employee_cpr=cpr(46), **RECENT)
    assert _form_decision(web_app, "FORM-PLAIN") == _api_decision(web_app, plain_api)
    assert Decimal(_form_decision(web_app, "FORM-PLAIN")[1]) < Decimal(
        _form_decision(web_app, "FORM-56")[1]
    )


def test_the_employment_requirement_s_route_is_stored_and_prefilled_on_the_correction(
    web_app, employer_client
):
    """A route chosen in the form is the stored claim's ``employment_requirement_met_by``
    (a claim whose hours alone fall short is then approved, as the rules say), and the
    correction form shows it chosen; choosing "none of these" there leaves it out again."""
    few_hours = worked(
        external_ref="FORM-ROUTE", employee_cpr=cpr(47), monthly_hours=[20] * 6, **RECENT
    )
    refused = post_form(employer_client, "/employer/new", _form(few_hours) | {
        "external_ref": "FORM-NOROUTE", "employee_cpr": cpr(48),
    })  # fmt: skip
    assert refused.status_code == 303
    assert "RULE_SICK_EMPLOYMENT" in _form_decision(web_app, "FORM-NOROUTE")[2]
    sent = post_form(
        employer_client,
        "/employer/new",
        _form(few_hours) | {"employment_requirement_met_by": "fleksjob"},
    )
    assert sent.status_code == 303
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "FORM-ROUTE")
    assert stored["employment_requirement_met_by"] == "fleksjob"
    assert _form_decision(web_app, "FORM-ROUTE") == _api_decision(
        web_app,
        few_hours
        | {"external_ref": "API-ROUTE", "employee_cpr": cpr(49)}
        | {"employment_requirement_met_by": "fleksjob"},
    )
    assert "RULE_SICK_EMPLOYMENT" not in _form_decision(web_app, "FORM-ROUTE")[2]

    url = "/employer/claims/FORM-ROUTE/correction"
    form = employer_client.get(url)
    assert form.status_code == 200
    checked = re.findall(
        r'name="employment_requirement_met_by"[^>]*value="([^"]*)"\s+checked', form.text
    )
    assert checked == ["fleksjob"]
    assert not re.search(r'name="section_56_agreement"[^>]*checked', form.text)
    corrected = {k: v for k, v in _form(few_hours).items() if k not in employer_pages.NOT_CORRECTED}
    again = post_form(employer_client, url, corrected | {
        "employment_requirement_met_by": "", "small_employer_insurance": "yes",
    })  # fmt: skip
    assert again.headers["location"] == "/employer/claims/FORM-ROUTE?done=corrected"
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "FORM-ROUTE")
    assert "employment_requirement_met_by" not in stored
    assert stored["small_employer_insurance"] is True
    prefilled = employer_client.get(url).text
    assert re.search(r'name="small_employer_insurance"[^>]*checked', prefilled)
    assert re.findall(
        r'name="employment_requirement_met_by"[^>]*value="([^"]*)"\s+checked', prefilled
    ) == [""]  # "none of these"


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_value_no_input_of_the_form_sends_gets_the_field_s_error(employer_client, lang):
    """A route or a checkbox's value typed by hand is refused on its field, with the
    intake's code, named by the field's label; nothing is stored."""
    employer_client.cookies.set("lang", lang)
    fields = _form(worked(external_ref="FORM-BAD", employee_cpr=cpr(55), **RECENT))
    answer = post_form(employer_client, "/employer/new", fields | {
        "employment_requirement_met_by": "pension", "section_56_agreement": "maybe",
    })  # fmt: skip
    assert answer.status_code == 422
    expected = {
        "employment_requirement_met_by": "CLAIM_FIELD_CHOICE",
        "section_56_agreement": "CLAIM_FIELD_TYPE",
    }
    _names_each_field(answer.text, employer_pages.FIELDS, expected, lang)
    assert employer_client.get("/employer/claims/FORM-BAD").status_code == 404


def test_the_forms_routes_are_the_claim_format_s():
    """Every route of the format has its radio, and "none of these" comes first (the
    default); nothing else is offered."""
    assert list(employer_pages.MET_BY)[0] == ""
    assert set(employer_pages.MET_BY) - {""} == set(rules.claim.MET_BY)
    for name in employer_pages.CHECKBOXES:
        assert employer_pages.FIELDS[name].kind == "checkbox"


def test_a_claim_file_becomes_a_job_whose_page_follows_it(web_app, employer_client):
    lines = [
        json.dumps(worked(external_ref=f"FILE-{n}", employee_cpr=cpr(60 + n))) for n in range(3)
    ]
    lines.append(json.dumps(worked(external_ref="FILE-BAD", hourly_wage=None)))
    body = ("\n".join(lines) + "\n").encode()
    sent = post_form(
        employer_client,
        "/employer/upload",
        files={"file": ("løn-0101901234.ndjson", body, "application/x-ndjson")},
    )
    assert sent.status_code == 303
    job_id = int(sent.headers["location"].rsplit("/", 1)[1])
    queued = employer_client.get(sent.headers["location"])
    assert queued.headers["refresh"] == "2"
    assert re.search(r'<progress id="progress" max="4" value="0"', queued.text)
    assert "0101901234" not in queued.text  # the file's own name is not kept
    assert "refresh" not in employer_client.get(sent.headers["location"] + "?auto=0").headers
    state = web_app.state.payments
    worker.run_one(state.engine, state.settings, PARAMS, worker="test", now=state.clock.now)
    done = employer_client.get(sent.headers["location"])
    assert "refresh" not in done.headers and 'data-status="done"' in done.text
    assert "CLAIM_FIELD_MISSING" in codes_of(done.text)
    found = jobs.get(state.engine, job_id, EMPLOYER)
    assert found.counts["created"] == 3 and found.counts["invalid"] == 1
    assert found.file_name == "upload.ndjson" and found.expected_records == 4
    upload = employer_client.get("/employer/upload")
    assert f'href="/employer/jobs/{job_id}"' in upload.text


def test_an_upload_without_a_file_is_refused(employer_client):
    answer = post_form(employer_client, "/employer/upload", files={"file": ("", b"", "text/csv")})
    assert answer.status_code == 422 and "REQUEST_INVALID" in codes_of(answer.text)


def test_the_company_s_nemkonto_is_shown_masked(web_app, employer_client):
    from payments.db import session_scope
    from tests.support import add_registration

    with session_scope(_engine(web_app)) as s:
        add_registration(s, EMPLOYER, kind="cvr", account="4455667788")
    page = employer_client.get("/employer/nemkonto")
    assert page.status_code == 200
    assert "****7788" in page.text and "4455667788" not in page.text


MATERNITY = "/employer/new/maternity"
#: a mother's claim for the 4 weeks after the birth, received in time on the pages' day
MOTHER = {
    "external_ref": "MAT-1",
    "parent": "mother",
    "child_birth_date": "2024-04-01",
    "first_absence_day": "2024-04-01",
    "last_absence_day": "2024-04-26",
    "normal_weekly_hours": "37",
    "hourly_wage": "250,00",  # a Danish decimal comma
    "salary_paid": "yes",
    "salary_paid_amount": "",
    "employment_start": "2019-01-01",
    "monthly_hours": "160 160 160 160",
}


def _masked(number: str) -> str:
    return number[:6] + "-****"


def _no_full_cpr(html: str, number: str) -> None:
    assert number not in html and number[:6] + "-" + number[6:] not in html


def test_a_maternity_claim_is_checked_then_decided_with_a_receipt(web_app, employer_client):
    employee = cpr(50)
    form = employer_client.get(MATERNITY)
    assert form.status_code == 200 and 'href="/employer/new/maternity"' in (
        employer_client.get("/employer/new").text  # the sickness form points to it
    )
    sent = post_form(employer_client, MATERNITY, MOTHER | {"employee_cpr": employee})
    assert sent.status_code == 303 and sent.headers["location"] == MATERNITY + "/check"
    assert listing.page(_engine(web_app), EMPLOYER, listing.Filters(ref="MAT")).total == 0
    check = employer_client.get(MATERNITY + "/check")
    assert check.status_code == 200 and _masked(employee) in check.text
    _no_full_cpr(check.text, employee)
    for field in ("external_ref", "employee_cpr", "parent", "child_birth_date", "monthly_hours"):
        assert f'href="{MATERNITY}#{field}"' in check.text  # every answer can be changed
    done = post_form(employer_client, MATERNITY + "/check", page=MATERNITY + "/check")
    assert done.status_code == 303 and done.headers["location"] == MATERNITY + "/receipt"
    receipt = employer_client.get(MATERNITY + "/receipt")
    assert re.findall(r'data-(?:outcome|status)="([^"]+)"', receipt.text) == ["created", "approved"]
    _no_full_cpr(receipt.text, employee)
    # the same claim as the API's intake decides it, with the form's fields in the format's
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "MAT-1")
    assert stored["kind"] == "maternity" and stored["parent"] == "mother"
    assert stored["hourly_wage"] == "250.00" and len(stored["monthly_hours"]) == 4
    assert "salary_paid_amount" not in stored  # left empty: not given
    expected = rules.decide(
        rules.parse_claim(stored, PAGES_DAY, submitted_on_allowed=False), parameters=PARAMS
    )
    assert expected.status == "approved" and expected.supplement > 0
    for amount in (expected.amount, expected.supplement):
        assert format_decimal(amount, format="#,##0.00", locale="da") in receipt.text
    assert 'href="/employer/claims/MAT-1"' in receipt.text
    # sent twice (a reload of the post): nothing more is sent
    again = post_form(employer_client, MATERNITY + "/check", page=MATERNITY)
    assert again.status_code == 303 and again.headers["location"] == MATERNITY
    assert listing.page(_engine(web_app), EMPLOYER, listing.Filters(ref="MAT")).total == 1


def test_a_refused_maternity_claim_links_each_error_to_its_field(web_app, employer_client):
    employee = cpr(51)
    given = MOTHER | {"employee_cpr": employee, "parent": "", "monthly_hours": "160 160"}
    given.pop("child_birth_date")
    answer = post_form(employer_client, MATERNITY, given)
    assert answer.status_code == 422
    codes = codes_of(answer.text)
    assert "CLAIM_FIELD_MISSING" in codes and "CLAIM_MONTHLY_HOURS_LENGTH" in codes
    summary = re.search(r'class="error-summary".*?</div>', answer.text, re.S).group(0)
    for field in ("parent", "child_birth_date", "monthly_hours"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in answer.text
    _no_full_cpr(answer.text, employee)
    assert _masked(employee) in answer.text  # kept on the server, shown masked
    assert 'value="MAT-1"' in answer.text  # what is not a CPR is kept for the next try
    # corrected, with the CPR field left empty: the number given before is kept
    fixed = post_form(employer_client, MATERNITY, MOTHER | {"employee_cpr": ""})
    assert fixed.status_code == 303
    assert _masked(employee) in employer_client.get(MATERNITY + "/check").text
    # a wrong CPR number is never kept, nor shown
    wrong = post_form(employer_client, MATERNITY, MOTHER | {"employee_cpr": "3213991234"})
    assert wrong.status_code == 422 and "ID_CPR_INVALID" in codes_of(wrong.text)
    assert "3213991234" not in wrong.text and _masked(employee) not in wrong.text
    assert employer_client.get(MATERNITY + "/check").headers["location"] == MATERNITY
    assert listing.page(_engine(web_app), EMPLOYER, listing.Filters(ref="MAT")).total == 0


@pytest.mark.parametrize("lang", ["da", "en"])
def test_two_missing_fields_of_the_maternity_form_are_two_links_each_naming_its_field(
    employer_client, lang
):
    employer_client.cookies.set("lang", lang)
    given = MOTHER | {"employee_cpr": cpr(53), "parent": "", "child_birth_date": ""}
    answer = post_form(employer_client, MATERNITY, given)
    assert answer.status_code == 422
    missing = dict.fromkeys(("parent", "child_birth_date"), "CLAIM_FIELD_MISSING")
    _names_each_field(answer.text, employer_maternity.FIELDS, missing, lang)


def _maternity_claim(client, employee: str) -> None:
    """:data:`MOTHER` sent through the maternity form, checked and decided."""
    assert post_form(client, MATERNITY, MOTHER | {"employee_cpr": employee}).status_code == 303
    assert post_form(client, MATERNITY + "/check", page=MATERNITY + "/check").status_code == 303


def test_a_maternity_claim_is_corrected_from_its_page_in_the_maternity_form(
    web_app, employer_client
):
    """Its page's "correct" opens the maternity form (not the sickness one), prefilled from
    the stored claim with the employee masked; sent, it is a correction under the same
    reference, decided again: a shorter leave pays less, and the claim is at version 2."""
    employee, url = cpr(54), "/employer/claims/MAT-1/correction"
    _maternity_claim(employer_client, employee)
    before = employer.claim(_engine(web_app), EMPLOYER, "MAT-1")
    assert f'href="{url}"' in employer_client.get("/employer/claims/MAT-1").text
    form = employer_client.get(url)
    assert form.status_code == 200
    for field in employer_maternity.FIELDS:
        shown = f'name="{field}"' in form.text
        assert shown == (field not in employer_pages.NOT_CORRECTED), field
    assert 'name="hours_last_8_weeks"' not in form.text  # a sickness claim's field
    assert 'value="2024-04-01"' in form.text and re.search(r'value="mother"\s+checked\s', form.text)
    assert _masked(employee) in form.text
    _no_full_cpr(form.text, employee)
    corrected = {k: v for k, v in MOTHER.items() if k not in employer_pages.NOT_CORRECTED}
    refused = post_form(employer_client, url, corrected | {"child_birth_date": ""})
    assert refused.status_code == 422
    assert summary_links(refused.text)["child_birth_date"][0] == "CLAIM_FIELD_MISSING"
    _no_full_cpr(refused.text, employee)
    assert employer.claim(_engine(web_app), EMPLOYER, "MAT-1")["version"] == 1
    sent = post_form(employer_client, url, corrected | {"last_absence_day": "2024-04-19"})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/employer/claims/MAT-1?done=corrected"
    after = employer.claim(_engine(web_app), EMPLOYER, "MAT-1")
    assert after["version"] == 2 and after["kind"] == "maternity"
    assert Decimal(after["amount"]) < Decimal(before["amount"])
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "MAT-1")
    assert stored["last_absence_day"] == "2024-04-19" and stored["employee_cpr"] == employee
    assert stored["parent"] == "mother" and stored["child_birth_date"] == "2024-04-01"


def test_a_maternity_claim_carries_the_employment_requirement_s_route(web_app, employer_client):
    """The maternity form asks for the route too (barselsloven § 27): "check your answers"
    links to it, the stored claim carries it, and its correction shows it chosen."""
    given = MOTHER | {"employee_cpr": cpr(56), "employment_requirement_met_by": "paid_trainee"}
    assert post_form(employer_client, MATERNITY, given).status_code == 303
    check = employer_client.get(MATERNITY + "/check")
    assert f'href="{MATERNITY}#employment_requirement_met_by"' in check.text
    assert (
        post_form(employer_client, MATERNITY + "/check", page=MATERNITY + "/check").status_code
        == 303
    )
    stored = listing.stored_claim(_engine(web_app), EMPLOYER, "MAT-1")
    assert stored["employment_requirement_met_by"] == "paid_trainee"
    form = employer_client.get("/employer/claims/MAT-1/correction").text
    assert re.findall(
        r'name="employment_requirement_met_by"[^>]*value="([^"]*)"\s+checked', form
    ) == ["paid_trainee"]
    assert 'name="section_56_agreement"' not in form  # a sickness claim's field


def test_a_maternity_claim_under_a_used_reference_comes_back_on_the_form(web_app, employer_client):
    sent = post_form(
        employer_client, MATERNITY, MOTHER | {"external_ref": "ACME-0001", "employee_cpr": cpr(52)}
    )
    assert sent.status_code == 303  # the format is right: what the database knows comes next
    answer = post_form(employer_client, MATERNITY + "/check", page=MATERNITY + "/check")
    assert answer.status_code == 422 and "CLAIM_DUPLICATE_REF" in codes_of(answer.text)
    assert 'value="ACME-0001"' in answer.text
    assert listing.stored_claim(_engine(web_app), EMPLOYER, "ACME-0001")["kind"] == "sickness"


@pytest.mark.parametrize(
    "path,page",
    [
        ("/employer/new", "/employer/new"),
        (MATERNITY, MATERNITY),
        (MATERNITY + "/check", MATERNITY),
        ("/employer/claims/ACME-0001/correction", "/employer/claims/ACME-0001/correction"),
        ("/employer/upload", "/employer/upload"),
    ],
)
def test_every_form_needs_its_csrf_token(web_app, employer_client, path, page):
    fields = _form(worked(external_ref="CSRF-1", employee_cpr=cpr(70)))
    for token in (None, "forged"):
        data = fields | ({"csrf_token": token} if token else {})
        answer = employer_client.post(
            path, data=data, files={"file": ("a.ndjson", b"{}\n", "application/x-ndjson")}
        )
        assert answer.status_code == 403 and "WEB_CSRF_INVALID" in codes_of(answer.text)
    engine = _engine(web_app)
    assert listing.page(engine, EMPLOYER, listing.Filters(ref="CSRF")).total == 0
    assert listing.stored_claim(engine, EMPLOYER, "ACME-0001")["last_absence_day"] == "2024-04-26"
    assert jobs.recent(engine, EMPLOYER) == []


@pytest.mark.parametrize("who", ["citizen-1", "operator-1"])
def test_the_employer_pages_refuse_other_roles(web_app, web_client, seeded, who):
    two_companies(_engine(web_app))
    log_in(web_client, who)
    for path in ("/employer", "/employer/claims/ACME-0001", "/employer/upload"):
        answer = web_client.get(path)
        assert answer.status_code == 403 and "WEB_FORBIDDEN" in codes_of(answer.text)


def test_the_pages_send_a_visitor_without_a_session_to_the_log_in(web_client):
    answer = web_client.get("/employer")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
