"""The NemKonto registry: register, activate, close, and "which account on day D".

An owner is ``(kind, number)`` (``cpr`` or ``cvr``); an account is Danish (reg. no. +
account no.) or an IBAN (+ optional BIC). Every registration is one row of
``account_registrations`` that is never deleted; only its status and end are updated.

Time. Validity is half-open: a registration is *in force* on day ``d`` when its status is
``active``, ``ended`` or ``rejected_by_bank`` and ``active_from <= d`` and (``ended_on`` is
null or ``d < ended_on``). ``ended`` therefore means "has an end date", which may still lie
in the future; every question about a date is answered from the dates alone.

Choices where the issue is silent (what a citizen, a bank or an agency would expect):

- A new registration may not start before the owner's timeline so far ends (the latest
  ``ended_on``, or the current registration's ``active_from``): that would rewrite history.
  Such a request fails with ``ACCOUNT_DATE_CONFLICT``. Starting on the same day as the
  current one is allowed (a same-day correction); the replaced row then has an empty period.
- Registering the account that is already the owner's current, *active* account is a no-op
  (outcome ``unchanged``), on every channel. Re-registering an account the bank rejected is a
  new registration: that is how a bank says "the account works again".
- ``citizen`` / ``authority`` registrations start ``pending_activation``; their
  ``active_from`` holds the request day until activation sets it to the activation day. Only
  the SHA-256 of the one-time code is kept on the registration; the code itself lives in the
  letter outbox until the letter is exported for the mail house, and then only in the letter
  (:mod:`payments.registry.letters`). A newer pending request supersedes an older pending or
  locked one (it gets ``ended_on`` and ``end_reason = 'replaced'`` but keeps its status: it
  was never in force). Pending requests do not block bank registrations and vice versa;
  whichever becomes active last is the current account.
- Four eyes on a takeover: activation is refused (``ACCOUNT_ACTIVATION_FOUR_EYES``) to the
  actor who registered the account, compared as identities — unless the owner registered
  it themself through self-service (``by_owner``, which only the authenticated HTTP API
  passes; the letter at their address is then the second factor) — and to the actor who
  exported its letter (they saw the code). The database holds the first rule too
  (``activation_four_eyes``). A refused activation counts no attempt: it was never tried.
- A code is valid :data:`ACTIVATION_VALID_DAYS` (60) days from the request (the letter's
  day); later the activation is refused (``ACCOUNT_ACTIVATION_EXPIRED``, no attempt
  counted) and the owner registers again, which sends a new letter.
- A wrong code counts an attempt; the 5th wrong code locks the request (status ``locked``).
  Wrong-code and lock outcomes are *returned*, not raised, so the caller commits the count.
- Ending a registration sets status ``ended`` — except a ``rejected_by_bank`` one, which
  keeps that status with its end date so history still shows the bank refused the account.
- ``close`` ends the current registration and also cancels any waiting (pending/locked)
  request of the owner. ``deceased`` is for CPR owners only, ``business_closed`` for CVR.
  With nothing current and nothing waiting it fails with ``ACCOUNT_NONE_TO_CLOSE``.
- All registry writers serialise on one advisory lock (``lock_for_writing``); the partial
  unique index on current registrations is the database's own guarantee behind it.
  :func:`mark_rejected_by_bank` takes no registry lock (it is one conditional UPDATE), so the
  returns import cannot deadlock against a registry writer on the audit lock.
- Audit events hold masked owners (``010190-****``), masked accounts (``****1234``) and
  registration ids, never a full CPR or account number.

When a registration counts (in force, current, waiting) is defined once, in
:mod:`payments.registry.periods`; which account an owner is paid into, in
:mod:`payments.registry.lookup`; the bank file import and the shared-account report in
:mod:`payments.registry.bank_file`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    Date,
    bindparam,
    case,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from identifiers import Bic, DomesticAccount, Iban, mask_account, mask_owner, parse_owner
from payments import actors, audit
from payments.db import lock_for_writing
from payments.errors import ConflictError, InputError, NotFound
from payments.models import CHANNELS, AccountRegistration, ActivationLetter
from payments.registry import periods
from payments.registry.accounts import owner_name
from payments.statuses import Channel, EndReason, OwnerKind, RegistrationStatus

AR = AccountRegistration
S = RegistrationStatus
CLOSE_REASONS = tuple(r.value for r in EndReason if r is not EndReason.REPLACED)
MAX_ACTIVATION_ATTEMPTS = 5
#: an activation code is valid for this many days from the day of its letter, which is the
#: day of the request (nemkonto.dk: "The activation code is only valid for 60 days from the
#: date of the letter"); after that the owner must register again
ACTIVATION_VALID_DAYS = 60
REGISTRY_LOCK = "account_registrations"
# Unambiguous letters and digits for a code typed from paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Account:
    """A validated payout account: Danish (``reg_no`` + ``account_no``) or IBAN (+ BIC)."""

    reg_no: str | None = None
    account_no: str | None = None
    iban: str | None = None
    bic: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        reg_no: str | None = None,
        account_no: str | None = None,
        iban: str | None = None,
        bic: str | None = None,
    ) -> Account:
        reg_no, account_no, iban, bic = map(_blank, (reg_no, account_no, iban, bic))
        if iban is not None:
            if reg_no is not None or account_no is not None:
                raise InputError(
                    "ACCOUNT_FORM_INVALID",
                    "give an IBAN or a registration and account number, not both",
                    "account",
                )
            return cls(iban=str(Iban.parse(iban)), bic=str(Bic.parse(bic)) if bic else None)
        if bic is not None:
            raise InputError("ACCOUNT_FORM_INVALID", "a BIC is only given with an IBAN", "bic")
        if reg_no is None and account_no is None:
            raise InputError(
                "ACCOUNT_FORM_INVALID",
                "an account is an IBAN or a registration number with an account number",
                "account",
            )
        domestic = DomesticAccount.parse(reg_no or "", account_no or "")
        return cls(reg_no=domestic.reg_no, account_no=domestic.account_no)

    @classmethod
    def of(cls, row) -> Account:
        return cls(row.reg_no, row.account_no, row.iban, row.bic)

    def mask(self) -> str:
        return mask_account(self.reg_no, self.account_no, self.iban)

    def reveal(self) -> str:
        if self.iban:
            text_ = Iban(self.iban).format()
            return f"{text_} ({self.bic})" if self.bic else text_
        return f"{self.reg_no} {self.account_no}"


@dataclass(frozen=True, slots=True)
class Change:
    """What a lifecycle call did: ``registered``, ``pending``, ``unchanged``, ``activated``
    or ``closed``; the registration it concerns and the one it ended, if any."""

    outcome: str
    registration_id: int | None
    ended_id: int | None = None
    letter_id: int | None = None


@dataclass(frozen=True, slots=True)
class Activation:
    """The result of one activation attempt. ``code`` is None when it succeeded."""

    code: str | None  # None | ACCOUNT_ACTIVATION_CODE_WRONG | ACCOUNT_ACTIVATION_LOCKED
    registration_id: int
    attempts_left: int
    ended_id: int | None = None


# --------------------------------------------------------------------------- helpers


def activation_valid_until(requested_on: dt.date) -> dt.date:
    """The last day a letter's code activates a request made on ``requested_on``."""
    return requested_on + dt.timedelta(days=ACTIVATION_VALID_DAYS)


def _owner_filter(kind: str, number: str):
    return periods.owned_by(AR, kind, number)


def code_hash(kind: str, number: str, code: str) -> str:
    """SHA-256 of the normalised code, bound to the owner (the row never holds the code)."""
    return hashlib.sha256(f"nemkonto-activation\0{kind}:{number}\0{code}".encode()).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _current(session: Session, kind: str, number: str) -> AR | None:
    return session.execute(
        select(AR).where(_owner_filter(kind, number), periods.is_current(AR))
    ).scalar_one_or_none()


def _waiting(session: Session, kind: str, number: str) -> list[AR]:
    return list(
        session.execute(
            select(AR).where(_owner_filter(kind, number), periods.is_waiting(AR)).order_by(AR.id)
        ).scalars()
    )


def _check_start(session: Session, kind: str, number: str, on: dt.date) -> None:
    """A new period may not begin before the owner's timeline so far ends."""
    boundary = session.execute(
        select(func.max(func.coalesce(AR.ended_on, AR.active_from))).where(
            _owner_filter(kind, number), AR.status.in_(periods.IN_FORCE_STATUSES)
        )
    ).scalar_one_or_none()
    if boundary is not None and boundary > on:
        raise ConflictError(
            "ACCOUNT_DATE_CONFLICT",
            f"the owner's registration history runs "
            f"until {boundary}; a change from {on} would rewrite it",
            "date",
        )


def _end(session: Session, row: AR, on: dt.date, reason: str) -> None:
    """End one row on ``on`` (never before it started); a bank rejection stays visible.

    One conditional UPDATE rather than Python assignments, so a concurrent
    :func:`mark_rejected_by_bank` (which takes no registry lock) is never overwritten.
    """
    session.flush()
    session.execute(
        update(AR.__table__)
        .where(AR.id == row.id)
        .values(
            ended_on=case((AR.active_from > on, AR.active_from), else_=on),
            end_reason=reason,
            status=case((AR.status.in_((S.ACTIVE, S.ENDED)), S.ENDED), else_=AR.status),
        )
    )
    session.refresh(row)


def _event(session: Session, action: str, row: AR, actor: str, now: dt.datetime, **extra) -> None:
    payload = {
        "registration_id": row.id,
        "owner": mask_owner(row.owner_kind, row.owner_number),
        "account": mask_account(row.reg_no, row.account_no, row.iban),
        "channel": row.channel,
        "status": row.status,
        "registered_by_owner": row.registered_by_owner,
    } | extra
    audit.append(
        session,
        actor=actor,
        action=action,
        subject=f"registration:{row.id}",
        payload=payload,
        now=now,
    )


# --------------------------------------------------------------------------- lifecycle


def register(
    session: Session,
    kind: str,
    number: str,
    account: Account,
    *,
    channel: str,
    actor: str,
    on: dt.date,
    now: dt.datetime,
    source: str | None = None,
    name: str | None = None,
    by_owner: bool = False,
) -> Change:
    """Register ``account`` for the owner: active from ``on`` (bank) or pending a letter.

    ``name`` is the owner's name as given, the payee's name in payment files (at most 70
    printable characters, ``IMPORT_NAME_INVALID``). ``by_owner``: the owner registers it
    themself through self-service (authenticated as the owner, which only the HTTP API can
    tell); only on the ``citizen`` channel."""
    kind, number = parse_owner(kind, number, on=on)
    actor = actors.actor(actor)
    name = owner_name(name)
    if channel not in CHANNELS:
        raise InputError("ACCOUNT_CHANNEL_INVALID", f"channel must be one of {CHANNELS}", "channel")
    if by_owner and channel != Channel.CITIZEN:
        raise InputError(
            "ACCOUNT_BY_OWNER_CHANNEL",
            "only a citizen self-service registration is made by the owner",
            "channel",
        )
    if kind == OwnerKind.CVR and channel != Channel.BANK:
        raise InputError(
            "ACCOUNT_CHANNEL_NOT_ALLOWED",
            "a company (CVR) registers its NemKonto through its bank only",
            "channel",
        )
    lock_for_writing(session, REGISTRY_LOCK)
    current = _current(session, kind, number)
    if current is not None and current.status == S.ACTIVE and Account.of(current) == account:
        return Change("unchanged", current.id)
    row = AR(
        owner_kind=kind,
        owner_number=number,
        reg_no=account.reg_no,
        account_no=account.account_no,
        iban=account.iban,
        bic=account.bic,
        owner_name=name,
        channel=channel,
        actor=actor,
        actor_key=actors.identity(actor),
        registered_by_owner=bool(by_owner),
        registered_at=now,
        active_from=on,
        activation_attempts=0,
        source=source,
    )
    if channel == Channel.BANK:
        _check_start(session, kind, number, on)
        if current is not None:  # the old row leaves the unique index before the new enters
            _end(session, current, on, EndReason.REPLACED)
        row.status = S.ACTIVE
        session.add(row)
        session.flush()
        _event(
            session,
            "account.registered",
            row,
            actor,
            now,
            active_from=on,
            ended_registration_id=current.id if current else None,
        )
        return Change("registered", row.id, current.id if current else None)

    for old in _waiting(session, kind, number):
        _end(session, old, on, EndReason.REPLACED)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row.status = S.PENDING_ACTIVATION
    row.activation_code_hash = code_hash(kind, number, code)
    session.add(row)
    session.flush()
    letter = ActivationLetter(
        registration_id=row.id, owner_kind=kind, owner_number=number, code=code, created_at=now
    )
    session.add(letter)
    session.flush()
    _event(session, "account.registration_pending", row, actor, now, letter_id=letter.id)
    return Change("pending", row.id, letter_id=letter.id)


def activate(
    session: Session,
    kind: str,
    number: str,
    code: str,
    *,
    actor: str,
    on: dt.date,
    now: dt.datetime,
) -> Activation:
    """Try the letter's code; the right one makes the pending registration active from ``on``.

    Raises ``ACCOUNT_NO_PENDING`` (nothing to activate), ``ACCOUNT_ACTIVATION_LOCKED`` (the
    only request is locked) or ``ACCOUNT_DATE_CONFLICT``; a wrong code is a returned outcome.
    """
    kind, number = parse_owner(kind, number, on=on)
    actor = actors.actor(actor)
    lock_for_writing(session, REGISTRY_LOCK)
    waiting = _waiting(session, kind, number)
    pending = [w for w in waiting if w.status == S.PENDING_ACTIVATION]
    if not pending:
        if waiting:
            raise ConflictError(
                "ACCOUNT_ACTIVATION_LOCKED",
                "the registration is locked after "
                f"{MAX_ACTIVATION_ATTEMPTS} wrong codes; register again",
                "code",
            )
        raise ConflictError(
            "ACCOUNT_NO_PENDING", "there is no registration waiting for activation", "code"
        )
    row = pending[-1]
    _check_four_eyes(session, row, actor)
    if on > activation_valid_until(row.active_from):
        raise ConflictError(
            "ACCOUNT_ACTIVATION_EXPIRED",
            f"the activation code was valid until {activation_valid_until(row.active_from)}; "
            "register the account again to get a new letter",
            "code",
        )
    given = code_hash(kind, number, _normalise_code(code))
    if not hmac.compare_digest(given, row.activation_code_hash or ""):
        row.activation_attempts += 1
        left = MAX_ACTIVATION_ATTEMPTS - row.activation_attempts
        if left <= 0:
            row.status = S.LOCKED
            session.flush()
            _event(
                session,
                "account.activation_locked",
                row,
                actor,
                now,
                attempts=row.activation_attempts,
            )
            return Activation("ACCOUNT_ACTIVATION_LOCKED", row.id, 0)
        session.flush()
        _event(
            session, "account.activation_failed", row, actor, now, attempts=row.activation_attempts
        )
        return Activation("ACCOUNT_ACTIVATION_CODE_WRONG", row.id, left)
    if on < row.active_from:
        raise ConflictError(
            "ACCOUNT_DATE_CONFLICT",
            f"activation on {on} is before the registration was made ({row.active_from})",
            "date",
        )
    _check_start(session, kind, number, on)
    current = _current(session, kind, number)
    if current is not None:
        _end(session, current, on, EndReason.REPLACED)
    row.status, row.active_from, row.activation_code_hash = S.ACTIVE, on, None
    row.activated_by, row.activated_by_key = actor, actors.identity(actor)
    session.flush()
    _event(
        session,
        "account.activated",
        row,
        actor,
        now,
        registered_by=row.actor,
        active_from=on,
        ended_registration_id=current.id if current else None,
    )
    return Activation(
        None,
        row.id,
        MAX_ACTIVATION_ATTEMPTS - row.activation_attempts,
        current.id if current else None,
    )


def _check_four_eyes(session: Session, row: AR, actor: str) -> None:
    """``ACCOUNT_ACTIVATION_FOUR_EYES`` unless ``actor`` may activate ``row`` (see the module
    docstring): not its registrar (unless the owner registered it), not its letter's exporter."""
    exported_by = session.scalar(
        select(ActivationLetter.exported_by).where(ActivationLetter.registration_id == row.id)
    )
    if actors.same(actor, row.actor) and not row.registered_by_owner:
        raise ConflictError(
            "ACCOUNT_ACTIVATION_FOUR_EYES",
            f"{row.actor} registered registration {row.id}; another person must activate it",
            "actor",
        )
    if actors.same(actor, exported_by):
        raise ConflictError(
            "ACCOUNT_ACTIVATION_FOUR_EYES",
            f"{exported_by} exported the letter of registration {row.id}; another person "
            "must activate it",
            "actor",
        )


def close(
    session: Session,
    kind: str,
    number: str,
    reason: str,
    *,
    actor: str,
    on: dt.date,
    now: dt.datetime,
) -> Change:
    """End the owner's current registration on ``on`` (and cancel any waiting request)."""
    kind, number = parse_owner(kind, number, on=on)
    actor = actors.actor(actor)
    if reason not in CLOSE_REASONS or (reason, kind) in (
        ("deceased", "cvr"),
        ("business_closed", "cpr"),
    ):
        raise InputError(
            "ACCOUNT_CLOSE_REASON_INVALID",
            f"reason {reason!r} does not apply to "
            f"a {kind.upper()} owner; use one of {CLOSE_REASONS}",
            "reason",
        )
    lock_for_writing(session, REGISTRY_LOCK)
    current = _current(session, kind, number)
    waiting = _waiting(session, kind, number)
    if current is None and not waiting:
        raise NotFound("ACCOUNT_NONE_TO_CLOSE", "the owner has no NemKonto to close", "owner")
    if current is not None and current.active_from > on:
        raise ConflictError(
            "ACCOUNT_DATE_CONFLICT",
            f"the current registration starts on {current.active_from}, after {on}",
            "date",
        )
    for row in waiting:
        _end(session, row, on, reason)
    if current is not None:
        _end(session, current, on, reason)
    subject = current or waiting[-1]
    _event(
        session,
        "account.closed",
        subject,
        actor,
        now,
        reason=reason,
        ended_on=on,
        cancelled_requests=[w.id for w in waiting],
    )
    return Change(
        "closed", current.id if current else None, ended_id=current.id if current else None
    )


@dataclass(frozen=True, slots=True)
class Flagged:
    """A registration flagged ``rejected_by_bank`` because the bank refused its account."""

    registration_id: int
    owner: str  # masked
    account: str  # masked
    reason: str | None


def mark_rejected_by_bank(
    session: Session, registration_id: int, reason_code: str, actor: str, now: dt.datetime
) -> bool:
    """Flag a registration the bank refused (AC01, AC04, MD07, …) and every current
    registration of another owner using the same account; True when the first changed."""
    flagged = mark_accounts_rejected(session, {registration_id: reason_code}, actor, now)
    return any(f.registration_id == registration_id for f in flagged)


def mark_accounts_rejected(
    session: Session, reasons: dict[int, str | None], actor: str, now: dt.datetime
) -> list[Flagged]:
    """The bank refused the accounts these registrations (id → reason) were paid into.

    Each registration is flagged ``rejected_by_bank`` (while active or ended), and so is
    every *current* registration of any owner that names the same account
    (:mod:`payments.registry.accounts`): the next night holds all of them until each owner
    has a new account. Idempotent: a registration already flagged keeps its first reason.

    Rows are locked in id order before they change, the order the bank-file import locks
    them in too, so the two imports never deadlock on ``account_registrations``.
    """
    from payments.registry import rejections  # set-based: any number of accounts at once

    return rejections.mark_accounts_rejected(session, reasons, actor, now)


# --------------------------------------------------------------------------- queries


def as_of(session: Session, kind: str, number: str, on: dt.date) -> AR | None:
    """The registration in force for the owner on ``on`` (``rejected_by_bank`` included)."""
    return session.execute(
        select(AR)
        .where(_owner_filter(kind, number), periods.in_force_on(AR, on))
        .order_by(AR.active_from.desc(), AR.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def has_pending(session: Session, kind: str, number: str) -> bool:
    return (
        session.execute(
            select(AR.id).where(_owner_filter(kind, number), periods.is_pending(AR)).limit(1)
        ).first()
        is not None
    )


def standing(session: Session, kind: str, number: str, on: dt.date) -> list[tuple[AR, bool, bool]]:
    """Every registration of the owner, oldest first, each with whether it is in force on
    ``on`` and whether it waits for its letter's code — one statement, the conditions
    :mod:`payments.registry.periods` defines (what :func:`as_of`, :func:`history` and the
    look-up's reason would take three statements to say)."""
    rows = session.execute(_STANDING, {"kind": kind, "number": number, "on": on})
    return [(row, bool(in_force), bool(pending)) for row, in_force, pending in rows]


#: built once: a service answers it on every citizen's request
_STANDING = (
    select(
        AR,
        periods.in_force_on(AR, bindparam("on", type_=Date)).label("in_force"),
        periods.is_pending(AR).label("pending"),
    )
    .where(periods.owned_by(AR, bindparam("kind"), bindparam("number")))
    .order_by(AR.id)
)


def history(session: Session, kind: str, number: str) -> list[AR]:
    """Every registration of the owner, oldest first (pending and locked ones included)."""
    return list(
        session.execute(select(AR).where(_owner_filter(kind, number)).order_by(AR.id)).scalars()
    )
