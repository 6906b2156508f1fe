"""Lists as every command prints them: a header row, one line per item, a grammatical count.

One home for the shape, so that a clerk (and a script reading the text) finds it the same in
every command: line 1 names the columns, then one line per item, then a last line that
starts with the count — ``1 order``, ``2 orders``, ``1,000 batches`` — and may go on after
a ``;`` or ``:`` (``2 orders; more after order 17``). An empty list is one line, ``no
orders`` (or a command's own sentence, e.g. ``no registrations for 010190-****``), with
neither header nor count. Cells are separated by at least two spaces, so a header such as
``PAYMENT DATE`` stays one column for a reader that splits on runs of two or more; a value
longer than its column pushes the rest of its line right instead of being cut. Every cell
goes through :func:`cli.output.printable`: a value from an input file cannot break a line
or send escape codes. ``--json`` output is not this: it is the list itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import click

from cli.output import printable

SEPARATOR = "  "


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its title, its width (at least the title's), right-aligned for numbers."""

    title: str
    width: int = 0
    right: bool = False


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 order``, ``2 orders``, ``0 orders``, ``1,000 orders``; irregular nouns give their
    plural (``count(n, "recovery", "recoveries")``)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def none(noun: str, plural: str | None = None) -> str:
    """What an empty list prints: ``no orders``."""
    return f"no {plural or noun + 's'}"


def summary(counts: Mapping[str, int], noun: str, plural: str | None = None, tail: str = "") -> str:
    """The last line of a report by kind: ``3 claims: 1 created, 2 invalid; <tail>``, or
    ``no claims`` when there is nothing (the kinds sorted, each with its count)."""
    n = sum(counts.values())
    if not n:
        return none(noun, plural)
    kinds = ", ".join(f"{counts[k]:,} {k}" for k in sorted(counts) if counts[k])
    return f"{count(n, noun, plural)}: {kinds}" + (f"; {tail}" if tail else "")


class Table:
    """Header and lines of one list; :meth:`line` prints the header before the first line,
    so a list printed as it streams still has its header on line 1, and an empty one none."""

    def __init__(self, *columns: Column) -> None:
        self.columns = columns
        self.lines = 0

    def _format(self, cells: Sequence[object]) -> str:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        parts = []
        for column, cell in zip(self.columns, cells, strict=True):
            text = printable("" if cell is None else str(cell))
            width = max(column.width, len(column.title))
            parts.append(text.rjust(width) if column.right else text.ljust(width))
        return SEPARATOR.join(parts).rstrip()

    def header(self) -> str:
        return self._format([c.title for c in self.columns])

    def line(self, *cells: object) -> None:
        """Print one item's line (after the header, for the first)."""
        if not self.lines:
            click.echo(self.header())
        self.lines += 1
        click.echo(self._format(cells))


def print_list(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    noun: str,
    plural: str | None = None,
    *,
    empty: str | None = None,
    total: int | None = None,
    note: str = "",
) -> int:
    """Print a whole list: header, rows, and ``count(total or rows, noun)`` + ``note``; or
    the one line ``empty`` (default ``no <nouns>``) when there are no rows. ``total`` is for
    a list shown in part (the count is of all; the note says which are shown). Returns how
    many rows were printed."""
    table = Table(*columns)
    for row in rows:
        table.line(*row)
    if not table.lines:
        click.echo(empty or none(noun, plural))
        return 0
    click.echo(count(table.lines if total is None else total, noun, plural) + note)
    return table.lines
