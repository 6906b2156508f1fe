"""camt.054 reader: returned credits from hand-written .02 and .08 samples (which validate)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from iso20022 import camt054
from iso20022.errors import XmlInputError
from iso20022.validate import validate


@pytest.mark.parametrize("version", ["02", "08"])
def test_samples_validate_against_their_official_schema(samples, version, official_schema):
    path = samples / f"camt.054.001.{version}.xml"
    assert validate(path).valid
    assert official_schema(f"camt.054.001.{version}").validate(etree.parse(str(path)))


def test_returns_in_v02(samples):
    note = camt054.read(samples / "camt.054.001.02.xml")
    assert (note.message_type, note.msg_id) == ("camt.054.001.02", "DABA-NTF-20260305-1")
    assert note.created_at == dt.datetime(2026, 3, 5, 18, 0)
    returns = list(note.returns)
    assert [
        (r.original_end_to_end_id, r.amount, r.currency, r.reason_code, r.booking_date)
        for r in returns
    ] == [
        ("PO-0000001", Decimal("1200.00"), "DKK", "AC04", dt.date(2026, 3, 5)),
        ("PO-0000007", Decimal("1750.25"), "DKK", "MD07", dt.date(2026, 3, 5)),
        ("PO-0000008", Decimal("1249.75"), "DKK", "NO-SUCH-ACCOUNT", dt.date(2026, 3, 5)),
    ]
    first = returns[0]
    assert (first.original_msg_id, first.original_payment_info_id) == (
        "NR-20260302-1",
        "NR-20260302-1-1",
    )
    assert first.additional_info == "Closed account"
    assert first.account_servicer_ref == "DABA-20260305-0042"
    assert (first.credit_debit, first.entry_status, first.notification_id) == (
        "CRDT",
        "BOOK",
        "NTF-20260305-1",
    )
    assert all(isinstance(r.amount, Decimal) for r in returns)


def test_returns_in_v08_and_the_amount_rules(samples):
    note = camt054.read(samples / "camt.054.001.08.xml")
    assert note.message_type == "camt.054.001.08"
    rows = [
        (r.original_end_to_end_id, r.amount, r.reason_code, r.booking_date, r.entry_status)
        for r in note.returns
    ]
    assert rows == [
        ("PO-0000201", Decimal("820.40"), "AC06", dt.date(2026, 3, 6), "BOOK"),
        # no transaction amount, single transaction in the entry: the entry amount
        ("PO-0000202", Decimal("300.00"), "AC01", None, "BOOK"),
        # no transaction amount in an entry of two: unknown, never guessed
        ("PO-0000203", None, "BE04", None, "PDNG"),
        ("PO-0000204", Decimal("150.00"), "MS03", None, "PDNG"),
    ]


def test_a_pain002_is_the_wrong_message(samples):
    with pytest.raises(XmlInputError) as err:
        camt054.read(samples / "pain.002.001.12.xml")
    assert err.value.code == "XML_WRONG_MESSAGE"


def test_many_returns_stream(tmp_path):
    path = tmp_path / "many.xml"
    with open(path, "w") as out:
        out.write(
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
            "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId>"
            "<CreDtTm>2026-03-06T17:30:00</CreDtTm></GrpHdr><Ntfctn><Id>N</Id>"
            "<Acct><Id><IBAN>DK5000400440116243</IBAN></Id></Acct>\n"
        )
        for i in range(5_000):
            out.write(
                f'<Ntry><Amt Ccy="DKK">{i}.01</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
                "<Sts><Cd>BOOK</Cd></Sts><BkTxCd/><NtryDtls><TxDtls><Refs>"
                f"<EndToEndId>E{i}</EndToEndId></Refs><RtrInf><Rsn><Cd>AC04</Cd></Rsn>"
                "</RtrInf></TxDtls></NtryDtls></Ntry>\n"
            )
        out.write("</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n")
    assert validate(path).valid
    returns = list(camt054.read(path).returns)
    assert len(returns) == 5_000
    assert (returns[-1].original_end_to_end_id, returns[-1].amount) == ("E4999", Decimal("4999.01"))
