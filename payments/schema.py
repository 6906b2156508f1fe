"""Migrations run through the application: upgrade to head, require head, detect drift.

Only ``payments db upgrade`` migrates (and ``payments demo``, which builds its own
database). Every other command asks :func:`require_current` first and stops with
``DB_SCHEMA_MISSING`` (no database, or an empty one) or ``DB_SCHEMA_OUTDATED`` (behind, or
ahead of this release), naming the command to run: a command never migrates silently —
a read-only role can read, and a command run in the wrong folder does not create an empty
``./payments.db`` beside it.

On PostgreSQL an upgrade takes a session advisory lock first (two operators upgrading at
once run one after the other, and the second finds nothing to do) and runs with a
``lock_timeout`` and a ``statement_timeout``, as pypi/warehouse's ``env.py`` does: a
migration that would wait behind a running night's locks fails after a few seconds instead
of queueing every other query of the application behind its own lock request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import payments.models  # noqa: F401 - registers the tables
from payments import files
from payments.db import metadata
from payments.errors import PaymentsError

MIGRATIONS = Path(__file__).with_name("migrations")
#: the advisory lock key of ``payments db upgrade`` (any fixed number no other lock uses)
MIGRATION_LOCK = 7_202_401
LOCK_TIMEOUT = "4s"
STATEMENT_TIMEOUT = "5min"  # the data migrations of a revision may take a while


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def heads() -> tuple[str, ...]:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return tuple(ScriptDirectory.from_config(cfg).get_heads())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (idempotent)."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision``."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step, revision: str) -> None:
    """Run ``step`` in one transaction.

    SQLite alters a table by copying it and dropping the original, which a foreign key
    pointing at it forbids while ``foreign_keys`` is on; and that pragma can only change
    outside a transaction. So on SQLite it is off while migrating, every foreign key is
    checked (``PRAGMA foreign_key_check``) before the commit, and it is on again after.
    """
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        # the file holds full CPR numbers: private from its first byte, whatever the umask
        # (SQLite gives its -wal and -shm files the database file's permissions)
        try:
            files.write_new(path, b"")
        except OSError as exc:
            raise PaymentsError(
                "DB_UNAVAILABLE", f"cannot create the database {path}: {exc.strerror}",
                "database_url",
            ) from None  # fmt: skip
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        else:  # one migrator at a time; never queue the application behind a lock wait
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            conn.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            conn.exec_driver_sql(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg, revision)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise PaymentsError(
                        "DB_MIGRATION_FAILED",
                        f"migrating to {revision} would break a foreign key; nothing was changed",
                        "revision",
                    )
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
            else:
                conn.exec_driver_sql("RESET lock_timeout")
                conn.exec_driver_sql("RESET statement_timeout")
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                conn.commit()


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # a URI filename (``?uri=true``), e.g. opened ``mode=ro``
        name = name[len("file:") :].split("?", 1)[0]
    return Path(name)


def require_current(engine: Engine) -> None:
    """Stop with a coded error unless the database exists and is at this release's head.

    A SQLite file that does not exist is not created: opening it would make an empty one.
    """
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        raise PaymentsError(
            "DB_SCHEMA_MISSING",
            f"there is no database at {path}; create it with `payments db upgrade` "
            "(or point PAYMENTS_DATABASE_URL at the right one)",
            "database_url",
        )
    revision = current_revision(engine)
    if revision is None:
        raise PaymentsError(
            "DB_SCHEMA_MISSING",
            "the database has no schema yet; create it with `payments db upgrade`",
            "database_url",
        )
    if revision not in heads():
        raise PaymentsError(
            "DB_SCHEMA_OUTDATED",
            f"the database is at revision {revision}, this release needs "
            f"{', '.join(heads())}; migrate it with `payments db upgrade`",
            "database_url",
        )


@dataclass(frozen=True, slots=True)
class DriftReport:
    revision: str | None
    head: tuple[str, ...]
    differences: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.differences and self.revision in self.head


def compared(dialect: str):
    """Alembic's ``include_object`` for ``dialect``: what the models and a database of it
    are compared on. PostgreSQL holds the status report items' foreign key as triggers
    (revision 1010, :data:`payments.models.REPORT_ITEMS_FK`), so it is not looked for."""

    def include(object_, name, type_, reflected, compare_to) -> bool:
        return not (
            dialect == "postgresql"
            and type_ == "foreign_key_constraint"
            and name == payments.models.REPORT_ITEMS_FK
        )

    return include


def check(engine: Engine) -> DriftReport:
    """Compare the models with the migrated database: any difference is drift."""
    path = sqlite_file(engine)
    if path is not None and not path.exists():  # never create the file to look at it
        raise PaymentsError("DB_SCHEMA_MISSING", f"there is no database at {path}", "database_url")
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": compared(conn.dialect.name)}
        ctx = MigrationContext.configure(conn, opts=opts)
        diffs = compare_metadata(ctx, metadata)
        revision = ctx.get_current_revision()
    return DriftReport(revision, heads(), tuple(str(d) for d in diffs))
