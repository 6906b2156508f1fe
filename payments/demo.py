"""The whole engine, end to end, on synthetic but valid data (``payments demo``).

One deterministic run for a given seed, size and date (timestamps are derived from the
date, never read from the clock, so the pain.001 files are byte-identical between runs):

1. synthetic employers (valid CVR) and employees (valid CPR);
2. NemKonto registrations: employers and most employees through the bank channel (some
   with an IBAN), three employees through citizen self-service (registered by themselves);
   the mail room exports their activation letters (``letters/``), two activate with the
   code from their letter, one never does — and a few employees with no account at all;
3. a claim file of sickness and maternity claims (with a late claim, an invalid one, and
   claims whose salary was not paid, so the benefit goes to the employee), then a second
   file correcting one claim;
4. night 1: the batch, approval by a second actor, release (the files and their manifest,
   which anchors the audit chain), XSD validation of the files;
5. the bank's pain.002 answer, fabricated with a few account rejections, imported;
6. a new bank registration for one rejected payee; the employer then corrects two claims
   paid in night 1, one shorter (a recovery) and one longer (a difference payment), and the
   recovery is offset against the difference (netting); night 2 pays that payee again and
   the difference less the offset;
7. the audit chain is verified, against the release manifests in the outbox.

``run`` reports each step through ``say`` and returns a :class:`DemoSummary`.

Flat memory at any ``--size`` (up to 1,000,000), as the engine itself: nothing holds all
claims, registrations or answers at once. The employees' CPR numbers are kept as 8-byte
integers (:class:`Numbers`) and checked for repeats with a bitmap (:class:`UsedCprs`); the
claim file is written line by line and its outcomes are counted as they come (without
their decision documents); the NemKonto registrations go through the bank-file importer in
files of :data:`BANK_FILE_ROWS` rows; the bank's answer is written file by file from a
streamed query. The random draws are the same, in the same order, as when all of it was
built in memory, so a seed gives the same files as before, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import iso20022
import rules
from iso20022 import pain002_writer
from payments import audit, manifests, money, orders, returns, schema
from payments.batch import approval, night
from payments.claims import intake
from payments.config import Settings
from payments.db import session_scope
from payments.models import BatchFile, BatchItem, Claim, PaymentOrder, Recovery
from payments.registry import bank_file, letters, lifecycle
from payments.statuses import OrderStatus

Say = Callable[[str], None]
WEIGHTS_CVR = (2, 7, 6, 5, 4, 3, 2, 1)
#: rows per bank file the demo imports (each file is one transaction of the importer)
BANK_FILE_ROWS = 20_000
#: the birth dates synthetic_cpr draws: 1960-01-01 and the 40 * 365 days after it
FIRST_BORN = dt.date(1960, 1, 1)
BORN_DAYS = 40 * 365 + 1


@dataclass(frozen=True, slots=True)
class DemoSummary:
    claims_by_outcome: tuple[tuple[str, int], ...]
    decided_amount: Decimal
    batches: tuple[night.BatchRun, ...]
    files_valid: bool
    returned: int
    held_by_reason: tuple[tuple[str, int], ...]
    audit_events: int
    audit_intact: bool


def synthetic_cvr(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(6)]
        check = -sum(d * w for d, w in zip(digits, WEIGHTS_CVR, strict=False)) % 11
        if check < 10:
            return "".join(map(str, digits + [check]))


class UsedCprs:
    """The synthetic CPR numbers handed out so far, one bit each (7 MB for every number
    :func:`synthetic_cpr` can draw, instead of a set of a million strings)."""

    def __init__(self) -> None:
        self.bits = bytearray(BORN_DAYS * 4 * 1000 // 8 + 1)

    @staticmethod
    def _index(number: str) -> int:
        born = dt.date(1900 + int(number[4:6]), int(number[2:4]), int(number[0:2]))
        return ((born - FIRST_BORN).days * 4 + int(number[6])) * 1000 + int(number[7:10])

    def __contains__(self, number: str) -> bool:
        i = self._index(number)
        return bool(self.bits[i >> 3] & (1 << (i & 7)))

    def add(self, number: str) -> None:
        i = self._index(number)
        self.bits[i >> 3] |= 1 << (i & 7)


class Numbers(Sequence[str]):
    """CPR numbers kept as 8-byte integers, read back as the 10-digit strings."""

    def __init__(self, numbers: Iterable[str] = ()) -> None:
        self._values = array("q", (int(n) for n in numbers))

    def append(self, number: str) -> None:
        self._values.append(int(number))

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i):  # an index or a slice, as a list of strings would
        if isinstance(i, slice):
            return [f"{v:010d}" for v in self._values[i]]
        return f"{self._values[i]:010d}"


def synthetic_cpr(rng: random.Random, used: set[str] | UsedCprs) -> str:
    """A CPR number born 1960-1999 not in ``used`` (and now added to it)."""
    while True:
        born = FIRST_BORN + dt.timedelta(days=rng.randint(0, 40 * 365))
        century = rng.choice("0123") if born.year < 2000 else "4"
        number = f"{born:%d%m%y}{century}{rng.randint(0, 999):03d}"
        if number not in used:
            used.add(number)
            return number


def _account(rng: random.Random) -> lifecycle.Account:
    return lifecycle.Account.parse(
        reg_no=str(rng.randint(1000, 9899)), account_no=str(rng.randint(10**6, 10**10 - 1))
    )


def synthetic_claims(
    rng: random.Random,
    size: int,
    day: dt.date,
    employers: Sequence[str],
    employees: Sequence[str],
) -> Iterator[dict]:
    """A mix that exercises the rules: sickness, maternity, late, invalid, not paid; one
    claim at a time (then a late claim and an invalid one, made from the first two)."""
    opening: list[dict] = []  # the first two claims
    for i in range(size):
        employer = employers[i % len(employers)]
        employee = employees[i]
        wage = f"{rng.randint(150, 400)}.00"
        base = {
            "external_ref": f"DEMO-{i + 1:05d}",
            "employer_cvr": employer,
            "employee_cpr": employee,
            "normal_weekly_hours": "37",
            "hourly_wage": wage,
            "salary_paid": i % 10 != 3,
            "employment_start": "2015-08-01",
        }
        if i % 4 == 3:  # maternity: a mother from the birth, or a father's two weeks
            parent = "mother" if i % 8 == 3 else "father"
            # a father's two weeks must end within 8 weeks of the claim (§ 40)
            birth = day - dt.timedelta(days=rng.randint(30, 100 if parent == "mother" else 50))
            last = day - dt.timedelta(days=1) if parent == "mother" else birth + dt.timedelta(13)
            claim = base | {
                "kind": "maternity",
                "parent": parent,
                "child_birth_date": birth.isoformat(),
                "first_absence_day": birth.isoformat(),
                "last_absence_day": last.isoformat(),
                "monthly_hours": [160] * 4,
            }
        else:
            first = day - dt.timedelta(days=rng.randint(20, 34))
            last = first + dt.timedelta(days=rng.randint(35, 70))
            claim = base | {
                "kind": "sickness",
                "first_absence_day": first.isoformat(),
                "last_absence_day": last.isoformat(),
                "monthly_hours": [160] * 6,
            }
            if i % 9 == 5:
                claim["small_employer_insurance"] = True
            if i % 11 == 7:
                claim["absence_hours_per_week"] = "18.5"
        if len(opening) < 2:
            opening.append(claim)
        yield claim
    late_first = day - dt.timedelta(days=80)
    yield (
        opening[0]
        | {
            "external_ref": "DEMO-LATE",
            "first_absence_day": late_first.isoformat(),
            "last_absence_day": (day + dt.timedelta(days=20)).isoformat(),
            "kind": "sickness",
            "monthly_hours": [160] * 6,
            "employee_cpr": employees[size],
        }
    )
    yield opening[1] | {"external_ref": "DEMO-INVALID", "employee_cpr": "3102901234"}


def _code_in(letter: Path) -> str:
    """The activation code in a letter file, as its owner reads it."""
    for line in letter.read_text(encoding="utf-8").splitlines():
        if line.startswith(letters.CODE_LINE):
            return line.removeprefix(letters.CODE_LINE).strip()
    raise ValueError(f"{letter} holds no activation code")


def _write_ndjson(path: Path, claims: Iterable[dict]) -> Path:
    """Write the claims one line each, as they come."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for claim in claims:
            out.write(json.dumps(claim) + "\n")
    return path


def _claim_in(path: Path, external_ref: str) -> dict:
    """The claim with ``external_ref`` in an NDJSON file, read line by line."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            claim = json.loads(line)
            if claim["external_ref"] == external_ref:
                return claim
    raise LookupError(external_ref)


def _bank_rows(
    rng: random.Random,
    employers: Sequence[str],
    employees: Sequence[str],
    skip: set[str],
    on: dt.date,
) -> Iterator[str]:
    """The bank file's rows: the employers, then the employees not in ``skip`` (every
    fifteenth by IBAN), each with an account drawn from ``rng`` in that order."""
    for number in employers:
        account = _account(rng)
        yield f"cvr,{number},{account.reg_no},{account.account_no},,,register,{on}\n"
    for n, number in enumerate(employees):
        if number in skip:
            continue
        if n % 15 == 0:
            yield f"cpr,{number},,,DK5000400440116243,,register,{on}\n"
        else:
            account = _account(rng)
            yield f"cpr,{number},{account.reg_no},{account.account_no},,,register,{on}\n"


def _import_bank_files(engine: Engine, rows: Iterable[str], *, now: dt.datetime) -> int:
    """Import ``rows`` through the bank-file importer, :data:`BANK_FILE_ROWS` a file (and a
    transaction); how many registrations were made."""
    registered, batch, part = 0, io.StringIO(), 0

    def flush() -> int:
        nonlocal batch, part
        part += 1
        data = (",".join(bank_file.COLUMNS) + "\n" + batch.getvalue()).encode()
        batch = io.StringIO()
        with session_scope(engine) as s:
            result = bank_file.import_bytes(
                s, data, name=f"demo-bank-{part:03d}.csv", actor="bank-demo", now=now
            )
        assert not result.rejects, result.rejects[:3]
        return result.registered

    count = 0
    for row in rows:
        batch.write(row)
        count += 1
        if count % BANK_FILE_ROWS == 0:
            registered += flush()
    if count % BANK_FILE_ROWS:
        registered += flush()
    return registered


def _correct_paid_claims(
    engine: Engine, workdir: Path, claim_file: Path, *, day: dt.date, parameters: rules.Parameters
) -> str | None:
    """Netting: the employer of the first sickness claim paid to an employer in night 1 (and
    settled) shortens it by a week and extends its next such claim by two weeks. The first
    becomes a recovery, which is offset against the second's difference. What happened, as
    one line (None when no employer had two such claims)."""
    paid = (
        select(Claim.external_ref)
        .join(PaymentOrder, PaymentOrder.claim_id == Claim.id)
        .where(
            PaymentOrder.status == "settled",
            PaymentOrder.payee_kind == "cvr",
            Claim.kind == "sickness",
            Claim.version == 1,  # not the claim corrected before
        )
        .order_by(Claim.id)
    )
    with session_scope(engine) as s:
        first = s.execute(paid.add_columns(Claim.employer_cvr).limit(1)).first()
        pair = first and s.scalars(paid.where(Claim.employer_cvr == first[1]).limit(2)).all()
    if not pair or len(pair) < 2:
        return None
    week = dt.timedelta(days=7)
    shorter, longer = (_claim_in(claim_file, ref) for ref in pair)
    changes = []
    for claim, by in ((shorter, -week), (longer, 2 * week)):
        last = dt.date.fromisoformat(claim["last_absence_day"]) + by
        changes.append(claim | {"correction": True, "last_absence_day": last.isoformat()})
    fix_file = _write_ndjson(workdir / "corrections-2.ndjson", changes)
    for outcome in _submit(engine, fix_file, day, 12, parameters):
        if outcome.outcome != "corrected":
            return None
    with session_scope(engine) as s:
        recovery = s.execute(
            select(Recovery)
            .join(Claim, Claim.id == Recovery.claim_id)
            .where(Claim.external_ref == pair[0])
        ).scalar_one()
        order = s.execute(
            select(PaymentOrder)
            .join(Claim, Claim.id == PaymentOrder.claim_id)
            .where(
                Claim.external_ref == pair[1],
                PaymentOrder.status.in_((OrderStatus.PENDING, OrderStatus.OFFSET)),
            )
        ).scalar_one()
        return (
            f"{fix_file.name}: {pair[0]} shortened by a week after payment (a recovery of "
            f"{money.kr(recovery.amount_ore):,} DKK), {pair[1]} extended by two weeks "
            f"({money.kr(order.amount_ore):,} DKK more); {money.kr(order.offset_ore):,} DKK of "
            f"it offset against the recovery (now {recovery.status}), "
            f"{money.kr(orders.payable(order)):,} DKK to pay"
        )


def _refused(engine: Engine, batch_id: int) -> dict[str, int]:
    """The three transactions of the batch the bank refuses (end-to-end id -> file): the
    first citizens' by order; with a small --size there may be only employers to refuse."""
    with session_scope(engine) as s:
        first = {
            kind: s.execute(
                select(BatchItem.end_to_end_id, BatchItem.file_seq)
                .join(PaymentOrder, PaymentOrder.id == BatchItem.order_id)
                .where(
                    BatchItem.batch_id == batch_id,
                    (PaymentOrder.payee_kind == "cpr")
                    if kind == "cpr"
                    else (PaymentOrder.payee_kind != "cpr"),
                )
                .order_by(BatchItem.order_id)
                .limit(3)
            ).all()
            for kind in ("cpr", "cvr")
        }
    return dict((first["cpr"] + first["cvr"])[:3])


def _stamp(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _submit(engine: Engine, path: Path, day: dt.date, hour: int, parameters):
    """The employer portal submits a claim file on ``day`` at ``hour``: the outcomes, counted
    and not kept (the decision documents stay in the database)."""
    return intake.submit(
        engine,
        rules.iter_claim_records(path),
        actor="employer-portal",
        today=day,
        now=_stamp(day, hour),
        parameters=parameters,
        documents=False,
    )


def run(
    engine: Engine,
    settings: Settings,
    *,
    day: dt.date,
    size: int,
    seed: int,
    workdir: Path,
    say: Say,
) -> DemoSummary:
    rng = random.Random(seed)
    schema.upgrade(engine)
    say(f"database ready at schema {schema.current_revision(engine)}")

    # 1-2: people, companies and their NemKonto
    employers = [synthetic_cvr(rng) for _ in range(max(3, size // 40))]
    used = UsedCprs()
    employees = Numbers(synthetic_cpr(rng, used) for _ in range(size + 1))
    del used
    self_service = employees[3:6:1]
    no_account = set(employees[13::37])
    registered_on = day - dt.timedelta(days=60)
    now = _stamp(registered_on, 8)
    _import_bank_files(
        engine,
        _bank_rows(rng, employers, employees, no_account | set(self_service), registered_on),
        now=now,
    )
    with session_scope(engine) as s:
        for cpr in self_service:
            lifecycle.register(
                s,
                "cpr",
                cpr,
                _account(rng),
                channel="citizen",
                actor="citizen",
                on=registered_on,
                now=now,
                by_owner=True,  # self-service: the owner, authenticated, registers
            )
    say(
        f"registered NemKonto for {len(employers)} employers and "
        f"{len(employees) - len(no_account) - len(self_service)} employees via their bank; "
        f"{len(no_account)} employees have none"
    )
    with session_scope(engine) as s:  # the mail room prints the letters; each owner reads one
        sent = letters.export(s, workdir / "letters", actor="mailroom", now=now)
    codes = dict(zip(self_service, (_code_in(path) for path in sent.files), strict=True))
    with session_scope(engine) as s:
        for cpr in self_service[1:]:  # the first never activates; its benefit waits
            lifecycle.activate(
                s,
                "cpr",
                cpr,
                codes[cpr],
                actor="citizen",
                on=registered_on + dt.timedelta(days=3),
                now=_stamp(registered_on + dt.timedelta(days=3), 9),
            )
    say(
        f"{len(self_service)} citizens registered through self-service; the mail room "
        f"exported their activation letters to {workdir / 'letters'}; 2 activated with the "
        "code from their letter, 1 left pending"
    )

    # 3: claims
    parameters = rules.load_parameters(extra_dirs=settings.parameter_dirs)
    claim_file = _write_ndjson(
        workdir / "claims.ndjson", synthetic_claims(rng, size, day, employers, employees)
    )
    by_outcome: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    decided = Decimal(0)
    first_created: str | None = None  # the first sickness claim created: corrected below

    def count(outcomes: Iterable[intake.Outcome]) -> None:
        nonlocal decided, first_created
        for o in outcomes:
            by_outcome[o.outcome if not o.failed else o.status] += 1
            by_status[o.status] += 1
            if o.outcome in ("created", "corrected"):
                decided += Decimal(o.decision["amount"])
            if first_created is None and o.outcome == "created":
                if o.decision["kind"] == "sickness":
                    first_created = o.decision["external_ref"]

    count(_submit(engine, claim_file, day, 12, parameters))
    correction = _claim_in(claim_file, first_created)
    correction = correction | {
        "correction": True,
        "last_absence_day": (
            dt.date.fromisoformat(correction["last_absence_day"]) + dt.timedelta(days=7)
        ).isoformat(),
    }
    fix_file = _write_ndjson(workdir / "corrections.ndjson", [correction])
    count(_submit(engine, fix_file, day, 13, parameters))
    say(
        f"submitted {sum(by_outcome.values())} claims ({claim_file.name} + {fix_file.name}): "
        + ", ".join(f"{n} {k}" for k, n in sorted(by_outcome.items()))
        + "; decisions: "
        + ", ".join(f"{n} {k}" for k, n in sorted(by_status.items()))
    )

    # 4: night 1
    night1 = night.run(engine, settings, run_date=day, actor="alice", now=_stamp(day, 22))
    say(
        f"night 1 (batch {night1.batch_id}, run by alice): {night1.order_count} orders, "
        f"{night1.total:,} DKK in {len(night1.files)} file(s); {night1.held_count} held "
        f"{dict(night1.held_by_reason)}"
    )
    approval.approve(engine, settings, night1.batch_id, actor="bob", now=_stamp(day, 23))
    approval.release(engine, settings, night1.batch_id, actor="bob", now=_stamp(day, 23))
    results = [iso20022.validate(f.path) for f in night1.files]
    valid = all(r.valid for r in results)
    say(
        f"approved by bob (four eyes) and released to {settings.outbox_dir}; XSD "
        f"{'valid' if valid else 'INVALID'}: " + ", ".join(f.path.name for f in night1.files)
    )

    # 5: the bank answers: three CPR payees' accounts are refused
    answer_day = night1.execution_date
    rejected = _refused(engine, night1.batch_id)
    reasons = dict(zip(rejected, ("AC04", "AC01", "AC06"), strict=False))
    bank_files = []
    with session_scope(engine) as s:
        files = s.execute(
            select(BatchFile.msg_id, BatchFile.seq).where(BatchFile.batch_id == night1.batch_id)
        ).all()
        for msg_id, seq in sorted(files):
            path = workdir / "bank" / f"pain002-{msg_id}.xml"
            path.parent.mkdir(parents=True, exist_ok=True)
            answers = (
                pain002_writer.TxAnswer(e2e, "RJCT" if e2e in reasons else "ACSC", reasons.get(e2e))
                for e2e in s.scalars(
                    select(BatchItem.end_to_end_id)
                    .where(BatchItem.batch_id == night1.batch_id, BatchItem.file_seq == seq)
                    .order_by(BatchItem.order_id)
                    .execution_options(yield_per=5000)
                )
            )
            pain002_writer.write(
                path,
                msg_id=f"BANK-{msg_id}"[:35],
                created_at=_stamp(answer_day, 6),
                original_msg_id=msg_id,
                group_status="PART" if any(rejected[e] == seq for e in rejected) else "ACSC",
                transactions=answers,
            )
            bank_files.append(path)
    returned = 0
    for path in bank_files:
        result = returns.import_file(engine, path, actor="bank-feed", now=_stamp(answer_day, 7))
        returned += result.returned
        say(
            f"imported {path.name}: {result.settled} settled, {result.returned} returned "
            f"{dict(result.by_reason)}, {result.registrations_flagged} account(s) flagged"
        )
    again = returns.import_file(engine, bank_files[0], actor="bank-feed", now=_stamp(answer_day, 7))
    say(f"imported {bank_files[0].name} again: {'nothing changed' if not again.created else '?'}")

    # 6: one rejected payee gets a new account; night 2
    first_rejected = next(iter(rejected))
    with session_scope(engine) as s:
        payee = s.execute(
            select(PaymentOrder.payee_kind, PaymentOrder.payee_number)
            .join(BatchItem, BatchItem.order_id == PaymentOrder.id)
            .where(BatchItem.end_to_end_id == first_rejected)
        ).one()
        lifecycle.register(
            s,
            payee[0],
            payee[1],
            _account(rng),
            channel="bank",
            actor="bank-demo",
            on=answer_day,
            now=_stamp(answer_day, 10),
        )
    say(f"the payee of {first_rejected} registered a new NemKonto through the bank")
    netting = _correct_paid_claims(
        engine, workdir, claim_file, day=answer_day, parameters=parameters
    )
    if netting:
        say(netting)
    night2_day = answer_day
    night2 = night.run(
        engine, settings, run_date=night2_day, actor="alice", now=_stamp(night2_day, 22)
    )
    approval.approve(engine, settings, night2.batch_id, actor="bob", now=_stamp(night2_day, 23))
    approval.release(engine, settings, night2.batch_id, actor="bob", now=_stamp(night2_day, 23))
    valid = valid and all(iso20022.validate(f.path).valid for f in night2.files)
    say(
        f"night 2 (batch {night2.batch_id}): {night2.order_count} order(s), {night2.total:,} "
        f"DKK: the new account re-paid{', the difference less the offset' if netting else ''}"
        f"; still held {dict(night2.held_by_reason)}"
    )

    # 7: audit
    with session_scope(engine) as s:
        anchors = manifests.outbox_anchors(settings.outbox_dir)
        chain = audit.verify(s, anchors)
        held = tuple(
            sorted(
                s.execute(
                    select(PaymentOrder.hold_reason, func.count())
                    .where(PaymentOrder.status == "held")
                    .group_by(PaymentOrder.hold_reason)
                ).all()
            )
        )
    say(
        f"audit: {chain.events} events, chain {'intact' if chain.intact else 'BROKEN'}, "
        f"{chain.anchors} release manifests hold"
    )
    return DemoSummary(
        claims_by_outcome=tuple(sorted(by_outcome.items())),
        decided_amount=decided,
        batches=(night1, night2),
        files_valid=valid,
        returned=returned,
        held_by_reason=held,
        audit_events=chain.events,
        audit_intact=chain.intact,
    )
