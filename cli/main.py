"""The ``payments`` group: global options, the clock, and errors → exit codes.

Exit codes are the contract: 0 success; 1 a run failed or some records were rejected;
2 bad usage or an unreadable / invalid input file. Any error the engine raises on purpose
carries a stable ``code`` and is printed as one line on stderr: ``error CODE: message``.

Subcommand groups live one per module (``cli/accounts.py``, ``cli/claims.py``, …) and are
imported lazily, so ``payments --help`` stays fast and a broken group cannot break the rest.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from cli.output import error_line
from payments.config import Settings, load_settings
from payments.errors import CODED_ERRORS, from_environment

# name -> "module:attribute"; one line per command group
COMMANDS = {
    "accounts": "cli.accounts:accounts",
    "audit": "cli.audit:group",
    "auth": "cli.auth:group",
    "batch": "cli.batch:batch",
    "claims": "cli.claims:claims",
    "db": "cli.db:db",
    "demo": "cli.demo:command",
    "files": "cli.files:files",
    "orders": "cli.orders:group",
    "returns": "cli.returns:group",
    "rules": "cli.rules:rules",
    "serve": "cli.serve:command",
    "worker": "cli.worker:command",
}


def _installed(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, target in COMMANDS.items() if _installed(target))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None or not _installed(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        """Run the command; an error with a stable code becomes one stderr line + exit code."""
        try:
            return super().invoke(ctx)
        except CODED_ERRORS as exc:
            click.echo(error_line(exc), err=True)
            ctx.exit(exc.exit_status)
        except BrokenPipeError:
            # the reader went away (``payments batch list | head``): nothing more to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except (DBAPIError, OSError) as exc:
            # the database cannot be reached or written, a directory cannot be used: one line
            coded = from_environment(exc)
            if coded is None:
                raise
            click.echo(error_line(coded), err=True)
            ctx.exit(coded.exit_status)


@dataclass
class App:
    """What every command gets: settings (after CLI overrides) and the clock's reading."""

    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(**self.overrides)
        return self._settings

    def engine(self, require_schema: bool = True):
        """The database, checked to be at this release's schema (``DB_SCHEMA_MISSING`` /
        ``DB_SCHEMA_OUTDATED`` otherwise: commands never migrate; ``payments db upgrade``
        does). ``db upgrade`` and ``db check`` ask with ``require_schema=False``."""
        from payments import schema
        from payments.db import make_engine

        engine = make_engine(self.settings.database_url)
        if require_schema:
            schema.require_current(engine)
        return engine

    @staticmethod
    def today() -> dt.date:
        """The only place the CLI reads the calendar; everything below takes a date."""
        return dt.date.today()

    @staticmethod
    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    metavar="URL",
    help="Database to use (default: PAYMENTS_DATABASE_URL, then sqlite:///payments.db).",
)
@click.version_option(package_name="benefit-payments")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Benefit payment engine: NemKonto registry, NemRefusion claims, nightly ISO 20022 batches."""
    ctx.obj = App(overrides={"database_url": database_url})


def main(argv: list[str] | None = None) -> None:
    """Console entry point (click's standalone mode: usage errors exit 2, Ctrl-C exits 1)."""
    cli.main(args=argv, prog_name="payments")


if __name__ == "__main__":  # pragma: no cover
    main()
