"""The web pages (issue 18), served by the same app as the API and built on the same
application layer (``payments``): a page route calls the services the API's routes call,
never SQL of its own, and shows what they answer.

Layout (the contract the groups of pages share; api/web/README-contract.md):

- ``routes/<group>.py`` for each group in :data:`PAGES` (``login``, ``citizen``,
  ``employer``, ``operator``); a group's module is included when it exists. It exposes
  ``router`` (``APIRouter(include_in_schema=False)``: pages are not part of the API's
  OpenAPI document) and, for a role's pages, ``ROLE`` (the role), ``HOME`` (the path
  after log-in) and ``NAV`` (the header's links: ``(href, msgid)``).
- ``templates/*.html`` (autoescaped), extending ``base.html`` and using ``macros.html``;
- ``locale/<lang>/LC_MESSAGES/<group>.po``: each group's own catalogue (:mod:`.i18n`);
- ``static/``: one stylesheet, served at ``/static``; no script anywhere (the pages work
  without JavaScript, and the Content-Security-Policy of pages allows none:
  :mod:`api.edge`).

:func:`install` also answers the two exceptions page dependencies raise
(:class:`.session.Redirect`: a 303; :class:`.session.Refused`: an error page with its
code).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from api.web import render, session

PAGES = ("login", "citizen", "employer", "operator")
STATIC = Path(__file__).parent / "static"
#: role -> the path a log-in of that role lands on (each page module's HOME)
HOMES: dict[str, str] = {}


def modules() -> list:
    """The page modules of :data:`PAGES` that exist."""
    found = []
    for name in PAGES:
        try:
            found.append(importlib.import_module(f"api.web.routes.{name}"))
        except ModuleNotFoundError as missing:
            if missing.name != f"api.web.routes.{name}":
                raise  # a module that exists but imports something missing is a bug
    return found


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and their error pages on ``app``."""
    for module in modules():
        app.include_router(module.router)
        role = getattr(module, "ROLE", None)
        if role:
            HOMES[role] = module.HOME
            render.NAVIGATION[role] = list(getattr(module, "NAV", ()))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(session.Redirect)
    async def redirected(request: Request, exc: session.Redirect):
        return session.redirect(request, exc.url)

    @app.exception_handler(session.Refused)
    def refused(request: Request, exc: session.Refused):
        return render.page(request, "error.html", {"code": exc.code}, status=exc.status)
