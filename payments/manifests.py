"""Release manifests and checkpoints: the audit chain anchored outside the database.

Every released batch leaves ``pain001-<run date>-b<id>.manifest.json`` beside its files in
the outbox: the files with their SHA-256, transaction counts and totals, who ran, approved
and released it, and the audit chain's head *after* the release event (its event id, hash
and length), so the manifest vouches for the release itself. The outbox is what leaves the
engine for the bank; a manifest copied with the files is a record of the chain the database
cannot take back. ``payments audit checkpoint`` prints the same head for an operator to
keep elsewhere.

``payments audit verify --outbox DIR`` / ``--checkpoint FILE`` read those heads back as
:class:`payments.audit.Anchor` objects (:func:`read_anchor`, :func:`outbox_anchors`): a
manifest's ``audit`` object or a checkpoint's top level, each ``{"length", "hash",
"event_id"}``. A file that is not such a JSON object is ``AUDIT_ANCHOR_INVALID``; an outbox
without any manifest is ``AUDIT_ANCHOR_MISSING`` (verifying against nothing proves nothing).

The manifest is written like every file of the engine (:mod:`payments.files`: a new 0600
file, never through a link) under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from payments import files, money
from payments.audit import Anchor, Head
from payments.errors import InputError
from payments.models import Batch, BatchFile

SUFFIX = ".manifest.json"
FORMAT = "payments-release-manifest/1"
_HASH = re.compile(r"[0-9a-f]{64}\Z")
_MAX_BYTES = 1 << 20  # a manifest of 10,000 files is well below it


def name_for(batch: Batch) -> str:
    """``pain001-20240320-b7.manifest.json``: beside ``pain001-20240320-b7-001.xml`` …"""
    return f"pain001-{batch.run_date:%Y%m%d}-b{batch.id}{SUFFIX}"


def build(batch: Batch, batch_files: Sequence[BatchFile], head: Head) -> dict[str, Any]:
    """The manifest's content (amounts as strings of kroner, as the files hold them)."""
    return {
        "format": FORMAT,
        "batch_id": batch.id,
        "run_date": batch.run_date.isoformat(),
        "execution_date": batch.execution_date.isoformat(),
        "pain001_version": batch.pain001_version,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by,
        "released_by": batch.released_by,
        "released_at": batch.released_at.isoformat() if batch.released_at else None,
        "transactions": sum(f.tx_count for f in batch_files),
        "total": str(money.kr(sum(f.total_ore for f in batch_files))),
        "files": [
            {
                "name": f.filename,
                "msg_id": f.msg_id,
                "sha256": f.sha256,
                "transactions": f.tx_count,
                "total": str(money.kr(f.total_ore)),
            }
            for f in batch_files
        ],
        "audit": head.as_dict(),
    }


def write(outbox: Path, batch: Batch, batch_files: Sequence[BatchFile], head: Head) -> Path:
    """Write the batch's manifest into ``outbox`` (replacing one a failed release left)."""
    data = json.dumps(build(batch, batch_files, head), indent=2, ensure_ascii=False) + "\n"
    target = Path(outbox) / name_for(batch)
    tmp = target.with_name(f".{target.name}.tmp")
    files.remove_own(tmp)
    files.write_new(tmp, data.encode())
    files.publish(tmp, target)
    return target


def _invalid(path: Path, why: str) -> InputError:
    return InputError("AUDIT_ANCHOR_INVALID", f"{path}: {why}", str(path))


def read_anchor(path: str | Path) -> Anchor:
    """The anchor in a checkpoint file or a release manifest."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise _invalid(path, f"cannot be read ({exc.strerror})") from None
    if len(raw) > _MAX_BYTES:
        raise _invalid(path, "is too large to be a checkpoint or a manifest")
    try:
        data = json.loads(raw)
    except ValueError:
        raise _invalid(path, "is not JSON") from None
    head = data.get("audit", data) if isinstance(data, dict) else None
    if not isinstance(head, dict):
        raise _invalid(path, "is not a checkpoint or a release manifest")
    length, hash_, event_id = head.get("length"), head.get("hash"), head.get("event_id")
    if type(length) is not int or length < 0:
        raise _invalid(path, "has no chain length (a whole number)")
    if not isinstance(hash_, str) or not _HASH.match(hash_):
        raise _invalid(path, "has no chain hash (64 hexadecimal digits)")
    if event_id is not None and type(event_id) is not int:
        raise _invalid(path, "has an event id that is not a whole number")
    return Anchor(length, hash_, event_id, path.name)


def outbox_anchors(outbox: str | Path) -> tuple[Anchor, ...]:
    """The anchors of every release manifest in ``outbox``."""
    outbox = Path(outbox)
    if not outbox.is_dir():
        raise InputError("AUDIT_ANCHOR_MISSING", f"{outbox} is not a directory", str(outbox))
    found = sorted(p for p in outbox.iterdir() if p.name.endswith(SUFFIX) and p.is_file())
    if not found:
        raise InputError(
            "AUDIT_ANCHOR_MISSING",
            f"{outbox} holds no release manifest (*{SUFFIX}): nothing to verify against",
            str(outbox),
        )
    return tuple(read_anchor(p) for p in found)
