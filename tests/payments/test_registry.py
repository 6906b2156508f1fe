"""NemKonto registry lifecycle: register, activate (and lock), close, resolve, flag."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from payments.db import session_scope
from payments.models import AccountRegistration, AuditEvent
from payments.registry import bank_file, letters, lifecycle, lookup
from payments.registry.lifecycle import Account
from tests.support import code_of, stored_code

D = dt.date
CPR = "0101901234"
CPR2 = "0202901234"
CVR = "13585628"
A1 = Account.parse(reg_no="1234", account_no="567890")
A2 = Account.parse(reg_no="5678", account_no="1234567890")
A3 = Account.parse(iban="DK50 0040 0440 1162 43", bic="DABADKKK")


def _bank(s, now, account=A1, on=D(2024, 1, 1), number=CPR, kind="cpr"):
    return lifecycle.register(
        s, kind, number, account, channel="bank", actor="bank", on=on, now=now
    )


def test_whole_lifecycle(engine, now):
    with session_scope(engine) as s:
        first = _bank(s, now)
        assert first.outcome == "registered"
        assert _bank(s, now, on=D(2024, 2, 1)).outcome == "unchanged"
        pending = lifecycle.register(
            s, "cpr", CPR, A3, channel="citizen", actor="self", on=D(2024, 3, 1), now=now
        )
        assert pending.outcome == "pending" and pending.letter_id
        row = s.get(AccountRegistration, pending.registration_id)
        code = stored_code(s, pending.registration_id)
        assert row.activation_code_hash and code not in row.activation_code_hash
    with session_scope(engine) as s:  # pending does not change what is in force
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 3, 10)).id == first.registration_id
        done = lifecycle.activate(
            s, "cpr", CPR, code.lower(), actor="owner", on=D(2024, 3, 10), now=now
        )
        assert done.code is None and done.ended_id == first.registration_id
    with session_scope(engine) as s:
        assert lifecycle.as_of(s, "cpr", CPR, D(2023, 12, 31)) is None
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 3, 9)).id == first.registration_id
        now_in_force = lifecycle.as_of(s, "cpr", CPR, D(2024, 3, 10))
        assert now_in_force.id == pending.registration_id
        assert now_in_force.iban == "DK5000400440116243" and now_in_force.bic == "DABADKKK"
        old = s.get(AccountRegistration, first.registration_id)
        assert (old.status, old.ended_on, old.end_reason) == ("ended", D(2024, 3, 10), "replaced")
        assert now_in_force.activation_code_hash is None
        closed = lifecycle.close(
            s, "cpr", CPR, "deceased", actor="clerk", on=D(2024, 6, 1), now=now
        )
        assert closed.registration_id == pending.registration_id
    with session_scope(engine) as s:
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 5, 31)).id == pending.registration_id
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 6, 1)) is None
        hist = lifecycle.history(s, "cpr", CPR)
        assert [h.id for h in hist] == [first.registration_id, pending.registration_id]
        assert (
            code_of(
                lambda: lifecycle.close(
                    s, "cpr", CPR, "owner_request", actor="c", on=D(2024, 7, 1), now=now
                )
            )
            == "ACCOUNT_NONE_TO_CLOSE"
        )
        actions = s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        assert actions == [
            "account.registered",
            "account.registration_pending",
            "account.activated",
            "account.closed",
        ]
        for payload in s.execute(select(AuditEvent.payload)).scalars():
            assert CPR not in payload and "567890" not in payload and "0440116243" not in payload


def test_bank_change_ends_the_current_one_at_its_start_and_keeps_history(engine, now):
    with session_scope(engine) as s:
        a = _bank(s, now)
        b = _bank(s, now, account=A2, on=D(2024, 4, 1))  # a future change, known today
        assert b.ended_id == a.registration_id
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 3, 31)).id == a.registration_id
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 4, 1)).id == b.registration_id
        # a change dated before the history ends would rewrite it
        assert (
            code_of(lambda: _bank(s, now, account=A3, on=D(2024, 3, 15))) == "ACCOUNT_DATE_CONFLICT"
        )
        c = _bank(s, now, account=A3, on=D(2024, 4, 1))  # same-day correction is allowed
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 4, 1)).id == c.registration_id
        assert len(lifecycle.history(s, "cpr", CPR)) == 3


def test_channel_and_input_rules(engine, now):
    with session_scope(engine) as s:
        assert (
            code_of(
                lambda: lifecycle.register(
                    s, "cvr", CVR, A1, channel="citizen", actor="x", on=D(2024, 1, 1), now=now
                )
            )
            == "ACCOUNT_CHANNEL_NOT_ALLOWED"
        )
        assert _bank(s, now, kind="cvr", number=CVR).outcome == "registered"
        assert code_of(lambda: _bank(s, now, number="3201901234")) == "ID_CPR_INVALID"
        assert code_of(lambda: _bank(s, now, kind="cvr", number="13585629")) == "ID_CVR_INVALID"
        assert (
            code_of(
                lambda: lifecycle.register(
                    s, "cpr", CPR, A1, channel="post", actor="x", on=D(2024, 1, 1), now=now
                )
            )
            == "ACCOUNT_CHANNEL_INVALID"
        )
        assert (
            code_of(
                lambda: lifecycle.register(
                    s, "cpr", CPR, A1, channel="bank", actor=" ", on=D(2024, 1, 1), now=now
                )
            )
            == "ACTOR_INVALID"
        )
        assert (
            code_of(
                lambda: lifecycle.close(
                    s, "cvr", CVR, "deceased", actor="x", on=D(2024, 2, 1), now=now
                )
            )
            == "ACCOUNT_CLOSE_REASON_INVALID"
        )
        assert (
            code_of(
                lambda: lifecycle.close(
                    s, "cvr", CVR, "business_closed", actor="x", on=D(2023, 2, 1), now=now
                )
            )
            == "ACCOUNT_DATE_CONFLICT"
        )


@pytest.mark.parametrize(
    "given, code",
    [
        ({"reg_no": "123", "account_no": "1"}, "ID_REG_NO_INVALID"),
        ({"reg_no": "1234", "account_no": "0"}, "ID_ACCOUNT_INVALID"),
        ({"reg_no": "1234", "account_no": "12345678901"}, "ID_ACCOUNT_INVALID"),
        ({"iban": "DK5000400440116244"}, "ID_IBAN_INVALID"),
        ({"iban": "DK5000400440116243", "bic": "NOTABIC"}, "ID_BIC_INVALID"),
        (
            {"iban": "DK5000400440116243", "reg_no": "1234", "account_no": "1"},
            "ACCOUNT_FORM_INVALID",
        ),
        ({"reg_no": "1234", "account_no": "1", "bic": "DABADKKK"}, "ACCOUNT_FORM_INVALID"),
        ({}, "ACCOUNT_FORM_INVALID"),
    ],
)
def test_account_validation_codes(given, code):
    assert code_of(lambda: Account.parse(**given)) == code


def test_activation_locks_after_five_wrong_codes(engine, now):
    with session_scope(engine) as s:
        reg = lifecycle.register(
            s, "cpr", CPR, A1, channel="authority", actor="caseworker", on=D(2024, 1, 1), now=now
        )
        code = stored_code(s, reg.registration_id)
    outcomes = []
    for _ in range(5):
        with session_scope(engine) as s:  # each attempt its own transaction, as in the CLI
            result = lifecycle.activate(
                s, "cpr", CPR, "WRONG123", actor="o", on=D(2024, 1, 5), now=now
            )
            outcomes.append((result.code, result.attempts_left))
    assert outcomes == [
        ("ACCOUNT_ACTIVATION_CODE_WRONG", 4),
        ("ACCOUNT_ACTIVATION_CODE_WRONG", 3),
        ("ACCOUNT_ACTIVATION_CODE_WRONG", 2),
        ("ACCOUNT_ACTIVATION_CODE_WRONG", 1),
        ("ACCOUNT_ACTIVATION_LOCKED", 0),
    ]
    with session_scope(engine) as s:
        row = s.get(AccountRegistration, reg.registration_id)
        assert (row.status, row.activation_attempts) == ("locked", 5)
        # even the right code no longer works
        assert (
            code_of(
                lambda: lifecycle.activate(
                    s, "cpr", CPR, code, actor="o", on=D(2024, 1, 5), now=now
                )
            )
            == "ACCOUNT_ACTIVATION_LOCKED"
        )
        assert lifecycle.as_of(s, "cpr", CPR, D(2024, 1, 5)) is None
        assert lookup.resolve(s, [("cpr", CPR)], D(2024, 1, 5))[("cpr", CPR)].reason == "NO_ACCOUNT"
    with session_scope(engine) as s:  # registering again starts over with a new letter
        again = lifecycle.register(
            s, "cpr", CPR, A1, channel="citizen", actor="self", on=D(2024, 1, 6), now=now
        )
        done = lifecycle.activate(
            s,
            "cpr",
            CPR,
            stored_code(s, again.registration_id),
            actor="o",
            on=D(2024, 1, 7),
            now=now,
        )
        assert done.code is None
        assert s.get(AccountRegistration, reg.registration_id).ended_on == D(2024, 1, 6)


def test_activation_without_pending_and_superseded_letters(engine, now):
    with session_scope(engine) as s:
        assert (
            code_of(
                lambda: lifecycle.activate(s, "cpr", CPR, "X", actor="o", on=D(2024, 1, 1), now=now)
            )
            == "ACCOUNT_NO_PENDING"
        )
        first = lifecycle.register(
            s, "cpr", CPR, A1, channel="citizen", actor="self", on=D(2024, 1, 1), now=now
        )
        second = lifecycle.register(
            s, "cpr", CPR, A2, channel="citizen", actor="self", on=D(2024, 1, 2), now=now
        )
        old_code = stored_code(s, first.registration_id)
        result = lifecycle.activate(s, "cpr", CPR, old_code, actor="o", on=D(2024, 1, 3), now=now)
        assert result.code == "ACCOUNT_ACTIVATION_CODE_WRONG"
        assert result.registration_id == second.registration_id
        assert (
            code_of(
                lambda: lifecycle.activate(
                    s,
                    "cpr",
                    CPR,
                    stored_code(s, second.registration_id),
                    actor="o",
                    on=D(2024, 1, 1),
                    now=now,
                )
            )
            == "ACCOUNT_DATE_CONFLICT"
        )
        states = {x.registration_id: (x.status, x.withdrawn) for x in letters.queue(s)}
        assert states == {
            first.registration_id: ("pending_activation", True),
            second.registration_id: ("pending_activation", False),
        }
        assert [x.registration_id for x in letters.queue(s, pending_only=True)] == [
            second.registration_id
        ]


def test_close_cancels_a_waiting_request(engine, now):
    with session_scope(engine) as s:
        reg = lifecycle.register(
            s, "cpr", CPR, A1, channel="citizen", actor="self", on=D(2024, 1, 1), now=now
        )
        closed = lifecycle.close(
            s, "cpr", CPR, "deceased", actor="clerk", on=D(2024, 1, 2), now=now
        )
        assert closed.registration_id is None
        assert s.get(AccountRegistration, reg.registration_id).end_reason == "deceased"
        assert (
            code_of(
                lambda: lifecycle.activate(
                    s,
                    "cpr",
                    CPR,
                    stored_code(s, reg.registration_id),
                    actor="o",
                    on=D(2024, 1, 3),
                    now=now,
                )
            )
            == "ACCOUNT_NO_PENDING"
        )


def test_resolve_reasons(engine, now):
    owners = [("cpr", f"0{i}0190123{i}") for i in range(1, 6)]
    with session_scope(engine) as s:
        payable = _bank(s, now, number=owners[0][1])
        rejected = _bank(s, now, number=owners[1][1], account=A3)
        lifecycle.register(
            s, "cpr", owners[2][1], A2, channel="citizen", actor="self", on=D(2024, 1, 1), now=now
        )
        _bank(s, now, number=owners[3][1], on=D(2024, 6, 1))  # not yet in force
        assert lifecycle.mark_rejected_by_bank(s, rejected.registration_id, "AC04", "returns", now)
        assert not lifecycle.mark_rejected_by_bank(
            s, rejected.registration_id, "AC01", "returns", now
        )
        got = lookup.resolve(s, owners + [owners[0]], D(2024, 3, 1))
    assert set(got) == set(owners)
    assert [got[o].reason for o in owners] == [
        None,
        "REJECTED_BY_BANK",
        "PENDING_ACTIVATION",
        "NO_ACCOUNT",
        "NO_ACCOUNT",
    ]
    first = got[owners[0]]
    assert (first.registration_id, first.reg_no, first.account_no, first.active_from) == (
        payable.registration_id,
        "1234",
        "0000567890",
        D(2024, 1, 1),
    )
    assert got[owners[1]].registration_id == rejected.registration_id
    assert got[owners[1]].iban == "DK5000400440116243"
    assert got[owners[2]].registration_id is None
    with session_scope(engine) as s:
        assert lookup.resolve(s, [], D(2024, 3, 1)) == {}
        row = s.get(AccountRegistration, rejected.registration_id)
        assert (row.status, row.rejected_reason) == ("rejected_by_bank", "AC04")
        # twice in one transaction: the temporary table is recreated
        lookup.resolve(s, owners, D(2024, 3, 1))
        again = lookup.resolve(s, owners[:1], D(2024, 7, 1))
        assert again[owners[0]].reason is None


def test_a_rejected_account_is_replaced_not_unchanged(engine, now):
    with session_scope(engine) as s:
        old = _bank(s, now)
        lifecycle.mark_rejected_by_bank(s, old.registration_id, "AC04", "returns", now)
        new = _bank(s, now, on=D(2024, 2, 1))  # the same account, confirmed again by the bank
        assert new.outcome == "registered"
        row = s.get(AccountRegistration, old.registration_id)
        assert (row.status, row.ended_on) == ("rejected_by_bank", D(2024, 2, 1))
        got = lookup.resolve(s, [("cpr", CPR)], D(2024, 2, 1))[("cpr", CPR)]
        assert got.reason is None and got.registration_id == new.registration_id


def test_database_forbids_two_current_registrations(engine, now):
    with session_scope(engine) as s:
        _bank(s, now)
    insert = text(
        "INSERT INTO account_registrations (owner_kind, owner_number, reg_no, account_no, "
        "channel, status, actor, registered_at, active_from, activation_attempts) VALUES "
        "('cpr', :n, '1234', '0000000002', 'bank', :status, 'x', :now, :d, 0)"
    )
    args = {"n": CPR, "now": now.replace(tzinfo=None), "d": D(2024, 2, 1)}
    for status in ("active", "rejected_by_bank"):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.execute(insert, args | {"status": status})
    with session_scope(engine) as s:  # pending ones do not count as current
        s.execute(insert, args | {"status": "pending_activation"})


def test_suspicious_accounts(engine, now):
    owners = [f"{d:02d}0190123{d % 10}" for d in range(1, 7)]
    with session_scope(engine) as s:
        for number in owners[:5]:
            _bank(s, now, number=number)
        _bank(s, now, number=owners[5], account=Account.parse(iban="DK9412340000567890"))
        _bank(s, now, kind="cvr", number=CVR, account=A2)
        lifecycle.close(s, "cpr", owners[0], "owner_request", actor="x", on=D(2024, 3, 1), now=now)
        before = bank_file.suspicious(s, D(2024, 2, 1), min_owners=5)
        after = bank_file.suspicious(s, D(2024, 3, 1), min_owners=5)
        assert (
            code_of(lambda: bank_file.suspicious(s, D(2024, 3, 1), min_owners=1))
            == "ACCOUNT_MIN_OWNERS_INVALID"
        )
    # the DK IBAN is the same account as reg. 1234 / 0000567890
    assert [(x.account, x.owners) for x in before] == [("****7890", 6)]
    assert [(x.account, x.owners) for x in after] == [("****7890", 5)]
    assert all(m.endswith("-****") for m in before[0].owner_masks)
    assert "0101901231" not in json.dumps([list(x.owner_masks) for x in before])
