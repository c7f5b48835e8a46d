"""Every URL behind login and a permission, CSRF on every write, no GET changes anything, and the
production headers, cookies and deploy checks."""

import re
import uuid

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from balances.roles import FRONT_DESK

# Views reachable without logging in (marked login_not_required). Add a view here only on purpose.
PUBLIC = {"login", "healthz", "api_credits", "unsubscribe"}  # healthz: the load balancer's probe (no data, no Wix call);
# api_credits: the site's balance lookup, behind its own bearer token (401 JSON without one);
# unsubscribe: the morning digest's unsubscribe link, intentionally public — its signed single-purpose token
# is the credential, it works once, and it can only turn that owner's digest off (tests/studio/test_digest.py).
# Views any signed-in account may use, whatever its permissions.
ANY_STAFF = {"home", "logout", "login", "healthz", "password_change", "password_change_done"}
SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1)), "str": "x", "slug": "x", "path": "x"}


def _walk(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            url = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)
            namespace = prefix.split("/")[0]
            yield entry.name or route, url, entry.callback, namespace


URLS = list(_walk())
IDS = [f"{name}:{url}" for name, url, _, _ in URLS]


def test_the_walk_finds_the_urls():
    urls = {url for _, url, _, _ in URLS}
    assert {reverse("members:list"), reverse("wix:settings"), reverse("staff:list")} <= urls
    # Built from the URL configuration: pages added since the layout change are walked without a list.
    assert {reverse("jobs"), reverse("password_change"), reverse("staff:confirm_password")} <= urls


# Pages that are documents rather than site pages: the digest preview is the e-mail itself, exactly as sent.
NOT_SITE_PAGES = {"preview"}  # digest:preview


def test_every_full_page_offers_log_out(owner_client, wix):
    """ASVS V7.4.4: every page a signed-in person can open shows the log-out button (walked, not listed)."""
    pages = 0
    for name, url, _, _ in URLS:
        if name in PUBLIC or name in NOT_SITE_PAGES or name == "logout":
            continue
        response = owner_client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        assert f'action="{reverse("logout")}"' in response.content.decode(), url
        pages += 1
    assert pages >= 8


def test_exactly_the_allowed_views_are_public():
    public = {name for name, _, view, _ in URLS if getattr(view, "login_required", True) is False}
    assert public == PUBLIC


@pytest.mark.parametrize(("name", "url", "view", "_ns"), URLS, ids=IDS)
def test_anonymous_requests_go_to_login(client, db, name, url, view, _ns):
    if name in PUBLIC:
        return
    login = reverse("login")
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302 and response["Location"].startswith(login), (method, url)


@pytest.mark.parametrize(("name", "url", "view", "_ns"), URLS, ids=IDS)
def test_front_desk_is_refused_owner_only_views(frontdesk_client, name, url, view, _ns):
    if name in ANY_STAFF | PUBLIC:
        return
    permission = getattr(view, "required_permission", None)
    assert permission, f"{url}: declare the view's permission with balances.roles.requires(...)"
    front_desk = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=FRONT_DESK).permissions.select_related("content_type")
    }
    if permission in front_desk:
        return
    statuses = {frontdesk_client.get(url).status_code, frontdesk_client.post(url).status_code}
    assert statuses <= {403, 405} and 403 in statuses, (url, statuses)


def test_a_front_desk_account_can_be_granted_adjustments(frontdesk):
    from balances.staff import adjust_permission

    assert not frontdesk.has_perm("balances.adjust_credits")
    frontdesk.user_permissions.add(adjust_permission())
    frontdesk = type(frontdesk).objects.get(pk=frontdesk.pk)
    assert frontdesk.has_perm("balances.adjust_credits")
    assert not frontdesk.has_perm("balances.manage_connection")


@pytest.mark.parametrize(("name", "url", "view", "_ns"), URLS, ids=IDS)
def test_writes_without_a_csrf_token_are_refused(owner, name, url, view, _ns):
    if getattr(view, "csrf_exempt", False):
        assert name in PUBLIC, f"{url} is csrf_exempt but not a public (token) view"
        return
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(url).status_code == 403


def test_a_write_with_the_token_from_the_page_goes_through(owner, wix):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(reverse("wix:settings"))
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)
    response = client.post(reverse("wix:test"), headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 200


# The change feed's state is derived from Wix and rebuildable (balances/feed.py): a page that finds none
# queues the rebuild (run inline in tests), as it would fill a cache. Nothing a person owns is in it.
DERIVED = {"balances.PoolState", "balances.MemberInfo", "balances.FeedState", "balances.FeedEvent", "balances.DriftRecord"}


def _state():
    counts = {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.managed and m._meta.label != "sessions.Session" and m._meta.label not in DERIVED
    }
    return counts


def test_no_get_changes_anything(owner_client, wix):
    before = _state()
    for _, url, _, _ in URLS:
        owner_client.get(url)
        owner_client.get(url, headers={"HX-Request": "true"})
    assert _state() == before
    # Wix's writes (Change Balance, Revert); its reads include POSTs (…/query, AI credits balance).
    writes = [r.path for r in wix.log.records() if r.path.endswith(("/change", "/revert"))]
    assert writes == []


def test_an_expired_session_in_an_htmx_request_redirects_the_whole_page(client, db):
    response = client.get(
        reverse("members:list"), {"q": "ann"}, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/members/?q=ann"}
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fmembers%2F%3Fq%3Dann"


def test_a_full_page_without_a_session_still_gets_a_normal_redirect(client, db):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302 and "HX-Redirect" not in response


def test_repeated_wrong_passwords_lock_the_login_with_429(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": owner.username, "password": "wrong"})
    locked = client.post(reverse("login"), {"username": owner.username, "password": "correct horse battery"})
    assert locked.status_code == 429 and "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_in_rotates_the_session_key(client, owner):
    session = client.session  # an anonymous session with something in it
    session["probe"] = 1
    session.save()
    before = session.session_key
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value == before
    client.post(reverse("login"), {"username": owner.username, "password": "correct horse battery"})
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != before


def _csp(response):
    return response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["full page", "partial"])
def test_pages_and_partials_carry_the_csp_and_no_store(owner_client, wix, headers):
    response = owner_client.get(reverse("members:list"), headers=headers)
    policy = _csp(response)
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["Cache-Control"] == "no-store"
    assert ("<html" in response.content.decode()) is not bool(headers)


def test_pages_have_no_inline_script_or_style(owner_client, wix):
    for url in (reverse("members:list"), reverse("wix:settings"), reverse("staff:list")):
        html = owner_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert " hx-on" not in html, url


def test_cookies_are_host_prefixed_secure_and_http_only(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "correct horse battery"})
    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["path"] == "/" and session["samesite"] == "Lax"
    csrf = response.cookies["__Host-csrftoken"]
    assert csrf["secure"]
    assert django_settings.SESSION_COOKIE_AGE == 8 * 3600
    assert "config.middleware.SessionIdleRefreshMiddleware" in django_settings.MIDDLEWARE
