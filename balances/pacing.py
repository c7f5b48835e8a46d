"""Keep background work inside Wix's call budget (about 200 calls a minute per app instance).

A per-process pacer: background scans and exports space their calls so they never use more than their
share of the budget and leave the rest to the people at the desk. A shared, cross-process rate budget
can replace it behind the same `spend()`.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings


class CallPacer:
    def __init__(self, calls_per_minute: float | None = None, *, share: float = 0.5):
        per_minute = calls_per_minute or getattr(settings, "WIX_CALLS_PER_MINUTE", 200) * share
        self.interval = 60.0 / max(per_minute, 1.0)
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self.calls = 0

    def spend(self, calls: int = 1) -> None:
        """Wait until `calls` more calls fit the budget, then count them as made."""
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(self._next, now) + self.interval * calls
            self.calls += calls
        if wait > 0:
            time.sleep(wait)
