"""pain.002 at every level (group, payment information, transaction), in .03/.08/.10/.12."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal

import pytest

from iso20022 import pain002
from iso20022.errors import XmlInputError
from iso20022.pain002 import PaymentInfoStatus, TransactionStatus, status_meaning


def rows(report):
    """The single pass as comparable tuples: ("tx", e2e, status, reason, pmt, inherited) or
    ("pmt", id, status, reason, transaction_count)."""
    out = []
    for item in report.statuses:
        if isinstance(item, TransactionStatus):
            out.append(
                (
                    "tx",
                    item.original_end_to_end_id,
                    item.status,
                    item.reason_code,
                    item.original_payment_info_id,
                    item.status_inherited,
                )
            )
        else:
            assert isinstance(item, PaymentInfoStatus)
            out.append(
                (
                    "pmt",
                    item.original_payment_info_id,
                    item.status,
                    item.reason_code,
                    item.transaction_count,
                )
            )
    return out


@pytest.mark.parametrize(
    "code, meaning",
    [
        ("ACTC", "in_progress"),
        ("ACCP", "in_progress"),
        ("ACSP", "in_progress"),
        ("ACWC", "in_progress"),
        ("PDNG", "in_progress"),
        ("ACSC", "settled"),
        ("ACCC", "settled"),
        ("RJCT", "rejected"),
        ("PART", "partial"),
        ("RCVD", None),
        ("CANC", None),
        ("BLCK", None),
        (None, None),
        ("", None),
    ],
)
def test_status_meanings(code, meaning):
    assert status_meaning(code) == meaning


def test_group_rejection_without_details_answers_the_whole_message_v03(samples):
    report = pain002.read(samples / "pain.002.001.03-group-rjct.xml")
    assert (report.group_status, report.group_reason_code) == ("RJCT", "FF01")
    assert report.group_additional_info == "Invalid file format"
    assert (report.original_nb_of_txs, report.original_ctrl_sum) == (3, Decimal("4500.00"))
    assert report.answers_whole_message and not report.has_payment_infos
    assert rows(report) == []


def test_group_acceptance_without_details_v08(samples):
    report = pain002.read(samples / "pain.002.001.08-group-actc.xml")
    assert report.group_status == "ACTC" and status_meaning(report.group_status) == "in_progress"
    assert report.answers_whole_message and list(report.statuses) == []


def test_group_rejection_without_details_v08(samples):
    report = pain002.read(samples / "pain.002.001.08.xml")
    assert (report.group_status, report.group_reason_code) == ("RJCT", "AM04")
    assert report.answers_whole_message


def test_payment_info_rejected_without_transactions_v03(samples):
    """The Danish CGI guide's reject of a debit entry: PmtInfSts RJCT, AM04, no TxInfAndSts."""
    report = pain002.read(samples / "pain.002.001.03-pmtinf-rjct.xml")
    assert report.group_status == "PART" and not report.answers_whole_message
    assert rows(report) == [
        ("pmt", "NR-20260305-1-1", "RJCT", "AM04", 0),
        ("tx", "PO-0000701", "ACCP", None, "NR-20260305-1-2", True),
        ("pmt", "NR-20260305-1-2", "ACCP", None, 1),
    ]
    assert [p.status for p in report.payment_infos] == ["RJCT", "ACCP"]
    assert [t.original_end_to_end_id for t in report.transactions] == ["PO-0000701"]


def test_every_level_and_every_status_v10(samples):
    report = pain002.read(samples / "pain.002.001.10.xml")
    assert report.message_type == "pain.002.001.10"
    assert (report.msg_id, report.original_msg_id) == ("NDEA-STS-20260304-0010", "NR-20260303-9")
    assert report.original_msg_name_id == "pain.001.001.09"
    assert (report.original_nb_of_txs, report.original_ctrl_sum) == (14, Decimal("25000.00"))
    assert report.group_status == "PART"
    block = "NR-20260303-9-2"
    assert rows(report) == [
        ("pmt", "NR-20260303-9-1", "RJCT", "AM04", 0),
        ("tx", "PO-0000901", "ACTC", None, block, False),
        ("tx", "PO-0000902", "ACCP", None, block, False),
        ("tx", "PO-0000903", "ACSP", None, block, False),
        ("tx", "PO-0000904", "ACWC", None, block, False),
        ("tx", "PO-0000905", "PDNG", None, block, False),
        ("tx", "PO-0000906", "ACSC", None, block, False),
        ("tx", "PO-0000907", "ACCC", None, block, False),
        ("tx", "PO-0000908", "RJCT", "AC04", block, False),
        ("pmt", block, "PART", None, 8),
        # no TxSts, no PmtInfSts, a PART group: this report says nothing of it
        ("tx", "PO-0000909", None, None, "NR-20260303-9-3", False),
        ("pmt", "NR-20260303-9-3", None, None, 1),
    ]
    first = next(report.payment_infos)
    assert first.additional_info == "Insufficient funds on the debtor account"
    assert (first.original_nb_of_txs, first.original_ctrl_sum) == (5, Decimal("10000.00"))
    by_id = {t.original_end_to_end_id: t for t in report.transactions}
    assert by_id["PO-0000904"].additional_info == "Execution date moved to the next banking day"
    assert (by_id["PO-0000906"].original_amount, by_id["PO-0000906"].currency) == (
        Decimal("1500.00"),
        "DKK",
    )
    assert by_id["PO-0000908"].additional_info == "Closed account"
    assert by_id["PO-0000908"].original_amount == Decimal("2250.50")
    meanings = [status_meaning(t.status) for t in report.transactions]
    assert meanings == ["in_progress"] * 5 + ["settled"] * 2 + ["rejected", None]


def test_part_with_transaction_details_v12(samples):
    report = pain002.read(samples / "pain.002.001.12-part.xml")
    assert report.group_status == "PART" and report.has_payment_infos
    txs = list(report.transactions)
    assert [(t.original_end_to_end_id, t.status, t.reason_code) for t in txs] == [
        ("PO-0000801", "ACSC", None),
        ("PO-0000802", "RJCT", "MD07"),  # the first StsRsnInf counts
        ("PO-0000803", "RJCT", "DK-NEMKONTO-MISSING"),
    ]
    assert txs[1].additional_info is None  # only the first StsRsnInf's texts
    assert (txs[1].original_amount, txs[1].currency) == (Decimal("480.00"), "DKK")


def test_inheritance_from_a_rejected_block_takes_its_reason_too(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-03-03T07:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>O</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09"
        "</OrgnlMsgNmId><GrpSts>RJCT</GrpSts></OrgnlGrpInfAndSts>"
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>"
        "<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>"
        "<TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId></TxInfAndSts>"
        "<TxInfAndSts><OrgnlEndToEndId>E2</OrgnlEndToEndId><StsRsnInf><Rsn><Cd>AC04</Cd>"
        "</Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>"
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P2</OrgnlPmtInfId>"
        "<TxInfAndSts><OrgnlEndToEndId>E3</OrgnlEndToEndId></TxInfAndSts>"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    report = pain002.read(path)
    assert [
        (t.original_end_to_end_id, t.status, t.reason_code, t.status_inherited)
        for t in report.transactions
    ] == [
        ("E1", "RJCT", "AM04", True),  # the block's status and reason
        ("E2", "RJCT", "AC04", True),  # the block's status, its own reason
        ("E3", "RJCT", None, True),  # no block status: the group's
    ]


def test_identifiers_are_exact(tmp_path):
    """Ids are xs:string: compared exactly, so a space the bank wrote stays."""
    path = tmp_path / "r.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>M-1 </MsgId><CreDtTm>2026-03-03T07:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId> NR-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03"
        "</OrgnlMsgNmId><GrpSts> PART </GrpSts></OrgnlGrpInfAndSts>"
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>NR-1-1 </OrgnlPmtInfId>"
        "<TxInfAndSts><OrgnlEndToEndId>E 1</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    report = pain002.read(path)
    assert (report.msg_id, report.original_msg_id) == ("M-1 ", " NR-1")
    assert report.group_status == "PART"  # codes are stripped
    [tx] = report.transactions
    assert (tx.original_end_to_end_id, tx.original_payment_info_id) == ("E 1", "NR-1-1 ")


def test_a_bad_count_is_reported_with_its_line(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>\n'
        "<GrpHdr><MsgId>M</MsgId></GrpHdr>\n<OrgnlGrpInfAndSts><OrgnlMsgId>O</OrgnlMsgId>\n"
        "<OrgnlNbOfTxs>three</OrgnlNbOfTxs></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    )
    with pytest.raises(XmlInputError) as err:
        pain002.read(path)
    assert (err.value.code, err.value.line) == ("XML_INVALID_VALUE", 4)


def _big(path, blocks: int, per_block: int) -> None:
    with open(path, "w") as out:
        out.write(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
            "<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-03-03T07:45:12</CreDtTm></GrpHdr>"
            "<OrgnlGrpInfAndSts><OrgnlMsgId>O</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09"
            "</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\n"
        )
        for b in range(blocks):
            out.write(f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P{b}</OrgnlPmtInfId>\n")
            for i in range(per_block):
                out.write(
                    f"<TxInfAndSts><OrgnlEndToEndId>E{b}-{i}</OrgnlEndToEndId><TxSts>RJCT"
                    "</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts>\n"
                )
            out.write("</OrgnlPmtInfAndSts>\n")
        out.write("</CstmrPmtStsRpt></Document>\n")


def test_the_single_pass_streams_in_constant_memory(tmp_path):
    def peak(blocks: int, per_block: int) -> tuple[int, int]:
        path = tmp_path / f"r{blocks}.xml"
        _big(path, blocks, per_block)
        report = pain002.read(path)
        tracemalloc.start()
        try:
            seen = sum(1 for _ in report.statuses)
            return tracemalloc.get_traced_memory()[1], seen
        finally:
            tracemalloc.stop()

    (small, n_small), (large, n_large) = peak(2, 500), peak(30, 1_000)
    assert (n_small, n_large) == (2 * 501, 30 * 1_001)
    assert large < small + 256 * 1024, (small, large)
