"""A whole night through the API alone, against a real ``payments serve`` on 127.0.0.1.

The server runs as its own process (``payments serve --date 2024-03-20``) on a free port,
on SQLite and on PostgreSQL; the claim file is decided by a ``payments worker --once``
process. The test plays every party with its own token: a bank, a citizen (who reads the
activation code from the letter outbox, as the mail house would deliver it), an employer,
two operators, and the bank again with its pain.002 answer (written with
``iso20022.pain002_writer`` for the file the release put in the outbox).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from iso20022 import pain002_writer
from payments import tokens
from payments.db import make_engine
from tests.api.conftest import CITIZEN, EMPLOYER
from tests.api.serving import PYTHON, serving
from tests.support import TEST_DEBTOR_ENV, file_transactions, letter_code, worked

DAY = "2024-03-20"


@pytest.fixture
def served(db_url, tmp_path):
    env = (
        os.environ
        | TEST_DEBTOR_ENV
        | {
            "PAYMENTS_DATABASE_URL": db_url,
            "PAYMENTS_DEV_KEY_FILE": str(tmp_path / "dev-key.pem"),
            "PAYMENTS_SPOOL_DIR": str(tmp_path / "spool"),
            "PAYMENTS_OUTPUT_DIR": str(tmp_path / "out"),
            "PAYMENTS_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    with serving(["--date", DAY], env=env, cwd=tmp_path) as base:
        yield base, env, tmp_path


def test_a_whole_night_through_the_api(served, tmp_path):
    base, env, tmp = served
    key = tokens.dev_key(env["PAYMENTS_DEV_KEY_FILE"], create=False)
    now = dt.datetime.now(dt.UTC)

    def auth(role, sub=None, **numbers):
        signed = tokens.mint(key, role=role, subject=sub or role, now=now, **numbers)
        return {"Authorization": f"Bearer {signed}"}

    bank = auth("bank", cvr_number="12345674")
    citizen = auth("citizen", "citizen-1", cpr_number=CITIZEN)
    employer = auth("employer", cvr_number=EMPLOYER)
    alice, bob = auth("operator", "alice"), auth("operator", "bob")
    http = httpx.Client(base_url=base, timeout=30)

    rows = [{"owner_kind": "cvr", "owner_number": EMPLOYER, "reg_no": "1234",
             "account_no": "77", "action": "register", "effective_date": "2024-03-01"}]  # fmt: skip
    assert (
        http.post("/v1/bank/registrations", json={"rows": rows}, headers=bank).json()["registered"]
        == 1
    )

    registered = http.post(
        "/v1/me/nemkonto",
        json={"reg_no": "1234", "account_no": "56789"},
        headers=citizen | {"Idempotency-Key": "first"},
    )
    assert registered.status_code == 201
    engine = make_engine(env["PAYMENTS_DATABASE_URL"])
    code = letter_code(engine, registered.json()["registration_id"], tmp_path / "letters", now=now)
    engine.dispose()
    activated = http.post("/v1/me/nemkonto/activation", json={"code": code}, headers=citizen)
    assert activated.status_code == 200

    assert (
        http.post("/v1/claims", json=worked(salary_paid=False), headers=employer).status_code == 201
    )
    job = http.post(
        "/v1/claim-files",
        content=(
            b'{"external_ref": "F-1", "employer_cvr": "13585628", "employee_cpr": "0101801234", '
            b'"kind": "sickness", "first_absence_day": "2024-03-04", "last_absence_day": '
            b'"2024-04-26", "normal_weekly_hours": "37", "hourly_wage": "250.00", "salary_paid": '
            b'true, "employment_start": "2019-01-01", "monthly_hours": [160, 160, 160, 160, 160, '
            b"160]}\n"
        ),
        headers=employer | {"Content-Type": "application/x-ndjson"},
    )
    assert job.status_code == 202
    worker = subprocess.run([*PYTHON, "worker", "--once"], env=env, cwd=tmp, capture_output=True)
    assert worker.returncode == 0, worker.stderr
    done = http.get(job.headers["location"], headers=employer).json()
    assert (done["status"], done["counts"]["created"]) == ("done", 1)

    run = http.post("/v1/batches", json={"date": DAY}, headers=alice).json()
    assert (run["orders"], run["held"]) == (2, 0)
    assert http.post(f"/v1/batches/{run['batch_id']}/approval", headers=alice).status_code == 409
    assert http.post(f"/v1/batches/{run['batch_id']}/approval", headers=bob).status_code == 200
    released = http.post(f"/v1/batches/{run['batch_id']}/release", headers=alice).json()
    assert released["status"] == "released"

    outbox = Path(env["PAYMENTS_OUTBOX_DIR"]) / released["files"][0]["name"]
    answer = io.BytesIO()
    pain002_writer.write(
        answer,
        msg_id="BANK-ANSWER-1",
        created_at=now,
        original_msg_id=released["files"][0]["msg_id"],
        group_status="ACSC",
        transactions=[pain002_writer.TxAnswer(e2e, "ACSC") for e2e, _ in file_transactions(outbox)],
    )
    imported = http.post(
        "/v1/returns",
        content=answer.getvalue(),
        headers=alice | {"Content-Type": "application/xml"},
    ).json()
    assert imported["settled"] == 2

    mine = http.get("/v1/me/payments", headers=citizen).json()["items"]
    assert [(p["amount"], p["state"], p["payment_date"]) for p in mine] == [
        ("16901.75", "settled", "2024-03-21")
    ]
    claim = http.get("/v1/claims/F-1", headers=employer).json()
    assert [o["state"] for o in claim["orders"]] == ["settled"]
    audit = http.get("/v1/audit/verification", headers=auth("auditor")).json()
    assert audit["intact"] is True
    log = (tmp / "server.log").read_text()
    assert '"GET /v1/me/payments" 200' in log and CITIZEN not in log
