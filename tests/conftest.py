"""Shared fixtures: a real loopback Wix sandbox, the dashboard pointed at it, and staff accounts."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

from balances.roles import FRONT_DESK, OWNER
from balances.wix.connection import reset_clients
from sandbox import SandboxServer, build_studio
from sandbox import credentials as sandbox_credentials
from tests.helpers import PASSWORD, START

# Autouse: no configured secret in any response body or log line over the whole run.
pytest_plugins = ["tests.secret_watch"]


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "sqlite (default)")
    return f"database: {url.split('@')[-1]}"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production's redirect to HTTPS is tested on its own."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashing costs ~0.3 s a password; tests check behaviour, not the work factor."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_in_process(settings):
    """Queued tasks run at once, in the test's process (django-tasks' ImmediateBackend); the real worker
    process is tested in tests/balances/test_tasks.py."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Tokens, catalogs, cached reads and rate-limit counts must not leak from one test into the next."""
    from balances import rate_limits

    cache.clear()
    rate_limits.reset()
    yield
    cache.clear()
    rate_limits.reset()


@pytest.fixture(autouse=True)
def _no_prefetch(settings):
    """Tests that count upstream calls see only the page they asked for (test_prefetch.py turns it on)."""
    settings.WIX_PREFETCH_NEXT_PAGE = False


@pytest.fixture(scope="session")
def sandbox_session():
    server = SandboxServer(build_studio(members=300, seed=7), host="127.0.0.1", port=0).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_session):
    """The shared read-mostly sandbox, with faults and the request log reset around each test."""
    sandbox_session.faults.reset()
    sandbox_session.log.clear()
    yield sandbox_session
    sandbox_session.faults.reset()


@pytest.fixture
def fresh_sandbox():
    """A sandbox of its own, for tests that change balances."""
    server = SandboxServer(build_studio(members=60, seed=11), host="127.0.0.1", port=0).start()
    yield server
    server.stop()


def _point_at(settings, server):
    settings.WIX_API_BASE_URL = server.url
    settings.WIX_API_KEY = sandbox_credentials.API_KEY
    settings.WIX_SITE_ID = sandbox_credentials.SITE_ID
    settings.WIX_APP_ID = settings.WIX_APP_SECRET = settings.WIX_INSTANCE_ID = ""
    settings.WIX_TIMEOUT_SECONDS = 2.0
    reset_clients()
    cache.clear()


@pytest.fixture
def wix(settings, sandbox):
    """The dashboard configured for the shared sandbox through its settings, as in production."""
    _point_at(settings, sandbox)
    yield sandbox
    reset_clients()


@pytest.fixture
def fresh_wix(settings, fresh_sandbox):
    _point_at(settings, fresh_sandbox)
    yield fresh_sandbox
    reset_clients()


@pytest.fixture
def pool(fresh_wix):
    """Ada Lovelace's 10-class pack with START credits, on a sandbox of its own."""
    member = fresh_wix.studio.add_member("Ada", "Lovelace")
    return fresh_wix.studio.add_pool(member["id"], "pack10", available=str(START))


@pytest.fixture
def quick_timeout(settings, fresh_wix):
    """Wix calls time out after 0.5 s (after fresh_wix's 2 s): for faults that hang, so each costs little."""
    settings.WIX_TIMEOUT_SECONDS = 0.5
    reset_clients()


BOOKINGS_DAY = "2026-03-30"  # a Monday; the schedule's clock is 11:30 local, so the morning classes have ended


@pytest.fixture
def bookings_wix(settings):
    """A sandbox of its own with a Bookings schedule around BOOKINGS_DAY, booking by reserving credits."""
    server = SandboxServer(
        build_studio(members=80, seed=5, bookings={"today": BOOKINGS_DAY, "credit_mode": "reserve"}), host="127.0.0.1", port=0
    ).start()
    _point_at(settings, server)
    yield server
    server.stop()


def make_user(username, role, password=PASSWORD):
    user = get_user_model().objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def owner(db):
    return make_user("olivia", OWNER)


@pytest.fixture
def frontdesk(db):
    return make_user("frank", FRONT_DESK)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def frontdesk_client(client, frontdesk):
    client.force_login(frontdesk)
    return client


@pytest.fixture
def db_vendor(db):
    return connection.vendor


@pytest.fixture
def keys(settings):
    """One known credentials key in force (tests/helpers.credentials_key)."""
    from tests.helpers import credentials_key

    settings.CREDENTIALS_KEYS = [credentials_key("k1", 1)]
    return settings
