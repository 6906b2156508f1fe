"""Property: for any sequence of registrations, activations, closes and bank rejections,
the registry answers "which account on day D" exactly as a plain Python model of the
history does, for every day — and refuses exactly the requests the model refuses."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from hypothesis import event, given, settings
from hypothesis import strategies as st

from payments.db import session_scope
from payments.errors import PaymentsError
from payments.registry import lifecycle, lookup, service
from payments.registry.lifecycle import Account
from tests.support import stored_code

BASE = dt.date(2024, 1, 1)
DAYS = 20
ACCOUNTS = (
    Account.parse(reg_no="1234", account_no="1"),
    Account.parse(reg_no="5678", account_no="2"),
    Account.parse(iban="DK5000400440116243"),
)
_owner_numbers = itertools.count(1)

day = st.integers(0, DAYS).map(lambda n: BASE + dt.timedelta(days=n))
account = st.integers(0, len(ACCOUNTS) - 1)
operation = st.one_of(
    st.tuples(st.just("bank"), account, day),
    st.tuples(st.just("citizen"), account, day),
    st.tuples(st.just("activate"), day, st.booleans()),
    st.tuples(st.just("close"), day, st.sampled_from(["deceased", "owner_request"])),
    st.tuples(st.just("reject")),
    st.tuples(st.just("guess"), st.integers(1, 5)),  # several wrong codes in a row
)


@dataclass
class Period:
    account: int
    start: dt.date
    reg_id: int
    end: dt.date | None = None
    rejected: bool = False


@dataclass
class Model:
    """The history as a list of periods plus at most one waiting request."""

    periods: list[Period] = field(default_factory=list)
    pending: list = field(default_factory=list)  # [account, request day, attempts, id]
    locked: bool = False

    def current(self) -> Period | None:
        return next((p for p in self.periods if p.end is None), None)

    def boundary(self) -> dt.date | None:
        return max((p.end or p.start for p in self.periods), default=None)

    def conflicts(self, on: dt.date) -> bool:
        edge = self.boundary()
        return edge is not None and edge > on

    def in_force(self, on: dt.date) -> Period | None:
        live = [p for p in self.periods if p.start <= on and (p.end is None or on < p.end)]
        assert len(live) <= 1
        return live[0] if live else None

    def same_as_current(self, acc: int) -> bool:
        cur = self.current()
        return cur is not None and not cur.rejected and cur.account == acc

    def replace(self, acc: int, on: dt.date, reg_id: int) -> None:
        if self.current() is not None:
            self.current().end = on
        self.periods.append(Period(acc, on, reg_id))


def _apply(session, model: Model, op, cpr: str, now) -> None:
    kind = op[0]
    if kind == "guess":
        for _ in range(op[1]):
            _apply(session, model, ("activate", BASE, False), cpr, now)
        return
    try:
        if kind in ("bank", "citizen"):
            acc, on = op[1], op[2]
            change = lifecycle.register(
                session, "cpr", cpr, ACCOUNTS[acc], channel=kind, actor="t", on=on, now=now
            )
            if model.same_as_current(acc):
                assert change.outcome == "unchanged"
            elif kind == "citizen":
                assert change.outcome == "pending"
                model.pending, model.locked = [acc, on, 0, change.registration_id], False
            else:
                assert not model.conflicts(on), "the registry accepted a history rewrite"
                model.replace(acc, on, change.registration_id)
        elif kind == "activate":
            on, right = op[1], op[2]
            code = stored_code(session, model.pending[3]) if model.pending and right else "NOPE"
            result = lifecycle.activate(session, "cpr", cpr, code, actor="owner", on=on, now=now)
            if not right:
                model.pending[2] += 1
                expected = "ACCOUNT_ACTIVATION_CODE_WRONG"
                if model.pending[2] >= lifecycle.MAX_ACTIVATION_ATTEMPTS:
                    model.pending, model.locked = [], True
                    expected = "ACCOUNT_ACTIVATION_LOCKED"
                assert result.code == expected
            else:
                assert result.code is None
                assert on >= model.pending[1] and not model.conflicts(on)
                model.replace(model.pending[0], on, model.pending[3])
                model.pending = []
        elif kind == "close":
            on = op[1]
            lifecycle.close(session, "cpr", cpr, op[2], actor="t", on=on, now=now)
            cur = model.current()
            assert cur is not None or model.pending or model.locked
            assert cur is None or cur.start <= on
            if cur is not None:
                cur.end = on
            model.pending, model.locked = [], False
        else:  # the bank returns a payment: flag the newest registration
            if not model.periods:
                return
            last = model.periods[-1]
            changed = lifecycle.mark_rejected_by_bank(session, last.reg_id, "AC04", "t", now)
            assert changed == (not last.rejected)
            last.rejected = True
    except PaymentsError as exc:
        expected = _expected_refusal(model, op)
        assert exc.code == expected, (op, exc.code, expected)
        event(f"{kind} refused: {exc.code}")
    else:
        event(f"{kind} done")


def _expected_refusal(model: Model, op) -> str | None:
    kind = op[0]
    if kind == "bank":
        return "ACCOUNT_DATE_CONFLICT" if model.conflicts(op[2]) else None
    if kind == "activate":
        if not model.pending:
            return "ACCOUNT_ACTIVATION_LOCKED" if model.locked else "ACCOUNT_NO_PENDING"
        if op[2] and (op[1] < model.pending[1] or model.conflicts(op[1])):
            return "ACCOUNT_DATE_CONFLICT"
        return None
    if kind == "close":
        cur = model.current()
        if cur is None and not model.pending and not model.locked:
            return "ACCOUNT_NONE_TO_CLOSE"
        if cur is not None and cur.start > op[1]:
            return "ACCOUNT_DATE_CONFLICT"
    return None


@settings(max_examples=100)
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_as_of_agrees_with_a_model_of_the_history(engine, now, ops):
    cpr = f"010190{next(_owner_numbers):04d}"  # a fresh owner per example
    model = Model()
    for op in ops:
        with session_scope(engine) as session:
            _apply(session, model, op, cpr, now)
    with session_scope(engine) as session:
        for offset in range(-1, DAYS + 2):
            on = BASE + dt.timedelta(days=offset)
            want = model.in_force(on)
            got = lifecycle.as_of(session, "cpr", cpr, on)
            if want is None:
                assert got is None, (on, got.id)
                continue
            assert got is not None and got.id == want.reg_id, on
            assert Account.of(got) == ACCOUNTS[want.account]
            assert (got.status == "rejected_by_bank") == want.rejected
        for offset in range(0, DAYS + 1, 4):
            on = BASE + dt.timedelta(days=offset)
            got = lookup.resolve(session, [("cpr", cpr)], on)[("cpr", cpr)]
            want = model.in_force(on)
            if want is not None:
                reason = "REJECTED_BY_BANK" if want.rejected else None
                assert (got.registration_id, got.reason) == (want.reg_id, reason)
            else:
                assert got.registration_id is None
                assert got.reason == ("PENDING_ACTIVATION" if model.pending else "NO_ACCOUNT")
    for offset in range(-1, DAYS + 2, 3):  # the owner's own view: one read, the same answers
        on = BASE + dt.timedelta(days=offset)
        seen, want = service.standing(engine, "cpr", cpr, on=on), model.in_force(on)
        if want is not None:
            assert seen.in_force["registration_id"] == want.reg_id and seen.reason is None
            assert (seen.in_force["status"] == "rejected_by_bank") == want.rejected
        else:
            assert seen.in_force is None
            assert seen.reason == ("PENDING_ACTIVATION" if model.pending else "NO_ACCOUNT")
        assert [v["registration_id"] for v in seen.history] == [r.id for r in _history(engine, cpr)]


def _history(engine, cpr: str) -> list:
    with session_scope(engine) as session:
        return lifecycle.history(session, "cpr", cpr)
