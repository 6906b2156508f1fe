"""``iso20022.validate``: message detection, shipped schemas, first errors with lines."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

import iso20022
from iso20022 import pain001
from iso20022.errors import XmlInputError
from iso20022.validate import SCHEMAS, ValidationResult, detect_message, schema, validate


def _pain001(path, count=3, version="001.001.03"):
    txs = [
        pain001.Transaction(f"E{i}", Decimal("10.00"), pain001.IbanAccount("DK5000400440116243"))
        for i in range(count)
    ]
    info = pain001.PaymentInfo(
        "P1",
        dt.date(2026, 3, 3),
        pain001.Debtor("UDK", "DK5000400440116243", "DABADKKK"),
        count,
        Decimal("10.00") * count,
        txs,
    )
    header = pain001.GroupHeader(
        "M1", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), count, Decimal("10.00") * count, "UDK"
    )
    pain001.write(path, header, [info], version=version)
    return path


def test_the_package_reexports_the_function(tmp_path):
    result = iso20022.validate(_pain001(tmp_path / "a.xml"))
    assert isinstance(result, ValidationResult)
    assert (result.valid, result.message_type, result.errors) == (True, "pain.001.001.03", ())


@pytest.mark.parametrize("version", ["001.001.03", "001.001.09"])
def test_written_files_are_valid(tmp_path, version):
    result = validate(_pain001(tmp_path / "a.xml", version=version))
    assert result.valid and result.message_type == f"pain.{version}"


def test_every_shipped_schema_compiles_and_is_cached():
    for message_type in SCHEMAS:
        assert schema(message_type) is schema(message_type)


def test_invalid_file_gives_the_first_errors_with_their_lines(tmp_path):
    path = _pain001(tmp_path / "a.xml", count=5)
    text = path.read_text()
    text = text.replace("<NbOfTxs>5</NbOfTxs>", "<NbOfTxs>five</NbOfTxs>", 1)
    text = text.replace("<EndToEndId>E3</EndToEndId>", "<EndToEndId>E3</EndToEndId><X/>")
    text = text.replace('Ccy="DKK">10.00', 'Ccy="DKK">-1', 1)
    path.write_text(text)
    result = validate(path)
    assert not result.valid and result.error_count == 3
    lines = text.splitlines()
    for issue in result.errors:
        assert issue.line is not None
        assert "urn:iso" not in issue.message  # namespaces stripped for the reader
    assert "NbOfTxs" in lines[result.errors[0].line - 1]
    assert "<X/>" in lines[result.errors[-1].line - 1]
    assert len(validate(path, max_errors=1).errors) == 1


def test_big_invalid_files_report_errors_without_lines(tmp_path):
    path = _pain001(tmp_path / "a.xml")
    path.write_text(path.read_text().replace("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>XXX</PmtMtd>"))
    result = validate(path, lines_max_bytes=10)
    assert not result.valid and result.errors[0].line is None
    assert "PmtMtd" in result.errors[0].message


def test_truncated_file_is_malformed_not_valid(tmp_path):
    path = _pain001(tmp_path / "a.xml")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 12):
        path.write_bytes(data[:cut])
        for limit in (10, 10**9):
            with pytest.raises(XmlInputError) as err:
                validate(path, lines_max_bytes=limit)
            assert err.value.code == "XML_MALFORMED" and err.value.line


def test_sample_bank_files_validate(samples):
    for path in sorted(samples.glob("*.xml")):
        result = validate(path)
        assert result.valid, (path.name, result.errors)
        assert result.message_type == path.stem.split("-")[0]


def test_message_without_a_shipped_schema_is_unknown(tmp_path):
    path = tmp_path / "v10.xml"
    path.write_text('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.10"/>')
    assert detect_message(path) == "pain.001.001.10"
    with pytest.raises(XmlInputError) as err:
        validate(path)
    assert err.value.code == "XML_UNKNOWN_MESSAGE"


def test_detect_message_reads_only_the_root(tmp_path):
    path = tmp_path / "head.xml"
    path.write_text('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><unclosed>')
    assert detect_message(path) == "camt.054.001.08"


def test_a_file_object_is_not_a_path():
    with pytest.raises(TypeError):
        validate(io.BytesIO(b"<x/>"))
