"""The schema: every table of the engine, with the invariants the database can enforce.

Invariants held by constraints (not only by code):

- one current registration per owner: partial unique index on ``account_registrations``
  over ``(owner_kind, owner_number)`` where ``ended_on IS NULL`` and the status is
  ``active`` or ``rejected_by_bank`` (both are "the current account" until replaced);
- a registration names either a Danish account (reg. no. + account no.) or an IBAN;
- ``(employer_cvr, external_ref)`` unique per claim (indexed reference first); one
  decision per claim version and exactly one live (not superseded) decision per claim;
- payment orders: positive amount, unique end-to-end id, in at most one unreleased batch
  (``unique(order_id, attempt)`` on ``batch_items``, which keeps every attempt, with a
  unique end-to-end id per transaction; see :class:`BatchItem`); an offset between zero and
  the amount, and ``offset`` status exactly when the offset is the whole amount;
- recoveries: every øre is offset, open, or (once closed) paid back or written off, the
  status agreeing with those amounts; a closed one names who, when and why; an offset links
  one order and one recovery once, for a positive amount;
- one batch per business date that is not rejected (partial unique index), approved by
  someone other than who ran it — compared as identities (``created_by_key`` and
  ``approved_by_key``, :func:`payments.actors.identity`), not spellings — rejected with who
  and why; one import per status-report message id; a released batch's transactions
  per state (kept on its row) add up to its count and total, and are all 0 before;
- a registration someone other than its owner made is activated by another identity than
  the one who registered it (``activation_four_eyes``); ``registered_by_owner`` only on the
  citizen channel; a letter's code is gone once the letter is exported, and only then;
- the audit chain cannot fork: ``prev_hash`` is unique.

Business dates are ``DATE``; timestamps are :class:`~payments.db.UtcDateTime`; money is
integer øre (``*_ore``). Validity periods are half-open: a registration is in force on day
``d`` when ``active_from <= d`` and (``ended_on`` is null or ``d < ended_on``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payments import actors
from payments.db import Base, Id, Ore, UtcDateTime
from payments.registry import periods
from payments.statuses import (
    BatchStatus,
    Channel,
    ClaimKind,
    DecisionStatus,
    EndReason,
    HoldReason,
    OrderStatus,
    OwnerKind,
    RecoveryStatus,
    RegistrationStatus,
    sql_list,
)

OWNER_KINDS = tuple(OwnerKind)
CHANNELS = tuple(Channel)
REGISTRATION_STATUSES = tuple(RegistrationStatus)
END_REASONS = tuple(EndReason)
CLAIM_KINDS = tuple(ClaimKind)
DECISION_STATUSES = tuple(DecisionStatus)
# An order in a batch that is not yet released keeps ``pending`` in its row: its batch item
# says it is in that batch (see payments.orders). ``in_batch`` is reported, never stored.
ORDER_STATUSES = tuple(OrderStatus)
HOLD_REASONS = tuple(HoldReason)
BATCH_STATUSES = tuple(BatchStatus)
RECOVERY_STATUSES = tuple(RecoveryStatus)
#: an order's status while the engine still has work to do on it (``pending``, ``held``,
#: ``returned``), NULL while it is with the bank or done: the stored generated column
#: ``payment_orders.open_status`` (revision 0800). The indexes that select orders by state
#: use it instead of ``status``, so that no index names ``status``: a bank answer that
#: settles a million ``sent`` orders leaves ``open_status`` NULL, and PostgreSQL updates
#: each row in place (a HOT update, no index entry written) instead of writing an entry
#: in every index of the table for every row.
OPEN_ORDER_STATES = ("pending", "held", "returned")
OPEN_STATUS_SQL = f"CASE WHEN status IN ({sql_list(OPEN_ORDER_STATES)}) THEN status END"
#: an order not paid yet and not on its way: what a new recovery may be offset against
UNPAID_ORDER_SQL = "open_status IN ('pending', 'held')"
#: a recovery with money still owed back: what netting may take from
OPEN_RECOVERY_SQL = "status IN ('open', 'partly_offset')"
#: each status of a recovery and the amounts it allows (see payments.claims.netting)
RECOVERY_STATE_SQL = (
    "(status = 'open' AND offset_ore = 0 AND open_ore = amount_ore)"
    " OR (status = 'partly_offset' AND offset_ore > 0 AND open_ore > 0"
    " AND open_ore + offset_ore = amount_ore)"
    " OR (status = 'offset' AND open_ore = 0 AND offset_ore = amount_ore)"
    " OR (status IN ('paid', 'written_off') AND open_ore = 0 AND offset_ore < amount_ore)"
)
RECOVERY_CLOSED_SQL = (
    "(status IN ('paid', 'written_off')) = "
    "(closed_by IS NOT NULL AND closed_at IS NOT NULL AND close_reason IS NOT NULL)"
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({sql_list(values)})"


def _identity_of(column: str):
    """A column default: the identity of the actor named in ``column`` of the same row, so
    that every ORM insert stores the key four eyes compares (raw SQL inserts give it)."""

    def default(context) -> str:
        return actors.identity(context.get_current_parameters()[column])

    return default


class AccountRegistration(Base):
    """One NemKonto registration. Never updated in place except its status and end."""

    __tablename__ = "account_registrations"
    __table_args__ = (
        CheckConstraint(_in("owner_kind", OWNER_KINDS), name="owner_kind"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        CheckConstraint(
            "end_reason IS NULL OR " + _in("end_reason", END_REASONS), name="end_reason"
        ),
        CheckConstraint(
            "(iban IS NULL AND reg_no IS NOT NULL AND account_no IS NOT NULL)"
            " OR (iban IS NOT NULL AND reg_no IS NULL AND account_no IS NULL)",
            name="one_account_form",
        ),
        CheckConstraint("bic IS NULL OR iban IS NOT NULL", name="bic_with_iban"),
        CheckConstraint("ended_on IS NULL OR ended_on >= active_from", name="period"),
        CheckConstraint("activation_attempts >= 0", name="attempts"),
        CheckConstraint(
            "NOT registered_by_owner OR channel = 'citizen'", name="by_owner_self_service"
        ),
        CheckConstraint(
            "(activated_by IS NULL) = (activated_by_key IS NULL)", name="activated_by_key"
        ),
        # a row without its registrar's identity (written by SQL that did not give it) can
        # only be activated by its owner's own registration: the safe way round
        CheckConstraint(
            "activated_by_key IS NULL OR registered_by_owner "
            "OR (actor_key IS NOT NULL AND activated_by_key <> actor_key)",
            name="activation_four_eyes",
        ),
        Index(
            "uq_account_registrations_current_owner",
            "owner_kind",
            "owner_number",
            unique=True,
            sqlite_where=text(periods.current_sql()),
            postgresql_where=text(periods.current_sql()),
        ),
        Index("ix_account_registrations_owner_from", "owner_kind", "owner_number", "active_from"),
        Index("ix_account_registrations_account", "reg_no", "account_no"),
        Index("ix_account_registrations_iban", "iban"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(3))
    owner_number: Mapped[str] = mapped_column(String(10))
    reg_no: Mapped[str | None] = mapped_column(String(4))
    account_no: Mapped[str | None] = mapped_column(String(10))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    #: the owner's name as the bank or the owner gave it: ``Cdtr/Nm`` of payments (rev. 0008)
    owner_name: Mapped[str | None] = mapped_column(String(70))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))  # who registered it, as given
    actor_key: Mapped[str | None] = mapped_column(String(100), default=_identity_of("actor"))
    #: the owner registered it themself (self-service, authenticated as the owner): the
    #: letter at their address is then the second factor, and they may activate it
    registered_by_owner: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    active_from: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    activation_code_hash: Mapped[str | None] = mapped_column(String(64))
    activation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    rejected_reason: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str | None] = mapped_column(String(200))
    activated_by: Mapped[str | None] = mapped_column(String(100))
    activated_by_key: Mapped[str | None] = mapped_column(String(100))


class ActivationLetter(Base):
    """The letter outbox: one-time activation codes sent by physical letter.

    The code is readable here until the letter is exported for the mail house
    (``payments accounts letters export``); the export writes it into the letter and clears
    it, so from then on it exists only on paper (the registration keeps its hash).
    """

    __tablename__ = "activation_letters"
    __table_args__ = (
        CheckConstraint("(exported_at IS NULL) = (exported_by IS NULL)", name="exported_by"),
        CheckConstraint("(code IS NULL) = (exported_at IS NOT NULL)", name="code_until_exported"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("account_registrations.id"), unique=True
    )
    owner_kind: Mapped[str] = mapped_column(String(3))
    owner_number: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    exported_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    exported_by: Mapped[str | None] = mapped_column(String(100))


class Claim(Base):
    """A reimbursement claim as received; ``raw`` is the exact record the employer sent."""

    __tablename__ = "claims"
    __table_args__ = (
        # reference first: a chunk of the intake looks its references up with one IN list
        # (revision 0005); the employer's CVR, the same for most of a file, narrows nothing
        UniqueConstraint("external_ref", "employer_cvr"),
        CheckConstraint(_in("kind", CLAIM_KINDS), name="kind"),
        CheckConstraint("last_day >= first_day", name="period"),
        Index("ix_claims_employee", "employee_cpr", "kind", "first_day"),
        Index("ix_claims_raw_sha256", "raw_sha256"),  # a record sent again is found by it
        # an employer's claim list, newest first, by company (revision 0700)
        Index("ix_claims_employer", "employer_cvr", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    employer_cvr: Mapped[str] = mapped_column(String(8))
    external_ref: Mapped[str] = mapped_column(String(35))
    employee_cpr: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    child_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    expected_birth_date: Mapped[dt.date | None] = mapped_column(Date)  # revision 0006
    parent: Mapped[str | None] = mapped_column(String(10))
    raw: Mapped[str] = mapped_column(Text)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    #: the receipt date the deadlines are reckoned from: the processing date, or the file's
    #: ``submitted_on`` for a historic claim imported with ``--backdated`` (revision 0006)
    received_on: Mapped[dt.date] = mapped_column(Date)
    backdated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    actor: Mapped[str] = mapped_column(String(100))


class EmployerClaimCount(Base):
    """How many claims a company has sent (revision 1000): its claim list's total without
    a count over its claims on every view (about 2.5 ms of PostgreSQL for 10,000 claims,
    and growing with them). Claims are never deleted; the intake adds the claims it
    creates in the transaction that inserts them, after the audit event's lock (every
    storing intake already waits for that lock, so the count's row adds no wait and no
    lock order to deadlock on): :mod:`payments.claims.counts`."""

    __tablename__ = "employer_claim_counts"
    __table_args__ = (CheckConstraint("claims >= 0", name="claims"),)

    employer_cvr: Mapped[str] = mapped_column(String(8), primary_key=True)
    claims: Mapped[int] = mapped_column(Integer)


class Decision(Base):
    """One decision on one version of a claim, with its full trace (JSON)."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("claim_id", "version"),
        CheckConstraint(_in("status", DECISION_STATUSES), name="status"),
        CheckConstraint("amount_ore >= 0", name="amount"),
        CheckConstraint("supplement_ore >= 0", name="supplement"),
        Index(
            "uq_decisions_live_claim",
            "claim_id",
            unique=True,
            sqlite_where=text("superseded = 0"),
            postgresql_where=text("superseded = false"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    amount_ore: Mapped[int] = mapped_column(Ore)  # the reimbursement (or benefit) itself
    #: the § 39 a supplement paid with a maternity refusion to an employer (revision 0006)
    supplement_ore: Mapped[int] = mapped_column(Ore, default=0, server_default="0")
    payee_kind: Mapped[str | None] = mapped_column(String(3))
    payee_number: Mapped[str | None] = mapped_column(String(10))
    codes: Mapped[str] = mapped_column(Text, default="")
    granted_days: Mapped[str] = mapped_column(Text, default="")
    parameter_versions: Mapped[str] = mapped_column(Text, default="{}")
    document: Mapped[str] = mapped_column(Text)  # lz4 on PostgreSQL (revision 0003)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    # lets the unit of work insert a whole chunk of claims, decisions and orders in batches
    claim: Mapped[Claim] = relationship()


#: a claim joined to its live decision, the one not superseded (at most one a claim:
#: ``uq_decisions_live_claim``): ``select(Claim, Decision).join(Decision, LIVE_DECISION)``
LIVE_DECISION = (Decision.claim_id == Claim.id) & Decision.superseded.is_(False)


class PaymentOrder(Base):
    """Money owed to a CPR or CVR number (never to an account) for a decision.

    ``amount_ore`` is what the decision grants, never changed; ``offset_ore`` is the part of
    it that paid back the payee's recoveries (the sum of its :class:`RecoveryOffset` rows),
    so the bank is sent ``amount_ore - offset_ore`` (:func:`payments.orders.payable`). An
    order whose whole amount was offset is ``offset`` and never sent.
    """

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint(_in("payee_kind", OWNER_KINDS), name="payee_kind"),
        CheckConstraint("amount_ore > 0", name="amount_positive"),
        CheckConstraint("offset_ore >= 0 AND offset_ore <= amount_ore", name="offset"),
        CheckConstraint("(status = 'offset') = (offset_ore = amount_ore)", name="offset_status"),
        CheckConstraint(
            "hold_reason IS NULL OR " + _in("hold_reason", HOLD_REASONS), name="hold_reason"
        ),
        # the night's due orders (revision 0800: by open_status, only the open ones)
        Index(
            "ix_payment_orders_due",
            "open_status",
            "due_date",
            sqlite_where=text("open_status IS NOT NULL"),
            postgresql_where=text("open_status IS NOT NULL"),
        ),
        # a new recovery looks for its payee's orders still to be paid (revision 0300);
        # partial, so an order leaves it when it is sent
        Index(
            "ix_payment_orders_unpaid_payee",
            "payee_number",
            "payee_kind",
            sqlite_where=text(UNPAID_ORDER_SQL),
            postgresql_where=text(UNPAID_ORDER_SQL),
        ),
        Index("ix_payment_orders_claim", "claim_id"),
        Index("ix_payment_orders_decision", "decision_id"),
        # half of each page left free, for the in-place (HOT) updates of settling (0800)
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    payee_kind: Mapped[str] = mapped_column(String(3))
    payee_number: Mapped[str] = mapped_column(String(10))
    amount_ore: Mapped[int] = mapped_column(Ore)
    # revision 0300: existing orders have no offset (a constant default: no table rewrite)
    offset_ore: Mapped[int] = mapped_column(Ore, default=0, server_default=text("0"))
    remittance: Mapped[str] = mapped_column(String(140))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    #: ``status`` while pending, held or returned, else NULL; computed by the database
    #: (see OPEN_STATUS_SQL: what the state indexes use, so that settling is a HOT update)
    open_status: Mapped[str | None] = mapped_column(
        String(10), Computed(OPEN_STATUS_SQL, persisted=True)
    )
    hold_reason: Mapped[str | None] = mapped_column(String(30))
    return_reason: Mapped[str | None] = mapped_column(String(4))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # batches released with it
    review_approved_by: Mapped[str | None] = mapped_column(String(100))
    #: the latest batch that held the order (its runner may not clear an AMOUNT_REVIEW)
    held_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    decision: Mapped[Decision] = relationship()
    claim: Mapped[Claim] = relationship()


class Recovery(Base):
    """Money to claw back after a correction lowered an amount already paid out.

    Every øre of ``amount_ore`` is at any time exactly one of: offset against later payments
    to the same payee for the same benefit (``offset_ore``, the sum of its
    :class:`RecoveryOffset` rows), still owed (``open_ore``), or, once a clerk closed the
    recovery, paid back or written off (the rest: ``amount_ore - offset_ore``). The status
    says which (:class:`~payments.statuses.RecoveryStatus`) and the CHECKs hold it to the
    amounts. Netting and closing: :mod:`payments.claims.netting`.
    """

    __tablename__ = "recoveries"
    __table_args__ = (
        CheckConstraint("amount_ore > 0", name="amount_positive"),
        CheckConstraint(_in("status", RECOVERY_STATUSES), name="status"),
        CheckConstraint(
            "open_ore >= 0 AND offset_ore >= 0 AND open_ore + offset_ore <= amount_ore",
            name="amounts",
        ),
        CheckConstraint(RECOVERY_STATE_SQL, name="state"),
        CheckConstraint(RECOVERY_CLOSED_SQL, name="closed"),
        # the intake asks, per chunk, which of its payees owe something back
        Index(
            "ix_recoveries_open_payee",
            "payee_number",
            "payee_kind",
            sqlite_where=text(OPEN_RECOVERY_SQL),
            postgresql_where=text(OPEN_RECOVERY_SQL),
        ),
        Index("ix_recoveries_claim", "claim_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    payee_kind: Mapped[str] = mapped_column(String(3))
    payee_number: Mapped[str] = mapped_column(String(10))
    amount_ore: Mapped[int] = mapped_column(Ore)
    status: Mapped[str] = mapped_column(String(13))
    open_ore: Mapped[int] = mapped_column(Ore)
    offset_ore: Mapped[int] = mapped_column(Ore)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    close_reason: Mapped[str | None] = mapped_column(String(500))

    decision: Mapped[Decision] = relationship()
    claim: Mapped[Claim] = relationship()


class RecoveryOffset(Base):
    """One offset: how much of which order paid back which recovery (never changed).

    The payee and the benefit (the claims' kind) of the order and the recovery are the
    same; a pair is offset once (at the order's creation, or at the recovery's).
    """

    __tablename__ = "recovery_offsets"
    __table_args__ = (
        CheckConstraint("amount_ore > 0", name="amount_positive"),
        UniqueConstraint("recovery_id", "order_id"),
        Index("ix_recovery_offsets_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"))
    amount_ore: Mapped[int] = mapped_column(Ore)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())

    # the unit of work inserts an offset after its order and its recovery
    recovery: Mapped[Recovery] = relationship()
    order: Mapped[PaymentOrder] = relationship()


#: the states of a released batch's transactions (payments.batch.states), whose counts the
#: batch row keeps; revision 0900 writes the same CHECKs
BATCH_ITEM_STATES = ("sent", "accepted", "settled", "returned")
BATCH_STATE_COUNTS_NONNEGATIVE = (
    "sent_count >= 0 AND sent_ore >= 0 AND accepted_count >= 0 AND accepted_ore >= 0 AND "
    "settled_count >= 0 AND settled_ore >= 0 AND returned_count >= 0 AND returned_ore >= 0"
)
BATCH_STATE_COUNTS_ADD_UP = (
    "CASE WHEN status = 'released' THEN "
    "sent_count + accepted_count + settled_count + returned_count = order_count AND "
    "sent_ore + accepted_ore + settled_ore + returned_ore = total_ore "
    "ELSE sent_count + accepted_count + settled_count + returned_count = 0 AND "
    "sent_ore + accepted_ore + settled_ore + returned_ore = 0 END"
)


class Batch(Base):
    """One nightly run: the orders it took, the files it wrote, who ran and approved it.

    A batch that is not released can be rejected (``payments batch reject``): its items
    move to :class:`RejectedBatchItem`, its orders are due again, and the same business
    date can be run again, so at most one batch per date is not rejected.
    """

    __tablename__ = "batches"
    __table_args__ = (
        Index(
            "uq_batches_live_run_date",
            "run_date",
            unique=True,
            sqlite_where=text("status <> 'rejected'"),
            postgresql_where=text("status <> 'rejected'"),
        ),
        CheckConstraint(_in("status", BATCH_STATUSES), name="status"),
        # four eyes on identities (payments.actors.identity), not on spellings; an approved
        # batch always names its approver's identity (release takes only approved ones)
        CheckConstraint(
            "approved_by_key IS NULL OR approved_by_key <> created_by_key", name="four_eyes"
        ),
        CheckConstraint("status <> 'approved' OR approved_by_key IS NOT NULL", name="approver_key"),
        CheckConstraint(
            "(status = 'rejected') = (rejected_by IS NOT NULL AND "
            "rejected_at IS NOT NULL AND reject_reason IS NOT NULL)",
            name="rejected",
        ),
        # the folders of the run, absolute (NULL only for batches from before revision 0400)
        CheckConstraint(
            "(output_dir IS NULL AND outbox_dir IS NULL) OR "
            "(output_dir LIKE '/%' AND outbox_dir LIKE '/%')",
            name="paths",
        ),
        # the transactions per state (payments.batch.states): none before release; once
        # released, every transaction is in exactly one state, none negative
        CheckConstraint(BATCH_STATE_COUNTS_NONNEGATIVE, name="state_counts_nonnegative"),
        CheckConstraint(BATCH_STATE_COUNTS_ADD_UP, name="state_counts_add_up"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date)
    execution_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    pain001_version: Mapped[str] = mapped_column(String(12))
    order_count: Mapped[int] = mapped_column(Integer)
    total_ore: Mapped[int] = mapped_column(Ore)
    held_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_by_key: Mapped[str] = mapped_column(String(100), default=_identity_of("created_by"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_by_key: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    rejected_by: Mapped[str | None] = mapped_column(String(100))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    #: where the run wrote the files and where release puts them (absolute, as resolved at
    #: run time): release and reject use these, never the releasing command's settings
    output_dir: Mapped[str | None] = mapped_column(Text)
    outbox_dir: Mapped[str | None] = mapped_column(Text)
    #: a released batch's transactions per state, count and øre (:mod:`payments.batch.states`
    #: keeps them, in the transaction that moves a transaction): the batch page reads these
    #: instead of grouping a million items; all 0 until release
    sent_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sent_ore: Mapped[int] = mapped_column(Ore, default=0, server_default=text("0"))
    accepted_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    accepted_ore: Mapped[int] = mapped_column(Ore, default=0, server_default=text("0"))
    settled_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    settled_ore: Mapped[int] = mapped_column(Ore, default=0, server_default=text("0"))
    returned_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    returned_ore: Mapped[int] = mapped_column(Ore, default=0, server_default=text("0"))


class BatchFile(Base):
    """A pain.001 file of a batch, with the hash that release checks."""

    __tablename__ = "batch_files"
    __table_args__ = (UniqueConstraint("batch_id", "seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    seq: Mapped[int] = mapped_column(Integer)
    msg_id: Mapped[str] = mapped_column(String(35), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    tx_count: Mapped[int] = mapped_column(Integer)
    total_ore: Mapped[int] = mapped_column(Ore)


class BatchItem(Base):
    """One transaction of a batch: which order, which attempt, in which file, to which account.

    Every attempt to pay an order is an item; the end-to-end id of a retry (after an
    account return) gets a suffix so each transmitted transaction stays unique. Attempt
    ``n`` is the order's ``attempts + 1`` when the batch is made, and ``attempts`` only grows
    when a batch is released, so ``unique(order_id, attempt)`` is the database's guarantee
    that no order is in two unreleased batches.

    The item is the only row the nightly run writes per paid order, a million a night at
    the target scale, and on PostgreSQL every foreign key costs a check per inserted row
    (about 7 µs each on the project's machine: 7 s a night per key). So the item keeps one
    foreign key, to its order (the money link; its unique ``(order_id, attempt)`` index
    serves it), and records the file (``batch_id``, ``file_seq``) and the registration paid
    into as values: the run's one ``INSERT … SELECT`` takes them from the rows it joins, under
    the batch lock, and the engine never deletes files or registrations (revision 0002).
    """

    __tablename__ = "batch_items"
    __table_args__ = (
        CheckConstraint("amount_ore > 0", name="amount_positive"),
        CheckConstraint("attempt >= 1", name="attempt"),
        UniqueConstraint("order_id", "attempt"),
    )

    batch_id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_orders.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer)
    file_seq: Mapped[int] = mapped_column(Integer)
    registration_id: Mapped[int] = mapped_column(Id)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    amount_ore: Mapped[int] = mapped_column(Ore)


class RejectedBatchItem(Base):
    """An item of a rejected batch, as it was: what the rejected file held.

    Moved out of ``batch_items`` when the batch is rejected, so that its order is due again
    and the next run can pay it with the same attempt and end-to-end id (the rejected file
    never reached the bank). Rare and small, so its keys are checked.
    """

    __tablename__ = "rejected_batch_items"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("payment_orders.id"), primary_key=True, index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    file_seq: Mapped[int] = mapped_column(Integer)
    registration_id: Mapped[int] = mapped_column(Id)
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    amount_ore: Mapped[int] = mapped_column(Ore)


class StatusReport(Base):
    """An imported pain.002 or camt.054; the message id makes a re-import a no-op."""

    __tablename__ = "status_reports"
    __table_args__ = (CheckConstraint(_in("kind", ("pain.002", "camt.054")), name="kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(35), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    original_msg_id: Mapped[str | None] = mapped_column(String(35))
    group_status: Mapped[str | None] = mapped_column(String(4))
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))


#: ``status_report_items.report_id → status_reports.id``: a foreign key on SQLite; on
#: PostgreSQL triggers check it once a statement instead of once a row, and keep every
#: report (revision 1010), so :func:`payments.schema.check` expects no key there
REPORT_ITEMS_FK = "fk_status_report_items_report_id_status_reports"


class StatusReportItem(Base):
    """One transaction status from a report; ``order_id`` is null for an unknown id;
    ``outcome`` what the import did with it (null for items imported before revision 0400).
    """

    __tablename__ = "status_report_items"
    __table_args__ = (
        Index("ix_status_report_items_e2e", "end_to_end_id"),
        Index(
            "ix_status_report_items_returned",
            "report_id",
            sqlite_where=text("outcome = 'returned'"),
            postgresql_where=text("outcome = 'returned'"),
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN "
            "('settled', 'accepted', 'returned', 'unchanged', 'not_applied', 'unknown')",
            name="outcome",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("status_reports.id"))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(4))
    reason_code: Mapped[str | None] = mapped_column(String(4))
    #: no foreign key (revision 0400): set from ``batch_items``, whose key holds it
    order_id: Mapped[int | None] = mapped_column(Id)
    outcome: Mapped[str | None] = mapped_column(String(11))


class AuditEvent(Base):
    """Append-only, hash-chained log of every state change (see :mod:`payments.audit`)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ClaimJob(Base):
    """A claim file sent over HTTP, waiting for (or taken by) a ``payments worker``.

    The file itself is spooled to ``PAYMENTS_SPOOL_DIR``; the row is the queue entry, the
    progress and the outcome counts (see :mod:`payments.jobs`). ``received_on`` is the day
    the employer sent the file: the worker decides its claims as received that day, however
    late it takes the job.
    """

    __tablename__ = "claim_jobs"
    __table_args__ = (
        CheckConstraint(_in("status", ("queued", "running", "done", "failed")), name="status"),
        Index("ix_claim_jobs_status", "status", "id"),
        Index("ix_claim_jobs_employer", "employer_cvr", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    employer_cvr: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    spool_name: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Ore)  # a BIGINT: a file may pass 2 GiB
    sha256: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[dt.date] = mapped_column(Date)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    worker: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    records: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[int] = mapped_column(Integer, default=0)
    invalid: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[str] = mapped_column(Text, default="[]")  # the first invalid records
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(String(500))
    #: the records the file is expected to hold (its lines, counted as it was received;
    #: None for a JSON document): the job page's progress bar (revision 0700)
    expected_records: Mapped[int | None] = mapped_column(Ore)


class IdempotencyKey(Base):
    """A request's answer kept under the key its caller gave, so a retry gets the same answer.

    ``scope`` names who asked and what (``citizen-register:<subject>``, ``mapper:<subject>``):
    keys of different callers never meet. ``status_code`` is null while the first request
    is still being answered. The request is kept as its SHA-256 only.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A signed-in (or signing-in) visitor of the web pages, kept on the server.

    The browser holds only a random id; the row keeps its SHA-256 (``key_hash``), so a read
    of this table gives no one a session. ``principal`` is who logged in (JSON: role,
    subject, CPR/CVR, name, scopes; null while the visitor is still logging in), ``data``
    what the log-in in progress needs (the OIDC state, nonce and PKCE verifier) and the
    answers of a change not yet confirmed. ``expires_at`` moves with ``last_seen`` (idle
    expiry) but never past the absolute end (:mod:`payments.web_sessions`).
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expiry"),
        Index("ix_web_sessions_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal: Mapped[str | None] = mapped_column(Text)
    csrf_token: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
