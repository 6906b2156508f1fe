"""Claim files: the four formats, streaming, and where each kind of error goes."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.claim import parse_claim
from rules.claim_file import CHUNK, iter_claim_records
from rules.errors import ClaimFileError, InvalidClaim
from tests.support import claims_csv

TODAY = date(2024, 6, 3)

CLAIM = {
    "external_ref": "A-1",
    "employer_cvr": "13585628",
    "employee_cpr": "0101901234",
    "kind": "sickness",
    "first_absence_day": "2024-03-04",
    "last_absence_day": "2024-04-26",
    "normal_weekly_hours": 37,
    "hourly_wage": 250.25,
    "salary_paid": True,
    "employment_start": "2019-01-01",
    "monthly_hours": [160, 160, 160, 160, 160, 160],
}
HEADER = ",".join(k for k in CLAIM)
ROW = ",".join(
    ";".join(str(x) for x in v)
    if isinstance(v, list)
    else str(v).lower()
    if isinstance(v, bool)
    else str(v)
    for v in CLAIM.values()
)


def records(data: bytes, name: str = "claims"):
    return list(iter_claim_records(io.BytesIO(data), name=name))


def refs(recs):
    return [r.raw["external_ref"] if r.raw else r.problem.code for r in recs]


def claim(ref: str) -> dict:
    return {**CLAIM, "external_ref": ref}


def test_one_object():
    (rec,) = records(json.dumps(CLAIM, indent=2).encode())
    assert rec.position == "item 1"
    assert rec.problem is None
    assert rec.raw["hourly_wage"] == Decimal("250.25")
    assert isinstance(rec.raw["hourly_wage"], Decimal)


def test_one_object_on_one_line():
    (rec,) = records(json.dumps(CLAIM).encode())
    assert rec.raw["external_ref"] == "A-1"


def test_array():
    data = json.dumps([claim("A-1"), claim("A-2"), claim("A-3")], indent=1).encode()
    recs = records(data)
    assert refs(recs) == ["A-1", "A-2", "A-3"]
    assert [r.position for r in recs] == ["item 1", "item 2", "item 3"]


def test_empty_array_and_utf8_bom():
    assert records(b"\xef\xbb\xbf  [ ]  ") == []


def test_ndjson_malformed_line_is_a_record_problem_and_reading_goes_on():
    lines = [
        json.dumps(claim("A-1")),
        '{"external_ref": "A-2", oops}',
        "",
        json.dumps(claim("A-3")),
        "[1, 2]",
        json.dumps(claim("A-5")),
    ]
    recs = records("\n".join(lines).encode())
    assert refs(recs) == ["A-1", "CLAIM_FILE_MALFORMED", "A-3", "CLAIM_NOT_AN_OBJECT", "A-5"]
    assert recs[1].position == "line 2"
    assert "line 2" in recs[1].problem.message
    assert recs[2].position == "line 4"


def test_ndjson_line_that_is_not_utf8():
    data = (json.dumps(claim("A-1")) + "\n").encode() + b'{"external_ref": "\xff"}\n'
    data += (json.dumps(claim("A-3")) + "\r\n").encode()
    recs = records(data)
    assert refs(recs) == ["A-1", "CLAIM_FILE_ENCODING", "A-3"]


def test_ndjson_nan_is_not_json():
    recs = records(b'{"hourly_wage": NaN}\n{"hourly_wage": 1}\n')
    assert recs[0].problem.code == "CLAIM_FILE_MALFORMED"
    assert recs[1].raw == {"hourly_wage": 1}


def test_json_nested_too_deeply_is_a_problem_not_a_crash():
    bomb = b"[" * 100_000 + b"]" * 100_000
    recs = records(
        json.dumps(claim("A-1")).encode()
        + b"\n"
        + bomb
        + b"\n"
        + json.dumps(claim("A-3")).encode()
        + b"\n"
    )
    assert refs(recs) == ["A-1", "CLAIM_FILE_MALFORMED", "A-3"]
    assert "nested too deeply" in recs[1].problem.message
    recs = records(b'[{"external_ref": "A-1"}, ' + bomb + b"]")
    assert recs[0].raw == {"external_ref": "A-1"}
    assert recs[1].problem.code == "CLAIM_FILE_MALFORMED"
    assert "nested too deeply" in recs[1].problem.message


def test_concatenated_pretty_objects():
    data = json.dumps(claim("A-1"), indent=2) + "\n" + json.dumps(claim("A-2"), indent=2)
    assert refs(records(data.encode())) == ["A-1", "A-2"]


@pytest.mark.parametrize(
    "data",
    [
        b'[{"external_ref": "A-1"}, {"external_ref": ',
        b'[{"external_ref": "A-1"}, {"external_ref": "A-2"},]',
        b'[{"external_ref": "A-1"} {"external_ref": "A-2"}]',
        b'[{"external_ref": "A-1"}] trailing',
        b'[{"external_ref": "A-1"}',
    ],
)
def test_broken_array_stops_with_a_problem_after_the_good_items(data):
    recs = records(data)
    assert recs[0].raw == {"external_ref": "A-1"}
    assert recs[-1].problem.code == "CLAIM_FILE_MALFORMED"


def test_array_items_across_buffer_boundaries_including_numbers():
    # numbers that straddle the 64 KiB boundaries must not be cut in two
    items = [
        {"external_ref": f"A-{i}", "hourly_wage": 123456789 + i, "pad": "x" * (i % 97)}
        for i in range(4000)
    ]
    data = json.dumps(items).encode()
    assert len(data) > 3 * CHUNK
    recs = records(data)
    assert len(recs) == 4000
    assert [r.raw["hourly_wage"] for r in recs] == [123456789 + i for i in range(4000)]


def test_big_ndjson_is_streamed_not_read_whole():
    """The first record arrives after reading little more than one chunk of a huge stream."""

    line = (json.dumps(claim("A")) + "\n").encode()

    class Endless(io.RawIOBase):
        def __init__(self):
            self.served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            n = len(buffer)
            start = self.served % len(line)
            data = (line * (n // len(line) + 2))[start : start + n]
            buffer[:n] = data
            self.served += n
            return n

    source = Endless()
    stream = iter_claim_records(io.BufferedReader(source), name="endless")
    for _ in range(1000):
        assert next(stream).raw["external_ref"] == "A"
    assert source.served < 16 * CHUNK


def test_csv():
    data = f"{HEADER}\n{ROW}\n\n{ROW.replace('A-1', 'A-2')}\n".encode()
    recs = records(data, "claims.csv")
    assert refs(recs) == ["A-1", "A-2"]
    assert [r.position for r in recs] == ["row 2", "row 4"]
    assert recs[0].raw["monthly_hours"] == "160;160;160;160;160;160"
    assert recs[0].raw["salary_paid"] == "true"


def test_csv_detected_by_header_without_extension_and_empty_cells_are_absent():
    data = f"{HEADER},submitted_on\n{ROW},\n".encode()
    (rec,) = records(data, "")
    assert "submitted_on" not in rec.raw


def test_csv_row_with_too_many_cells():
    recs = records(f"{HEADER}\n{ROW},extra\n{ROW}\n".encode(), "x.csv")
    assert refs(recs) == ["CLAIM_FILE_MALFORMED", "A-1"]
    assert recs[0].position == "row 2"


def test_csv_missing_column_is_a_file_error():
    header = HEADER.replace("hourly_wage,", "")
    with pytest.raises(ClaimFileError) as caught:
        records(f"{header}\n".encode(), "x.csv")
    assert caught.value.code == "CLAIM_FILE_MISSING_COLUMN"
    assert caught.value.field == "hourly_wage"
    assert caught.value.exit_status == 2


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (HEADER + ",bonus", "CLAIM_FILE_UNKNOWN_COLUMN"),
        (HEADER + ",kind", "CLAIM_FILE_DUPLICATE_COLUMN"),
        (HEADER.replace(",", ";"), "CLAIM_FILE_UNKNOWN_COLUMN"),
    ],
)
def test_csv_header_errors(header, code):
    with pytest.raises(ClaimFileError) as caught:
        records(f"{header}\n".encode(), "x.csv")
    assert caught.value.code == code


def test_csv_row_that_is_not_utf8_is_that_rows_problem_and_every_other_row_is_read():
    """Issue 16: one Latin-1 byte in row 502 of a 600-claim CSV. Every row before and after
    it is a record; row 502 is CLAIM_FILE_ENCODING, at its real row, naming its column."""
    data = claims_csv(600, latin1_row=502)
    assert data.index(b"\xe6") > 6 * 8192  # many of the text decoder's 8 KiB chunks in
    recs = records(data, "claims.csv")
    assert len(recs) == 600
    bad = [r for r in recs if r.problem is not None]
    assert [(r.position, r.problem.code, r.problem.field) for r in bad] == [
        ("row 502", "CLAIM_FILE_ENCODING", "external_ref")
    ]
    good = [r for r in recs if r.raw is not None]
    assert [r.raw["external_ref"] for r in good] == [f"R-{n}" for n in range(2, 602) if n != 502]
    assert [r.position for r in good][-1] == "row 601"


def test_csv_header_not_utf8_is_a_file_error():
    with pytest.raises(ClaimFileError) as caught:
        records(HEADER.replace("kind", "k\xe6nd").encode("latin-1") + b"\n" + ROW.encode())
    assert caught.value.code == "CLAIM_FILE_ENCODING"


def test_a_file_error_after_good_records_ends_the_file_as_a_problem():
    """The records before it are kept (and stored by the intake); reading stops there."""
    huge = ROW.replace("A-1", "A-2").replace("2019-01-01", '"' + "x" * 200_000 + '"')
    recs = records(f"{HEADER}\n{ROW}\n{huge}\n{ROW}\n".encode(), "x.csv")
    assert refs(recs) == ["A-1", "CLAIM_FILE_MALFORMED"]
    assert recs[1].position == "after row 2"
    assert "row 3" in recs[1].problem.message and "rest of the file" in recs[1].problem.message


def test_json_items_not_utf8_are_their_own_problems():
    """A bad byte inside a string of an array item spoils that item only, however far into
    the file; outside any string the document's structure is lost and reading stops."""
    good = [json.dumps(claim(f"A-{n}")).encode() for n in range(1, 4)]
    bad = b'{"external_ref": "\xe6"}'
    recs = records(b"[" + b",\n".join([good[0], b" " * CHUNK + bad, good[1], good[2]]) + b"]")
    assert refs(recs) == ["A-1", "CLAIM_FILE_ENCODING", "A-2", "A-3"]
    assert recs[1].position == "item 2"
    (rec,) = records(b'{"external_ref": "\xe6"}')  # one object: its own problem, no file error
    assert rec.problem.code == "CLAIM_FILE_ENCODING"
    recs = records(b"[" + good[0] + b", \xe6" + good[1] + b"]")
    assert refs(recs) == ["A-1", "CLAIM_FILE_ENCODING"]
    assert "rest of the file" in recs[1].problem.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "CLAIM_FILE_EMPTY"),
        (b"  \n\n ", "CLAIM_FILE_EMPTY"),
        (b"\xff\xfe[\x00]\x00", "CLAIM_FILE_ENCODING"),
        (b"hello world\n", "CLAIM_FILE_FORMAT"),
    ],
)
def test_unusable_files(data, code):
    with pytest.raises(ClaimFileError) as caught:
        records(data)
    assert caught.value.code == code


def test_paths_and_missing_files(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    assert refs(iter_claim_records(path)) == ["A-1"]
    assert refs(iter_claim_records(str(path))) == ["A-1"]
    with pytest.raises(ClaimFileError) as caught:
        list(iter_claim_records(tmp_path / "nope.json"))
    assert caught.value.code == "CLAIM_FILE_UNREADABLE"


def test_records_are_frozen():
    (rec,) = records(json.dumps(CLAIM).encode())
    with pytest.raises(AttributeError):
        rec.position = "x"  # type: ignore[misc]


def test_big_json_array_is_decoded_item_by_item():
    item = (json.dumps(claim("A")) + ",\n").encode()

    class EndlessArray(io.RawIOBase):
        def __init__(self):
            self.served = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            n = len(buffer)
            body = b"[" if self.served == 0 else b""
            chunk = body + item * (n // len(item) + 2)
            offset = 0 if self.served == 0 else (self.served - 1) % len(item)
            data = chunk[offset : offset + n]
            buffer[:n] = data
            self.served += n
            return n

    source = EndlessArray()
    stream = iter_claim_records(io.BufferedReader(source), name="endless")
    for _ in range(1000):
        assert next(stream).raw["external_ref"] == "A"
    assert source.served < 16 * CHUNK


# -- any input: a record or a coded error, never a crash ----------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(["2024-03-04", "13585628", "0101901234", "sickness", "1e400", "NaN"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*CLAIM, "correction", "x"]), inner, max_size=6)
    ),
    max_leaves=20,
)
_claimish = st.fixed_dictionaries(
    {k: st.one_of(st.just(v), _json_values) for k, v in CLAIM.items()}
)


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.lists(st.one_of(_claimish, _json_values), max_size=4).map(
            lambda items: "\n".join(json.dumps(i) for i in items).encode()
        ),
        st.lists(st.one_of(_claimish, _json_values), max_size=4).map(
            lambda items: json.dumps(items, indent=1).encode()
        ),
        st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=12), max_size=4).map(
            lambda rows: (HEADER + "\n" + "\n".join(",".join(r) for r in rows)).encode()
        ),
    ),
    st.sampled_from(["claims", "claims.csv"]),
)
def test_any_file_gives_records_or_a_coded_error_and_any_record_a_claim_or_problems(data, name):
    """Whatever the bytes: reading yields records (each a raw claim or a problem) or raises
    ClaimFileError; parsing a raw claim gives a Claim or InvalidClaim with codes."""
    try:
        recs = records(data, name)
    except ClaimFileError as exc:
        assert exc.code.startswith("CLAIM_FILE_")
        return
    for rec in recs:
        assert (rec.raw is None) != (rec.problem is None)
        if rec.raw is not None:
            try:
                parse_claim(rec.raw, TODAY)
            except InvalidClaim as exc:
                assert exc.problems and all(p.code for p in exc.problems)


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


#: bytes a file saved in Latin-1 or Windows-1252 holds (never an ASCII separator)
_bad_bytes = st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=3).map(bytes).filter(_not_utf8)
_TEXT_FIELDS = [k for k, v in CLAIM.items() if isinstance(v, str)]


@settings(max_examples=300)
@given(st.sampled_from(["csv", "ndjson", "json"]), st.integers(1, 8), _bad_bytes, st.data())
def test_bytes_not_utf8_mid_file_spoil_only_their_own_record(shape, n, bad, data):
    """Bytes that are not UTF-8 put anywhere in one CSV row, anywhere inside one NDJSON line,
    or anywhere in a string of one JSON array item: that record is CLAIM_FILE_ENCODING at its
    own position, and every other record is read, in order — before it and after it."""
    refs_ = [f"A-{i}" for i in range(1, n + 1)]
    k = data.draw(st.integers(0, n - 1), label="record")
    texts = [json.dumps(claim(r)).encode() for r in refs_]
    if shape == "csv":
        texts = [ROW.replace("A-1", r).encode() for r in refs_]
        at = data.draw(st.integers(0, len(texts[k])), label="offset")
    elif shape == "ndjson":  # strictly inside: the first line's { … } tells the format
        at = data.draw(st.integers(1, len(texts[k]) - 1), label="offset")
    else:
        field = data.draw(st.sampled_from(_TEXT_FIELDS), label="field")
        start = texts[k].index(f'"{field}": "'.encode()) + len(field) + 5
        at = start + data.draw(st.integers(0, len(str(CLAIM[field]))), label="offset")
    texts[k] = texts[k][:at] + bad + texts[k][at:]
    if shape == "csv":
        file, name, position = HEADER.encode() + b"\n" + b"\n".join(texts), "x.csv", f"row {k + 2}"
    elif shape == "ndjson":
        file, name, position = b"\n".join(texts) + b"\n", "claims", f"line {k + 1}"
    else:
        file, name, position = b"[" + b",\n".join(texts) + b"]", "claims", f"item {k + 1}"
    recs = records(file, name)
    assert [(r.position, r.problem.code) for r in recs if r.problem] == [
        (position, "CLAIM_FILE_ENCODING")
    ]
    assert [r.raw["external_ref"] for r in recs if r.raw] == refs_[:k] + refs_[k + 1 :]
