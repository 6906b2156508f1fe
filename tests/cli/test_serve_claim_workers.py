"""``payments serve --claim-workers 1`` (what ``make serve`` runs) decides uploaded claim
files by itself, on SQLite and PostgreSQL: a file sent to the running server becomes a
job that finishes without any ``payments worker`` process."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import httpx

from payments import tokens
from tests.api.serving import serving
from tests.support import worked


def test_served_with_a_claim_worker_the_upload_is_decided(db_url, tmp_path):
    env = os.environ | {
        "PAYMENTS_DATABASE_URL": db_url,
        "PAYMENTS_DEV_KEY_FILE": str(tmp_path / "dev-key.pem"),
        "PAYMENTS_SPOOL_DIR": str(tmp_path / "spool"),
    }
    args = ["--date", "2024-03-20", "--claim-workers", "1"]
    with serving(args, env=env, cwd=tmp_path) as base:
        key = tokens.dev_key(env["PAYMENTS_DEV_KEY_FILE"], create=True)
        signed = tokens.mint(
            key, role="employer", subject="payroll", now=dt.datetime.now(dt.UTC),
            cvr_number="13585628",
        )  # fmt: skip
        body = "\n".join(
            json.dumps(worked(external_ref=f"F-{n}", employee_cpr=f"01018{n}1234"))
            for n in range(3)
        ).encode()
        sent = httpx.post(
            f"{base}/v1/claim-files",
            content=body,
            headers={"Authorization": f"Bearer {signed}", "Content-Type": "application/x-ndjson"},
            timeout=30,
        )
        assert sent.status_code == 202
        job = sent.json()
        deadline = time.monotonic() + 30
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = httpx.get(
                f"{base}{sent.headers['location']}",
                headers={"Authorization": f"Bearer {signed}"},
                timeout=30,
            ).json()
        assert job["status"] == "done" and job["counts"]["created"] == 3
