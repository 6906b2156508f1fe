"""``payments returns``: import the bank's pain.002 / camt.054 answers."""

from __future__ import annotations

from pathlib import Path

import click

from cli.listing import count
from cli.options import ACTOR, actor_option, json_option, login, optional_actor
from cli.output import echo_json_streaming, exit_with
from payments import returned, returns


@click.group("returns")
def group() -> None:
    """Bank status reports and returned payments."""


#: returned transactions ``returns import`` prints as text; the rest are counted, and
#: ``returns show MSG_ID`` (or ``--json``) lists every one
TEXT_LINES = 50


def _returned_line(r: returned.Returned) -> str:
    return (
        f"    {r.end_to_end_id}  {r.reason or '-':<4}  {r.owner:<12} account {r.account:<12}"
        f"  {r.amount:>12,} DKK  {r.next_text}"
    )


def _print_returned(rows, total: int, msg_id: str, limit: int | None) -> None:
    """Up to ``limit`` lines (all with None), then how many more and where they are."""
    if not total:
        return
    click.echo(f"  returned transactions (whose account, what happens next): {total:,}")
    shown = 0
    for r in rows:
        if limit is not None and shown == limit:
            break
        click.echo(_returned_line(r))
        shown += 1
    if shown < total:
        click.echo(
            f"    … and {total - shown:,} more: `payments returns show {msg_id}` lists every "
            "one (--json for a file)"
        )


reveal_option = click.option(
    "--reveal",
    is_flag=True,
    help="Show owners' and accounts' full numbers (written to the audit log under --actor).",
)


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@optional_actor("returns")
@reveal_option
@json_option
@click.pass_obj
def import_cmd(app, file, actor, reveal, as_json) -> None:
    """Import a pain.002 or camt.054 file (importing the same message again changes nothing).

    Every returned transaction is reported with whose account it was (owner and account,
    masked unless --reveal) and what happens next: held until a new account is registered
    (an account reason), or a requeue needed (any other). As text, the first 50 of them and
    a count (`payments returns show MSG_ID` lists them all); --json lists every one,
    streamed.

    Exit 1 when the file names end-to-end ids this engine never sent, or a return that is
    recorded but not applied (not a booked credit, or another amount than was sent: for a
    clerk).
    """
    engine = app.engine()
    result = returns.import_file(engine, file, actor=actor, now=app.now())
    rows = (
        returned.returned_in(
            engine,
            result.report_id,
            reveal=reveal,
            actor=actor,
            now=app.now(),
            limit=None if as_json else TEXT_LINES,  # as text, the first 50 and a count
        )
        if result.created and result.returned
        else iter(())
    )
    if as_json:
        echo_json_streaming(
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
            },
            "returned_transactions",
            (r.as_dict() for r in rows),
        )
    elif not result.created:
        click.echo(
            f"{result.kind} {result.msg_id} was imported before; nothing changed "
            f"(`payments returns show {result.msg_id}` lists what it returned)"
        )
    else:
        click.echo(
            f"{result.kind} {result.msg_id}: {result.settled} settled, "
            f"{result.accepted} accepted, {result.returned} returned, "
            f"{result.unchanged} unchanged, {len(result.unknown)} unknown"
        )
        for reason, how_many in result.by_reason:
            click.echo(f"  returned {reason}: {how_many}")
        if result.registrations_flagged:
            n = result.registrations_flagged
            click.echo(
                f"  {count(n, 'registration')} marked rejected_by_bank; their "
                "payees are held until each has a new account:"
            )
            for f in result.flagged[:TEXT_LINES]:
                click.echo(f"    {f.owner:<12} account {f.account}  {f.reason or '-'}")
            if n > TEXT_LINES:
                click.echo(f"    … and {n - TEXT_LINES:,} more (--json lists every one)")
        _print_returned(rows, result.returned, result.msg_id, TEXT_LINES)
        for e2e in result.unknown[:20]:
            click.echo(f"  unknown end-to-end id: {e2e}", err=True)
        for e2e, why in result.not_applied[:20]:
            click.echo(f"  not applied, for a clerk: {e2e}: {why}", err=True)
    exit_with(1 if result.needs_a_clerk else 0)


@group.command("show")
@click.argument("msg_id")
@click.option("--actor", default=login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal).")
@reveal_option
@json_option
@click.pass_obj
def show_cmd(app, msg_id, actor, reveal, as_json) -> None:
    """Every transaction an imported bank answer (MSG_ID, its message id) returned: whose
    account it was and what happens next now, in file order."""
    engine = app.engine()
    report = returned.report_id(engine, msg_id)
    rows = returned.returned_in(engine, report, reveal=reveal, actor=actor, now=app.now())
    if as_json:
        echo_json_streaming(
            {"msg_id": msg_id}, "returned_transactions", (r.as_dict() for r in rows)
        )
        return
    count = 0
    for r in rows:
        if not count:
            click.echo(f"{msg_id}: returned transactions (whose account, what happens next)")
        click.echo(_returned_line(r))
        count += 1
    click.echo(f"{count:,} returned transaction{'s' if count != 1 else ''}")


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
