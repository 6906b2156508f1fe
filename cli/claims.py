"""``payments claims``: submit claim files, and look at claims, decisions and recoveries.

Decision documents (``submit --json``, ``show --json``) are masked — a CPR payee's number
and any full number in them — unless ``--reveal`` is given, which is written to the audit
log under ``--actor`` before anything is shown.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import click
import orjson

import rules
from cli.listing import Column, Table, count, print_list, summary
from cli.options import ACTOR, DATE, actor_option, json_option, login, optional_actor
from cli.output import echo_json, exit_with, printable
from payments.claims import intake, queries
from payments.claims import recoveries as recoveries_service
from payments.statuses import RecoveryStatus

_REVEAL = click.option(
    "--reveal", is_flag=True, help="Show full CPR numbers in JSON (written to the audit log)."
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


SUBMITTED = (
    Column("POSITION", 10),
    Column("REF", 20),
    Column("OUTCOME", 10),
    Column("STATUS", 18),
    Column("AMOUNT", 16, right=True),
    Column("CODES"),
)
LISTED = (
    Column("EMPLOYER", 8),
    Column("REF", 20),
    Column("KIND", 9),
    Column("PERIOD", 22),
    Column("VERSION", right=True),
    Column("STATUS", 18),
    Column("AMOUNT", 16, right=True),
    Column("CODES"),
)
RECOVERIES = (
    Column("ID", 6, right=True),
    Column("EMPLOYER", 8),
    Column("REF", 20),
    Column("BENEFIT", 9),
    Column("PAYEE", 12),
    Column("STATE", 13),
    *(Column(a, 12, right=True) for a in ("AMOUNT", "OFFSET", "OPEN", "PAID", "WRITTEN OFF")),
    Column("CREATED"),
)


def _print_reasons(decision: dict) -> None:
    """Under an invalid or undecided claim's line, each reason: code, field and message (a
    clerk fixes the file from these), masked as any decision shown."""
    for reason in queries.decision_view(decision, False).get("reasons", ()):
        field = f" [{reason['field']}]" if reason.get("field") else ""
        click.echo(printable(f"{'':<10}  {reason['code']}{field}: {reason['message']}"))


def _submitted(outcome: intake.Outcome) -> tuple:
    d = outcome.decision
    return (
        outcome.position,
        d.get("external_ref") or "-",  # an invalid claim's, as sent (printable: cli.listing)
        outcome.outcome,
        d["status"],
        f"{Decimal(d['amount']):,} DKK",
        ",".join(r["code"] for r in d.get("reasons", ())),
    )


@click.group()
def claims() -> None:
    """NemRefusion claims: submit, list, show, explain, recoveries (and mark one closed)."""


@claims.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--date",
    "today",
    type=DATE,
    help="Processing date (default today): the date the claims are received, which their "
    "deadlines are reckoned from; the orders fall due on it.",
)
@click.option(
    "--backdated",
    is_flag=True,
    help="Import historic claims: each claim's submitted_on is its receipt date (audited; "
    "needs --actor). Without it a submitted_on in the file is refused.",
)
@optional_actor("employer")
@json_option
@_REVEAL
@click.pass_obj
def submit(app, file, today, backdated, actor, as_json, reveal) -> None:
    """Decide every claim in FILE (JSON, JSON array, NDJSON or CSV) and store the results.

    The receipt date of every claim is the processing date (--date, default today); a file
    may not set its own (submitted_on is CLAIM_FIELD_NOT_ALLOWED) unless --backdated.
    Exit 1 when any claim was invalid or could not be decided (after all others are stored).
    """
    if backdated:
        source = click.get_current_context().get_parameter_source("actor")
        if source is not click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--backdated needs --actor: who imports historic claims")
        click.echo(
            f"warning: importing historic claims as {actor}: each claim's submitted_on is its "
            "receipt date (audited)",
            err=True,
        )
    engine = app.engine()
    if reveal and as_json:  # audited before the first document is shown
        queries.record_reveal(
            engine, actor=actor, now=app.now(), subject="claims:submit",
            command="claims submit", file_sha256=_sha256(file),
        )  # fmt: skip
    parameters = rules.load_parameters(extra_dirs=app.settings.parameter_dirs)
    today = today or app.today()
    counts: Counter[str] = Counter()
    total = Decimal("0")
    failed = 0
    if as_json:
        click.echo("[")
    first = True
    table = Table(*SUBMITTED)
    for outcome in intake.submit(
        engine,
        rules.iter_claim_records(file),
        actor=actor,
        today=today,
        now=app.now(),
        parameters=parameters,
        documents=as_json,
        backdated=backdated,
    ):
        counts[outcome.outcome if not outcome.failed else outcome.status] += 1
        failed += outcome.failed
        if outcome.outcome in ("created", "corrected"):
            total += Decimal(outcome.decision["amount"])
        if as_json:  # one compact line per decision (orjson: 100,000 documents of 9 KB)
            doc = queries.decision_view(outcome.decision, reveal) | {
                "outcome": outcome.outcome,
                "position": outcome.position,
            }
            click.echo(("" if first else ",\n") + orjson.dumps(doc).decode(), nl=False)
            first = False
        else:
            table.line(*_submitted(outcome))
            if outcome.failed:
                _print_reasons(outcome.decision)
    if as_json:
        click.echo("\n]")
    else:
        click.echo(
            summary(counts, "claim", tail=f"{total:,} DKK decided in new or corrected claims")
        )
    exit_with(1 if failed else 0)


@claims.command("list")
@click.option("--employer", help="Only this employer's claims (CVR).")
@click.option("--status", type=click.Choice(["approved", "partially_approved", "rejected"]))
@json_option
@click.pass_obj
def list_cmd(app, employer, status, as_json) -> None:
    """Claims with their live decision, newest first (at most 1,000 lines)."""
    items = queries.list_claims(app.engine(), employer=employer, status=status)
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    rows = [
        (i["employer_cvr"], i["external_ref"], i["kind"], i["period"], i["version"], i["status"],
         f"{Decimal(i['amount']):,} DKK", ",".join(i["codes"]))
        for i in items
    ]  # fmt: skip
    more = ""
    if len(items) == queries.LIST_LIMIT:
        more = ", the newest (narrow the list with --employer or --status)"
    print_list(LISTED, rows, "claim", note=more)


@claims.command()
@click.option("--employer", required=True, help="Employer CVR.")
@click.option("--ref", required=True, help="The employer's reference (external_ref).")
@json_option
@_REVEAL
@click.option("--actor", default=login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal).")
@click.pass_obj
def show(app, employer, ref, as_json, reveal, actor) -> None:
    """The live decision on one claim."""
    doc = queries.document(app.engine(), employer, ref, reveal=reveal, actor=actor, now=app.now())
    if as_json:
        echo_json(doc)
        return
    payee = doc.get("payee") or {}
    who = payee.get("number", "")
    click.echo(
        f"{doc['external_ref']} ({doc['kind']}, version {doc['version']}): "
        f"{doc['status']}, {Decimal(doc['amount']):,} DKK to {payee.get('kind', '-')} "
        f"{who}"
    )
    for week in doc.get("weeks", ()):
        click.echo(
            f"  {week['week']}  {week['days']} days  {week['hours']} h  "
            f"{Decimal(week['amount']):>10,} DKK"
        )
    for reason in doc.get("reasons", ()):
        click.echo(f"  {reason['code']}: {reason['message']} ({reason.get('reference', '')})")
    orders = doc.get("orders", ())
    click.echo(f"  {count(len(orders), 'payment order')}:")
    for o in orders:
        where = o["reason"] or (f"batch {o['batch_id']}" if o["batch_id"] else "")
        when = f"paid on {o['payment_date']}" if o["payment_date"] else ""
        click.echo(
            f"    order {o['order_id']}  {o['amount']:>12} DKK  {o['state']:<10} {where} "
            f"{when}".rstrip()
        )


@claims.command()
@click.option("--employer", required=True, help="Employer CVR.")
@click.option("--ref", required=True, help="The employer's reference (external_ref).")
@click.pass_obj
def explain(app, employer, ref) -> None:
    """The stored trace of the live decision, step by step, with the legal references."""
    doc = queries.document(app.engine(), employer, ref)
    click.echo(
        f"Decision on {doc['external_ref']} (version {doc['version']}): "
        f"{doc['status']}, {Decimal(doc['amount']):,} DKK"
    )
    for n, step in enumerate(doc.get("trace", ()), 1):
        click.echo(f"{n:>2}. {step['rule']} — {step['reference']}")
        click.echo(f"    {step.get('output', '')}")


STATES = [str(s) for s in RecoveryStatus]


def _recovery_dict(r: queries.RecoveryLine) -> dict:
    return {
        "id": r.id,
        "employer_cvr": r.employer_cvr,
        "external_ref": r.external_ref,
        "benefit": r.benefit,
        "payee_kind": r.payee_kind,
        "payee": r.payee,
        "state": r.status,
        "amount": r.amount,
        "offset": r.offset,
        "open": r.open,
        "paid": r.paid,
        "written_off": r.written_off,
        "created_at": r.created_at,
        "closed_by": r.closed_by,
        "closed_at": r.closed_at,
        "close_reason": r.close_reason,
        "offsets": [
            {"order_id": o.order_id, "amount": o.amount, "created_at": o.created_at}
            for o in r.offsets
        ],
    }


@claims.group(invoke_without_command=True)
@click.option("--employer", help="Only this employer's claims (CVR).")
@click.option("--state", type=click.Choice(STATES), help="Only recoveries in this state.")
@json_option
@click.pass_context
def recoveries(ctx, employer, state, as_json) -> None:
    """Amounts to claw back after corrections lowered what was already paid: how much of
    each is offset against later payments, still open, paid back or written off (at most
    1,000 lines; the totals count every one). `recoveries mark` closes one."""
    if ctx.invoked_subcommand is not None:
        return
    engine = ctx.obj.engine()
    lines = queries.recoveries(engine, employer=employer, state=state)
    totals = queries.recovery_totals(engine, employer=employer, state=state)
    if as_json:
        echo_json(
            {
                "recoveries": [_recovery_dict(r) for r in lines],
                "count": totals.count,
                "amount": totals.amount,
                "offset": totals.offset,
                "open": totals.open,
                "paid": totals.paid,
                "written_off": totals.written_off,
            }
        )
        return
    rows = [
        (r.id, r.employer_cvr, r.external_ref, r.benefit, r.payee, r.status,
         *(f"{a:,}" for a in (r.amount, r.offset, r.open, r.paid, r.written_off)),
         f"{r.created_at:%Y-%m-%d}")
        for r in lines
    ]  # fmt: skip
    shown = "" if len(lines) == totals.count else f" (the first {len(lines):,} shown)"
    print_list(
        RECOVERIES, rows, "recovery", "recoveries", total=totals.count,
        note=f"{shown}: {totals.amount:,} DKK in all; {totals.offset:,} offset, "
        f"{totals.open:,} open, {totals.paid:,} paid back, {totals.written_off:,} written off",
    )  # fmt: skip


@recoveries.command("mark")
@click.argument("recovery_id", metavar="ID", type=int)
@click.option("--paid", "outcome", flag_value="paid", help="The payee paid back what is open.")
@click.option(
    "--written-off", "outcome", flag_value="written_off", help="What is open will not be collected."
)
@click.option("--reason", required=True, help="Why (kept in the audit log; no CPR numbers).")
@actor_option
@json_option
@click.pass_obj
def mark(app, recovery_id, outcome, reason, actor, as_json) -> None:
    """Close recovery ID: the payee paid back what is still open (--paid), or it is written
    off (--written-off). What was offset stays offset."""
    if outcome is None:
        raise click.UsageError("say how the recovery is closed: --paid or --written-off")
    line = recoveries_service.close(
        app.engine(), recovery_id, outcome=outcome, reason=reason, actor=actor, now=app.now()
    )
    if as_json:
        echo_json(_recovery_dict(line))
        return
    closed = line.paid if outcome == "paid" else line.written_off
    verb = "paid back" if outcome == "paid" else "written off"
    click.echo(
        f"recovery {line.id} ({line.external_ref}, {line.payee}) {line.status}: {closed:,} DKK "
        f"{verb}, {line.offset:,} DKK offset before"
    )
