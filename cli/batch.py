"""``payments batch``: the nightly run, four-eyes approval, release to the outbox, reject."""

from __future__ import annotations

import sys

import click

from cli.listing import Column, count, print_list
from cli.options import DATE, actor_option, json_option, optional_actor
from cli.output import echo_json, exit_with
from payments.batch import approval, night

BATCHES = (
    Column("BATCH", 5, right=True),
    Column("RUN DATE", 10),
    Column("STATUS", 9),
    Column("ORDERS", 9, right=True),
    Column("AMOUNT", 20, right=True),
    Column("FILES", right=True),
)


def _run_dict(run: night.BatchRun) -> dict:
    return {
        "batch_id": run.batch_id,
        "created": run.created,
        "run_date": run.run_date,
        "execution_date": run.execution_date,
        "status": run.status,
        "orders": run.order_count,
        "amount": run.total,
        "held": run.held_count,
        "held_by_reason": dict(run.held_by_reason),
        "files": [
            {
                "path": str(f.path),
                "msg_id": f.msg_id,
                "transactions": f.tx_count,
                "amount": f.total,
                "sha256": f.sha256,
            }
            for f in run.files
        ],
        "stray_removed": list(run.stray_removed),
        "unnamed_payees": run.unnamed,
        "output_dir": str(run.output_dir),
        "outbox_dir": str(run.outbox_dir),
    } | (
        {"rejected_by": run.rejected_by, "reject_reason": run.reject_reason}
        if run.status == "rejected"
        else {}
    )


def _say_strays(run: night.BatchRun) -> None:
    """Temporary files of batches never committed were removed first: say which."""
    if run.stray_removed:
        n = len(run.stray_removed)
        click.echo(
            f"removed {count(n, 'stray temporary file')} of uncommitted batches: "
            + ", ".join(run.stray_removed),
            err=True,
        )


def _print_run(run: night.BatchRun) -> None:
    verb = "created" if run.created else "exists"
    click.echo(
        f"batch {run.batch_id} {verb}: run date {run.run_date}, execution "
        f"{run.execution_date}, status {run.status}"
    )
    click.echo(f"  paid     {count(run.order_count, 'order'):>16}  {run.total:>18,} DKK")
    click.echo(f"  held     {count(run.held_count, 'order'):>16}")
    if run.unnamed:
        click.echo(f"  {run.unnamed:,} paid to a payee without a registered name (placeholder)")
    for reason, held in run.held_by_reason:
        click.echo(f"    {reason:<26} {held:>9,}")
    if run.status == "rejected":
        click.echo(f"  rejected by {run.rejected_by}: {run.reject_reason}")
    for f in run.files:
        click.echo(f"  file {f.path}  {f.tx_count:,} tx  {f.total:,} DKK  sha256 {f.sha256[:16]}…")


@click.group()
def batch() -> None:
    """Run, approve and release the nightly payment batch."""


@batch.command("run")
@click.option(
    "--date",
    "run_date",
    type=DATE,
    help="Business date D (default today); the files execute on the first banking day after D.",
)
@click.option("--yes", is_flag=True, help="Run for a date in the past or over 7 days ahead.")
@click.option(
    "--demo-debtor",
    is_flag=True,
    help="Pay from the demo's fictitious agency (no PAYMENTS_DEBTOR_* configured): for "
    "demonstrations and tests only.",
)
@optional_actor("batch")
@json_option
@click.pass_obj
def run_cmd(app, run_date, yes, demo_debtor, actor, as_json) -> None:
    """Resolve accounts, hold what cannot be paid, write pain.001 files, commit.

    The paying agency comes from PAYMENTS_DEBTOR_NAME, _IBAN, _BIC and _CVR; without them
    the run is refused (CONFIG_DEBTOR_MISSING, exit 2) unless --demo-debtor is given.
    """
    run_date = run_date or app.today()
    warning = night.unusual_run_date(run_date, app.today())
    if warning:
        click.echo(f"warning: {warning}", err=True)
        if not yes:
            raise click.UsageError("give --yes to run the batch for that date")
    engine = app.engine()
    progress = None
    if sys.stderr.isatty() and not as_json:
        written = [0]

        def progress(n: int) -> None:
            written[0] += n
            click.echo(f"\r  writing pain.001: {written[0]:,} transactions", err=True, nl=False)

    settings = app.settings.with_demo_debtor() if demo_debtor else app.settings
    result = night.run(
        engine,
        settings,
        run_date=run_date,
        actor=actor,
        now=app.now(),
        progress=progress,
    )
    if progress is not None:
        click.echo("", err=True)
    _say_strays(result)
    if as_json:
        echo_json(_run_dict(result))
    else:
        _print_run(result)


@batch.command()
@click.argument("batch_id", type=int)
@actor_option
@json_option
@click.pass_obj
def approve(app, batch_id, actor, as_json) -> None:
    """Approve a generated batch (the approver must differ from who ran it)."""
    engine = app.engine()
    result = approval.approve(engine, app.settings, batch_id, actor=actor, now=app.now())
    echo_json(_run_dict(result)) if as_json else click.echo(f"batch {batch_id} approved by {actor}")


@batch.command()
@click.argument("batch_id", type=int)
@optional_actor("release")
@json_option
@click.pass_obj
def release(app, batch_id, actor, as_json) -> None:
    """Verify the files' SHA-256 and copy them to the outbox; orders become ``sent``.

    The files are taken from, and copied to, the folders recorded when the batch was run
    (absolute), whatever folder this command runs in or its settings say."""
    engine = app.engine()
    result = approval.release(engine, app.settings, batch_id, actor=actor, now=app.now())
    _say_strays(result)
    if as_json:
        echo_json(_run_dict(result))
    else:
        click.echo(f"batch {batch_id} released to {result.outbox_dir}:")  # as recorded
        for f in result.files:
            click.echo(f"  {f.path.name}  {f.tx_count:,} tx  {f.total:,} DKK")


@batch.command()
@click.argument("batch_id", type=int)
@click.option(
    "--reason",
    required=True,
    help="Why the batch is refused; kept with the batch and in the audit log.",
)
@actor_option
@json_option
@click.pass_obj
def reject(app, batch_id, reason, actor, as_json) -> None:
    """Refuse a batch that is not released: its files are deleted and its orders are paid
    by the next run (the same date may be run again)."""
    engine = app.engine()
    result = approval.reject(
        engine, app.settings, batch_id, actor=actor, reason=reason, now=app.now()
    )
    echo_json(_run_dict(result)) if as_json else click.echo(
        f"batch {batch_id} rejected by {actor}: its {result.order_count:,} orders are due "
        "again and its files were deleted"
    )


@batch.command("list")
@json_option
@click.pass_obj
def list_cmd(app, as_json) -> None:
    """Every batch, oldest first."""
    engine = app.engine()
    runs = night.list_batches(engine, app.settings)
    if as_json:
        echo_json([_run_dict(r) for r in runs])
        return
    rows = [
        (r.batch_id, r.run_date, r.status, f"{r.order_count:,}", f"{r.total:,} DKK", len(r.files))
        for r in runs
    ]
    print_list(BATCHES, rows, "batch", "batches")


@batch.command()
@click.argument("batch_id", type=int)
@json_option
@click.pass_obj
def show(app, batch_id, as_json) -> None:
    """A batch with counts and sums of its orders by current state."""
    engine = app.engine()
    run, states = night.show(engine, app.settings, batch_id)
    if as_json:
        echo_json(_run_dict(run) | {"orders_by_state": states})
        return
    _print_run(run)
    click.echo("  orders by state now:")
    for state, figures in sorted(states.items()):
        click.echo(f"    {state:<10} {figures['count']:>9,}  {figures['amount']:>16,} DKK")


@batch.command("approve-review")
@click.argument("order_id", type=int)
@actor_option
@click.pass_obj
def approve_review(app, order_id, actor) -> None:
    """Clear an order held for AMOUNT_REVIEW so the next run pays it."""
    engine = app.engine()
    approval.approve_review(engine, order_id, actor=actor, now=app.now())
    click.echo(f"order {order_id} cleared for payment by {actor}")
    exit_with(0)
