"""Activation letters: the queue (never with codes) and the export for the mail house.

An account takeover must need two people. A citizen or caseworker registration waits for
the one-time code sent by letter to the owner's address; if the operator who registered
it could read the code, one person could register an account of their choosing for
someone else and activate it. So:

- :func:`queue` lists letters with their state only, never a code;
- :func:`export` writes one printable letter per pending registration into a directory for
  the mail house — the only place a code ever appears — and then clears the code from the
  database (the registration keeps only its hash), so each code is exported once and
  exists only on paper. A letter whose request was replaced, closed, locked or activated
  is void and not exported;
- an exporter never exports a letter for a registration they made themself (compared as
  identities): those are left for another operator and reported as ``skipped_own``. The
  exporter saw the codes, so :func:`payments.registry.lifecycle.activate` refuses them too.
  The owner registering through self-service is the exception the activation allows: the
  letter at their own address is then the second factor.

The letter names the owner's CPR masked (it goes to the owner's address, where the mail
house puts it; the engine keeps no addresses) and the code in full, says what the code
activates and what to do if the owner did not ask for it. Files are ``letter-<id>.txt``,
0600, created new through :mod:`payments.files`. The export is audited with counts and
letter ids, never codes.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from identifiers import mask_account, mask_owner
from payments import actors, audit, files
from payments.db import lock_for_writing
from payments.models import AccountRegistration as AR
from payments.models import ActivationLetter
from payments.registry import lifecycle, periods
from payments.registry.lifecycle import REGISTRY_LOCK
from payments.statuses import RegistrationStatus as S

CODE_LINE = "Activation code: "  # the line the code stands on, alone


@dataclass(frozen=True, slots=True)
class Letter:
    """One letter of the queue, with the state of the request it would activate."""

    letter_id: int
    registration_id: int
    owner_kind: str
    owner_number: str
    created_at: dt.datetime
    status: str
    withdrawn: bool  # a pending request replaced by a newer one or closed: the code is void
    exported_at: dt.datetime | None
    exported_by: str | None


@dataclass(frozen=True, slots=True)
class Export:
    """What an export wrote: the letters (by id) and their files; the letters it left for
    another operator because the exporter registered them."""

    letter_ids: tuple[int, ...]
    files: tuple[Path, ...]
    skipped_own: tuple[int, ...]


def queue(session: Session, *, pending_only: bool = False) -> list[Letter]:
    """Every letter, oldest first (only those of requests still pending: ``pending_only``)."""
    query = (
        select(ActivationLetter, AR.status, AR.ended_on)
        .join(AR, AR.id == ActivationLetter.registration_id)
        .order_by(ActivationLetter.id)
    )
    if pending_only:
        query = query.where(periods.is_pending(AR))
    return [
        Letter(
            letter.id,
            letter.registration_id,
            letter.owner_kind,
            letter.owner_number,
            letter.created_at,
            status,
            status == S.PENDING_ACTIVATION and ended_on is not None,
            letter.exported_at,
            letter.exported_by,
        )
        for letter, status, ended_on in session.execute(query)
    ]


def render(letter: ActivationLetter, reg: AR, on: dt.date) -> str:
    """The letter's text (plain text, for the mail house to print and post)."""
    owner = mask_owner(letter.owner_kind, letter.owner_number)
    account = mask_account(reg.reg_no, reg.account_no, reg.iban)
    how = (
        "by you through self-service"
        if reg.registered_by_owner
        else ("by an authority on your behalf" if reg.channel == "authority" else "on your behalf")
    )
    paragraphs = [
        f"On {reg.registered_at:%Y-%m-%d} a new NemKonto, account {account}, was registered "
        f"for you {how} (registration {reg.id}). Public payments to you will be made to "
        "that account once the registration is activated with the code below.",
        f"{CODE_LINE}{letter.code}",
        "The code activates this registration only, and only once, until "
        f"{lifecycle.activation_valid_until(reg.active_from).isoformat()} "
        f"({lifecycle.ACTIVATION_VALID_DAYS} days). After five wrong codes, or after that "
        "day, the registration must be made again.",
        "If you did not ask for this account to be registered, do not use the code and "
        "give it to no one. Contact the NemKonto authority at once: the registration is "
        "then cancelled and your payments keep going to your present account.",
    ]
    head = [
        "NemKonto - activation of a new payout account",
        f"Letter {letter.id}, {on.isoformat()}",
        "",
        f"To the owner of CPR {owner}",
    ]
    body = [textwrap.fill(p, 78) for p in paragraphs]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"


def export(session: Session, directory: Path, *, actor: str, now: dt.datetime) -> Export:
    """Write every letter not yet exported of a pending request into ``directory`` (made
    0700 if missing), then mark the letters exported and clear their codes.

    Files are written before the commit: if one cannot be written, those already written
    are removed and nothing is marked, so the next export writes them all again."""
    actor = actors.actor(actor)
    lock_for_writing(session, REGISTRY_LOCK)  # not beside a registration or an activation
    rows = session.execute(
        select(ActivationLetter, AR)
        .join(AR, AR.id == ActivationLetter.registration_id)
        .where(ActivationLetter.exported_at.is_(None), periods.is_pending(AR))
        .order_by(ActivationLetter.id)
    ).all()
    mine = [letter.id for letter, reg in rows if actors.same(actor, reg.actor)]
    todo = [(letter, reg) for letter, reg in rows if letter.id not in mine]
    written: list[Path] = []
    if todo:
        out = files.ensure_dir(directory)
        try:
            for letter, reg in todo:
                text = render(letter, reg, now.date())
                written.append(files.write_new(out / f"letter-{letter.id:08d}.txt", text.encode()))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    for letter, _ in todo:
        letter.exported_at, letter.exported_by, letter.code = now, actor, None
    if todo or mine:
        audit.append(
            session,
            actor=actor,
            action="account.letters_exported",
            subject="registry:letters",
            payload={
                "letters": len(todo),
                "letter_ids": [letter.id for letter, _ in todo],
                "skipped_own": mine,
            },
            now=now,
        )
    session.flush()
    return Export(tuple(letter.id for letter, _ in todo), tuple(written), tuple(mine))
