"""Every hand-written sample validates against the official XSD of its version, checked
with plain lxml (not only through iso20022.validate), and the set covers what it must."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.xml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_is_valid_against_its_official_schema(path, official_schema):
    doc = etree.parse(str(path))
    version = path.stem.split("-")[0]
    assert etree.QName(doc.getroot()).namespace == f"urn:iso:std:iso:20022:tech:xsd:{version}"
    schema = official_schema(version)
    assert schema.validate(doc), schema.error_log


def test_every_version_and_case_has_a_sample():
    versions = {p.stem.split("-")[0] for p in SAMPLES}
    assert {
        "pain.002.001.03",
        "pain.002.001.08",
        "pain.002.001.10",
        "pain.002.001.12",
        "camt.054.001.02",
        "camt.054.001.04",
        "camt.054.001.08",
    } <= versions
    text = "".join(p.read_text() for p in SAMPLES if p.name.startswith("pain.002"))
    for status in ("ACTC", "ACCP", "ACSP", "ACWC", "PDNG", "ACSC", "ACCC", "RJCT", "PART"):
        assert f"<TxSts>{status}</TxSts>" in text or f"Sts>{status}</" in text, status
    camt = "".join(p.read_text() for p in SAMPLES if p.name.startswith("camt.054"))
    assert "<CdtDbtInd>DBIT</CdtDbtInd>" in camt and "<RtrInf>" in camt
