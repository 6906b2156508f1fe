"""Controls an auditor would sign: no one person moves money or takes over an account.

Four eyes on a batch and on an amount review, compared as identities and held by the
database where it can; an activation never by its registrar (unless the owner registered
it) nor by its letter's exporter; a code exported once and then only on paper.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from payments.batch import approval, night
from payments.db import session_scope
from payments.models import (
    AccountRegistration,
    ActivationLetter,
    AuditEvent,
    Batch,
    Claim,
    PaymentOrder,
)
from payments.registry import letters, lifecycle, service
from payments.registry.lifecycle import Account
from tests.support import (
    NOW,
    RUN,
    add_order,
    add_registration,
    code_of,
    cpr,
    make_settings,
    stored_code,
)

D = dt.date
CPR = "0101901234"
A1 = Account.parse(reg_no="1234", account_no="567890")


def events(engine, action):
    with session_scope(engine) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(e.actor, e.subject, json.loads(e.payload)) for e in rows]


# --------------------------------------------------------------------------- batches


@pytest.fixture
def generated(engine, tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        add_order(s, cpr(1), 10_000)
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    return settings, run.batch_id


@pytest.mark.parametrize(
    "approver", ["alice", "Alice", "ALICE", "ＡＬＩＣＥ", "  alice  ", "Ａｌｉｃｅ"]
)
def test_the_runner_cannot_approve_in_any_spelling(engine, generated, approver):
    settings, batch_id = generated
    fn = lambda: approval.approve(engine, settings, batch_id, actor=approver, now=NOW)  # noqa: E731
    assert code_of(fn) == "BATCH_FOUR_EYES"
    with session_scope(engine) as s:
        batch = s.get(Batch, batch_id)
        assert (batch.status, batch.created_by_key, batch.approved_by) == (
            "generated",
            "alice",
            None,
        )


def test_a_ligature_is_its_letters(engine, tmp_path):
    settings = make_settings(tmp_path)
    run = night.run(engine, settings, run_date=RUN, actor="ﬁona", now=NOW)
    fn = lambda: approval.approve(engine, settings, run.batch_id, actor="Fiona", now=NOW)  # noqa: E731
    assert code_of(fn) == "BATCH_FOUR_EYES"


def test_another_person_approves_and_the_names_stay_as_given(engine, generated):
    settings, batch_id = generated
    approval.approve(engine, settings, batch_id, actor="Bob  Smith", now=NOW)
    with session_scope(engine) as s:
        batch = s.get(Batch, batch_id)
        assert (batch.approved_by, batch.approved_by_key) == ("Bob Smith", "bob smith")


def test_the_database_holds_four_eyes_on_identities(engine, generated):
    """Written around the code: the CHECKs compare the identities, not the spellings, and
    an approved batch always names its approver's identity."""
    _, batch_id = generated
    for values in (
        {"status": "approved", "approved_by": "Alice", "approved_by_key": "alice"},
        {"status": "approved", "approved_by": "Bob", "approved_by_key": None},
    ):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.execute(update(Batch).where(Batch.id == batch_id).values(approved_at=NOW, **values))


# --------------------------------------------------------------------------- amount review


@pytest.fixture
def in_review(engine, tmp_path):
    """An order held for AMOUNT_REVIEW by batch 1 (run by alice); its claim by "t"."""
    settings = make_settings(tmp_path, review_amount=Decimal("500"))
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        order_id = add_order(s, cpr(1), 60_000).id
        s.get(Claim, s.get(PaymentOrder, order_id).claim_id).actor = "erin"
    run = night.run(engine, settings, run_date=RUN, actor="alice", now=NOW)
    return settings, order_id, run.batch_id


@pytest.mark.parametrize("who", ["erin", "ERIN", "alice", "Ａlice"])
def test_review_is_not_cleared_by_the_submitter_or_the_runner(engine, in_review, who):
    _, order_id, _ = in_review
    fn = lambda: approval.approve_review(engine, order_id, actor=who, now=NOW)  # noqa: E731
    assert code_of(fn) == "ORDER_REVIEW_FOUR_EYES"
    with session_scope(engine) as s:
        assert s.get(PaymentOrder, order_id).review_approved_by is None
    assert events(engine, "order.review_approved") == []


def test_the_latest_batch_that_held_it_counts_and_the_clearing_names_both(engine, in_review):
    settings, order_id, first = in_review
    with session_scope(engine) as s:
        assert s.get(PaymentOrder, order_id).held_by_batch_id == first
    later = RUN + dt.timedelta(days=1)
    second = night.run(engine, settings, run_date=later, actor="carol", now=NOW).batch_id
    with session_scope(engine) as s:
        assert s.get(PaymentOrder, order_id).held_by_batch_id == second
    fn = lambda: approval.approve_review(engine, order_id, actor="Carol", now=NOW)  # noqa: E731
    assert code_of(fn) == "ORDER_REVIEW_FOUR_EYES"
    approval.approve_review(engine, order_id, actor="dave", now=NOW)
    [(actor, subject, payload)] = events(engine, "order.review_approved")
    assert (actor, subject) == ("dave", f"order:{order_id}")
    assert payload == {
        "amount_ore": 60_000,
        "claim_submitted_by": "erin",
        "held_by_batch_id": second,
        "batch_run_by": "carol",
    }
    paid = night.run(engine, settings, run_date=later + dt.timedelta(days=1), actor="x", now=NOW)
    assert paid.order_count == 1
    with session_scope(engine) as s:
        order = s.get(PaymentOrder, order_id)
        assert (order.status, order.held_by_batch_id) == ("pending", None)


# --------------------------------------------------------------------------- activation


def _pending(s, actor="clerk", by_owner=False, channel="citizen", number=CPR):
    return lifecycle.register(
        s, "cpr", number, A1, channel=channel, actor=actor, on=D(2024, 1, 1), now=NOW,
        by_owner=by_owner,
    )  # fmt: skip


@pytest.mark.parametrize("channel", ["citizen", "authority"])
@pytest.mark.parametrize("activator", ["clerk", "CLERK", " Ｃlerk "])
def test_the_registrar_cannot_activate(engine, channel, activator):
    with session_scope(engine) as s:
        reg = _pending(s, channel=channel)
        code = stored_code(s, reg.registration_id)
    with session_scope(engine) as s:
        fn = lambda: lifecycle.activate(  # noqa: E731
            s, "cpr", CPR, code, actor=activator, on=D(2024, 1, 2), now=NOW
        )
        assert code_of(fn) == "ACCOUNT_ACTIVATION_FOUR_EYES"
        row = s.get(AccountRegistration, reg.registration_id)
        assert (row.status, row.activation_attempts) == ("pending_activation", 0)  # not tried
    with session_scope(engine) as s:
        done = lifecycle.activate(s, "cpr", CPR, code, actor="owner", on=D(2024, 1, 2), now=NOW)
        assert done.code is None
        row = s.get(AccountRegistration, reg.registration_id)
        assert (row.activated_by, row.activated_by_key, row.actor_key) == (
            "owner",
            "owner",
            "clerk",
        )
    [(actor, _, payload)] = events(engine, "account.activated")
    assert (actor, payload["registered_by"], payload["registered_by_owner"]) == (
        "owner",
        "clerk",
        False,
    )


def test_an_owner_who_registered_through_self_service_activates_it(engine):
    with session_scope(engine) as s:
        reg = _pending(s, actor="cpr-owner", by_owner=True)
        code = stored_code(s, reg.registration_id)
        done = lifecycle.activate(s, "cpr", CPR, code, actor="cpr-owner", on=D(2024, 1, 2), now=NOW)
        assert done.code is None
        assert s.get(AccountRegistration, reg.registration_id).registered_by_owner


def test_by_owner_is_self_service_only(engine):
    with session_scope(engine) as s:
        assert code_of(lambda: _pending(s, by_owner=True, channel="authority")) == (
            "ACCOUNT_BY_OWNER_CHANNEL"
        )
        assert code_of(lambda: _pending(s, by_owner=True, channel="bank")) == (
            "ACCOUNT_BY_OWNER_CHANNEL"
        )


def test_the_database_holds_activation_four_eyes(engine):
    with session_scope(engine) as s:
        reg_id = _pending(s).registration_id
    for values in (
        {"activated_by": "Clerk", "activated_by_key": "clerk"},  # the registrar
        {"activated_by": "x", "activated_by_key": None},  # a name without its identity
    ):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            s.execute(
                update(AccountRegistration)
                .where(AccountRegistration.id == reg_id)
                .values(status="active", **values)
            )
    with pytest.raises(IntegrityError), session_scope(engine) as s:  # not on the bank channel
        row = add_registration(s, "0202901234")
        s.execute(
            update(AccountRegistration)
            .where(AccountRegistration.id == row.id)
            .values(registered_by_owner=True)
        )


def test_a_row_written_without_the_registrars_identity_is_activated_by_no_one(engine):
    """SQL that leaves out ``actor_key`` (raw inserts) cannot open a way around: the
    database then refuses every activation but the owner's own registration's."""
    with session_scope(engine) as s:
        reg_id = _pending(s).registration_id
        s.execute(text(f"UPDATE account_registrations SET actor_key = NULL WHERE id = {reg_id}"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.execute(
            update(AccountRegistration)
            .where(AccountRegistration.id == reg_id)
            .values(status="active", activated_by="z", activated_by_key="z")
        )


# --------------------------------------------------------------------------- letters


def test_a_code_is_exported_once_and_then_only_on_paper(engine, tmp_path):
    with session_scope(engine) as s:
        mine = _pending(s, actor="printer").registration_id  # left for another operator
        theirs = _pending(s, number="0202901234").registration_id
        replaced = _pending(s, number="0303901234").registration_id
        _pending(s, number="0303901234")  # replaces it: its letter is void
        codes = {r: stored_code(s, r) for r in (mine, theirs, replaced)}
    done = service.export_letters(engine, tmp_path / "mail", actor="Printer", now=NOW)
    with session_scope(engine) as s:
        by_reg = {x.registration_id: x for x in s.scalars(select(ActivationLetter))}
    assert by_reg[theirs].id in done.letter_ids
    assert len(done.letter_ids) == 2  # theirs and the replacing request's, not the void one
    assert done.skipped_own == (by_reg[mine].id,)
    assert by_reg[theirs].code is None and by_reg[theirs].exported_by == "Printer"
    assert by_reg[mine].code == codes[mine] and by_reg[replaced].code == codes[replaced]
    letter = tmp_path / "mail" / f"letter-{by_reg[theirs].id:08d}.txt"
    body = letter.read_text()
    assert f"{letters.CODE_LINE}{codes[theirs]}\n" in body and "020290-****" in body
    assert "0202901234" not in body and "567890" not in body
    assert stat.S_IMODE(os.stat(letter).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "mail").st_mode) == 0o700
    [(actor, _, payload)] = events(engine, "account.letters_exported")
    assert actor == "Printer" and payload["skipped_own"] == [by_reg[mine].id]
    assert sorted(payload["letter_ids"]) == sorted(done.letter_ids)
    assert not any(c in json.dumps(payload) for c in codes.values())
    again = service.export_letters(engine, tmp_path / "mail2", actor="printer2", now=NOW)
    assert again.letter_ids == (by_reg[mine].id,)  # only the one left; each code once
    assert service.export_letters(engine, tmp_path / "mail3", actor="p3", now=NOW).files == ()


def test_the_exporter_cannot_activate(engine, tmp_path):
    with session_scope(engine) as s:
        reg = _pending(s)
        code = stored_code(s, reg.registration_id)
    service.export_letters(engine, tmp_path / "mail", actor="printer", now=NOW)
    with session_scope(engine) as s:
        fn = lambda: lifecycle.activate(  # noqa: E731
            s, "cpr", CPR, code, actor="PRINTER", on=D(2024, 1, 2), now=NOW
        )
        assert code_of(fn) == "ACCOUNT_ACTIVATION_FOUR_EYES"


def test_a_link_in_the_way_writes_nothing_and_marks_nothing(engine, tmp_path):
    with session_scope(engine) as s:
        first, second = _pending(s), _pending(s, number="0202901234")
        ids = [
            s.scalar(select(ActivationLetter.id).where(ActivationLetter.registration_id == r))
            for r in (first.registration_id, second.registration_id)
        ]
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / f"letter-{ids[1]:08d}.txt").symlink_to(tmp_path / "elsewhere")
    fn = lambda: service.export_letters(engine, mail, actor="printer", now=NOW)  # noqa: E731
    assert code_of(fn) == "FILE_UNSAFE"
    assert not (mail / f"letter-{ids[0]:08d}.txt").exists()  # the one written is removed
    assert not (tmp_path / "elsewhere").exists()
    with session_scope(engine) as s:
        assert s.scalars(select(ActivationLetter.exported_at)).all() == [None, None]
