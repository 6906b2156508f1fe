"""Options several command groups share (dates, actors, JSON output)."""

from __future__ import annotations

import datetime as dt
import getpass

import click

from identifiers.privacy import mask_numbers
from payments import actors
from payments.errors import PaymentsError
from rules.days import FIRST_DATE, LAST_DATE


class DateType(click.ParamType):
    """A business date, ``YYYY-MM-DD``; anything else is bad usage (exit 2)."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)
        if not FIRST_DATE <= day <= LAST_DATE:  # the engine adds days and months to it
            self.fail(f"{value} is not a date from {FIRST_DATE} to {LAST_DATE}", param, ctx)
        return day


DATE = DateType()


class ActorType(click.ParamType):
    """Who does something: the one rule of :func:`payments.actors.actor`, as bad usage."""

    name = "name"

    def convert(self, value, param, ctx):
        try:
            return actors.actor(value)
        except PaymentsError:
            shown = mask_numbers(value) if isinstance(value, str) else value
            self.fail(
                f"{shown!r} is not a name of 1-100 printable characters without a CPR or "
                "account number",
                param,
                ctx,
            )


ACTOR = ActorType()

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
actor_option = click.option(
    "--actor",
    required=True,
    type=ACTOR,
    metavar="NAME",
    help="Who does this (recorded in the audit log).",
)


def optional_actor(default: str = "cli") -> click.Option:
    return click.option(
        "--actor",
        default=default,
        show_default=True,
        type=ACTOR,
        metavar="NAME",
        help="Who does this (recorded in the audit log).",
    )


def login() -> str:
    """The login name: who asks, when a command is not told (an ``--actor`` default)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still audit something
        return "unknown"
