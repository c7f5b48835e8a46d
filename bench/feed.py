"""Issue 18's measurements: the change feed keeping Needs attention fresh (balances/feed.py).

For a studio size and a rate of changes, in real time (short windows, not simulated time):

- the feed is seeded by a full rebuild (the sandbox's rate limit lifted for it: it is set-up, not measured);
- then the sandbox enforces Wix's 200 calls a minute and our budget is 200 a minute; the feed runs at its
  production cadence (`FEED_POLL_SECONDS`), and one status sweep + reconciliation run is made at the
  window's start and its calls are spread over `FEED_SWEEP_SECONDS` in the cost line (that is how often
  the job runs);
- a generator makes changes in the sandbox for `window` seconds at the given rate — bookings and
  adjustments (transactions), pauses, resumes and renewals (status changes with no transaction) — and
  every few seconds a *probe*: a member with one plan set to 0 credits. The delay from
  a probe to that member being counted in "Out of credits" (the answer the Needs attention page shows,
  `cached_state_report`) is its freshness;
- at the end of a size's runs, once the feed has polled and the sweep has finished a cycle, the
  feed-maintained answers are compared with a full rescan (the rate limit lifted for that rescan only).

Ending a plan makes no transaction in the sandbox, and an end straight from ACTIVE (or from a pause the
sweep has not seen yet) leaves no swept status either: only the reconciliation catches it, over its cycle
(hours at 50,000 members). The generator therefore makes no ends, and the agreement line holds for what
the feed and the sweep cover (tests/balances/test_feed.py shows the reconciliation catching an end).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection

from balances import attention, feed
from balances.attention import CATEGORY_KEYS
from balances.concurrency import run_detached
from balances.wix.connection import connection_fingerprint, current_auth, get_client, reset_clients

from .measure import median, p95
from .report import Report, Row, verdict

COST_GOAL = 0.10  # of the budget, at 50,000 members and 60 changes a minute
FRESH_GOAL_SECONDS = 60
PROBE_EVERY_SECONDS = 3.0


@dataclass
class Window:
    rate: int
    delays: list[float]
    missed: int
    poll_calls: int
    polls: int
    sweep_calls: int
    reconcile_calls: int
    seconds: float
    changes: int

    def calls_per_minute(self) -> float:
        per_minute = 60 / settings.FEED_SWEEP_SECONDS
        return self.poll_calls * 60 / self.seconds + (self.sweep_calls + self.reconcile_calls) * per_minute


def _fingerprint() -> str:
    return connection_fingerprint(current_auth())


class Changes:
    """Changes made in the sandbox at a steady rate, and the probes among them."""

    def __init__(self, studio, rate: int, probes: list[tuple[str, str]], seed: int):
        self.studio, self.rate, self.probe_pool = studio, rate, probes
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.made = 0
        self.probes: dict[str, float] = {}  # member id -> when its plan was set to 0
        probe_pools = {pool for _, pool in probes}
        self.credit_pools = [
            p["id"]
            for p in studio.pools
            if p["status"] == "ACTIVE" and p["id"] not in probe_pools and studio.balance(p["id"]) is not None
        ]
        self.paused: list[str] = []
        self.renewing: list[str] = []

    def _one(self) -> None:
        studio, rng = self.studio, self.rng
        roll = rng.random()
        if roll < 0.80:
            pool = rng.choice(self.credit_pools)
            available = Decimal(studio.balance(pool)["amount"]["available"])
            value = Decimal(-1) if available >= 1 and rng.random() < 0.7 else Decimal(1)
            studio.change_balance(pool, op="ADJUST", value=value, idempotency_key=f"bench-{uuid.uuid4().hex}")
        elif roll < 0.87:
            pool = rng.choice(self.credit_pools)
            if studio.get_pool(pool)["status"] == "ACTIVE":
                studio.set_pool_status(pool, "PAUSED")
                self.paused.append(pool)
        elif roll < 0.93 and self.paused:
            studio.set_pool_status(self.paused.pop(rng.randrange(len(self.paused))), "ACTIVE")
        elif roll < 0.97:
            pool = rng.choice(self.credit_pools)
            if studio.get_pool(pool)["status"] == "ACTIVE":
                studio.set_pool_status(pool, "RENEWING")
                self.renewing.append(pool)
        elif self.renewing:  # the renewal completes: active again, with its new credits (a transaction)
            pool = self.renewing.pop(0)
            studio.set_pool_status(pool, "ACTIVE")
            studio.change_balance(pool, op="ADJUST", value=Decimal(4), idempotency_key=f"renewal-bench-{uuid.uuid4().hex}")
        self.made += 1

    def run(self, seconds: float) -> None:
        started = time.monotonic()
        next_probe = started + 1.0
        interval = 60 / self.rate
        tick = started
        while not self.stop.is_set() and time.monotonic() - started < seconds:
            now = time.monotonic()
            if now >= next_probe and self.probe_pool:
                member, pool = self.probe_pool.pop()
                self.studio.change_balance(pool, op="SET", value=Decimal(0), idempotency_key=f"probe-{uuid.uuid4().hex}")
                self.probes[member] = time.time()
                self.made += 1
                next_probe += PROBE_EVERY_SECONDS
            self._one()
            tick += interval
            self.stop.wait(max(tick - time.monotonic(), 0))


def _probe_candidates(studio, threshold: Decimal) -> list[tuple[str, str]]:
    """Members with exactly one plan, ACTIVE, holding more than the threshold: setting it to 0 puts them
    in "Out of credits", and nothing else does."""
    found = []
    for member in studio.members:
        pools = studio.pools_for(member["id"])
        if len(pools) != 1 or pools[0]["status"] != "ACTIVE":
            continue
        balance = studio.balance(pools[0]["id"])
        if balance is not None and Decimal(balance["amount"]["available"]) > threshold + 1:
            found.append((member["id"], pools[0]["id"]))
    random.Random(5).shuffle(found)
    return found


def _feed_loop(fingerprint: str, stop: threading.Event, tally: dict[str, int]) -> None:
    client = get_client()
    try:
        while not stop.is_set():
            started = time.monotonic()
            result = feed.poll(client, fingerprint)
            if result is not None:
                tally["calls"] += result.calls
                tally["polls"] += 1
            stop.wait(max(settings.FEED_POLL_SECONDS - (time.monotonic() - started), 0))
    finally:
        connection.close()


def _watch(fingerprint: str, changes: Changes, found: dict[str, float], stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            report = feed.cached_state_report(fingerprint)
            if report is not None:
                out = {f.member_id for f in report.groups["out"]}
                now = time.time()
                for member in list(changes.probes):
                    if member not in found and member in out:
                        found[member] = now
            stop.wait(0.25)
    finally:
        connection.close()


def _window(server, fingerprint: str, rate: int, seconds: float, probes, seed: int) -> Window:
    client = get_client()
    swept = feed.sweep(client, fingerprint)
    checked = feed.reconcile(client, fingerprint)
    assert swept is not None and checked is not None
    changes = Changes(server.studio, rate, probes, seed)
    found: dict[str, float] = {}
    tally = {"calls": 0, "polls": 0}
    stop = threading.Event()
    started = time.monotonic()
    threads = [
        run_detached(lambda: _feed_loop(fingerprint, stop, tally), name="bench-feed"),
        run_detached(lambda: _watch(fingerprint, changes, found, stop), name="bench-watch"),
    ]
    changes.run(seconds)
    deadline = time.monotonic() + 2 * settings.FEED_POLL_SECONDS + 10  # the last probes' poll
    while time.monotonic() < deadline and len(found) < len(changes.probes):
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(60)
    delays = [found[m] - t for m, t in changes.probes.items() if m in found]
    return Window(
        rate=rate,
        delays=delays,
        missed=len(changes.probes) - len(delays),
        poll_calls=tally["calls"],
        polls=tally["polls"],
        sweep_calls=swept.calls,
        reconcile_calls=checked.calls,
        seconds=elapsed,
        changes=changes.made,
    )


def _agreement(server, fingerprint: str, budget: int) -> tuple[int, list[str]]:
    """Differences between the feed's answers and a full rescan (the rate limit lifted for the rescan)."""
    client = get_client()
    feed.poll(client, fingerprint)
    while True:  # finish the sweep's cycle
        swept = feed.sweep(client, fingerprint)
        if swept is None or swept.wrapped:
            break
    feed.poll(client, fingerprint)
    threshold = feed._threshold()
    from_feed = feed.report_from_state(fingerprint, threshold)
    server.faults.update(rate_limit_per_minute=None)
    settings.WIX_CALLS_PER_MINUTE = 1_000_000
    try:
        scanned = attention.scan(client, fingerprint, threshold)
    finally:
        server.faults.update(rate_limit_per_minute=budget)
        settings.WIX_CALLS_PER_MINUTE = budget
    differences = []
    assert from_feed is not None
    for key in CATEGORY_KEYS:
        ours = {(f.member_id, f.pool_id, f.available) for f in from_feed.groups[key]}
        theirs = {(f.member_id, f.pool_id, f.available) for f in scanned.groups[key]}
        differences += [f"{key}: only in the feed {row}" for row in sorted(ours - theirs)]
        differences += [f"{key}: only in the rescan {row}" for row in sorted(theirs - ours)]
    return len(differences), differences[:10]


def measure(report: Report, server, *, budget: int, window: float, rates=(60, 600), progress=print) -> None:
    members = len(server.studio.members)
    reset_clients()
    fingerprint = _fingerprint()
    client = get_client()
    server.faults.update(rate_limit_per_minute=None)
    settings.WIX_CALLS_PER_MINUTE = 1_000_000
    progress(f"feed: seeding the state of {members:,} members with a full rebuild")
    seeded = feed.rebuild(client, fingerprint)
    server.faults.update(rate_limit_per_minute=budget)
    settings.WIX_CALLS_PER_MINUTE = budget
    rescan_calls = seeded.calls
    probes = _probe_candidates(server.studio, feed._threshold())
    for index, rate in enumerate(rates):
        progress(f"feed: {members:,} members, {rate} changes/min for {window:.0f} s")
        w = _window(server, fingerprint, rate, window, probes, seed=members + rate)
        fresh_p95 = p95(w.delays) if w.delays else float("inf")
        report.rows.append(
            Row(
                "18",
                f"freshness: change in Wix → Needs attention, {members:,} members, {rate} changes/min",
                (f"median {median(w.delays):.1f} s, p95 {fresh_p95:.1f} s" if w.delays else "no probe seen")
                + f" over {len(w.delays)} probes"
                + (f" ({w.missed} not seen in time)" if w.missed else "")
                + f"; {w.changes} changes in {w.seconds:.0f} s",
                f"p95 ≤ {FRESH_GOAL_SECONDS} s",
                "met" if fresh_p95 <= FRESH_GOAL_SECONDS and not w.missed else "**missed**",
            )
        )
        cost = w.calls_per_minute()
        # The full rescan as fresh as the feed's p95: one rescan every p95 seconds.
        rescan_per_minute = rescan_calls * 60 / max(fresh_p95, 1)
        share = cost / budget
        report.rows.append(
            Row(
                "18",
                f"cost: calls/min to stay fresh, {members:,} members, {rate} changes/min",
                f"{cost:.1f} calls/min = {share:.1%} of {budget} (polls {w.poll_calls} calls in {w.polls} polls over "
                f"{w.seconds:.0f} s; sweep {w.sweep_calls} + reconciliation {w.reconcile_calls} calls per "
                f"{settings.FEED_SWEEP_SECONDS // 60} min)",
                f"≤ {COST_GOAL:.0%} of the budget at 50,000 members, 60/min" if (members >= 50_000 and rate == 60) else "reported",
                verdict(share <= COST_GOAL) if (members >= 50_000 and rate == 60) else "reported",
                naive=f"{rescan_per_minute:,.0f} calls/min (a {rescan_calls:,}-call rescan every {fresh_p95:.0f} s)",
                ratio=f"{rescan_per_minute / cost:,.0f}×" if cost else "—",
            )
        )
        if members >= 50_000 and rate == 60:
            report.check(
                f"feed cost at {members:,} members and 60 changes/min ≤ 10 % of the budget", share <= COST_GOAL, f"{share:.1%}"
            )
        if index == len(rates) - 1:
            progress(f"feed: {members:,} members, comparing with a full rescan")
            count, sample = _agreement(server, fingerprint, budget)
            report.rows.append(
                Row(
                    "18",
                    f"agreement: feed-maintained answers vs a full rescan, {members:,} members",
                    f"{count} differences" + (f": {'; '.join(sample)}" if sample else ""),
                    "0 differences",
                    verdict(count == 0),
                )
            )
            report.check(f"feed answers equal a full rescan at {members:,} members", count == 0, f"{count} differences")
    settings.WIX_CALLS_PER_MINUTE = 1_000_000
    server.faults.update(rate_limit_per_minute=None)


NOTES = [
    "Issue 18 (the change feed): real time, short windows — each rate runs for `--feed-window` seconds (60 by "
    "default) at the production cadence (poll every FEED_POLL_SECONDS = 20 s); the sandbox enforces 200 calls a "
    "minute meanwhile. The status sweep and the reconciliation run once at each window's start; their calls are "
    "counted at the rate their job runs (every FEED_SWEEP_SECONDS = 5 min). The full rescan's cost for the same "
    "freshness is one rescan (the seeding rebuild's calls) every p95 seconds. Probes set a one-plan member to 0 "
    "credits; freshness is until that member is counted in “Out of credits” as the page reads it.",
]
