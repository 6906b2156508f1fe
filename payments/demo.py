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
6. a new bank registration for one rejected payee; night 2 pays that payee again;
7. the audit chain is verified, against the release manifests in the outbox.

``run`` reports each step through ``say`` and returns a :class:`DemoSummary`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

import iso20022
import rules
from iso20022 import pain002_writer
from payments import audit, manifests, returns, schema
from payments.batch import approval, night
from payments.claims import intake
from payments.config import Settings
from payments.db import session_scope
from payments.models import BatchFile, BatchItem, PaymentOrder
from payments.registry import letters, lifecycle

Say = Callable[[str], None]
WEIGHTS_CVR = (2, 7, 6, 5, 4, 3, 2, 1)


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


def synthetic_cpr(rng: random.Random, used: set[str]) -> str:
    while True:
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 40 * 365))
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
    rng: random.Random, size: int, day: dt.date, employers: list[str], employees: list[str]
) -> list[dict]:
    """A mix that exercises the rules: sickness, maternity, late, invalid, not paid."""
    out = []
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
            out.append(
                base
                | {
                    "kind": "maternity",
                    "parent": parent,
                    "child_birth_date": birth.isoformat(),
                    "first_absence_day": birth.isoformat(),
                    "last_absence_day": last.isoformat(),
                    "monthly_hours": [160] * 4,
                }
            )
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
            out.append(claim)
    late_first = day - dt.timedelta(days=80)
    out.append(
        out[0]
        | {
            "external_ref": "DEMO-LATE",
            "first_absence_day": late_first.isoformat(),
            "last_absence_day": (day + dt.timedelta(days=20)).isoformat(),
            "kind": "sickness",
            "monthly_hours": [160] * 6,
            "employee_cpr": employees[size],
        }
    )
    out.append(out[1] | {"external_ref": "DEMO-INVALID", "employee_cpr": "3102901234"})
    return out


def _code_in(letter: Path) -> str:
    """The activation code in a letter file, as its owner reads it."""
    for line in letter.read_text(encoding="utf-8").splitlines():
        if line.startswith(letters.CODE_LINE):
            return line.removeprefix(letters.CODE_LINE).strip()
    raise ValueError(f"{letter} holds no activation code")


def _write_ndjson(path: Path, claims: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(c) + "\n" for c in claims), encoding="utf-8")
    return path


def _stamp(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


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
    used: set[str] = set()
    employees = [synthetic_cpr(rng, used) for _ in range(size + 1)]
    self_service = employees[3:6:1]
    no_account = set(employees[13::37])
    registered_on = day - dt.timedelta(days=60)
    with session_scope(engine) as s:
        now = _stamp(registered_on, 8)
        for cvr in employers:
            lifecycle.register(
                s,
                "cvr",
                cvr,
                _account(rng),
                channel="bank",
                actor="bank-demo",
                on=registered_on,
                now=now,
            )
        for n, cpr in enumerate(employees):
            if cpr in no_account or cpr in self_service:
                continue
            account = (
                lifecycle.Account.parse(iban="DK5000400440116243") if n % 15 == 0 else _account(rng)
            )
            lifecycle.register(
                s, "cpr", cpr, account, channel="bank", actor="bank-demo", on=registered_on, now=now
            )
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
    claim_list = synthetic_claims(rng, size, day, employers, employees)
    claim_file = _write_ndjson(workdir / "claims.ndjson", claim_list)
    outcomes = list(
        intake.submit(
            engine,
            rules.iter_claim_records(claim_file),
            actor="employer-portal",
            today=day,
            now=_stamp(day, 12),
            parameters=parameters,
        )
    )
    first_created = next(
        o for o in outcomes if o.outcome == "created" and o.decision["kind"] == "sickness"
    )
    correction = next(
        c for c in claim_list if c["external_ref"] == first_created.decision["external_ref"]
    )
    correction = correction | {
        "correction": True,
        "last_absence_day": (
            dt.date.fromisoformat(correction["last_absence_day"]) + dt.timedelta(days=7)
        ).isoformat(),
    }
    fix_file = _write_ndjson(workdir / "corrections.ndjson", [correction])
    outcomes += list(
        intake.submit(
            engine,
            rules.iter_claim_records(fix_file),
            actor="employer-portal",
            today=day,
            now=_stamp(day, 13),
            parameters=parameters,
        )
    )
    by_outcome = Counter(o.outcome if not o.failed else o.status for o in outcomes)
    by_status = Counter(o.status for o in outcomes)
    decided = sum(
        (Decimal(o.decision["amount"]) for o in outcomes if o.outcome in ("created", "corrected")),
        Decimal(0),
    )
    say(
        f"submitted {len(outcomes)} claims ({claim_file.name} + {fix_file.name}): "
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
    with session_scope(engine) as s:
        items = s.execute(
            select(BatchItem.end_to_end_id, PaymentOrder.payee_kind, BatchFile.msg_id)
            .join(PaymentOrder, PaymentOrder.id == BatchItem.order_id)
            .join(
                BatchFile,
                (BatchFile.batch_id == BatchItem.batch_id) & (BatchFile.seq == BatchItem.file_seq),
            )
            .where(BatchItem.batch_id == night1.batch_id)
            .order_by(BatchItem.order_id)
        ).all()
    # prefer citizens' accounts; with a small --size there may be only employers to refuse
    rejected = (
        [e2e for e2e, kind, _ in items if kind == "cpr"]
        + [e2e for e2e, kind, _ in items if kind != "cpr"]
    )[:3]
    reasons = dict(zip(rejected, ("AC04", "AC01", "AC06"), strict=False))
    bank_files = []
    for msg_id in sorted({m for _, _, m in items}):
        path = workdir / "bank" / f"pain002-{msg_id}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        answers = [
            pain002_writer.TxAnswer(e2e, "RJCT" if e2e in reasons else "ACSC", reasons.get(e2e))
            for e2e, _, m in items
            if m == msg_id
        ]
        pain002_writer.write(
            path,
            msg_id=f"BANK-{msg_id}"[:35],
            created_at=_stamp(answer_day, 6),
            original_msg_id=msg_id,
            group_status="PART" if any(a.reason_code for a in answers) else "ACSC",
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
    with session_scope(engine) as s:
        payee = s.execute(
            select(PaymentOrder.payee_kind, PaymentOrder.payee_number)
            .join(BatchItem, BatchItem.order_id == PaymentOrder.id)
            .where(BatchItem.end_to_end_id == rejected[0])
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
    say(f"the payee of {rejected[0]} registered a new NemKonto through the bank")
    night2_day = answer_day
    night2 = night.run(
        engine, settings, run_date=night2_day, actor="alice", now=_stamp(night2_day, 22)
    )
    approval.approve(engine, settings, night2.batch_id, actor="bob", now=_stamp(night2_day, 23))
    approval.release(engine, settings, night2.batch_id, actor="bob", now=_stamp(night2_day, 23))
    valid = valid and all(iso20022.validate(f.path).valid for f in night2.files)
    say(
        f"night 2 (batch {night2.batch_id}): {night2.order_count} order(s), {night2.total:,} "
        f"DKK re-paid to the new account; still held {dict(night2.held_by_reason)}"
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
