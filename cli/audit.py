"""``payments audit``: verify the hash chain (against anchors kept outside), its head, the log.

``checkpoint`` prints the chain's head for an operator to keep somewhere the database's
writers cannot reach; ``verify --checkpoint FILE`` / ``--outbox DIR`` (the release
manifests) then proves no event up to it was removed or altered. Exit codes: 0 intact, 1
broken (the line names the code: ``AUDIT_CHAIN_BROKEN``, ``AUDIT_TRUNCATED``,
``AUDIT_ANCHOR_MISMATCH``), 2 an anchor file that cannot be used.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.listing import Column, count, print_list
from cli.output import echo_json, exit_with
from payments import audit, manifests

EVENTS = (
    Column("EVENT", 8, right=True),
    Column("TIME", 19),
    Column("ACTOR", 16),
    Column("ACTION", 28),
    Column("SUBJECT", 16),
    Column("PAYLOAD"),
)


@click.group("audit")
def group() -> None:
    """Inspect the append-only audit log."""


@group.command()
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A head printed by `audit checkpoint --json` (or a release manifest); repeatable.",
)
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Verify against every release manifest in this directory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def verify(app, checkpoints, outbox, as_json: bool) -> None:
    """Walk the chain (and hold it against anchors); exit 1 at the first problem."""
    anchors = tuple(manifests.read_anchor(p) for p in checkpoints)
    if outbox is not None:
        anchors += manifests.outbox_anchors(outbox)
    engine = app.engine()
    report = audit.verify_database(engine, anchors)
    if as_json:
        echo_json(
            {
                "events": report.events,
                "intact": report.intact,
                "code": report.code,
                "broken_id": report.broken_id,
                "problem": report.problem,
                "anchors": report.anchors,
            }
        )
    elif report.intact:
        n = report.anchors
        against = f", {count(n, 'anchor')} {'holds' if n == 1 else 'hold'}" if anchors else ""
        click.echo(f"{count(report.events, 'event')}, chain intact{against}")
    else:
        at = f" at event {report.broken_id}" if report.broken_id is not None else ""
        click.echo(f"error {report.code}: audit chain broken{at}: {report.problem}", err=True)
    exit_with(0 if report.intact else 1)


@group.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keep it: verify reads it).")
@click.pass_obj
def checkpoint(app, as_json: bool) -> None:
    """The chain's head now: keep it outside the database (write-once storage, the auditor)."""
    head = audit.head_of_database(app.engine())
    if as_json:
        echo_json(head.as_dict())
        return
    when = head.occurred_at.isoformat() if head.occurred_at else "-"
    click.echo(f"length {head.length}  event {head.event_id}  at {when}\nhash {head.hash}")


@group.command()
@click.option("--after", type=click.IntRange(min=0), help="Only events after this event id.")
@click.option("--subject", metavar="S", help="Only events about S (batch:7, order:12, …).")
@click.option(
    "--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000), help="At most."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(app, after, subject, limit, as_json: bool) -> None:
    """The log, oldest first (it never holds a full CPR or account number)."""
    found = audit.events(app.engine(), after=after, subject=subject, limit=limit)
    if as_json:
        echo_json(found)
        return
    rows = [
        (e["id"], f"{e['occurred_at']:%Y-%m-%d %H:%M:%S}", e["actor"], e["action"], e["subject"],
         json.dumps(e["payload"], ensure_ascii=False, sort_keys=True, default=str))
        for e in found
    ]  # fmt: skip
    more = f"; more after event {found[-1]['id']} (--after)" if len(found) == limit else ""
    print_list(EVENTS, rows, "event", note=more)
