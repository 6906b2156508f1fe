"""pain.002 reader on hand-written samples of .03, .08 and .12 (which validate), streaming."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from decimal import Decimal

import pytest

from iso20022 import pain002
from iso20022.errors import XmlInputError
from iso20022.validate import validate


@pytest.mark.parametrize("version", ["03", "08", "12"])
def test_samples_validate_against_their_official_schema(samples, version, official_schema):
    path = samples / f"pain.002.001.{version}.xml"
    assert validate(path).valid
    from lxml import etree

    assert official_schema(f"pain.002.001.{version}").validate(etree.parse(str(path)))


def test_partly_accepted_report_v03(samples):
    report = pain002.read(samples / "pain.002.001.03.xml")
    assert report.message_type == "pain.002.001.03"
    assert report.msg_id == "DABA-STS-20260303-0001"
    assert report.created_at == dt.datetime(2026, 3, 3, 7, 45, 12)
    assert (report.original_msg_id, report.original_msg_name_id) == (
        "NR-20260302-1",
        "pain.001.001.03",
    )
    assert (report.group_status, report.group_reason_code) == ("PART", None)
    rows = [
        (
            t.original_end_to_end_id,
            t.status,
            t.reason_code,
            t.original_amount,
            t.original_payment_info_id,
            t.status_inherited,
        )
        for t in report.transactions
    ]
    assert rows == [
        ("PO-0000001", "ACSC", None, Decimal("1200.00"), "NR-20260302-1-1", False),
        ("PO-0000002", "RJCT", "AC04", Decimal("3456.75"), "NR-20260302-1-1", False),
        ("PO-0000003", "RJCT", "DK-NO-NEMKONTO", None, "NR-20260302-1-1", False),
        ("PO-0000004", "ACCP", None, None, "NR-20260302-1-2", True),
        ("PO-0000005", "RJCT", "MD07", Decimal("767.00"), "NR-20260302-1-2", False),
    ]
    second = list(report.transactions)[1]
    assert second.additional_info == "Account closed by the account holder"
    assert second.currency == "DKK" and second.line == 28
    assert [(p.original_payment_info_id, p.status) for p in report.payment_infos] == [
        ("NR-20260302-1-1", "PART"),
        ("NR-20260302-1-2", "ACCP"),
    ]


def test_whole_message_rejected_v08(samples):
    report = pain002.read(samples / "pain.002.001.08.xml")
    assert report.message_type == "pain.002.001.08"
    assert (report.group_status, report.group_reason_code) == ("RJCT", "AM04")
    assert report.group_additional_info == "Insufficient funds on the debtor account"
    assert report.created_at == dt.datetime(
        2026, 3, 3, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert list(report.transactions) == [] and list(report.payment_infos) == []


def test_payment_info_rejected_as_a_whole_v12(samples):
    report = pain002.read(samples / "pain.002.001.12.xml")
    assert report.message_type == "pain.002.001.12"
    assert report.created_at.tzinfo is not None
    infos = list(report.payment_infos)
    assert [
        (p.original_payment_info_id, p.status, p.reason_code, p.additional_info) for p in infos
    ] == [
        ("NR-20260303-1-1", "RJCT", "DT01", "Invalid execution date"),
        ("NR-20260303-1-2", None, None, None),
    ]
    assert [
        (t.original_end_to_end_id, t.status, t.reason_code, t.original_amount)
        for t in report.transactions
    ] == [
        ("PO-0000101", "ACSC", None, Decimal("250.50")),
        ("PO-0000102", "RJCT", "AC01", Decimal("99.95")),
    ]


def test_transactions_can_be_iterated_twice_and_lazily(samples):
    report = pain002.read(samples / "pain.002.001.03.xml")
    stream = report.transactions
    assert next(stream).original_end_to_end_id == "PO-0000001"
    assert len(list(report.transactions)) == 5


def test_a_camt054_is_the_wrong_message(samples):
    with pytest.raises(XmlInputError) as err:
        pain002.read(samples / "camt.054.001.02.xml")
    assert err.value.code == "XML_WRONG_MESSAGE"


def test_missing_header_is_reported(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
        "<CstmrPmtStsRpt><GrpHdr/></CstmrPmtStsRpt></Document>"
    )
    with pytest.raises(XmlInputError) as err:
        pain002.read(path)
    assert err.value.code == "XML_MISSING_ELEMENT"


def test_bad_amount_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>\n'
        "<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-03-03T07:45:12</CreDtTm></GrpHdr>\n"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>O</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03"
        "</OrgnlMsgNmId></OrgnlGrpInfAndSts>\n"
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId>\n"
        "<TxInfAndSts><OrgnlEndToEndId>E</OrgnlEndToEndId><OrgnlTxRef><Amt>\n"
        '<InstdAmt Ccy="DKK">12,50</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>\n'
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n"
    )
    report = pain002.read(path)
    with pytest.raises(XmlInputError) as err:
        list(report.transactions)
    assert (err.value.code, err.value.line) == ("XML_INVALID_VALUE", 6)


def _big_report(path, count: int) -> None:
    with open(path, "w") as out:
        out.write(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
            "<CstmrPmtStsRpt><GrpHdr><MsgId>M</MsgId>"
            "<CreDtTm>2026-03-03T07:45:12</CreDtTm></GrpHdr><OrgnlGrpInfAndSts>"
            "<OrgnlMsgId>O</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>"
            "<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts>"
            "<OrgnlPmtInfId>P</OrgnlPmtInfId>\n"
        )
        for i in range(count):
            out.write(
                f"<TxInfAndSts><OrgnlEndToEndId>E{i}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
                "<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts>\n"
            )
        out.write("</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n")


def test_reading_streams_in_constant_memory(tmp_path):
    def peak(count: int) -> int:
        path = tmp_path / f"r{count}.xml"
        _big_report(path, count)
        report = pain002.read(path)
        tracemalloc.start()
        try:
            seen = sum(1 for _ in report.transactions)
            return tracemalloc.get_traced_memory()[1], seen
        finally:
            tracemalloc.stop()

    (small, n_small), (large, n_large) = peak(1_000), peak(30_000)
    assert (n_small, n_large) == (1_000, 30_000)
    assert large < small + 256 * 1024, (small, large)
