"""Claim intake (NemRefusion): validate, decide, store, and create payment orders.

``submit(engine, records, …)`` takes the records of a claim file (streamed by
:func:`rules.iter_claim_records`) and, for each claim:

1. unless the very record is already stored (then it is ``unchanged``), parses and
   validates it (:func:`rules.parse_claim`); an invalid claim is reported with its position
   and codes and not stored;
2. applies idempotency on ``(employer_cvr, external_ref)``: the identical claim again is
   ``unchanged`` (nothing new is written); a different claim under the same reference is
   ``invalid`` with ``CLAIM_DUPLICATE_REF`` unless it says ``"correction": true``; a
   correction for a reference never seen is ``CLAIM_CORRECTION_UNKNOWN_REF`` (a typo in the
   reference must not silently create a second claim). "Identical" compares the record as
   received, without its ``correction`` flag;
3. refuses an overlapping sickness claim for the same employee and employer
   (``CLAIM_OVERLAP``: the employer corrects the earlier claim instead);
4. builds the history the cross-claim rules need — every live sickness decision of the
   employee at any employer (§ 24, 22 weeks in 9 months), every live maternity decision of
   the parent for the same child — and calls :func:`rules.decide`;
5. stores the raw claim, the decision (status, amount in øre, codes, granted days,
   parameter versions and the full decision document with its trace), and the payment
   order: to the employer's CVR when salary was paid, else to the employee's CPR, due on the
   processing date, with a stable end-to-end id (:func:`payments.payouts.end_to_end_id`).

A decision with status ``error`` (e.g. ``RULE_PARAM_MISSING``) is reported and not stored,
so the same claim can be submitted again once the operator has added the missing rate.

Corrections supersede the live decision; :mod:`payments.claims.payouts` turns a decision into
orders and recoveries, so that for every claim, at any time:
``sum(live orders) - sum(recoveries) = latest decision amount``. A chunk that corrects takes
the batch lock first, so a nightly run never pays an order that a correction is cancelling.

Netting (:mod:`payments.claims.netting`): a chunk loads the open recoveries of its
employers and employees in one query (nearly always none), and each order it creates is
offset against those of its payee and benefit; a recovery a correction creates is offset
against the payee's orders not yet sent. Before a correction the chunk writes the rows it
holds, so the correction sees every order of the chunk.

Throughput: claims are processed in chunks of :data:`CHUNK` in one transaction each. A
chunk first looks its records up by digest among the live claims (one query): a record
already stored is ``unchanged`` without being parsed or decided, so sending a file again
costs little more than reading it. The rest are parsed, their existing claims and histories
fetched in one query, decided, and their rows inserted with one statement per table
(:func:`payments.db.insert_rows`: COPY on PostgreSQL, ``executemany`` on SQLite).
If the database refuses a chunk (a concurrent submitter won a race on a reference, or a
value it cannot hold), the chunk is rolled back and redone one claim per transaction, so a
bad claim never loses a good one: that claim is reported (``CLAIM_CONFLICT``,
``CLAIM_NOT_STORABLE``) and the others are stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, defer

import rules
from payments import audit, money
from payments.claims import counts, payouts
from payments.claims.chunk import ClaimChunk
from payments.claims.netting import Netting, RowView
from payments.db import IdReserver, among, insert_rows, session_scope
from payments.errors import NotFound
from payments.models import LIVE_DECISION, Claim, Decision, PaymentOrder
from rules.decision import money_text

CHUNK = 500
#: what the database may refuse of one claim (a reference taken meanwhile, a value it cannot
#: hold): the chunk is redone claim by claim and only that claim is reported
_REFUSED = (IntegrityError, DataError)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one record of the file."""

    position: str
    outcome: str  # created | unchanged | corrected | not_stored
    decision: dict[str, Any]  # the documented decision JSON

    @property
    def status(self) -> str:
        return self.decision["status"]

    @property
    def failed(self) -> bool:
        return self.status in ("invalid", "error")


def _canonical(raw: dict[str, Any]) -> tuple[str, str]:
    """The record as stored, and its digest without the ``correction`` flag (identity)."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    body = text
    if "correction" in raw:
        body = json.dumps(
            {k: v for k, v in raw.items() if k != "correction"},
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
    return text, hashlib.sha256(body.encode()).hexdigest()


def _invalid(position: str, code: str, message: str, field: str, raw: dict | None) -> Outcome:
    decision = rules.invalid_decision((rules.Problem(code, field, message),), raw)
    return Outcome(position, "not_stored", decision.to_dict())


def _brief(
    external_ref: str | None,
    status: str,
    amount: str,
    payee_kind: str | None,
    payee_number: str | None,
    codes: Iterable[str],
    kind: str | None,
    employer_cvr: str | None,
    supplement: str,
) -> dict[str, Any]:
    """The stable part of a decision (status, amount, supplement, payee, codes): what an
    outcome carries when the whole document was not asked for."""
    payee = {"kind": payee_kind, "number": payee_number} if payee_kind else None
    return {
        "external_ref": external_ref,
        "status": status,
        "amount": amount,
        "supplement": supplement,
        "currency": "DKK",
        "payee": payee,
        "reasons": [{"code": c} for c in codes if c],
        "kind": kind,
        "employer_cvr": employer_cvr,
    }


def _summary(claim: Claim, decision: Decision) -> dict[str, Any]:
    """:func:`_brief` of a stored decision, from its columns."""
    return _brief(
        claim.external_ref,
        decision.status,
        money.text(decision.amount_ore),
        decision.payee_kind,
        decision.payee_number,
        decision.codes.split(","),
        claim.kind,
        claim.employer_cvr,
        money.text(decision.supplement_ore),
    )


class _Intake:
    """One chunk's transaction.

    A new claim, its decision and its order are kept as plain rows and inserted with one
    statement per table when the chunk ends (:meth:`write`): ORM objects and the
    unit of work cost more per claim than deciding it. Corrections (rarer, and they change
    stored rows) go through the ORM; a correction of a claim created earlier in the same
    chunk first writes the rows and loads that claim.
    """

    def __init__(
        self,
        session: Session,
        *,
        actor: str,
        today: dt.date,
        now: dt.datetime,
        parameters: rules.Parameters,
        documents: bool,
        backdated: bool = False,
    ) -> None:
        self.session, self.actor, self.today, self.now = session, actor, today, now
        self.parameters, self.documents, self.backdated = parameters, documents, backdated
        self.ids = IdReserver(session)
        self.rows: dict[type, list[dict[str, Any]]] = {Claim: [], Decision: [], PaymentOrder: []}
        self.netting: Netting | None = None

    def process(self, items: list[tuple[str, dict]]) -> list[Outcome]:
        """Outcomes in input order: known records first, then parse, decide and store."""
        canonical = [_canonical(raw) for _, raw in items]
        known = self._stored_by_digest([digest for _, digest in canonical])
        outcomes: list[Outcome | None] = []
        todo: list[tuple[int, str, dict, rules.Claim, str, str]] = []
        for (position, raw), (text, digest) in zip(items, canonical, strict=True):
            if digest in known:  # the very record already stored: nothing to parse or decide
                outcomes.append(Outcome(position, "unchanged", self._document(*known[digest])))
                continue
            try:
                # the receipt date is the processing date; a file's own submitted_on is
                # refused (CLAIM_FIELD_NOT_ALLOWED) unless historic claims are imported
                claim = rules.parse_claim(
                    raw, today=self.today, submitted_on_allowed=self.backdated
                )
            except rules.InvalidClaim as exc:
                outcomes.append(
                    Outcome(
                        position, "not_stored", rules.invalid_decision(exc.problems, raw).to_dict()
                    )
                )
                continue
            todo.append((len(outcomes), position, raw, claim, text, digest))
            outcomes.append(None)
        if todo:
            claims = [t[3] for t in todo]
            chunk = ClaimChunk(self.session, claims, self.documents)
            # who the chunk may pay: an employer (salary paid) or an employee
            payees = {c.employer_cvr for c in claims} | {c.employee_cpr for c in claims}
            self.netting = Netting(self.session, payees, actor=self.actor, now=self.now)
            for index, position, raw, claim, text, digest in todo:
                outcomes[index] = self.one(position, raw, claim, text, digest, chunk)
            self.write()
        return outcomes

    def _stored_by_digest(self, digests: list[str]) -> dict[str, tuple[Claim, Decision]]:
        """Live claims whose record as received has one of these digests (one query)."""
        query = (
            select(Claim, Decision)
            .join(Decision, LIVE_DECISION)
            .where(among(self.session, Claim.raw_sha256, set(digests)))
        )
        if not self.documents:
            query = query.options(defer(Decision.document), defer(Claim.raw))
        return {
            claim.raw_sha256: (claim, decision) for claim, decision in self.session.execute(query)
        }

    def _document(self, stored, decision) -> dict[str, Any]:
        return json.loads(decision.document) if self.documents else _summary(stored, decision)

    def _stored_document(self, result: rules.Decision, document: bytes) -> dict[str, Any]:
        """What the outcome of a claim stored now carries (as :meth:`_document` would)."""
        if self.documents:
            return orjson.loads(document)
        payee = result.payee
        return _brief(
            result.external_ref,
            result.status,
            money_text(result.amount),
            payee and payee.kind,
            payee and payee.number,
            result.codes,
            result.kind,
            result.employer_cvr,
            money_text(result.supplement),
        )

    def write(self) -> None:
        """Insert the rows of the claims created so far (claims, decisions, then orders),
        then record their offsets."""
        conn = self.session.connection()
        for model, rows in self.rows.items():
            insert_rows(conn, model.__table__, rows)  # not the ORM's grouping of rows
            rows.clear()
        if self.netting is not None:
            self.netting.record()

    def one(
        self,
        position: str,
        raw: dict,
        claim: rules.Claim,
        text: str,
        digest: str,
        chunk: ClaimChunk,
    ) -> Outcome:
        existing = chunk.by_key.get((claim.employer_cvr, claim.external_ref))
        correction = bool(raw.get("correction"))
        if existing is not None:
            stored, decision = existing
            if stored.raw_sha256 == digest:
                return Outcome(position, "unchanged", self._document(stored, decision))
            if not correction:
                return _invalid(
                    position,
                    "CLAIM_DUPLICATE_REF",
                    f"reference {claim.external_ref} was already used for a "
                    'different claim; send it with "correction": true to '
                    "replace it",
                    "external_ref",
                    raw,
                )
        elif correction:
            return _invalid(
                position,
                "CLAIM_CORRECTION_UNKNOWN_REF",
                f"there is no earlier claim {claim.external_ref} to correct",
                "external_ref",
                raw,
            )
        exclude = existing[0] if existing else None
        clash = chunk.overlap(claim, exclude)
        if clash is not None:
            return _invalid(
                position,
                "CLAIM_OVERLAP",
                f"the absence overlaps claim {clash.external_ref} "
                f"({clash.first_day}..{clash.last_day}) for the same employee "
                "and employer; correct that claim instead",
                "first_absence_day",
                raw,
            )
        result = rules.decide(
            claim, history=chunk.history(claim, exclude), parameters=self.parameters
        )
        if not result.decided:
            return Outcome(position, "not_stored", result.to_dict())
        document = result.to_json()
        if existing is None:
            stored, decision = self._create(claim, text, digest, result, document)
            chunk.remember(stored, decision)
            return Outcome(position, "created", self._stored_document(result, document))
        stored, previous = existing
        self.write()  # the correction nets against every order of the chunk so far
        if isinstance(stored, SimpleNamespace):  # created in this chunk: rows until now
            stored = self.session.get(Claim, stored.id)
            previous = self.session.get(Decision, previous.id)
        stored.version += 1
        stored.raw, stored.raw_sha256 = text, digest
        # everything the claim says may change but its key: a mistyped CPR, the kind, …
        stored.employee_cpr, stored.kind = claim.employee_cpr, claim.kind
        stored.first_day, stored.last_day = claim.first_absence_day, claim.last_absence_day
        stored.child_birth_date, stored.parent = claim.child_birth_date, claim.parent
        stored.expected_birth_date = claim.expected_birth_date
        stored.received_at, stored.actor = self.now, self.actor
        stored.received_on, stored.backdated = claim.submitted_on, self.backdated
        previous.superseded = True
        self.session.flush()  # supersede before the new live decision
        decision = Decision(**self._decision_values(stored, result, document))
        self.session.add(decision)
        payouts.correct(
            self.session,
            self.ids,
            stored,
            decision,
            result,
            today=self.today,
            now=self.now,
            netting=self.netting,
        )
        chunk.remember(stored, decision)
        return Outcome(position, "corrected", self._stored_document(result, document))

    def _create(
        self, claim: rules.Claim, text: str, digest: str, result: rules.Decision, document: bytes
    ) -> tuple[SimpleNamespace, SimpleNamespace]:
        """Rows for a new claim, its decision and its order; views of them for the chunk."""
        stored = dict(
            id=self.ids.next("claims"),
            employer_cvr=claim.employer_cvr,
            external_ref=claim.external_ref,
            employee_cpr=claim.employee_cpr,
            kind=claim.kind,
            first_day=claim.first_absence_day,
            last_day=claim.last_absence_day,
            child_birth_date=claim.child_birth_date,
            expected_birth_date=claim.expected_birth_date,
            parent=claim.parent,
            raw=text,
            raw_sha256=digest,
            version=1,
            received_at=self.now,
            received_on=claim.submitted_on,
            backdated=self.backdated,
            actor=self.actor,
        )
        view = SimpleNamespace(**stored)
        decision = self._decision_values(view, result, document)
        self.rows[Claim].append(stored)
        self.rows[Decision].append(decision)
        for kind, values in payouts.payments(
            self.ids, view, decision, result, {}, today=self.today, now=self.now
        ):
            if kind is PaymentOrder:
                self.netting.order_created(
                    RowView(values), claim.kind, payouts.period(result), claim.external_ref
                )
                self.rows[PaymentOrder].append(values)
        return view, SimpleNamespace(**decision)

    def _decision_values(self, stored, result: rules.Decision, document: bytes) -> dict[str, Any]:
        return dict(
            id=self.ids.next("decisions"),
            claim_id=stored.id,
            version=stored.version,
            status=result.status,
            amount_ore=money.ore(result.amount),
            supplement_ore=money.ore(result.supplement),
            payee_kind=result.payee.kind if result.payee else None,
            payee_number=result.payee.number if result.payee else None,
            codes=",".join(result.codes),
            granted_days=",".join(d.isoformat() for d in result.granted_days),
            parameter_versions=_parameter_versions(result.parameters),
            document=document.decode(),
            decided_on=self.today,
            created_at=self.now,
            superseded=False,
        )


@lru_cache(maxsize=1024)
def _parameter_versions(parameters: tuple[rules.ParameterValue, ...]) -> str:
    """Which value of each legal parameter a decision used, as stored with it: the same few
    tuples for a whole file of claims (the parameter values are shared), so made once each."""
    return json.dumps(
        {p.name: [p.valid_from.isoformat(), str(p.value), p.origin] for p in parameters},
        sort_keys=True,
    )


class _Statistics:
    """Keeps PostgreSQL's planner statistics current while an intake grows the tables.

    Each chunk looks claims up by digest and by employee (arrays of up to :data:`CHUNK`
    keys). Without statistics PostgreSQL prices such a look-up as most of the table and
    scans all of it: resubmitting 100,000 claims into freshly filled tables took 41 s
    instead of a few. Autovacuum may be off or not yet round, so when the intake's own
    growth reaches 1,000, 2,000, 4,000, … claims it asks whether ``claims`` grew to more
    than twice (and 1,000 rows more than) what its last analysis counted (its highest id
    against the analysis's ``reltuples``: no wait for the statistics collector), and only
    then analyses the three tables it fills: at most log2(n) checks and short ``ANALYZE``
    statements (each samples at most 30,000 rows).

    Why twice, not autovacuum's 10 %: what the look-ups' plans need of the statistics
    follows the table as it grows — PostgreSQL scales the analysed row count by the
    table's current size, and keeps the distinct values of a column that is nearly unique
    (digest, reference, employee) as a fraction of the rows — so what matters is that a
    table filled from empty is analysed at all, early, and again now and then. One intake
    of 100,000 claims into empty tables last analyses them at 64,000 claims either way (at
    1,000, 4,000, 16,000 and 64,000; at 10 % also at 8,000 and 32,000), so resubmitting it
    plans as before. The API is where the rules differ: every request of 1,000 claims is an
    intake of its own, and at 10 % tables growing from 2,000 to 20,000 claims were analysed
    ten times (0.8 s of PostgreSQL's CPU at 20,000 claims, most of it sampling and sorting
    the decisions' and claims' text columns), at twice three times.

    One analysis at a time: the check and the ``ANALYZE`` run under a transaction-scoped
    advisory lock (``pg_try_advisory_xact_lock``, keyed by the table), and an intake that
    finds it taken leaves the analysis to its holder. The service's concurrent requests of
    1,000 claims finish together and all found the table grown: each analysed it in turn
    (the ``ANALYZE`` statements queue on the table's lock), four analyses of the same rows
    instead of one — with 20,000 claims through ``payments serve --workers 2`` some 40 %
    of PostgreSQL's CPU. The check runs after the lock is taken, so an intake that takes it
    just after another's analysis sees the new row count and does not analyse again.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine if engine.dialect.name == "postgresql" else None
        self.created, self.next_at = 0, 1000

    def grew(self, created: int) -> None:
        self.created += created
        if self.engine is None or self.created < self.next_at:
            return
        self.next_at = 2 * self.created
        with self.engine.begin() as conn:
            if conn.execute(sql(_ANALYSING)).scalar() and conn.execute(sql(_STALE)).scalar():
                conn.execute(sql("ANALYZE claims, decisions, payment_orders"))


#: the lock of the one intake that may check and analyse now (false: another one does);
#: keyed by the table itself, so intakes into another schema's tables never skip for it
_ANALYSING = (
    "SELECT pg_try_advisory_xact_lock(hashtext('claims.statistics'), 'claims'::regclass::int)"
)
#: whether ``claims`` grew to twice its rows at PostgreSQL's last analysis (never: -1 rows)
_STALE = (
    "SELECT coalesce((SELECT max(id) FROM claims), 0) >= 1000 + 2 * greatest("
    "(SELECT reltuples FROM pg_class WHERE oid = 'claims'::regclass), 0)"
)


def _unreadable(record: rules.ClaimRecord) -> Outcome:
    return Outcome(
        record.position,
        "not_stored",
        rules.invalid_decision((record.problem,), record.raw).to_dict(),
    )


def submit(
    engine: Engine,
    records: Iterable[rules.ClaimRecord],
    *,
    actor: str,
    today: dt.date,
    now: dt.datetime,
    parameters: rules.Parameters,
    chunk_size: int = CHUNK,
    documents: bool = True,
    backdated: bool = False,
) -> Iterator[Outcome]:
    """Process every record; yield one :class:`Outcome` per record, in input order.

    The date a claim is received is ``today`` (the processing date), stored with it and the
    start of its deadlines. ``backdated=True`` imports historic claims: each claim's own
    ``submitted_on`` (else ``today``) is its receipt date, and the import is audited as such.

    With ``documents=False`` an ``unchanged`` outcome carries only the stable part of the
    stored decision (status, amount, payee, codes) instead of the whole document with its
    trace, which spares reading every stored trace back when a file is resubmitted.
    """
    pending: list[tuple[str, dict] | Outcome] = []
    statistics = _Statistics(engine)

    def flush() -> Iterator[Outcome]:
        items = [p for p in pending if not isinstance(p, Outcome)]
        try:
            outcomes = _commit(engine, items, actor, today, now, parameters, documents, backdated)
        except _REFUSED:
            outcomes = [
                o
                for item in items
                for o in _commit(
                    engine,
                    [item],
                    actor,
                    today,
                    now,
                    parameters,
                    documents,
                    backdated,
                    single=True,
                )  # fmt: skip
            ]
        statistics.grew(sum(o.outcome == "created" for o in outcomes))
        done = iter(outcomes)
        for p in pending:
            yield p if isinstance(p, Outcome) else next(done)
        pending.clear()

    for record in records:
        pending.append(
            _unreadable(record) if record.problem is not None else (record.position, record.raw)
        )
        if len(pending) >= chunk_size:
            yield from flush()
    if pending:
        yield from flush()


def _commit(
    engine: Engine,
    items: list,
    actor: str,
    today: dt.date,
    now: dt.datetime,
    parameters: rules.Parameters,
    documents: bool,
    backdated: bool,
    single: bool = False,
) -> list[Outcome]:
    if not items:
        return []
    try:
        with session_scope(engine) as session:
            outcomes = _Intake(
                session,
                actor=actor,
                today=today,
                now=now,
                parameters=parameters,
                documents=documents,
                backdated=backdated,
            ).process(items)
            stored = [o for o in outcomes if o.outcome in ("created", "corrected")]
            if stored:
                audit.append(
                    session,
                    actor=actor,
                    action="claims.submit",
                    subject=f"claims:{stored[0].decision['employer_cvr']}",
                    payload={
                        "created": sum(o.outcome == "created" for o in stored),
                        "corrected": sum(o.outcome == "corrected" for o in stored),
                        "refs": [o.decision["external_ref"] for o in stored][:50],
                    }
                    | ({"backdated": True} if backdated else {}),
                    now=now,
                )
                # after the audit event's lock: see payments.claims.counts
                counts.add(
                    session,
                    Counter(o.decision["employer_cvr"] for o in stored if o.outcome == "created"),
                )
            return outcomes
    except _REFUSED as exc:
        if not single:
            raise
        position, raw = items[0]
        if isinstance(exc, IntegrityError):
            return [
                _invalid(
                    position,
                    "CLAIM_CONFLICT",
                    "the claim conflicts with one stored at the same moment; submit it again",
                    "external_ref",
                    raw,
                )
            ]
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        return [
            _invalid(
                position,
                "CLAIM_NOT_STORABLE",
                f"the database refused a value of the claim ({reason}); nothing of it was stored",
                None,
                raw,
            )
        ]


def find(session: Session, employer_cvr: str, external_ref: str) -> tuple[Claim, Decision]:
    """The claim and its live decision, or ``CLAIM_NOT_FOUND``."""
    row = session.execute(
        select(Claim, Decision)
        .join(Decision, LIVE_DECISION)
        .where(Claim.employer_cvr == employer_cvr, Claim.external_ref == external_ref)
    ).first()
    if row is None:
        raise NotFound(
            "CLAIM_NOT_FOUND",
            f"employer {employer_cvr} has no claim {external_ref}",
            "external_ref",
        )
    return row[0], row[1]
