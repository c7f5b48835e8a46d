"""Sliding-window rate limits every process shares: the API tokens' requests and Wix calls, and how
often one person may force a fresh read (`?refresh=1`).

A fixed "per clock minute" counter lets a caller send its whole limit at 12:00:59 and again at 12:01:00
(7 requests of a 5-a-minute token in two seconds). The `limits` library's moving window counts what
was taken in the 60 seconds before each request instead, so no burst is ever more than the limit. Its
storage is Redis when REDIS_URL is set (so every gunicorn process and machine counts together; Redis
runs the check-and-take as one script) and process memory otherwise (development, tests; `check
--deploy` refuses a production without Redis).
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


@functools.cache
def _limiter(url: str) -> MovingWindowRateLimiter:
    options = {"key_prefix": "credit-desk-limits"} if url.startswith("redis") else {}
    storage = storage_from_string(url, **options)
    if not isinstance(storage, Storage):  # an async storage ("async+redis://") would need await
        raise ValueError(f"RATE_LIMIT_STORAGE_URL must name a synchronous storage, not {url.split(':', 1)[0]}")
    return MovingWindowRateLimiter(storage)


def limiter() -> MovingWindowRateLimiter:
    return _limiter(settings.RATE_LIMIT_STORAGE_URL)


def _wait(item: RateLimitItemPerMinute, *identifiers: str) -> int:
    """Whole seconds until the oldest hit in the window leaves it (at least 1)."""
    reset_at = limiter().get_window_stats(item, *identifiers).reset_time
    return max(int(reset_at - time.time() + 0.999), 1)


def take(scope: str, key: str, per_minute: int, cost: int = 1) -> int:
    """Take `cost` from `key`'s limit of `per_minute` in the last 60 s: 0 if taken, else the seconds to wait."""
    item = RateLimitItemPerMinute(max(per_minute, 1))
    if cost <= 0 or limiter().hit(item, scope, key, cost=cost):
        return 0
    return _wait(item, scope, key)


def room(scope: str, key: str, per_minute: int) -> int:
    """0 if at least one more can be taken now, else the seconds to wait (nothing is taken)."""
    item = RateLimitItemPerMinute(max(per_minute, 1))
    return 0 if limiter().test(item, scope, key) else _wait(item, scope, key)


def charge(scope: str, key: str, per_minute: int, cost: int) -> None:
    """Take `cost` after the fact (it is known only once the work is done): as much as still fits,
    so a caller that overran its limit waits for the whole window."""
    item = RateLimitItemPerMinute(max(per_minute, 1))
    if cost <= 0 or limiter().hit(item, scope, key, cost=min(cost, item.amount)):
        return
    left = limiter().get_window_stats(item, scope, key).remaining
    if left > 0:
        limiter().hit(item, scope, key, cost=left)


def reset() -> None:
    """Forget every count (tests)."""
    limiter().storage.reset()
