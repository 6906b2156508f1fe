"""camt.054: booked debits that settle our payments, and returns, in .02, .04 and .08."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from iso20022 import camt054
from iso20022.camt054 import BookedDebit, ReturnedCredit


def test_booked_debits_v02_batch_and_single(samples):
    note = camt054.read(samples / "camt.054.001.02-debits.xml")
    debits = list(note.booked_debits)
    day = dt.date(2026, 3, 4)
    assert [
        (d.end_to_end_id, d.amount, d.original_msg_id, d.original_payment_info_id, d.booking_date)
        for d in debits
    ] == [
        # a batch booking: the Btch names our message and PmtInf
        ("PO-0000301", Decimal("1000.25"), "NR-20260303-1", "NR-20260303-1-1", day),
        ("PO-0000302", Decimal("2000.25"), "NR-20260303-1", "NR-20260303-1-1", day),
        # a single booking: the entry amount, the transaction's own references
        ("PO-0000303", Decimal("640.00"), "NR-20260303-2", "NR-20260303-2-1", day),
    ]
    assert {d.currency for d in debits} == {"DKK"}
    # pending, reversed, details-less and credit entries confirm nothing
    assert {d.end_to_end_id for d in debits}.isdisjoint({"PO-0000304", "PO-0000305"})
    first, second, _ = debits
    assert (first.value_date, first.account_servicer_ref) == (
        dt.date(2026, 3, 4),
        "NDEA-20260304-7001",  # the entry's reference when the transaction has none
    )
    assert second.account_servicer_ref == "NDEA-TX-302"
    assert first.notification_id == "NTF-DBT-20260304-1" and first.line == 33
    assert list(note.returns) == []
    assert list(note.entries) == debits


def test_returns_debits_and_reversals_v04(samples):
    note = camt054.read(samples / "camt.054.001.04.xml")
    assert note.message_type == "camt.054.001.04"
    entries = list(note.entries)
    assert [type(e) for e in entries] == [ReturnedCredit, BookedDebit, ReturnedCredit]
    returned, debit, reversal = entries
    assert (returned.original_end_to_end_id, returned.amount, returned.reason_code) == (
        "PO-0000401",
        Decimal("1200.00"),
        "AC04",
    )
    assert (returned.original_msg_id, returned.original_payment_info_id) == (
        "NR-20260305-1",
        "NR-20260305-1-2",
    )
    assert (returned.credit_debit, returned.entry_status, returned.reversal) == (
        "CRDT",
        "BOOK",
        False,
    )
    assert debit == BookedDebit(
        end_to_end_id="PO-0000402",
        amount=Decimal("875.40"),
        currency="DKK",
        booking_date=dt.date(2026, 3, 8),
        value_date=dt.date(2026, 3, 9),
        original_msg_id="NR-20260307-1",
        original_payment_info_id="NR-20260307-1-1",
        account_servicer_ref="DABA-20260308-0077",
        notification_id="NTF-20260308-4",
        line=43,
    )
    assert (reversal.original_end_to_end_id, reversal.reason_code, reversal.reversal) == (
        "PO-0000403",
        "AC06",
        True,
    )
    assert list(note.returns) == [returned, reversal]
    assert list(note.booked_debits) == [debit]


def test_booked_debits_v08_per_entry_details_batch(samples):
    note = camt054.read(samples / "camt.054.001.08-debits.xml")
    assert [
        (d.end_to_end_id, d.amount, d.original_msg_id, d.original_payment_info_id)
        for d in note.booked_debits
    ] == [
        ("PO-0000501", Decimal("150.00"), "NR-20260309-1", "NR-20260309-1-1"),
        ("PO-0000502", Decimal("300.00"), "NR-20260309-2", "NR-20260309-2-1"),
    ]  # the credit transaction REFUND-9 inside the debit entry is not one of ours


def test_returns_never_take_the_batch_reference(tmp_path):
    """A returns entry's Btch is the bank's own batch, not our message."""
    path = tmp_path / "c.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-03-06T17:30:00"
        "</CreDtTm></GrpHdr><Ntfctn><Id>N</Id><Acct><Id><IBAN>DK5000400440116243</IBAN>"
        '</Id></Acct><Ntry><Amt Ccy="DKK">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK'
        "</Cd></Sts><BkTxCd/><NtryDtls><Btch><MsgId>BANK-RETURNS-1</MsgId></Btch><TxDtls>"
        "<Refs><EndToEndId>E1</EndToEndId></Refs><RtrInf><Rsn><Cd>AC01</Cd></Rsn></RtrInf>"
        "</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    )
    [credit] = camt054.read(path).returns
    assert (credit.original_end_to_end_id, credit.original_msg_id) == ("E1", None)
    assert credit.amount == Decimal("5.00")  # the single transaction takes the entry's amount


def test_end_to_end_ids_are_exact(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M </MsgId><CreDtTm>2026-03-06T17:30:00"
        "</CreDtTm></GrpHdr><Ntfctn><Id>N</Id><Acct><Id><IBAN>DK5000400440116243</IBAN>"
        '</Id></Acct><Ntry><Amt Ccy="DKK">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK'
        "</Cd></Sts><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId> E1</EndToEndId></Refs>"
        "</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    )
    note = camt054.read(path)
    assert note.msg_id == "M "
    assert [d.end_to_end_id for d in note.booked_debits] == [" E1"]
