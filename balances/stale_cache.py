"""Read-through caching with a stale fallback, for the secondary credit sources (AI credits, Brevo).

A value is fresh for `fresh_seconds`; after that the next read fetches again, and if that fails the
last good value (kept `keep_seconds`) is served marked stale, with the failure's message for a banner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from django.core.cache import cache

T = TypeVar("T")


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T | None
    fetched_at: datetime | None
    stale: bool = False
    error: str = ""  # why the last fetch failed; empty when `value` is fresh
    failure: type[Exception] | None = None  # the kind of that failure, to pick a status code

    @property
    def ok(self) -> bool:
        return self.value is not None


def read_through(
    key: str,
    fetch: Callable[[], T],
    *,
    fresh_seconds: int,
    keep_seconds: int,
    errors: tuple[type[Exception], ...],
    describe: Callable[[Exception], str],
    refresh: bool = False,
) -> Cached[T]:
    """`fetch` raising one of `errors` never escapes: it becomes `Cached(error=describe(exc))`."""
    entry = cache.get(key)
    now = datetime.now(UTC)
    if entry and not refresh and (now - entry["at"]).total_seconds() < fresh_seconds:
        return Cached(entry["value"], entry["at"])
    try:
        value = fetch()
    except errors as exc:
        message = describe(exc)
        if entry:
            return Cached(entry["value"], entry["at"], stale=True, error=message, failure=type(exc))
        return Cached(None, None, error=message, failure=type(exc))
    cache.set(key, {"value": value, "at": now}, keep_seconds)
    return Cached(value, now)
