"""``payments rules show | decide | explain``: exit codes, JSON content, masked CPR."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import cli.main
from cli.main import App

TODAY = dt.date(2027, 6, 1)
CLAIM = {
    "external_ref": "ACME-0001",
    "employer_cvr": "13585628",
    "employee_cpr": "010190-1234",
    "kind": "sickness",
    "first_absence_day": "2024-03-04",
    "last_absence_day": "2024-04-26",
    "normal_weekly_hours": 37,
    "hourly_wage": "250.00",
    "salary_paid": True,
    "employment_start": "2019-01-01",
    "monthly_hours": [160, 160, 160, 160, 160, 160],
    "submitted_on": "2024-03-20",
}
CLAIM_2027 = {
    **CLAIM,
    "external_ref": "ACME-2027",
    "section_56_agreement": True,
    "first_absence_day": "2027-03-01",
    "last_absence_day": "2027-03-05",
    "submitted_on": "2027-03-08",
}
OVERRIDE = """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2027-01-04
value = 5000
source = "test fixture, not the published rate"
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """A clean working directory and environment, and a fixed 'today'."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAYMENTS_PARAMETERS_DIR", raising=False)
    monkeypatch.setattr(App, "today", staticmethod(lambda: TODAY))


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli.main.cli, ["rules", *args], input=input)


def write(tmp_path, name: str, *claims: dict, raw: str | None = None):
    path = tmp_path / name
    path.write_text(
        raw if raw is not None else "\n".join(json.dumps(c) for c in claims), encoding="utf-8"
    )
    return str(path)


def run_main(capsys, *args: str):
    with pytest.raises(SystemExit) as exited:
        cli.main.main(["rules", *args])
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


def test_decide_json_worked_example(tmp_path):
    result = invoke("decide", write(tmp_path, "one.json", CLAIM), "--json")
    assert result.exit_code == 0, result.output
    (decision,) = json.loads(result.output)
    assert decision["status"] == "approved"
    assert decision["amount"] == "16901.75"
    assert decision["payee"] == {"kind": "cvr", "number": "13585628"}
    assert [w["amount"] for w in decision["weeks"]] == ["2816.96", "4694.93", "4694.93", "4694.93"]
    assert decision["position"] == "line 1"
    assert decision["trace"][0]["reference"] == "Sygedagpengeloven § 32, stk. 1, nr. 1"


def test_decide_prints_every_decision_in_order_and_exits_1_on_invalid_or_error(tmp_path):
    bad = {**CLAIM, "external_ref": "BAD", "employee_cpr": "3102901234"}
    path = write(
        tmp_path,
        "mixed.ndjson",
        raw="\n".join([json.dumps(CLAIM), "{not json", json.dumps(bad), json.dumps(CLAIM_2027)]),
    )
    result = invoke("decide", path, "--json")
    assert result.exit_code == 1
    decisions = json.loads(result.output)
    assert [d["status"] for d in decisions] == ["approved", "invalid", "invalid", "error"]
    assert [d["position"] for d in decisions] == ["line 1", "line 2", "line 3", "line 4"]
    assert decisions[1]["reasons"][0]["code"] == "CLAIM_FILE_MALFORMED"
    assert decisions[2]["reasons"][0]["code"] == "ID_CPR_INVALID"
    assert decisions[3]["reasons"][0]["code"] == "RULE_PARAM_MISSING"
    assert decisions[3]["amount"] == "0.00"


def test_rejected_claims_exit_0(tmp_path):
    late = {**CLAIM, "submitted_on": "2024-05-01"}
    result = invoke("decide", write(tmp_path, "late.json", late), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["status"] == "rejected"


def test_human_table_masks_the_cpr(tmp_path):
    direct = {**CLAIM, "salary_paid": False, "submitted_on": "2024-04-09"}
    result = invoke("decide", write(tmp_path, "c.json", direct))
    assert result.exit_code == 0
    assert "CPR 010190-****" in result.output
    assert "0101901234" not in result.output and "010190-1234" not in result.output
    assert "16,901.75" in result.output
    assert "1 claim: 1 approved" in result.output


def test_json_masks_the_payee_cpr_unless_revealed(tmp_path):
    """The documented format keeps the number in full; the output masks it without
    --reveal (no database here, so that reveal is not audited)."""
    direct = {**CLAIM, "salary_paid": False, "submitted_on": "2024-04-09"}
    file = write(tmp_path, "c.json", direct)
    masked = invoke("decide", file, "--json")
    assert json.loads(masked.output)[0]["payee"] == {"kind": "cpr", "number": "010190-****"}
    assert "0101901234" not in masked.output
    revealed = invoke("decide", file, "--json", "--reveal")
    assert json.loads(revealed.output)[0]["payee"] == {"kind": "cpr", "number": "0101901234"}


def test_explain_reads_like_a_letter(tmp_path):
    direct = {**CLAIM, "salary_paid": False, "submitted_on": "2024-04-09"}
    result = invoke("explain", write(tmp_path, "c.json", CLAIM, direct))
    assert result.exit_code == 0
    text = result.output
    for expected in (
        "Sygedagpengeloven § 30",
        "Sygedagpengeloven § 59",
        "§ 50",
        "first reimbursable day 2024-04-03",
        "2024-W14",
        "2,816.96",
        "sickness.weekly_max = 4695.00",
        "2024-01-01 – 2025-01-05",
        "16,901.75",
        "CPR 010190-****",
    ):
        assert expected in text, expected
    assert "0101901234" not in text


def test_csv_and_stdin(tmp_path):
    header = ",".join(CLAIM)
    row = ",".join(
        ";".join(map(str, v))
        if isinstance(v, list)
        else str(v).lower()
        if isinstance(v, bool)
        else str(v)
        for v in CLAIM.values()
    )
    path = write(tmp_path, "claims.csv", raw=f"{header}\n{row}\n")
    result = invoke("decide", path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["position"] == "row 2"
    piped = invoke("decide", "-", "--json", input=json.dumps([CLAIM, CLAIM]))
    assert piped.exit_code == 0
    assert [d["amount"] for d in json.loads(piped.output)] == ["16901.75", "16901.75"]


def test_2027_fails_until_an_override_file_supplies_the_rate(tmp_path, monkeypatch):
    path = write(tmp_path, "2027.json", CLAIM_2027)
    before = invoke("decide", path, "--json")
    assert before.exit_code == 1
    assert json.loads(before.output)[0]["reasons"][0]["code"] == "RULE_PARAM_MISSING"
    overrides = tmp_path / "overrides"
    overrides.mkdir()
    (overrides / "sickness-2027.toml").write_text(OVERRIDE, encoding="utf-8")
    monkeypatch.setenv("PAYMENTS_PARAMETERS_DIR", str(overrides))
    after = invoke("decide", path, "--json")
    assert after.exit_code == 0, after.output
    assert json.loads(after.output)[0]["amount"] == "5000.00"
    shown = json.loads(invoke("show", "--date", "2027-03-01", "--json").output)
    weekly = {p["parameter"]: p for p in shown["parameters"]}["sickness.weekly_max"]
    assert weekly["value"] == "5000.00" and weekly["valid_until"] == "2028-01-02"


def test_show_json_and_text():
    result = invoke("show", "--date", "2024-05-01", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["date"] == "2024-05-01"
    rows = {p["parameter"]: p for p in data["parameters"]}
    assert rows["sickness.weekly_max"]["value"] == "4695.00"
    assert rows["sickness.weekly_max"]["valid_from"] == "2024-01-01"
    assert rows["maternity.weeks_after_birth"]["value"] == "24"
    missing = json.loads(invoke("show", "--json").output)  # today = 2027-06-01
    rows = {p["parameter"]: p for p in missing["parameters"]}
    assert rows["sickness.weekly_max"]["in_force"] is False
    text = invoke("show", "--date", "2024-05-01").output
    assert "sickness.weekly_max" in text and "4695.00 kr" in text
    assert "none in force" in invoke("show").output


def test_bad_files_exit_2_with_one_coded_line(tmp_path, capsys):
    header = ",".join(k for k in CLAIM if k != "hourly_wage")
    path = write(tmp_path, "bad.csv", raw=f"{header}\n")
    status, out, err = run_main(capsys, "decide", path)
    assert status == 2
    assert err.strip() == (
        "error CLAIM_FILE_MISSING_COLUMN: required column(s) missing: hourly_wage [hourly_wage]"
    )
    status, _, err = run_main(capsys, "decide", str(tmp_path / "nope.json"))
    assert status == 2 and err.startswith("error CLAIM_FILE_UNREADABLE:")


def test_unreadable_file_midway_is_the_last_decision(tmp_path, capsys):
    """Bytes that are not UTF-8 deep in the file: the claims before them are decided, the
    error is the last (invalid) decision, and the output stays valid JSON; exit 1."""
    path = tmp_path / "broken.json"
    path.write_bytes(b"[" + json.dumps(CLAIM).encode() + b",\n" + b" " * 70000 + b'{"x": "\xff"}]')
    status, out, _ = run_main(capsys, "decide", str(path), "--json")
    assert status == 1
    first, last = json.loads(out)
    assert first["amount"] == "16901.75"
    assert (last["status"], [r["code"] for r in last["reasons"]]) == (
        "invalid",
        ["CLAIM_FILE_ENCODING"],
    )


def test_parameter_conflict_exits_2(tmp_path, monkeypatch, capsys):
    overrides = tmp_path / "o"
    overrides.mkdir()
    (overrides / "x.toml").write_text(
        OVERRIDE.replace("2027-01-04", "2024-06-03"), encoding="utf-8"
    )
    monkeypatch.setenv("PAYMENTS_PARAMETERS_DIR", str(overrides))
    status, _, err = run_main(capsys, "show")
    assert status == 2 and err.startswith("error RULE_PARAM_CONFLICT:")


def test_a_reference_with_control_characters_is_shown_escaped(tmp_path, capsys):
    """An invalid claim's reference comes from the file as it is: a line break or an escape
    code in it must not reach the terminal."""
    path = tmp_path / "claims.ndjson"
    path.write_text(json.dumps(CLAIM | {"external_ref": "B\r\n2\x1b[2J"}) + "\n")
    for command in ("decide", "explain"):
        status, out, _ = run_main(capsys, command, str(path))
        assert status == 1 and "B\\r\\n2\\x1b[2J" in out
        assert "\r" not in out and "\x1b" not in out


def test_explain_says_what_each_reason_code_means(tmp_path):
    """rules/codes.CODES is the catalogue ``rules explain`` reads for every reason."""
    from rules import codes

    late = {**CLAIM, "submitted_on": "2024-05-01"}
    result = invoke("explain", str(write(tmp_path, "late.json", late)))
    assert f"= {codes.CODES['RULE_SICK_LATE']}" in result.output
