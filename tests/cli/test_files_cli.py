"""``payments files validate``: exit 0 valid, 1 invalid, 2 unreadable or unknown; --json."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cli.main import main
from iso20022 import pain001

SAMPLES = Path(__file__).parents[1] / "iso20022" / "samples"


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["files", "validate", *map(str, args)])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


@pytest.fixture
def pain001_file(tmp_path) -> Path:
    txs = [
        pain001.Transaction(f"E{i}", Decimal("1.00"), pain001.DomesticAccount("1234", "5"))
        for i in range(4)
    ]
    info = pain001.PaymentInfo(
        "P1",
        dt.date(2026, 3, 3),
        pain001.Debtor("UDK", "DK5000400440116243", "DABADKKK"),
        4,
        Decimal("4.00"),
        txs,
    )
    header = pain001.GroupHeader(
        "M1", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), 4, Decimal("4.00"), "UDK"
    )
    path = tmp_path / "pain001.xml"
    pain001.write(path, header, [info])
    return path


def test_valid_file_exits_0(capsys, pain001_file):
    status, out, _ = run(capsys, pain001_file)
    assert status == 0 and "valid pain.001.001.03" in out


@pytest.mark.parametrize(
    "name",
    ["pain.002.001.03", "pain.002.001.08", "pain.002.001.12", "camt.054.001.02", "camt.054.001.08"],
)
def test_bank_samples_are_valid(capsys, name):
    status, out, _ = run(capsys, SAMPLES / f"{name}.xml")
    assert status == 0 and name in out


def test_invalid_file_exits_1_with_lines(capsys, pain001_file):
    text = pain001_file.read_text().replace("<EndToEndId>E2</EndToEndId>", "<EndToEndId/>")
    pain001_file.write_text(text)
    status, out, _ = run(capsys, pain001_file)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "<EndToEndId/>" in s)
    assert status == 1 and "INVALID pain.001.001.03, 1 error" in out
    assert f"line {line}: Element 'EndToEndId'" in out


def test_invalid_file_as_json(capsys, pain001_file):
    pain001_file.write_text(pain001_file.read_text().replace("<PmtMtd>TRF", "<PmtMtd>XXX"))
    status, out, _ = run(capsys, "--json", pain001_file)
    data = json.loads(out)
    assert status == 1 and data["valid"] is False and data["error_count"] == 1
    assert data["message_type"] == "pain.001.001.03" and data["errors"][0]["line"] > 0


def test_valid_file_as_json(capsys, pain001_file):
    status, out, _ = run(capsys, pain001_file, "--json")
    assert status == 0
    assert json.loads(out) == {
        "file": str(pain001_file),
        "message_type": "pain.001.001.03",
        "valid": True,
        "error_count": 0,
        "errors": [],
    }


@pytest.mark.parametrize(
    "content, code",
    [
        ('<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>', "XML_FORBIDDEN"),
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><GrpHdr>',
            "XML_MALFORMED",
        ),
        ('<Document xmlns="urn:example"/>', "XML_UNKNOWN_MESSAGE"),
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.10"/>',
            "XML_UNKNOWN_MESSAGE",
        ),
    ],
)
def test_unreadable_or_unknown_exits_2_with_one_coded_line(capsys, tmp_path, content, code):
    path = tmp_path / "bad.xml"
    path.write_text(content)
    status, out, err = run(capsys, path)
    assert status == 2 and out == ""
    assert err.startswith(f"error {code}:") and len(err.strip().splitlines()) == 1
    status, out, _ = run(capsys, "--json", path)
    assert status == 2 and json.loads(out)["error"]["code"] == code


def test_missing_file_exits_2(capsys, tmp_path):
    status, _, err = run(capsys, tmp_path / "nope.xml")
    assert status == 2 and err.startswith("error XML_UNREADABLE:")
