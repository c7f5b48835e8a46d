"""Two production server processes (gunicorn, config/gunicorn.conf.py) behind no balancer at all, sharing
one Redis and one database, against one sandbox: one token fetch between them, cache hits across them,
the call budget respected in total, health and static files served.

Needs `redis-server`: the test starts its own on a free port (tests/balances/infra.OwnRedis), so no other test, xdist
worker or person shares or flushes its data.
"""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bench.load import start_gunicorn, stop_gunicorn
from sandbox import credentials as sc
from tests.balances.infra import OwnRedis
from tests.helpers import PASSWORD, wix_calls

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 24


@pytest.fixture
def shared_redis():
    """One Redis for both processes, of this test alone: a fixed database number on the shared server was flushed
    by whichever test started last (test_call_budget_drain used the same one, in another xdist worker)."""
    server = OwnRedis().start()
    yield server.url
    server.stop()


@pytest.fixture
def server_env(tmp_path, sandbox, shared_redis):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "REDIS_URL": shared_redis,
        "SECRET_KEY": "multi-process-test-" + "x" * 40,
        "HTTPS": "false",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "WIX_API_BASE_URL": sandbox.url,
        "WIX_API_KEY": "",
        "WIX_SITE_ID": "",
        "WIX_APP_ID": sc.APP_ID,
        "WIX_APP_SECRET": sc.APP_SECRET,
        "WIX_INSTANCE_ID": sc.INSTANCE_ID,
        "WIX_CALLS_PER_MINUTE": str(BUDGET),
        "WIX_BUDGET_WAIT_SECONDS": "0",
        "WIX_PREFETCH_NEXT_PAGE": "false",
        "BIND": "127.0.0.1:0",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            (
                "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group; "
                f"u = get_user_model().objects.create_user('frank', password='{PASSWORD}'); "
                "u.groups.add(Group.objects.get(name='Front desk'))"
            ),
        ],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return env


@pytest.fixture
def servers(server_env):
    started = [start_gunicorn(server_env) for _ in range(2)]
    urls = [url for _, url in started]
    for url in urls:  # ready when the worker answers its health check
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    yield urls
    stop_gunicorn(*(process for process, _ in started))


def logged_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=20)
    client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={
            "username": "frank",
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
        headers={"Referer": url + "/accounts/login/"},
    )
    assert response.status_code == 302, response.text[:500]
    return client


def settled(server, path_prefix=""):
    return wix_calls(server, path_prefix)  # logged before each answer went out: nothing to wait for


def test_two_processes_share_token_cache_and_budget(servers, sandbox):
    sandbox.faults.rate_limit_per_minute = BUDGET
    a_url, b_url = servers
    for url in servers:
        health = httpx.get(url + "/healthz", timeout=5)
        assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok", "cache": "ok"}
        assert httpx.get(url + "/static/css/app.css", timeout=5).status_code == 200

    a = logged_in(a_url)
    # The session lives in the shared database: the same cookie works on the other process.
    b = httpx.Client(base_url=b_url, timeout=20, cookies=a.cookies)

    # Both processes need a Wix token at the same moment: one token request between them.
    with ThreadPoolExecutor(2) as pool:
        first = list(pool.map(lambda args: args[0].get("/members/", params={"size": args[1]}), [(a, 25), (b, 50)]))
    assert [r.status_code for r in first] == [200, 200]
    assert len(settled(sandbox, "/oauth2/token")) == 1

    # A page one process loaded is served by the other from the shared cache, without calling Wix.
    before = len(settled(sandbox))
    again = b.get("/members/", params={"size": 25})
    assert again.status_code == 200 and "As of" in again.text
    assert len(settled(sandbox)) == before

    # Pushing both processes past the budget: refused with a clear message, and Wix never says 429.
    statuses = []
    for i in range(12):
        response = (a if i % 2 else b).get("/members/", params={"size": 25, "offset": 25 * i, "refresh": "1"})
        statuses.append(response.status_code)
        if response.status_code != 200:
            assert "Wix calls — retry in" in response.text and response.headers["Retry-After"]
    calls = [c for c in settled(sandbox) if not c.path.startswith("/oauth2/")]
    assert 503 in statuses and 500 not in statuses
    assert len(calls) <= BUDGET
    assert not [c for c in calls if c.status == 429]
