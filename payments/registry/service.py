"""The registry as its callers use it: one transaction per call, what may be shown, audits.

The CLI and the HTTP API both call these functions; neither opens a session on the
registry or decides what may be shown. Views are masked (CPR ``010190-****``, account
``****1234``) unless ``reveal`` is asked for, and every reveal is written to the audit log
under the actor who asked — here, so that no caller can reveal without the audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from identifiers import mask_account, mask_owner, parse_owner
from payments import audit
from payments.db import read_scope, session_scope
from payments.errors import NotFound, PaymentsError
from payments.registry import bank_file, lifecycle, lookup
from payments.registry import letters as letters_
from payments.registry.lifecycle import Account, Activation, Change
from payments.statuses import HoldReason


def owner(kind: str, number: str, field: str | None = None) -> tuple[str, str]:
    """A validated owner key ``(kind, number)``."""
    return tuple(parse_owner(kind, number, field or kind))


def registration_view(row, reveal: bool) -> dict[str, Any]:
    """A registration as shown: masked, or with full numbers when ``reveal``."""
    view = {
        "registration_id": row.id,
        "owner_kind": row.owner_kind,
        "owner": row.owner_number if reveal else mask_owner(row.owner_kind, row.owner_number),
        "account": Account.of(row).reveal()
        if reveal
        else mask_account(row.reg_no, row.account_no, row.iban),
        "status": row.status,
        "channel": row.channel,
        "active_from": row.active_from,
        "ended_on": row.ended_on,
        "end_reason": row.end_reason,
        "rejected_reason": row.rejected_reason,
        "registered_at": row.registered_at,
        "registered_by": row.actor,
        "registered_by_owner": row.registered_by_owner,
        "activated_by": row.activated_by,
    }
    if reveal:
        view |= {"reg_no": row.reg_no, "account_no": row.account_no, "iban": row.iban,
                 "bic": row.bic}  # fmt: skip
    return view


def _revealed(session, actor: str, subject: str, now: dt.datetime, **payload) -> None:
    audit.append(
        session, actor=actor, action="account.revealed", subject=subject, payload=payload, now=now
    )


def register(
    engine: Engine, kind: str, number: str, account: Account, *, channel: str, actor: str,
    on: dt.date, now: dt.datetime, name: str | None = None, by_owner: bool = False,
) -> Change:  # fmt: skip
    """Register an account. ``by_owner`` only where the caller has authenticated the actor
    as the owner (the HTTP API's self-service): the owner may then activate it themself."""
    with session_scope(engine) as session:
        return lifecycle.register(
            session, kind, number, account, channel=channel, actor=actor, on=on, now=now,
            name=name,
            by_owner=by_owner,
        )  # fmt: skip


def activate(
    engine: Engine, kind: str, number: str, code: str, *, actor: str, on: dt.date,
    now: dt.datetime,
) -> Activation:  # fmt: skip
    """Try the letter's code. A wrong code is counted (committed) and then raised as
    ``ACCOUNT_ACTIVATION_CODE_WRONG`` (or ``ACCOUNT_ACTIVATION_LOCKED`` at the fifth)."""
    with session_scope(engine) as session:
        result = lifecycle.activate(session, kind, number, code, actor=actor, on=on, now=now)
    if result.code == "ACCOUNT_ACTIVATION_CODE_WRONG":
        raise PaymentsError(
            result.code,
            f"wrong activation code; {result.attempts_left} attempts left before the "
            "registration locks",
            "code",
        )
    if result.code is not None:
        raise PaymentsError(
            result.code,
            "wrong activation code; the registration is now locked and must be registered again",
            "code",
        )
    return result


def close(
    engine: Engine, kind: str, number: str, reason: str, *, actor: str, on: dt.date,
    now: dt.datetime,
) -> Change:  # fmt: skip
    with session_scope(engine) as session:
        return lifecycle.close(session, kind, number, reason, actor=actor, on=on, now=now)


def show(
    engine: Engine, kind: str, number: str, *, on: dt.date, reveal: bool, actor: str,
    now: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    """The NemKonto in force on ``on``; ``ACCOUNT_NOT_FOUND`` (with the reason: no account,
    or a registration waiting for its code) when there is none. A reveal is audited."""
    kind, number = owner(kind, number)
    with session_scope(engine) as session:
        row = lifecycle.as_of(session, kind, number, on)
        if row is None:
            reason = lookup.resolve(session, [(kind, number)], on)[(kind, number)].reason
            who = number if reveal else mask_owner(kind, number)
            note = (
                " (a registration waits for activation)"
                if reason == HoldReason.PENDING_ACTIVATION
                else ""
            )
            error = NotFound("ACCOUNT_NOT_FOUND", f"no NemKonto for {who} on {on}{note}", "owner")
            error.reason = reason
            raise error
        if reveal:
            _revealed(session, actor, f"registration:{row.id}", now, registration_id=row.id,
                      command="show", owner=mask_owner(kind, number), as_of=on)  # fmt: skip
        return registration_view(row, reveal) | {"as_of": on}


@dataclass(frozen=True)
class Standing:
    """An owner's registry standing on a day, masked: what an owner is shown of themselves."""

    in_force: dict[str, Any] | None  # the registration in force (rejected_by_bank included)
    reason: str | None  # why nothing is in force: PENDING_ACTIVATION or NO_ACCOUNT
    history: list[dict[str, Any]]  # every registration, oldest first


def standing(engine: Engine, kind: str, number: str, *, on: dt.date) -> Standing:
    """The owner's registration in force on ``on`` (or why there is none) and their history,
    masked, in one read: the same answers as :func:`show` and :func:`history` (a reveal is
    not offered here, so nothing is audited)."""
    kind, number = owner(kind, number)
    with read_scope(engine) as session:
        rows = lifecycle.standing(session, kind, number, on)
    in_force = [r for r, counted, _ in rows if counted]
    current = max(in_force, key=lambda r: (r.active_from, r.id)) if in_force else None
    reason = None
    if current is None:
        waits = any(pending for _, _, pending in rows)
        reason = HoldReason.PENDING_ACTIVATION if waits else HoldReason.NO_ACCOUNT
    return Standing(
        in_force=registration_view(current, False) | {"as_of": on} if current else None,
        reason=reason.value if reason else None,
        history=[registration_view(r, False) for r, _, _ in rows],
    )


def history(
    engine: Engine, kind: str, number: str, *, reveal: bool, actor: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """Every registration of the owner, oldest first; a reveal is audited."""
    kind, number = owner(kind, number)
    with session_scope(engine) as session:
        rows = lifecycle.history(session, kind, number)
        if rows and reveal:
            _revealed(session, actor, f"owner:{mask_owner(kind, number)}", now,
                      registration_ids=[r.id for r in rows], command="history",
                      owner=mask_owner(kind, number))  # fmt: skip
        return [registration_view(r, reveal) for r in rows]


def letters(engine: Engine, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """The activation-letter queue: each letter's state, never its code (codes exist only in
    the letters :func:`export_letters` writes)."""
    with session_scope(engine) as session:
        found = letters_.queue(session, pending_only=pending_only)
        return [
            {
                "letter_id": x.letter_id,
                "registration_id": x.registration_id,
                "owner": mask_owner(x.owner_kind, x.owner_number),
                "created_at": x.created_at,
                "state": "withdrawn" if x.withdrawn else x.status,
                "exported_at": x.exported_at,
                "exported_by": x.exported_by,
            }
            for x in found
        ]


def export_letters(
    engine: Engine, directory: str | Path, *, actor: str, now: dt.datetime
) -> letters_.Export:
    """Write the letters waiting for the mail house into ``directory``, one file each (see
    :mod:`payments.registry.letters`); audited with counts and ids, never codes."""
    done = None
    try:
        with session_scope(engine) as session:
            done = letters_.export(session, Path(directory), actor=actor, now=now)
    except BaseException:
        if done is not None:  # the commit failed: nothing is marked, no letter may be posted
            for path in done.files:
                path.unlink(missing_ok=True)
        raise
    return done


@dataclass(frozen=True, slots=True)
class BankFileImport:
    """A bank file applied: the result, and where its rejected rows were written."""

    result: bank_file.ImportResult
    rejects_file: Path | None
    rejects_error: PaymentsError | None  # the import is committed; the rejects file is not


def import_file(
    engine: Engine, path: str | Path, *, actor: str, now: dt.datetime
) -> BankFileImport:
    """Apply a bank file in one transaction (see :mod:`payments.registry.bank_file`), then
    write ``FILE.rejects.csv`` beside it (header only when nothing was rejected)."""
    with session_scope(engine) as session:
        result = bank_file.import_file(session, Path(path), actor=actor, now=now)
    try:
        return BankFileImport(result, bank_file.write_rejects(path, result.rejects), None)
    except OSError as exc:
        target = bank_file.rejects_path(path)
        error = PaymentsError(
            "IMPORT_REJECTS_UNWRITABLE", f"cannot write {target}: {exc.strerror}", "file"
        )
        return BankFileImport(result, None, error)
    except PaymentsError as unsafe:  # FILE_UNSAFE: a link or a foreign file at the name
        return BankFileImport(result, None, unsafe)


def suspicious(engine: Engine, on: dt.date, min_owners: int) -> list[bank_file.SharedAccount]:
    with session_scope(engine) as session:
        return bank_file.suspicious(session, on, min_owners)
