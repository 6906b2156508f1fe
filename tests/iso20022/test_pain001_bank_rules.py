"""pain.001 as the banks' guides require: PmtInf size, Cdtr/Nm, debtor country and
currency, initiating party ids, and files only their owner can read."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from decimal import Decimal

import pytest
from lxml import etree

from iso20022 import pain001
from iso20022.errors import Pain001Error
from iso20022.pain001 import (
    MAX_TX_PER_PAYMENT_INFO,
    Debtor,
    GroupHeader,
    IbanAccount,
    PartyId,
    PaymentInfo,
    Transaction,
)

VERSIONS = ("001.001.03", "001.001.09")
CREATED = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)
DEBTOR = Debtor("Udbetaling Danmark", "DK5000400440116243", "DABADKKK", PartyId("13585628"))
ACCOUNT = IbanAccount("DK5000400440116243")


def txs(count: int, first: int = 0, **kw):
    for i in range(first, first + count):
        yield Transaction(f"E2E-{i}", Decimal("1.00"), ACCOUNT, kw.get("name", f"Modtager {i}"))


def payment(pmt_id: str, count: int, declared: int | None = None, **kw) -> PaymentInfo:
    n = count if declared is None else declared
    return PaymentInfo(
        pmt_id,
        dt.date(2026, 3, 3),
        kw.pop("debtor", DEBTOR),
        n,
        Decimal(n).quantize(Decimal("0.01")),
        kw.pop("transactions", None) or txs(count, **kw),
    )


def header(count: int, **kw) -> GroupHeader:
    total = Decimal(count).quantize(Decimal("0.01"))
    return GroupHeader("NR-1", CREATED, count, total, "Udbetaling Danmark", **kw)


def write(infos, count, version="001.001.03", **kw) -> bytes:
    out = io.BytesIO()
    pain001.write(out, header(count, **kw.pop("header", {})), infos, version=version, **kw)
    return out.getvalue()


def valid(data: bytes, version: str, official_schema) -> etree._Element:
    doc = etree.fromstring(data)
    schema = official_schema(f"pain.{version}")
    assert schema.validate(doc), schema.error_log
    return doc


def ns(version: str) -> dict[str, str]:
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.{version}"}


# -- at most 9,999 transactions per PmtInf (Nordea) ---------------------------------------


def test_the_limit_is_nordeas():
    assert MAX_TX_PER_PAYMENT_INFO == 9_999


@pytest.mark.parametrize("version", VERSIONS)
def test_9999_in_one_payment_info_and_10000_in_two_validate(version, official_schema):
    valid(write([payment("P1", 9_999)], 9_999, version), version, official_schema)
    doc = valid(
        write([payment("P1", 9_999), payment("P2", 1, first=9_999)], 10_000, version),
        version,
        official_schema,
    )
    assert len(doc.findall(".//{*}CdtTrfTxInf")) == 10_000


def test_10000_declared_in_one_payment_info_is_refused_before_writing_it():
    out = io.BytesIO()
    with pytest.raises(Pain001Error) as err:
        pain001.write(out, header(10_000), [payment("P1", 10_000)])
    assert (err.value.code, err.value.field) == ("PAIN001_INVALID_INPUT", "PmtInf[P1].NbOfTxs")
    assert b"<PmtInf>" not in out.getvalue()


def test_10000_streamed_under_a_lying_header_is_refused_at_the_10000th():
    out = io.BytesIO()
    with pytest.raises(Pain001Error) as err:
        pain001.write(out, header(9_999), [payment("P1", 10_000, declared=9_999)])
    assert (err.value.code, err.value.field) == ("PAIN001_INVALID_INPUT", "PmtInf[P1].NbOfTxs")
    assert out.getvalue().count(b"<CdtTrfTxInf>") <= 9_999
    assert b"<EndToEndId>E2E-9999<" not in out.getvalue()  # the 10,000th


# -- Cdtr/Nm -------------------------------------------------------------------------------


def one(name, **kw) -> list[PaymentInfo]:
    tx = Transaction("E2E-1", Decimal("1.00"), ACCOUNT, name)
    return [payment("P1", 1, transactions=[tx], **kw)]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_required_name_is_written_cleaned(version, official_schema):
    data = write(one("  Åse\tMüller & Søn "), 1, version, require_creditor_name=True)
    doc = valid(data, version, official_schema)
    assert doc.findtext(".//p:Cdtr/p:Nm", namespaces=ns(version)) == "Åse Muller + Søn"


@pytest.mark.parametrize("require", [True, False])
@pytest.mark.parametrize("name", ["", "   ", "\x00\x01", "\u200b"])
def test_a_blank_name_is_always_refused(name, require):
    with pytest.raises(Pain001Error) as err:
        write(one(name), 1, require_creditor_name=require)
    assert err.value.code == "PAIN001_INVALID_INPUT"
    assert err.value.field == "PmtInf[P1].CdtTrfTxInf[E2E-1].Cdtr.Nm"


def test_a_missing_name_is_refused_when_required_and_left_out_otherwise():
    with pytest.raises(Pain001Error) as err:
        write(one(None), 1, require_creditor_name=True)
    assert (err.value.code, err.value.field) == (
        "PAIN001_INVALID_INPUT",
        "PmtInf[P1].CdtTrfTxInf[E2E-1].Cdtr.Nm",
    )
    assert b"<Cdtr>" not in write(one(None), 1)


@pytest.mark.parametrize("version", VERSIONS)
def test_names_up_to_70_characters(version, official_schema):
    doc = valid(write(one("N" * 70), 1, version), version, official_schema)
    assert doc.findtext(".//p:Cdtr/p:Nm", namespaces=ns(version)) == "N" * 70
    with pytest.raises(Pain001Error) as err:
        write(one("N" * 71), 1, version)
    assert err.value.field.endswith("Cdtr.Nm")
    # cleaning that makes a 70-character name longer (ß → ss) cuts it at 70
    doc = valid(write(one("ß" * 70), 1, version), version, official_schema)
    assert doc.findtext(".//p:Cdtr/p:Nm", namespaces=ns(version)) == "s" * 70


# -- the debtor: country and account currency ---------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_debtor_country_defaults_to_dk_and_the_account_currency_is_dkk(version, official_schema):
    doc = valid(write([payment("P1", 2)], 2, version), version, official_schema)
    n = ns(version)
    assert doc.findtext(".//p:PmtInf/p:Dbtr/p:PstlAdr/p:Ctry", namespaces=n) == "DK"
    assert doc.find(".//p:PmtInf/p:Dbtr/p:PstlAdr/p:AdrLine", n) is None
    assert doc.findtext(".//p:PmtInf/p:DbtrAcct/p:Ccy", namespaces=n) == "DKK"
    assert Debtor("U", "DK5000400440116243", "DABADKKK").country == "DK"


@pytest.mark.parametrize("version", VERSIONS)
def test_another_country_or_none(version, official_schema):
    swedish = Debtor("U", "DK5000400440116243", "DABADKKK", country="SE")
    doc = valid(write([payment("P1", 1, debtor=swedish)], 1, version), version, official_schema)
    assert doc.findtext(".//p:Dbtr/p:PstlAdr/p:Ctry", namespaces=ns(version)) == "SE"
    none = Debtor("U", "DK5000400440116243", "DABADKKK", country=None)
    doc = valid(write([payment("P1", 1, debtor=none)], 1, version), version, official_schema)
    assert doc.find(".//p:Dbtr/p:PstlAdr", ns(version)) is None


@pytest.mark.parametrize("country", ["dk", "DNK", "D", "", 45])
def test_a_bad_country_is_refused(country):
    debtor = Debtor("U", "DK5000400440116243", "DABADKKK", country=country)
    with pytest.raises(Pain001Error) as err:
        write([payment("P1", 1, debtor=debtor)], 1)
    assert (err.value.code, err.value.field) == (
        "PAIN001_INVALID_INPUT",
        "PmtInf[P1].Dbtr.PstlAdr.Ctry",
    )


# -- the initiating party ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "party",
    [
        PartyId("123456789", "CUST"),
        PartyId("123456789", "CUST", "NORDEA"),
        PartyId("13585628", "COID"),
        PartyId("13585628"),
        PartyId("AGR-2026/01", "BANK", "DABA"),
    ],
)
def test_initiating_party_ids_are_schema_valid(version, party, official_schema):
    data = write([payment("P1", 1)], 1, version, header={"initiating_party_id": party})
    doc = valid(data, version, official_schema)
    n = ns(version)
    othr = doc.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr", n)
    assert othr.findtext("p:Id", namespaces=n) == party.id
    assert othr.findtext("p:SchmeNm/p:Cd", namespaces=n) == party.scheme_code
    assert othr.findtext("p:Issr", namespaces=n) == party.issuer


@pytest.mark.parametrize(
    "party, field",
    [
        (PartyId("123 456", "CUST"), "GrpHdr.InitgPty.Id.Id"),
        (PartyId("1" * 36, "CUST"), "GrpHdr.InitgPty.Id.Id"),
        (PartyId("123", "CUSTOMER"), "GrpHdr.InitgPty.Id.SchmeNm.Cd"),
        (PartyId("123", "CUST", "Nordea Bank"), "GrpHdr.InitgPty.Id.Issr"),
    ],
)
def test_bad_initiating_party_ids_are_refused(party, field):
    with pytest.raises(Pain001Error) as err:
        write([payment("P1", 1)], 1, header={"initiating_party_id": party})
    assert (err.value.code, err.value.field) == ("PAIN001_INVALID_INPUT", field)


# -- files on disk -------------------------------------------------------------------------


def test_a_file_written_to_a_path_is_0600_even_with_a_lax_umask(tmp_path):
    old = os.umask(0)
    try:
        pain001.write(tmp_path / "batch.xml", header(1), [payment("P1", 1)])
    finally:
        os.umask(old)
    mode = (tmp_path / "batch.xml").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600 and stat.S_ISREG(mode)
    assert [p.name for p in tmp_path.iterdir()] == ["batch.xml"]


def test_a_symlink_at_the_target_is_replaced_never_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "batch.xml"
    target.symlink_to(victim)
    pain001.write(target, header(1), [payment("P1", 1)])
    assert victim.read_text() == "keep me"
    assert not target.is_symlink() and target.read_bytes().startswith(b"<?xml")
