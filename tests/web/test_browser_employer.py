"""The employer's journey in a real browser (Debian's chromium), on the demo's data, SQLite
and PostgreSQL: log in (test) → the claim list → send a claim file → its job page, which
reloads itself without any script until a worker has decided the file → the decisions in
the list → a claim's page with "Sådan har vi beregnet beløbet" → correct it → the claim
decided again (with the optional § 56 agreement ticked); also the one-claim form with its
error summary (each link naming its field, a checkbox's error beside it), the maternity
form (with a route of the employment requirement), a maternity claim corrected in it, and
the company's NemKonto. axe-core checks every page at 1280 px and 375 px, and each is screenshot."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from payments import employer as employer_service
from payments import web_identities, worker
from payments.claims import listing
from payments.demo import synthetic_claims, synthetic_cpr
from tests.web.helpers import DEMO_DAY, check_page
from tests.web.page_support import PARAMS


def _claim_file(path, employer: str, count: int = 12) -> None:
    """Claims of the demo's kind for the logged-in employer, received on the demo's day."""
    rng = random.Random(41)
    used: set[str] = set()
    employees = [synthetic_cpr(rng, used) for _ in range(count + 1)]
    with open(path, "w", encoding="utf-8") as out:
        for n, claim in enumerate(synthetic_claims(rng, count, DEMO_DAY, [employer], employees)):
            claim["external_ref"] = f"WEB-{n + 1:03d}"
            out.write(json.dumps(claim) + "\n")


def _log_in(page, url: str, key: str) -> None:
    page.goto(url + "/login")
    page.check(f"input[name=identity][value='{key}']")
    page.click("form[action='/login/test'] button[type=submit]")
    page.wait_for_load_state()


def _cvr_of(live_server, key: str) -> str:
    """The CVR of the test log-in's identity ``key``."""
    return next(
        i.principal.cvr for i in web_identities.identities(live_server.engine) if i.key == key
    )


def test_employer_sends_a_file_reads_the_explanation_and_corrects_a_claim(
    live_server, browser, tmp_path
):
    employer = _cvr_of(live_server, "employer-1")
    page = browser.new_page()
    _log_in(page, live_server.url, "employer-1")
    assert page.url.endswith("/employer")
    assert page.get_attribute("html", "lang") == "da"
    check_page(page, "employer-claims")

    page.click("main a[href='/employer/upload']")
    check_page(page, "employer-upload")
    page.click("form[action='/employer/upload'] button[type=submit]")  # no file chosen
    assert page.locator(".error-summary [data-code]").get_attribute("data-code") == (
        "REQUEST_INVALID"
    )
    check_page(page, "employer-upload-error")
    path = tmp_path / "claims.ndjson"
    _claim_file(path, employer)
    page.set_input_files("#file", str(path))
    page.click("form[action='/employer/upload'] button[type=submit]")
    page.wait_for_load_state()
    job_url = page.url
    assert "/employer/jobs/" in job_url
    assert page.get_attribute("[data-status]", "data-status") == "queued"
    page.goto(job_url + "?auto=0")  # the same page without reloading itself, for axe
    check_page(page, "employer-job-queued")

    # the page reloads itself (the Refresh header); a worker decides the file meanwhile
    page.goto(job_url)
    state = live_server.app.state.payments
    worker.run_one(state.engine, state.settings, PARAMS, worker="test", now=state.clock.now)
    page.wait_for_selector("[data-status='done']", timeout=15_000)
    check_page(page, "employer-job-done")

    page.click("main a[href='/employer']")
    page.fill("#ref", "WEB-")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    found = listing.page(state.engine, employer, listing.Filters(ref="WEB-"))
    assert found.total >= 10  # the file's claims, but an invalid one or two
    assert page.locator("table a[href^='/employer/claims/WEB-']").count() == found.total
    check_page(page, "employer-claims-filtered")

    approved = next(c for c in found.items if c["status"] == "approved" and c["kind"] == "sickness")
    ref = approved["external_ref"]
    page.click(f"a[href='/employer/claims/{ref}']")
    assert page.locator("#explanation").count() == 1
    assert page.locator("ol.explanation li").count() >= 5
    check_page(page, "employer-claim")

    page.click(f"a[href='/employer/claims/{ref}/correction']")
    check_page(page, "employer-correction")
    stored = listing.stored_claim(state.engine, employer, ref)
    shorter = DEMO_DAY.fromisoformat(stored["last_absence_day"]) - DEMO_DAY.resolution * 7
    page.fill("#last_absence_day", shorter.isoformat())
    page.check("#section_56_agreement")  # an optional field of the claim format
    page.click("form button[type=submit].button:not(.button--header)")
    page.wait_for_load_state()
    assert page.url.endswith(f"/employer/claims/{ref}?done=corrected"), page.content()[:4000]
    assert page.locator("[data-code='CLAIM_DECIDED']").count() == 1
    check_page(page, "employer-claim-corrected")
    corrected = listing.stored_claim(state.engine, employer, ref)
    assert corrected["last_absence_day"] == shorter.isoformat()
    assert corrected["section_56_agreement"] is True
    page.goto(live_server.url + f"/employer/claims/{ref}/correction")
    assert page.is_checked("#section_56_agreement")  # prefilled from the stored claim

    page.click("a.nav__link[href='/employer/new']")
    check_page(page, "employer-new-claim")
    page.fill("#external_ref", "WEB-FORM")
    page.check("#employment_requirement_met_by-5")  # fleksjob
    # a checkbox's value no browser sends (posted by hand): its error beside it, for axe
    page.eval_on_selector("#small_employer_insurance", "box => { box.value = 'maybe' }")
    page.check("#small_employer_insurance")
    page.click("form button[type=submit].button:not(.button--header)")
    page.wait_for_load_state()
    codes = page.locator(".error-summary [data-code]").evaluate_all(
        "links => links.map(a => a.dataset.code)"
    )
    assert "CLAIM_FIELD_MISSING" in codes
    assert page.get_attribute(
        ".error-summary a[href='#small_employer_insurance']", "data-code"
    ) == ("CLAIM_FIELD_TYPE")
    assert page.is_checked("#employment_requirement_met_by-5")  # kept for the next try
    texts = page.locator(".error-summary a").all_inner_texts()
    assert len(set(texts)) == len(texts) == len(codes)  # each link names its own field
    check_page(page, "employer-new-claim-error")

    page.click("a.nav__link[href='/employer/nemkonto']")
    check_page(page, "employer-nemkonto")
    assert "<script" not in page.content()


def test_employer_claims_maternity_benefit_in_its_form(live_server, browser):
    """The maternity form from the sickness form's link: sent empty, the error summary
    links to the fields; filled in, "check your answers" (the CPR masked), then sent: the
    receipt, and the claim decided as the intake decides it."""
    employer = _cvr_of(live_server, "employer-1")
    page = browser.new_page()
    _log_in(page, live_server.url, "employer-1")
    page.click("a.nav__link[href='/employer/new']")
    page.click("main a[href='/employer/new/maternity']")
    check_page(page, "employer-maternity")
    page.click("form[action='/employer/new/maternity'] button[type=submit]")
    page.wait_for_load_state()
    codes = page.locator(".error-summary [data-code]").evaluate_all(
        "links => links.map(a => a.dataset.code)"
    )
    assert "CLAIM_FIELD_MISSING" in codes
    check_page(page, "employer-maternity-error")
    page.click(".error-summary a[href='#parent']")  # the summary's link takes focus there
    assert page.evaluate("document.activeElement.id") == "parent"

    employee = "0101851077"
    for field, value in {
        "external_ref": "WEB-MAT-1",
        "employee_cpr": employee,
        "child_birth_date": "2024-04-01",
        "first_absence_day": "2024-04-01",
        "last_absence_day": "2024-04-26",
        "normal_weekly_hours": "37",
        "hourly_wage": "250,00",
        "employment_start": "2019-01-01",
        "monthly_hours": "160 160 160 160",
    }.items():
        page.fill(f"#{field}", value)
    page.check("#parent")  # the mother
    page.check("#salary_paid")  # yes
    page.check("#employment_requirement_met_by-4")  # paid trainee (barselsloven § 27)
    page.click("form[action='/employer/new/maternity'] button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/employer/new/maternity/check")
    assert employee not in page.content() and employee[:6] + "-****" in page.content()
    check_page(page, "employer-maternity-check")
    page.click("#send")
    page.wait_for_load_state()
    assert page.url.endswith("/employer/new/maternity/receipt")
    assert page.get_attribute("[data-outcome]", "data-outcome") == "created"
    check_page(page, "employer-maternity-receipt")
    stored = listing.stored_claim(live_server.engine, employer, "WEB-MAT-1")
    assert stored["kind"] == "maternity" and stored["parent"] == "mother"
    assert stored["employment_requirement_met_by"] == "paid_trainee"
    page.click("main a[href='/employer/claims/WEB-MAT-1']")
    assert page.locator("ol.explanation li").count() >= 5

    # corrected from its page, in the maternity form prefilled from the stored claim
    before = employer_service.claim(live_server.engine, employer, "WEB-MAT-1")
    page.click("a[href='/employer/claims/WEB-MAT-1/correction']")
    assert page.input_value("#child_birth_date") == "2024-04-01"
    assert page.locator("#employee_cpr, #hours_last_8_weeks").count() == 0
    check_page(page, "employer-maternity-correction")
    page.fill("#child_birth_date", "")
    page.click("form[action='/employer/claims/WEB-MAT-1/correction'] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute(".error-summary a[href='#child_birth_date']", "data-code") == (
        "CLAIM_FIELD_MISSING"
    )
    check_page(page, "employer-maternity-correction-error")
    page.fill("#child_birth_date", "2024-04-01")
    page.fill("#last_absence_day", "2024-04-19")
    page.click("form[action='/employer/claims/WEB-MAT-1/correction'] button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/employer/claims/WEB-MAT-1?done=corrected")
    after = employer_service.claim(live_server.engine, employer, "WEB-MAT-1")
    assert after["version"] == 2 and Decimal(after["amount"]) < Decimal(before["amount"])
