"""Short-lived, shared copies of upstream reads — and the last good copy for when Wix fails.

`read_through(key, load)` serves a copy younger than WIX_READ_CACHE_SECONDS without asking Wix, so paging
back and forth and several staff on the same page cost no extra calls (the cache is Redis in production,
so every process shares it). When Wix is unreachable or rate limiting — or our own call budget is the
limit — it serves the last good copy (kept WIX_STALE_SECONDS, even one a write has made out of date)
marked stale, with the real cause, instead of failing. `refresh=True` always asks Wix.

One process loads a missing copy while others wanting the same key wait for it (single flight), so a
burst of identical requests — or a click on "Next" while that page is being prefetched — costs one load.
Writes call `invalidate(connection, scopes=[...])`: the cached reads of those scopes (a member's panel, the
member pages) are then out of date; without scopes, every cached read of the connection is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache

from .wix.budget import copy_at_hand
from .wix.errors import WixBudgetExhausted, WixError, WixRateLimited, WixUnavailable

T = TypeVar("T")
LOAD_WAIT_SECONDS = 10  # how long to wait for another process's load of the same key


@dataclass(frozen=True)
class Fetched(Generic[T]):
    value: T
    fetched_at: datetime
    from_cache: bool = False
    stale_reason: str = ""  # set when Wix failed and this is the last good copy
    stale_cause: str = ""  # why, in one word: "budget" (ours, Wix is fine), "rate_limited" (Wix's 429), "unreachable"

    @property
    def stale(self) -> bool:
        return bool(self.stale_reason)


def _cause(error: WixError) -> str:
    if isinstance(error, WixBudgetExhausted):
        return "budget"
    return "rate_limited" if isinstance(error, WixRateLimited) else "unreachable"


def _generation_key(connection: str, scope: str = "") -> str:
    return f"reads:gen:{connection}:{scope}" if scope else f"reads:gen:{connection}"


def _generation(connection: str, scope: str) -> tuple[int, int]:
    """The connection's generation and the scope's: a copy is fresh only while neither moved."""
    keys = [_generation_key(connection), _generation_key(connection, scope)]
    found = cache.get_many(keys)
    return int(found.get(keys[0]) or 0), int(found.get(keys[1]) or 0)


def invalidate(connection: str, *, scopes: list[str] | None = None) -> None:
    """After a write: cached reads stop being served as fresh (stale copies stay). Only the `scopes` it
    touched (a change to one member's plan: that member's panel and the member pages), else everything
    of the connection — a busy desk's changes must not make every other member's panel cost Wix calls."""
    for key in [_generation_key(connection, scope) for scope in scopes] if scopes else [_generation_key(connection)]:
        if not cache.add(key, 1, timeout=None):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=None)


def _upstream_failure(error: WixError) -> bool:
    return isinstance(error, WixUnavailable | WixRateLimited)


def read_through(connection: str, key: str, load: Callable[[], T], *, refresh: bool = False, scope: str = "") -> Fetched[T]:
    """`load()` or a recent copy of its result; the last good copy (marked stale) if Wix fails. `scope`:
    what a write invalidates this copy with (invalidate(scopes=...)); every write of the connection does too."""
    full_key = f"reads:{connection}:{key}"
    lock_key = full_key + ":loading"
    generation = _generation(connection, scope)
    entry = cache.get(full_key)
    if not refresh and _is_fresh(entry, generation):
        return Fetched(entry[2], entry[1], from_cache=True)

    asked_at = datetime.now(UTC)
    deadline = time.monotonic() + LOAD_WAIT_SECONDS
    while not cache.add(lock_key, 1, timeout=LOAD_WAIT_SECONDS + 5):
        time.sleep(0.05)
        newer = cache.get(full_key)
        if _is_fresh(newer, generation) and (not refresh or newer[1] >= asked_at):
            return Fetched(newer[2], newer[1], from_cache=True)
        if time.monotonic() > deadline:
            break  # the other loader is stuck; load ourselves rather than fail
    try:
        if entry is not None and not refresh:
            # The last good copy is at hand: this reload yields to people who have nothing to show yet.
            with copy_at_hand():
                value = load()
        else:
            value = load()
    except WixError as error:
        if entry is None or not _upstream_failure(error):
            raise
        return Fetched(entry[2], entry[1], from_cache=True, stale_reason=error.message, stale_cause=_cause(error))
    finally:
        cache.delete(lock_key)
    fetched_at = datetime.now(UTC)
    cache.set_many(
        {full_key: (generation, fetched_at, value), full_key + ":stamp": (generation, fetched_at)},
        timeout=settings.WIX_STALE_SECONDS,
    )
    return Fetched(value, fetched_at)


def _is_fresh(entry, generation: tuple[int, int]) -> bool:
    if entry is None:
        return False
    entry_generation, fetched_at = entry[:2]
    age = (datetime.now(UTC) - fetched_at).total_seconds()
    return entry_generation == generation and age < settings.WIX_READ_CACHE_SECONDS


def last_copy(connection: str, key: str):
    """The last good copy of a read, however old (None if there is none): for what rarely changes, like names."""
    entry = cache.get(f"reads:{connection}:{key}")
    return entry[2] if entry is not None else None


def peek(connection: str, key: str, *, scope: str = "") -> bool:
    """Is there a fresh copy? (Prefetching skips work that is already done.) Reads only the copy's
    small stamp: unpickling a whole page to look at its date would cost a warm page a millisecond."""
    generation = _generation(connection, scope)
    return _is_fresh(cache.get(f"reads:{connection}:{key}:stamp"), generation)
