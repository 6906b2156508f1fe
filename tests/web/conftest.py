"""The web pages under test: over HTTP (TestClient) and in a real browser (Playwright).

- ``web_settings`` / ``web_app`` / ``web_client``: the app on the ``db_url`` database
  (SQLite, and PostgreSQL when configured) with the test log-in (no OpenID provider) and a
  clock the test can move (``clock.now``: :class:`MovableClock`).
- ``seeded``: a small data set of rows (two citizens with payments, one held, an employer),
  for the HTTP tests; ``demo_data``: the demo itself (``payments demo`` at a small size), for
  the browser journeys, so that they see what ``make serve`` shows.
- ``live_server``: uvicorn in a background thread on a free loopback port, serving the
  demo's data; its ``.url``, ``.app`` and ``.engine``. Playwright's sync API cannot run in an
  asyncio loop, so the server keeps its loop in its own thread.
- ``browser``: Debian's chromium (``shutil.which("chromium")``), never Playwright's own
  download. Missing chromium or playwright: the browser tests skip with one line saying how
  to enable them, or fail when ``PAYMENTS_REQUIRE_BROWSER=1`` (CI).
- :func:`check_page`: axe-core on the page at 1280 px and 375 px wide, asserting no
  violation, and a full-page screenshot of each width in
  ``test-artifacts/screenshots/<name>-<width>.png``.
- :func:`tab_to`: moves the focus with the Tab key alone until it is on an element
  matching a selector (the keyboard journeys).
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from payments.config import Settings
from payments.db import make_engine, session_scope
from tests import support
from tests.web.helpers import (
    CITIZEN,
    DEMO_DAY,
    ENABLE,
    HELD_CITIZEN,
    NOW,
    OTHER_CITIZEN,
    REQUIRE_BROWSER,
    MovableClock,
)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def web_settings(db_url, tmp_path) -> Settings:
    return support.make_settings(tmp_path, database_url=db_url)


@pytest.fixture
def web_app(web_settings, clock):
    application = create_app(web_settings, clock=clock)
    yield application
    application.state.payments.engine.dispose()


@pytest.fixture
def web_client(web_app):
    with TestClient(web_app, raise_server_exceptions=True, follow_redirects=False) as c:
        yield c


@pytest.fixture
def seeded(web_app):
    """Two citizens with payments (one to be paid, one held for want of an account), the
    first with a NemKonto through the bank; the worked example's employer."""
    engine = web_app.state.payments.engine
    with session_scope(engine) as s:
        support.add_registration(s, CITIZEN, account="12345678")
        support.add_registration(s, OTHER_CITIZEN, account="87654321")
        support.add_order(s, CITIZEN, 1_690_175)
        support.add_order(s, OTHER_CITIZEN, 250_000)
        held = support.add_order(s, HELD_CITIZEN, 300_000)
        held.status, held.hold_reason = "held", "NO_ACCOUNT"
    return engine


# -- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    executable = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        if REQUIRE_BROWSER:
            pytest.fail(f"PAYMENTS_REQUIRE_BROWSER=1 but {ENABLE}")
        pytest.skip(ENABLE)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser(_playwright):
    """A fresh browser context (no cookies) at 1280 px wide."""
    context = _playwright.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    yield context
    context.close()


# -- the served app -----------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object
    engine: object
    settings: Settings
    workdir: Path


@pytest.fixture
def demo_data(db_url, tmp_path) -> tuple[Settings, Path]:
    """The demo's data (a small size) on the test database; its settings and work dir."""
    from payments import demo

    workdir = tmp_path / "demo"
    workdir.mkdir()
    settings = Settings(
        database_url=db_url,
        output_dir=str(workdir / "out"),
        outbox_dir=str(workdir / "outbox"),
        spool_dir=str(workdir / "spool"),
        dev_key_file=str(workdir / "dev-key.pem"),
    ).with_demo_debtor()  # the demo's data, as `payments demo` makes it
    engine = make_engine(db_url)
    try:
        demo.run(
            engine, settings, day=DEMO_DAY, size=60, seed=7, workdir=workdir, say=lambda _: None
        )
    finally:
        engine.dispose()
    return settings, workdir


def _free_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def live_server(demo_data):
    """The app on the demo's data, served by uvicorn in a thread on a free port."""
    import uvicorn

    settings, workdir = demo_data
    # served a few days after the demo's last day (its bank answer, the day after night 1)
    moment = dt.datetime.combine(DEMO_DAY + dt.timedelta(days=3), dt.time(10, 0), tzinfo=dt.UTC)
    app = create_app(settings, clock=MovableClock(moment))
    sock = _free_port()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(
            f"http://127.0.0.1:{port}", app, app.state.payments.engine, settings, workdir
        )
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.payments.engine.dispose()
