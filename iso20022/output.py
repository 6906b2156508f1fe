"""Files this package writes: complete or absent, readable by their owner only, hashed.

A payment file holds account numbers and moves money, a status report names payees: both
are created mode 0600. :func:`atomic_file` creates a temporary file beside the target with
``os.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)`` (never an existing file,
never through a symlink planted under that name), lets the caller write it, ``fsync``\\ s it,
renames it onto the target and ``fsync``\\ s the directory, so a crash leaves either the old
file or the new one. On any error the temporary file is removed and the target untouched.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file to write; on a clean exit it replaces ``path`` (see module doc)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")
    fd = os.open(tmp, _FLAGS, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class HashingSink:
    """The file object a writer writes to, hashing (SHA-256) and counting the bytes on the
    way, so the caller gets the file's hash without reading it back."""

    __slots__ = ("_out", "_hash", "size")

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)
        self._out.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
