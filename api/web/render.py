"""``page(request, template, context)``: a page rendered in the visitor's language.

One Jinja2 environment per language, each with its gettext translations installed
(``jinja2.ext.i18n``, new-style: ``_("… %(n)s", n=3)`` formats and escapes). Templates are
``.html`` and autoescaped. Every page gets:

- ``lang`` (``da``/``en``) for ``<html lang>``, and ``_``/``gettext``/``ngettext``;
- ``csrf_token`` of the visitor's session (``{{ m.csrf() }}`` puts it in a form);
- ``principal`` (who is logged in, or None), ``nav`` (the links of their role's pages:
  each page module's ``NAV``, collected by :func:`api.web.install`), ``session_ends``
  (when the session expires if nothing is done: the warning in the header);
- ``path`` (the page's own path, for the language switch to come back to);
- filters ``money`` (``"4694.93"`` → ``4.694,93 kr.``), ``number`` (``10001`` → ``10.001``),
  ``date``, ``datetime`` and ``time``
  (in Copenhagen's time).

The responses get the new session cookie when the request made a session
(:func:`api.web.session.finish`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.web import i18n, session

TEMPLATES = Path(__file__).parent / "templates"
ZONE = ZoneInfo("Europe/Copenhagen")  # times are shown as the citizen's clock shows them
#: role -> the links of its pages, (href, msgid); filled by api.web.install from each
#: page module's NAV
NAVIGATION: dict[str, list[tuple[str, str]]] = {}


# The formatters are cached: Babel's take 10-20 µs a call, a page of claims calls them a
# hundred times or more, and the same dates and amounts recur on it (bounded: 4,096 each).


@lru_cache(maxsize=4096)
def _money(value: Any, lang: str) -> str:
    if value is None or value == "":
        return ""
    return format_currency(Decimal(str(value)), "DKK", locale=i18n.locale(lang))


@lru_cache(maxsize=4096)
def _date(value: Any, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.astimezone(ZONE).date()
    return format_date(value, format="long", locale=i18n.locale(lang))


def _datetime(value: Any, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return format_datetime(value.astimezone(ZONE), format="short", locale=i18n.locale(lang))


def _time(value: dt.datetime, lang: str) -> str:
    return format_time(value.astimezone(ZONE), format="short", locale=i18n.locale(lang))


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the code: no stat() of each on a render
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)
    env.filters["money"] = lambda v: _money(v, lang)
    env.filters["number"] = lambda v: format_decimal(v, locale=i18n.locale(lang))  # 10.001
    env.filters["date"] = lambda v: _date(v, lang)
    env.filters["datetime"] = lambda v: _datetime(v, lang)
    env.filters["time"] = lambda v: _time(v, lang)
    return env


def language(request: Request) -> str:
    return i18n.choose(request.cookies.get(i18n.COOKIE))


def gettext(request: Request):
    """The translating function of the request's language (for texts made in Python)."""
    return i18n.translations(language(request)).gettext


def page(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """``template_name`` rendered for this request, as an HTML response."""
    lang = language(request)
    found = session.current(request)
    principal = found.principal if found else None
    values = {
        "lang": lang,
        "csrf_token": found.csrf_token if found else "",
        "principal": principal,
        "nav": NAVIGATION.get(principal.role, []) if principal else [],
        "session_ends": found.expires_at if found and principal else None,
        "path": request.url.path,
        "errors": [],
    }
    values |= context or {}
    html = environment(lang).get_template(template_name).render(values)
    response = HTMLResponse(html, status_code=status)
    session.finish(request, response)
    return response
