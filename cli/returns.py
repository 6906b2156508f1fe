"""``payments returns``: import the bank's pain.002 / camt.054 answers."""

from __future__ import annotations

from pathlib import Path

import click

from cli.listing import count
from cli.options import actor_option, json_option, optional_actor
from cli.output import echo_json, exit_with
from payments import returns


@click.group("returns")
def group() -> None:
    """Bank status reports and returned payments."""


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@optional_actor("returns")
@json_option
@click.pass_obj
def import_cmd(app, file, actor, as_json) -> None:
    """Import a pain.002 or camt.054 file (importing the same message again changes nothing).

    Exit 1 when the file names end-to-end ids this engine never sent, or a return that is
    recorded but not applied (not a booked credit, or another amount than was sent: for a
    clerk).
    """
    engine = app.engine()
    result = returns.import_file(engine, file, actor=actor, now=app.now())
    if as_json:
        echo_json(
            {
                "msg_id": result.msg_id,
                "kind": result.kind,
                "created": result.created,
                "settled": result.settled,
                "accepted": result.accepted,
                "returned": result.returned,
                "unchanged": result.unchanged,
                "unknown": list(result.unknown),
                "registrations_flagged": result.registrations_flagged,
                "flagged": [
                    {
                        "registration_id": f.registration_id,
                        "owner": f.owner,
                        "account": f.account,
                        "reason": f.reason,
                    }
                    for f in result.flagged
                ],  # fmt: skip
                "by_reason": dict(result.by_reason),
                "not_applied": dict(result.not_applied),
            }
        )
    elif not result.created:
        click.echo(f"{result.kind} {result.msg_id} was imported before; nothing changed")
    else:
        click.echo(
            f"{result.kind} {result.msg_id}: {result.settled} settled, "
            f"{result.returned} returned, {result.unchanged} unchanged, "
            f"{len(result.unknown)} unknown"
        )
        for reason, returned in result.by_reason:
            click.echo(f"  returned {reason}: {returned}")
        if result.registrations_flagged:
            n = result.registrations_flagged
            click.echo(
                f"  {count(n, 'registration')} marked rejected_by_bank; their "
                "payees are held until each has a new account:"
            )
            for f in result.flagged:
                click.echo(f"    {f.owner:<12} account {f.account}  {f.reason or '-'}")
        for e2e in result.unknown[:20]:
            click.echo(f"  unknown end-to-end id: {e2e}", err=True)
        for e2e, why in result.not_applied[:20]:
            click.echo(f"  not applied, for a clerk: {e2e}: {why}", err=True)
    exit_with(1 if result.needs_a_clerk else 0)


@group.command("apply")
@click.argument("end_to_end_id")
@actor_option
@click.pass_obj
def apply_cmd(app, end_to_end_id, actor) -> None:
    """Apply a return the import reported as not applied, once the bank has confirmed that
    the whole transaction came back (not for a partial return: the order is paid again in
    full). END_TO_END_ID as in the report."""
    engine = app.engine()
    reason = returns.apply_return(engine, end_to_end_id, actor=actor, now=app.now())
    click.echo(f"{end_to_end_id}: its order is returned ({reason}), as the bank reported")
    exit_with(0)


@group.command("requeue")
@click.argument("end_to_end_id")
@actor_option
@click.pass_obj
def requeue(app, end_to_end_id, actor) -> None:
    """Pay again a transaction returned for a reason that is not the account's (AM04, BE04, …).

    END_TO_END_ID as in the bank's report. Transactions returned for an account reason
    (AC01, AC04, …) are retried by the batch itself once the payee has a new account.
    """
    engine = app.engine()
    reason = returns.requeue(engine, end_to_end_id, actor=actor, now=app.now())
    click.echo(
        f"{end_to_end_id} (returned for {reason}): its order is pending again; the "
        "next batch pays it"
    )
    exit_with(0)
