"""What a citizen is told about themselves: payments to them, and decisions about them.

The citizen is the CPR number in their token, never one a request names. Payments are the
orders to their CPR (:mod:`payments.order_views`, with the plain advice for a held one).
Decisions are those on claims where they are the employee — the employer's claim for their
sick pay or maternity pay decides what they (or the employer for them) are paid, and the
decision's explanation is the notice they are owed: the amount, the reasons and the rules
applied, step by step. The employer's CVR is public; other people's CPR numbers never
appear (the payee of a decision is the employer or the citizen themselves).

The NemKonto as its owner sees it (:func:`overview`): the account paid into today, masked,
or why there is none; and the request waiting for its letter's code, with the last day the
code is valid and whether that day has passed — the API's ``/v1/me/nemkonto`` and the
citizen's page both show it from here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.engine import Engine

from identifiers import mask_owner
from payments import money
from payments.claims import queries
from payments.db import read_scope
from payments.employer import explanation_text
from payments.models import Claim
from payments.registry import lifecycle, periods, service
from payments.statuses import HoldReason, RegistrationStatus

PAGE_MAX = 100


def decisions(engine: Engine, cpr: str, *, after: int = 0, limit: int = 20) -> list[dict]:
    """The live decisions on claims about the citizen, oldest first, paged by claim id."""
    query = queries.live_page(Claim.employee_cpr == cpr, after=after, limit=limit, most=PAGE_MAX)
    with read_scope(engine) as session:
        rows = session.execute(query).all()
    out = []
    for claim, decision in rows:
        document = json.loads(decision.document) | {"version": claim.version}
        payee = document.get("payee")
        out.append(
            {
                "sequence": claim.id,
                "employer_cvr": claim.employer_cvr,
                "external_ref": claim.external_ref,
                "kind": claim.kind,
                "first_absence_day": claim.first_day,
                "last_absence_day": claim.last_day,
                "version": claim.version,
                "decided_on": decision.decided_on,
                "status": decision.status,
                "amount": money.text(decision.amount_ore),
                "currency": "DKK",
                "paid_to": {
                    "kind": payee["kind"],
                    "number": mask_owner(payee["kind"], payee["number"]),
                }
                if payee
                else None,
                "reasons": [
                    {
                        "code": r["code"],
                        "message": r.get("message"),
                        "reference": r.get("reference"),
                    }
                    for r in document.get("reasons", ())
                ],
                "explanation": explanation_text(document),
            }
        )
    return out


def overview(engine: Engine, cpr: str, *, on: dt.date) -> dict[str, Any]:
    """The citizen's NemKonto today (masked), whether it can be paid into and why not, and
    the request waiting for activation (``waiting``, with ``valid_until`` and ``expired``:
    whether its code's last day is before ``on``) or None."""
    found = service.standing(engine, "cpr", cpr, on=on)
    view = found.in_force
    rejected = view is not None and view["status"] == RegistrationStatus.REJECTED_BY_BANK
    waiting = [
        v
        for v in found.history
        if v["status"] in periods.WAITING_STATUSES and v["ended_on"] is None
    ]
    request = None
    if waiting:
        valid_until = lifecycle.activation_valid_until(waiting[-1]["active_from"])
        # past its last day the code activates nothing (ACCOUNT_ACTIVATION_EXPIRED): the
        # owner registers the account again, which sends a new letter
        request = owner_view(waiting[-1]) | {
            "valid_until": valid_until,
            "expired": on > valid_until,
        }
    return {
        "as_of": on,
        "nemkonto": owner_view(view) if view is not None else None,
        "payable": view is not None and not rejected,
        "reason": HoldReason.REJECTED_BY_BANK.value if rejected else found.reason,
        "waiting": request,
    }


def owner_view(view: dict[str, Any]) -> dict[str, Any]:
    """A registration as its owner sees it: masked, without the clerks' internals."""
    return {
        "registration_id": view["registration_id"],
        "account": view["account"],
        "status": view["status"],
        "channel": view["channel"],
        "active_from": view["active_from"],
        "ended_on": view["ended_on"],
        "end_reason": view["end_reason"],
        "rejected_reason": view["rejected_reason"],
        "registered_at": view["registered_at"],
    }
