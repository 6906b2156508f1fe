"""The one definition of when a registration counts: in force, current, waiting.

Every question the engine asks of ``account_registrations`` is built from here — the
registry's look-ups (SQLAlchemy), the bulk SQL of the bank-file import and the
shared-account report (text), the nightly batch's set-based resolution, and the partial
unique index in :mod:`payments.models` — so they cannot drift apart.

- **In force on day d**: status ``active``, ``ended`` or ``rejected_by_bank``, and
  ``active_from <= d`` and (``ended_on`` is null or ``d < ended_on``). Periods are
  half-open; ``ended`` means "has an end date", which may lie in the future, so every
  question about a date is answered from the dates alone. A ``rejected_by_bank``
  registration is in force (it *is* the owner's account) but cannot be paid into.
- **Current**: ``ended_on`` is null and the status ``active`` or ``rejected_by_bank`` —
  the account in force from now on until replaced; at most one per owner (the partial
  unique index).
- **Waiting**: ``ended_on`` is null and the status ``pending_activation`` or ``locked`` — a
  self-service or authority request not yet activated by the letter's code.
- **Why no account** (the reason a payment is held): no registration in force →
  ``PENDING_ACTIVATION`` when a request waits for its code, else ``NO_ACCOUNT``; the one in
  force was refused by the bank → ``REJECTED_BY_BANK``.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, literal, or_

from payments.statuses import HoldReason, RegistrationStatus, sql_list

S = RegistrationStatus
IN_FORCE_STATUSES = (S.ACTIVE, S.ENDED, S.REJECTED_BY_BANK)
CURRENT_STATUSES = (S.ACTIVE, S.REJECTED_BY_BANK)
WAITING_STATUSES = (S.PENDING_ACTIVATION, S.LOCKED)


# -- SQLAlchemy expressions; ``reg`` is the registrations table, the model or an alias ----


def in_force_on(reg, on):
    """``reg`` is in force on ``on`` (a date or a SQL expression)."""
    return and_(
        reg.status.in_(IN_FORCE_STATUSES),
        reg.active_from <= on,
        or_(reg.ended_on.is_(None), reg.ended_on > on),
    )


def owned_by(reg, kind, number):
    return and_(reg.owner_kind == kind, reg.owner_number == number)


def is_current(reg):
    return and_(reg.ended_on.is_(None), reg.status.in_(CURRENT_STATUSES))


def is_waiting(reg):
    return and_(reg.ended_on.is_(None), reg.status.in_(WAITING_STATUSES))


def is_pending(reg):
    """Waiting for its letter's code (not locked)."""
    return and_(reg.ended_on.is_(None), reg.status == S.PENDING_ACTIVATION)


def no_account_whens(in_force, pending, kind, number) -> list[tuple]:
    """The ``CASE`` branches of why owner ``(kind, number)`` cannot be paid (none: it can).

    ``in_force`` is the registration in force (an outer-joined alias, its ``id`` null when
    there is none), ``pending`` another alias of the table for the waiting-request check.
    The nightly batch adds its own reasons after these (cooling-off, amount review).
    """
    waiting = exists().where(owned_by(pending, kind, number), is_pending(pending))
    return [
        (and_(in_force.id.is_(None), waiting), literal(HoldReason.PENDING_ACTIVATION.value)),
        (in_force.id.is_(None), literal(HoldReason.NO_ACCOUNT.value)),
        (in_force.status == S.REJECTED_BY_BANK, literal(HoldReason.REJECTED_BY_BANK.value)),
    ]


# -- the same conditions as SQL text, for the bulk statements written as text --------------


def in_force_sql(alias: str, on: str) -> str:
    """``alias`` in force on ``on`` (a bind parameter such as ``:on`` or a column)."""
    return (
        f"{alias}.status IN ({sql_list(IN_FORCE_STATUSES)}) AND {alias}.active_from <= {on} "
        f"AND ({alias}.ended_on IS NULL OR {alias}.ended_on > {on})"
    )


def current_sql(alias: str | None = None) -> str:
    """The current registration (also the partial unique index's WHERE, unqualified)."""
    p = f"{alias}." if alias else ""
    return f"{p}ended_on IS NULL AND {p}status IN ({sql_list(CURRENT_STATUSES)})"


def in_force_statuses_sql(alias: str) -> str:
    """``alias`` has a status that counts for history (an in-force status), any dates."""
    return f"{alias}.status IN ({sql_list(IN_FORCE_STATUSES)})"
