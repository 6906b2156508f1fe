"""Database fixtures shared by every test that needs a database.

``engine`` (and ``db_url``) run each database test twice: on a fresh SQLite file and on
PostgreSQL when ``PAYMENTS_TEST_DATABASE_URL`` is set. PostgreSQL tests get a private schema
for the session (migrated once with the app's own migrations) and an emptied set of tables
per test. With ``PAYMENTS_REQUIRE_POSTGRES=1`` (CI) a missing or unreachable PostgreSQL
fails the tests instead of skipping them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from payments import schema
from payments.db import make_engine, metadata

# Database-backed properties are slower than pure ones; no per-example deadline, and CI
# runs a fixed, derandomised sequence so a red build is reproducible.
settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "ci", parent=settings.get_profile("dev"), derandomize=True, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_URL = os.environ.get("PAYMENTS_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("PAYMENTS_REQUIRE_POSTGRES") == "1"
NOW = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()
    return path


def _with_search_path(url: str, schema_name: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema_name}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("PAYMENTS_REQUIRE_POSTGRES=1 but PAYMENTS_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set PAYMENTS_TEST_DATABASE_URL)")
    admin = make_engine(PG_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"pytest_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    url = _with_search_path(PG_URL, name)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, empty database: a fresh SQLite file, or the emptied PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "payments.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> str:
    """A database without any migration (for migration tests): a new SQLite file, or a new
    PostgreSQL schema dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_url")  # fails or skips as the other database tests do
    admin = make_engine(PG_URL)
    name = f"pytest_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    yield _with_search_path(PG_URL, name)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url):
    """The emptied PostgreSQL test schema, for the few tests of PostgreSQL-only behaviour
    (they fail, not skip, when PostgreSQL is required and missing)."""
    eng = make_engine(postgres_url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def now() -> dt.datetime:
    return NOW
