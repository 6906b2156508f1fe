"""Properties of the pain.001 writer over generated input (Hypothesis).

Any input the writer accepts gives a file that the official XSD accepts, whose header totals
equal the sum of its parts, that reads back as the same transactions (with text as
:func:`clean_text` promises), and that is byte-identical when written again.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from iso20022 import pain001
from iso20022.pain001 import (
    Debtor,
    DomesticAccount,
    GroupHeader,
    IbanAccount,
    PartyId,
    PaymentInfo,
    Transaction,
)
from iso20022.text import ALLOWED, IDENTIFIER, clean_text

ODD = "ÆØÅæøåÄÖÜäöüßéÉñŁłŒœÞ\x00\x01\x07\t\n\r\x0b\x7f\x85\u200b\u00ad\ufeff&<>\"'`´’“”–—\u00a0 "
text_chars = st.one_of(st.characters(), st.sampled_from(ODD))
texts = st.text(alphabet=text_chars, max_size=140)
# Hypothesis never generates lone surrogates in text(); the writer must still not crash.
surrogates = st.sampled_from(["Jens \ud800 Hansen", "\udfff"])
names = st.one_of(
    st.none(), texts, surrogates, st.text(alphabet=text_chars, min_size=140, max_size=140)
)
# A creditor name the writer accepts: absent, or up to 70 characters with something left
# after cleaning (a blank or longer one is refused: test_pain001_bank_rules.py).
creditor_names = st.one_of(
    st.none(),
    st.sampled_from(["Jens \ud800 Hansen"]),
    st.text(alphabet=text_chars, max_size=70).filter(
        lambda t: clean_text(t, max_len=70, field="x")
    ),
)
identifiers = st.from_regex(IDENTIFIER, fullmatch=True)
amounts = st.integers(1, 10**18 - 1).map(lambda ore: Decimal(ore).scaleb(-2))  # to the max
small_amounts = st.integers(1, 10**9).map(lambda ore: Decimal(ore).scaleb(-2))


def _dk_iban(digits: str) -> str:
    check = 98 - int(digits + "132000") % 97  # D=13, K=20, then "00"
    return f"DK{check:02d}{digits}"


ibans = st.one_of(
    st.text(alphabet="0123456789", min_size=14, max_size=14).map(_dk_iban),
    st.sampled_from(
        [
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "NO9386011117947",
            "SE4550000000058398257466",
            "FI2112345600000785",
        ]
    ),
)
accounts = st.one_of(
    ibans.map(IbanAccount),
    st.builds(
        DomesticAccount,
        st.from_regex(r"[0-9]{4}", fullmatch=True),
        st.from_regex(r"[0-9]{1,10}", fullmatch=True),
    ),
)
bics = st.one_of(st.none(), st.sampled_from(["DABADKKK", "NDEADKKKXXX", "JYBADKKK", "SYBKDK22"]))
transactions = st.builds(Transaction, identifiers, amounts, accounts, creditor_names, bics, names)
small_transactions = st.builds(
    Transaction, identifiers, small_amounts, accounts, creditor_names, bics, names
)
debtors = st.builds(
    Debtor,
    texts.filter(lambda t: clean_text(t, max_len=140, field="x")),
    ibans,
    st.sampled_from(["DABADKKK", "NDEADKKK", "SYBKDK22XXX"]),
    st.one_of(st.none(), st.builds(PartyId, identifiers)),
)
groups = st.lists(
    st.tuples(identifiers, st.lists(transactions, min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
    unique_by=lambda g: g[0],
)
created = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2099, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))]),
)
versions = st.sampled_from(["001.001.03", "001.001.09"])


def _write(version, msg_id, when, debtor, grouped, category) -> bytes:
    infos = []
    for pmt_id, txs in grouped:
        n, s = pain001.totals(txs)
        infos.append(
            PaymentInfo(pmt_id, when.date(), debtor, n, s, iter(txs), category_purpose=category)
        )
    total_n = sum(i.nb_of_txs for i in infos)
    total_s = sum((i.ctrl_sum for i in infos), Decimal("0.00"))
    out = io.BytesIO()
    pain001.write(
        out,
        GroupHeader(msg_id, when, total_n, total_s, "Udbetaling Danmark"),
        infos,
        version=version,
    )
    return out.getvalue()


def _expected_text(value, max_len=140):
    if value is None:
        return None
    return clean_text(value, max_len=max_len, field="x") or None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=versions,
    msg_id=identifiers,
    when=created,
    debtor=debtors,
    grouped=groups,
    category=st.one_of(st.none(), st.sampled_from(["SSBE", "PENS", "SALA"])),
)
def test_any_accepted_input_gives_a_valid_consistent_file(
    version, msg_id, when, debtor, grouped, category, official_schema
):
    # CtrlSum has at most 18 digits; a file over 10^16 DKK is refused (tested elsewhere).
    assume(sum(t.amount for _, txs in grouped for t in txs) < 10**16)
    data = _write(version, msg_id, when, debtor, grouped, category)
    doc = etree.fromstring(data)
    schema = official_schema(f"pain.{version}")
    assert schema.validate(doc), schema.error_log.last_error
    assert data == _write(version, msg_id, when, debtor, grouped, category)

    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.{version}"}
    pmts = doc.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    assert [p.findtext("p:PmtInfId", namespaces=ns) for p in pmts] == [g[0] for g in grouped]
    every = []
    for pmt, (_, txs) in zip(pmts, grouped, strict=True):
        read = pmt.findall("p:CdtTrfTxInf", ns)
        assert pmt.findtext("p:NbOfTxs", namespaces=ns) == str(len(read)) == str(len(txs))
        amounts = [Decimal(r.findtext("p:Amt/p:InstdAmt", namespaces=ns)) for r in read]
        assert Decimal(pmt.findtext("p:CtrlSum", namespaces=ns)) == sum(amounts)
        for element, original in zip(read, txs, strict=True):
            assert element.findtext("p:PmtId/p:EndToEndId", namespaces=ns) == original.end_to_end_id
            amount = element.find("p:Amt/p:InstdAmt", ns)
            assert Decimal(amount.text) == original.amount and amount.get("Ccy") == "DKK"
            assert len(amount.text.split(".")[1]) == 2
            account = original.creditor_account
            if isinstance(account, IbanAccount):
                assert element.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == account.iban
            else:
                assert element.findtext(
                    "p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=ns
                ) == account.reg_no + account.account_no.zfill(10)
            name = element.findtext("p:Cdtr/p:Nm", namespaces=ns)
            rmt = element.findtext("p:RmtInf/p:Ustrd", namespaces=ns)
            assert name == _expected_text(original.creditor_name, max_len=70)
            assert rmt == _expected_text(original.remittance)
            for value in (name, rmt):
                assert value is None or (set(value) <= ALLOWED and len(value) <= 140)
        every += amounts
    grp = doc.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    assert int(grp.findtext("p:NbOfTxs", namespaces=ns)) == len(every)
    assert Decimal(grp.findtext("p:CtrlSum", namespaces=ns)) == sum(every)


@settings(max_examples=5, deadline=None)
@given(version=versions, pool=st.lists(small_transactions, min_size=1, max_size=60))
def test_ten_thousand_generated_transactions_validate(version, pool, official_schema):
    txs = [pool[i % len(pool)] for i in range(10_000)]  # Hypothesis lists stay small
    debtor = Debtor("Udbetaling Danmark", "DK5000400440116243", "DABADKKK")
    data = _write(
        version,
        "BIG-1",
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        debtor,
        [("P1", txs[:3_000]), ("P2", txs[3_000:])],
        None,
    )
    doc = etree.fromstring(data)
    assert official_schema(f"pain.{version}").validate(doc)
    assert len(doc.findall(".//{*}CdtTrfTxInf")) == 10_000
