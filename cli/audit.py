"""``payments audit``: verify the hash chain of the audit log."""

from __future__ import annotations

import click

from cli.output import echo_json, exit_with
from payments import audit


@click.group("audit")
def group() -> None:
    """Inspect the append-only audit log."""


@group.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def verify(app, as_json: bool) -> None:
    """Walk the chain; exit 1 at the first broken row."""
    engine = app.engine()
    report = audit.verify_database(engine)
    if as_json:
        echo_json(
            {
                "events": report.events,
                "intact": report.intact,
                "broken_id": report.broken_id,
                "problem": report.problem,
            }
        )
    elif report.intact:
        click.echo(f"{report.events} events, chain intact")
    else:
        click.echo(f"audit chain broken at event {report.broken_id}: {report.problem}", err=True)
    exit_with(0 if report.intact else 1)
