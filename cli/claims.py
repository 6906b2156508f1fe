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
from cli.options import ACTOR, DATE, json_option, login, optional_actor
from cli.output import exit_with, printable
from payments.claims import intake, queries

_REVEAL = click.option(
    "--reveal", is_flag=True, help="Show full CPR numbers in JSON (written to the audit log)."
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _line(outcome: intake.Outcome) -> str:
    d = outcome.decision
    codes = ",".join(r["code"] for r in d.get("reasons", ()))
    ref = printable(d.get("external_ref") or "-")  # an invalid claim's, as sent
    return (
        f"{outcome.position:<10} {ref:<20} {outcome.outcome:<10} {d['status']:<19} "
        f"{Decimal(d['amount']):>12,} DKK  {codes}"
    )


@click.group()
def claims() -> None:
    """NemRefusion claims: submit, list, show, explain, recoveries."""


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
            click.echo(_line(outcome))
    if as_json:
        click.echo("\n]")
    else:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no claims"
        click.echo(f"summary: {summary}; {total:,} DKK decided in new or corrected claims")
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
    for i in items:
        click.echo(
            f"{i['employer_cvr']} {i['external_ref']:<20} {i['kind']:<9} {i['period']} "
            f"v{i['version']} {i['status']:<19} {Decimal(i['amount']):>12,} DKK "
            f"{','.join(i['codes'])}"
        )


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
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
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


@claims.command()
@click.option("--employer", help="Only this employer's claims (CVR).")
@click.pass_obj
def recoveries(app, employer) -> None:
    """Amounts to claw back after corrections lowered what was already paid."""
    lines = queries.recoveries(app.engine(), employer=employer)
    for r in lines:
        click.echo(
            f"{r.employer_cvr} {r.external_ref:<20} {r.payee_kind} {r.payee:<12} "
            f"{r.amount:>12,} DKK  {r.created_at:%Y-%m-%d}"
        )
    total = sum((r.amount for r in lines), Decimal("0.00"))
    click.echo(f"{len(lines)} recoveries, {total:,} DKK in all")
