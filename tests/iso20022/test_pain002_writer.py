"""The demo bank: .03 for .03 and .10 for .09, every level, every file valid (lxml + XSD)."""

from __future__ import annotations

import datetime as dt
import io
import stat

import pytest
from lxml import etree

from iso20022 import pain002, pain002_writer
from iso20022.errors import Pain002Error
from iso20022.pain002_writer import PaymentInfoAnswer, TxAnswer

CREATED = dt.datetime(2026, 3, 3, 6, tzinfo=dt.UTC)
ANSWERS = [("pain.001.001.03", "pain.002.001.03"), ("pain.001.001.09", "pain.002.001.10")]


def write(path, name_id="pain.001.001.03", **kw):
    kw.setdefault("group_status", "PART")
    pain002_writer.write(
        path,
        msg_id="BANK-1",
        created_at=CREATED,
        original_msg_id="NR-1",
        original_msg_name_id=name_id,
        **kw,
    )
    return path


def check_valid(path, version, official_schema):
    doc = etree.parse(str(path))
    schema = official_schema(version)
    assert schema.validate(doc), schema.error_log
    assert etree.QName(doc.getroot()).namespace.endswith(version)


@pytest.mark.parametrize("name_id, version", ANSWERS)
def test_mixed_statuses_on_every_level(tmp_path, name_id, version, official_schema):
    statuses = ["ACTC", "ACCP", "ACSP", "ACWC", "PDNG", "ACSC", "RJCT"]
    if version == "pain.002.001.10":
        statuses.append("ACCC")  # not in pain.002.001.03's enumeration
    path = write(
        tmp_path / "a.xml",
        name_id,
        transactions=[
            TxAnswer(f"E{i}", s, "AC04" if s == "RJCT" else None) for i, s in enumerate(statuses)
        ],
        payment_infos=[
            PaymentInfoAnswer("NR-1-2", "RJCT", "AM04", "Insufficient funds"),
            PaymentInfoAnswer("NR-1-3", "ACCP", transactions=[TxAnswer("F1", "ACSC")]),
        ],
    )
    check_valid(path, version, official_schema)
    report = pain002.read(path)
    assert (report.message_type, report.group_status) == (version, "PART")
    items = list(report.statuses)
    txs = [t for t in items if isinstance(t, pain002.TransactionStatus)]
    assert [t.status for t in txs] == statuses + ["ACSC"]
    assert [t.original_payment_info_id for t in txs] == ["NR-1-1"] * len(statuses) + ["NR-1-3"]
    assert [
        (p.original_payment_info_id, p.status, p.reason_code, p.transaction_count)
        for p in report.payment_infos
    ] == [
        ("NR-1-1", None, None, len(statuses)),
        ("NR-1-2", "RJCT", "AM04", 0),
        ("NR-1-3", "ACCP", None, 1),
    ]


@pytest.mark.parametrize("name_id, version", ANSWERS)
def test_a_group_rejection_without_details(tmp_path, name_id, version, official_schema):
    path = write(
        tmp_path / "g.xml",
        name_id,
        group_status="RJCT",
        group_reason_code="AM04",
        group_additional_info="Insufficient funds",
    )
    check_valid(path, version, official_schema)
    report = pain002.read(path)
    assert (report.group_status, report.group_reason_code) == ("RJCT", "AM04")
    assert report.group_additional_info == "Insufficient funds"
    assert report.answers_whole_message


@pytest.mark.parametrize("name_id, version", ANSWERS)
def test_a_payment_info_rejection_alone(tmp_path, name_id, version, official_schema):
    path = write(
        tmp_path / "p.xml",
        name_id,
        group_status="RJCT",
        payment_infos=[PaymentInfoAnswer("NR-1-1", "RJCT", "AM04")],
    )
    check_valid(path, version, official_schema)
    [block] = pain002.read(path).payment_infos
    assert (block.status, block.reason_code, block.transaction_count) == ("RJCT", "AM04", 0)


def test_the_version_follows_the_original_and_can_be_forced(tmp_path, official_schema):
    path = write(
        tmp_path / "v.xml",
        "pain.001.001.03",
        version="pain.002.001.10",
        transactions=[TxAnswer("E1", "ACCC")],
    )
    check_valid(path, "pain.002.001.10", official_schema)
    with pytest.raises(Pain002Error) as err:
        write(tmp_path / "x.xml", "pain.001.001.02")
    assert (err.value.code, err.value.field) == ("PAIN002_INVALID_INPUT", "version")


TX = "OrgnlPmtInfAndSts[NR-1-1].TxInfAndSts"


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(transactions=[TxAnswer("E1", "ACCC")]), f"{TX}[E1].TxSts"),
        (dict(group_status="ACCC"), "GrpSts"),
        (dict(transactions=[TxAnswer("E1", "PART")]), f"{TX}[E1].TxSts"),
        (dict(transactions=[TxAnswer("E1", "RJCT", "AC-04")]), f"{TX}[E1]"),
        (dict(transactions=[TxAnswer("E" * 36, "RJCT")]), f"{TX}[{'E' * 36}]"),
        (dict(payment_infos=[PaymentInfoAnswer("", "RJCT")]), "OrgnlPmtInfAndSts[]"),
        (
            dict(group_reason_code="AM04", group_additional_info="x" * 106),
            "OrgnlGrpInfAndSts.AddtlInf",
        ),
    ],
)
def test_answers_a_version_cannot_hold_are_refused(tmp_path, kw, field):
    with pytest.raises(Pain002Error) as err:
        write(io.BytesIO(), **kw)
    assert (err.value.code, err.value.field) == ("PAIN002_INVALID_INPUT", field)


def test_transactions_stream_and_the_file_is_0600(tmp_path, official_schema):
    answers = (
        TxAnswer(f"E{i}", "RJCT" if i % 7 == 0 else "ACSC", "AC04" if i % 7 == 0 else None)
        for i in range(5_000)
    )
    path = write(tmp_path / "big.xml", transactions=answers)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    check_valid(path, "pain.002.001.03", official_schema)
    rejected = [t for t in pain002.read(path).transactions if t.status == "RJCT"]
    assert len(rejected) == 715 and {t.reason_code for t in rejected} == {"AC04"}


def test_a_stream_gets_the_bytes(official_schema):
    out = io.BytesIO()
    write(out, transactions=[TxAnswer("E1", "ACSC")])
    doc = etree.fromstring(out.getvalue())
    assert official_schema("pain.002.001.03").validate(doc)
