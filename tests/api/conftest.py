"""The API under test: the app on a fresh database (SQLite, and PostgreSQL when set), a
fixed clock (2024-03-20, the worked example's processing date), and tokens for each role
signed with a key of the test's own."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import Clock
from payments import tokens
from payments.config import Settings
from tests.support import make_settings

TODAY = dt.date(2024, 3, 20)
NOW = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
CITIZEN = "0101901234"  # the worked example's employee
OTHER_CITIZEN = "0202851234"
EMPLOYER = "13585628"  # the worked example's employer
OTHER_EMPLOYER = "10000009"
BANK = "12345674"


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return make_settings(tmp_path, database_url=db_url)


@pytest.fixture
def app(settings):
    application = create_app(settings, clock=Clock(now=lambda: NOW, date=TODAY))
    yield application
    application.state.payments.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def token(settings):
    """``token(role, **claims)``: a bearer header for that role, valid at :data:`NOW`."""
    key = tokens.dev_key(settings.dev_key_file, create=True)

    def make(role: str, sub: str | None = None, *, cpr=None, cvr=None, scopes=(), ttl=3600):
        if role == "citizen":
            cpr = cpr or CITIZEN
        cvr = cvr or {"employer": EMPLOYER, "bank": BANK}.get(role)
        digest = hashlib.sha256((cpr or "").encode()).hexdigest()[:12]
        subject = sub or (f"citizen-{digest}" if cpr else role)
        signed = tokens.mint(
            key,
            role=role,
            subject=subject,
            now=NOW,
            ttl=ttl,
            cpr_number=cpr,
            cvr_number=cvr,
            scopes=tuple(scopes),
        )
        return {"Authorization": f"Bearer {signed}"}

    return make


def letter_code(engine, registration_id: int) -> str:
    """The code of a registration's letter, read as the mail house would."""
    import tempfile

    from tests import support

    return support.letter_code(engine, registration_id, Path(tempfile.mkdtemp()), now=NOW)


def engine_of(app):
    return app.state.payments.engine
