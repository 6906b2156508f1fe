"""read_bank_answer: validated before read, every version with a shipped schema, never a FIFO."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import signal
import stat
from decimal import Decimal

import pytest

import iso20022
from iso20022 import camt054, pain001, pain002, xml
from iso20022.bank_answer import BankAnswer
from iso20022.errors import XmlInputError
from iso20022.validate import SCHEMAS, detect_message, validate

SAMPLES = [
    "pain.002.001.03.xml",
    "pain.002.001.03-group-rjct.xml",
    "pain.002.001.03-pmtinf-rjct.xml",
    "pain.002.001.08.xml",
    "pain.002.001.08-group-actc.xml",
    "pain.002.001.10.xml",
    "pain.002.001.12.xml",
    "pain.002.001.12-part.xml",
    "camt.054.001.02.xml",
    "camt.054.001.02-debits.xml",
    "camt.054.001.04.xml",
    "camt.054.001.08.xml",
    "camt.054.001.08-debits.xml",
]


@contextlib.contextmanager
def deadline(seconds: int = 5):
    """Fail instead of hanging: opening a FIFO for reading blocks until a writer comes."""

    def expired(signum, frame):
        raise TimeoutError("blocked: the FIFO was opened")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_is_read_after_validation(samples, name):
    path = samples / name
    with iso20022.read_bank_answer(path) as answer:
        assert isinstance(answer, BankAnswer)
        assert answer.message_type == name.split("-")[0].removesuffix(".xml")
        assert answer.kind == answer.message_type[:8]
        assert answer.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert answer.size == path.stat().st_size
        if answer.kind == "pain.002":
            assert isinstance(answer.report, pain002.StatusReport)
            assert list(answer.report.statuses) == list(pain002.read(path).statuses)
        else:
            assert isinstance(answer.report, camt054.Notification)
            assert list(answer.report.entries) == list(camt054.read(path).entries)


def test_the_shipped_versions(samples):
    for version in ("pain.002.001.03", "pain.002.001.08", "pain.002.001.10", "pain.002.001.12"):
        assert version in SCHEMAS
    for version in ("camt.054.001.02", "camt.054.001.04", "camt.054.001.08"):
        assert version in SCHEMAS


@pytest.mark.parametrize(
    "namespace",
    ["pain.002.001.09", "pain.002.001.11", "pain.002.001.14", "camt.054.001.06", "camt.054.001.13"],
)
def test_a_version_without_a_shipped_schema_is_refused_never_read(tmp_path, samples, namespace):
    text = (samples / "pain.002.001.10.xml").read_text()
    if namespace.startswith("camt"):
        text = (samples / "camt.054.001.04.xml").read_text()
    old = "pain.002.001.10" if namespace.startswith("pain") else "camt.054.001.04"
    path = tmp_path / "later.xml"
    path.write_text(text.replace(f"xsd:{old}", f"xsd:{namespace}"))
    assert detect_message(path) == namespace
    for refuse in (iso20022.read_bank_answer, validate):
        with pytest.raises(XmlInputError) as err:
            refuse(path)
        assert err.value.code == "XML_UNKNOWN_MESSAGE"


def test_an_invalid_file_is_refused_with_its_first_error(tmp_path, samples):
    path = tmp_path / "bad.xml"
    text = (samples / "pain.002.001.10.xml").read_text()
    path.write_text(text.replace("<TxSts>ACTC</TxSts>", "<TxSts>ACTC</TxSts><Nonsense/>"))
    with pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(path)
    assert err.value.code == "XML_SCHEMA_INVALID" and err.value.line is not None
    assert (
        "Nonsense"
        in text.replace("<TxSts>ACTC</TxSts>", "<Nonsense/>").splitlines()[err.value.line - 1]
    )
    assert err.value.validation.valid is False and err.value.validation.error_count == 1


def test_an_element_in_a_foreign_namespace_is_invalid_not_skipped(tmp_path, samples):
    """A rejection the reader would not see (another namespace) never gets to the reader."""
    path = tmp_path / "bad.xml"
    text = (samples / "pain.002.001.03-group-rjct.xml").read_text()
    path.write_text(text.replace("<GrpSts>RJCT</GrpSts>", '<GrpSts xmlns="urn:x">RJCT</GrpSts>'))
    with pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(path)
    assert err.value.code == "XML_SCHEMA_INVALID"


def test_other_messages_are_the_wrong_message(tmp_path):
    path = tmp_path / "p1.xml"
    txs = [pain001.Transaction("E1", Decimal("1.00"), pain001.IbanAccount("DK5000400440116243"))]
    pain001.write(
        path,
        pain001.GroupHeader("M", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), 1, Decimal("1.00"), "U"),
        [
            pain001.PaymentInfo(
                "P",
                dt.date(2026, 3, 3),
                pain001.Debtor("U", "DK5000400440116243", "DABADKKK"),
                1,
                Decimal("1.00"),
                txs,
            )
        ],
    )
    with pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(path)
    assert err.value.code == "XML_WRONG_MESSAGE"


def test_the_file_read_is_the_file_validated(tmp_path, samples):
    """A path replaced after validation does not change what is read."""
    path = tmp_path / "answer.xml"
    path.write_bytes((samples / "pain.002.001.03-pmtinf-rjct.xml").read_bytes())
    with iso20022.read_bank_answer(path) as answer:
        other = tmp_path / "other.xml"
        other.write_bytes((samples / "pain.002.001.08-group-actc.xml").read_bytes())
        os.replace(other, path)
        assert [p.status for p in answer.report.payment_infos] == ["RJCT", "ACCP"]
        assert answer.report.msg_id == "DABA-STS-20260306-0003"
    with pytest.raises(XmlInputError) as err:
        list(answer.report.statuses)  # closed with the answer
    assert err.value.code == "XML_UNREADABLE"


READERS = {
    "read_bank_answer": iso20022.read_bank_answer,
    "validate": validate,
    "detect_message": detect_message,
    "pain002": pain002.read,
    "camt054": camt054.read,
    "source": xml.Source,
}


@pytest.mark.parametrize("reader", READERS)
def test_a_fifo_is_refused_at_once_without_being_opened(tmp_path, reader):
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    with deadline(), pytest.raises(XmlInputError) as err:
        READERS[reader](fifo)
    assert err.value.code == "FILE_UNUSABLE" and err.value.exit_status == 2
    assert "FIFO" in err.value.message


@pytest.mark.parametrize("reader", READERS)
def test_a_symlink_to_a_fifo_is_refused(tmp_path, reader):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "answer.xml"
    link.symlink_to(fifo)
    with deadline(), pytest.raises(XmlInputError) as err:
        READERS[reader](link)
    assert err.value.code == "FILE_UNUSABLE"


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_device_is_refused(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    with deadline(), pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(device)
    assert err.value.code == "FILE_UNUSABLE"


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(tmp_path)
    assert err.value.code == "FILE_UNUSABLE" and "directory" in err.value.message


def test_a_symlink_to_a_regular_file_is_read(tmp_path, samples):
    link = tmp_path / "answer.xml"
    link.symlink_to(samples / "pain.002.001.10.xml")
    with iso20022.read_bank_answer(link) as answer:
        assert answer.report.group_status == "PART"


def test_a_file_swapped_between_stat_and_open_is_refused(tmp_path, samples, monkeypatch):
    path = tmp_path / "answer.xml"
    path.write_bytes((samples / "pain.002.001.10.xml").read_bytes())
    real_open = os.open

    def swapping_open(name, flags, *args):
        os.replace(tmp_path / "other.xml", path)  # replaced after the stat
        return real_open(name, flags, *args)

    (tmp_path / "other.xml").write_bytes(b"<x/>")
    monkeypatch.setattr(xml.os, "open", swapping_open)
    with pytest.raises(XmlInputError) as err:
        xml.Source(path)
    assert err.value.code == "FILE_UNUSABLE"


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(XmlInputError) as err:
        iso20022.read_bank_answer(tmp_path / "missing.xml")
    assert err.value.code == "XML_UNREADABLE"
