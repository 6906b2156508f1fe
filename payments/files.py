"""Every file the engine writes: created new, private, never through a link.

Payment files hold account numbers and decide where money goes; a planted symlink at a
temporary name once turned a released pain.001 into a link to a file an attacker could
edit after its SHA-256 was checked. So every file the engine writes — pain.001 files in the
output directory and the outbox, the bank file's rejects, activation letters, release
manifests — is made here:

- created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600 whatever the umask: a file or a
  link already at the name is never written through; a symlink, or anything but a regular
  file of ours, in the way is refused with ``FILE_UNSAFE`` (naming the path);
- in directories the engine creates with mode 0700 (an existing directory is used as the
  operator made it, but must be a directory);
- copies are re-hashed from the written file after ``fsync``, before they are renamed into
  place with ``os.replace`` (which replaces a name, never follows one), and the directory is
  fsynced so the rename survives a crash.

A stale temporary file of our own (a regular file left by a killed run) may be removed with
:func:`remove_own`; anything else at that name stays where it is and is refused.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from payments.errors import PaymentsError

FILE_MODE = 0o600
DIR_MODE = 0o700
_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_BLOCK = 1 << 20


def unsafe(path: Path, why: str) -> PaymentsError:
    return PaymentsError(
        "FILE_UNSAFE", f"{path}: {why}; the engine does not write there", str(path)
    )


def ensure_dir(path: str | Path) -> Path:
    """The directory, created (with its missing parents) mode 0700 when it does not exist."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and not probe.is_symlink():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        os.mkdir(directory, DIR_MODE)
        os.chmod(directory, DIR_MODE)  # whatever the umask took away or left
    if not path.is_dir():
        raise PaymentsError("FILE_UNUSABLE", f"{path} is not a directory", str(path))
    return path


def create(path: str | Path) -> BinaryIO:
    """A new file at ``path``, mode 0600, opened for writing (and reading back, to hash
    what was written); never an existing one."""
    path = Path(path)
    try:
        fd = os.open(path, _CREATE, FILE_MODE)
    except FileExistsError:
        raise unsafe(path, "a file or link is already there") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the name is a symlink (O_NOFOLLOW)
            raise unsafe(path, "is a symbolic link") from None
        raise
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def write_new(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a new file at ``path`` (fsynced)."""
    path = Path(path)
    with create(path) as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return path


def remove_own(path: str | Path) -> bool:
    """Remove a stale file of ours at ``path`` (a regular file owned by this user); True when
    one was removed. A link or a foreign file there is refused (``FILE_UNSAFE``)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise unsafe(path, "is a symbolic link")
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        raise unsafe(path, "is not a file this engine wrote")
    path.unlink()
    return True


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a regular file, read without following a link at the name."""
    path = Path(path)
    try:
        fd = os.open(path, _READ)
    except OSError as exc:
        if exc.errno == 40:
            raise unsafe(path, "is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise unsafe(path, "is not a regular file")
        digest = hashlib.sha256()
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_open_file(fd: int) -> str:
    digest = hashlib.sha256()
    offset = 0
    while block := os.pread(fd, _BLOCK, offset):
        digest.update(block)
        offset += len(block)
    return digest.hexdigest()


def copy_verified(source: str | Path, target: str | Path, tmp: str | Path, sha256: str) -> None:
    """Copy ``source`` to ``target`` through the new file ``tmp``; the written bytes must
    hash to ``sha256`` (read back from the file after fsync) before ``tmp`` is renamed."""
    source, target, tmp = Path(source), Path(target), Path(tmp)
    remove_own(tmp)
    with open(os.open(source, _READ), "rb", closefd=True) as src, create(tmp) as out:
        while block := src.read(_BLOCK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
        written = _hash_open_file(out.fileno())
    if written != sha256:
        tmp.unlink(missing_ok=True)
        raise PaymentsError(
            "BATCH_FILE_TAMPERED", f"the copy {target.name} does not match its recorded SHA-256",
            "batch_id",
        )  # fmt: skip
    publish(tmp, target)


def publish(tmp: str | Path, final: str | Path) -> None:
    """Rename ``tmp`` to ``final`` atomically and make the rename durable."""
    final = Path(final)
    os.replace(tmp, final)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
