"""The soak: over a thousand change attempts through two real gunicorn processes while everything fails.

Staff (threads) open adjustment forms and send them — sometimes to both processes at once (a double submit
through a round-robin balancer) — while a driver injects every fault of the matrix into Wix's Change
Balance (a write Wix applies late; applied then no answer; applied then 503; applied then 503 then 429;
the 409s; a reset connection; 500), stops and restarts Redis, cuts the database link, and SIGKILLs a
worker in the middle of a change. Afterwards Resolve settles what is open, and the audit log is reconciled
against the sandbox's ledger: every fault fired (sandbox log), doubled = 0, lost = 0, 500s = 0,
unresolved = 0.

PostgreSQL leg only (the advisory lock is the one shared by processes); its own Redis and a TCP proxy to
the database, never the shared services.
"""

import os
import random
import re
import signal
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from balances.audit import AuditEntry
from balances.resolve import resolve_stale
from balances.wix.connection import get_client, reset_clients
from bench.load import children_of, start_gunicorn, stop_gunicorn
from sandbox import SandboxServer, build_studio
from sandbox import credentials as sc
from tests.balances.infra import CuttableProxy, OwnRedis
from tests.balances.reconcile import reconcile
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = int(os.environ.get("SOAK_ATTEMPTS", 1000))
STAFF = 8
POOLS = 6
START = Decimal(500)
CHANGE = "/benefit-programs/v1/balances/{}/change"
# What the driver injects into Change Balance, in turn: (kind, options).
MATRIX = [
    ("timeout", {"hang": 0.8}),  # slower than the timeout; Wix applies it late
    ("apply_then_timeout", {"hang": 0.8}),  # applied, the answer never comes in time
    ("apply_then_fail", {}),  # applied, then 503 (the client's retry gets 409 ALREADY_EXECUTED, no data)
    ("apply_then_fail+429", {}),  # applied, then 503, then the retry meets a 429 it cannot wait out
    ("status", {"status": 409, "code": "ABORTED"}),
    ("status", {"status": 409, "code": "BALANCE_ALREADY_INITIALIZED"}),
    ("status", {"status": 409, "code": "TRANSACTION_ALREADY_SUPERSEDED"}),
    ("status", {"status": 500}),
    ("status", {"status": 503}),
    ("reset", {}),
]


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.posts = 0
        self.double_submits = 0
        self.dropped = 0  # connections that ended without an answer (the killed worker)
        self.bodies_500: list[str] = []

    def record(self, response: httpx.Response | None):
        with self.lock:
            if response is None:
                self.dropped += 1
                return
            self.statuses[response.status_code] += 1
            if response.status_code >= 500 and response.status_code not in (502, 503):
                self.bodies_500.append(response.text[:300])


FIELDS = ("csrfmiddlewaretoken", "idempotency_key", "revision", "seen_available")


def form_of(body: str) -> dict | None:
    found = {n: re.search(rf'name="{n}" value="([^"]*)"', body) for n in FIELDS}
    if not all(found.values()):
        return None
    return {n: m.group(1) for n, m in found.items()}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_soak_two_processes_every_fault_exactly_once(db_vendor, tmp_path):
    if db_vendor != "postgresql":
        pytest.skip("the PostgreSQL leg: two processes share the advisory lock there")
    sandbox = SandboxServer(build_studio(members=40, seed=13), host="127.0.0.1", port=0).start()
    sandbox.faults.update(idempotency_mode="conflict_no_data")
    redis_server = OwnRedis().start()
    db = connection.settings_dict
    proxy = CuttableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    servers = []
    try:
        studio = sandbox.studio
        member = studio.add_member("Soak", "Test")
        pools = [studio.add_pool(member["id"], "pack10", available=str(START)) for _ in range(POOLS)]
        staff = [make_user(f"staff{i}", "Owner") for i in range(STAFF)]
        cookies = []
        for user in staff:
            c = Client()
            c.force_login(user)
            cookies.append(c.cookies[django_settings.SESSION_COOKIE_NAME].value)  # the servers run plain http: "sessionid"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
            "REDIS_URL": redis_server.url,
            "SECRET_KEY": django_settings.SECRET_KEY,
            "HTTPS": "false",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "WIX_API_BASE_URL": sandbox.url,
            "WIX_API_KEY": sc.API_KEY,
            "WIX_SITE_ID": sc.SITE_ID,
            "WIX_APP_ID": "",
            "WIX_APP_SECRET": "",
            "WIX_INSTANCE_ID": "",
            "WIX_TIMEOUT_SECONDS": "0.5",
            "WIX_RETRY_SECONDS": "1",
            "WIX_READ_LAG_SECONDS": "1",
            "WIX_CALLS_PER_MINUTE": "100000",
            "WIX_BREAKER_FAILURES": "6",
            "WIX_BREAKER_COOLOFF_SECONDS": "1",
            "WIX_PREFETCH_NEXT_PAGE": "false",
            "BIND": "127.0.0.1:0",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
            "WIX_PROCESSES": "2",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "ERROR",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        logs: list[list[str]] = [[], []]  # their stderr, kept, so a 500 comes with its traceback
        servers = [start_gunicorn(env, drain=True, keep=log) for log in logs]
        urls = [url for _, url in servers]
        tally = Tally()
        done = threading.Event()
        fired_ours: Counter = Counter()

        def send_form(http: httpx.Client, url: str, path: str, form: dict) -> httpx.Response | None:
            data = {**form, "mode": "add", "amount": "1", "reason": "soak"}
            try:
                response = http.post(url + path, data=data, headers={"HX-Request": "true", "Referer": url + path})
            except httpx.HTTPError:
                response = None
            tally.record(response)
            return response

        def person(index: int):
            rng = random.Random(index)
            http = httpx.Client(timeout=30, cookies={"sessionid": cookies[index]})
            while not done.is_set():
                with tally.lock:
                    if tally.posts >= ATTEMPTS:
                        return
                pool = rng.choice(pools)
                path = f"/members/{member['id']}/pools/{pool['id']}/adjust/"
                try:
                    opened = http.get(rng.choice(urls) + path, headers={"HX-Request": "true"})
                except httpx.HTTPError:
                    tally.record(None)
                    continue
                tally.record(opened)
                form = form_of(opened.text)
                if form is None:
                    if os.environ.get("SOAK_DEBUG"):
                        print("GET", opened.status_code, re.sub(r"\s+", " ", opened.text)[:300])
                    time.sleep(0.2)
                    continue
                for _ in range(4):  # the same form again while Wix did not confirm or the plan was busy
                    with tally.lock:
                        tally.posts += 1
                        double = rng.random() < 0.15
                        tally.double_submits += double
                    if double:  # a double click landing on both processes at once
                        other = threading.Thread(target=send_form, args=(http, urls[1], path, form))
                        other.start()
                        answer = send_form(http, urls[0], path, form)
                        other.join()
                        with tally.lock:
                            tally.posts += 1
                    else:
                        answer = send_form(http, rng.choice(urls), path, form)
                    if (
                        answer is not None
                        and answer.status_code in (200, 422)
                        or (answer is not None and "Someone changed" in answer.text)
                    ):
                        break
                    time.sleep(0.05)
                    fresh = form_of(answer.text) if answer is not None else None
                    if fresh is None or fresh["idempotency_key"] != form["idempotency_key"]:
                        break  # a fresh form means nothing is pending on this one
                    form = fresh

        def driver():
            rng = random.Random(99)
            step = 0
            while not done.is_set():
                if not sandbox.faults.pending():
                    kind, options = MATRIX[step % len(MATRIX)]
                    path = CHANGE.format(rng.choice(pools)["id"])
                    if kind == "apply_then_fail+429":
                        sandbox.faults.script("apply_then_fail", path_prefix=path)
                        # Longer than the retries may wait, short enough not to pause the whole run (every process
                        # holds off for Wix's Retry-After).
                        sandbox.faults.script("status", status=429, retry_after=2, path_prefix=path)
                    else:
                        sandbox.faults.script(kind, path_prefix=path, **options)
                    step += 1
                time.sleep(0.15)

        def chaos():
            """Redis away and back; the database link cut and back; a worker killed mid-change."""
            plan = [(0.25, "redis"), (0.45, "database"), (0.65, "kill")]
            for share, what in plan:
                while not done.is_set():
                    with tally.lock:
                        if tally.posts >= ATTEMPTS * share:
                            break
                    time.sleep(0.05)
                if done.is_set():
                    return
                if what == "redis":
                    redis_server.stop()
                    time.sleep(1.5)
                    redis_server.start()
                elif what == "database":
                    proxy.cut()
                    time.sleep(1.0)
                    proxy.restore()
                else:
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:  # wait for a change in flight, then kill its worker
                        if any(r.status == 0 and r.path.endswith("/change") for r in sandbox.log.records()[-50:]):
                            break
                        time.sleep(0.01)
                    os.kill(children_of(servers[0][0].pid)[0], signal.SIGKILL)
                fired_ours[what] += 1

        threads = [threading.Thread(target=person, args=(i,)) for i in range(STAFF)]
        threads += [threading.Thread(target=driver), threading.Thread(target=chaos)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads[:STAFF]:
            t.join(timeout=600)
        done.set()
        for t in threads[STAFF:]:
            t.join(timeout=30)
        elapsed = time.monotonic() - started

        # Let calls still hanging in the sandbox finish (Wix applies a slow write late), then Resolve.
        deadline = time.monotonic() + 5
        while any(r.status == 0 for r in sandbox.log.records()) and time.monotonic() < deadline:
            time.sleep(0.05)
        sandbox.faults.reset()
        time.sleep(3.5)  # past 2 × timeout + retries + read lag of the processes' settings
        django_settings.WIX_API_BASE_URL, django_settings.WIX_API_KEY, django_settings.WIX_SITE_ID = (
            sandbox.url,
            sc.API_KEY,
            sc.SITE_ID,
        )
        django_settings.WIX_TIMEOUT_SECONDS, django_settings.WIX_RETRY_SECONDS, django_settings.WIX_READ_LAG_SECONDS = 0.5, 1, 1
        reset_clients()
        for _ in range(3):
            resolve_stale(get_client(), older_than=timedelta(0), limit=10_000)

        fired = Counter(r.fault for r in sandbox.log.records() if r.fault)
        unresolved = AuditEntry.objects.filter(outcome__in=["unknown", "pending"]).count()
        results = [reconcile(studio, p["id"], START) for p in pools]
        outcomes = Counter(AuditEntry.objects.values_list("outcome", flat=True))
        summary = (
            f"{tally.posts} attempts in {elapsed:.0f} s; answers {dict(tally.statuses)}; dropped {tally.dropped}; "
            f"double submits {tally.double_submits}; faults {dict(fired)}; ours {dict(fired_ours)}; rows {dict(outcomes)}"
        )
        print(summary)
        assert tally.posts >= ATTEMPTS, summary
        for kind in ("timeout", "apply_then_timeout", "apply_then_fail", "status", "reset"):
            assert fired[kind] > 0, f"{kind} never fired: {summary}"
        assert fired_ours == {"redis": 1, "database": 1, "kill": 1}, summary
        assert tally.double_submits > 0 and outcomes["applied"] > 0
        logged = "".join(line for log in logs for line in log)
        for failure in logged.split("Internal Server Error")[1:3]:  # each with its traceback, in full
            print("Internal Server Error", failure[:20000])
        assert tally.statuses[500] == 0 and not tally.bodies_500, tally.bodies_500[:3]
        assert unresolved == 0, summary
        for found in results:
            assert found["doubled"] == [] and found["lost"] == [] and found["missing"] == [], found
            assert found["undelta"] == [] and found["sum_matches"], found
    finally:
        stop_gunicorn(*(process for process, _ in servers))
        proxy.close()
        redis_server.stop()
        sandbox.stop()
        connection.close()
