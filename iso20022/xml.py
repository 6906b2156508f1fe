"""Hardened XML reading, shared by every reader and by validation.

A file from a bank, or one dropped into a folder by mistake, is untrusted input. Every read
in this package goes through here, with these defences:

* **regular files only**: a FIFO, a device, a directory or a socket is refused at once
  (``FILE_UNUSABLE``) without being opened: opening or reading a FIFO blocks until some
  other process writes to it, which would hang an import for ever. The path is ``stat``-ed
  first (following a symlink: a link to a regular file is fine, the target is what is
  checked), then opened with ``O_NONBLOCK`` (so a FIFO swapped in between cannot block
  either) and checked again on the open descriptor (regular, same device and inode);
* **one open file, many passes**: a :class:`Source` is opened once and every pass over it
  (sniffing, validation, reading) reads with ``os.pread`` from offset 0, so passes share no
  file position and the file validated is the file read, even if the path is replaced
  meanwhile. Functions that take a path open a :class:`Source` for that call only;
* **size**: a file over ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`, 512 MiB) is refused
  before parsing (``XML_TOO_LARGE``), and the limit is enforced again while reading, for
  files that grow or lie about their size;
* **no DTD at all**: ISO 20022 messages never have one, so any ``<!DOCTYPE`` or ``<!ENTITY``
  is refused (``XML_FORBIDDEN``) rather than parsed with care. The first block of the file
  is scanned before lxml sees it, so a billion-laughs or ``file:///etc/passwd`` entity file
  is refused in microseconds; the parser's own record of a DOCTYPE is checked again at the
  first element, for a DOCTYPE hidden behind a long comment or an unusual encoding;
* the lxml parser itself never resolves entities, never loads a DTD, never touches the
  network and keeps libxml2's limits on text size and nesting depth (``huge_tree=False``);
* malformed XML (truncated, not XML) is ``XML_MALFORMED`` with the line number;
* streaming: readers use :func:`iterparse` and :func:`release` the elements they are done
  with, so memory does not grow with the number of transactions.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from iso20022.errors import XmlInputError

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
ISO_NAMESPACE = re.compile(
    r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.[0-9]{3}\.[0-9]{3}\.[0-9]{2})"
)
_PRESCAN = 64 * 1024
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def _forbidden(what: str) -> XmlInputError:
    return XmlInputError(
        "XML_FORBIDDEN",
        f"the file contains a {what}; DTDs and entity declarations are refused "
        "(ISO 20022 messages have none)",
    )


class _LimitedReader:
    """One pass over a :class:`Source`: ``os.pread`` from offset 0, at most ``limit`` bytes,
    the head scanned for DTDs, and (when given) every byte fed to ``digest``."""

    __slots__ = ("_fd", "_limit", "_read", "_digest")

    def __init__(self, fd: int, limit: int, digest=None) -> None:
        self._fd = fd
        self._limit = limit
        self._read = 0
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._limit + 1 - self._read
        try:
            data = os.pread(self._fd, size, self._read)
        except OSError as exc:
            raise XmlInputError("XML_UNREADABLE", f"cannot read: {exc.strerror or exc}") from None
        first = self._read == 0
        self._read += len(data)
        if self._read > self._limit:
            raise _too_large(self._limit)
        if self._digest is not None:
            self._digest.update(data)
        if first:
            head = data[:_PRESCAN]
            for token in _FORBIDDEN:
                if token in head:
                    raise _forbidden(token.decode()[2:] + " declaration")
        return data


class SchemaViolation(Exception):
    """The document is well-formed but breaks the schema; ``entries`` is libxml2's log."""

    def __init__(self, entries: list[etree._LogEntry]) -> None:
        super().__init__(f"{len(entries)} schema errors")
        self.entries = [e for e in entries if e.domain_name == "SCHEMASV"]


def _too_large(limit: int) -> XmlInputError:
    return XmlInputError("XML_TOO_LARGE", f"the file is larger than the limit of {limit:,} bytes")


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _unusable(name: str, mode: int) -> XmlInputError:
    kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
    return XmlInputError(
        "FILE_UNUSABLE", f"{name} is {kind}, not a regular file; it is not read", "file"
    )


def _unreadable(name: str, exc: OSError) -> XmlInputError:
    return XmlInputError("XML_UNREADABLE", f"cannot read {name}: {exc.strerror or exc}")


class Source:
    """A regular file opened once, read by any number of independent passes.

    See the module docstring for why. ``Source(path)`` raises ``XML_UNREADABLE`` (missing,
    no permission), ``FILE_UNUSABLE`` (not a regular file, or replaced while being opened)
    or ``XML_TOO_LARGE``; it is a context manager, and is also closed when collected.
    """

    __slots__ = ("path", "size", "max_bytes", "_fd", "_closer", "__weakref__")

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES):
        name = os.fspath(path)  # a file object is a TypeError: only paths are accepted
        try:
            before = os.stat(name)
        except OSError as exc:
            raise _unreadable(name, exc) from None
        if not stat.S_ISREG(before.st_mode):
            raise _unusable(name, before.st_mode)
        if before.st_size > max_bytes:
            raise _too_large(max_bytes)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise _unreadable(name, exc) from None
        try:
            after = os.fstat(fd)
            if not stat.S_ISREG(after.st_mode):
                raise _unusable(name, after.st_mode)
            if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
                raise XmlInputError(
                    "FILE_UNUSABLE", f"{name} was replaced while it was being opened", "file"
                )
            if after.st_size > max_bytes:
                raise _too_large(max_bytes)
        except BaseException:
            os.close(fd)
            raise
        self.path = name
        self.size = after.st_size
        self.max_bytes = max_bytes
        self._fd = fd
        self._closer = weakref.finalize(self, os.close, fd)

    def reader(self, digest=None) -> _LimitedReader:
        """A fresh pass from the first byte (``digest``: a hashlib object fed every byte)."""
        if not self._closer.alive:
            raise XmlInputError("XML_UNREADABLE", f"{self.path} was already closed")
        return _LimitedReader(self._fd, self.max_bytes, digest)

    def sha256(self) -> str:
        """The SHA-256 of the whole file, read through this descriptor."""
        digest = hashlib.sha256()
        reader = self.reader(digest)
        while reader.read(1 << 20):
            pass
        return digest.hexdigest()

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _source(path: str | os.PathLike[str] | Source, max_bytes: int) -> tuple[Source, bool]:
    """``(source, opened_here)``: a :class:`Source` is used as it is, a path is opened."""
    if isinstance(path, Source):
        return path, False
    return Source(path, max_bytes=max_bytes), True


def _malformed(exc: etree.XMLSyntaxError, log: etree._ListErrorLog) -> XmlInputError:
    """The parser's first error (its log is more precise than the exception's own text)."""
    entries = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    if entries:
        message, line = entries[0].message, entries[0].line
    else:
        message, line = str(exc.msg or exc), exc.lineno
    message = re.sub(r",? line \d+, column \d+$", "", message.strip())
    return XmlInputError("XML_MALFORMED", f"not well-formed XML: {message}", line=line or None)


def iterparse(
    path: str | os.PathLike[str] | Source,
    *,
    events: Sequence[str] = ("end",),
    tag: str | Sequence[str] | None = None,
    schema: etree.XMLSchema | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    digest=None,
) -> Iterator[tuple[str, etree._Element]]:
    """Hardened ``lxml.etree.iterparse`` over a file; errors become :class:`XmlInputError`.

    ``path`` is a path (opened for this pass only) or an open :class:`Source`. ``schema``
    validates while parsing; a well-formed but invalid document then raises
    :class:`SchemaViolation` at its end, every other problem a coded error. ``digest`` (a
    hashlib object) is fed every byte the pass reads.
    """
    source, opened = _source(path, max_bytes)
    try:
        parser = etree.iterparse(
            source.reader(digest), events=tuple(events), tag=tag, schema=schema, **_PARSER_OPTIONS
        )
        try:
            for event, element in parser:  # the first event: check the DOCTYPE once
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise _forbidden("DOCTYPE declaration")
                yield event, element
                break
            yield from parser  # the rest, without a Python step per event
        except etree.XMLSyntaxError as exc:
            if schema is not None and _only_validity_errors(parser.error_log):
                raise SchemaViolation(list(parser.error_log)) from None
            raise _malformed(exc, parser.error_log) from None
    finally:
        if opened:
            source.close()


def _only_validity_errors(log: etree._ListErrorLog) -> bool:
    """True when the document is well-formed and merely breaks the schema."""
    errors = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    return bool(errors) and all(e.domain_name == "SCHEMASV" for e in errors)


def parse(
    path: str | os.PathLike[str] | Source, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._ElementTree:
    """The whole document as a tree, parsed with the same defences (for line numbers)."""
    for _event, element in iterparse(path, events=("end",), max_bytes=max_bytes):
        if element.getparent() is None:
            return element.getroottree()
    raise XmlInputError("XML_MALFORMED", "the file has no root element")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Root:
    """What the root element says about a message: namespace, local name, message type."""

    namespace: str | None
    name: str
    message_type: str | None  # e.g. "pain.002.001.03"; None when not an ISO 20022 namespace


def sniff(path: str | os.PathLike[str] | Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Root:
    """Read only as far as the root element, with every defence, and describe it."""
    for _event, element in iterparse(path, events=("start",), max_bytes=max_bytes):
        qname = etree.QName(element)
        match = ISO_NAMESPACE.fullmatch(qname.namespace or "")
        return Root(qname.namespace, qname.localname, match.group(1) if match else None)
    raise XmlInputError("XML_MALFORMED", "the file has no root element")  # pragma: no cover


def message_type(root: Root) -> str:
    """The message type ``root`` names; ``XML_UNKNOWN_MESSAGE`` if not an ISO 20022 Document."""
    if root.message_type is None or root.name != "Document":
        raise XmlInputError(
            "XML_UNKNOWN_MESSAGE",
            f"not an ISO 20022 message: root element {root.name!r} in namespace {root.namespace!r}",
        )
    return root.message_type


def expect(root: Root, family: str) -> str:
    """The message type of ``root`` if it is a ``family`` message (e.g. ``pain.002``).

    Raises ``XML_UNKNOWN_MESSAGE`` for anything that is not an ISO 20022 ``Document`` and
    ``XML_WRONG_MESSAGE`` for another ISO 20022 message.
    """
    found = message_type(root)
    if not found.startswith(family + "."):
        raise XmlInputError("XML_WRONG_MESSAGE", f"expected a {family} message, got {found}")
    return found


def release(element: etree._Element) -> None:
    """Free a processed element and its processed siblings of the same tag.

    Siblings of other tags (the header fields before a run of transactions) are kept, so a
    reader may still look at them; they are few.
    """
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is None:
        return
    tag = element.tag
    while (previous := element.getprevious()) is not None and previous.tag == tag:
        parent.remove(previous)


def localname(element: etree._Element) -> str:
    tag = element.tag
    return tag[tag.index("}") + 1 :] if tag[0] == "{" else tag


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    """``element.find`` with ``/``-separated local names in any namespace (``"Rsn/Cd"``)."""
    if element is None:
        return None
    return element.find(_any_namespace(path))


@functools.lru_cache(maxsize=512)
def _any_namespace(path: str) -> str:
    """``"Rsn/Cd"`` → ``"{*}Rsn/{*}Cd"`` (built once per path: readers call this per field)."""
    return "/".join("{*}" + step for step in path.split("/"))


def text(element: etree._Element | None, path: str) -> str | None:
    """The stripped text at ``path`` below ``element``, or ``None``."""
    found = find(element, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def to_decimal(value: str | None, element: etree._Element, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise XmlInputError(
            "XML_INVALID_VALUE", f"{what} {value!r} is not a number", line=element.sourceline
        )
    return result


def to_datetime(value: str | None, element: etree._Element, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise XmlInputError(
            "XML_INVALID_VALUE",
            f"{what} {value!r} is not an ISO date-time",
            line=element.sourceline,
        ) from None


def to_date(value: str | None, element: etree._Element, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise XmlInputError(
            "XML_INVALID_VALUE", f"{what} {value!r} is not an ISO date", line=element.sourceline
        ) from None
