"""The one caching module: shared copies of upstream reads, the last good copy when a source fails,
and the one cache lock.

`read_through(scope, key, load, …)` serves a copy younger than `fresh_seconds` without asking the
source, so paging back and forth and several staff on the same page cost no extra calls (the cache is
Redis in production, so every process shares it). When `load` fails with one of `stale_on` (Wix
unreachable or rate limiting, Brevo down …), it serves the last good copy (kept `keep_seconds`) marked
stale, with the failure's message and kind for a banner; with no copy to fall back on the error is
raised; `read_or_failed` is the same read for callers that must never raise: `Cached.failed(…)` then. `refresh=True` always asks
the source.

A scope groups the copies that one write can make wrong: `invalidate(scope)` after a write to Wix stops
every copy of that connection from being served as fresh (stale copies stay for outages). A copy may also
belong to a subscope (one member's panel, the member pages): `invalidate(scope, subscopes=[...])` makes
only those out of date, so a busy desk's changes do not make every other member's panel cost Wix calls.

A reload that has its last good copy at hand spends from the Wix call budget as `reloads` (it yields to
people who have nothing to show yet), and a stale copy says why in one word (`stale_cause`): our own
call budget, Wix rate limiting, or Wix unreachable.

With `single_flight=True` one process loads a missing copy while others wanting the same key wait for
it, so a burst of identical requests — or a click on "Next" while that page is being prefetched — costs
one load.

`cache_lock` is the one lock shared by every process (`cache.add` is atomic in Redis and in local
memory): read-through loads, adjustments of one pool, the needs-attention scan and the Wix app token
all use it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar, cast

from django.core.cache import cache

from .wix.budget import copy_at_hand

T = TypeVar("T")
V = TypeVar("V", covariant=True)  # a Cached[Page] is a Cached[Page | None]: results are read-only
LOAD_WAIT_SECONDS = 10  # how long to wait for another process's load of the same key


@dataclass(frozen=True)
class Cached(Generic[V]):
    """A read's value and the facts a page shows about it: as of when, from a copy or not, stale or not
    (and if stale or failed, why, and what kind of failure, so a view can pick its status code)."""

    value: V
    fetched_at: datetime | None  # "as of"; None only when nothing could be read at all
    from_cache: bool = False
    stale: bool = False  # the last good copy, served because the source failed (or was not asked)
    error: str = ""  # the failure's message, for a banner; empty when the value is fresh
    failure: type[Exception] | None = None  # the failure's kind

    @classmethod
    def failed(cls, error: str, failure: type[Exception]) -> Cached[None]:
        """Nothing to show: the source failed and no earlier copy is kept."""
        return Cached(None, None, error=error, failure=failure)

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def as_of(self) -> datetime | None:
        return self.fetched_at

    @property
    def stale_reason(self) -> str:
        """Why a stale copy is shown (the freshness line's wording)."""
        return self.error if self.stale else ""

    @property
    def stale_cause(self) -> str:
        """ "budget" (our own call budget: Wix itself is fine), "rate_limited" (Wix's 429) or "unreachable"."""
        from .wix.errors import WixBudgetExhausted, WixRateLimited

        if not self.stale or self.failure is None:
            return ""
        if issubclass(self.failure, WixBudgetExhausted):
            return "budget"
        return "rate_limited" if issubclass(self.failure, WixRateLimited) else "unreachable"


Generation = tuple[int, int]  # the scope's and the subscope's: a copy is fresh only while neither moved


@dataclass(frozen=True)
class _Entry(Generic[V]):
    generation: Generation
    fetched_at: datetime
    fresh_seconds: float
    value: V

    def fresh(self, generation: Generation, fresh_seconds: float | None = None) -> bool:
        """Not outdated by a write, and younger than `fresh_seconds` (by default, what its read asked for)."""
        age = (datetime.now(UTC) - self.fetched_at).total_seconds()
        limit = self.fresh_seconds if fresh_seconds is None else fresh_seconds
        return self.generation == generation and age < limit


def _key(scope: str, key: str) -> str:
    return f"reads:{scope}:{key}"


def _generation_key(scope: str, subscope: str = "") -> str:
    return f"reads:gen:{scope}:{subscope}" if subscope else f"reads:gen:{scope}"


def _generation(scope: str, subscope: str = "") -> Generation:
    keys = [_generation_key(scope), _generation_key(scope, subscope)]
    found = cache.get_many(keys)
    numbers = [found.get(k, 0) for k in keys]
    return (numbers[0] if isinstance(numbers[0], int) else 0, numbers[1] if isinstance(numbers[1], int) else 0)


def _entry(full_key: str) -> _Entry[object] | None:
    found = cache.get(full_key)
    return found if isinstance(found, _Entry) else None  # anything else is from an older release


def invalidate(scope: str, *, subscopes: list[str] | None = None) -> None:
    """After a write: cached reads of this scope — or only of its `subscopes` — stop being served as fresh
    (stale copies stay)."""
    for key in [_generation_key(scope, sub) for sub in subscopes] if subscopes else [_generation_key(scope)]:
        if not cache.add(key, 1, timeout=None):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=None)


def _message(error: Exception) -> str:
    message = getattr(error, "message", "")
    return message if isinstance(message, str) and message else str(error)


def read_through(
    scope: str,
    key: str,
    load: Callable[[], T],
    *,
    fresh_seconds: float,
    keep_seconds: float,
    stale_on: tuple[type[Exception], ...] = (),
    describe: Callable[[Exception], str] = _message,
    single_flight: bool = False,
    refresh: bool = False,
    subscope: str = "",
) -> Cached[T]:
    """`load()` or a recent copy of its result; the last good copy (marked stale) if `load` fails with
    one of `stale_on`. Any other failure, or one with no copy to fall back on, is raised."""
    full_key = _key(scope, key)
    generation = _generation(scope, subscope)
    # What is stored under a key was stored by a read of that key, so it holds this read's type.
    entry = cast("_Entry[T] | None", _entry(full_key))
    if not refresh and entry is not None and entry.fresh(generation, fresh_seconds):
        return _served(entry)

    asked_at = datetime.now(UTC)
    newer: list[_Entry[T]] = []

    def loaded_meanwhile() -> bool:
        found = cast("_Entry[T] | None", _entry(full_key))
        if found is not None and found.fresh(generation, fresh_seconds) and (not refresh or found.fetched_at >= asked_at):
            newer.append(found)
            return True
        return False

    # Not held after the wait: either the other loader finished (use its copy) or it is stuck (load anyway).
    loading: AbstractContextManager[bool] = (
        cache_lock(
            full_key + ":loading", hold_seconds=LOAD_WAIT_SECONDS + 5, wait_seconds=LOAD_WAIT_SECONDS, until=loaded_meanwhile
        )
        if single_flight
        else nullcontext(False)
    )
    with loading:
        if newer:
            return _served(newer[0])
        try:
            if entry is not None and not refresh:
                with copy_at_hand():  # the last good copy is at hand: yield to people who have nothing yet
                    value = load()
            else:
                value = load()
        except stale_on as error:
            if entry is None:
                raise
            return Cached(entry.value, entry.fetched_at, from_cache=True, stale=True, error=describe(error), failure=type(error))
        fetched_at = datetime.now(UTC)
        cache.set_many(
            {
                full_key: _Entry(generation, fetched_at, fresh_seconds, value),
                # the value-less stamp: checking freshness must not unpickle a whole page (a millisecond)
                full_key + ":stamp": _Entry(generation, fetched_at, fresh_seconds, None),
            },
            timeout=keep_seconds,
        )
        return Cached(value, fetched_at)


def read_or_failed(
    scope: str,
    key: str,
    load: Callable[[], T],
    *,
    failing: type[Exception],
    fresh_seconds: float,
    keep_seconds: float,
    describe: Callable[[Exception], str] = _message,
    refresh: bool = False,
) -> Cached[T | None]:
    """`read_through` that never raises a `failing` error: the last good copy (stale) when there is one,
    otherwise `Cached.failed(…)` with the same wording, so a failing source blanks only its own part."""
    try:
        return read_through(
            scope,
            key,
            load,
            fresh_seconds=fresh_seconds,
            keep_seconds=keep_seconds,
            stale_on=(failing,),
            describe=describe,
            refresh=refresh,
        )
    except failing as error:
        return Cached.failed(describe(error), type(error))


def _served(entry: _Entry[T]) -> Cached[T]:
    return Cached(entry.value, entry.fetched_at, from_cache=True)


def generation(scope: str, subscope: str = "") -> Generation:
    """The write counts of a scope and subscope now: a copy stored with them (`remember`) is fresh only
    until a write moves either. Read it before the load whose results are stored, never after."""
    return _generation(scope, subscope)


def remember(
    scope: str,
    copies: dict[str, object],
    *,
    generation: Generation,
    fetched_at: datetime,
    fresh_seconds: float,
    keep_seconds: float,
) -> None:
    """Store copies that another read brought along (the rows of a member page), each under its own key,
    as of when that read asked and with the generation it started from; read them with `cached_copy`."""
    cache.set_many(
        {_key(scope, key): _Entry(generation, fetched_at, fresh_seconds, value) for key, value in copies.items()},
        timeout=keep_seconds,
    )


def peek(scope: str, key: str, *, fresh_seconds: float | None = None, subscope: str = "") -> bool:
    """Is there a fresh copy? (Prefetching skips work that is already done.) Reads only the copy's
    small stamp: unpickling a whole page to look at its date would cost a warm page a millisecond."""
    stamp = cache.get(_key(scope, key) + ":stamp")
    return isinstance(stamp, _Entry) and stamp.fresh(_generation(scope, subscope), fresh_seconds)


def cached_copy(scope: str, key: str, kind: type[T], *, fresh_seconds: float | None = None, subscope: str = "") -> Cached[T] | None:
    """The stored copy of a `kind` value without loading anything: marked stale when past its fresh time."""
    entry = _entry(_key(scope, key))
    if entry is None or not isinstance(entry.value, kind):
        return None
    fresh = entry.fresh(_generation(scope, subscope), fresh_seconds)
    return Cached(entry.value, entry.fetched_at, from_cache=True, stale=not fresh)


@contextmanager
def cache_lock(
    key: str,
    *,
    hold_seconds: float,
    wait_seconds: float = 0,
    poll_seconds: float = 0.05,
    until: Callable[[], bool] | None = None,
) -> Iterator[bool]:
    """A lock every process shares. Yields True when held; False when it was not free within
    `wait_seconds`, or `until()` came true while waiting (its holder did the work). It expires after
    `hold_seconds` should its holder die, and is released on exit only if still ours."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_seconds
    held = cache.add(key, token, timeout=hold_seconds)
    while not held:
        if time.monotonic() >= deadline:
            break
        time.sleep(poll_seconds)
        if until is not None and until():
            break
        held = cache.add(key, token, timeout=hold_seconds)
    try:
        yield held
    finally:
        if held and cache.get(key) == token:  # never release a lock that expired and was taken by another
            cache.delete(key)


def lock_held(key: str) -> bool:
    """Is someone holding this lock right now?"""
    return cache.get(key) is not None
