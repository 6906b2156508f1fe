"""The employer's pages, "Refusion": send claims, see what was decided and why, correct.

The employer is the session's company (its CVR, from the log-in); every service called is
bound to it, so another company's claim or job is "not found" whatever a URL or form says.
The pages call what the API's employer routes call (:mod:`payments.employer`,
:mod:`payments.jobs`, :mod:`payments.claims.queries`) and, for the list,
:mod:`payments.claims.listing`.

Choices (README, "Web pages"):

- **A claim file** is uploaded in a form and queued as a claim-file job, exactly as
  ``POST /v1/claim-files`` queues one; a ``payments worker`` decides it (``make serve``
  starts one beside the server). The job's page shows a ``<progress>`` bar: the worker's
  count of records against the file's lines counted while it was received
  (``claim_jobs.expected_records``; no bar length for a JSON document, whose records are not
  lines). While the job runs the page reloads itself every :data:`REFRESH` seconds by the
  HTTP ``Refresh`` header — no script — and offers a link that stops the reloading (WCAG
  2.2.1: a user can turn a time limit off), and one that reloads by hand. The file's own
  name is not kept (it may hold a CPR number): the job is ``upload.csv`` or the like, as in
  the API.
- **One claim** is a sickness claim in one form (one page: a bookkeeper copies it from the
  payroll, field by field); a maternity claim has a form of its own, with a "check your
  answers" page and a receipt (:mod:`api.web.routes.employer_maternity`). A refused claim
  comes back with the error summary above the heading, each entry linked to its field,
  with the rule's stable code. A full CPR number
  never goes back into a page: after an error the CPR field is empty and says so.
- **Correcting** starts from the claim as it was last sent: the form shows its values
  except the employee's CPR (kept on the server, shown masked), and sends the changed claim
  with ``"correction": true`` under the same reference — a resubmission, as the intake
  defines a correction. A maternity claim is corrected in the maternity form (its own
  fields: :func:`api.web.routes.employer_maternity.correction_page`), sent at once as the
  sickness correction is, through the same :func:`decide_one`.
- **The optional fields** of the claim format (``hours_last_8_weeks``,
  ``employment_requirement_met_by``, ``section_56_agreement``,
  ``small_employer_insurance``) are optional questions, each with a hint citing its
  provision: a checkbox for a flag (:data:`CHECKBOXES`) and radios for the requirement's
  route (:data:`MET_BY`, "none of these" first and the default). What is unticked or not
  chosen is left out of the claim, never sent as ``false``: a claim that does not use them
  is the claim a file without them is, and so is its decision.
- **An error names its field** (GOV.UK's error message and summary): the labels are
  :data:`FIELDS` (the template shows them), and a message is a pattern of
  :data:`api.web.errors.FIELD_MESSAGES` with the label, so two fields missing are two
  different links in the error summary.
- **The explanation** ("Sådan har vi beregnet beløbet") is the stored decision's own trace:
  each step's sentence and its legal reference, in the order the rules took them. The
  sentences are the rules' (English) text; nothing is re-derived here. On a Danish page
  they, the decision's reasons and the engine's detail beside an error code are marked
  ``lang="en"`` (WCAG 3.1.2, language of parts: a screen reader reads them as English),
  and a line says the steps are in English as the decision was recorded.
- **The company's NemKonto** is shown masked with its history; a company changes it through
  its bank, so the page says so and offers no form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.state import state
from api.web import errors, render, session
from api.web.errors import Field
from api.web.i18n import N_
from identifiers import mask_owner
from payments import employer, jobs
from payments.claims import listing, queries
from payments.errors import NotFound, PaymentsError
from payments.registry import service
from payments.tokens import Principal

ROLE = "employer"
HOME = "/employer"
NAV = [
    ("/employer", N_("Claims")),
    ("/employer/upload", N_("Send a claim file")),
    ("/employer/new", N_("New claim")),
    ("/employer/nemkonto", N_("Our NemKonto")),
]
router = APIRouter(include_in_schema=False)
Employer = Annotated[Principal, Depends(session.signed_in(ROLE))]
Ref = Annotated[str, Path(min_length=1, max_length=35)]
REFRESH = 2  # seconds between reloads of a running job's page
FILE_NAMES = {".csv": "upload.csv", ".ndjson": "upload.ndjson", ".jsonl": "upload.ndjson"}
CHUNK = 1 << 20

#: the form's fields, in the order of the page (the claim format's names: a problem's
#: ``field`` names the input it concerns), each with its label: the one the page shows and
#: the one its errors name it by (:mod:`api.web.errors`)
FIELDS = {
    "external_ref": Field(N_("Your reference")),
    "employee_cpr": Field(N_("The employee's CPR number")),
    "first_absence_day": Field(N_("First day of absence"), "date"),
    "last_absence_day": Field(N_("Last day of absence"), "date"),
    "normal_weekly_hours": Field(N_("Normal working hours a week"), "number"),
    "absence_hours_per_week": Field(N_("Hours absent a week (partial absence only)"), "number"),
    "hourly_wage": Field(N_("Hourly wage in kroner"), "number"),
    "salary_paid": Field(N_("Did you pay salary during the absence?"), "choice"),
    "employment_start": Field(N_("Employed since"), "date"),
    "monthly_hours": Field(N_("Hours worked in each of the last whole months"), "list"),
    "employment_requirement_met_by": Field(
        N_("Is the employment requirement met in another way? (optional)"), "choice"
    ),
    "hours_last_8_weeks": Field(
        N_("Hours worked for you in the 8 weeks before the absence (optional)"), "number"
    ),
    "section_56_agreement": Field(N_("You have a § 56 agreement for the employee"), "checkbox"),
    "small_employer_insurance": Field(
        N_("Your company has the § 55 insurance for small employers"), "checkbox"
    ),
}
#: the optional yes-or-nothing fields: a ticked checkbox is ``true``; unticked, the field is
#: left out of the claim (never sent as ``false``), as a claim file that does not give it
CHECKBOXES = ("section_56_agreement", "small_employer_insurance")
#: the radios of ``employment_requirement_met_by`` (sygedagpengeloven § 32, barselsloven
#: § 27): the claim format's values (:data:`rules.claim.MET_BY`), each as the forms say it,
#: and first ``""``, "none of these", the default, which leaves the field out of the claim
MET_BY = {
    "": N_("None of these, or not relevant"),
    "unemployment_insurance": N_(
        "The employee would be entitled to unemployment benefit from an unemployment "
        "insurance fund (a-kasse)"
    ),
    "vocational_training": N_(
        "The employee finished a vocational education of at least 18 months within the last month"
    ),
    "paid_trainee": N_(
        "The employee is an apprentice or trainee in paid practical training as part of an "
        "education"
    ),
    "fleksjob": N_("The employee works in a flexible job (fleksjob)"),
}
#: the inputs a correction's form does not show (the reference and the employee are the
#: stored claim's): an error on one is on the page's main content
NOT_CORRECTED = ("external_ref", "employee_cpr")
DECIMALS = {"normal_weekly_hours", "absence_hours_per_week", "hourly_wage", "hours_last_8_weeks"}
#: the upload form's one input
UPLOAD = {"file": Field(N_("The claim file"), "file")}
#: the error summary's words for a code no pattern of :data:`api.web.errors.FIELD_MESSAGES`
#: words on its field (the rule's own message is shown beside it)
ERROR_TEXT = {
    "CLAIM_DUPLICATE_REF": N_(
        "You have already sent a claim with this reference. Correct that claim from its page."
    ),
    "CLAIM_OVERLAP": N_(
        "The absence overlaps another claim for the same employee. Correct that claim instead."
    ),
}
DONE = {
    "created": N_("The claim was received and decided."),
    "corrected": N_("The correction was received and the claim decided again."),
    "unchanged": N_("The claim was already received as it is: nothing changed."),
}


def _claim_url(ref: str) -> str:
    return f"/employer/claims/{quote(ref, safe='')}"


def _error(
    request: Request,
    code: str,
    field: str | None,
    message: str | None,
    fields: Mapping[str, Field] | None = None,
) -> dict:
    """An error on the page: on its field, or on the main content when it names none of
    the page's inputs (the error summary links there). On an input of ``fields`` its words
    name the input by its label (:func:`api.web.errors.field_message`); a code no pattern
    words says which input to check, or its own text of :data:`ERROR_TEXT`; the engine's
    message is the detail beside it."""
    _ = render.gettext(request)
    fields = fields or {}
    text = errors.field_message(code, field, fields, _) if field else None
    if text is None and code in ERROR_TEXT:
        text = _(ERROR_TEXT[code])
    if text is None and field in fields:
        text = _(errors.CHECK_FIELD) % {"label": _(fields[field].label)}
    return {
        "code": code,
        "field": field or "main",
        "message": text or message or code,
        "detail": message if text else None,
    }


# -- the claim list ---------------------------------------------------------------------------


@router.get("/employer")
def claims(
    request: Request,
    me: Employer,
    status: Annotated[str | None, Query(max_length=30)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    payment: Annotated[str | None, Query(max_length=30)] = None,
    ref: Annotated[str | None, Query(max_length=35)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    filters = listing.Filters(status or None, kind or None, payment or None, ref or None)
    refused: list[dict] = []
    try:
        found = listing.page(state(request).engine, me.cvr, filters, before=before)
    except PaymentsError as exc:
        refused.append(_error(request, exc.code, exc.field, exc.message))
        found = listing.page(state(request).engine, me.cvr)
        filters = listing.Filters()
    query = {k: v for k, v in vars_of(filters).items() if v}
    older = (
        "/employer?" + urlencode(query | {"before": found.next_before})
        if found.next_before
        else None
    )
    return render.page(
        request,
        "employer/claims.html",
        {
            "page": found,
            "filters": filters,
            "statuses": listing.STORED_STATUSES,
            "payments": listing.PAYMENT_FILTERS,
            "older": older,
            "newest": "/employer?" + urlencode(query) if before else None,
            "urls": [_claim_url(c["external_ref"]) for c in found.items],  # each row's link
            "errors": refused,
        },
        status=422 if refused else 200,
    )


def vars_of(filters: listing.Filters) -> dict[str, Any]:
    return {
        "status": filters.status,
        "kind": filters.kind,
        "payment": filters.payment,
        "ref": filters.ref,
    }


# -- one claim ----------------------------------------------------------------------------------


def _document(request: Request, me: Principal, ref: str) -> dict[str, Any]:
    try:
        return queries.document(state(request).engine, me.cvr, ref)
    except NotFound:
        raise session.Refused(404, "CLAIM_NOT_FOUND") from None


@router.get("/employer/claims/{ref:path}/correction")
def correction_form(request: Request, me: Employer, ref: Ref) -> Response:
    app = state(request)
    try:
        stored = listing.stored_claim(app.engine, me.cvr, ref)
    except NotFound:
        raise session.Refused(404, "CLAIM_NOT_FOUND") from None
    session.ensure(request)
    if stored.get("kind") == "maternity":  # its own form, with the maternity fields
        return employer_maternity.correction_page(request, stored, ref)
    return _claim_form(request, stored, correcting=ref)


@router.post("/employer/claims/{ref:path}/correction")
async def correct(request: Request, me: Employer, ref: Ref) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    try:
        stored = await run_in_threadpool(listing.stored_claim, app.engine, me.cvr, ref)
    except NotFound:
        raise session.Refused(404, "CLAIM_NOT_FOUND") from None
    if stored.get("kind") == "maternity":
        return await employer_maternity.correct(request, me, stored, form, ref)
    raw = _merged(stored, form, keep_cpr=True) | {"external_ref": ref, "correction": True}
    return await _submit(request, me, raw, form, correcting=ref, stored=stored)


@router.get("/employer/claims/{ref:path}")
def claim(
    request: Request,
    me: Employer,
    ref: Ref,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    document = _document(request, me, ref)
    stored = listing.stored_claim(state(request).engine, me.cvr, ref)
    _ = render.gettext(request)
    return render.page(
        request,
        "employer/claim.html",
        {
            "claim": document,
            "employee": mask_owner("cpr", str(stored.get("employee_cpr", "")).replace("-", "")),
            "ref": ref,
            "done": _(DONE[done]) if done in DONE else None,
            "correction_url": _claim_url(ref) + "/correction",
        },
    )


# -- one claim in a form ------------------------------------------------------------------------


def _values(raw: dict[str, Any]) -> dict[str, str]:
    """A claim's fields as the form shows them (never the employee's CPR)."""
    shown: dict[str, str] = dict.fromkeys(FIELDS, "")
    for name in FIELDS:
        value = raw.get(name)
        if name == "employee_cpr" or value is None:
            continue
        if name == "salary_paid":
            shown[name] = "yes" if value is True else "no" if value is False else ""
        elif name in CHECKBOXES:
            shown[name] = "yes" if value is True else ""
        elif name == "monthly_hours" and isinstance(value, list):
            shown[name] = " ".join(str(v) for v in value)
        else:
            shown[name] = str(value)
    return shown


def _merged(
    stored: dict[str, Any],
    form,
    *,
    keep_cpr: bool,
    fields: Mapping[str, Field] = FIELDS,
    decimals: set[str] = DECIMALS,
) -> dict[str, Any]:
    """The claim the form describes: ``stored`` (a correction's starting point, or nothing)
    with every field of ``fields`` the form filled in; a field left empty is left out (the
    intake then names it if it is required). The maternity correction passes its fields."""
    raw = dict(stored)
    for name in fields:
        if name == "employee_cpr" and keep_cpr:
            continue
        given = form.get(name)
        text = given.strip() if isinstance(given, str) else ""
        if text:
            raw[name] = form_value(name, text, decimals)
        else:
            raw.pop(name, None)
    return raw


def form_value(name: str, text: str, decimals: set[str]) -> Any:
    """A filled-in field as the claim format has it: ``salary_paid`` yes/no as a boolean,
    a ticked checkbox of :data:`CHECKBOXES` as ``true``, ``monthly_hours`` as numbers
    separated by spaces, a decimal comma as a point. Any other text is passed on as it is,
    for the intake to refuse with the field's code (a value no input of the form sends)."""
    if name == "salary_paid":
        return {"yes": True, "no": False}.get(text, text)
    if name in CHECKBOXES:
        return True if text == "yes" else text
    if name == "monthly_hours":
        return [v.replace(",", ".") for v in re.split(r"[\s;]+", text) if v]
    if name in decimals:
        return text.replace(",", ".")
    return text


def met_by_options(gettext) -> list[dict[str, str]]:
    """The radios of ``employment_requirement_met_by`` (:data:`MET_BY`), translated: the
    sickness form's and the maternity form's."""
    return [{"value": value, "label": gettext(label)} for value, label in MET_BY.items()]


def _claim_form(
    request: Request,
    values: dict[str, Any],
    *,
    correcting: str | None = None,
    problems: list[dict] | None = None,
    status: int = 200,
    employee: str | None = None,
) -> Response:
    if correcting and employee is None and values.get("employee_cpr"):
        employee = mask_owner("cpr", str(values["employee_cpr"]).replace("-", ""))
    return render.page(
        request,
        "employer/claim_form.html",
        {
            "labels": errors.labels(FIELDS, render.gettext(request)),
            "values": _values(values),
            "met_by": met_by_options(render.gettext(request)),
            "correcting": correcting,
            "employee": employee,
            "action": _claim_url(correcting) + "/correction" if correcting else "/employer/new",
            "errors": problems or [],
            "error_for": {e["field"]: e for e in reversed(problems or []) if e["field"]},
        },
        status=status,
    )


@router.get("/employer/new")
def new_claim(request: Request, me: Employer) -> Response:
    session.ensure(request)
    return _claim_form(request, {})


@router.post("/employer/new")
async def submit_claim(request: Request, me: Employer) -> Response:
    form = await session.checked_form(request)
    raw = _merged({}, form, keep_cpr=False) | {"kind": "sickness", "employer_cvr": me.cvr}
    return await _submit(request, me, raw, form)


async def decide_one(
    request: Request, me: Principal, raw: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Decide and store one claim a form sent (:func:`payments.employer.submit`, as the API
    does): its outcome, and its problems when refused (each code, the field if known)."""
    app = state(request)
    (outcome,) = await run_in_threadpool(
        employer.submit,
        app.engine,
        [raw],
        employer_cvr=me.cvr,
        actor=me.actor,
        today=app.clock.today(),
        now=app.clock.now(),
        parameters=app.parameters,
    )
    if outcome["outcome"] != "invalid":
        return outcome, []
    return outcome, outcome["problems"] or [
        {"code": c, "field": None, "message": None} for c in outcome["codes"]
    ]


def shown_inputs(fields: dict[str, Field], correcting: str | None) -> dict[str, Field]:
    """The inputs a form shows: all of ``fields``, but those of :data:`NOT_CORRECTED` when
    it corrects a stored claim."""
    if not correcting:
        return fields
    return {k: v for k, v in fields.items() if k not in NOT_CORRECTED}


async def _submit(
    request: Request,
    me: Principal,
    raw: dict[str, Any],
    form,
    *,
    correcting: str | None = None,
    stored: dict[str, Any] | None = None,
) -> Response:
    outcome, problems = await decide_one(request, me, raw)
    if not problems:
        ref = outcome["external_ref"] or raw.get("external_ref")
        return session.redirect(request, _claim_url(ref) + f"?done={outcome['outcome']}")
    problems_shown = []
    inputs = shown_inputs(FIELDS, correcting)
    for p in problems:
        field = (p.get("field") or "").split("[")[0].split(".")[0] or None
        problems_shown.append(
            _error(request, p["code"], field if field in inputs else None, p.get("message"), inputs)
        )
    shown = dict(stored or {}) | {k: v for k, v in raw.items() if k != "employee_cpr"}
    employee = None
    if stored and stored.get("employee_cpr"):
        employee = mask_owner("cpr", str(stored["employee_cpr"]).replace("-", ""))
    elif not correcting:
        shown.pop("employee_cpr", None)  # never echoed: the employer types it again
    return _claim_form(
        request, shown, correcting=correcting, problems=problems_shown, status=422,
        employee=employee,
    )  # fmt: skip


# -- a claim file -------------------------------------------------------------------------------


@router.get("/employer/upload")
def upload_form(request: Request, me: Employer) -> Response:
    session.ensure(request)
    recent = jobs.recent(state(request).engine, me.cvr)
    labels = errors.labels(UPLOAD, render.gettext(request))
    return render.page(request, "employer/upload.html", {"jobs": recent, "labels": labels})


@router.post("/employer/upload")
async def upload(request: Request, me: Employer) -> Response:
    form = await session.checked_form(request)
    app = state(request)
    sent = form.get("file")
    if sent is None or isinstance(sent, str) or not sent.filename:
        return _upload_refused(request, me)
    suffix = "." + sent.filename.rsplit(".", 1)[-1].lower() if "." in sent.filename else ""
    file_name = FILE_NAMES.get(suffix, "upload.json")
    spool = jobs.spool_dir(app.settings)
    name = jobs.new_spool_name()
    path = spool / name
    digest, size, newlines = hashlib.sha256(), 0, 0
    first, last = b"", b""
    try:
        with open(path, "xb") as out:
            while chunk := await sent.read(CHUNK):
                if not first and chunk.strip():
                    first = chunk.lstrip()[:1]
                size += len(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            path.unlink(missing_ok=True)
            return _upload_refused(request, me)
        job = await run_in_threadpool(
            lambda: jobs.create(
                app.engine,
                employer_cvr=me.cvr,
                actor=me.actor,
                spool_name=name,
                file_name=file_name,
                size_bytes=size,
                sha256=digest.hexdigest(),
                received_on=app.clock.today(),
                now=app.clock.now(),
                expected_records=jobs.expected(newlines, last, first, file_name),
            )
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return session.redirect(request, f"/employer/jobs/{job.id}")


def _upload_refused(request: Request, me: Principal) -> Response:
    recent = jobs.recent(state(request).engine, me.cvr)
    shown = [_error(request, "REQUEST_INVALID", "file", None, UPLOAD)]
    labels = errors.labels(UPLOAD, render.gettext(request))
    return render.page(
        request,
        "employer/upload.html",
        {"jobs": recent, "errors": shown, "labels": labels},
        status=422,
    )


@router.get("/employer/jobs/{job_id}")
def job(
    request: Request,
    me: Employer,
    job_id: Annotated[int, Path(ge=1, le=2**62)],
    auto: Annotated[int, Query(ge=0, le=1)] = 1,
) -> Response:
    try:
        found = jobs.get(state(request).engine, job_id, me.cvr)
    except NotFound:
        raise session.Refused(404, "JOB_NOT_FOUND") from None
    running = found.status in (jobs.QUEUED, jobs.RUNNING)
    expected = found.expected_records
    response = render.page(
        request,
        "employer/job.html",
        {
            "job": found,
            "running": running,
            "auto": bool(auto),
            "expected": max(expected, found.counts["records"]) if expected else None,
            "percent": min(100, round(100 * found.counts["records"] / expected))
            if expected
            else None,
            "claim_url": _claim_url,
        },
    )
    if running and auto:
        response.headers["Refresh"] = str(REFRESH)
    return response


# -- the company's NemKonto ----------------------------------------------------------------------


@router.get("/employer/nemkonto")
def nemkonto(request: Request, me: Employer) -> Response:
    app = state(request)
    current, reason = None, None
    try:
        current = service.show(
            app.engine, "cvr", me.cvr, on=app.clock.today(), reveal=False, actor=me.actor,
            now=app.clock.now(),
        )  # fmt: skip
    except NotFound as missing:
        reason = getattr(missing, "reason", None)
    history = service.history(
        app.engine, "cvr", me.cvr, reveal=False, actor=me.actor, now=app.clock.now()
    )
    return render.page(
        request,
        "employer/nemkonto.html",
        {"current": current, "reason": reason, "history": list(reversed(history))},
    )


# -- a maternity claim in a form: its own module, on this router (the group's one module) -----

from api.web.routes import employer_maternity  # noqa: E402 (it uses this module's helpers)

router.include_router(employer_maternity.router)
