"""Every endpoint × every role × someone else's resource: 403 or 404, and nothing changed.

The database is seeded with one citizen's registration and payment, one employer's claim
and claim-file job, and a batch. Then every endpoint is called by every role, aimed at
those resources while the token belongs to *another* citizen or employer (or to a role the
endpoint is not for). Each answer must be 403 or 404 with its code, and afterwards every
table must hold exactly what it held before — checked row by row, not by counting.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from payments.db import metadata, session_scope
from tests.api.conftest import CITIZEN, OTHER_CITIZEN, OTHER_EMPLOYER, engine_of
from tests.support import worked

TS = "2024-03-20T09:00:00Z"
ROLES = ("citizen", "employer", "bank", "authority", "operator", "auditor")


def _mapper(action: str, item: dict) -> dict:
    return {
        "header": {
            "message_id": f"mx-{action}",
            "message_ts": TS,
            "action": action,
            "sender_id": "x",
            "total_count": 1,
        },  # fmt: skip
        "message": {"transaction_id": "t", f"{action}_request": [item]},
    }


_ITEM = {"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}", "fa": "account:1234-9"}
#: (method, path, json body, roles allowed to use it); the resource is the seeded one
ENDPOINTS = [
    ("GET", "/v1/me/nemkonto", None, {"citizen"}),
    ("GET", "/v1/me/nemkonto/history", None, {"citizen"}),
    (
        "POST",
        "/v1/me/nemkonto",
        {"reg_no": "1234", "account_no": "9", "cpr": CITIZEN},
        {"citizen"},
    ),  # fmt: skip
    ("POST", "/v1/me/nemkonto/activation", {"code": "ABCDEFGH"}, {"citizen"}),
    ("GET", "/v1/me/payments", None, {"citizen"}),
    ("GET", "/v1/me/decisions", None, {"citizen"}),
    ("POST", "/v1/claims", worked(external_ref="NEW-1"), {"employer"}),
    ("POST", "/v1/claims", [worked(external_ref="NEW-2")], {"employer"}),
    ("GET", "/v1/claims", None, {"employer"}),
    ("GET", "/v1/claims/ACME-0001", None, {"employer"}),
    ("GET", "/v1/claims/ACME-0001/explanation", None, {"employer"}),
    ("GET", "/v1/jobs/1", None, {"employer"}),
    (
        "POST",
        "/v1/bank/registrations",
        {
            "rows": [
                {
                    "owner_kind": "cpr",
                    "owner_number": CITIZEN,
                    "reg_no": "1234",
                    "account_no": "9",
                    "action": "close",
                    "effective_date": "2024-03-21",
                }
            ]
        },
        {"bank"},
    ),  # fmt: skip
    ("POST", "/v1/mapper/sync/resolve", _mapper("resolve", _ITEM), {"authority"}),
    ("POST", "/v1/mapper/sync/link", _mapper("link", _ITEM), {"authority"}),
    ("POST", "/v1/mapper/sync/update", _mapper("update", _ITEM), {"authority"}),
    ("POST", "/v1/mapper/sync/unlink", _mapper("unlink", _ITEM), {"authority"}),
    ("POST", "/v1/batches", {"date": "2024-03-21"}, {"operator"}),
    ("GET", "/v1/batches", None, {"operator"}),
    ("GET", "/v1/batches/1", None, {"operator"}),
    ("POST", "/v1/batches/1/approval", None, {"operator"}),
    ("POST", "/v1/batches/1/release", None, {"operator"}),
    ("POST", "/v1/batches/1/rejection", {"reason": "no"}, {"operator"}),
    ("GET", "/v1/orders?state=held", None, {"operator"}),
    ("POST", "/v1/orders/1/review-approval", None, {"operator"}),
    ("GET", "/v1/audit", None, {"auditor"}),
    ("GET", "/v1/audit/verification", None, {"auditor"}),
]


def _snapshot(engine) -> dict[str, list]:
    with session_scope(engine) as s:
        return {
            t.name: [tuple(map(str, r)) for r in s.execute(select(t).order_by(*t.primary_key))]
            for t in metadata.sorted_tables
        }


@pytest.fixture
def seeded(client, token, app):
    bank_row = {
        "owner_kind": "cpr",
        "owner_number": CITIZEN,
        "reg_no": "1234",
        "account_no": "56789",
        "action": "register",
        "effective_date": "2024-03-01",
    }
    assert client.post("/v1/bank/registrations", json={"rows": [bank_row]},
                       headers=token("bank")).json()["registered"] == 1  # fmt: skip
    assert client.post("/v1/claims", json=worked(salary_paid=False),
                       headers=token("employer")).status_code == 201  # fmt: skip
    job = client.post(
        "/v1/claim-files",
        content=json.dumps(worked(external_ref="F-1")).encode(),
        headers=token("employer") | {"Content-Type": "application/json"},
    )
    assert job.status_code == 202
    assert client.post("/v1/batches", json={"date": "2024-03-20"},
                       headers=token("operator", "alice")).status_code == 201  # fmt: skip
    return engine_of(app)


def _intruder(token, role: str) -> dict:
    """A token of ``role`` that owns none of the seeded resources."""
    if role == "citizen":
        return token("citizen", cpr=OTHER_CITIZEN)
    if role == "employer":
        return token("employer", cvr=OTHER_EMPLOYER)
    return token(role, f"{role}-intruder")


def test_no_role_reaches_what_is_not_its_own(client, token, seeded):
    before = _snapshot(seeded)
    answers = []
    for method, path, body, allowed in ENDPOINTS:
        for role in ROLES:
            if role in allowed and role not in ("citizen", "employer"):
                continue  # operators, banks, authorities, auditors act on all (tested elsewhere)
            response = client.request(method, path, json=body, headers=_intruder(token, role))
            answers.append((method, path, role, response.status_code, response.json()))
    for method, path, role, status, body in answers:
        own = role in next(a for m, p, _, a in ENDPOINTS if (m, p) == (method, path))
        if not own:
            assert (status, body["code"]) == (403, "AUTH_FORBIDDEN"), (method, path, role)
        elif path.startswith("/v1/me/") and method == "GET":
            items = body if isinstance(body, list) else body.get("items", body.get("nemkonto"))
            assert status == 200 and not items, (path, body)  # only the caller's own: none
        elif path.startswith("/v1/me/"):
            assert status in (403, 409), (method, path, body)
        elif method == "GET" and path == "/v1/claims":
            assert status == 200 and body["items"] == []
        elif method == "GET":
            assert status == 404, (path, status)
        else:  # claims naming the seeded employer sent by another employer
            codes = [body.get("code")] + [
                c for o in body.get("outcomes", ()) for c in o.get("codes", ())
            ]
            assert status in (200, 403) and "AUTH_SUBJECT_MISMATCH" in codes, (path, body)
    after = _snapshot(seeded)
    changed = {name for name in before if before[name] != after[name]}
    # the only writes allowed: the intruding citizen's counted, refused activation attempt
    # has nothing to count (it has no registration), so nothing at all may change
    assert changed == set(), changed
