"""A circuit breaker per upstream, its state in Django's cache so every process agrees.

After WIX_BREAKER_FAILURES calls in a row end in Wix trouble (5xx, timeouts, refused or broken
connections, unreadable answers), calls fail fast with WixCircuitOpen for WIX_BREAKER_COOLOFF_SECONDS:
nobody waits on a Wix that is down, and a recovering Wix is not hammered. After the cool-off calls go
through again; the first one that fails re-opens the breaker at once (half-open). 4xx answers, rate
limiting and our own budget refusals say nothing about Wix's health and never count.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .errors import WixCircuitOpen, WixError, WixUnavailable


@dataclass(frozen=True)
class CircuitBreaker:
    name: str

    @classmethod
    def for_upstream(cls, base_url: str) -> CircuitBreaker:
        return cls(hashlib.sha256(base_url.encode()).hexdigest()[:16])

    @property
    def _keys(self) -> tuple[str, str, str]:
        prefix = f"wix:breaker:{self.name}"
        return f"{prefix}:open_until", f"{prefix}:failures", f"{prefix}:tripped"

    def check(self) -> None:
        """Raise WixCircuitOpen while the breaker is open."""
        open_until = cache.get(self._keys[0])
        if open_until and open_until > time.time():
            raise WixCircuitOpen(retry_after=open_until - time.time())

    @staticmethod
    def counts(error: WixError) -> bool:
        return isinstance(error, WixUnavailable) and not isinstance(error, WixCircuitOpen)

    def record_failure(self) -> None:
        open_key, failures_key, tripped_key = self._keys
        cooloff = settings.WIX_BREAKER_COOLOFF_SECONDS
        if cache.add(failures_key, 1, timeout=cooloff * 4):
            failures = 1
        else:
            try:
                failures = cache.incr(failures_key)
            except ValueError:  # expired in between
                failures = 1
        if failures >= settings.WIX_BREAKER_FAILURES or cache.get(tripped_key):
            cache.set(open_key, time.time() + cooloff, timeout=cooloff)
            cache.set(tripped_key, 1, timeout=cooloff * 10)
            cache.delete(failures_key)

    def record_success(self) -> None:
        open_key, failures_key, tripped_key = self._keys
        # Deleting costs a cache write, so only when there is something to forget.
        found = cache.get_many([failures_key, tripped_key])
        if found:
            cache.delete_many(list(found))

    def is_open(self) -> bool:
        open_until = cache.get(self._keys[0])
        return bool(open_until and open_until > time.time())
