"""What an employer may send and see through the API: its own claims, and only those.

The employer is the CVR number in its token. A claim whose ``employer_cvr`` names another
employer is refused before it is decided (``AUTH_SUBJECT_MISMATCH``, reported like any
invalid claim, nothing stored): a payroll system can only claim for its own company. Reading
a claim of another employer is ``CLAIM_NOT_FOUND``, as for one that does not exist.

The same rules serve ``POST /v1/claims`` (a few claims, answered at once) and the
claim-file jobs (:mod:`payments.worker`): both go through :func:`own_records` and
:func:`payments.claims.intake.submit`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.engine import Engine

import rules
from identifiers import IdentifierError, cvr, mask_owner
from payments import money, order_views
from payments.claims import intake, queries
from payments.db import read_scope, session_scope
from payments.models import Claim
from rules.codes import CLAIM_NOT_AN_OBJECT

FEED_MAX = 1000
#: the outcome words the API reports (the intake's ``not_stored`` is ``invalid`` there)
OUTCOMES = ("created", "unchanged", "corrected", "invalid")


def own_records(
    records: Iterable[rules.ClaimRecord], employer_cvr: str
) -> Iterator[rules.ClaimRecord]:
    """The records as the intake gets them; one naming another employer carries the problem
    ``AUTH_SUBJECT_MISMATCH`` (and keeps its raw claim so that the outcome names its
    reference). An ``employer_cvr`` that is no CVR at all is left to the intake to report."""
    for record in records:
        raw = record.raw
        if raw is not None:
            try:
                given = cvr.parse(raw.get("employer_cvr"), "employer_cvr")
            except IdentifierError:
                given = employer_cvr
            if given != employer_cvr:
                problem = rules.Problem(
                    "AUTH_SUBJECT_MISMATCH",
                    "employer_cvr",
                    "the claim names another employer than the one you are signed in as",
                )
                record = rules.ClaimRecord(record.position, raw, problem)
        yield record


def outcome_view(outcome: intake.Outcome) -> dict[str, Any]:
    """One claim's outcome as the API reports it: what happened, the decision's stable part
    (payee masked), and every reason code."""
    d = outcome.decision
    payee = d.get("payee")
    word = "invalid" if outcome.outcome == "not_stored" else outcome.outcome
    return {
        "position": outcome.position,
        "external_ref": d.get("external_ref"),
        "outcome": word,
        "status": d["status"],
        "amount": d["amount"],
        "currency": "DKK",
        "payee": {"kind": payee["kind"], "number": mask_owner(payee["kind"], payee["number"])}
        if payee
        else None,
        "codes": [r["code"] for r in d.get("reasons", ()) if r.get("code")],
        "problems": [
            {"code": r["code"], "field": r.get("field"), "message": r.get("message")}
            for r in d.get("reasons", ())
            if r.get("message") and word == "invalid"
        ],
    }


def submit(
    engine: Engine,
    raws: list[Any],
    *,
    employer_cvr: str,
    actor: str,
    today: dt.date,
    now: dt.datetime,
    parameters: rules.Parameters,
) -> list[dict[str, Any]]:
    """Decide and store a few claims sent in one request; one outcome per claim, in order."""
    records = (
        rules.ClaimRecord(f"item {n}", raw, None)
        if isinstance(raw, dict)
        else rules.ClaimRecord(
            f"item {n}",
            None,
            rules.Problem(CLAIM_NOT_AN_OBJECT, None, "a claim is a JSON object"),
        )
        for n, raw in enumerate(raws, 1)
    )
    return [
        outcome_view(o)
        for o in intake.submit(
            engine,
            own_records(records, employer_cvr),
            actor=actor,
            today=today,
            now=now,
            parameters=parameters,
            documents=False,
        )
    ]


def check(raw: Any, *, employer_cvr: str, today: dt.date) -> list[dict[str, Any]]:
    """What is wrong with one claim before it is sent, as :func:`submit` would report it
    (``code``, ``field``, ``message``): the claim format and the employer (the intake's own
    validation, the same functions), nothing decided or stored. ``[]`` when the claim would
    be decided; what needs the database (a reference already used, an absence overlapping
    another claim) is known only when it is sent. The pages' "check your answers" step."""
    (record,) = own_records([rules.ClaimRecord("item 1", raw, None)], employer_cvr)
    problems = [record.problem] if record.problem else []
    if not problems:
        try:
            rules.parse_claim(raw, today=today, submitted_on_allowed=False)
        except rules.InvalidClaim as exc:
            problems = list(exc.problems)
    return [{"code": p.code, "field": p.field, "message": p.message} for p in problems]


def feed(engine: Engine, employer_cvr: str, *, after: int = 0, limit: int = 100) -> list[dict]:
    """The employer's claims in the order they were first stored (the claim id is the
    sequence, as NAV's ``fraLoepenr``): page with ``after`` = the last ``sequence`` read. A
    correction keeps its claim's place and shows its latest version."""
    query = queries.live_page(
        Claim.employer_cvr == employer_cvr, after=after, limit=limit, most=FEED_MAX
    )
    with session_scope(engine) as session:
        rows = session.execute(query.execution_options(yield_per=500)).all()
        return [
            {
                "sequence": claim.id,
                "external_ref": claim.external_ref,
                "kind": claim.kind,
                "first_absence_day": claim.first_day,
                "last_absence_day": claim.last_day,
                "version": claim.version,
                "received_at": claim.received_at,
                "status": decision.status,
                "amount": money.text(decision.amount_ore),
                "codes": [c for c in decision.codes.split(",") if c],
            }
            for claim, decision in rows
        ]


def claim(engine: Engine, employer_cvr: str, external_ref: str) -> dict[str, Any]:
    """One claim of the employer: its live decision and where each of its orders stands."""
    with read_scope(engine) as session:
        stored, decision = intake.find(session, employer_cvr, external_ref)
        document = json.loads(decision.document)
        payee = document.get("payee")
        return {
            "external_ref": stored.external_ref,
            "kind": stored.kind,
            "version": stored.version,
            "received_at": stored.received_at,
            "decided_on": decision.decided_on,
            "status": decision.status,
            "amount": money.text(decision.amount_ore),
            "currency": "DKK",
            "payee": {"kind": payee["kind"], "number": mask_owner(payee["kind"], payee["number"])}
            if payee
            else None,
            "reasons": [
                {"code": r["code"], "message": r.get("message"), "reference": r.get("reference")}
                for r in document.get("reasons", ())
            ],
            "orders": order_views.for_claim(session, stored.id),
        }


def explanation_text(document: dict[str, Any]) -> str:
    """The trace of a decision as numbered lines a clerk (or the employee) can read."""
    lines = [
        f"Decision on {document.get('external_ref')} (version {document.get('version', 1)}): "
        f"{document['status']}, {document['amount']} DKK"
    ]
    for n, step in enumerate(document.get("trace", ()), 1):
        lines.append(f"{n:>2}. {step['rule']} - {step['reference']}")
        if step.get("output"):
            lines.append(f"    {step['output']}")
    for reason in document.get("reasons", ()):
        lines.append(f"{reason['code']}: {reason.get('message') or ''}".rstrip())
    return "\n".join(lines)


def explanation(engine: Engine, employer_cvr: str, external_ref: str) -> dict[str, Any]:
    """The stored trace of the claim's live decision, as text and as its JSON steps."""
    with read_scope(engine) as session:
        stored, decision = intake.find(session, employer_cvr, external_ref)
        document = json.loads(decision.document) | {"version": stored.version}
    return {
        "external_ref": external_ref,
        "version": document["version"],
        "status": document["status"],
        "amount": document["amount"],
        "text": explanation_text(document),
        "trace": document.get("trace", []),
        "reasons": document.get("reasons", []),
    }
