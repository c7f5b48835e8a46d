"""The Wix call budget every process of the deployment spends from (Wix allows ~200 calls/min per app).

Kept in Django's cache, so it is shared through Redis in production and per process in the demo
(local memory). Calls are counted in one-second buckets; a call may go out when the buckets of the
last 61 seconds hold fewer than the limit. That is a sliding window like Wix's own, one second wider so
differences in network latency can't push a burst over Wix's edge — the dashboard never earns a 429.

    budget = client.budget          # or RateBudget.for_upstream(name)
    budget.remaining()              # calls left in the window right now
    with budget.share(SCANS):
        ...                         # calls made here leave SCANS.leaves of the budget for people

WixClient spends one call per request it sends. People come first, and a change before a page: a change a
person is sending may use the whole budget; a page a person opened leaves a tenth for changes (a page can
fall back on its last good copy, a change cannot). Every caller runs inside its share from SHARES, the one
table of who may spend how much (a new kind of caller adds a row there, never its own numbers at the call
site); code outside any share spends as `people`:

    share      leaves for people   waits for room
    changes    0 %                 briefly (WIX_BUDGET_WAIT_SECONDS), then refuses clearly
    people     10 % (for changes)  briefly, then the page shows its last good copy or refuses clearly
    reloads    25 %                never: a person's page with its last good copy at hand shows that instead
    extras     25 %                never: the part of a person's page that can come a moment later (the
                                   member panel's recent transactions: its numbers come first)
    machines   20 %                briefly: the site's booking flow asks again, people are waiting here
    prefetch   25 %                never: a guess that finds no room is skipped
    scans      50 %                as long as the window takes: a whole-studio scan must not stop halfway
    exports    50 %                as long as the window takes, like scans
    drift      50 %                as long as the window takes: the bookings-vs-credits check, a scan too
    feed       50 %                as long as the window takes: the change feed, its status sweep and
                                   reconciliation (balances/feed.py), which also cap their own calls per run
    directory  60 %                as long as the window takes: the members' search index sync (a full
                                   walk must not stop halfway; it comes after scans and exports)

"Leaves" counts every call in the window, whoever made it: a share may spend only while the window
holds less than (1 − leaves) of the budget. After a person was refused, the shares that never serve a
waiting person (prefetch, scans, exports, drift, feed, machines) keep to the lower half for PEOPLE_FIRST_SECONDS.
After a change found no room, pages leave changes a quarter (CHANGES_FIRST) instead of a tenth for
CHANGES_FIRST_SECONDS: with pages spending up to the tenth they leave in every window, the changes of a
busy desk got that tenth and no more (the desk bench: 4 of 16 adjustments refused), while the pages that
yield fall back on their last good copy or the data Credit Desk holds (balances/held.py).
While Redis is away (config/cache.py: `degraded`) each process counts alone and so spends at most
budget ÷ WIX_PROCESSES.
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
PEOPLE_FIRST_SECONDS = 60  # after a person was refused, background shares keep to the lower half this long
CHANGES_FIRST_SECONDS = 60  # after a change found no room, pages leave changes CHANGES_FIRST this long
CHANGES_FIRST = Fraction(1, 4)


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
# A change a person is sending (RateBudget.writing): when it finds no room, pages leave it more for a while.
_changing: contextvars.ContextVar[bool] = contextvars.ContextVar("wix_budget_changing", default=False)
# A person's read with its last good copy at hand (cache.read_through): spends as RELOADS, whatever else holds.
_copy_at_hand: contextvars.ContextVar[bool] = contextvars.ContextVar("wix_budget_copy_at_hand", default=False)


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


CHANGES = Share("changes", Fraction(0), Waits.BRIEFLY)
PEOPLE = Share("people", Fraction(1, 10), Waits.BRIEFLY)
RELOADS = Share("reloads", Fraction(1, 4), Waits.NEVER)
EXTRAS = Share("extras", Fraction(1, 4), Waits.NEVER)
MACHINES = Share("machines", Fraction(1, 5), Waits.BRIEFLY)
PREFETCH = Share("prefetch", Fraction(1, 4), Waits.NEVER)
SCANS = Share("scans", Fraction(1, 2), Waits.FOR_ROOM)
EXPORTS = Share("exports", Fraction(1, 2), Waits.FOR_ROOM)
DRIFT = Share("drift", Fraction(1, 2), Waits.FOR_ROOM)
FEED = Share("feed", Fraction(1, 2), Waits.FOR_ROOM)
DIRECTORY = Share("directory", Fraction(3, 5), Waits.FOR_ROOM)
SHARES: dict[str, Share] = {
    s.name: s for s in (CHANGES, PEOPLE, RELOADS, EXTRAS, MACHINES, PREFETCH, SCANS, EXPORTS, DRIFT, FEED, DIRECTORY)
}


@contextlib.contextmanager
def copy_at_hand() -> Iterator[None]:
    """Calls made inside are a person's reload that could show its last good copy instead (RELOADS)."""
    token = _copy_at_hand.set(True)
    try:
        yield
    finally:
        _copy_at_hand.reset(token)


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
            return max(int(settings.WIX_CALLS_PER_MINUTE) // max(int(settings.WIX_PROCESSES), 1), 1)
        return int(settings.WIX_CALLS_PER_MINUTE)

    @property
    def write_reserve(self) -> int:
        """Calls a person's pages leave for changes."""
        return int(self.per_minute * PEOPLE.leaves)

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

    @property
    def _changes_waiting_key(self) -> str:
        return f"wix:budget:{self.name}:changes_waiting"

    def _window(self, now: float) -> tuple[dict[int, int], float]:
        """Calls per second over the window (current second included) and any pause Wix imposed."""
        counts, paused_until, _ = self._window_and_changes(now)
        return counts, paused_until

    def _window_and_changes(self, now: float) -> tuple[dict[int, int], float, bool]:
        """The window, any pause Wix imposed, and whether a change found no room lately — in one cache read."""
        second = int(now)
        seconds = range(second - self.window + 1, second + 1)
        found = cache.get_many([self._key(s) for s in seconds] + [self._pause_key, self._changes_waiting_key])
        counts = {s: int(found.get(self._key(s)) or 0) for s in seconds}
        return counts, float(found.get(self._pause_key) or 0), bool(found.get(self._changes_waiting_key))

    def remaining(self) -> int:
        counts, paused_until = self._window(time.time())
        if paused_until > time.time():
            return 0
        return max(self.per_minute - sum(counts.values()), 0)

    def spend(self, calls: int = 1, *, max_wait: float | None = None) -> None:
        """Take `calls` from the budget, waiting up to `max_wait` s for room; else WixBudgetExhausted."""
        background = _background.get()
        keep, default_wait = background if background else (self.write_reserve, settings.WIX_BUDGET_WAIT_SECONDS)
        if _copy_at_hand.get():
            keep, default_wait = max(keep, int(self.per_minute * RELOADS.leaves)), 0.0
        deadline = time.monotonic() + (default_wait if max_wait is None else max_wait)
        changing = _changing.get()
        for_people = background is None or keep <= self.write_reserve  # a person waits on it (a page or a change)
        if not for_people and cache.get(self._people_refused_key):
            # People were turned away moments ago: background work steps aside for a while.
            keep = max(keep, self.per_minute - self.per_minute // 2)
        first_try = True
        while True:
            now = time.time()
            key = self._key(int(now))
            # Count first, then look: two processes racing may both back off, but never both overspend.
            mine = _count(key, calls, self.window + 60)
            counts, paused_until, changes_waiting = self._window_and_changes(now)
            # A change found no room lately: every page and background job leaves changes a quarter.
            kept = max(keep, int(self.per_minute * CHANGES_FIRST)) if changes_waiting and not changing else keep
            limit = self.per_minute - kept
            used = sum(counts.values()) - counts[int(now)] + mine
            if used <= limit and paused_until <= now:
                if (tally := _tally.get()) is not None:
                    tally.add(calls)
                return
            try:
                cache.decr(key, calls)
            except ValueError:  # the counter is gone (Redis restarted empty): nothing of ours left to take back
                pass
            if changing and first_try and paused_until <= now:
                cache.set(self._changes_waiting_key, 1, timeout=CHANGES_FIRST_SECONDS)
            first_try = False
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
        """Calls made inside (this thread/context) leave `keep` calls for people and wait at most `max_wait`.
        Callers use `share(…)` with a row of SHARES; this is what it is built on."""
        token = _background.set((self.per_minute // 4 if keep is None else keep, max_wait))
        try:
            yield
        finally:
            _background.reset(token)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A change a person is waiting on (its re-reads included): CHANGES, first in line."""
        token = _changing.set(True)
        try:
            with self.share(CHANGES):
                yield
        finally:
            _changing.reset(token)

    def share(self, share: Share) -> contextlib.AbstractContextManager[None]:
        """Calls made inside spend from `share` (a row of SHARES)."""
        if share.waits is Waits.NEVER:
            max_wait = 0.0
        elif share.waits is Waits.BRIEFLY:
            max_wait = float(settings.WIX_BUDGET_WAIT_SECONDS)
        else:
            max_wait = float(self.window)
        return self.background(keep=int(self.per_minute * share.leaves), max_wait=max_wait)


def _count(key: str, calls: int, timeout: int) -> int:
    """Add `calls` to the counter at `key` and return its total. The counter can vanish between the add
    that found it and the incr (Redis restarted empty, or the cache switched to or from its fallback):
    Django's incr then raises ValueError — count afresh rather than fail the Wix call (a 500)."""
    for _ in range(3):
        if cache.add(key, calls, timeout):
            return calls
        try:
            return int(cache.incr(key, calls))
        except ValueError:
            continue
    cache.set(key, calls, timeout)
    return calls
