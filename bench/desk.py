"""The desk under the production call budget: 20 front-desk staff opening member panels and adjusting
credits through two gunicorn workers sharing Redis, at 200 Wix calls a minute (the sandbox enforces it as
Wix would), with background work running (the worker: change feed, Resolve, the search index's jobs;
next-page prefetch).

The goal is 0 × 503 on panel opens and adjustments. A panel's numbers cost Query Pools + Query Balances
(Get Member only without a record of the member read minutes ago), its recent transactions come beside
them only while a quarter of the budget is left, and when our own budget (not Wix) is the limit a panel
is drawn from the freshest numbers Credit Desk holds — its last copy, a member page's row, or the change
feed's state — under the stale banner with their age (balances/reads.py, balances/held.py). Changes
outrank pages: every read a change makes spends as the change (balances/wix/budget.py).

By default the desk opens the way a desk that has been running does: the change feed's state and the
members' search index exist (their first build ran before the leg, outside its call window). People open
members nobody has shown them (the harder case: no member page's row to draw on), and adjust only plans
the front desk is offered an Adjust button for (not ENDED ones: those are the owner's and answer 403).
`--desk-cold` starts from an empty database instead — the first minutes after a new deployment, while
people's calls leave the feed's first build no room: then a member nobody opened yet has nothing to
fall back on, and the figure says so.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from . import load
from .environment import ROOT
from .measure import p95
from .report import Report, Row, ms, verdict

FIELDS = ("csrfmiddlewaretoken", "idempotency_key", "revision", "seen_available")


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict[str, Counter] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    stale: Counter = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    samples: dict[str, Counter] = field(default_factory=lambda: {"panel": Counter(), "adjust": Counter(), "list": Counter()})

    def add(self, kind: str, status: int, ms_taken: float, stale: bool = False) -> None:
        with self.lock:
            self.answers.setdefault(kind, Counter())[status] += 1
            self.latencies.setdefault(kind, []).append(ms_taken)
            self.stale[kind] += stale

    def count(self, kind: str, status: int | None = None) -> int:
        answers = self.answers.get(kind, Counter())
        return sum(answers.values()) if status is None else answers[status]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError("redis-server did not start")


def _staff_cookies(count: int) -> list[str]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.test import Client

    from balances.roles import ADJUST_CREDITS, FRONT_DESK, codename

    cookies = []
    for i in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"desk-{i}")
        user.groups.set([Group.objects.get(name=FRONT_DESK)])
        user.user_permissions.add(Permission.objects.get(codename=codename(ADJUST_CREDITS)))  # the owner let them adjust
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return cookies


def desk(
    report: Report,
    env: dict,
    workdir: Path,
    server,
    *,
    staff: int = 20,
    budget: int = 200,
    warmup: float = 20,
    seconds: float = 60,
    think: tuple[float, float] = (5.0, 15.0),
    adjust_share: float = 0.15,
    cold: bool = False,
) -> None:
    """Each person: an action every `think` seconds (a busy desk: a check-in every 10 s on average) — 20 %
    a member list page, 15 % (`adjust_share`) an adjustment (open the form, send it), the rest a panel."""
    if not shutil.which("redis-server"):
        report.rows.append(Row("13", "desk under the call budget", "skipped: redis-server is not installed", "0 × 503", "reported"))
        return
    # A short window (the smoke run's few seconds) still sees every person act more than once.
    think = (min(think[0], seconds / 4), min(think[1], seconds / 2))
    studio = server.studio
    rng = random.Random(13)
    # The members the desk sees today (bookings): a few dozen, opened again and again.
    with_pools = [p for p in studio.pools if studio.balance(p["id"]) is not None and not p.get("unlimited")]
    today = rng.sample(with_pools, min(60, len(with_pools)))
    # The Adjust button (and +1/−1) is offered to front desk staff on plans that have not ended.
    adjustable = [p for p in today if p["status"] != "ENDED"] or today
    if not cold:
        _settle_in()
    redis_process, redis_url = _start_redis()
    # Wix's own limit, as the sandbox enforces it — counted from now: the earlier legs' calls are not in
    # this leg's (fresh) Redis budget, so they must not be in Wix's window either.
    latency = server.faults.latency
    server.faults.reset()
    server.faults.update(latency=latency, rate_limit_per_minute=budget)
    leg_started = time.time()
    desk_env = {
        **env,
        "REDIS_URL": redis_url,
        "WIX_CALLS_PER_MINUTE": str(budget),
        "WIX_PROCESSES": "2",
        "WIX_PREFETCH_NEXT_PAGE": "true",
        "WIX_TIMEOUT_SECONDS": "8",
    }
    cookies = _staff_cookies(staff)
    tally = Tally()
    scan = None
    try:
        with load.gunicorn(desk_env, workdir, workers=2) as gunicorn:
            base = gunicorn.url
            scan = subprocess.Popen(  # background work: the worker (the whole-studio scan, Resolve, queued tasks)
                [sys.executable, str(ROOT / "manage.py"), "worker"],
                cwd=ROOT,
                env={**os.environ, **desk_env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            measuring = threading.Event()
            stop = threading.Event()

            def person(index: int) -> None:
                try:
                    _person(index)
                except Exception as error:  # a broken leg must show in the table, not vanish in a thread
                    with tally.lock:
                        tally.crashes.append(f"{type(error).__name__}: {error}")

            def _person(index: int) -> None:
                r = random.Random(index)
                with httpx.Client(base_url=base, cookies={"sessionid": cookies[index]}, timeout=30) as http:
                    while not stop.is_set():
                        pool = r.choice(today)
                        member = pool["beneficiary"]["memberId"]
                        roll = r.random()
                        if roll < 0.2:
                            kind, response, took = _get(http, f"/members/?page={r.randint(1, 5)}")
                        elif roll < 1 - adjust_share:
                            kind, response, took = _get(http, f"/members/{member}/", kind="panel")
                        else:
                            chosen = r.choice(adjustable)
                            kind, response, took = _adjust(http, chosen["beneficiary"]["memberId"], chosen["id"])
                        if measuring.is_set() and response is not None:
                            tally.add(kind, response.status_code, took, "Showing the last data" in response.text)
                            if response.status_code == 503 and len(tally.samples) < 200:
                                text = re.sub(r"<[^>]+>|\s+", " ", response.text)
                                tally.samples[kind].update([re.sub(r"\d+", "N", " ".join(text.split()))[:160]])
                        stop.wait(r.uniform(*think))  # a person reads, talks to the member, types

            threads = [threading.Thread(target=person, args=(i,), daemon=True) for i in range(staff)]
            for thread in threads:
                thread.start()
            time.sleep(warmup)
            measuring.set()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        if scan is not None:
            scan.terminate()
            try:
                scan.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a job mid-run (a scan waits for budget): no need to finish it
                scan.kill()
                scan.wait()
        redis_process.kill()
        redis_process.wait()
        server.faults.rate_limit_per_minute = None

    panels, adjusts = tally.count("panel"), tally.count("adjust")
    panel_503, adjust_503 = tally.count("panel", 503), tally.count("adjust", 503)
    lists, list_503 = tally.count("list"), tally.count("list", 503)
    five_hundreds = sum(tally.count(k, 500) for k in tally.answers)
    report.rows.append(
        Row(
            "13",
            f"desk at {budget} calls/min: {staff} staff (an action every {think[0]:g}–{think[1]:g} s, {adjust_share:.0%} "
            f"adjustments), 2 workers + worker + prefetch, {'cold start' if cold else 'feed state and search index built'}, "
            f"{seconds:.0f} s after {warmup:.0f} s warm-up",
            f"panel opens {panel_503}/{panels} × 503 ({tally.stale['panel']} from data held, p95 "
            f"{ms(p95(tally.latencies.get('panel', [0])))}); adjustments {adjust_503}/{adjusts} × 503 (p95 "
            f"{ms(p95(tally.latencies.get('adjust', [0])))}); member lists {list_503}/{lists} × 503; "
            f"Wix answered 429 {_wix_429s(server, leg_started)} times",
            "0 × 503 on panel opens and adjustments",
            verdict(panel_503 == 0 and adjust_503 == 0),
        )
    )
    report.check("desk: no 500 under the call budget", five_hundreds == 0, f"{five_hundreds} × 500")
    report.notes.append("desk: answers " + "; ".join(f"{k}: {dict(v)}" for k, v in tally.answers.items()))
    paths = Counter(re.sub(r"[0-9a-f-]{36}", "{id}", r.path) for r in server.log.records() if r.started >= leg_started)
    report.notes.append("desk: Wix calls " + ", ".join(f"{p} × {n}" for p, n in paths.most_common(8)))
    for kind, found in tally.samples.items():
        for text, times in found.most_common(3):
            report.notes.append(f"desk: {times} × 503 on {kind}: “{text}”")
    report.check("desk: every simulated person ran to the end", not tally.crashes, "; ".join(tally.crashes[:3]))
    report.check("desk: the staff were measured", panels + adjusts + lists > 0, f"{panels} panels, {adjusts} adjustments")


def _settle_in() -> None:
    """What a desk that has been running holds: the change feed's state (its full rebuild runs once, when
    there is none) and the members' search index (its jobs fill it). Built here, before the leg's call
    window opens, on the same database the servers use."""
    from balances import feed
    from balances.directory.sync import rewalk
    from balances.wix.connection import connection_fingerprint, current_auth, get_client

    client = get_client()
    feed.rebuild(client, connection_fingerprint(current_auth()))
    rewalk(client)


def _wix_429s(server, since: float) -> int:
    return sum(1 for r in server.log.records() if r.status == 429 and r.started >= since)


def _get(http: httpx.Client, path: str, *, kind: str = "list") -> tuple[str, httpx.Response | None, float]:
    started = time.perf_counter()
    try:
        response = http.get(path, headers={"HX-Request": "true"})
    except httpx.HTTPError:
        response = None
    return kind, response, (time.perf_counter() - started) * 1000


def _adjust(http: httpx.Client, member: str, pool: str) -> tuple[str, httpx.Response | None, float]:
    """Open the form, then send it (+1): timed as one adjustment, answered by the worse of the two."""
    path = f"/members/{member}/pools/{pool}/adjust/"
    started = time.perf_counter()
    try:
        opened = http.get(path, headers={"HX-Request": "true"})
        found = {n: m.group(1) for n in FIELDS if (m := re.search(rf'name="{n}" value="([^"]*)"', opened.text))}
        if opened.status_code != 200 or len(found) < len(FIELDS):
            return "adjust", opened, (time.perf_counter() - started) * 1000
        data = {**found, "mode": "add", "amount": "1", "reason": "bench"}
        response = http.post(path, data=data, headers={"HX-Request": "true", "Referer": str(http.base_url) + path})
    except httpx.HTTPError:
        response = None
    return "adjust", response, (time.perf_counter() - started) * 1000
