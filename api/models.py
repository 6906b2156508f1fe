"""Request and response shapes (pydantic 2): what the OpenAPI document promises.

Amounts are decimal strings with two decimals (``"4694.93"``), never numbers: a JSON
number is a float to most clients. Dates are ISO 8601 (``2024-03-20``), timestamps ISO
8601 with their UTC offset. CPR numbers appear masked (``010190-****``); CVR numbers are
public. Requests refuse fields they do not define (``extra="forbid"``): a misspelt field is
an error, not silently ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Amount = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["16901.75"])]
Text = Annotated[str, Field(max_length=200)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details, with the engine's stable ``code`` (branch on it, not on
    ``detail``) and the offending ``field`` when there is one."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


class Page(BaseModel):
    next_after: int | None = Field(
        description="pass as ?after= for the next page; null when this page is the last"
    )


# -- health ------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok", "ready"]
    revision: str | None = None


# -- citizen -----------------------------------------------------------------------------------


class AccountIn(In):
    """A Danish account (``reg_no`` + ``account_no``) or an IBAN (+ ``bic``)."""

    reg_no: Annotated[str, Field(max_length=10)] | None = None
    account_no: Annotated[str, Field(max_length=20)] | None = None
    iban: Annotated[str, Field(max_length=50)] | None = None
    bic: Annotated[str, Field(max_length=20)] | None = None
    cpr: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="optional; when given it must be the CPR of the token"
    )


class Registration(BaseModel):
    registration_id: int
    account: str = Field(description="masked: ****1234")
    status: str
    channel: str
    active_from: dt.date
    ended_on: dt.date | None
    end_reason: str | None
    rejected_reason: str | None
    registered_at: dt.datetime


class MyNemKonto(BaseModel):
    as_of: dt.date
    nemkonto: Registration | None
    payable: bool
    reason: str | None = Field(
        description="why nothing can be paid: NO_ACCOUNT, PENDING_ACTIVATION, REJECTED_BY_BANK"
    )


class RegisterResult(BaseModel):
    outcome: Literal["pending", "unchanged", "registered"]
    registration_id: int | None
    letter_id: int | None
    account: str


class ActivationIn(In):
    code: Annotated[str, Field(min_length=1, max_length=40)]


class ActivationResult(BaseModel):
    registration_id: int
    status: Literal["active"]
    active_from: dt.date


class Party(BaseModel):
    kind: Literal["cpr", "cvr"]
    number: str = Field(description="a CVR in full, a CPR masked")


class Payment(BaseModel):
    order_id: int
    external_ref: str
    employer_cvr: str
    payee: Party
    amount: Amount
    currency: Literal["DKK"]
    due_date: dt.date
    state: Literal["pending", "held", "in_batch", "sent", "settled", "returned", "cancelled"]
    batch_id: int | None
    payment_date: dt.date | None = Field(description="the day the bank pays (or paid) it")
    reason: str | None = Field(description="the hold reason, or the bank's return reason")
    advice: str | None = Field(description="what it means and what the payee can do")


class PaymentsPage(Page):
    items: list[Payment]


class Reason(BaseModel):
    code: str
    message: str | None = None
    reference: str | None = None


class MyDecision(BaseModel):
    sequence: int
    employer_cvr: str
    external_ref: str
    kind: str
    first_absence_day: dt.date
    last_absence_day: dt.date
    version: int
    decided_on: dt.date
    status: str
    amount: Amount
    currency: Literal["DKK"]
    paid_to: Party | None
    reasons: list[Reason]
    explanation: str


class DecisionsPage(Page):
    items: list[MyDecision]


# -- employer ----------------------------------------------------------------------------------

CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "a claim as in docs/claim-format.md (validated by the rules; numbers may "
    "be JSON numbers or decimal strings)",
    "properties": {
        "external_ref": {"type": "string"},
        "employer_cvr": {"type": "string"},
        "employee_cpr": {"type": "string"},
        "kind": {"type": "string", "enum": ["sickness", "maternity"]},
        "first_absence_day": {"type": "string", "format": "date"},
        "last_absence_day": {"type": "string", "format": "date"},
        "correction": {"type": "boolean"},
    },
}
CLAIMS_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    CLAIM_SCHEMA,
                    {"type": "array", "items": CLAIM_SCHEMA, "minItems": 1, "maxItems": 1000},
                ]
            }
        }
    },
}


class ClaimProblem(BaseModel):
    code: str
    field: str | None
    message: str | None


class ClaimOutcome(BaseModel):
    position: str
    external_ref: str | None
    outcome: Literal["created", "unchanged", "corrected", "invalid"]
    status: str
    amount: Amount
    currency: Literal["DKK"]
    payee: Party | None
    codes: list[str]
    problems: list[ClaimProblem]


class ClaimCounts(BaseModel):
    created: int
    unchanged: int
    corrected: int
    invalid: int


class ClaimsResult(BaseModel):
    counts: ClaimCounts
    outcomes: list[ClaimOutcome]


class JobError(BaseModel):
    code: str
    message: str


class JobCounts(ClaimCounts):
    records: int


class JobProblem(BaseModel):
    position: str
    external_ref: str | None
    codes: list[str]


class Job(BaseModel):
    job_id: int
    status: Literal["queued", "running", "done", "failed"]
    file_name: str
    size_bytes: int
    received_on: dt.date
    received_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    counts: JobCounts
    problems: list[JobProblem]
    error: JobError | None


class FeedItem(BaseModel):
    sequence: int
    external_ref: str
    kind: str
    first_absence_day: dt.date
    last_absence_day: dt.date
    version: int
    received_at: dt.datetime
    status: str
    amount: Amount
    codes: list[str]


class FeedPage(Page):
    items: list[FeedItem]


class ClaimStatus(BaseModel):
    external_ref: str
    kind: str
    version: int
    received_at: dt.datetime
    decided_on: dt.date
    status: str
    amount: Amount
    currency: Literal["DKK"]
    payee: Party | None
    reasons: list[Reason]
    orders: list[Payment]


class Explanation(BaseModel):
    external_ref: str
    version: int
    status: str
    amount: Amount
    text: str = Field(description="the trace as numbered lines")
    trace: list[dict[str, Any]]
    reasons: list[dict[str, Any]]


# -- bank --------------------------------------------------------------------------------------


class BankRow(In):
    """One row of the bank file (docs/bank-file.md), its cells as text."""

    owner_kind: Annotated[str, Field(max_length=10)]
    owner_number: Annotated[str, Field(max_length=20)]
    reg_no: Annotated[str, Field(max_length=10)] | None = None
    account_no: Annotated[str, Field(max_length=20)] | None = None
    iban: Annotated[str, Field(max_length=50)] | None = None
    bic: Annotated[str, Field(max_length=20)] | None = None
    action: Annotated[str, Field(max_length=10)]
    effective_date: Annotated[str, Field(max_length=10)]


class BankRowsIn(In):
    rows: Annotated[list[BankRow], Field(min_length=1, max_length=10_000)]


class BankRowOutcome(BaseModel):
    row: int
    outcome: Literal["accepted", "rejected"]
    code: str | None
    field: str | None
    message: str | None


class BankResult(BaseModel):
    rows: int
    registered: int
    closed: int
    unchanged: int
    rejected: int
    outcomes: list[BankRowOutcome]


# -- operator ----------------------------------------------------------------------------------


class BatchRunIn(In):
    date: dt.date | None = Field(None, description="the business date; default today")


class BatchFile(BaseModel):
    name: str
    msg_id: str
    transactions: int
    amount: Amount
    sha256: str


class StateFigures(BaseModel):
    count: int
    amount: Amount


class Batch(BaseModel):
    batch_id: int
    created: bool
    run_date: dt.date
    execution_date: dt.date
    status: str
    orders: int
    amount: Amount
    held: int
    held_by_reason: dict[str, int]
    files: list[BatchFile]
    created_by: str | None = None
    rejected_by: str | None = None
    reject_reason: str | None = None
    orders_by_state: dict[str, StateFigures] | None = None


class BatchList(BaseModel):
    items: list[Batch]


class RejectionIn(In):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReviewResult(BaseModel):
    order_id: int
    review_approved_by: str


class HeldPage(Page):
    items: list[Payment]


class ReturnedTransaction(BaseModel):
    """A transaction the import returned: whose account it was (masked) and what happens
    next (``new_account``: held until one is registered; ``requeue``: a clerk requeues it;
    ``none``: it moved on)."""

    end_to_end_id: str
    order_id: int
    amount: str
    reason: str | None
    owner: str
    account: str
    state: str
    next: str
    next_text: str


class NotAppliedTransaction(BaseModel):
    """A status recorded but not applied: why, whose account (masked; null for an id never
    sent) and what a clerk does next (``apply`` once the bank confirms; ``check``)."""

    end_to_end_id: str
    why: str
    status: str
    reason: str | None
    order_id: int | None
    owner: str | None
    account: str | None
    next: str
    next_text: str


class ReturnsResult(BaseModel):
    """The import's summary, and its first ``RETURNS_LISTED`` (100) returned and
    not-applied transactions in file order, each list with its total and whether it was cut
    short (``returned`` counts every returned one; ``payments returns show MSG_ID`` lists
    them all). Bounded, so that an answer of a million returns stays a small response."""

    msg_id: str
    kind: str
    created: bool
    settled: int
    returned: int
    unchanged: int
    unknown: list[str]
    registrations_flagged: int
    by_reason: dict[str, int]
    not_applied: dict[str, str]
    returned_transactions: list[ReturnedTransaction]
    returned_transactions_truncated: bool
    not_applied_transactions: list[NotAppliedTransaction]
    not_applied_count: int
    not_applied_transactions_truncated: bool


# -- auditor -----------------------------------------------------------------------------------


class AuditEvent(BaseModel):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(Page):
    items: list[AuditEvent]


class Verification(BaseModel):
    events: int
    intact: bool
    broken_id: int | None
    problem: str | None
