"""Issue 16's claim file, end to end: 600 claims in UTF-8 with one Latin-1 byte in row 502.

``payments claims submit`` and a claim-file job sent over HTTP (``POST /v1/claim-files``,
decided by a worker) read the same file the same way: 599 claims stored — the 500 before
the bad byte and the 99 after it — and row 502 reported as ``CLAIM_FILE_ENCODING`` at its
real row. Both databases.
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import cli
from payments import worker
from payments.db import session_scope
from payments.models import Claim, PaymentOrder
from tests.api.conftest import NOW, engine_of
from tests.support import claims_csv, wipe

ROWS, BAD_ROW = 600, 502
STORED = ROWS - 1


def _stored(engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        return s.scalar(select(func.count(Claim.id))), s.scalar(select(func.count(PaymentOrder.id)))


def test_one_latin1_byte_spoils_its_row_only_in_the_cli_and_the_api_alike(
    client, token, app, settings, db_url, tmp_path
):
    path = tmp_path / "claims.csv"
    path.write_bytes(claims_csv(ROWS, latin1_row=BAD_ROW))
    engine = engine_of(app)

    result = CliRunner().invoke(
        cli,
        ["--database-url", db_url, "claims", "submit", str(path), "--date", "2024-03-20",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # one claim refused, the others stored
    outcomes = json.loads(result.stdout)
    by_cli = {
        "created": sum(o["outcome"] == "created" for o in outcomes),
        "invalid": [
            (o["position"], [r["code"] for r in o["reasons"]])
            for o in outcomes
            if o["status"] == "invalid"
        ],
    }
    assert by_cli == {"created": STORED, "invalid": [(f"row {BAD_ROW}", ["CLAIM_FILE_ENCODING"])]}
    assert [o["position"] for o in outcomes] == [f"row {n}" for n in range(2, ROWS + 2)]
    assert _stored(engine) == (STORED, STORED)
    refs = {o["external_ref"] for o in outcomes if o["outcome"] == "created"}
    assert refs == {f"R-{n}" for n in range(2, ROWS + 2) if n != BAD_ROW}

    wipe(engine)  # the same file again, from an employer's payroll system
    sent = client.post(
        "/v1/claim-files",
        content=path.read_bytes(),
        headers=token("employer") | {"Content-Type": "text/csv"},
    )
    assert sent.status_code == 202
    state = app.state.payments
    worker.run_one(engine, settings, state.parameters, worker="w1", now=lambda: NOW)
    job = client.get(f"/v1/jobs/{sent.json()['job_id']}", headers=token("employer")).json()
    assert job["status"] == "done" and job["error"] is None
    by_api = {
        "created": job["counts"]["created"],
        "invalid": [(p["position"], p["codes"]) for p in job["problems"]],
    }
    assert by_api == by_cli
    assert (job["counts"]["records"], job["counts"]["invalid"]) == (ROWS, 1)
    assert _stored(engine) == (STORED, STORED)
