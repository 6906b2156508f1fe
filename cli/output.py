"""Small output helpers shared by the command modules (JSON and exit codes)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Decimal as string, dates as ISO 8601)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_default))


def echo_json_streaming(data: dict, key: str, items: Iterable[Any]) -> None:
    """Print ``data`` as :func:`echo_json` does, with one more key whose list is written
    item by item as ``items`` yields (one item in memory, however long the list)."""
    head = json.dumps(data, indent=2, ensure_ascii=False, default=_default)
    click.echo(head[:-2] + f',\n  "{key}": [', nl=False)
    first = True
    for item in items:
        line = json.dumps(item, ensure_ascii=False, default=_default)
        click.echo(("\n    " if first else ",\n    ") + line, nl=False)
        first = False
    click.echo("\n  ]\n}" if not first else "]\n}")


def exit_with(status: int) -> None:
    """End the command with ``status`` (0 ok, 1 records rejected / run failed, 2 bad input)."""
    raise click.exceptions.Exit(status)


def printable(text: str) -> str:
    """``text`` as it may reach a terminal: a value from an input file (an invalid claim's
    reference, say) with control characters is shown with its escapes, so it can neither
    break the line nor send escape codes."""
    return text if text.isprintable() else ascii(text)[1:-1]


def error_line(exc: BaseException) -> str:
    """A coded error as the one line the CLI prints: ``error CODE: message [field]``."""
    code = getattr(exc, "code", "ERROR")
    message = getattr(exc, "message", str(exc))
    field_name = getattr(exc, "field", None)
    suffix = f" [{field_name}]" if field_name else ""
    return f"error {code}: {message}{suffix}"
