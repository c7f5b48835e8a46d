"""The Wix call budget every process of the deployment spends from (Wix allows ~200 calls/min per app).

Kept in Django's cache, so it is shared through Redis in production and per process in the demo
(local memory). Calls are counted in one-second buckets; a call may go out when the buckets of the
last 61 seconds hold fewer than the limit. That is a sliding window like Wix's own, one second wider so
differences in network latency can't push a burst over Wix's edge — the dashboard never earns a 429.

    budget = client.budget          # or RateBudget.for_upstream(name)
    budget.remaining()              # calls left in the window right now
    with budget.share(SCANS):
        ...                         # calls made here leave SCANS.leaves of the budget for people

WixClient spends one call per request it sends. People come first: a person's page may use the whole
budget. Every other caller runs inside its share from SHARES, the one table of who may spend how much
(a new kind of caller adds a row there, never its own numbers at the call site):

    share      leaves for people   waits for room
    people     0 %                 briefly (WIX_BUDGET_WAIT_SECONDS), then refuses clearly
    machines   20 %                briefly: the site's booking flow asks again, people are waiting here
    prefetch   25 %                never: a guess that finds no room is skipped
    scans      50 %                as long as the window takes: a whole-studio scan must not stop halfway
    exports    50 %                as long as the window takes, like scans

"Leaves" counts every call in the window, whoever made it: a share may spend only while the window
holds less than (1 − leaves) of the budget.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from django.conf import settings
from django.core.cache import cache

from .errors import WixBudgetExhausted

WINDOW_SECONDS = 61  # the default of settings.WIX_BUDGET_WINDOW_SECONDS (tests shorten it)


class CallTally:
    """How many calls the code inside `counting_calls()` spent (its threads included: run_together copies
    the context). The API charges a token what its request really cost in Wix calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0

    def add(self, calls: int) -> None:
        with self._lock:
            self.calls += calls


_tally: contextvars.ContextVar[CallTally | None] = contextvars.ContextVar("wix_budget_tally", default=None)


@contextlib.contextmanager
def counting_calls() -> Iterator[CallTally]:
    tally = CallTally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        _tally.reset(token)


# (calls to leave unspent, longest wait) for the code running in this context; None = interactive.
_background: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar("wix_budget_background", default=None)


class Waits(Enum):
    NEVER = "never"
    BRIEFLY = "briefly"  # settings.WIX_BUDGET_WAIT_SECONDS, as a person would
    FOR_ROOM = "for room"  # up to a whole window


@dataclass(frozen=True)
class Share:
    """What one kind of caller may spend: it leaves `leaves` of the budget to people, and waits so long."""

    name: str
    leaves: Fraction
    waits: Waits

    @property
    def percent_left(self) -> int:
        return int(self.leaves * 100)


PEOPLE = Share("people", Fraction(0), Waits.BRIEFLY)
MACHINES = Share("machines", Fraction(1, 5), Waits.BRIEFLY)
PREFETCH = Share("prefetch", Fraction(1, 4), Waits.NEVER)
SCANS = Share("scans", Fraction(1, 2), Waits.FOR_ROOM)
EXPORTS = Share("exports", Fraction(1, 2), Waits.FOR_ROOM)
SHARES: dict[str, Share] = {s.name: s for s in (PEOPLE, MACHINES, PREFETCH, SCANS, EXPORTS)}


@dataclass(frozen=True)
class RateBudget:
    name: str  # one budget per Wix app instance / site (hashed: never a credential)

    @classmethod
    def for_upstream(cls, *parts: str) -> RateBudget:
        return cls(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16])

    @property
    def per_minute(self) -> int:
        return int(settings.WIX_CALLS_PER_MINUTE)

    def _key(self, second: int) -> str:
        return f"wix:budget:{self.name}:{second}"

    @property
    def window(self) -> int:
        """Seconds (one-second buckets) a call counts against the budget."""
        return getattr(settings, "WIX_BUDGET_WINDOW_SECONDS", WINDOW_SECONDS)

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

    def spend(self, calls: int = 1, *, max_wait: float | None = None) -> None:
        """Take `calls` from the budget, waiting up to `max_wait` s for room; else WixBudgetExhausted."""
        background = _background.get()
        keep, default_wait = background if background else (0, settings.WIX_BUDGET_WAIT_SECONDS)
        deadline = time.monotonic() + (default_wait if max_wait is None else max_wait)
        limit = self.per_minute - keep
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
                if (tally := _tally.get()) is not None:
                    tally.add(calls)
                return
            cache.decr(key, calls)
            wait = max(paused_until - now, self._seconds_until_room(counts, now, used - limit))
            if time.monotonic() + wait > deadline:
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
        """Calls made inside (this thread/context) leave `keep` calls for people and wait at most `max_wait`.
        Callers use `share(…)` with a row of SHARES; this is what it is built on."""
        token = _background.set((self.per_minute // 4 if keep is None else keep, max_wait))
        try:
            yield
        finally:
            _background.reset(token)

    def share(self, share: Share) -> contextlib.AbstractContextManager[None]:
        """Calls made inside spend from `share` (a row of SHARES)."""
        if share.waits is Waits.NEVER:
            max_wait = 0.0
        elif share.waits is Waits.BRIEFLY:
            max_wait = float(settings.WIX_BUDGET_WAIT_SECONDS)
        else:
            max_wait = float(self.window)
        return self.background(keep=int(self.per_minute * share.leaves), max_wait=max_wait)
