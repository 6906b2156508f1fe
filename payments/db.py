"""Engine, sessions, the one ``MetaData`` and the column types the models share.

- SQLite (the embedded default) gets foreign keys on, WAL, a busy timeout, and
  ``BEGIN IMMEDIATE`` for every transaction: SQLite has one writer at a time, and taking the
  write lock up front turns a would-be ``database is locked`` failure half-way through a
  transaction into a short wait at its start.
- PostgreSQL runs through psycopg 3 (``postgresql+psycopg://``).
- Timestamps are timezone-aware UTC in Python on both databases (:class:`UtcDateTime`);
  money is integer øre in ``BIGINT`` columns named ``*_ore``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from payments.errors import InputError

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata


# Primary keys: BIGINT on PostgreSQL; SQLite needs INTEGER for its rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")
Ore = BigInteger  # money, in øre


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp that round-trips on SQLite (which stores no zone).

    Naive datetimes are refused on the way in: a timestamp without a zone is a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite quirk)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        reading = conn.get_execution_options().get(READ_ONLY)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://…``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg")):
        raise InputError(
            "CONFIG_DATABASE_URL",
            "database URL must be sqlite:///… or postgresql+psycopg://…",
            "database_url",
        )
    try:
        engine = create_engine(url, future=True, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a malformed URL is the operator's input
        raise InputError(
            "CONFIG_DATABASE_URL", f"cannot use database URL: {exc}", "database_url"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    return engine


#: the execution option that marks a connection as :func:`read_scope`'s
READ_ONLY = "payments_read_only"


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@lru_cache(maxsize=8)
def _reading(engine: Engine) -> Engine:
    """``engine`` as :func:`read_scope` and :func:`read_connection` use it."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READ_ONLY: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True})


@lru_cache(maxsize=8)
def _read_factory(engine: Engine) -> sessionmaker[Session]:
    made = sessionmaker(bind=_reading(engine), expire_on_commit=False, future=True, autoflush=False)
    event.listen(made, "before_flush", _refuse_flush)
    return made


def _refuse_flush(session, _context, _instances) -> None:
    raise RuntimeError("read_scope is for reads: write in session_scope")


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for a read that writes nothing — a page, a look-up, a feed.

    Most requests of the service are such reads, and the ordinary transaction costs them
    more than the read itself:

    - SQLite: a plain (deferred) ``BEGIN`` instead of ``BEGIN IMMEDIATE``, so readers never
      queue behind each other or a writer for the one write lock; WAL gives the read one
      snapshot, the last commit before its first statement;
    - PostgreSQL: autocommit, so a statement is one round trip instead of three (``BEGIN``,
      the statement, ``COMMIT``). It loses nothing: at the engine's isolation (READ
      COMMITTED) every statement sees its own snapshot inside a transaction as well.

    Nothing may be written through it (autocommit would make a write final at once): an ORM
    flush raises, and the connection is rolled back when it returns to the pool.
    """
    session = _read_factory(engine)()
    try:
        yield session
    finally:
        session.close()  # the pool's reset rolls the connection back; the rows stay loaded


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """:func:`read_scope` without the ORM, for a read of Core or driver statements on a hot
    path (the mapper's look-up of 100 ids): the same deferred ``BEGIN`` / autocommit, and
    none of a session's bookkeeping, which cost that look-up more Python than its query.
    Reads only, as :func:`read_scope`: autocommit would make a write final at once."""
    with _reading(engine).connect() as conn:
        yield conn


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    session = _factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_for_writing(session: Session, key: str) -> None:
    """Serialise writers on ``key`` within this transaction.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the transaction already holds
    the database's single write lock (``BEGIN IMMEDIATE``), so nothing more is needed.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


class IdReserver:
    """Hands out primary keys in blocks, so bulk inserts need no ``RETURNING``.

    With the ids known up front, the ORM inserts a chunk as one plain ``executemany``
    (pipelined and statement-cached by psycopg) instead of large ``INSERT … RETURNING``
    statements. PostgreSQL: ``nextval`` of the column's sequence, a block per round trip.
    SQLite: the transaction holds the write lock (``BEGIN IMMEDIATE``), so the ids after
    ``max(id)`` are ours until commit.
    """

    def __init__(self, session: Session, block: int = 500) -> None:
        self.session, self.block = session, block
        self._free: dict[str, list[int]] = {}
        self._sqlite_next: dict[str, int] = {}

    def next(self, table: str) -> int:
        free = self._free.setdefault(table, [])
        if not free:
            free.extend(reversed(self._reserve(table)))
        return free.pop()

    def _reserve(self, table: str) -> list[int]:
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self.session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table, "n": self.block},
            )
            return [r[0] for r in rows]
        highest = self.session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
        first = max(highest.scalar() + 1, self._sqlite_next.get(table, 0))
        self._sqlite_next[table] = first + self.block
        return list(range(first, first + self.block))


def among(session: Session, column: ColumnElement, values: Iterable[Any]) -> ColumnElement:
    """``column IN values``, for a look-up of hundreds of keys at once (a chunk's digests,
    employees, payees).

    PostgreSQL: ``column = ANY(:values)``, the values one array parameter. An ``IN`` list
    is a parameter per value: SQLAlchemy renders each (``%(p_1)s::VARCHAR, …``) and psycopg
    splits the long text again on every execution, ~7 % of the Python of a chunk of 500
    claims sent through the API, and PostgreSQL binds 500 parameters. The statement's text
    is the same for any number of values, so psycopg converts and prepares it once.
    SQLite (no arrays): ``IN``.
    """
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every column the insert sets).

    PostgreSQL: one ``COPY … FROM STDIN``, values through the columns' own bind processing
    (:class:`UtcDateTime` still refuses a naive timestamp). One statement instead of one
    ``INSERT`` per row: submitting 100,000 claims took 38.9 s instead of 43.1 s with
    ``executemany``. Constraints hold as for an ``INSERT``, and a violation is raised as
    SQLAlchemy's ``IntegrityError``, so the caller's handling is the same on both databases.
    SQLite: one ``executemany``.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    convert = [
        (i, p)
        for i, n in enumerate(names)
        if (p := table.c[n].type.bind_processor(conn.dialect)) is not None
    ]
    quote = conn.dialect.identifier_preparer
    statement = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) FROM STDIN"
    )
    dbapi = conn.dialect.dbapi
    try:
        with conn.connection.driver_connection.cursor().copy(statement) as copy:
            for row in rows:
                values = [row[n] for n in names]
                for i, process in convert:
                    values[i] = process(values[i])
                copy.write_row(values)
    except dbapi.Error as exc:  # as SQLAlchemy raises it for a statement of its own
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


# -- temporary tables for set-based bulk work (the bank file import, the batch) -------------


def _drop_temp_table(conn, table: Table) -> None:
    # the temporary schema is spelled differently; naming it never drops a real table
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{table.name}")


def _create_temp_table(conn, table: Table) -> None:
    _drop_temp_table(conn, table)
    table.create(conn)


_TEMP_CHUNK = 10_000


def load_temp_table(
    session: Session, table: Table, rows: Iterable[tuple], columns: int | None = None
) -> None:
    """(Re)create a temporary table and fill its first ``columns`` columns from ``rows``:
    COPY on PostgreSQL, executemany on SQLite (dates as ISO text, as SQLAlchemy stores them).
    """
    conn = session.connection()
    _create_temp_table(conn, table)
    names = [c.name for c in list(table.columns)[:columns]]
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.exec_driver_sql(f"ANALYZE {table.name}")
        return
    if any(isinstance(c.type, Date) for c in table.columns):
        rows = (tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows)
    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    )
    rows = iter(rows)
    while chunk := list(islice(rows, _TEMP_CHUNK)):  # a chunk in memory, not every row
        conn.exec_driver_sql(statement, chunk)


def drop_temp_table(session: Session, table: Table) -> None:
    _drop_temp_table(session.connection(), table)
