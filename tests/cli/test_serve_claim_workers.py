"""``payments serve --claim-workers 1`` (what ``make serve`` runs) decides uploaded claim
files by itself, on SQLite and PostgreSQL: a file sent to the running server becomes a
job that finishes without any ``payments worker`` process."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

import httpx

from payments import tokens
from tests.support import worked

PYTHON = [sys.executable, "-c", "from cli.main import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_served_with_a_claim_worker_the_upload_is_decided(db_url, tmp_path):
    env = os.environ | {
        "PAYMENTS_DATABASE_URL": db_url,
        "PAYMENTS_DEV_KEY_FILE": str(tmp_path / "dev-key.pem"),
        "PAYMENTS_SPOOL_DIR": str(tmp_path / "spool"),
    }
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [*PYTHON, "serve", "--port", str(port), "--date", "2024-03-20", "--claim-workers", "1"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, (
                tmp_path / "server.log"
            ).read_text()
            time.sleep(0.2)
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
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
