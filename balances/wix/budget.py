"""The Wix call budget every process of the deployment spends from (Wix allows ~200 calls/min per app).

Kept in Django's cache, so it is shared through Redis in production and per process in the demo
(local memory). Calls are counted in one-second buckets; a call may go out when the buckets of the
last 61 seconds hold fewer than the limit. That is a sliding window like Wix's own, one second wider so
differences in network latency can't push a burst over Wix's edge — the dashboard never earns a 429.

    budget = client.budget          # or RateBudget.for_upstream(name)
    budget.remaining()              # calls left in the window right now
    with budget.background(keep=50):
        ...                         # calls made here never wait and leave 50 calls for people
    with budget.bulk():
        ...                         # whole-studio work: waits for room, leaves half for people

WixClient spends one call per request it sends. Who goes first when calls are short: a change a person is
sending (`writing()`, may spend everything), then a page a person opened (leaves `write_reserve`, a tenth,
for changes), then background work (prefetching: `background()`, leaves a quarter; whole-studio scans and
exports: `bulk()`, leave half). Pages fall back on their last good copy when the budget is the limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .errors import WixBudgetExhausted

WINDOW_SECONDS = 61  # the default of settings.WIX_BUDGET_WINDOW_SECONDS (tests shorten it)
PEOPLE_FIRST_SECONDS = 60  # after a person was refused, background work keeps to the lower half this long

# (calls to leave unspent, longest wait) for the code running in this context; None = interactive.
_background: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar("wix_budget_background", default=None)
# A share of the budget to leave unspent (on top of the above), for reads that have a last good copy to show.
_keep_share: contextvars.ContextVar[float] = contextvars.ContextVar("wix_budget_keep_share", default=0.0)


@contextlib.contextmanager
def copy_at_hand(share: float = 0.25) -> Iterator[None]:
    """A person's read that could show its last good copy instead: it leaves `share` of the budget to reads
    that have nothing to show (a member nobody has opened yet) and never waits for room."""
    token = _keep_share.set(share)
    try:
        yield
    finally:
        _keep_share.reset(token)


@dataclass(frozen=True)
class RateBudget:
    name: str  # one budget per Wix app instance / site (hashed: never a credential)

    @classmethod
    def for_upstream(cls, *parts: str) -> RateBudget:
        return cls(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16])

    @property
    def per_minute(self) -> int:
        if getattr(cache, "degraded", False):
            # Redis is away: this process counts alone, so it may spend only its part of the budget.
            return max(settings.WIX_CALLS_PER_MINUTE // max(settings.WIX_PROCESSES, 1), 1)
        return settings.WIX_CALLS_PER_MINUTE

    def _key(self, second: int) -> str:
        return f"wix:budget:{self.name}:{second}"

    @property
    def window(self) -> int:
        """Seconds (one-second buckets) a call counts against the budget."""
        return getattr(settings, "WIX_BUDGET_WINDOW_SECONDS", WINDOW_SECONDS)

    @property
    def _people_refused_key(self) -> str:
        return f"wix:budget:{self.name}:people_refused"

    @property
    def _pause_key(self) -> str:
        return f"wix:budget:{self.name}:paused"

    def _window(self, now: float) -> tuple[dict[int, int], float]:
        """Calls per second over the window (current second included) and any pause Wix imposed."""
        second = int(now)
        seconds = range(second - self.window + 1, second + 1)
        found = cache.get_many([self._key(s) for s in seconds] + [self._pause_key])
        counts = {s: int(found.get(self._key(s)) or 0) for s in seconds}
        return counts, float(found.get(self._pause_key) or 0)

    def remaining(self) -> int:
        counts, paused_until = self._window(time.time())
        if paused_until > time.time():
            return 0
        return max(self.per_minute - sum(counts.values()), 0)

    @property
    def write_reserve(self) -> int:
        """Calls a person's reads leave for changes (a form being sent outranks a panel being opened: a
        panel can fall back on its last good copy, a change cannot)."""
        return self.per_minute // 10

    def spend(self, calls: int = 1, *, max_wait: float | None = None) -> None:
        """Take `calls` from the budget, waiting up to `max_wait` s for room; else WixBudgetExhausted."""
        background = _background.get()
        keep, default_wait = background if background else (self.write_reserve, settings.WIX_BUDGET_WAIT_SECONDS)
        if share := _keep_share.get():
            keep, default_wait = max(keep, int(self.per_minute * share)), 0.0
        deadline = time.monotonic() + (default_wait if max_wait is None else max_wait)
        limit = self.per_minute - keep
        for_people = background is None or background[0] == 0  # a person waits on it (a page or a change)
        if not for_people and cache.get(self._people_refused_key):
            # People were turned away moments ago: background work (prefetch, scans) steps aside for a while.
            limit = min(limit, self.per_minute // 2)
        while True:
            now = time.time()
            key = self._key(int(now))
            # Count first, then look: two processes racing may both back off, but never both overspend.
            if cache.add(key, calls, self.window + 60):
                mine = calls
            else:
                mine = cache.incr(key, calls)
            counts, paused_until = self._window(now)
            used = sum(counts.values()) - counts[int(now)] + mine
            if used <= limit and paused_until <= now:
                return
            cache.decr(key, calls)
            wait = max(paused_until - now, self._seconds_until_room(counts, now, used - limit))
            if time.monotonic() + wait > deadline:
                if for_people and paused_until <= now:
                    cache.set(self._people_refused_key, 1, timeout=PEOPLE_FIRST_SECONDS)
                if paused_until > now:  # Wix itself asked for the pause: say so
                    raise WixBudgetExhausted(f"Wix is rate limiting — retry in {int(wait + 0.999)} s.", retry_after=wait)
                raise WixBudgetExhausted(retry_after=max(wait, 1.0))
            time.sleep(max(wait, 0.05))

    def _seconds_until_room(self, counts: dict[int, int], now: float, excess: int) -> float:
        """When enough of the oldest calls leave the window to make room for `excess` more."""
        freed = 0
        for second in sorted(counts):
            freed += counts[second]
            if freed >= excess:
                return second + self.window - now
        return self.window

    def pause(self, seconds: float) -> None:
        """Wix answered 429 anyway (its limit is shared with other apps): every process holds off."""
        cache.set(self._pause_key, time.time() + seconds, timeout=int(seconds) + 1)

    @contextlib.contextmanager
    def background(self, *, keep: int | None = None, max_wait: float = 0.0) -> Iterator[None]:
        """Calls made inside (this thread/context) leave `keep` calls for people and wait at most `max_wait`."""
        token = _background.set((self.per_minute // 4 if keep is None else keep, max_wait))
        try:
            yield
        finally:
            _background.reset(token)

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """A change a person is waiting on (its re-reads included): may spend the whole budget."""
        return self.background(keep=0, max_wait=settings.WIX_BUDGET_WAIT_SECONDS)

    def bulk(self) -> contextlib.AbstractContextManager[None]:
        """Whole-studio work (the needs-attention scan, CSV exports): at most half the budget, the rest left
        to people; a call waits as long as the window takes for room rather than failing halfway."""
        return self.background(keep=self.per_minute // 2, max_wait=self.window)
