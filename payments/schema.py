"""Migrations run through the application: upgrade to head, and detect model drift.

Used by ``payments db upgrade`` / ``payments db check`` and by every command that needs a
database (they upgrade first, so a fresh SQLite file just works).
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
from payments.db import metadata
from payments.errors import PaymentsError

MIGRATIONS = Path(__file__).with_name("migrations")


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
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
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


def ensure_schema(engine: Engine) -> None:
    """Upgrade only when the database is not at head (cheap check on every command)."""
    if current_revision(engine) not in heads():
        upgrade(engine)


@dataclass(frozen=True, slots=True)
class DriftReport:
    revision: str | None
    head: tuple[str, ...]
    differences: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.differences and self.revision in self.head


def check(engine: Engine) -> DriftReport:
    """Compare the models with the migrated database: any difference is drift."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
        revision = ctx.get_current_revision()
    return DriftReport(revision, heads(), tuple(str(d) for d in diffs))
