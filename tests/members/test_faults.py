"""The fault matrix: the member list and the drill-down while Wix is slow, rate limiting or down.

For every fault: no 500, a clear message, stale data marked stale, and the upstream calls (from the
sandbox's request log) within the retry policy — at most 3 attempts of the one call that failed.
"""

import socket
import time

import pytest
from django.urls import reverse

from balances.cache import peek
from balances.reads import _page_key
from balances.wix.connection import connection_fingerprint, current_auth, reset_clients
from sandbox import credentials as sc
from tests.helpers import wix_calls

LIST = reverse("members:list")
MEMBERS = "/members/v1/members/query"


def detail_url(member_id):
    return reverse("members:detail", args=[member_id])


_test_started = 0.0


@pytest.fixture(autouse=True)
def _started():
    global _test_started
    _test_started = time.time()


def settled(server, path_prefix="", since=0.0):
    """Calls the sandbox received during this test, after `since` (the log also keeps calls an earlier
    test left hanging)."""
    return wix_calls(server, path_prefix, since=max(since, _test_started))


def page_urls(wix):
    maya = wix.studio.members[0]["id"]
    return {"list": (LIST + "?size=25", MEMBERS), "detail": (detail_url(maya), "/members/v1/members/")}


# (fault name, how to inject it, whether the page still comes through)
RECOVERABLE = {
    "latency spike": dict(latency=0.3),
    "429 burst, no Retry-After": dict(script=("status", 2, {"status": 429})),
    "429 with a short Retry-After": dict(script=("status", 1, {"status": 429, "retry_after": 1})),
    "one 502": dict(script=("status", 1, {"status": 502})),
    "two 503s": dict(script=("status", 2, {"status": 503})),
    "a read timeout": dict(script=("timeout", 1, {"hang": 1.5})),
    "a truncated body": dict(script=("truncated", 1, {})),
    "a reset connection": dict(script=("reset", 1, {})),
}

FAILING = {
    "500": (dict(script=("status", 5, {"status": 500})), "Wix is having trouble (HTTP 500)", 1),
    "503 that lasts": (dict(script=("status", 10, {"status": 503})), "Wix is having trouble (HTTP 503)", 3),
    "429 with a long Retry-After": (
        dict(script=("status", 1, {"status": 429, "retry_after": 90})),
        "Wix is rate limiting — retry in 90 s",
        1,
    ),
    "malformed JSON": (dict(script=("malformed", 10, {})), "Wix sent an unreadable answer", 1),
    "timeouts that last": (dict(script=("timeout", 10, {"hang": 1.0})), "Wix did not answer in time", 3),
}


def inject(server, path_prefix, fault):
    if "latency" in fault:
        server.faults.latency = fault["latency"]
    if "script" in fault:
        kind, times, options = fault["script"]
        server.faults.script(kind, times=times, path_prefix=path_prefix, **options)


def under_fault(wix, settings, page, fault, *, timeout):
    """`page`'s URL and the Wix path it reads, with `fault` injected there and Wix calls timing out after `timeout`."""
    settings.WIX_TIMEOUT_SECONDS = timeout
    reset_clients()
    url, path_prefix = page_urls(wix)[page]
    inject(wix, path_prefix, fault)
    return url, path_prefix


@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize("fault", RECOVERABLE, ids=list(RECOVERABLE))
def test_it_rides_out_a_passing_fault(frontdesk_client, wix, settings, page, fault):
    url, path_prefix = under_fault(wix, settings, page, RECOVERABLE[fault], timeout=0.5)
    response = frontdesk_client.get(url)
    assert response.status_code == 200
    assert "Live from Wix at" in response.content.decode()
    failing = [c for c in settled(wix, path_prefix) if c.status != 200]
    assert len(failing) <= 2


@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize("fault", FAILING, ids=list(FAILING))
def test_a_lasting_fault_is_a_clear_message_not_a_crash(frontdesk_client, wix, settings, page, fault):
    injected, message, attempts = FAILING[fault]
    url, path_prefix = under_fault(wix, settings, page, injected, timeout=0.3)
    for headers in ({}, {"HX-Request": "true"}):
        response = frontdesk_client.get(url, headers=headers)
        assert response.status_code == 503
        assert message in response.content.decode()
        if "Retry-After" in fault:
            assert 89 <= int(response["Retry-After"]) <= 90
        if headers:
            break
        # The failed call was tried as often as the policy allows, and no more.
        hit = [c for c in settled(wix, path_prefix) if c.status != 200 or c.fault]
        assert len(hit) <= attempts


@pytest.mark.parametrize("page", ["list", "detail"])
def test_connection_refused_is_a_clear_message(frontdesk_client, wix, settings, page):
    url, _ = page_urls(wix)[page]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.WIX_API_BASE_URL = f"http://127.0.0.1:{s.getsockname()[1]}"
    reset_clients()
    response = frontdesk_client.get(url)
    assert response.status_code == 503
    assert "Could not connect to Wix." in response.content.decode()


@pytest.mark.parametrize("page", ["list", "detail"])
def test_a_failing_token_endpoint_is_a_clear_message(frontdesk_client, wix, settings, page):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""
    settings.WIX_APP_ID, settings.WIX_APP_SECRET, settings.WIX_INSTANCE_ID = sc.APP_ID, sc.APP_SECRET, sc.INSTANCE_ID
    reset_clients()
    url, _ = page_urls(wix)[page]
    wix.faults.script("status", times=10, status=500, path_prefix="/oauth2/token")
    response = frontdesk_client.get(url)
    assert response.status_code == 503
    assert "Wix could not sign in the app right now." in response.content.decode()
    assert not settled(wix, "/members/") and not wix_calls(wix, "/benefit-programs/")


@pytest.mark.parametrize("page", ["list", "detail"])
def test_when_wix_fails_the_last_good_copy_is_shown_marked_stale(frontdesk_client, wix, settings, page):
    url, _ = page_urls(wix)[page]
    first = frontdesk_client.get(url)
    assert first.status_code == 200
    settings.WIX_READ_CACHE_SECONDS = 0  # the copy is no longer fresh: Wix must be asked
    wix.faults.error_rate = 1.0
    response = frontdesk_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Wix not reachable" in body and 'class="banner banner-stale"' in body
    assert response.context["fetched"].stale and response.context["fetched"].from_cache
    assert response.context["fetched"].fetched_at == first.context["fetched"].fetched_at
    name = wix.studio.members[0]
    assert f"{name['contact']['firstName']}" in body  # the data itself, not an error page
    # The same stale copy for an HTMX swap.
    swapped = frontdesk_client.get(url, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and "Wix not reachable" in swapped.content.decode()


def test_a_recent_copy_costs_no_calls_and_says_so(frontdesk_client, wix):
    url = LIST + "?size=25"
    assert "Live from Wix at" in frontdesk_client.get(url).content.decode()
    since = time.time()
    again = frontdesk_client.get(url)
    assert "As of" in again.content.decode() and again.context["fetched"].from_cache
    assert settled(wix, since=since) == []
    # Refresh bypasses the cache, and its link does not end up in the address bar.
    assert 'hx-push-url="false"' in again.content.decode()
    refreshed = frontdesk_client.get(url + "&refresh=1")
    assert "Live from Wix at" in refreshed.content.decode()
    assert len(settled(wix, MEMBERS, since=since)) == 1


def test_after_repeated_failures_the_page_says_wix_is_unreachable_without_calling(frontdesk_client, wix, settings):
    settings.WIX_BREAKER_FAILURES = 2
    wix.faults.error_rate = 1.0
    wix.faults.error_status = 500
    for _ in range(2):
        assert frontdesk_client.get(LIST).status_code == 503
    since = time.time()
    response = frontdesk_client.get(LIST)
    assert response.status_code == 503
    assert "Wix is unreachable" in response.content.decode()
    assert settled(wix, since=since) == []


def test_the_next_page_is_prefetched_within_the_budget(frontdesk_client, wix, settings):
    settings.WIX_PREFETCH_NEXT_PAGE = True
    first = frontdesk_client.get(LIST + "?size=25")
    assert first.status_code == 200
    connection = connection_fingerprint(current_auth())
    key = _page_key(search="", status="", offset=25, limit=25, cursor=None)
    deadline = time.monotonic() + 5
    while not peek(connection, key) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert peek(connection, key)
    wix.log.clear()
    second = frontdesk_client.get(LIST + first.context["next_url"])
    assert second.status_code == 200 and second.context["fetched"].from_cache
    assert [r.member.id for r in second.context["page"].rows] == [m["id"] for m in wix.studio.members[25:50]]
    time.sleep(0.3)
    assert not settled(wix, MEMBERS) or all(c.body["query"]["paging"]["offset"] == 50 for c in wix_calls(wix, MEMBERS)), (
        "only page 3 is prefetched"
    )


def test_prefetching_stops_when_the_budget_runs_low(frontdesk_client, wix, settings):
    settings.WIX_PREFETCH_NEXT_PAGE = True
    settings.WIX_CALLS_PER_MINUTE = 22  # one page (3-4 calls) leaves less than the prefetch minimum
    assert frontdesk_client.get(LIST + "?size=25").status_code == 200
    time.sleep(0.3)
    offsets = [c.body["query"]["paging"]["offset"] for c in settled(wix, MEMBERS)]
    assert offsets == [0]


def test_a_page_past_the_budget_is_refused_clearly_and_wix_never_says_429(frontdesk_client, wix, settings):
    wix.faults.rate_limit_per_minute = settings.WIX_CALLS_PER_MINUTE = 15
    settings.WIX_BUDGET_WAIT_SECONDS = 0
    statuses = []
    for offset in range(0, 250, 25):
        response = frontdesk_client.get(LIST, {"size": 25, "offset": offset})
        statuses.append(response.status_code)
        if response.status_code != 200:
            assert "used this minute&#x27;s Wix calls — retry in" in response.content.decode()
            assert int(response["Retry-After"]) >= 1
    calls = settled(wix)
    assert 200 in statuses and 503 in statuses and 500 not in statuses
    assert len(calls) <= 15 and not [c for c in calls if c.status == 429]
