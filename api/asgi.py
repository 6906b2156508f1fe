"""The application object uvicorn imports (``api.asgi:app``): settings from the environment.

``payments serve`` sets ``PAYMENTS_SERVE_DATE`` for ``--date`` (a fixed business date); the
workers uvicorn starts each build their own app from the same environment.
"""

from __future__ import annotations

import datetime as dt
import os

from api.app import create_app
from api.state import Clock
from payments.config import load_settings

_date = os.environ.get("PAYMENTS_SERVE_DATE")
app = create_app(load_settings(), clock=Clock(date=dt.date.fromisoformat(_date) if _date else None))
