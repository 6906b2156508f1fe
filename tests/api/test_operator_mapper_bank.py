"""Operators' night, the bank's rows and answers, and an authority's mapper messages."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from iso20022 import pain002_writer
from payments.db import session_scope
from payments.models import AccountRegistration, IdempotencyKey
from tests.api.conftest import CITIZEN, EMPLOYER, NOW, OTHER_CITIZEN, engine_of, letter_code
from tests.support import worked

TS = "2024-03-20T09:00:00Z"


def _bank_rows(*owners: tuple[str, str, str]) -> dict:
    return {
        "rows": [
            {
                "owner_kind": kind,
                "owner_number": number,
                "reg_no": "1234",
                "account_no": account,
                "action": "register",
                "effective_date": "2024-03-01",
            }
            for kind, number, account in owners
        ]
    }


def _envelope(action: str, items: list[dict], message_id: str = "m-1", **header) -> dict:
    return {
        "header": {
            "message_id": message_id,
            "message_ts": TS,
            "action": action,
            "sender_id": "kommune.example.dk",
            "total_count": len(items),
        }
        | header,
        "message": {"transaction_id": "t-1", f"{action}_request": items},
    }


def test_bank_rows_are_applied_as_the_file_and_rejected_rows_named(client, token):
    body = _bank_rows(("cvr", EMPLOYER, "77"), ("cpr", "not-a-cpr", "1"))
    first = client.post("/v1/bank/registrations", json=body, headers=token("bank")).json()
    assert (first["registered"], first["rejected"]) == (1, 1)
    assert first["outcomes"][1] == {
        "row": 2,
        "outcome": "rejected",
        "code": "ID_CPR_INVALID",
        "field": "owner_number",
        "message": first["outcomes"][1]["message"],
    }
    again = client.post("/v1/bank/registrations", json=body, headers=token("bank")).json()
    assert (again["registered"], again["unchanged"]) == (0, 1)


def test_a_night_through_the_api_with_four_eyes(client, token, app):
    client.post("/v1/bank/registrations", json=_bank_rows(("cvr", EMPLOYER, "77")),
                headers=token("bank"))  # fmt: skip
    client.post("/v1/claims", json=worked(), headers=token("employer"))
    alice, bob = token("operator", "alice"), token("operator", "bob")
    run = client.post("/v1/batches", json={"date": "2024-03-20"}, headers=alice)
    assert run.status_code == 201 and run.json()["orders"] == 1
    again = client.post("/v1/batches", json={"date": "2024-03-20"}, headers=bob)
    assert again.status_code == 200 and again.json()["batch_id"] == run.json()["batch_id"]
    batch = run.json()["batch_id"]
    own = client.post(f"/v1/batches/{batch}/approval", headers=alice)
    assert own.status_code == 409 and own.json()["code"] == "BATCH_FOUR_EYES"
    early = client.post(f"/v1/batches/{batch}/release", headers=bob)
    assert early.status_code == 409 and early.json()["code"] == "BATCH_NOT_APPROVED"
    assert client.post(f"/v1/batches/{batch}/approval", headers=bob).status_code == 200
    shown = client.get("/v1/claims/ACME-0001", headers=token("employer")).json()
    assert shown["orders"][0]["state"] == "in_batch"
    released = client.post(f"/v1/batches/{batch}/release", headers=alice).json()
    assert released["status"] == "released"
    sent = client.get("/v1/claims/ACME-0001", headers=token("employer")).json()["orders"][0]
    assert (sent["state"], sent["payment_date"]) == ("sent", "2024-03-21")
    listed = client.get("/v1/batches", headers=alice).json()["items"]
    assert [b["status"] for b in listed] == ["released"]
    e2e = _end_to_end_ids(app)
    report = io.BytesIO()
    pain002_writer.write(
        report,
        msg_id="BANK-1",
        created_at=NOW,
        original_msg_id=released["files"][0]["msg_id"],
        group_status="ACSC",
        transactions=[pain002_writer.TxAnswer(e, "ACSC") for e in e2e],
    )
    imported = client.post(
        "/v1/returns",
        content=report.getvalue(),
        headers=alice | {"Content-Type": "application/xml"},
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["settled"], imported.json()["created"]) == (1, True)
    twice = client.post(
        "/v1/returns",
        content=report.getvalue(),
        headers=alice | {"Content-Type": "application/xml"},
    )
    assert twice.json()["created"] is False
    settled = client.get("/v1/claims/ACME-0001", headers=token("employer")).json()["orders"][0]
    assert settled["state"] == "settled"
    shown = client.get(f"/v1/batches/{batch}", headers=alice).json()
    assert shown["orders_by_state"] == {"settled": {"count": 1, "amount": "16901.75"}}
    garbage = client.post(
        "/v1/returns", content=b"<x/>", headers=alice | {"Content-Type": "application/xml"}
    )
    assert garbage.status_code == 422


def _end_to_end_ids(app) -> list[str]:
    from payments.models import BatchItem

    with session_scope(engine_of(app)) as s:
        return list(s.scalars(select(BatchItem.end_to_end_id)))


def test_held_orders_are_listed_masked_and_a_batch_can_be_rejected(client, token):
    client.post("/v1/claims", json=worked(salary_paid=False), headers=token("employer"))
    alice = token("operator", "alice")
    run = client.post("/v1/batches", json={"date": "2024-03-20"}, headers=alice).json()
    held = client.get("/v1/orders?state=held&reason=NO_ACCOUNT", headers=alice).json()["items"]
    assert [(h["payee"]["number"], h["reason"]) for h in held] == [("010190-****", "NO_ACCOUNT")]
    assert held[0]["advice"]
    none = client.get("/v1/orders?state=held&reason=AMOUNT_REVIEW", headers=alice).json()
    assert none["items"] == []
    review = client.post(f"/v1/orders/{held[0]['order_id']}/review-approval", headers=alice)
    assert review.status_code == 409 and review.json()["code"] == "ORDER_NOT_IN_REVIEW"
    rejected = client.post(
        f"/v1/batches/{run['batch_id']}/rejection",
        json={"reason": "wrong date"},
        headers=token("operator", "bob"),
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    mine = client.get("/v1/me/payments", headers=token("citizen")).json()["items"][0]
    assert (mine["state"], mine["reason"]) == ("held", "NO_ACCOUNT") and mine["advice"]


def test_mapper_resolve_yes_no_and_details_with_the_scope(client, token):
    client.post("/v1/bank/registrations", json=_bank_rows(("cpr", CITIZEN, "56789")),
                headers=token("bank"))  # fmt: skip
    items = [
        {"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}"},
        {"reference_id": "2", "timestamp": TS, "id": f"cpr:{OTHER_CITIZEN}@cpr.dk"},
        {"reference_id": "3", "timestamp": TS, "id": "cpr:123"},
        {"reference_id": "3", "timestamp": TS, "id": f"cpr:{CITIZEN}"},
        {"reference_id": "4", "timestamp": TS, "id": f"cpr:{CITIZEN}", "scope": "details"},
        {"reference_id": "5", "timestamp": TS, "fa": "account:1234-56789"},
        {"reference_id": "6", "timestamp": TS, "id": f"cpr:{CITIZEN}", "fa": "account:1234-1"},
    ]
    plain = client.post(
        "/v1/mapper/sync/resolve", json=_envelope("resolve", items), headers=token("authority")
    )
    answers = plain.json()["message"]["resolve_response"]
    assert [(a["status"], a["status_reason_code"]) for a in answers] == [
        ("succ", "succ.fa.active"),
        ("succ", "succ.id.not_found"),
        ("rjct", "rjct.id.invalid"),
        ("rjct", "rjct.reference_id.duplicate"),
        ("rjct", "rjct.resolve_type.not_supported"),
        ("rjct", "rjct.resolve_type.not_supported"),
        ("succ", "succ.fa.not_linked_to_id"),
    ]
    assert "fa" not in answers[0] or answers[0]["fa"] is None
    detailed = client.post(
        "/v1/mapper/sync/resolve",
        json=_envelope("resolve", items[4:5], message_id="m-2"),
        headers=token("authority", scopes=("mapper:details",)),
    ).json()["message"]["resolve_response"][0]
    assert (detailed["status_reason_code"], detailed["fa"]) == (
        "succ.fa.active",
        "account:****6789",
    )


def test_mapper_message_ids_are_idempotent(client, token, app):
    items = [{"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}", "fa": "account:1234-5"}]
    first = client.post(
        "/v1/mapper/sync/link", json=_envelope("link", items), headers=token("authority")
    )
    again = client.post(
        "/v1/mapper/sync/link", json=_envelope("link", items), headers=token("authority")
    )
    assert first.status_code == again.status_code == 200 and first.content == again.content
    changed = [items[0] | {"fa": "account:1234-6"}]
    dup = client.post(
        "/v1/mapper/sync/link", json=_envelope("link", changed), headers=token("authority")
    )
    assert dup.status_code == 409
    assert dup.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    with session_scope(engine_of(app)) as s:
        assert s.scalar(select(func.count()).select_from(AccountRegistration)) == 1
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_a_resolve_message_id_answers_its_first_answer_and_refuses_another_message(
    client, token, app
):
    items = [{"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}"}]
    first = client.post(
        "/v1/mapper/sync/resolve", json=_envelope("resolve", items), headers=token("authority")
    )
    client.post("/v1/bank/registrations", json=_bank_rows(("cpr", CITIZEN, "5")),
                headers=token("bank"))  # fmt: skip
    again = client.post(
        "/v1/mapper/sync/resolve", json=_envelope("resolve", items), headers=token("authority")
    )
    assert first.status_code == again.status_code == 200
    assert first.content == again.content  # the stored answer, though the account is new
    answer = first.json()["message"]["resolve_response"][0]
    assert answer["status_reason_code"] == "succ.id.not_found"
    other = [items[0] | {"reference_id": "2"}]
    dup = client.post(
        "/v1/mapper/sync/resolve", json=_envelope("resolve", other), headers=token("authority")
    )
    assert dup.status_code == 409
    assert dup.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    fresh = client.post(
        "/v1/mapper/sync/resolve",
        json=_envelope("resolve", items, message_id="m-2"),
        headers=token("authority"),
    )
    assert fresh.json()["message"]["resolve_response"][0]["status_reason_code"] == (
        "succ.fa.active"
    )
    with session_scope(engine_of(app)) as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyKey)) == 2


def test_mapper_link_waits_for_the_letter_and_unlink_closes(client, token, app):
    link = [{"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}", "fa": "account:1234-5"}]
    company = [
        {"reference_id": "2", "timestamp": TS, "id": f"cvr:{EMPLOYER}", "fa": "account:1234-5"}
    ]
    answer = client.post(
        "/v1/mapper/sync/link", json=_envelope("link", link + company), headers=token("authority")
    ).json()["message"]["link_response"]
    assert [(a["status"], a["code"]) for a in answer] == [
        ("pdng", None),
        ("rjct", "ACCOUNT_CHANNEL_NOT_ALLOWED"),
    ]
    with session_scope(engine_of(app)) as s:
        registration = s.scalar(select(AccountRegistration.id))
    code = letter_code(engine_of(app), registration)
    assert client.post("/v1/me/nemkonto/activation", json={"code": code},
                       headers=token("citizen")).status_code == 200  # fmt: skip
    update = client.post(
        "/v1/mapper/sync/update",
        json=_envelope(
            "update",
            [link[0] | {"reference_id": "9", "id": f"cpr:{OTHER_CITIZEN}"}],
            message_id="m-u",
        ),  # fmt: skip
        headers=token("authority"),
    ).json()["message"]["update_response"][0]
    assert (update["status"], update["code"]) == ("rjct", "ACCOUNT_NOT_FOUND")
    wrong_fa = [
        {"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}", "fa": "account:1234-9"}
    ]
    refused = client.post(
        "/v1/mapper/sync/unlink",
        json=_envelope("unlink", wrong_fa, message_id="m-3"),
        headers=token("authority"),
    ).json()["message"]["unlink_response"][0]
    assert refused["code"] == "ACCOUNT_CLOSE_MISMATCH"
    unlink = [{"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}"}]
    done = client.post(
        "/v1/mapper/sync/unlink",
        json=_envelope("unlink", unlink, message_id="m-4"),
        headers=token("authority"),
    ).json()["message"]["unlink_response"][0]
    assert done["status"] == "succ"
    mine = client.get("/v1/me/nemkonto", headers=token("citizen")).json()
    assert mine["nemkonto"] is None


def test_mapper_header_must_match_the_endpoint(client, token):
    items = [{"reference_id": "1", "timestamp": TS, "id": f"cpr:{CITIZEN}"}]
    wrong_action = client.post(
        "/v1/mapper/sync/resolve", json=_envelope("link", items) | {"message": {
            "transaction_id": "t", "resolve_request": items}}, headers=token("authority")
    )  # fmt: skip
    assert wrong_action.status_code == 422
    assert wrong_action.json()["header"]["status_reason_code"] == "rjct.action.invalid"
    count = client.post(
        "/v1/mapper/sync/resolve",
        json=_envelope("resolve", items, total_count=5),
        headers=token("authority"),
    )
    assert count.json()["header"]["status_reason_code"] == "rjct.total_count.invalid"


def test_the_bank_answer_lists_returned_and_not_applied_transactions_masked(
    client, token, app, monkeypatch
):
    """``POST /v1/returns`` answers with the first returned and not-applied transactions:
    whose account each was (masked: never a full CPR or account number) and what happens
    next, each list bounded, with its count and whether it was cut short."""
    import api.routes.operator as operator_routes

    rows = _bank_rows(("cpr", CITIZEN, "56789"), ("cpr", OTHER_CITIZEN, "77777"))
    assert (
        client.post("/v1/bank/registrations", json=rows, headers=token("bank")).status_code == 200
    )
    employer = token("employer")
    client.post("/v1/claims", json=worked(salary_paid=False), headers=employer)
    other = worked(external_ref="ACME-0002", employee_cpr="020285-1234", salary_paid=False)
    client.post("/v1/claims", json=other, headers=employer)
    alice, bob = token("operator", "alice"), token("operator", "bob")
    batch = client.post("/v1/batches", json={"date": "2024-03-20"}, headers=alice).json()
    assert batch["orders"] == 2
    client.post(f"/v1/batches/{batch['batch_id']}/approval", headers=bob)
    released = client.post(f"/v1/batches/{batch['batch_id']}/release", headers=alice).json()
    from payments.models import BatchItem, PaymentOrder

    with session_scope(engine_of(app)) as s:
        by_payee = dict(
            s.execute(
                select(PaymentOrder.payee_number, BatchItem.end_to_end_id).join(
                    BatchItem, BatchItem.order_id == PaymentOrder.id
                )
            ).all()
        )
    mine, theirs = by_payee[CITIZEN], by_payee[OTHER_CITIZEN]
    report = io.BytesIO()
    pain002_writer.write(
        report, msg_id="BANK-2", created_at=NOW, original_msg_id=released["files"][0]["msg_id"],
        group_status="PART",
        transactions=[
            pain002_writer.TxAnswer(mine, "RJCT", "AC04"),  # the account: returned
            pain002_writer.TxAnswer(theirs, "RJCT", "MS03"),  # and accepted: not applied
            pain002_writer.TxAnswer(theirs, "ACSC"),
        ],
    )  # fmt: skip
    monkeypatch.setattr(operator_routes, "RETURNS_LISTED", 1)
    answer = client.post(
        "/v1/returns",
        content=report.getvalue(),
        headers=alice | {"Content-Type": "application/xml"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["returned"], body["settled"], body["by_reason"]) == (1, 0, {"AC04": 1})
    assert body["returned_transactions"] == [
        {
            "end_to_end_id": mine,
            "order_id": body["returned_transactions"][0]["order_id"],
            "amount": "16901.75",
            "reason": "AC04",
            "owner": "010190-****",
            "account": "****6789",
            "state": "returned",
            "next": "new_account",
            "next_text": "held until a new account is registered",
        }
    ]
    assert body["returned_transactions_truncated"] is False
    # the contradiction is two statuses not applied; the answer lists the first (limit 1)
    assert (body["not_applied_count"], body["not_applied_transactions_truncated"]) == (2, True)
    [held] = body["not_applied_transactions"]
    assert (held["end_to_end_id"], held["status"], held["reason"]) == (theirs, "RJCT", "MS03")
    assert (held["owner"], held["account"], held["next"]) == ("020285-****", "****7777", "apply")
    assert held["why"] == "rejected and accepted in the same file" and held["order_id"]
    for full in (CITIZEN, OTHER_CITIZEN, "010190-1234", "020285-1234", "56789", "77777"):
        assert full not in answer.text
    again = client.post(
        "/v1/returns",
        content=report.getvalue(),
        headers=alice | {"Content-Type": "application/xml"},
    ).json()
    assert (again["created"], again["returned_transactions"]) == (False, [])
    assert again["not_applied_transactions"] == []
