"""pain.001 writer: valid for both versions, the Danish account shapes, totals, errors."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import tracemalloc
from decimal import Decimal

import pytest
from lxml import etree

from iso20022 import pain001
from iso20022.errors import Iso20022Error, Pain001Error
from iso20022.pain001 import (
    Debtor,
    DomesticAccount,
    GroupHeader,
    IbanAccount,
    PartyId,
    PaymentInfo,
    Transaction,
)

VERSIONS = ("001.001.03", "001.001.09")
CREATED = dt.datetime(2026, 3, 2, 22, 15, 30, 123456, tzinfo=dt.UTC)
DEBTOR = Debtor("Udbetaling Danmark", "DK5000400440116243", "DABADKKK", PartyId("13585628"))


def tx(i: int, amount: str = "100.00", **kw) -> Transaction:
    defaults = dict(
        creditor_account=IbanAccount("DK5000400440116243"),
        creditor_name=f"Modtager {i}",
        remittance=f"Sygedagpenge {i}",
    )
    defaults.update(kw)
    return Transaction(f"E2E-{i}", Decimal(amount), **defaults)


def info(pmt_id: str, txs, nb=None, ctrl=None, **kw) -> PaymentInfo:
    txs = list(txs)
    n, s = pain001.totals(txs)
    return PaymentInfo(
        pmt_id,
        dt.date(2026, 3, 3),
        kw.pop("debtor", DEBTOR),
        n if nb is None else nb,
        s if ctrl is None else ctrl,
        iter(txs),
        **kw,
    )


def header(nb: int, ctrl: Decimal, **kw) -> GroupHeader:
    return GroupHeader(
        "NR-20260302-1", kw.pop("created_at", CREATED), nb, ctrl, "Udbetaling Danmark", **kw
    )


def write_bytes(infos, version="001.001.03", hdr=None) -> bytes:
    infos = list(infos)
    if hdr is None:
        hdr = header(sum(i.nb_of_txs for i in infos), sum(i.ctrl_sum for i in infos))
    out = io.BytesIO()
    pain001.write(out, hdr, infos, version=version)
    return out.getvalue()


def ns(version: str) -> dict[str, str]:
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.{version}"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("count", [1, pain001.MAX_TX_PER_PAYMENT_INFO])
def test_files_of_1_and_9999_transactions_validate(version, count, official_schema):
    data = write_bytes(
        [info("P1", (tx(i, f"{i % 997 + 1}.{i % 100:02d}") for i in range(count)))], version
    )
    doc = etree.fromstring(data)
    schema = official_schema(f"pain.{version}")
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns(version)) == str(
        count
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_several_payment_infos_have_their_own_totals_and_sum_to_the_header(
    version, official_schema
):
    groups = [
        info(f"P{g}", [tx(g * 100 + i, f"{g}{i}.25") for i in range(g + 1)]) for g in range(1, 4)
    ]
    doc = etree.fromstring(write_bytes(groups, version))
    assert official_schema(f"pain.{version}").validate(doc)
    n = ns(version)
    pmts = doc.findall("p:CstmrCdtTrfInitn/p:PmtInf", n)
    assert [p.findtext("p:NbOfTxs", namespaces=n) for p in pmts] == ["2", "3", "4"]
    for p in pmts:
        amounts = [Decimal(a.text) for a in p.iterfind(".//p:InstdAmt", n)]
        assert Decimal(p.findtext("p:CtrlSum", namespaces=n)) == sum(amounts)
    all_amounts = [Decimal(a.text) for a in doc.iterfind(".//p:InstdAmt", n)]
    grp = doc.find("p:CstmrCdtTrfInitn/p:GrpHdr", n)
    assert int(grp.findtext("p:NbOfTxs", namespaces=n)) == len(all_amounts) == 9
    assert Decimal(grp.findtext("p:CtrlSum", namespaces=n)) == sum(all_amounts)


@pytest.mark.parametrize("version", VERSIONS)
def test_account_shapes_names_and_agents(version, official_schema):
    txs = [
        tx(1, creditor_account=DomesticAccount("1234", "56789")),
        tx(2, creditor_account=IbanAccount("DK5000400440116243"), creditor_bic="NDEADKKKXXX"),
        tx(3, creditor_name=None, remittance=None),
    ]
    doc = etree.fromstring(write_bytes([info("P1", txs)], version))
    assert official_schema(f"pain.{version}").validate(doc)
    n = ns(version)
    first, second, third = doc.iterfind(".//p:CdtTrfTxInf", n)
    othr = first.find("p:CdtrAcct/p:Id/p:Othr", n)
    assert othr.findtext("p:Id", namespaces=n) == "12340000056789"
    assert othr.findtext("p:SchmeNm/p:Cd", namespaces=n) == "BBAN"
    assert second.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=n) == "DK5000400440116243"
    bic_tag = "BIC" if version == "001.001.03" else "BICFI"
    assert second.findtext(f"p:CdtrAgt/p:FinInstnId/p:{bic_tag}", namespaces=n) == "NDEADKKKXXX"
    assert third.find("p:Cdtr", n) is None and third.find("p:RmtInf", n) is None
    assert doc.find(".//p:AdrLine", n) is None and doc.find(".//p:Cdtr/p:PstlAdr", n) is None
    assert doc.findtext(".//p:Dbtr/p:PstlAdr/p:Ctry", namespaces=n) == "DK"
    assert doc.findtext(".//p:DbtrAcct/p:Ccy", namespaces=n) == "DKK"
    dbtr_agent = doc.findtext(f".//p:DbtrAgt/p:FinInstnId/p:{bic_tag}", namespaces=n)
    assert dbtr_agent == "DABADKKK"
    assert doc.findtext(".//p:Dbtr/p:Id/p:OrgId/p:Othr/p:Id", namespaces=n) == "13585628"
    assert doc.findtext(".//p:PmtInf/p:ChrgBr", namespaces=n) == "SHAR"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", list(itertools.product((False, True), repeat=4)))
def test_each_transaction_shape_fills_its_template_as_lxml_writes_the_element(version, key):
    """(domestic account, agent, name, remittance): the filled template is the bytes lxml
    gives for the element, whichever optional values the shape leaves out."""
    writer = pain001._Writer(io.BytesIO(), version)
    values = (
        "E2E-1",
        "100.00",
        "NDEADKKK",
        "Søren Ærø",
        "12340000056789" if key[0] else "DK5000400440116243",
        "Sygedagpenge uge 14",
    )
    tx_element, *elements = writer._template(key)
    for element, value in zip(elements, values, strict=True):
        if element is not None:
            element.text = value
    expected = etree.tostring(tx_element, encoding="unicode")
    assert writer._format(key) % values == expected
    bic, name, _, remittance = elements[2:]
    assert (bic is not None, name is not None, remittance is not None) == key[1:]


def test_amounts_have_exactly_two_decimals_in_dkk():
    data = write_bytes([info("P1", [tx(1, "100"), tx(2, "0.5"), tx(3, "1234567.890")])])
    doc = etree.fromstring(data)
    amounts = doc.findall(".//p:InstdAmt", ns("001.001.03"))
    assert [(a.text, a.get("Ccy")) for a in amounts] == [
        ("100.00", "DKK"),
        ("0.50", "DKK"),
        ("1234567.89", "DKK"),
    ]
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns("001.001.03")) == "1234668.39"


def test_optional_payment_type_and_charge_bearer(official_schema):
    for version in VERSIONS:
        data = write_bytes(
            [
                info(
                    "P1",
                    [tx(1)],
                    charge_bearer=None,
                    category_purpose="SSBE",
                    service_level="NURG",
                    batch_booking=False,
                )
            ],
            version,
        )
        doc = etree.fromstring(data)
        assert official_schema(f"pain.{version}").validate(doc)
        n = ns(version)
        assert doc.find(".//p:ChrgBr", n) is None
        assert doc.findtext(".//p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=n) == "SSBE"
        assert doc.findtext(".//p:BtchBookg", namespaces=n) == "false"


def test_same_input_gives_byte_identical_output(tmp_path):
    def make():
        return [info("P1", [tx(i, creditor_name="Søren Ærø") for i in range(50)])]

    first, second = write_bytes(make()), write_bytes(make())
    assert first == second
    result = pain001.write(tmp_path / "f.xml", header(50, Decimal("5000.00")), make())
    assert (tmp_path / "f.xml").read_bytes() == first
    assert result.size == len(first) and result.nb_of_txs == 50
    import hashlib

    assert result.sha256 == hashlib.sha256(first).hexdigest()


def test_creation_time_is_the_callers_to_the_second():
    data = write_bytes([info("P1", [tx(1)])])
    assert b"<CreDtTm>2026-03-02T22:15:30+00:00</CreDtTm>" in data
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')


def test_one_transaction_per_line():
    data = write_bytes([info("P1", [tx(i) for i in range(3)])])
    lines = [line for line in data.decode().splitlines() if "<CdtTrfTxInf>" in line]
    assert len(lines) == 3 and all(line.endswith("</CdtTrfTxInf>") for line in lines)


def test_text_is_cleaned_to_the_bank_set():
    data = write_bytes(
        [
            info(
                "P1",
                [tx(1, creditor_name="  Åse\tMüller & Søn\x00 ", remittance="Løn – “marts”\n2026")],
            )
        ]
    )
    doc = etree.fromstring(data)
    n = ns("001.001.03")
    assert doc.findtext(".//p:Cdtr/p:Nm", namespaces=n) == "Åse Muller + Søn"
    assert doc.findtext(".//p:RmtInf/p:Ustrd", namespaces=n) == "Løn - 'marts' 2026"


# --- totals are checked while streaming -------------------------------------------------


def test_declared_count_of_a_payment_info_must_match():
    with pytest.raises(Pain001Error) as err:
        write_bytes([info("P1", [tx(1), tx(2)], nb=3, ctrl=Decimal("300.00"))])
    assert err.value.code == "PAIN001_TOTALS_MISMATCH"
    assert err.value.field == "PmtInf[P1].NbOfTxs"


def test_declared_sum_of_a_payment_info_must_match():
    with pytest.raises(Pain001Error) as err:
        write_bytes([info("P1", [tx(1), tx(2)], ctrl=Decimal("200.01"))])
    assert err.value.code == "PAIN001_TOTALS_MISMATCH"
    assert err.value.field == "PmtInf[P1].CtrlSum"


def test_declared_file_totals_must_match():
    hdr = header(3, Decimal("300.00"))
    with pytest.raises(Pain001Error) as err:
        write_bytes([info("P1", [tx(1), tx(2)])], hdr=hdr)
    assert err.value.code == "PAIN001_TOTALS_MISMATCH" and err.value.field == "GrpHdr.NbOfTxs"


def test_failed_write_to_a_path_leaves_no_file_and_keeps_an_old_one(tmp_path):
    target = tmp_path / "batch.xml"
    with pytest.raises(Pain001Error):
        pain001.write(target, header(9, Decimal("900.00")), [info("P1", [tx(1)])])
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(Pain001Error):
        pain001.write(target, header(9, Decimal("900.00")), [info("P1", [tx(1)])])
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_an_error_raised_by_the_callers_iterator_propagates(tmp_path):
    def broken():
        yield tx(1)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        pain001.write(
            tmp_path / "x.xml",
            header(2, Decimal("200.00")),
            [PaymentInfo("P1", dt.date(2026, 3, 3), DEBTOR, 2, Decimal("200.00"), broken())],
        )
    assert list(tmp_path.iterdir()) == []


# --- input errors are coded ---------------------------------------------------------------


@pytest.mark.parametrize(
    "make, field_end",
    [
        (lambda: tx(1, creditor_account=IbanAccount("DK5000400440116244")), "CdtrAcct"),
        (lambda: tx(1, creditor_account=IbanAccount("dk5000400440116243")), "CdtrAcct"),
        (lambda: tx(1, creditor_account=IbanAccount("DK50 0040 0440 1162 43")), "CdtrAcct"),
        (lambda: tx(1, creditor_account=DomesticAccount("123", "1")), "CdtrAcct"),
        (lambda: tx(1, creditor_account=DomesticAccount("1234", "12345678901")), "CdtrAcct"),
        (lambda: tx(1, creditor_account=DomesticAccount("1234", "１２")), "CdtrAcct"),
        (lambda: tx(1, creditor_account="DK5000400440116243"), "CdtrAcct"),
        (lambda: tx(1, "0.00"), "InstdAmt"),
        (lambda: tx(1, "-5.00"), "InstdAmt"),
        (lambda: tx(1, "1.005"), "InstdAmt"),
        (lambda: tx(1, "NaN"), "InstdAmt"),
        (lambda: tx(1, "Infinity"), "InstdAmt"),
        (lambda: tx(1, "1E+16"), "InstdAmt"),
        (lambda: Transaction("E2E-1", 100.0, IbanAccount("DK5000400440116243")), "InstdAmt"),
        (
            lambda: Transaction("E" * 36, Decimal(1), IbanAccount("DK5000400440116243")),
            "EndToEndId",
        ),
        (lambda: Transaction("E2E 1", Decimal(1), IbanAccount("DK5000400440116243")), "EndToEndId"),
        (lambda: Transaction("/E2E", Decimal(1), IbanAccount("DK5000400440116243")), "EndToEndId"),
        (
            lambda: Transaction("E2E//1", Decimal(1), IbanAccount("DK5000400440116243")),
            "EndToEndId",
        ),
        (lambda: Transaction("ÆØÅ", Decimal(1), IbanAccount("DK5000400440116243")), "EndToEndId"),
        (lambda: tx(1, creditor_name="x" * 141), "Cdtr.Nm"),
        (lambda: tx(1, remittance="x" * 141), "RmtInf.Ustrd"),
        (lambda: tx(1, creditor_bic="DABADK"), "CdtrAgt"),
    ],
)
def test_invalid_transactions_are_refused_with_the_field(make, field_end):
    bad = make()
    payment = PaymentInfo("P1", dt.date(2026, 3, 3), DEBTOR, 1, Decimal("1.00"), [bad])
    with pytest.raises(Pain001Error) as err:
        pain001.write(io.BytesIO(), header(1, Decimal("1.00")), [payment])
    assert err.value.code == "PAIN001_INVALID_INPUT"
    assert err.value.field.startswith("PmtInf[P1].CdtTrfTxInf")
    assert err.value.field.endswith(field_end)
    assert err.value.exit_status == 2 and isinstance(err.value, Iso20022Error)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(msg_id="M" * 36), "GrpHdr.MsgId"),
        (dict(created_at=dt.datetime(2026, 3, 2, 22, 15)), "GrpHdr.CreDtTm"),
        (dict(nb_of_txs=0), "GrpHdr.NbOfTxs"),
        (dict(ctrl_sum=Decimal("1.001")), "GrpHdr.CtrlSum"),
        (dict(initiating_party_name="\x00\x01"), "GrpHdr.InitgPty.Nm"),
        (
            dict(initiating_party_id=PartyId("13585628", scheme_code="TOOLONG")),
            "GrpHdr.InitgPty.Id.SchmeNm.Cd",
        ),
    ],
)
def test_invalid_group_headers_are_refused(change, field):
    fields = dict(
        msg_id="M1",
        created_at=CREATED,
        nb_of_txs=1,
        ctrl_sum=Decimal("100.00"),
        initiating_party_name="Udbetaling Danmark",
    )
    fields.update(change)
    with pytest.raises(Pain001Error) as err:
        pain001.write(io.BytesIO(), GroupHeader(**fields), [info("P1", [tx(1)])])
    assert (err.value.code, err.value.field) == ("PAIN001_INVALID_INPUT", field)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(pmt_inf_id="P" * 36), "PmtInf[" + "P" * 36 + "].PmtInfId"),
        (dict(requested_execution_date=dt.datetime(2026, 3, 3)), "PmtInf[P1].ReqdExctnDt"),
        (dict(debtor=Debtor("UDK", "DK5000400440116243", "DABADK")), "PmtInf[P1].DbtrAgt"),
        (dict(debtor=Debtor("UDK", "NOTANIBAN", "DABADKKK")), "PmtInf[P1].DbtrAcct"),
        (dict(charge_bearer="XXXX"), "PmtInf[P1].ChrgBr"),
    ],
)
def test_invalid_payment_infos_are_refused_before_their_transactions(change, field):
    fields = dict(
        pmt_inf_id="P1",
        requested_execution_date=dt.date(2026, 3, 3),
        debtor=DEBTOR,
        nb_of_txs=1,
        ctrl_sum=Decimal("100.00"),
        transactions=[tx(1)],
    )
    fields.update(change)
    with pytest.raises(Pain001Error) as err:
        pain001.write(io.BytesIO(), header(1, Decimal("100.00")), [PaymentInfo(**fields)])
    assert (err.value.code, err.value.field) == ("PAIN001_INVALID_INPUT", field)


def test_payment_info_ids_must_be_unique_in_a_file():
    with pytest.raises(Pain001Error) as err:
        write_bytes([info("P1", [tx(1)]), info("P1", [tx(2)])])
    assert err.value.field == "PmtInf[P1]"


def test_bic_patterns_follow_the_version():
    # A BIC with a digit in the bank code is valid as BICFI (.09) but not as BIC (.03).
    debtor = Debtor("UDK", "DK5000400440116243", "DAB1DKKK")
    write_bytes([info("P1", [tx(1)], debtor=debtor)], "001.001.09")
    with pytest.raises(Pain001Error):
        write_bytes([info("P1", [tx(1)], debtor=debtor)], "001.001.03")


def test_foreign_iban_is_accepted():
    data = write_bytes(
        [
            info(
                "P1",
                [
                    tx(
                        1,
                        creditor_account=IbanAccount("DE89370400440532013000"),
                        creditor_bic="COBADEFFXXX",
                    )
                ],
            )
        ]
    )
    assert b"<IBAN>DE89370400440532013000</IBAN>" in data


def test_unsupported_version():
    with pytest.raises(Pain001Error) as err:
        write_bytes([info("P1", [tx(1)])], version="001.001.10")
    assert err.value.code == "PAIN001_UNSUPPORTED"


def test_memory_does_not_grow_with_the_number_of_transactions():
    """Transactions come from a generator and leave memory once written."""

    class Null:
        def write(self, data):
            pass

    def peak(count: int) -> int:
        def txs(first: int):
            for i in range(first, first + 1_000):
                yield Transaction(
                    f"E2E-{i}",
                    Decimal("12.34"),
                    DomesticAccount("1234", str(i)),
                    f"Navn {i}",
                    None,
                    f"Tekst {i}",
                )

        def payments():  # of 1,000 each: a PmtInf holds at most 9,999
            for first in range(0, count, 1_000):
                yield PaymentInfo(
                    f"P{first}", dt.date(2026, 3, 3), DEBTOR, 1_000, Decimal("12340.00"), txs(first)
                )

        tracemalloc.start()
        try:
            pain001.write(Null(), header(count, Decimal("12.34") * count), payments())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(20_000)
    assert large < small + 256 * 1024, (small, large)
