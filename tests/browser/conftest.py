"""Playwright driving Debian's Chromium against Django's live server and the Wix sandbox.

The browser comes from Debian's `chromium` package (`make browser`), never downloaded at run time.
A missing browser fails the run: in CI these tests must run, not skip.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, Permission
from pytest_django.plugin import blocking_manager_key

from balances.roles import ROLE_PERMISSIONS
from tests.conftest import make_user

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the same thread
# (fixtures making users) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Tests never change tracked files: screenshots go to the ignored test-results/; `make screenshots`
# copies them into docs/screenshots/ for the README.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
PASSWORD = "correct horse battery"
# How long an action (a click and the page load it starts, goto, fill) may take: Playwright's own default. A page
# load is server work — Today's day of bookings, home's whole-studio scan (run at once in tests) — and took over
# 10 s (the old limit) under a CPU hog on 2 cores. A race fails whatever the limit; assertions keep expect's 5 s.
PAGE_TIMEOUT_MS = 30_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def ensure_roles():
    """The groups the roles migration made; a transactional test's flush removes them."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="balances", codename__in=codenames))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the live-server test's flush, put the groups back: xdist hands out whole files, so
    non-transactional tests may run after these in the same process and expect the migrated roles."""
    yield
    if nextitem is None:  # the session is over and the test database is gone already
        return
    with item.config.stash[blocking_manager_key].unblock():
        ensure_roles()


@pytest.fixture
def site(live_server, wix, settings, transactional_db):
    """The dashboard over plain HTTP on 127.0.0.1, pointed at the sandbox, with both roles in place."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME = "sessionid", "csrftoken"
    settings.SECURE_SSL_REDIRECT = False
    # A fast hasher: these tests log in through the form, and PBKDF2 would be most of their time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WIX_CALLS_PER_MINUTE = 100_000  # background scans finish in a blink
    _reload_middleware(live_server)
    ensure_roles()
    yield live_server.url
    settings.SECURE_SSL_REDIRECT = True  # put back before rebuilding, so the next user sees the real chain
    _reload_middleware(live_server)


def _reload_middleware(live_server):
    """The live server built its middleware (which reads settings once) before this test's overrides."""
    handler = live_server.thread.httpd.get_app()
    while handler is not None:  # static files -> media files -> the WSGIHandler: each built a chain
        handler.load_middleware()
        handler = getattr(handler, "application", None)


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=site)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    # CSP violations and script errors show up here; the 403/401 pages we visit on purpose log a
    # "Failed to load resource" line, and htmx logs the error answers it swaps in on purpose
    # ("Response Status Error Code …"), which are expected.
    expected = ("Failed to load resource", "Response Status Error Code")
    unexpected = [p for p in problems if not any(e in p for e in expected)]
    assert not unexpected, unexpected


# Where log_in lands: a page that asks Wix nothing. Landing on home ("Needs attention") scanned the whole studio
# inside the log-in's redirect (tests run queued tasks at once), seconds on a loaded machine: past the click's
# 10 s wait for its navigation (two tests failed so under a CPU hog). Tests go on to the page they are about.
LANDING = "/accounts/password_change/"


def log_in(page, role):
    user = make_user({"Owner": "olivia", "Front desk": "frank"}[role], role, password=PASSWORD)
    page.goto("/accounts/login/?" + urlencode({"next": LANDING}))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    return user


def screenshot(page, name, **kwargs):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **kwargs)
