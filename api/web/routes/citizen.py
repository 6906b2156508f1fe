"""The citizen's pages, "Din NemKonto": ``/citizen/…``.

The CPR is the session's (the log-in's), never a path, a query or a form field: no page
takes a number that names a person, so no parameter can show another citizen's account or
payments. Every page calls the services the API's citizen routes call
(:mod:`payments.citizen`, :mod:`payments.registry.service`, :mod:`payments.order_views`).

- ``/citizen``: the NemKonto paid into today (masked: ``****1234``), since when and through
  which channel — or why there is none — and a change waiting for its letter's code, with
  the last day the code is valid.
- ``/citizen/change/…``: one question per page — the account's kind (Danish or foreign),
  the account, "check your answers", then a receipt to print: a letter with an activation
  code has been sent to the citizen's address, valid for
  :data:`~payments.registry.lifecycle.ACTIVATION_VALID_DAYS` days (the registry's rule,
  until the day shown). The answers wait in the server-side session until confirmed. An
  account number typed in is never shown again in full: the check page masks it, and a
  page with an error leaves the account number's field empty for retyping.
- ``/citizen/activate``: the letter's code. A wrong one counts toward the lock (five lock
  the change, in the database) and attempts are rate limited per person, with the same
  limiter as the API's (``app.limits["activation"]``). Once the code's last day has passed
  (``ACCOUNT_ACTIVATION_EXPIRED``) neither page asks for it: both say it has expired and
  offer to register the account again, which sends a new letter.
- ``/citizen/history``: every registration, oldest first, masked.
- ``/citizen/payments``: every payment to the citizen with its state; a held or returned
  one with the reason in plain words and what to do (:data:`payments.order_views.ADVICE`,
  translated).
- ``/citizen/decisions``: decisions on claims about the citizen as an employee, with the
  explanation.

After an action the page the citizen lands on says what happened (a notice with a stable
code, kept in the session for one page view).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from api.problems import ApiError
from api.state import state
from api.web import errors, session
from api.web.i18n import N_
from api.web.render import gettext, page
from api.web.session import checked_form, signed_in
from identifiers import IdentifierError
from payments import citizen, order_views
from payments.errors import PaymentsError
from payments.registry import lifecycle, service
from payments.registry.lifecycle import Account
from payments.tokens import Principal

ROLE = "citizen"
HOME = "/citizen"
NAV = [
    ("/citizen", N_("Your NemKonto")),
    ("/citizen/payments", N_("Your payments")),
    ("/citizen/decisions", N_("Decisions about you")),
]
router = APIRouter(prefix="/citizen", include_in_schema=False)
Citizen = Annotated[Principal, Depends(signed_in(ROLE))]
Form = Annotated[FormData, Depends(checked_form)]
After = Annotated[int, Query(ge=0, le=2**62)]
PAGE = 50
KINDS = ("dk", "iban")
#: the account page's inputs, per kind: input id -> its label (the page's, and the one
#: its errors name it by: :mod:`api.web.errors`)
FIELDS = {
    "dk": {"reg_no": errors.Field(N_("Registration number")),
           "account_no": errors.Field(N_("Account number"))},
    "iban": {"iban": errors.Field(N_("IBAN")),
             "bic": errors.Field(N_("BIC (SWIFT code), if your bank gave you one"))},
}  # fmt: skip
OPTIONAL = {"bic"}  # the inputs that may be left empty


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _data(request: Request) -> dict:
    found = session.current(request)
    return dict(found.data) if found else {}


def _keep(request: Request, **changes) -> None:
    data = _data(request) | changes
    session.save(request, {k: v for k, v in data.items() if v is not None})


def _notice(request: Request) -> str | None:
    """The notice of the last action, shown once."""
    data = _data(request)
    notice = data.pop("notice", None)
    if notice:
        session.save(request, data)
    return notice


# -- the NemKonto -----------------------------------------------------------------------------


@router.get("")
def nemkonto(request: Request, me: Citizen) -> Response:
    app = state(request)
    found = citizen.overview(app.engine, me.cpr, on=app.clock.today())
    return page(request, "citizen/nemkonto.html", {"nemkonto": found, "notice": _notice(request)})


@router.get("/history")
def history(request: Request, me: Citizen) -> Response:
    app = state(request)
    rows = service.history(
        app.engine, "cpr", me.cpr, reveal=False, actor=me.actor, now=app.clock.now()
    )
    return page(request, "citizen/history.html", {"rows": [citizen.owner_view(r) for r in rows]})


# -- changing it, one question per page ----------------------------------------------------


@router.get("/change")
def change_start(request: Request, me: Citizen) -> Response:
    _keep(request, change={}, receipt=None)
    return session.redirect(request, "/citizen/change/type")


@router.get("/change/type")
def change_type(request: Request, me: Citizen) -> Response:
    change = _data(request).get("change") or {}
    return page(request, "citizen/change_type.html", {"kind": change.get("kind")})


@router.post("/change/type")
def change_type_post(request: Request, me: Citizen, form: Form) -> Response:
    kind = _text(form, "kind")
    if kind not in KINDS:
        _ = gettext(request)
        problem = errors.error("WEB_FIELD_REQUIRED", "kind", _)
        problem["message"] = _("Choose the kind of account")
        return page(
            request, "citizen/change_type.html", {"kind": None, "errors": [problem]}, status=422
        )
    change = _data(request).get("change") or {}
    if change.get("kind") != kind:
        change = {}  # another kind of account: the other answers no longer apply
    _keep(request, change=change | {"kind": kind})
    return session.redirect(request, "/citizen/change/account")


def _account_page(request: Request, change: dict, problems: list[dict], status: int = 200):
    return page(
        request,
        "citizen/change_account.html",
        {
            "labels": errors.labels(FIELDS[change["kind"]], gettext(request)),
            "kind": change["kind"],
            "reg_no": change.get("reg_no", ""),
            "iban": change.get("iban", ""),
            "bic": change.get("bic", ""),
            "errors": problems,
        },
        status=status,
    )


@router.get("/change/account")
def change_account(request: Request, me: Citizen) -> Response:
    change = _data(request).get("change") or {}
    if change.get("kind") not in KINDS:
        return session.redirect(request, "/citizen/change/type")
    # the account number typed before is never shown again (in full): it is typed anew
    shown = {k: v for k, v in change.items() if k != "account_no"}
    return _account_page(request, shown, [])


@router.post("/change/account")
def change_account_post(request: Request, me: Citizen, form: Form) -> Response:
    change = _data(request).get("change") or {}
    kind = change.get("kind")
    if kind not in KINDS:
        return session.redirect(request, "/citizen/change/type")
    _ = gettext(request)
    inputs = FIELDS[kind]
    given = {name: _text(form, name) for name in inputs}
    problems = [
        errors.error("WEB_FIELD_REQUIRED", name, _, fields=inputs)
        for name in inputs
        if name not in OPTIONAL and not given[name]
    ]
    account = None
    if not problems:
        try:
            account = Account.parse(**given)
        except (PaymentsError, IdentifierError) as exc:
            # the identifiers name a bad Danish account number "account"
            fields = {n: n for n in inputs} | {"account": "account_no" if kind == "dk" else "iban"}
            problems.append(
                errors.of(exc, _, fields=fields, default=next(iter(inputs)), labels=inputs)
            )
    if problems:
        shown = {"kind": kind} | {k: v for k, v in given.items() if k != "account_no"}
        return _account_page(request, shown, problems, status=422)
    answers = {"kind": kind, "reg_no": account.reg_no, "account_no": account.account_no,
               "iban": account.iban, "bic": account.bic}  # fmt: skip
    _keep(request, change={k: v for k, v in answers.items() if v})
    return session.redirect(request, "/citizen/change/check")


def _answers(request: Request) -> tuple[dict, Account | None]:
    change = _data(request).get("change") or {}
    try:
        account = Account.parse(
            reg_no=change.get("reg_no"),
            account_no=change.get("account_no"),
            iban=change.get("iban"),
            bic=change.get("bic"),
        )
    except (PaymentsError, IdentifierError):
        account = None
    return change, account


def _check_page(request: Request, change: dict, account: Account, problems=(), status=200):
    return page(
        request,
        "citizen/change_check.html",
        {"change": change, "masked": account.mask(), "errors": list(problems)},
        status=status,
    )


@router.get("/change/check")
def change_check(request: Request, me: Citizen) -> Response:
    change, account = _answers(request)
    if account is None:
        return session.redirect(request, "/citizen/change/type")
    return _check_page(request, change, account)


@router.post("/change/check")
def change_check_post(request: Request, me: Citizen, form: Form) -> Response:
    change, account = _answers(request)
    if account is None:  # sent twice, or the answers are gone: nothing to register
        return session.redirect(request, "/citizen")
    app = state(request)
    today, now = app.clock.today(), app.clock.now()
    try:
        done = service.register(
            app.engine,
            "cpr",
            me.cpr,
            account,
            channel="citizen",
            actor=me.actor,
            on=today,
            now=now,
            by_owner=True,  # the citizen, logged in: the letter is the second factor
        )
    except (PaymentsError, IdentifierError) as exc:
        problem = errors.of(exc, gettext(request), default="account")
        return _check_page(request, change, account, [problem], status=409)
    receipt = {
        "outcome": done.outcome,
        "registration_id": done.registration_id,
        "account": account.mask(),
        "requested_on": today.isoformat(),
        "valid_until": lifecycle.activation_valid_until(today).isoformat(),
    }
    _keep(request, change=None, receipt=receipt)
    return session.redirect(request, "/citizen/change/receipt")


@router.get("/change/receipt")
def change_receipt(request: Request, me: Citizen) -> Response:
    receipt = _data(request).get("receipt")
    if not receipt:
        return session.redirect(request, "/citizen")
    return page(
        request,
        "citizen/change_receipt.html",
        {"receipt": receipt, "valid_days": lifecycle.ACTIVATION_VALID_DAYS},
    )


# -- the letter's code ------------------------------------------------------------------------


def _activate_page(request: Request, me: Principal, problems=(), status=200):
    app = state(request)
    found = citizen.overview(app.engine, me.cpr, on=app.clock.today())
    return page(
        request,
        "citizen/activate.html",
        {"waiting": found["waiting"], "errors": list(problems)},
        status=status,
    )


@router.get("/activate")
def activate(request: Request, me: Citizen) -> Response:
    return _activate_page(request, me)


@router.post("/activate")
def activate_post(request: Request, me: Citizen, form: Form) -> Response:
    _ = gettext(request)
    code = _text(form, "code")
    if not code:
        problem = errors.error("WEB_FIELD_REQUIRED", "code", _)
        problem["message"] = _("Enter the activation code from your letter")
        return _activate_page(request, me, [problem], status=422)
    app = state(request)
    now = app.clock.now()
    try:
        app.limits["activation"].check(me.subject, now)
        service.activate(
            app.engine, "cpr", me.cpr, code, actor=me.actor, on=app.clock.today(), now=now
        )
    except ApiError as exc:  # RATE_LIMITED
        return _activate_page(request, me, [errors.of(exc, _, default="code")], status=429)
    except (PaymentsError, IdentifierError) as exc:
        if exc.code == "ACCOUNT_ACTIVATION_EXPIRED":  # the page says so, and offers a new letter
            return _activate_page(request, me, status=409)
        return _activate_page(request, me, [errors.of(exc, _, default="code")], status=422)
    _keep(request, notice="WEB_NEMKONTO_ACTIVATED", receipt=None)
    return session.redirect(request, "/citizen")


# -- payments and decisions -------------------------------------------------------------------


@router.get("/payments")
def payments(request: Request, me: Citizen, after: After = 0) -> Response:
    items = order_views.to_payee(state(request).engine, "cpr", me.cpr, after=after, limit=PAGE)
    return page(
        request,
        "citizen/payments.html",
        {"items": items, "next_after": items[-1]["order_id"] if len(items) == PAGE else None},
    )


@router.get("/decisions")
def decisions(request: Request, me: Citizen, after: After = 0) -> Response:
    items = citizen.decisions(state(request).engine, me.cpr, after=after, limit=20)
    return page(
        request,
        "citizen/decisions.html",
        {"items": items, "next_after": items[-1]["sequence"] if len(items) == 20 else None},
    )
