"""A per-subject limit on attempts (activation codes): 429 with ``Retry-After``.

A sliding window in the process's memory: each ``payments serve`` worker counts on its own,
so the effective limit is the per-process one times the workers. The hard brake is in the
database and shared by all: five wrong codes lock the registration
(:data:`payments.registry.lifecycle.MAX_ACTIVATION_ATTEMPTS`). This limit only keeps a
caller from hammering, and it is kept small.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque

from api.problems import ApiError


class Limiter:
    def __init__(self, attempts: int, per: dt.timedelta) -> None:
        self.attempts, self.per = attempts, per
        self._seen: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def check(self, subject: str, now: dt.datetime) -> None:
        """Count an attempt by ``subject``; ``RATE_LIMITED`` when there were too many."""
        with self._lock:
            seen = self._seen.setdefault(subject, deque())
            while seen and now - seen[0] >= self.per:
                seen.popleft()
            if len(seen) >= self.attempts:
                wait = math.ceil((seen[0] + self.per - now).total_seconds())
                raise ApiError(
                    "RATE_LIMITED",
                    f"too many attempts; try again in {max(wait, 1)} seconds",
                    headers={"Retry-After": str(max(wait, 1))},
                )
            seen.append(now)
            if len(self._seen) > 100_000:  # forget the quiet ones
                for key in [k for k, v in self._seen.items() if not v][:50_000]:
                    del self._seen[key]
