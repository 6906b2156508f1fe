"""What every request needs: settings, the database, the token verifier, the clock.

The clock is the only one the service reads (:class:`Clock`); tests and
``payments serve --date D`` inject a fixed business date, and every route passes
``today`` and ``now`` down to the application layer, which reads none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.engine import Engine

import rules
from payments.config import Settings
from payments.tokens import Verifier


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Clock:
    """The service's reading of time: ``now`` (UTC) and the business date ``today``."""

    now: Callable[[], dt.datetime] = _now
    date: dt.date | None = None  # a fixed business date (tests, demos); None: today's

    def today(self) -> dt.date:
        return self.date or self.now().astimezone(dt.UTC).date()


@dataclass
class State:
    settings: Settings
    engine: Engine
    verifier: Verifier
    clock: Clock
    parameters: rules.Parameters
    limits: dict = field(default_factory=dict)


def state(request: Request) -> State:
    return request.app.state.payments
