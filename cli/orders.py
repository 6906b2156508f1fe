"""``payments orders``: where the money stands, for a clerk, without SQL."""

from __future__ import annotations

import click

from cli.listing import Column, print_list
from cli.options import json_option
from cli.output import echo_json
from payments import order_views
from payments.orders import IN_BATCH
from payments.registry import service
from payments.statuses import OrderStatus

STATES = [IN_BATCH, *(s.value for s in OrderStatus)]


COLUMNS = (
    Column("ORDER", 9, right=True),
    Column("PAYEE", 12),
    Column("AMOUNT", 18, right=True),
    Column("DUE", 10),
    Column("STATE", 10),
    Column("REASON / BATCH", 24),
    Column("PAYMENT DATE"),
)


def _cells(v: dict) -> tuple:
    where = v["reason"] or (f"batch {v['batch_id']}" if v["batch_id"] else "")
    return (
        v["order_id"],
        v["payee"]["number"],
        f"{v['amount']} DKK",
        v["due_date"],
        v["state"],
        where,
        v["payment_date"],
    )


@click.group("orders")
def group() -> None:
    """Payment orders: where each one stands (masked payees)."""


@group.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only orders in this state.")
@click.option("--reason", metavar="CODE", help="Only orders held or returned for this reason.")
@click.option("--payee", metavar="CPR|CVR", help="Only orders to this CPR or CVR number.")
@click.option("--after", default=0, show_default=True, type=int, help="Orders after this id.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 500))
@json_option
@click.pass_obj
def list_cmd(app, state, reason, payee, after, limit, as_json) -> None:
    """Orders, oldest first, with their state, reason and payment date."""
    owner = None
    if payee:
        digits = "".join(ch for ch in payee if ch.isdigit())
        owner = service.owner("cvr" if len(digits) == 8 else "cpr", payee, "payee")
    views = order_views.listing(
        app.engine(), state=state, reason=reason, payee=owner, after=after, limit=limit
    )
    if as_json:
        echo_json(views)
        return
    more = f"; more after order {views[-1]['order_id']}" if len(views) == limit else ""
    print_list(COLUMNS, map(_cells, views), "order", note=more)


@group.command("show")
@click.argument("order_id", type=int)
@json_option
@click.pass_obj
def show(app, order_id, as_json) -> None:
    """One order: its state, and for a held or returned one what it means."""
    v = order_views.one(app.engine(), order_id)
    if as_json:
        echo_json(v)
        return
    click.echo(f"order {v['order_id']} ({v['external_ref']}, employer {v['employer_cvr']})")
    for label, value in (
        ("payee", v["payee"]["number"]),
        ("amount", f"{v['amount']} DKK"),
        ("due", v["due_date"]),
        ("state", v["state"]),
        ("reason", v["reason"]),
        ("batch", v["batch_id"]),
        ("payment date", v["payment_date"]),
    ):
        if value is not None:
            click.echo(f"  {label:<13}{value}")
    if v["advice"]:
        click.echo(f"  {v['advice']}")
