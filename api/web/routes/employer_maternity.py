"""The employer's one-claim form for maternity benefit: ``/employer/new/maternity/…``.

The sickness form's twin (:mod:`api.web.routes.employer`: its labels, its error summary
linking each code to its field, its refusals), for a maternity claim (barselsloven), in
three pages:

1. ``/employer/new/maternity``: the form — the employee and the parent they are (mother,
   father, co-mother), the child's birth (or, for a mother before it, the expected date),
   the leave, hours and wage, salary paid (and, optionally, how much: it caps the
   reimbursement), the 4 months' hours (or, optionally, another route of the employment
   requirement, barselsloven § 27), weeks transferred between the parents. Sent, it is
   checked as the intake checks a claim (:func:`payments.employer.check`: the claim format
   and the company, nothing decided or stored); a refused one comes back with the error
   summary.
2. ``/employer/new/maternity/check``: "check your answers", each with a link back to its
   field. The answers wait in the server-side session meanwhile; the CPR number is kept
   there and shown masked (``010190-****``), never in full on a page: when the form is
   shown again it is empty, and left empty it keeps the number already given.
3. Sending it from there decides and stores it with the same function as the sickness form
   and the API (:func:`payments.employer.submit`); what only the database knows (the
   reference already used, an overlapping claim) comes back on the form. Then
   ``/employer/new/maternity/receipt``: what was received and decided, to print, with the
   link to the claim's page and its explanation.

A stored maternity claim is corrected in the same form (``GET``/``POST
/employer/claims/{ref}/correction`` dispatch here by the claim's kind): prefilled from the
claim as it was last sent, the reference and the employee (masked) not asked again, and
sent at once — no "check your answers", as the sickness correction — with
``"correction": true`` through :func:`api.web.routes.employer.decide_one`.

The fields are the claim format's (docs/claim-format.md, "maternity"); the form's own are
only ``salary_paid`` as yes/no and ``monthly_hours`` as numbers separated by spaces.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.state import state
from api.web import errors, render, session
from api.web.errors import Field
from api.web.i18n import N_
from api.web.routes import employer as pages
from identifiers import mask_owner
from payments import employer
from payments.claims import queries
from payments.errors import NotFound
from payments.tokens import Principal

router = APIRouter(include_in_schema=False)
FORM = "/employer/new/maternity"
#: the form's fields, in the order of the page (a problem's ``field`` names its input),
#: each with its label: the page's (form and "check your answers") and its errors'
SICKNESS = pages.FIELDS
FIELDS = {
    "external_ref": SICKNESS["external_ref"],
    "employee_cpr": SICKNESS["employee_cpr"],
    "parent": Field(N_("Who is the employee to the child?"), "choice"),
    "child_birth_date": Field(N_("The child's date of birth"), "date"),
    "expected_birth_date": Field(N_("Expected date of birth (optional)"), "date"),
    "first_absence_day": Field(N_("First day of leave"), "date"),
    "last_absence_day": Field(N_("Last day of leave"), "date"),
    "normal_weekly_hours": SICKNESS["normal_weekly_hours"],
    "absence_hours_per_week": Field(N_("Hours on leave a week (part-time leave only)"), "number"),
    "hourly_wage": SICKNESS["hourly_wage"],
    "salary_paid": Field(N_("Do you pay salary during the leave?"), "choice"),
    "salary_paid_amount": Field(N_("Salary paid for the period in kroner (optional)"), "number"),
    "employment_start": SICKNESS["employment_start"],
    "monthly_hours": Field(N_("Hours worked in each of the last 4 whole months"), "list"),
    "employment_requirement_met_by": SICKNESS["employment_requirement_met_by"],
    "weeks_transferred_in": Field(
        N_("Weeks of leave the other parent has given the employee (optional)"), "whole"
    ),
    "weeks_transferred_out": Field(
        N_("Weeks of leave the employee has given the other parent (optional)"), "whole"
    ),
}
DECIMALS = {"normal_weekly_hours", "absence_hours_per_week", "hourly_wage", "salary_paid_amount"}
PARENTS = ("mother", "father", "co_mother")
KEY = "maternity_claim"  # the session's answers (with the CPR: never sent to a page)


def _answers(request: Request) -> dict[str, Any]:
    found = session.current(request)
    return dict((found.data if found else {}).get(KEY) or {})


def _keep(request: Request, answers: dict[str, Any] | None, receipt: dict | None = None):
    data = dict(session.current(request).data) if session.current(request) else {}
    data[KEY], data[KEY + "_receipt"] = answers, receipt
    session.save(request, {k: v for k, v in data.items() if v is not None})


def _masked(raw: dict[str, Any]) -> str | None:
    number = str(raw.get("employee_cpr") or "").replace("-", "")
    return mask_owner("cpr", number) if number else None


def _raw(form, kept: dict[str, Any], me) -> dict[str, Any]:
    """The claim the form describes; an empty CPR keeps the one given before."""
    raw: dict[str, Any] = {"kind": "maternity", "employer_cvr": me.cvr}
    for name in FIELDS:
        given = form.get(name)
        text = given.strip() if isinstance(given, str) else ""
        if not text:
            if name == "employee_cpr" and kept.get(name):
                raw[name] = kept[name]
            continue
        raw[name] = pages.form_value(name, text, DECIMALS)
    return raw


def _values(raw: dict[str, Any]) -> dict[str, str]:
    """The answers as the form shows them (never the CPR number)."""
    shown = dict.fromkeys(FIELDS, "")
    for name in FIELDS:
        value = raw.get(name)
        if name == "employee_cpr" or value is None:
            continue
        if name == "salary_paid":
            shown[name] = "yes" if value is True else "no" if value is False else str(value)
        elif name == "monthly_hours" and isinstance(value, list):
            shown[name] = " ".join(str(v) for v in value)
        else:
            shown[name] = str(value)
    return shown


def _errors(request: Request, problems: list[dict], correcting: str | None = None) -> list[dict]:
    inputs = pages.shown_inputs(FIELDS, correcting)
    out = []
    for p in problems:
        field = (p.get("field") or "").split("[")[0].split(".")[0] or None
        out.append(pages._error(request, p["code"], field if field in inputs else None,
                                p.get("message"), inputs))  # fmt: skip
    return out


def _form(
    request: Request,
    raw: dict[str, Any],
    problems: list[dict] | None = None,
    status=200,
    *,
    correcting: str | None = None,
):
    """The form: a new claim's (then "check your answers"), or the correction of the
    stored claim ``correcting`` (sent at once, as the sickness form's correction is)."""
    action = pages._claim_url(correcting) + "/correction" if correcting else FORM
    return render.page(
        request,
        "employer/maternity_form.html",
        {
            "labels": errors.labels(FIELDS, render.gettext(request)),
            "values": _values(raw),
            "met_by": pages.met_by_options(render.gettext(request)),
            "employee": _masked(raw),
            "errors": problems or [],
            "correcting": correcting,
            "action": action,
            "back": pages._claim_url(correcting) if correcting else "/employer",
        },
        status=status,
    )


@router.get(FORM)
def maternity_form(request: Request, me: pages.Employer) -> Response:
    session.ensure(request)
    return _form(request, _answers(request))


@router.post(FORM)
async def maternity_answers(request: Request, me: pages.Employer) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    raw = _raw(form, await run_in_threadpool(_answers, request), me)
    problems = employer.check(raw, employer_cvr=me.cvr, today=app.clock.today())
    if any(p["field"] == "employee_cpr" for p in problems):
        raw.pop("employee_cpr", None)  # a wrong number is typed again, never kept or shown
    await run_in_threadpool(_keep, request, raw)
    if problems:
        return _form(request, raw, _errors(request, problems), status=422)
    return session.redirect(request, FORM + "/check")


@router.get(FORM + "/check")
def maternity_check(request: Request, me: pages.Employer) -> Response:
    raw = _answers(request)
    if not raw.get("employee_cpr"):
        return session.redirect(request, FORM)
    _ = render.gettext(request)
    return render.page(
        request,
        "employer/maternity_check.html",
        {
            "labels": errors.labels(FIELDS, render.gettext(request)),
            "values": _values(raw),
            "met_by": {o["value"]: o["label"] for o in pages.met_by_options(_)},
            "employee": _masked(raw),
            "form": FORM,
        },
    )


@router.post(FORM + "/check")
async def maternity_send(request: Request, me: pages.Employer) -> Response:
    await session.checked_form(request)
    raw = await run_in_threadpool(_answers, request)
    if not raw.get("employee_cpr"):  # sent twice, or the answers are gone
        return session.redirect(request, FORM)
    outcome, problems = await pages.decide_one(request, me, raw)
    if problems:
        return _form(request, raw, _errors(request, problems), status=422)
    receipt = {"ref": outcome["external_ref"] or raw["external_ref"], "outcome": outcome["outcome"]}
    await run_in_threadpool(_keep, request, None, receipt)
    return session.redirect(request, FORM + "/receipt")


@router.get(FORM + "/receipt")
def maternity_receipt(request: Request, me: pages.Employer) -> Response:
    found = session.current(request)
    receipt = (found.data if found else {}).get(KEY + "_receipt")
    if not receipt:
        return session.redirect(request, "/employer")
    try:
        document = queries.document(state(request).engine, me.cvr, receipt["ref"])
    except NotFound:
        raise session.Refused(404, "CLAIM_NOT_FOUND") from None
    _ = render.gettext(request)
    return render.page(
        request,
        "employer/maternity_receipt.html",
        {
            "claim": document,
            "ref": receipt["ref"],
            "outcome": receipt["outcome"],
            "done": _(pages.DONE[receipt["outcome"]]),
            "claim_url": pages._claim_url(receipt["ref"]),
        },
    )


# -- correcting a stored maternity claim from its page -------------------------------------------


def correction_page(request: Request, stored: dict[str, Any], ref: str) -> Response:
    """The maternity form prefilled from the claim as it was last sent (the employee shown
    masked, the reference the page's own): ``GET /employer/claims/{ref}/correction`` of a
    maternity claim (:func:`api.web.routes.employer.correction_form`)."""
    return _form(request, stored, correcting=ref)


async def correct(
    request: Request, me: Principal, stored: dict[str, Any], form, ref: str
) -> Response:
    """The correction sent: the stored claim with the form's fields (one left empty is
    left out), under the same reference with ``"correction": true`` and the employee as
    stored, decided by the function the sickness correction and the API use
    (:func:`api.web.routes.employer.decide_one`); refused, the form again with the errors."""
    raw = pages._merged(stored, form, keep_cpr=True, fields=FIELDS, decimals=DECIMALS)
    raw |= {"external_ref": ref, "correction": True}
    outcome, problems = await pages.decide_one(request, me, raw)
    if problems:
        return _form(request, raw, _errors(request, problems, ref), status=422, correcting=ref)
    return session.redirect(request, pages._claim_url(ref) + f"?done={outcome['outcome']}")
