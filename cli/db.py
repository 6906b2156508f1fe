"""``payments db``: schema migrations through the app's own CLI (warehouse-style)."""

from __future__ import annotations

import click

from cli.output import echo_json, exit_with
from payments import schema


@click.group()
def db() -> None:
    """Create, migrate and check the database schema."""


@db.command()
@click.pass_obj
def upgrade(app) -> None:
    """Migrate the database to the newest schema (creates it when empty)."""
    engine = app.engine(require_schema=False)
    schema.upgrade(engine)
    click.echo(f"database at revision {schema.current_revision(engine)}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def check(app, as_json: bool) -> None:
    """Exit 1 when the database is not at head or the models differ from the migrations."""
    report = schema.check(app.engine(require_schema=False))
    if as_json:
        echo_json(
            {
                "revision": report.revision,
                "head": list(report.head),
                "differences": list(report.differences),
                "clean": report.clean,
            }
        )
    elif report.clean:
        click.echo(f"schema at head {report.revision}; models and migrations agree")
    else:
        if report.revision not in report.head:
            click.echo(f"database at {report.revision}, head is {', '.join(report.head)}", err=True)
        for diff in report.differences:
            click.echo(f"drift: {diff}", err=True)
    exit_with(0 if report.clean else 1)
