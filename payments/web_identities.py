"""The people the test log-in offers ("Log ind (test)"): a stand-in for MitID in
development and the demo, never when an OpenID provider is configured (the same gate as
development tokens, :attr:`payments.config.Settings.oidc`).

They are taken from the data in the database, so that each has something to see: a
citizen with payments (the first payee of one not held), a citizen whose payment is
held, a citizen who changed their NemKonto themself, the employer of the first claim,
and two operators (two, so that four eyes can be shown: one runs the night, the other
approves it). Each has a stable ``key`` (``citizen-1``, …): the log-in form posts the
key, never a CPR number, and the server finds the identity again from the same data.

A citizen's subject is a digest of the CPR, as ``payments auth token`` makes it (the
subject reaches the audit log; a CPR must not).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from payments.db import session_scope
from payments.models import AccountRegistration, Claim, PaymentOrder
from payments.statuses import Channel, OrderStatus, RegistrationStatus
from payments.tokens import Principal

#: the operators offered: (subject, name)
OPERATORS = (("operator-1", "Operatør 1"), ("operator-2", "Operatør 2"))


@dataclass(frozen=True, slots=True)
class Identity:
    """One person of the test log-in; ``kind`` says what their data shows (translated)."""

    key: str
    kind: str  # paid (has payments), held, self_service, employer, operator
    principal: Principal


def citizen_subject(cpr: str) -> str:
    return "citizen-" + hashlib.sha256(cpr.encode()).hexdigest()[:16]


def _first(session, query) -> str | None:
    return session.execute(query.limit(1)).scalar()


def identities(engine: Engine) -> list[Identity]:
    """The test identities the data allows, in a fixed order."""
    o, r = PaymentOrder, AccountRegistration
    citizens: list[tuple[str, str]] = []
    with session_scope(engine) as session:
        cpr_orders = select(o.payee_number).where(o.payee_kind == "cpr")
        paid = _first(
            session,
            cpr_orders.where(o.status.not_in((OrderStatus.HELD, OrderStatus.CANCELLED))).order_by(
                o.id
            ),
        )
        held = _first(session, cpr_orders.where(o.status == OrderStatus.HELD).order_by(o.id))
        own = _first(
            session,
            select(r.owner_number)
            .where(
                r.owner_kind == "cpr",
                r.channel == Channel.CITIZEN,
                r.status == RegistrationStatus.ACTIVE,
            )
            .order_by(r.id),
        )
        employer = _first(session, select(Claim.employer_cvr).order_by(Claim.id))
    for kind, cpr in (("paid", paid), ("held", held), ("self_service", own)):
        if cpr and cpr not in (c for _, c in citizens):
            citizens.append((kind, cpr))
    found = [
        Identity(
            f"citizen-{i}",
            kind,
            Principal(
                role="citizen", subject=citizen_subject(cpr), cpr=cpr, name=f"Testborger {i}"
            ),
        )  # fmt: skip
        for i, (kind, cpr) in enumerate(citizens, 1)
    ]
    if employer:
        found.append(
            Identity(
                "employer-1",
                "employer",
                Principal(
                    role="employer",
                    subject=f"employer-{employer}",
                    cvr=employer,
                    name="Testvirksomhed",
                ),
            )  # fmt: skip
        )
    for i, (subject, name) in enumerate(OPERATORS, 1):
        found.append(
            Identity(f"operator-{i}", "operator", Principal("operator", subject, name=name))
        )
    return found


def find(engine: Engine, key: str) -> Identity | None:
    return next((i for i in identities(engine) if i.key == key), None)
