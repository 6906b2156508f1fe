"""Read claim files as a stream of records: one JSON object, a JSON array, NDJSON or CSV.

``iter_claim_records(path_or_binary_file)`` yields one frozen ``ClaimRecord`` per claim, in
file order, without ever holding the file in memory: NDJSON and CSV are read line by line,
a JSON array is decoded item by item (``json.JSONDecoder.raw_decode`` over a sliding
buffer). Numbers are parsed as ``Decimal`` (never float).

Each record is ``(position, raw, problem)``: ``position`` is ``"line 7"`` (NDJSON),
``"item 3"`` (JSON array or object) or ``"row 12"`` (CSV, counted as a spreadsheet shows it:
the header is row 1); exactly one of ``raw`` (the claim as a dict) and ``problem`` is set.

The format is detected from the content: a ``.csv`` name, or a first line that is not JSON
and holds commas, is CSV; a first non-blank character ``[`` is a JSON array; ``{`` on a
first line that is a complete object is NDJSON, otherwise one (pretty-printed) JSON
object — or several in a row.

Errors, and where they go:

- one bad record is a *record* problem and the rest of the file is still read: malformed JSON
  on an NDJSON line (``CLAIM_FILE_MALFORMED``, with the line number), a value that is not
  an object (``CLAIM_NOT_AN_OBJECT``), a CSV row with more cells than the header;
- bytes that are not UTF-8 (a Latin-1 ``\xe6`` from a spreadsheet saved in the wrong
  encoding) are decoded *per record*: the NDJSON line, the CSV row or the JSON array item
  that holds them is a ``CLAIM_FILE_ENCODING`` problem at its real position (``row 502``;
  for a CSV row the field is the column), and every record before and after it is read as
  usual. This is safe because the separators of these formats (newline, comma, quote,
  brackets) are ASCII bytes, which a byte that is not UTF-8 never hides: text is decoded
  with ``surrogateescape``, so each bad byte becomes one lone surrogate in its own cell or
  string and nothing else moves. Such a surrogate can come from nothing but a bad byte
  (strict UTF-8 never yields one, and CSV has no escapes), so the check is exact. A bad
  byte in the CSV header, or outside any string in a JSON document, leaves the file's
  structure unknown: the first is a file error, the second ends the file as below;
- inside a JSON array or object a syntax error cannot be skipped safely: it is yielded as the
  last record's problem (with the line) and reading stops; so is JSON nested too deeply to
  decode (on an NDJSON line it is that line's problem);
- the file as a whole is unusable → ``ClaimFileError`` (a ``RuleError``, CLI exit 2):
  ``CLAIM_FILE_UNREADABLE``, ``CLAIM_FILE_EMPTY``, ``CLAIM_FILE_FORMAT``,
  ``CLAIM_FILE_ENCODING`` (UTF-16/32, or a CSV header that is not UTF-8),
  ``CLAIM_FILE_MISSING_COLUMN`` / ``CLAIM_FILE_UNKNOWN_COLUMN`` /
  ``CLAIM_FILE_DUPLICATE_COLUMN`` (CSV header), a CSV row the reader cannot parse. Raised
  only before the first record: found later (a cell over 128 KiB), the error is yielded as
  a last record (position ``"after row 12"``) and reading stops, so the records before it
  are processed like any others.

Duplicate keys inside one JSON object keep the last value (the ``json`` module's rule).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from rules import codes
from rules.claim import FIELDS, REQUIRED
from rules.errors import ClaimFileError, Problem

__all__ = ["ClaimRecord", "iter_claim_records"]

CHUNK = 1 << 16
MAX_RECORD = 8 << 20  # one claim larger than 8 MiB is not a claim
_WS = re.compile(r"[ \t\n\r]*")
_BOMS_REFUSED = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
#: what ``surrogateescape`` makes of a byte that is not UTF-8 (and nothing else can make)
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_SAVE_AS_UTF8 = "save the file as UTF-8"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
# the decoder recurses per level: a line of 100,000 "[" would otherwise end the whole file
_TOO_DEEP = "malformed JSON: nested too deeply"


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One record of a claim file: the raw claim or the problem reading it."""

    position: str
    raw: dict[str, Any] | None
    problem: Problem | None


def iter_claim_records(
    source: str | os.PathLike[str] | IO[bytes], *, name: str | None = None
) -> Iterator[ClaimRecord]:
    """Stream the records of a claim file (a path, or a binary file object)."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise ClaimFileError(
                codes.CLAIM_FILE_UNREADABLE, f"cannot open {path}: {exc.strerror}", field=path
            ) from None
        with handle:
            yield from _records(handle, path)
    else:
        if isinstance(source, io.TextIOBase):
            raise ClaimFileError(codes.CLAIM_FILE_UNREADABLE, "open the claim file in binary mode")
        yield from _records(source, name or str(getattr(source, "name", "")))


def _records(handle: IO[bytes], name: str) -> Iterator[ClaimRecord]:
    head, eof = _read_head(handle)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith(_BOMS_REFUSED):
        raise ClaimFileError(
            codes.CLAIM_FILE_ENCODING, f"{name or 'the file'} is UTF-16/32; save it as UTF-8"
        )
    start = len(head) - len(head.lstrip())
    if start == len(head):
        raise ClaimFileError(codes.CLAIM_FILE_EMPTY, f"{name or 'the file'} holds no claims")
    first = head[start : start + 1]
    newline = head.find(b"\n", start)
    first_line = head[start : newline if newline >= 0 else len(head)].strip()
    stream = io.BufferedReader(_Prefixed(head, handle), CHUNK)
    if name.lower().endswith(".csv") or first not in (b"[", b"{"):
        if not name.lower().endswith(".csv") and b"," not in first_line:
            raise ClaimFileError(
                codes.CLAIM_FILE_FORMAT,
                f"{name or 'the file'} is neither JSON (object, array, NDJSON) nor CSV",
            )
        yield from _ending_with_problem(_csv(stream))
    elif first == b"{" and first_line.endswith(b"}") and (newline >= 0 or eof):
        yield from _ndjson(stream)
    else:
        yield from _ending_with_problem(_json_document(stream))


def _ending_with_problem(records: Iterator[ClaimRecord]) -> Iterator[ClaimRecord]:
    """A file error before the first record fails the file (nothing is processed); after
    it, the error ends the file as one more record with a problem, so the records before
    it are processed as usual and the error is reported where it was found."""
    last = None
    try:
        for record in records:
            last = record.position
            yield record
    except ClaimFileError as exc:
        if last is None:
            raise
        yield _problem(
            f"after {last}", exc.code, f"{exc.message}; the rest of the file is not read"
        )


def _read_head(handle: IO[bytes]) -> tuple[bytes, bool]:
    """Bytes up to the end of the first non-blank line (or 64 KiB of it, or the whole file)."""
    buf = b""
    while True:
        data = handle.read(CHUNK)
        if not data:
            return buf, True
        buf += data
        start = len(buf) - len(buf.lstrip())
        if start < len(buf) and (buf.find(b"\n", start) >= 0 or len(buf) - start >= CHUNK):
            return buf, False


class _Prefixed(io.RawIOBase):
    """The bytes already read for detection, then the rest of the caller's file."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n


def _problem(position: str, code: str, message: str, field: str | None = None) -> ClaimRecord:
    return ClaimRecord(position, None, Problem(code, field, f"{position}: {message}"))


def _record(position: str, value: Any) -> ClaimRecord:
    if isinstance(value, dict):
        return ClaimRecord(position, value, None)
    if isinstance(value, _NotUtf8):
        return _problem(
            position,
            codes.CLAIM_FILE_ENCODING,
            f"not UTF-8 (a string at line {value.line}; {_SAVE_AS_UTF8})",
        )
    return _problem(position, codes.CLAIM_NOT_AN_OBJECT, "a claim must be a JSON object")


# -- NDJSON ---------------------------------------------------------------------------------


def _ndjson(stream: io.BufferedReader) -> Iterator[ClaimRecord]:
    number = 0
    while True:
        line = stream.readline(MAX_RECORD)
        if not line:
            return
        number += 1
        position = f"line {number}"
        if len(line) >= MAX_RECORD and not line.endswith(b"\n"):
            while True:  # skip the rest of an overlong line
                rest = stream.readline(CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield _problem(position, codes.CLAIM_FILE_MALFORMED, "line longer than 8 MiB")
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _problem(
                position,
                codes.CLAIM_FILE_ENCODING,
                f"not UTF-8 (byte {exc.start + 1} of the line)",
            )
            continue
        text = text.strip()
        if not text:
            continue
        try:
            value = _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            yield _problem(
                position,
                codes.CLAIM_FILE_MALFORMED,
                f"malformed JSON: {exc.msg} (column {exc.colno})",
            )
            continue
        except ValueError as exc:
            yield _problem(position, codes.CLAIM_FILE_MALFORMED, f"malformed JSON: {exc}")
            continue
        except RecursionError:
            yield _problem(position, codes.CLAIM_FILE_MALFORMED, _TOO_DEEP)
            continue
        yield _record(position, value)


# -- JSON array / object(s) -------------------------------------------------------------------


class _Malformed(Exception):
    def __init__(self, line: int, message: str, code: str = codes.CLAIM_FILE_MALFORMED) -> None:
        self.line = line
        self.message = message
        self.code = code


class _JsonStream:
    """A sliding text buffer over the file that ``raw_decode`` can work on."""

    def __init__(self, stream: io.BufferedReader) -> None:
        self._text = io.TextIOWrapper(
            stream, encoding="utf-8", errors="surrogateescape", newline=""
        )
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line_base = 1

    def fill(self) -> bool:
        if self.eof:
            return False
        if self.pos:
            self.line_base += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        chunk = self._text.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def line(self, pos: int | None = None) -> int:
        return self.line_base + self.buf.count("\n", 0, self.pos if pos is None else pos)

    def peek(self) -> str | None:
        """The next non-blank character (not consumed), ``None`` at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return None

    def malformed(self, message: str, pos: int | None = None) -> _Malformed:
        """The syntax error at ``pos``; one that is a byte not UTF-8 says so."""
        pos = self.pos if pos is None else pos
        if _NOT_UTF8.match(self.buf, pos):
            return _Malformed(self.line(pos), "between values", codes.CLAIM_FILE_ENCODING)
        return _Malformed(self.line(pos), message)

    def value(self) -> Any:
        """The next JSON value: a claim, or ``_NotUtf8`` when its text holds bytes that
        are not UTF-8 (inside its strings: the value around them is whole)."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated")
                if not self.eof and incomplete and len(self.buf) - self.pos <= MAX_RECORD:
                    self.fill()
                    continue
                raise self.malformed(f"{exc.msg} (column {exc.colno})", exc.pos) from None
            except ValueError as exc:
                raise _Malformed(self.line(), str(exc)) from None
            except RecursionError:
                raise _Malformed(self.line(), _TOO_DEEP) from None
            if end >= len(self.buf) and not self.eof and self.fill():
                continue  # a number at the end of the buffer may go on
            bad = _NOT_UTF8.search(self.buf, self.pos, end)
            if bad is not None:
                value = _NotUtf8(self.line(bad.start()))
            self.pos = end
            return value


@dataclass(frozen=True, slots=True)
class _NotUtf8:
    """A JSON item whose strings hold bytes that are not UTF-8 (at ``line``)."""

    line: int


def _json_document(stream: io.BufferedReader) -> Iterator[ClaimRecord]:
    js = _JsonStream(stream)
    item = 0
    try:
        if js.peek() == "[":
            js.pos += 1
            char = js.peek()
            if char == "]":
                js.pos += 1
            else:
                while True:
                    if char is None:
                        raise _Malformed(js.line(), "the array is not closed")
                    item += 1
                    yield _record(f"item {item}", js.value())
                    char = js.peek()
                    if char == ",":
                        js.pos += 1
                        char = js.peek()
                        if char == "]":
                            raise js.malformed("a comma before ]")
                        continue
                    if char == "]":
                        js.pos += 1
                        break
                    raise js.malformed("expected , or ] after an array item")
            if js.peek() is not None:
                raise js.malformed("data after the end of the array")
        else:
            while js.peek() is not None:
                item += 1
                yield _record(f"item {item}", js.value())
    except _Malformed as exc:
        what = "malformed JSON" if exc.code == codes.CLAIM_FILE_MALFORMED else "not UTF-8"
        tail = "" if exc.code == codes.CLAIM_FILE_MALFORMED else f" ({_SAVE_AS_UTF8})"
        yield _problem(
            f"item {max(item, 1)}",
            exc.code,
            f"{what} at line {exc.line}: {exc.message}; the rest of the file is not read{tail}",
        )


# -- CSV ----------------------------------------------------------------------------------------


def _csv(stream: io.BufferedReader) -> Iterator[ClaimRecord]:
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    row_number = 1
    try:
        header = [cell.strip() for cell in next(reader)]
        if _not_utf8(header) is not None:
            raise ClaimFileError(
                codes.CLAIM_FILE_ENCODING, f"the header (row 1) is not UTF-8; {_SAVE_AS_UTF8}"
            )
        _check_header(header)
        width = len(header)
        for row in reader:
            row_number += 1
            if not any(cell.strip() for cell in row):
                continue
            position = f"row {row_number}"
            if len(row) > width:
                yield _problem(
                    position,
                    codes.CLAIM_FILE_MALFORMED,
                    f"{len(row)} cells but the header has {width} columns",
                )
                continue
            bad = _not_utf8(row)
            if bad is not None:
                yield _problem(
                    position,
                    codes.CLAIM_FILE_ENCODING,
                    f"column {header[bad]} is not UTF-8; {_SAVE_AS_UTF8}",
                    header[bad],
                )
                continue
            raw = {k: v for k, v in zip(header, row, strict=False) if v.strip()}
            yield ClaimRecord(position, raw, None)
    except StopIteration:
        raise ClaimFileError(codes.CLAIM_FILE_EMPTY, "the CSV file has no header") from None
    except csv.Error as exc:
        raise ClaimFileError(
            codes.CLAIM_FILE_MALFORMED, f"row {row_number + 1}: unreadable CSV ({exc})"
        ) from None


def _not_utf8(cells: list[str]) -> int | None:
    """The index of the first cell holding a byte that was not UTF-8, or None (most rows
    are ASCII, which one C-level test of the joined row settles)."""
    joined = "".join(cells)
    if joined.isascii() or _NOT_UTF8.search(joined) is None:
        return None
    return next(i for i, cell in enumerate(cells) if _NOT_UTF8.search(cell))


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise ClaimFileError(
                codes.CLAIM_FILE_DUPLICATE_COLUMN, f"column {column} appears twice", field=column
            )
        seen.add(column)
    unknown = [c for c in header if c not in FIELDS]
    if unknown:
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " (the file seems to use ';' between columns; the claim format uses ',')"
        raise ClaimFileError(
            codes.CLAIM_FILE_UNKNOWN_COLUMN,
            f"unknown column(s): {', '.join(unknown)}{hint}",
            field=unknown[0],
        )
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise ClaimFileError(
            codes.CLAIM_FILE_MISSING_COLUMN,
            f"required column(s) missing: {', '.join(missing)}",
            field=missing[0],
        )
