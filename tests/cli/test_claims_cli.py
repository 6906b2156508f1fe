"""``payments claims`` from the command line, on SQLite and PostgreSQL: one line per claim,
the summary, the exit code, and the look-up commands."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from tests.support import worked

CLAIM = worked(salary_paid=False)  # received on 2024-03-20: --date 2024-03-20


def payments(db_url, *args, code=0):
    result = CliRunner().invoke(cli, ["--database-url", db_url, *args])
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_submit_reports_each_line_and_exits_1_after_storing_the_good_ones(db_url, tmp_path):
    path = tmp_path / "claims.ndjson"
    path.write_text(
        "\n".join(
            [
                json.dumps(CLAIM),
                json.dumps(CLAIM | {"external_ref": "ACME\u001b[2J0002"}),  # an escape sequence
                "{not json",
            ]
        )
        + "\n"
    )
    out = payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20", code=1)
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["line", "1", "ACME-0001", "created", "approved"]
    assert "16,901.75 DKK" in lines[0]
    assert "ACME\\x1b[2J0002" in lines[1] and "\x1b" not in out
    assert "CLAIM_FIELD_RANGE" in lines[1] and "CLAIM_FILE_MALFORMED" in lines[2]
    assert lines[-1] == (
        "summary: 1 created, 2 invalid; 16,901.75 DKK decided in new or corrected claims"
    )
    again = payments(db_url, "claims", "submit", str(path), "--date", "2024-03-20", code=1)
    assert "summary: 2 invalid, 1 unchanged; 0 DKK" in again

    listed = payments(db_url, "claims", "list", "--employer", "13585628")
    assert "ACME-0001" in listed and "16,901.75 DKK" in listed
    shown = payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "ACME-0001")
    assert "to cpr 010190-****" in shown and "0101901234" not in shown  # masked
    explained = payments(
        db_url, "claims", "explain", "--employer", "13585628", "--ref", "ACME-0001"
    )
    assert "Sygedagpengeloven § 50" in explained
    payments(db_url, "claims", "show", "--employer", "13585628", "--ref", "NOPE", code=1)
