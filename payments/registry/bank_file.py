"""The registry's bulk side: the bank file import and the shared-account report.

The bank file: bulk NemKonto registrations and closes from a CSV, set-based.

Format: UTF-8 (a BOM is allowed), comma-separated, a header with exactly the columns
``owner_kind,owner_number,reg_no,account_no,iban,bic,action,effective_date`` in any order
(names are trimmed and case-insensitive). ``action`` is ``register`` or ``close``; dates are
``YYYY-MM-DD``; blank lines are skipped. Bank rows are ``channel = 'bank'`` registrations
active from ``effective_date``.

File-level errors raise :class:`~payments.errors.InputError` (CLI exit 2) before anything is
written: ``IMPORT_ENCODING`` (not UTF-8), ``IMPORT_EMPTY``, ``IMPORT_COLUMNS_MISSING``,
``IMPORT_COLUMNS_UNKNOWN`` (an unexpected column may carry meaning we would drop),
``IMPORT_COLUMNS_DUPLICATE``, ``IMPORT_CSV_INVALID``.

Row-level errors reject that row only, with its line number and a stable code: the
identifier codes (``ID_CPR_INVALID``, ``ID_CVR_INVALID``, ``ID_OWNER_KIND``,
``ID_REG_NO_INVALID``, ``ID_ACCOUNT_INVALID``, ``ID_IBAN_INVALID``, ``ID_BIC_INVALID``),
``ACCOUNT_FORM_INVALID``, ``IMPORT_ROW_FIELDS``, ``IMPORT_ACTION_INVALID``,
``IMPORT_DATE_INVALID``, ``IMPORT_DUPLICATE_ROW`` (a row identical to an earlier one in the
same file is *rejected*, naming the first line, so a bank notices a doubled export), and from
the database state ``ACCOUNT_DATE_CONFLICT``, ``ACCOUNT_NONE_TO_CLOSE`` and
``ACCOUNT_CLOSE_MISMATCH`` (a close that names an account which is not the owner's current
one: a bank may only close the account it holds).

How it runs: rows are validated in Python (the identifier libraries live there), loaded into
a temporary staging table (COPY on PostgreSQL, executemany on SQLite) and applied by a fixed
set of SQL statements. Rows of the same owner are applied in file order: the k-th row of
every owner is handled in round k, so a file with one row per owner is one round, and the
number of rounds is the largest number of rows any one owner has. The whole import is one
transaction: every row is applied whole or rejected, and an unexpected failure rolls back all.

Idempotence: each registration made from a file carries ``source = import:<sha256>:<line>``;
a register row whose source already exists, or whose account is already the owner's current
active account, is ``unchanged``. A close row is ``unchanged`` when the owner already has a
registration closed (not replaced) on that date. So re-importing a file changes nothing, and
a later file that switches back to an earlier account is still applied. A bank close ends the
current registration with ``end_reason = 'owner_request'`` (the bank acts for its customer)
and leaves any pending self-service request alone.

The shared-account report (:func:`suspicious`) groups the registrations in force on a day
by account, a Danish IBAN counting as its reg. no. + account no., and lists accounts with at
least ``min_owners`` different owners — a money-mule signal for review, shown masked.

Audit: one ``account.import`` event per import that changed something, with the counts and
the file's SHA-256 (written in colon-separated groups of eight so the audit guard against
full CPR numbers can never mistake a run of hex digits for one). Each registration row keeps
its file and line in ``source``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import BigInteger, Column, Date, Integer, MetaData, String, Table, bindparam, text
from sqlalchemy.orm import Session

from identifiers import IdentifierError, mask_owner, parse_owner
from payments import actors, audit, files
from payments.db import UtcDateTime, drop_temp_table, load_temp_table, lock_for_writing
from payments.errors import InputError, PaymentsError
from payments.registry import periods
from payments.registry.accounts import ACCOUNT_KEY_SQL, owner_name
from payments.registry.lifecycle import REGISTRY_LOCK, Account
from rules.days import FIRST_DATE, LAST_DATE

COLUMNS = (
    "owner_kind",
    "owner_number",
    "reg_no",
    "account_no",
    "iban",
    "bic",
    "action",
    "effective_date",
)
ACCOUNT_FIELDS = ("reg_no", "account_no", "iban", "bic")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SQL_REJECT_MESSAGES = {
    "ACCOUNT_DATE_CONFLICT": "the owner's registration history already runs past the "
    "effective date; applying the row would rewrite it",
    "ACCOUNT_NONE_TO_CLOSE": "the owner has no current NemKonto to close",
    "ACCOUNT_CLOSE_MISMATCH": "the account named is not the owner's current NemKonto",
}


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    file: str
    sha256: str
    rows: int
    registered: int
    closed: int
    unchanged: int
    rejects: tuple[Reject, ...]

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def changed(self) -> int:
        return self.registered + self.closed


_stage = Table(
    "registry_import_stage",
    MetaData(),
    Column("line", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("owner_kind", String(3), nullable=False),
    Column("owner_number", String(10), nullable=False),
    Column("reg_no", String(4)),
    Column("account_no", String(10)),
    Column("iban", String(34)),
    Column("bic", String(11)),
    Column("action", String(8), nullable=False),
    Column("eff", Date, nullable=False),
    Column("owner_name", String(70)),
    Column("source", String(200), nullable=False),
    Column("outcome", String(12)),
    Column("code", String(40)),
    Column("cur_id", BigInteger),
    Column("cur_from", Date),
    Column("cur_status", String(20)),
    Column("cur_reg_no", String(4)),
    Column("cur_account_no", String(10)),
    Column("cur_iban", String(34)),
    Column("cur_bic", String(11)),
    Column("boundary", Date),
    prefixes=["TEMPORARY"],
)
_STAGED = 12  # columns filled from the file; the rest are worked out in SQL
#: a column a bank file may have: the owner's name, written as the payee's name (Cdtr/Nm)
#: in payment files; without it payments carry a placeholder
OPTIONAL_COLUMNS = ("name",)

_SAME_AS_CURRENT = """COALESCE(cur_reg_no, '') = COALESCE(reg_no, '')
    AND COALESCE(cur_account_no, '') = COALESCE(account_no, '')
    AND COALESCE(cur_iban, '') = COALESCE(iban, '')"""
_OWNER = """r.owner_kind = registry_import_stage.owner_kind
    AND r.owner_number = registry_import_stage.owner_number"""

_ROUND = [
    # 1. the owner's current registration (at most one: the partial unique index)
    f"""UPDATE registry_import_stage SET cur_id = r.id, cur_from = r.active_from,
        cur_status = r.status, cur_reg_no = r.reg_no, cur_account_no = r.account_no,
        cur_iban = r.iban, cur_bic = r.bic
    FROM account_registrations r
    WHERE {_OWNER} AND {periods.current_sql("r")}
      AND registry_import_stage.seq = :k""",
    # 2. where the owner's timeline so far ends: a new period may not start before it
    f"""UPDATE registry_import_stage SET boundary = (
        SELECT MAX(COALESCE(r.ended_on, r.active_from)) FROM account_registrations r
        WHERE {_OWNER} AND {periods.in_force_statuses_sql("r")})
    WHERE seq = :k AND action = 'register'""",
    # 3. already applied: same file line, the same account already current, or closed that day
    f"""UPDATE registry_import_stage SET outcome = 'unchanged'
    WHERE seq = :k AND outcome IS NULL AND (
      (action = 'register' AND (
         (cur_status = 'active' AND {_SAME_AS_CURRENT}
          AND COALESCE(cur_bic, '') = COALESCE(bic, ''))
         OR EXISTS (SELECT 1 FROM account_registrations r
                    WHERE {_OWNER} AND r.source = registry_import_stage.source)))
      OR (action = 'close' AND EXISTS (
         SELECT 1 FROM account_registrations r
         WHERE {_OWNER} AND r.ended_on = registry_import_stage.eff
           AND r.status IN ('ended', 'rejected_by_bank') AND r.end_reason <> 'replaced'
           AND ((registry_import_stage.reg_no IS NULL AND registry_import_stage.iban IS NULL)
             OR (COALESCE(r.reg_no, '') = COALESCE(registry_import_stage.reg_no, '')
                 AND COALESCE(r.account_no, '') = COALESCE(registry_import_stage.account_no, '')
                 AND COALESCE(r.iban, '') = COALESCE(registry_import_stage.iban, ''))))))""",
    # 4. rows the state refuses
    f"""UPDATE registry_import_stage SET outcome = 'rejected', code = CASE
        WHEN action = 'register' THEN 'ACCOUNT_DATE_CONFLICT'
        WHEN cur_id IS NULL THEN 'ACCOUNT_NONE_TO_CLOSE'
        WHEN cur_from > eff THEN 'ACCOUNT_DATE_CONFLICT'
        ELSE 'ACCOUNT_CLOSE_MISMATCH' END
    WHERE seq = :k AND outcome IS NULL AND (
      (action = 'register' AND boundary IS NOT NULL AND boundary > eff)
      OR (action = 'close' AND (cur_id IS NULL OR cur_from > eff
          OR ((reg_no IS NOT NULL OR iban IS NOT NULL) AND NOT ({_SAME_AS_CURRENT})))))""",
    # 5. end the current registration (before the new one enters the unique index)
    """UPDATE account_registrations SET ended_on = s.eff,
        end_reason = CASE WHEN s.action = 'register' THEN 'replaced' ELSE 'owner_request' END,
        status = CASE WHEN account_registrations.status = 'rejected_by_bank'
                      THEN 'rejected_by_bank' ELSE 'ended' END
    FROM registry_import_stage s
    WHERE s.cur_id = account_registrations.id AND s.seq = :k AND s.outcome IS NULL""",
    # 6. the new registrations
    """INSERT INTO account_registrations (owner_kind, owner_number, reg_no, account_no, iban,
        bic, owner_name, channel, status, actor, actor_key, registered_at, active_from,
        activation_attempts, source)
    SELECT owner_kind, owner_number, reg_no, account_no, iban, bic, owner_name, 'bank',
        'active', :actor, :actor_key, :now, eff, 0, source
    FROM registry_import_stage WHERE seq = :k AND outcome IS NULL AND action = 'register'
    ORDER BY line""",
    """UPDATE registry_import_stage
    SET outcome = CASE WHEN action = 'register' THEN 'registered' ELSE 'closed' END
    WHERE seq = :k AND outcome IS NULL""",
]
#: before step 5 ends current registrations: their rows locked in id order, the order the
#: returns import flags rejected accounts in, so the two never deadlock (PostgreSQL)
_END_CURRENT = 4
_LOCK_CURRENT = text(
    """SELECT id FROM account_registrations WHERE id IN (
        SELECT cur_id FROM registry_import_stage WHERE seq = :k AND outcome IS NULL)
    ORDER BY id FOR UPDATE"""
)
_ROUND_SQL = [
    text(s).bindparams(bindparam("now", type_=UtcDateTime())) if ":now" in s else text(s)
    for s in _ROUND
]


@dataclass(frozen=True, slots=True)
class SharedAccount:
    """An account currently in force for many owners (a money-mule signal), masked."""

    account: str
    owners: int
    owner_masks: tuple[str, ...]
    registration_ids: tuple[int, ...]


def suspicious(session: Session, on: dt.date, min_owners: int = 5) -> list[SharedAccount]:
    """Accounts in force on ``on`` for at least ``min_owners`` different owners."""
    if min_owners < 2:
        raise InputError(
            "ACCOUNT_MIN_OWNERS_INVALID", "--min-owners must be at least 2", "min_owners"
        )
    sql = text(f"""
        WITH live AS (
            SELECT id, owner_kind, owner_number, {ACCOUNT_KEY_SQL} AS account_key
            FROM account_registrations
            WHERE {periods.in_force_sql("account_registrations", ":on")}),
        shared AS (
            SELECT account_key FROM live GROUP BY account_key
            HAVING COUNT(DISTINCT owner_kind || ':' || owner_number) >= :n)
        SELECT live.account_key, live.id, live.owner_kind, live.owner_number
        FROM live JOIN shared ON shared.account_key = live.account_key
        ORDER BY live.account_key, live.id
    """).bindparams(bindparam("on", type_=Date()))
    groups: dict[str, list] = {}
    for key, reg_id, kind, number in session.execute(sql, {"on": on, "n": min_owners}):
        groups.setdefault(key, []).append((reg_id, mask_owner(kind, number), (kind, number)))
    out = [
        SharedAccount(
            "****" + key[-4:],
            len({o for _, _, o in rows}),
            tuple(m for _, m, _ in rows),
            tuple(i for i, _, _ in rows),
        )
        for key, rows in groups.items()
    ]
    return sorted(out, key=lambda s: (-s.owners, s.registration_ids))


def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM; anything else is a file-level error naming the line."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "IMPORT_ENCODING",
            f"the file is not UTF-8 (first bad byte on line {line}); save it as UTF-8",
            "file",
        ) from None


def _header(reader) -> list[str]:
    for record in reader:
        if any(cell.strip() for cell in record):
            names = [cell.strip().lower() for cell in record]
            break
    else:
        raise InputError("IMPORT_EMPTY", "the file has no header line", "file")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        hint = " (the file must be comma-separated)" if ";" in ",".join(names) else ""
        raise InputError(
            "IMPORT_COLUMNS_MISSING", f"missing columns: {', '.join(missing)}{hint}", "header"
        )
    unknown = [c for c in names if c not in COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InputError(
            "IMPORT_COLUMNS_UNKNOWN", f"unknown columns: {', '.join(unknown)}", "header"
        )
    if len(set(names)) != len(names):
        raise InputError("IMPORT_COLUMNS_DUPLICATE", "a column appears twice", "header")
    return names


def _row(values: dict[str, str]) -> tuple:
    """Validate one record; returns (kind, number, reg, acc, iban, bic, action, date)."""
    kind = values["owner_kind"].strip().lower()
    number = values["owner_number"]
    action = values["action"].strip().lower()
    if action not in ("register", "close"):
        raise InputError("IMPORT_ACTION_INVALID", "action must be register or close", "action")
    raw_date = values["effective_date"].strip()
    try:
        if not _DATE.fullmatch(raw_date):
            raise ValueError
        effective = dt.date.fromisoformat(raw_date)
        if not FIRST_DATE <= effective <= LAST_DATE:  # a typo such as 9999 would block the
            raise ValueError  # owner's history for good
    except ValueError:
        raise InputError(
            "IMPORT_DATE_INVALID",
            f"effective_date must be a date YYYY-MM-DD from {FIRST_DATE} to {LAST_DATE}",
            "effective_date",
        ) from None
    # a person cannot have an account from before being born (a CPR mistyped)
    owner = parse_owner(kind, number, "owner_number", on=effective)
    given = {f: values[f] for f in ACCOUNT_FIELDS}
    if action == "register" or any(v.strip() for v in given.values()):
        acc = Account.parse(**given)
    else:
        acc = Account()
    return (
        owner.kind,
        owner.number,
        acc.reg_no,
        acc.account_no,
        acc.iban,
        acc.bic,
        action,
        effective,
        owner_name(values.get("name")),
    )


def parse(data: bytes) -> tuple[list[tuple], list[Reject], int]:
    """Read the file: (valid rows with line and per-owner sequence, rejects, record count)."""
    reader = csv.reader(io.StringIO(decode(data), newline=""), strict=True)
    try:
        names = _header(reader)
        rows: list[tuple] = []
        rejects: list[Reject] = []
        seen: dict[tuple, int] = {}
        per_owner: dict[tuple[str, str], int] = {}
        records = 0
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            records += 1
            if len(record) != len(names):
                rejects.append(
                    Reject(
                        start,
                        "IMPORT_ROW_FIELDS",
                        f"{len(record)} fields, the header has {len(names)}",
                    )
                )
                continue
            try:
                row = _row(dict(zip(names, record, strict=True)))
            except (PaymentsError, IdentifierError) as exc:
                rejects.append(Reject(start, exc.code, exc.message, exc.field))
                continue
            first = seen.setdefault(row, start)
            if first != start:
                rejects.append(
                    Reject(start, "IMPORT_DUPLICATE_ROW", f"the same row as line {first}")
                )
                continue
            seq = per_owner[row[:2]] = per_owner.get(row[:2], 0) + 1
            rows.append((start, seq, *row))
    except csv.Error as exc:
        raise InputError(
            "IMPORT_CSV_INVALID",
            f"the file is not valid CSV near line {reader.line_num}: {exc}",
            "file",
        ) from None
    return rows, rejects, records


def group_hash(sha256: str) -> str:
    """``abcd1234:…`` — never ten digits in a row, so the audit guard cannot trip on it."""
    return ":".join(sha256[i : i + 8] for i in range(0, len(sha256), 8))


def import_bytes(
    session: Session, data: bytes, *, name: str, actor: str, now: dt.datetime
) -> ImportResult:
    """Apply a bank file's content in the caller's transaction; see the module docstring."""
    actor = actors.actor(actor)
    sha256 = hashlib.sha256(data).hexdigest()
    rows, rejects, records = parse(data)
    prefix = f"import:{sha256}:"
    counts = {"registered": 0, "closed": 0, "unchanged": 0}
    if rows:
        lock_for_writing(session, REGISTRY_LOCK)
        postgresql = session.get_bind().dialect.name == "postgresql"  # SQLite: one writer
        staged = (r + (prefix + str(r[0]),) for r in rows)
        load_temp_table(session, _stage, staged, columns=_STAGED)
        for k in range(1, max(r[1] for r in rows) + 1):
            params = {"k": k, "actor": actor, "actor_key": actors.identity(actor), "now": now}
            for n, statement in enumerate(_ROUND_SQL):
                if n == _END_CURRENT and postgresql:
                    session.execute(_LOCK_CURRENT, {"k": k})
                session.execute(statement, params)
        for outcome, n in session.execute(
            text("SELECT outcome, COUNT(*) FROM registry_import_stage GROUP BY outcome")
        ):
            counts[outcome] = n
        rejects.extend(
            Reject(line, code, SQL_REJECT_MESSAGES[code])
            for line, code in session.execute(
                text("SELECT line, code FROM registry_import_stage WHERE outcome = 'rejected'")
            )
        )
        drop_temp_table(session, _stage)
    rejects.sort(key=lambda r: r.line)
    result = ImportResult(
        name,
        sha256,
        records,
        counts["registered"],
        counts["closed"],
        counts["unchanged"],
        tuple(rejects),
    )
    if result.changed:
        safe_name = re.sub(r"\d{6,}", lambda m: "*" * len(m.group()), Path(name).name)
        audit.append(
            session,
            actor=actor,
            action="account.import",
            subject="registry:import",
            payload={
                "file": safe_name,
                "sha256": group_hash(sha256),
                "rows": records,
                "registered": result.registered,
                "closed": result.closed,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
            },
            now=now,
        )
    return result


def import_file(session: Session, path: Path, *, actor: str, now: dt.datetime) -> ImportResult:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            "IMPORT_FILE_UNREADABLE", f"cannot read {path.name}: {exc.strerror}", "file"
        ) from None
    return import_bytes(session, data, name=path.name, actor=actor, now=now)


def rejects_path(path: Path) -> Path:
    """``bank.csv`` → ``bank.rejects.csv`` next to it."""
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".csv") else path.name
    return path.with_name(stem + ".rejects.csv")


def write_rejects(path: Path, rejects: tuple[Reject, ...]) -> Path:
    """Write the reject file (header only when nothing was rejected, so it is never stale).

    A rejects file of an earlier import is replaced; a link or a foreign file at that name
    is refused (``FILE_UNSAFE``), never written through (:mod:`payments.files`)."""
    target = rejects_path(path)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["line", "code", "field", "message"])
    for r in rejects:
        writer.writerow([r.line, r.code, r.field or "", r.message])
    files.remove_own(target)
    files.write_new(target, text.getvalue().encode("utf-8"))
    return target
