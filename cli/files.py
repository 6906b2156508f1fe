"""``payments files``: stateless checks of ISO 20022 files (no database).

``payments files validate FILE [--json]`` detects the message from the root namespace,
validates it against the official XSD shipped in ``iso20022/schemas`` and prints the first
errors with their line numbers. Exit status: 0 valid, 1 invalid, 2 unreadable, unsafe
(DTD, entities, too large), not well-formed, or not a message with a shipped schema.
"""

from __future__ import annotations

from pathlib import Path

import click

import iso20022
from cli.listing import count
from cli.options import json_option
from cli.output import echo_json, exit_with
from iso20022.errors import Iso20022Error
from iso20022.validate import LINES_MAX_BYTES


@click.group()
def files() -> None:
    """Check ISO 20022 files (pain.001, pain.002, camt.054) against the official schemas."""


@files.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--max-errors",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many errors to print.",
)
@json_option
def validate(file: Path, max_errors: int, as_json: bool) -> None:
    """Validate FILE against the XSD its namespace names; exit 0 valid, 1 invalid, 2 unreadable."""
    try:
        result = iso20022.validate(file, max_errors=max_errors)
    except Iso20022Error as exc:
        if not as_json:
            raise  # main() prints "error CODE: message" and exits 2
        echo_json({"file": str(file), "message_type": None, "valid": False, "error": exc.as_dict()})
        exit_with(exc.exit_status)
    if as_json:
        echo_json(
            {
                "file": str(file),
                "message_type": result.message_type,
                "valid": result.valid,
                "error_count": result.error_count,
                "errors": [{"line": e.line, "message": e.message} for e in result.errors],
            }
        )
    elif result.valid:
        click.echo(f"{file}: valid {result.message_type}")
    else:
        click.echo(
            f"{file}: INVALID {result.message_type}, {count(result.error_count, 'error')}"
            + (f", first {len(result.errors)}:" if result.error_count > len(result.errors) else ":")
        )
        for issue in result.errors:
            where = f"line {issue.line}" if issue.line else "line ?"
            click.echo(f"  {where}: {issue.message}")
        if any(issue.line is None for issue in result.errors):
            click.echo(
                "  (line numbers are only worked out for files up to "
                f"{LINES_MAX_BYTES // 2**20} MiB)"
            )
    exit_with(0 if result.valid else 1)
