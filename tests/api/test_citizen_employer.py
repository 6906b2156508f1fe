"""The citizen's and the employer's endpoints: what each gets back, and what it changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from payments import worker
from payments.db import session_scope
from payments.models import AccountRegistration, Claim, ClaimJob
from tests.api.conftest import NOW, OTHER_EMPLOYER, engine_of, letter_code
from tests.support import worked

ACCOUNT = {"reg_no": "1234", "account_no": "0000056789"}


def _count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


# -- citizen -----------------------------------------------------------------------------------


def test_register_is_idempotent_by_key_and_refuses_a_reused_key(client, token, app):
    headers = token("citizen") | {"Idempotency-Key": "reg-1"}
    first = client.post("/v1/me/nemkonto", json=ACCOUNT, headers=headers)
    again = client.post("/v1/me/nemkonto", json=ACCOUNT, headers=headers)
    assert first.status_code == 201 and first.json()["outcome"] == "pending"
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/v1/me/nemkonto", json={"iban": "DK5000400440116243"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert _count(engine_of(app), AccountRegistration) == 1


def test_a_body_naming_another_cpr_is_403_and_changes_nothing(client, token, app):
    response = client.post(
        "/v1/me/nemkonto", json=ACCOUNT | {"cpr": "0202851234"}, headers=token("citizen")
    )
    assert response.status_code == 403 and response.json()["code"] == "AUTH_SUBJECT_MISMATCH"
    assert _count(engine_of(app), AccountRegistration) == 0


def test_activate_with_the_letters_code_then_the_account_is_shown_masked(client, token, app):
    reg = client.post("/v1/me/nemkonto", json=ACCOUNT, headers=token("citizen")).json()
    wrong = client.post(
        "/v1/me/nemkonto/activation", json={"code": "XXXX"}, headers=token("citizen")
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "ACCOUNT_ACTIVATION_CODE_WRONG"
    before = client.get("/v1/me/nemkonto", headers=token("citizen")).json()
    assert before["nemkonto"] is None and before["reason"] == "PENDING_ACTIVATION"
    code = letter_code(engine_of(app), reg["registration_id"])
    done = client.post("/v1/me/nemkonto/activation", json={"code": code}, headers=token("citizen"))
    assert done.status_code == 200 and done.json()["status"] == "active"
    now = client.get("/v1/me/nemkonto", headers=token("citizen")).json()
    assert now["payable"] is True and now["nemkonto"]["account"] == "****6789"
    assert "0000056789" not in json.dumps(now)
    history = client.get("/v1/me/nemkonto/history", headers=token("citizen")).json()
    assert [h["status"] for h in history] == ["active"]


def test_activation_attempts_are_rate_limited(client, token):
    client.post("/v1/me/nemkonto", json=ACCOUNT, headers=token("citizen"))
    answers = [
        client.post("/v1/me/nemkonto/activation", json={"code": "BAD"}, headers=token("citizen"))
        for _ in range(6)
    ]
    codes = [a.json()["code"] for a in answers]
    assert codes[:4] == ["ACCOUNT_ACTIVATION_CODE_WRONG"] * 4
    assert codes[4] == "ACCOUNT_ACTIVATION_LOCKED"  # the fifth wrong code locks (database)
    assert answers[5].status_code == 429 and int(answers[5].headers["retry-after"]) > 0


def test_payments_and_decisions_about_me(client, token):
    claim = worked(salary_paid=False)  # the benefit is paid to the employee
    assert client.post("/v1/claims", json=claim, headers=token("employer")).status_code == 201
    payments = client.get("/v1/me/payments", headers=token("citizen")).json()
    assert [(p["amount"], p["state"]) for p in payments["items"]] == [("16901.75", "pending")]
    decisions = client.get("/v1/me/decisions", headers=token("citizen")).json()["items"]
    assert decisions[0]["amount"] == "16901.75"
    assert "Sygedagpengeloven" in decisions[0]["explanation"]
    assert client.get("/v1/me/payments", headers=token("citizen", cpr="0202851234")).json() == {
        "items": [],
        "next_after": None,
    }


# -- employer ----------------------------------------------------------------------------------


def test_one_claim_answers_201_200_409_422_403(client, token, app):
    headers = token("employer")
    assert client.post("/v1/claims", json=worked(), headers=headers).status_code == 201
    same = client.post("/v1/claims", json=worked(), headers=headers)
    assert same.status_code == 200 and same.json()["outcomes"][0]["outcome"] == "unchanged"
    clash = client.post("/v1/claims", json=worked(hourly_wage="200.00"), headers=headers)
    assert clash.status_code == 409 and clash.json()["code"] == "CLAIM_DUPLICATE_REF"
    corrected = client.post(
        "/v1/claims", json=worked(hourly_wage="200.00", correction=True), headers=headers
    )
    assert corrected.status_code == 200
    assert corrected.json()["outcomes"][0]["outcome"] == "corrected"
    bad = client.post(
        "/v1/claims", json=worked(external_ref="X-2", kind="holiday"), headers=headers
    )
    assert bad.status_code == 422
    other = client.post(
        "/v1/claims", json=worked(external_ref="X-3", employer_cvr=OTHER_EMPLOYER), headers=headers
    )
    assert other.status_code == 403 and other.json()["code"] == "AUTH_SUBJECT_MISMATCH"
    assert _count(engine_of(app), Claim) == 1


def test_an_array_answers_one_outcome_each_and_at_most_1000(client, token):
    claims = [worked(), worked(external_ref="X", employer_cvr=OTHER_EMPLOYER), "not a claim"]
    response = client.post("/v1/claims", json=claims, headers=token("employer"))
    assert response.status_code == 200
    body = response.json()
    assert [o["outcome"] for o in body["outcomes"]] == ["created", "invalid", "invalid"]
    assert body["outcomes"][1]["codes"] == ["AUTH_SUBJECT_MISMATCH"]
    assert body["counts"] == {"created": 1, "unchanged": 0, "corrected": 0, "invalid": 2}
    too_many = client.post("/v1/claims", json=[worked()] * 1001, headers=token("employer"))
    assert too_many.status_code == 422 and too_many.json()["code"] == "CLAIMS_TOO_MANY"


def test_the_feed_pages_in_a_stable_order(client, token):
    claims = [
        worked(external_ref=f"R-{n}", employee_cpr=f"0101{70 + n}1234", salary_paid=True)
        for n in range(5)
    ]
    client.post("/v1/claims", json=claims, headers=token("employer"))
    first = client.get("/v1/claims?limit=3", headers=token("employer")).json()
    rest = client.get(
        f"/v1/claims?after={first['next_after']}&limit=3", headers=token("employer")
    ).json()
    refs = [i["external_ref"] for i in first["items"] + rest["items"]]
    assert refs == [f"R-{n}" for n in range(5)] and rest["next_after"] is None
    assert (
        client.get("/v1/claims", headers=token("employer", cvr=OTHER_EMPLOYER)).json()["items"]
        == []
    )


def test_a_claim_shows_its_orders_and_explanation_to_its_employer_only(client, token):
    client.post("/v1/claims", json=worked(), headers=token("employer"))
    shown = client.get("/v1/claims/ACME-0001", headers=token("employer")).json()
    assert shown["amount"] == "16901.75"
    assert [(o["state"], o["amount"]) for o in shown["orders"]] == [("pending", "16901.75")]
    explained = client.get("/v1/claims/ACME-0001/explanation", headers=token("employer")).json()
    assert explained["trace"] and "employment_requirement" in explained["text"]
    other = client.get("/v1/claims/ACME-0001", headers=token("employer", cvr=OTHER_EMPLOYER))
    assert other.status_code == 404 and other.json()["code"] == "CLAIM_NOT_FOUND"


@pytest.mark.parametrize("media", ["application/x-ndjson", "application/json"])
def test_a_claim_file_becomes_a_job_a_worker_finishes(client, token, app, settings, media):
    lines = [worked(external_ref=f"F-{n}", employee_cpr=f"0101{70 + n}1234") for n in range(3)]
    lines.append(worked(external_ref="F-X", employer_cvr=OTHER_EMPLOYER))
    if media == "application/json":
        body = json.dumps(lines).encode()
    else:
        body = "".join(json.dumps(c) + "\n" for c in lines).encode()
    sent = client.post(
        "/v1/claim-files", content=body, headers=token("employer") | {"Content-Type": media}
    )
    assert sent.status_code == 202 and sent.json()["status"] == "queued"
    job_id = sent.json()["job_id"]
    assert sent.headers["location"] == f"/v1/jobs/{job_id}"
    assert (
        client.get(f"/v1/jobs/{job_id}", headers=token("employer", cvr=OTHER_EMPLOYER)).status_code
        == 404
    )
    state = app.state.payments
    done = worker.run_one(state.engine, settings, state.parameters, worker="w1", now=lambda: NOW)
    assert done.id == job_id
    assert (
        worker.run_one(state.engine, settings, state.parameters, worker="w1", now=lambda: NOW)
        is None
    )
    job = client.get(f"/v1/jobs/{job_id}", headers=token("employer")).json()
    assert job["status"] == "done"
    assert job["counts"] == {
        "records": 4,
        "created": 3,
        "unchanged": 0,
        "corrected": 0,
        "invalid": 1,
    }
    assert job["problems"][0]["codes"] == ["AUTH_SUBJECT_MISMATCH"]
    assert _count(engine_of(app), Claim) == 3
    assert not list(Path(settings.spool_dir).iterdir())  # the spooled file is gone


def test_an_unreadable_claim_file_fails_its_job_with_the_code(client, token, app, settings):
    sent = client.post(
        "/v1/claim-files",
        content=b"\xff\xfe{}",
        headers=token("employer") | {"Content-Type": "application/json"},
    )
    state = app.state.payments
    worker.run_one(state.engine, settings, state.parameters, worker="w1", now=lambda: NOW)
    job = client.get(f"/v1/jobs/{sent.json()['job_id']}", headers=token("employer")).json()
    assert job["status"] == "failed" and job["error"]["code"] == "CLAIM_FILE_ENCODING"
    with session_scope(engine_of(app)) as s:
        assert s.scalar(select(ClaimJob.status)) == "failed"


def test_a_held_payment_tells_me_why_and_what_to_do(client, token):
    """Issue 17: 'for a held one the reason and what to do' — no NemKonto on the night."""
    claim = worked(salary_paid=False)  # to the employee, who has no NemKonto
    assert client.post("/v1/claims", json=claim, headers=token("employer")).status_code == 201
    run = client.post("/v1/batches", json={"date": "2024-03-20"}, headers=token("operator"))
    assert (run.status_code, run.json()["held"]) == (201, 1)
    (held,) = client.get("/v1/me/payments", headers=token("citizen")).json()["items"]
    assert (held["state"], held["reason"], held["amount"]) == ("held", "NO_ACCOUNT", "16901.75")
    assert held["advice"] and held["payment_date"] is None
