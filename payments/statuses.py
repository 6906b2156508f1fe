"""The words the status columns hold, as ``StrEnum`` s: one spelling for each state.

A leaf module (the models' CHECK constraints and every module that reads or writes a
status import it), so a typo is an ``AttributeError`` at import, not a row that never
matches. Members are ``str``: they compare equal to the stored text and bind as it.

What the states mean and which function moves between them: :mod:`payments.orders` (the
order state machine) and :mod:`payments.registry.periods` (registrations).
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where a payment order stands (see :mod:`payments.orders` for the transitions)."""

    PENDING = "pending"
    HELD = "held"
    SENT = "sent"
    ACCEPTED = "accepted"  # the bank accepted it (ACTC, ACCP, ACSP, …): in progress, not paid
    SETTLED = "settled"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    #: settled by offset: the whole amount paid back the payee's recoveries; never sent
    OFFSET = "offset"


class RecoveryStatus(StrEnum):
    """Where a recovery stands (see :mod:`payments.claims.netting` for the moves).

    ``open`` and ``partly_offset`` still have money owed back (``open_ore`` > 0); the others
    are closed: ``offset`` by later payments, ``paid`` back by the payee, ``written_off``.
    """

    OPEN = "open"
    PARTLY_OFFSET = "partly_offset"
    OFFSET = "offset"
    PAID = "paid"
    WRITTEN_OFF = "written_off"


class HoldReason(StrEnum):
    """Why the nightly batch did not pay a due order (stable codes shown to clerks)."""

    NO_ACCOUNT = "NO_ACCOUNT"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    REJECTED_BY_BANK = "REJECTED_BY_BANK"
    ACCOUNT_RECENTLY_CHANGED = "ACCOUNT_RECENTLY_CHANGED"
    AMOUNT_REVIEW = "AMOUNT_REVIEW"
    RETURNED_FOR_REVIEW = "RETURNED_FOR_REVIEW"


class RegistrationStatus(StrEnum):
    """A NemKonto registration's status (see :mod:`payments.registry.periods`)."""

    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    ENDED = "ended"
    REJECTED_BY_BANK = "rejected_by_bank"
    LOCKED = "locked"


class Channel(StrEnum):
    """Who registered an account: the owner's bank, the owner, or an authority for them."""

    BANK = "bank"
    CITIZEN = "citizen"
    AUTHORITY = "authority"


class EndReason(StrEnum):
    REPLACED = "replaced"
    DECEASED = "deceased"
    BANKRUPT = "bankrupt"
    BUSINESS_CLOSED = "business_closed"
    OWNER_REQUEST = "owner_request"


class BatchStatus(StrEnum):
    GENERATED = "generated"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"


class DecisionStatus(StrEnum):
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    ERROR = "error"
    INVALID = "invalid"


class ClaimKind(StrEnum):
    SICKNESS = "sickness"
    MATERNITY = "maternity"


class OwnerKind(StrEnum):
    CPR = "cpr"
    CVR = "cvr"


def sql_list(values) -> str:
    """``'a', 'b'`` for a SQL ``IN (…)`` written as text (CHECKs, partial indexes, bulk SQL)."""
    return ", ".join(f"'{v}'" for v in values)


class AnswerOutcome(StrEnum):
    """What a bank answer's import did with one transaction status
    (``status_report_items.outcome``; see :mod:`payments.returns`)."""

    SETTLED = "settled"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    UNCHANGED = "unchanged"  # said nothing new (already so, or an earlier attempt)
    NOT_APPLIED = "not_applied"  # recorded and reported for a clerk
    UNKNOWN = "unknown"  # an end-to-end id the engine never sent
