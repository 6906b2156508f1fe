"""``payments accounts``: the NemKonto registry from the command line.

Output is masked (CPR ``010190-****``, account ``****1234``) unless ``--reveal`` is given,
and every ``--reveal`` (and every listing of activation codes) is written to the audit log
under ``--actor`` (default: the login name). Exit codes: 0 ok; 1 not found, refused by the
registry's state, or rows rejected; 2 bad usage or a bad input file.
"""

from __future__ import annotations

import functools
import getpass

import click

from cli.options import ACTOR, DATE
from cli.output import echo_json, exit_with
from identifiers import mask_account, mask_owner, parse_owner
from payments import audit
from payments.db import session_scope
from payments.errors import NotFound, PaymentsError
from payments.registry import bank_file, lifecycle
from payments.statuses import Channel


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still audit something
        return "unknown"


def coded(func):
    """Turn the engine's coded errors into one stderr line and the error's exit status."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PaymentsError as exc:
            suffix = f" [{exc.field}]" if exc.field else ""
            click.echo(f"error {exc.code}: {exc.message}{suffix}", err=True)
            exit_with(exc.exit_status)

    return wrapper


def owner_options(func):
    func = click.option("--cvr", metavar="NUMBER", help="The company's CVR number.")(func)
    return click.option("--cpr", metavar="NUMBER", help="The person's CPR number.")(func)


def _owner(cpr: str | None, cvr: str | None) -> tuple[str, str]:
    if bool(cpr) == bool(cvr):
        raise click.UsageError("give exactly one of --cpr or --cvr")
    return parse_owner("cpr" if cpr else "cvr", cpr or cvr, "cpr" if cpr else "cvr")


def _open(app):
    engine = app.engine()
    return session_scope(engine)


def _view(row, reveal: bool) -> dict:
    view = {
        "registration_id": row.id,
        "owner_kind": row.owner_kind,
        "owner": row.owner_number if reveal else mask_owner(row.owner_kind, row.owner_number),
        "account": lifecycle.Account.of(row).reveal()
        if reveal
        else mask_account(row.reg_no, row.account_no, row.iban),
        "status": row.status,
        "channel": row.channel,
        "active_from": row.active_from,
        "ended_on": row.ended_on,
        "end_reason": row.end_reason,
        "rejected_reason": row.rejected_reason,
        "registered_at": row.registered_at,
        "registered_by": row.actor,
    }
    if reveal:
        view |= {
            "reg_no": row.reg_no,
            "account_no": row.account_no,
            "iban": row.iban,
            "bic": row.bic,
        }
    return view


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@coded
def register(app, cpr, cvr, iban, bic, reg_no, account_no, channel, actor, on, as_json):
    """Register an account for a CPR or CVR number."""
    kind, number = _owner(cpr, cvr)
    account = lifecycle.Account.parse(reg_no=reg_no, account_no=account_no, iban=iban, bic=bic)
    on = on or app.today()
    with _open(app) as session:
        change = lifecycle.register(
            session, kind, number, account, channel=channel, actor=actor, on=on, now=app.now()
        )
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
@click.option("--actor", default="owner", show_default=True, type=ACTOR, metavar="NAME")
@click.option("--date", "on", type=DATE, help="Activation day (default today).")
@click.pass_obj
@coded
def activate(app, cpr, code, actor, on):
    """Activate a pending registration with the one-time code from the letter."""
    kind, number = _owner(cpr, None)
    with _open(app) as session:
        result = lifecycle.activate(
            session, kind, number, code, actor=actor, on=on or app.today(), now=app.now()
        )
    if result.code == "ACCOUNT_ACTIVATION_CODE_WRONG":
        raise PaymentsError(
            result.code,
            f"wrong activation code; {result.attempts_left} "
            "attempts left before the registration locks",
            "code",
        )
    if result.code is not None:
        raise PaymentsError(
            result.code,
            "wrong activation code; the registration is now locked and must be registered again",
            "code",
        )
    click.echo(f"registration {result.registration_id} is active from {on or app.today()}")


@accounts.command()
@owner_options
@click.option("--reason", required=True, type=click.Choice(lifecycle.CLOSE_REASONS))
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who closes (audited).")
@click.option("--date", "on", type=DATE, help="End date, exclusive (default today).")
@click.pass_obj
@coded
def close(app, cpr, cvr, reason, actor, on):
    """End the owner's current NemKonto (and cancel a waiting self-service request)."""
    kind, number = _owner(cpr, cvr)
    on = on or app.today()
    with _open(app) as session:
        change = lifecycle.close(session, kind, number, reason, actor=actor, on=on, now=app.now())
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
@click.option(
    "--actor", default=_login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@coded
def show(app, cpr, cvr, on, reveal, actor, as_json):
    """The NemKonto in force on a day; exit 1 when there is none."""
    kind, number = _owner(cpr, cvr)
    on = on or app.today()
    who = number if reveal else mask_owner(kind, number)
    with _open(app) as session:
        row = lifecycle.as_of(session, kind, number, on)
        pending = row is None and lifecycle.has_pending(session, kind, number)
        if row is not None and reveal:
            audit.append(
                session,
                actor=actor,
                action="account.revealed",
                subject=f"registration:{row.id}",
                payload={
                    "registration_id": row.id,
                    "command": "show",
                    "owner": mask_owner(kind, number),
                    "as_of": on,
                },
                now=app.now(),
            )
        view = _view(row, reveal) if row is not None else None
    if view is None:
        reason = "PENDING_ACTIVATION" if pending else "NO_ACCOUNT"
        if as_json:
            echo_json({"owner": who, "as_of": on, "account": None, "reason": reason})
        note = " (a registration waits for activation)" if pending else ""
        raise NotFound("ACCOUNT_NOT_FOUND", f"no NemKonto for {who} on {on}{note}", "owner")
    if as_json:
        echo_json(view | {"as_of": on})
        return
    click.echo(f"NemKonto of {who} on {on}")
    _print_view(view)


@accounts.command()
@owner_options
@click.option("--reveal", is_flag=True, help="Show full numbers (written to the audit log).")
@click.option(
    "--actor", default=_login, type=ACTOR, metavar="NAME", help="Who asks (for --reveal)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@coded
def history(app, cpr, cvr, reveal, actor, as_json):
    """Every registration of the owner, oldest first."""
    kind, number = _owner(cpr, cvr)
    with _open(app) as session:
        rows = lifecycle.history(session, kind, number)
        if rows and reveal:
            audit.append(
                session,
                actor=actor,
                action="account.revealed",
                subject=f"owner:{mask_owner(kind, number)}",
                payload={
                    "registration_ids": [r.id for r in rows],
                    "command": "history",
                    "owner": mask_owner(kind, number),
                },
                now=app.now(),
            )
        views = [_view(r, reveal) for r in rows]
    if as_json:
        echo_json(views)
        return
    if not views:
        click.echo(f"no registrations for {number if reveal else mask_owner(kind, number)}")
    for view in views:
        waiting = view["status"] in ("pending_activation", "locked")
        since = f"{'requested' if waiting else 'from'} {view['active_from']}"
        ended = f"until {view['ended_on']} ({view['end_reason']})" if view["ended_on"] else ""
        click.echo(
            f"{view['registration_id']:>8}  {view['account']:<24} {view['status']:<19}"
            f"{view['channel']:<10} {since} {ended}".rstrip()
        )


@accounts.command()
@click.option("--pending", "pending_only", is_flag=True, help="Only letters still usable.")
@click.option(
    "--actor", default=_login, type=ACTOR, metavar="NAME", help="Who reads the codes (audited)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@coded
def letters(app, pending_only, actor, as_json):
    """The activation-letter outbox: the only place the one-time codes are shown."""
    with _open(app) as session:
        found = lifecycle.letters(session, pending_only=pending_only)
        if found:
            audit.append(
                session,
                actor=actor,
                action="account.letters_listed",
                subject="registry:letters",
                payload={
                    "letters": len(found),
                    "first_id": found[0].letter_id,
                    "last_id": found[-1].letter_id,
                    "pending_only": pending_only,
                },
                now=app.now(),
            )
    views = [
        {
            "letter_id": x.letter_id,
            "registration_id": x.registration_id,
            "owner": mask_owner(x.owner_kind, x.owner_number),
            "code": x.code,
            "created_at": x.created_at,
            "state": "withdrawn" if x.withdrawn else x.status,
        }
        for x in found
    ]
    if as_json:
        echo_json(views)
        return
    for v in views:
        click.echo(
            f"letter {v['letter_id']:>6}  registration {v['registration_id']:>8}  "
            f"{v['owner']}  {v['created_at']:%Y-%m-%d}  code {v['code']}  {v['state']}"
        )


@accounts.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--actor", required=True, type=ACTOR, metavar="NAME", help="Who imports (audited).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@coded
def import_(app, file, actor, as_json):
    """Apply a bank CSV; rejected rows go to FILE.rejects.csv (exit 1 when any)."""
    with _open(app) as session:
        result = bank_file.import_file(session, file, actor=actor, now=app.now())
    try:
        target = bank_file.write_rejects(file, result.rejects)
    except OSError as exc:  # the import is committed; say where the rejects could not go
        target = None
        click.echo(
            f"error IMPORT_REJECTS_UNWRITABLE: cannot write "
            f"{bank_file.rejects_path(file)}: {exc.strerror}",
            err=True,
        )
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
@coded
def suspicious(app, min_owners, on, as_json):
    """Accounts that are the NemKonto of many owners at once (a money-mule signal)."""
    on = on or app.today()
    with _open(app) as session:
        found = bank_file.suspicious(session, on, min_owners)
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
    if not found:
        click.echo(f"no account is the NemKonto of {min_owners} or more owners on {on}")
    for s in found:
        click.echo(
            f"{s.account}  {s.owners} owners  registrations "
            f"{', '.join(map(str, s.registration_ids))}  ({', '.join(s.owner_masks)})"
        )
