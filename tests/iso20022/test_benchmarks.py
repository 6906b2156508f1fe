"""The benchmark's pain.002 generator writes what the readers meet in real files: valid
against the shipped XSD, blocks of at most 9,999, every transaction readable."""

from __future__ import annotations

from decimal import Decimal

import pytest

import iso20022
from benchmarks.returns_file import write_pain002
from iso20022.pain002 import PaymentInfoStatus, TransactionStatus


@pytest.mark.parametrize("version", ["pain.002.001.03", "pain.002.001.10"])
def test_the_generated_report_is_valid_and_reads_back(tmp_path, version):
    path = tmp_path / "r.xml"
    size = write_pain002(path, 20_050, version=version)
    assert size == path.stat().st_size
    with iso20022.read_bank_answer(path) as answer:
        assert answer.message_type == version and answer.report.original_nb_of_txs == 20_050
        items = list(answer.report.statuses)
    txs = [i for i in items if isinstance(i, TransactionStatus)]
    blocks = [i for i in items if isinstance(i, PaymentInfoStatus)]
    assert len(txs) == 20_050 and [b.transaction_count for b in blocks] == [9_999, 9_999, 52]
    rejected = [t for t in txs if t.status == "RJCT"]
    assert len(rejected) == 1_003 and {t.reason_code for t in rejected} == {"AC04"}
    assert txs[1].original_amount == Decimal("179.19") and txs[1].currency == "DKK"
