"""Redis and PostgreSQL failing around a change: the site stays up, nothing is applied twice, never a 500.

Redis is a server of the test's own (tests/balances/infra.py), stopped and restarted at will; the database
link runs through a TCP proxy the test cuts. Never the shared services.
"""

import importlib.util
import re
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.urls import reverse

from balances.audit import AuditEntry
from balances.wix.connection import get_client, reset_clients
from tests.balances.infra import CuttableProxy, OwnRedis
from tests.balances.reconcile import assert_reconciled
from tests.helpers import START, available, change_path, logged_calls

RESILIENT = importlib.util.find_spec("config.cache") is not None


@pytest.fixture
def own_redis(settings):
    server = OwnRedis().start()
    if RESILIENT:
        backend = {"BACKEND": "config.cache.ResilientRedisCache", "OPTIONS": {"fallback_retry_seconds": 0.3}}
    else:  # what production used before: Django's Redis cache as it is
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    settings.CACHES = {"default": {**backend, "LOCATION": server.url}}
    reset_clients()
    yield server
    server.stop()
    cache.clear()


def adjust_url(pool):
    return reverse("members:adjust", args=[pool["beneficiary"]["memberId"], pool["id"]])


def open_form(client, pool) -> dict:
    body = client.get(adjust_url(pool)).content.decode()
    return {n: re.search(rf'name="{n}" value="([^"]*)"', body).group(1) for n in ("idempotency_key", "revision", "seen_available")}


def post(client, pool, form):
    data = {**form, "mode": "add", "amount": "2", "reason": "Missed class refund"}
    return client.post(adjust_url(pool), data, headers={"HX-Request": "true"})


def while_the_change_is_in_flight(server, pool, action):
    """Run `action` in a thread as soon as Wix has the Change Balance call (hanging, not yet answered)."""

    def wait_then_act():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if any(r.status == 0 for r in logged_calls(server, change_path(pool))):
                action()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=wait_then_act)
    thread.start()
    return thread


@pytest.mark.usefixtures("quick_timeout")
def test_redis_down_the_site_runs_without_it_and_recovers_by_itself(client, owner_client, fresh_wix, pool, own_redis):
    client.raise_request_exception = False
    detail = reverse("members:detail", args=[pool["beneficiary"]["memberId"]])
    assert owner_client.get(detail).status_code == 200
    own_redis.stop()
    assert owner_client.get(detail).status_code == 200
    health = owner_client.get("/healthz")
    assert health.status_code == 200 and health.json()["cache"] == "degraded"
    done = post(owner_client, pool, open_form(owner_client, pool))
    assert done.status_code == 200 and "Applied" in done.content.decode()
    assert available(fresh_wix.studio, pool["id"]) == START + 2
    own_redis.start()
    time.sleep(0.4)
    assert owner_client.get("/healthz").json()["cache"] == "ok"
    assert owner_client.get(detail).status_code == 200
    assert_reconciled(fresh_wix.studio, pool["id"], START)


@pytest.mark.usefixtures("quick_timeout")
def test_redis_stopped_and_restarted_mid_change_applies_once_and_never_answers_500(
    client, owner_client, fresh_wix, pool, own_redis
):
    """Seen: 10 → 12 with Redis down — a 500 saying "Nothing was changed", then the form reopened."""
    client.raise_request_exception = False
    form = open_form(owner_client, pool)
    fresh_wix.faults.script("timeout", hang=0.25, path_prefix=change_path(pool))  # slow, within the timeout

    def restart():
        own_redis.stop()
        time.sleep(0.05)

    thread = while_the_change_is_in_flight(fresh_wix, pool, restart)
    response = post(owner_client, pool, form)
    thread.join()
    own_redis.start()
    body = response.content.decode()
    assert response.status_code == 200, body[:300]
    assert "Applied" in body and "Nothing was changed" not in body
    assert AuditEntry.objects.get().outcome == "applied"
    assert available(fresh_wix.studio, pool["id"]) == START + 2
    assert_reconciled(fresh_wix.studio, pool["id"], START)


@pytest.fixture
def db_through_proxy(db_vendor):
    if db_vendor != "postgresql":
        pytest.skip("cuts a PostgreSQL link (the SQLite leg has no link to cut)")
    settings_dict = connection.settings_dict
    host, port = settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)
    proxy = CuttableProxy((host, port))
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)
    yield proxy
    proxy.restore()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = host, str(port)
    proxy.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("quick_timeout")
def test_the_database_link_cut_mid_change_never_answers_500_nor_applies_twice(
    client, owner_client, fresh_wix, pool, db_through_proxy
):
    """Seen: 3 → 5 — a 500, the row "pending" forever, and the reopened form applied it again."""
    client.raise_request_exception = False
    form = open_form(owner_client, pool)
    fresh_wix.faults.script("timeout", hang=0.25, path_prefix=change_path(pool))
    thread = while_the_change_is_in_flight(fresh_wix, pool, db_through_proxy.cut)
    response = post(owner_client, pool, form)
    thread.join()
    body = response.content.decode()
    assert response.status_code == 200 and "Applied" in body and "<html" not in body, body[:300]
    assert available(fresh_wix.studio, pool["id"]) == START + 2
    db_through_proxy.restore()
    connection.close()
    entry = AuditEntry.objects.get()
    assert entry.outcome == "pending" and entry.sent_at is not None  # Wix's answer could not be recorded
    # The same form again: found in Wix's ledger, recorded, never sent twice.
    again = post(owner_client, pool, form)
    assert again.status_code == 200 and "Applied" in again.content.decode()
    assert len(logged_calls(fresh_wix, change_path(pool))) == 1
    entry.refresh_from_db()
    assert entry.outcome == "applied" and entry.delta == Decimal(2)
    from balances.resolve import resolve

    assert not resolve(get_client(), entry).changed  # nothing left to settle
    assert_reconciled(fresh_wix.studio, pool["id"], START)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_answers_503_and_json_under_the_api(client, owner_client, fresh_wix, db_through_proxy):
    client.raise_request_exception = False
    assert owner_client.get(reverse("members:list")).status_code == 200
    db_through_proxy.cut()
    page = owner_client.get(reverse("members:list"))
    assert page.status_code == 503 and "cannot reach its database" in page.content.decode()
    partial = owner_client.get(reverse("members:list"), headers={"HX-Request": "true"})
    assert partial.status_code == 503 and partial["HX-Retarget"] == "#request-failed"
    api = owner_client.get("/api/v1/credits?memberId=x", headers={"Authorization": "Bearer not-a-token"})
    assert api.status_code == 503 and api.json()["error"]["code"] == "database_unavailable"
    db_through_proxy.restore()
    close_old_connections()  # what the WSGI handler does as each request starts (the test client skips it)
    assert owner_client.get(reverse("members:list")).status_code == 200  # no stale connection left behind


def test_the_call_budget_counts_on_when_redis_loses_its_keys_mid_count(own_redis, settings):
    """Seen in the soak as a 500 on a change: Redis restarted empty between the budget's "add" (the
    second's counter exists) and its "incr", so incr met no key and raised ValueError out of the Wix call."""
    import redis

    from balances.wix.budget import RateBudget

    settings.WIX_CALLS_PER_MINUTE = 10**9
    budget = RateBudget.for_upstream("https://example.invalid", "flushed-site")
    stop = threading.Event()

    def flush_all_the_time():
        flusher = redis.Redis.from_url(own_redis.url)
        while not stop.is_set():
            flusher.flushall()

    flushing = threading.Thread(target=flush_all_the_time)
    flushing.start()
    try:
        for _ in range(3000):
            budget.spend(max_wait=0)
    finally:
        stop.set()
        flushing.join()
