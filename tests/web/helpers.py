"""What the web tests share: constants, the movable clock, form and browser helpers."""

from __future__ import annotations

import datetime as dt
import os
import re
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
REQUIRE_BROWSER = os.environ.get("PAYMENTS_REQUIRE_BROWSER") == "1"
ENABLE = "browser tests need Debian's chromium: apt-get install -y chromium"
TODAY = dt.date(2024, 5, 6)
NOW = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)
#: the demo's business date for the browser journeys (its night 1 runs on it)
DEMO_DAY = dt.date(2024, 5, 6)
CITIZEN = "0101901234"
OTHER_CITIZEN = "0202851234"
HELD_CITIZEN = "0303801234"


class MovableClock:
    """The app's clock, set by the test: ``clock.at = …`` (idle expiry)."""

    date = None

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return self.at.date()


# -- forms over HTTP --------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODES = re.compile(r'data-code="([A-Z0-9_]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def codes_of(html: str) -> list[str]:
    """The stable codes a page shows (errors, notices): ``data-code`` attributes."""
    return CODES.findall(html)


def log_in(client: TestClient, key: str):
    """Log in through the test log-in as the identity ``key`` (``citizen-1``, …)."""
    page = client.get("/login")
    assert page.status_code == 200
    answer = client.post("/login/test", data={"csrf_token": csrf_of(page.text), "identity": key})
    assert answer.status_code == 303, answer.text
    return answer


def check_page(page, name: str) -> None:
    """axe-core at 1280 px and 375 px: zero violations; a full-page screenshot of each."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    original = page.viewport_size
    try:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            results = axe.run(page)
            assert results.violations_count == 0, f"{name} at {width}px:\n" + (
                results.generate_report()
            )
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    finally:
        page.set_viewport_size(original)


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the focus is on an element matching ``selector`` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):  # fmt: skip
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


# -- the error summary ------------------------------------------------------------------------

SUMMARY = re.compile(r'class="error-summary".*?</div>', re.S)
SUMMARY_LINK = re.compile(r'<a href="#([^"]+)" data-code="([A-Z0-9_]+)">(.*?)</a>', re.S)


def summary_links(html: str) -> dict[str, tuple[str, str]]:
    """The error summary's links: the field each leads to (its fragment) -> (the stable
    code, the link's text, unescaped)."""
    summary = SUMMARY.search(html)
    assert summary, "no error summary on the page"
    return {
        field: (code, unescape(text).strip())
        for field, code, text in SUMMARY_LINK.findall(summary.group(0))
    }


def inline_error(html: str, field: str) -> str:
    """The error message beside the input ``field`` (without its visually hidden
    "Error:"), unescaped."""
    found = re.search(
        rf'<p class="error-message" id="{re.escape(field)}-error" data-code="[A-Z0-9_]+">'
        r'<span class="visually-hidden">[^<]*</span>(.*?)</p>',
        html,
        re.S,
    )
    assert found, f"no error message beside {field}"
    return unescape(found.group(1)).strip()
