"""A bank's registrations sent as JSON rows, applied exactly as its CSV file would be.

``POST /v1/bank/registrations`` carries the rows of the bank file (docs: the columns of
:data:`payments.registry.bank_file.COLUMNS`) as JSON objects. They are written as the CSV
the bank would have sent and applied by :func:`payments.registry.bank_file.import_bytes`,
so the validation, the codes, the set-based apply, the idempotence (the same rows again
change nothing) and the audit are the file import's, and cannot drift from it. Row ``n``
of the request is line ``n + 1`` of that file (the header is line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy.engine import Engine

from payments.db import session_scope
from payments.registry import bank_file


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a bank file: the header, then one line per row (absent fields empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(bank_file.COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row[c]) for c in bank_file.COLUMNS])
    return out.getvalue().encode("utf-8")


def apply(
    engine: Engine, rows: list[dict[str, Any]], *, actor: str, now: dt.datetime
) -> tuple[bank_file.ImportResult, list[dict[str, Any]]]:
    """Apply the rows in one transaction; the result and each row's outcome in order
    (``applied`` or ``unchanged`` is not told apart per row by the file import, so a row
    that was not rejected is ``accepted``)."""
    data = to_csv(rows)
    with session_scope(engine) as session:
        result = bank_file.import_bytes(session, data, name="api.csv", actor=actor, now=now)
    rejected = {r.line: r for r in result.rejects}
    outcomes = []
    for n in range(1, len(rows) + 1):
        reject = rejected.get(n + 1)
        outcomes.append(
            {"row": n, "outcome": "accepted", "code": None, "field": None, "message": None}
            if reject is None
            else {
                "row": n,
                "outcome": "rejected",
                "code": reject.code,
                "field": reject.field,
                "message": reject.message,
            }
        )
    return result, outcomes
