"""Timing and call counting: what one request cost, read from the sandbox's own request log.

Every Wix call the sandbox serves is logged with its arrival time and duration, so a request's
upstream calls are the records that arrived while it ran, and its sequential round trips are the
groups of calls that did not overlap. Calls arriving after the response (a background prefetch,
say) are counted separately.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sandbox import RequestRecord, SandboxServer

# Paths of single-record reads: a list page must never make them (one per member or per pool).
PER_ITEM_PREFIXES = ("/members/v1/members/", "/benefit-programs/v1/balances/", "/benefit-programs/v1/pools/")
LIST_PATHS = ("/members/v1/members/query", "/benefit-programs/v1/balances/query", "/benefit-programs/v1/pools/query")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (no interpolation: it is a value that was observed)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def round_trips(records: Sequence[RequestRecord]) -> int:
    """How many sequential waves the calls formed: a call starting after every earlier one ended
    had to wait for them; calls that overlap ran side by side."""
    waves, end = 0, float("-inf")
    for record in sorted(records, key=lambda r: r.started):
        finish = record.started + record.duration_ms / 1000
        if record.started >= end:
            waves += 1
            end = finish
        else:
            end = max(end, finish)
    return waves


def per_item_calls(records: Sequence[RequestRecord]) -> list[str]:
    return [f"{r.method} {r.path}" for r in records if r.path.startswith(PER_ITEM_PREFIXES) and r.path not in LIST_PATHS]


@dataclass(frozen=True)
class Sample:
    """One timed request: its wall time and the Wix calls made while it ran."""

    ms: float
    status: int
    calls: tuple[RequestRecord, ...]

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def trips(self) -> int:
        return round_trips(self.calls)

    def shape(self) -> tuple[tuple[str, int], ...]:
        """Calls per path: the structure a page's cost must keep from page to page."""
        paths: dict[str, int] = {}
        for record in self.calls:
            paths[record.path] = paths.get(record.path, 0) + 1
        return tuple(sorted(paths.items()))


def timed(server: SandboxServer, action: Callable[[], int]) -> Sample:
    """Run `action` (returning an HTTP status) and collect the Wix calls that arrived meanwhile."""
    since = time.time()
    started = time.perf_counter()
    status = action()
    ms = (time.perf_counter() - started) * 1000
    until = time.time()
    calls = tuple(r for r in server.log.records() if since <= r.started <= until)
    return Sample(ms, status, calls)


def settle(server: SandboxServer, *, quiet: float, limit: float = 10.0) -> int:
    """Wait until the sandbox has had no call for `quiet` seconds (background work has finished);
    returns how many calls arrived meanwhile. Bounded by `limit` seconds."""
    deadline = time.monotonic() + limit
    seen = len(server.log)
    arrived = 0
    last_change = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(min(quiet / 4, 0.05))
        now = len(server.log)
        if now != seen:
            arrived += now - seen
            seen, last_change = now, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            break
    return arrived


def max_in_window(records: Sequence[RequestRecord], seconds: float = 60.0) -> int:
    """The most calls that arrived within any `seconds`-long window (what a rate limit counts)."""
    starts = sorted(r.started for r in records)
    best, left = 0, 0
    for right, t in enumerate(starts):
        while t - starts[left] >= seconds:
            left += 1
        best = max(best, right - left + 1)
    return best
