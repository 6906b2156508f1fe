"""``payments accounts``: the NemKonto registry from the command line.

Output is masked (CPR ``010190-****``, account ``****1234``) unless ``--reveal`` is given,
and every ``--reveal`` is written to the audit log under ``--actor`` (default: the login
name). Activation codes are never shown: they exist only in the letters ``accounts letters
export`` writes for the mail house. There is no option to register "as the owner": only
the HTTP API, which authenticates the owner, can; so an operator's registration is always
activated by someone else. Exit codes: 0 ok; 1 not found, refused by the registry's state
or by four eyes, or rows rejected; 2 bad usage or a bad input file.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.listing import Column, count, print_list
from cli.options import ACTOR, DATE, login
from cli.output import echo_json, error_line, exit_with
from identifiers import mask_owner
from payments.errors import NotFound
from payments.registry import service
from payments.registry.lifecycle import CLOSE_REASONS, Account
from payments.statuses import Channel

HISTORY = (
    Column("REGISTRATION", right=True),
    Column("ACCOUNT", 24),
    Column("STATUS", 18),
    Column("CHANNEL", 9),
    Column("FROM", 20),
    Column("UNTIL"),
)
LETTERS = (
    Column("LETTER", right=True),
    Column("REGISTRATION", right=True),
    Column("OWNER", 12),
    Column("CREATED", 10),
    Column("STATE", 18),
    Column("EXPORTED"),
)
SUSPICIOUS = (
    Column("ACCOUNT", 24),
    Column("OWNERS", right=True),
    Column("REGISTRATIONS", 20),
    Column("OWNER LIST"),
)


def owner_options(func):
    func = click.option("--cvr", metavar="NUMBER", help="The company's CVR number.")(func)
    return click.option("--cpr", metavar="NUMBER", help="The person's CPR number.")(func)


def _owner(cpr: str | None, cvr: str | None) -> tuple[str, str]:
    if bool(cpr) == bool(cvr):
        raise click.UsageError("give exactly one of --cpr or --cvr")
    return service.owner("cpr" if cpr else "cvr", cpr or cvr)


def _print_view(view: dict) -> None:
    ended = f"{view['ended_on']} ({view['end_reason']})" if view["ended_on"] else "-"
    lines = [
        ("account", view["account"]),
        (
            "status",
            view["status"] + (f" ({view['rejected_reason']})" if view["rejected_reason"] else ""),
        ),
        ("channel", view["channel"]),
        ("active from", view["active_from"]),
        ("ended on", ended),
        (
            "registration",
            f"{view['registration_id']}, registered "
            f"{view['registered_at']:%Y-%m-%d %H:%M} UTC by {view['registered_by']}",
        ),
    ]
    for label, value in lines:
        click.echo(f"  {label:<13}{value}")


@click.group()
def accounts() -> None:
    """Register, activate, close and look up NemKonto payout accounts."""


@accounts.command()
@owner_options
@click.option("--iban", metavar="IBAN", help="Foreign or Danish IBAN.")
@click.option("--bic", metavar="BIC", help="BIC, with --iban only.")
@click.option("--reg", "reg_no", metavar="REG", help="Danish registration number (4 digits).")
@click.option("--account", "account_no", metavar="NUMBER", help="Danish account number.")
@click.option(
    "--channel",
    type=click.Choice([c.value for c in Channel]),
    required=True,
    help="bank: active from --date; citizen/authority: activated by letter code.",
)
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who registers (audited).")
@click.option("--date", "on", type=DATE, help="Active from (bank) / request day; default today.")
@click.option(
    "--name", metavar="NAME", help="The owner's name (the payee's name in payment files)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def register(app, cpr, cvr, iban, bic, reg_no, account_no, channel, actor, on, name, as_json):
    """Register an account for a CPR or CVR number."""
    kind, number = _owner(cpr, cvr)
    account = Account.parse(reg_no=reg_no, account_no=account_no, iban=iban, bic=bic)
    on = on or app.today()
    change = service.register(
        app.engine(), kind, number, account, channel=channel, actor=actor, on=on,
        now=app.now(), name=name,
    )  # fmt: skip
    if as_json:
        echo_json(
            {
                "outcome": change.outcome,
                "registration_id": change.registration_id,
                "ended_registration_id": change.ended_id,
                "letter_id": change.letter_id,
                "owner": mask_owner(kind, number),
                "account": account.mask(),
            }
        )
        return
    who = mask_owner(kind, number)
    if change.outcome == "unchanged":
        click.echo(
            f"unchanged: {account.mask()} is already the NemKonto of {who} "
            f"(registration {change.registration_id})"
        )
    elif change.outcome == "pending":
        click.echo(
            f"registration {change.registration_id} for {who} waits for activation; "
            f"activation letter {change.letter_id} is in the outbox"
        )
    else:
        ended = f"; registration {change.ended_id} ends" if change.ended_id else ""
        click.echo(
            f"registration {change.registration_id}: {account.mask()} is the NemKonto "
            f"of {who} from {on}{ended}"
        )


@accounts.command()
@click.option("--cpr", required=True, metavar="NUMBER", help="The person's CPR number.")
@click.option("--code", required=True, metavar="CODE", help="The code from the letter.")
@click.option(
    "--actor",
    default=login,
    type=ACTOR,
    metavar="NAME",
    help="Who activates (audited; default the login name): not who registered it.",
)
@click.option("--date", "on", type=DATE, help="Activation day (default today).")
@click.pass_obj
def activate(app, cpr, code, actor, on):
    """Activate a pending registration with the one-time code from the letter.

    Refused (ACCOUNT_ACTIVATION_FOUR_EYES) to whoever registered it or exported its letter."""
    kind, number = _owner(cpr, None)
    result = service.activate(
        app.engine(), kind, number, code, actor=actor, on=on or app.today(), now=app.now()
    )
    click.echo(f"registration {result.registration_id} is active from {on or app.today()}")


@accounts.command()
@owner_options
@click.option("--reason", required=True, type=click.Choice(CLOSE_REASONS))
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who closes (audited).")
@click.option("--date", "on", type=DATE, help="End date, exclusive (default today).")
@click.pass_obj
def close(app, cpr, cvr, reason, actor, on):
    """End the owner's current NemKonto (and cancel a waiting self-service request)."""
    kind, number = _owner(cpr, cvr)
    on = on or app.today()
    change = service.close(app.engine(), kind, number, reason, actor=actor, on=on, now=app.now())
    what = (
        f"registration {change.registration_id}"
        if change.registration_id
        else "the waiting request"
    )
    click.echo(f"{what} of {mask_owner(kind, number)} ends on {on} ({reason})")


@accounts.command()
@owner_options
@click.option("--as-of", "on", type=DATE, help="The day asked about (default today).")
@click.option("--reveal", is_flag=True, help="Show full numbers (written to the audit log).")
@click.option("--actor", default=login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(app, cpr, cvr, on, reveal, actor, as_json):
    """The NemKonto in force on a day; exit 1 when there is none."""
    kind, number = _owner(cpr, cvr)
    on = on or app.today()
    who = number if reveal else mask_owner(kind, number)
    try:
        view = service.show(
            app.engine(), kind, number, on=on, reveal=reveal, actor=actor, now=app.now()
        )
    except NotFound as missing:
        if as_json:
            echo_json({"owner": who, "as_of": on, "account": None, "reason": missing.reason})
        raise
    if as_json:
        echo_json(view)
        return
    click.echo(f"NemKonto of {who} on {on}")
    _print_view(view)


@accounts.command()
@owner_options
@click.option("--reveal", is_flag=True, help="Show full numbers (written to the audit log).")
@click.option("--actor", default=login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def history(app, cpr, cvr, reveal, actor, as_json):
    """Every registration of the owner, oldest first."""
    kind, number = _owner(cpr, cvr)
    views = service.history(app.engine(), kind, number, reveal=reveal, actor=actor, now=app.now())
    if as_json:
        echo_json(views)
        return
    rows = []
    for view in views:
        waiting = view["status"] in ("pending_activation", "locked")
        since = f"{view['active_from']}" + (" (requested)" if waiting else "")
        ended = f"{view['ended_on']} ({view['end_reason']})" if view["ended_on"] else ""
        rows.append(
            (view["registration_id"], view["account"], view["status"], view["channel"], since,
             ended)
        )  # fmt: skip
    who = number if reveal else mask_owner(kind, number)
    print_list(HISTORY, rows, "registration", empty=f"no registrations for {who}")


@accounts.group(invoke_without_command=True)
@click.option("--pending", "pending_only", is_flag=True, help="Only letters still usable.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def letters(ctx, pending_only, as_json):
    """The activation-letter queue with each letter's state (never a code); `letters
    export` writes the letters for the mail house."""
    if ctx.invoked_subcommand is not None:
        return
    views = service.letters(ctx.obj.engine(), pending_only=pending_only)
    if as_json:
        echo_json(views)
        return
    rows = [
        (v["letter_id"], v["registration_id"], v["owner"], f"{v['created_at']:%Y-%m-%d}",
         v["state"],
         f"{v['exported_at']:%Y-%m-%d} by {v['exported_by']}" if v["exported_at"] else "no")
        for v in views
    ]  # fmt: skip
    print_list(LETTERS, rows, "letter", empty="no pending letters" if pending_only else None)


@letters.command("export")
@click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the letter files go (made 0700 if missing); for the mail house.",
)
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who exports (audited).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def export_letters(app, directory, actor, as_json):
    """Write one printable letter per pending registration, each code once; the codes then
    exist only in those files. Letters of registrations ACTOR made are left for another
    operator."""
    done = service.export_letters(app.engine(), directory, actor=actor, now=app.now())
    if as_json:
        echo_json(
            {
                "directory": str(directory.resolve()),
                "exported": len(done.letter_ids),
                "letter_ids": list(done.letter_ids),
                "files": [p.name for p in done.files],
                "skipped_own": list(done.skipped_own),
            }
        )
        return
    click.echo(f"{count(len(done.letter_ids), 'letter')} written to {directory.resolve()}")
    if done.skipped_own:
        click.echo(
            f"{count(len(done.skipped_own), 'letter')} of registrations {actor} made are left "
            f"for another operator: {', '.join(map(str, done.skipped_own))}",
            err=True,
        )


@accounts.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who imports (audited).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def import_(app, file, actor, as_json):
    """Apply a bank CSV; rejected rows go to FILE.rejects.csv (exit 1 when any)."""
    done = service.import_file(app.engine(), file, actor=actor, now=app.now())
    result, target = done.result, done.rejects_file
    if done.rejects_error is not None:  # the import is committed; the rejects file is not
        click.echo(error_line(done.rejects_error), err=True)
    if as_json:
        echo_json(
            {
                "file": result.file,
                "sha256": result.sha256,
                "rows": result.rows,
                "registered": result.registered,
                "closed": result.closed,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
                "reject_file": str(target) if target else None,
                "rejects": [
                    {"line": r.line, "code": r.code, "field": r.field, "message": r.message}
                    for r in result.rejects
                ],
            }
        )
    else:
        click.echo(
            f"{result.file}: {result.rows} rows: {result.registered} registered, "
            f"{result.closed} closed, {result.unchanged} unchanged, "
            f"{result.rejected} rejected"
        )
        for r in result.rejects[:20]:
            click.echo(f"  line {r.line}: {r.code} {r.message}", err=True)
        if result.rejected and target:
            more = " (first 20 above)" if result.rejected > 20 else ""
            click.echo(f"rejected rows are in {target}{more}", err=True)
    exit_with(1 if result.rejected or target is None else 0)


@accounts.command()
@click.option(
    "--min-owners",
    default=5,
    show_default=True,
    type=int,
    help="Flag accounts registered to at least this many owners.",
)
@click.option("--as-of", "on", type=DATE, help="The day (default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def suspicious(app, min_owners, on, as_json):
    """Accounts that are the NemKonto of many owners at once (a money-mule signal)."""
    on = on or app.today()
    found = service.suspicious(app.engine(), on, min_owners)
    if as_json:
        echo_json(
            [
                {
                    "account": s.account,
                    "owners": s.owners,
                    "owner_list": list(s.owner_masks),
                    "registration_ids": list(s.registration_ids),
                }
                for s in found
            ]
        )
        return
    rows = [
        (s.account, s.owners, ", ".join(map(str, s.registration_ids)), ", ".join(s.owner_masks))
        for s in found
    ]
    print_list(
        SUSPICIOUS, rows, "account",
        empty=f"no account is the NemKonto of {min_owners} or more owners on {on}",
        note=f", each the NemKonto of {min_owners} or more owners on {on}",
    )  # fmt: skip
