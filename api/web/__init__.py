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
code), and the framework's 404 and 405 on a page's path (:data:`PAGE_ERRORS`) with the
same error page (``REQUEST_NOT_FOUND``, ``REQUEST_METHOD_NOT_ALLOWED``): a browser user
who mistypes an address gets a page, not JSON. The API's paths (``/v1/``, …) and the
static files keep their RFC 9457 problems (:func:`api.problems.http_problem`).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api import edge, problems
from api.web import render, session

PAGES = ("login", "citizen", "employer", "operator")
#: the framework's errors that a page path answers with a page (in the site's layout, in
#: the visitor's language, with a link home) instead of a problem: no such page, and a
#: page that does not take the method (a form's address opened as a link)
PAGE_ERRORS = (404, 405)
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
        return render.page(
            request, "error.html", {"code": exc.code, "status": exc.status}, status=exc.status
        )

    # replaces the API's handler (api.problems), which it calls for every path of the API
    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        path = request.url.path
        if (
            exc.status_code not in PAGE_ERRORS
            or not edge.is_page(path)
            or path.startswith("/static/")
        ):
            return problems.http_problem(exc)
        response = render.page(
            request,
            "error.html",
            {"code": problems.HTTP_CODES[exc.status_code], "status": exc.status_code},
            status=exc.status_code,
        )
        response.headers.update(exc.headers or {})  # a 405's Allow
        return response
