"""What the employer's and the operator's page tests share: data the test log-in can offer
(an employer with claims, a night to run), posting a page's form as a browser does
(:func:`post_form`). Logging in and reading a page's codes are :mod:`tests.web.helpers`.

The worked example (16,901.75 kr to the employer's CVR) is the employer's first claim; a
second company has fewer claims, so the test log-in's employer (the one with the most
claims) is :data:`EMPLOYER`, and :data:`OTHER` is the company whose claims it must never
see.
"""

from __future__ import annotations

import datetime as dt

import rules
from payments import employer
from tests.support import cpr, worked
from tests.web.helpers import csrf_of

TODAY = dt.date(2024, 3, 20)
NOW = dt.datetime(2024, 3, 20, 9, 0, tzinfo=dt.UTC)
EMPLOYER, OTHER = "13585628", "10150817"
PARAMS = rules.load_parameters()
#: the worked example moved so that it is on time when received on the pages' day
#: (2024-05-06, tests.web.helpers.TODAY): 15,023.77 kr
RECENT = {"first_absence_day": "2024-04-08", "last_absence_day": "2024-05-31"}
RECENT_AMOUNT = "15.023,77"


def send_claims(engine, cvr: str, refs: list[str], *, actor: str = "payroll", start: int = 0):
    """The worked example under each reference, one employee each (``cpr(start + n)``)."""
    raws = [
        worked(external_ref=ref, employer_cvr=cvr, employee_cpr=cpr(start + n))
        for n, ref in enumerate(refs)
    ]
    outcomes = employer.submit(
        engine, raws, employer_cvr=cvr, actor=actor, today=TODAY, now=NOW, parameters=PARAMS
    )
    assert {o["outcome"] for o in outcomes} == {"created"}, outcomes
    return outcomes


def two_companies(engine) -> None:
    """Three claims of :data:`EMPLOYER` (the worked example first, for ``cpr(100)``), two of
    :data:`OTHER` (employees apart from the ``seeded`` fixture's, whose claims are the
    employer's too)."""
    send_claims(engine, EMPLOYER, ["ACME-0001", "ACME-0002", "ACME-0003"], start=100)
    send_claims(engine, OTHER, ["OTHER-1", "OTHER-2"], start=110)


def post_form(client, path: str, data: dict | None = None, *, page: str | None = None, files=None):
    """Post a page's form as a browser would: with the CSRF token of the page it is on."""
    source = client.get(page or path)
    fields = dict(data or {}) | {"csrf_token": csrf_of(source.text)}
    return client.post(path, data=fields, files=files, follow_redirects=False)
