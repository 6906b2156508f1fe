"""The application object uvicorn imports (``api.asgi:app``): settings from the environment.

``payments serve`` sets ``PAYMENTS_SERVE_DATE`` for ``--date`` (a fixed business date) and
``PAYMENTS_SERVE_DEMO_DEBTOR`` for ``--demo-debtor`` (batches pay from the demo agency: only
a server started for the demo, ``make serve``, may; any other answers ``POST /v1/batches``
with 503 ``CONFIG_DEBTOR_MISSING`` until PAYMENTS_DEBTOR_* are set); the workers uvicorn
starts each build their own app from the same environment.
"""

from __future__ import annotations

import datetime as dt
import os

from api.app import create_app
from api.state import Clock
from payments.config import load_settings

_date = os.environ.get("PAYMENTS_SERVE_DATE")
_settings = load_settings()
if os.environ.get("PAYMENTS_SERVE_DEMO_DEBTOR") == "1":
    _settings = _settings.with_demo_debtor()
app = create_app(_settings, clock=Clock(date=dt.date.fromisoformat(_date) if _date else None))
