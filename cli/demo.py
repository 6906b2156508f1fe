"""``payments demo``: the whole engine on synthetic data, in one command."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import click

from cli.options import DATE
from cli.output import exit_with
from payments import demo
from payments.db import make_engine


@click.command("demo")
@click.option(
    "--size",
    default=200,
    show_default=True,
    type=click.IntRange(10, 1_000_000),
    help="Number of claims (and employees).",
)
@click.option(
    "--date",
    "day",
    type=DATE,
    default="2024-06-03",
    show_default=True,
    help="The first processing night (legal rates are known for 2024).",
)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Folder for the database, claim files, pain.001 files and bank answers.",
)
@click.option(
    "--database-url",
    "database_url",
    metavar="URL",
    help="Use this database instead of a fresh SQLite file in --dir.",
)
@click.option(
    "--seed",
    default=2024,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same data and files.",
)
@click.pass_obj
def command(
    app, size: int, day: dt.date, workdir: Path, database_url: str | None, seed: int
) -> None:
    """Run claims → decisions → NemKonto → batch → pain.001 → bank answer → next night."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    url = (
        database_url or app.overrides.get("database_url") or f"sqlite:///{workdir / 'payments.db'}"
    )
    settings = app.settings.replace(  # the demo pays from the demo agency (--demo-debtor)
        database_url=url, output_dir=str(workdir / "out"), outbox_dir=str(workdir / "outbox")
    ).with_demo_debtor()
    engine = make_engine(url)
    step = itertools.count(1)  # a bank answer per 10,000 payments: 100 steps at 1,000,000

    def say(text: str) -> None:
        click.echo(f"[{next(step):>2}] {text}")

    click.echo(f"payments demo: {size} claims, first night {day}, seed {seed}, in {workdir}/")
    summary = demo.run(engine, settings, day=day, size=size, seed=seed, workdir=workdir, say=say)
    click.echo("\nSummary")
    click.echo("  claims:  " + ", ".join(f"{n} {k}" for k, n in summary.claims_by_outcome))
    click.echo(f"  decided: {summary.decided_amount:,} DKK in new and corrected decisions")
    for run in summary.batches:
        click.echo(
            f"  batch {run.batch_id} ({run.run_date}, executes {run.execution_date}): "
            f"{run.order_count} orders, {run.total:,} DKK"
        )
        for f in run.files:
            click.echo(f"      {f.path}  ({f.tx_count} tx, sha256 {f.sha256[:12]}…)")
    click.echo(
        f"  pain.001 files valid against the ISO 20022 XSD: "
        f"{'yes' if summary.files_valid else 'NO'}"
    )
    click.echo(f"  returned by the bank: {summary.returned}")
    held = ", ".join(f"{n} {r}" for r, n in summary.held_by_reason) or "none"
    click.echo(f"  held now: {held}")
    click.echo(
        f"  audit: {summary.audit_events} events, chain "
        f"{'intact' if summary.audit_intact else 'BROKEN'}"
    )
    exit_with(0 if summary.files_valid and summary.audit_intact else 1)
