"""The shared cache (Redis), and a per-process memory cache while Redis is away.

Redis holds copies of Wix reads, tokens, the call budget and the breaker — all things a process can do
without for a while. Without this, Redis being down took every page down (500 for as long as it was
away) while PostgreSQL and Wix were fine. So a Redis failure switches this process to its own memory
cache for RETRY_SECONDS (OPTIONS "fallback_retry_seconds"), then Redis is tried again. Meanwhile the
site stays up with reads a little slower (each process caches on its own), adjustments stay safe (their
lock is in the database, balances/pool_lock.py), and the call budget is split (budget.py spends at most
budget ÷ processes while `degraded`). `/healthz` says `cache: degraded` and still answers 200, so a load
balancer does not pull every instance.

When Redis is back, the read generations this process bumped meanwhile (a write bumps its connection's
generation to invalidate cached pages, balances/cache.py) are bumped in Redis too, so no process serves
a page cached before a change made during the outage.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
MAX_REMEMBERED = 10_000
GENERATION_PREFIX = "reads:gen:"  # balances/cache.py's invalidation counters


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._retry_seconds = float(options.pop("fallback_retry_seconds", RETRY_SECONDS))
        # A Redis that hangs must not hang pages: fail fast, then fall back.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(f"resilient-fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0
        self._bumped: set[str] = set()  # counters changed in the fallback, to bump in Redis on recovery
        self._guard = threading.Lock()
        self._errors = _redis_errors()

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _fail(self, error: BaseException) -> None:
        if not self.degraded:
            log.warning("cache: Redis unreachable (%s); this process runs on its own memory cache for now", error)
        self._down_until = time.monotonic() + self._retry_seconds

    def _recover(self) -> None:
        with self._guard:
            bumped, self._bumped = self._bumped, set()
        for key in bumped:
            if not RedisCache.add(self, key, 1, timeout=None):
                RedisCache.incr(self, key)
        if bumped:
            log.info("cache: Redis is back; %d keys changed meanwhile were brought up to date", len(bumped))

    def _call(self, name: str, *args, **kwargs):
        if not self.degraded:
            was_down = self._down_until > 0
            try:
                if was_down:
                    self._recover()
                    self._down_until = 0.0
                return getattr(super(), name)(*args, **kwargs)
            except self._errors as error:
                self._fail(error)
        return getattr(self._fallback, name)(*args, **kwargs)

    def _remember(self, key: str) -> None:
        if self.degraded and key.startswith(GENERATION_PREFIX) and len(self._bumped) < MAX_REMEMBERED:
            with self._guard:
                self._bumped.add(key)

    # Every operation the project uses; each falls back on its own.
    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        result = self._call("add", key, value, timeout, version)
        self._remember(key)
        return result

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("get_or_set", key, default, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def incr(self, key, delta=1, version=None):
        result = self._call("incr", key, delta, version)
        self._remember(key)
        return result

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta, version)

    def clear(self):
        self._fallback.clear()
        return self._call("clear")
