"""``payments rules``: the legal parameters in force, and decisions on a claim file.

Stateless: no database. ``decide`` and ``explain`` decide every claim in FILE (a JSON object,
a JSON array, NDJSON or CSV; ``-`` reads standard input) with an empty history, so the
cross-claim rules see only the claim itself.

Exit status: 0 when every claim got approved / partially_approved / rejected; 1 when any is
``error`` or ``invalid`` (after printing every decision); 2 when the file (or a parameter
file) cannot be used at all. Human output never shows a full CPR; ``--json`` prints the
documented decision format, one array in input order, each decision with its ``position``
in the file, masked (a CPR payee's number and any full number in it) unless ``--reveal``
is given. There is no database, so that reveal is not audited: it prints in full what
the file given already holds.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import date

import click

from cli.listing import Column, Table, count, summary
from cli.output import echo_json, exit_with, printable

DECIDED = (
    Column("POSITION", 10),
    Column("REF", 20),
    Column("KIND", 9),
    Column("STATUS", 18),
    Column("AMOUNT (DKK)", 13, right=True),
    Column("PAYEE", 16),
    Column("DAYS", 4, right=True),
    Column("CODES"),
)


@click.group()
def rules() -> None:
    """Legal parameters in force, and decisions on claim files (no database)."""


def _parameters(ctx: click.Context):
    from rules.parameters import load_parameters

    return load_parameters(ctx.obj.settings.parameter_dirs)


def _kr(amount) -> str:
    return f"{amount:,.2f}"


# -- show -----------------------------------------------------------------------------------


@rules.command()
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The day to show (default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def show(ctx: click.Context, day, as_json: bool) -> None:
    """Print every legal parameter with the value in force on a day."""
    on: date = day.date() if day else ctx.obj.today()
    params = _parameters(ctx)
    rows = params.in_force(on)
    if as_json:
        echo_json(
            {
                "date": on.isoformat(),
                "files": list(params.files),
                "parameters": [_param_dict(p, v) for p, v in rows],
            }
        )
        return
    click.echo(f"Legal parameters in force on {on.isoformat()}")
    width = max(len(p.name) for p, _ in rows)
    for parameter, value in rows:
        if value is None:
            click.echo(
                f"  {parameter.name:<{width}}  — none in force (RULE_PARAM_MISSING); "
                f"{parameter.reference}"
            )
            continue
        unit = {"DKK": " kr", "days": " days", "weeks": " weeks"}.get(value.unit, "")
        click.echo(f"  {parameter.name:<{width}}  {value.value_text()}{unit}  ({value.period})")
        click.echo(f"  {'':<{width}}  {value.reference}; source {value.source}")


def _param_dict(parameter, value) -> dict:
    if value is None:
        return {
            "parameter": parameter.name,
            "in_force": False,
            "value": None,
            "unit": parameter.unit,
            "reference": parameter.reference,
            "description": parameter.description,
        }
    out = {"in_force": True, **value.as_dict()}
    out["description"] = parameter.description
    out["origin"] = value.origin
    return out


# -- decide / explain -------------------------------------------------------------------------


def _decisions(ctx: click.Context, file: str) -> Iterator[tuple[str, object]]:
    """(position, Decision) for every record of ``file``, streamed."""
    from rules.claim import parse_claim
    from rules.claim_file import iter_claim_records
    from rules.decision import invalid_decision
    from rules.engine import decide
    from rules.errors import InvalidClaim

    today = ctx.obj.today()
    params = _parameters(ctx)
    source = click.open_file("-", "rb") if file == "-" else file
    for record in iter_claim_records(source, name="stdin" if file == "-" else None):
        if record.problem is not None:
            yield record.position, invalid_decision((record.problem,))
            continue
        try:
            claim = parse_claim(record.raw, today)
        except InvalidClaim as exc:
            yield record.position, invalid_decision(exc.problems, record.raw)
            continue
        yield record.position, decide(claim, (), params)


_FILE = click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))


@rules.command()
@_FILE
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as a JSON array.")
@click.option(
    "--reveal",
    is_flag=True,
    help="Print CPR numbers in full in the JSON (not audited: no database; the file holds them).",
)
@click.pass_context
def decide(ctx: click.Context, file: str, as_json: bool, reveal: bool) -> None:
    """Decide every claim in FILE (JSON, JSON array, NDJSON or CSV)."""
    from identifiers.privacy import mask_decision

    failed = False
    if as_json:
        first = True
        click.echo("[", nl=False)
        try:
            for position, decision in _decisions(ctx, file):
                failed |= not decision.decided
                data = decision.to_dict()
                data = data if reveal else mask_decision(data)
                data["position"] = position
                text = textwrap.indent(json.dumps(data, indent=2, ensure_ascii=False), "  ")
                click.echo(("\n" if first else ",\n") + text, nl=False)
                first = False
        finally:
            click.echo("]" if first else "\n]")
        exit_with(1 if failed else 0)

    counts: dict[str, int] = {}
    total = 0
    table = Table(*DECIDED)
    for position, decision in _decisions(ctx, file):
        failed |= not decision.decided
        counts[decision.status] = counts.get(decision.status, 0) + 1
        total += decision.amount
        payee = decision.payee.display() if decision.payee else "-"
        table.line(
            position,
            decision.external_ref or "-",  # an invalid claim's, as sent (made printable)
            decision.kind or "-",
            decision.status,
            _kr(decision.amount),
            payee,
            decision.days,
            " ".join(decision.codes),
        )
        if decision.status != "approved":
            for reason in decision.reasons:
                click.echo(f"{'':<10}   {reason.code}: {reason.message}")
    click.echo(summary(counts, "claim", tail=f"total {_kr(total)} DKK"))
    exit_with(1 if failed else 0)


@rules.command()
@_FILE
@click.pass_context
def explain(ctx: click.Context, file: str) -> None:
    """Explain each decision in FILE step by step, with the legal references."""
    failed = False
    for position, decision in _decisions(ctx, file):
        failed |= not decision.decided
        _explain(position, decision)
    exit_with(1 if failed else 0)


def _explain(position: str, decision) -> None:
    from rules.codes import CODES  # the group is named rules: the package is imported here

    payee = f" → {decision.payee.display()}" if decision.payee else ""
    ref = printable(decision.external_ref or "(no reference)")
    click.echo(
        f"{position} · {ref} · {decision.kind or '?'} · "
        f"{decision.status} · {_kr(decision.amount)} DKK{payee}"
    )
    if decision.first_absence_day:
        click.echo(
            f"  absence {decision.first_absence_day} … {decision.last_absence_day}, "
            f"{count(decision.days, 'day')} paid"
        )
    for number, step in enumerate(decision.trace, 1):
        click.echo(f"  {number}. {step.rule.replace('_', ' ')} — {step.reference}")
        for line in textwrap.wrap(step.sentence, 94):
            click.echo(f"       {line}")
        for line in step.detail_lines():
            click.echo(f"       · {line}")
        for value in step.parameters():
            click.echo(
                f"       parameter {value.name} = {value.value_text()}, in force "
                f"{value.period} ({value.reference}; {value.source})"
            )
    if decision.weeks:
        click.echo("  weeks:")
        for week in decision.weeks:
            click.echo(
                f"       {week.week}  {count(week.days, 'day')}  {week.hours} h  "
                f"{_kr(week.amount):>10}"
            )
    if decision.reasons:
        click.echo("  reasons:")
        for reason in decision.reasons:
            where = f" ({reason.reference})" if reason.reference else ""
            click.echo(f"       {reason.code}: {reason.message}{where}")
            if reason.code in CODES:  # what the code means, as the catalogue says
                click.echo(f"         = {CODES[reason.code]}")
    click.echo("")
