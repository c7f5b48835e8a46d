"""The Wix client under trouble: retries, Retry-After, the circuit breaker and the shared call budget.

Real HTTP against the loopback sandbox; faults come from its scripted fault controls and every count
is read from its request log.
"""

import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from balances.wix.auth import ApiKeyAuth, AppAuth
from balances.wix.client import WixClient
from balances.wix.errors import (
    WixBudgetExhausted,
    WixCircuitOpen,
    WixNotFound,
    WixRateLimited,
    WixUnavailable,
)
from balances.wix.retry import is_repeatable
from sandbox import DEMO_POOL_ID
from sandbox import credentials as sc
from tests.helpers import available, wix_calls

pytestmark = pytest.mark.django_db

MEMBERS = "/members/v1/members/query"
UNKNOWN_POOL = "0b7e2a51-93c4-4d8e-a1f6-7c2d9e4b5a38"


def api_client(server, timeout=2.0):
    return WixClient(server.url, ApiKeyAuth(sc.API_KEY, sc.SITE_ID), timeout=timeout)


_test_started = 0.0


@pytest.fixture(autouse=True)
def _started():
    global _test_started
    _test_started = time.time()


def settled(server, path_prefix=""):
    """Calls the sandbox received during this test (the log also keeps calls an earlier test left hanging)."""
    return wix_calls(server, path_prefix, since=_test_started)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_it_retries_a_read_through_a_short_outage(sandbox, status):
    sandbox.faults.script("status", times=2, status=status, path_prefix=MEMBERS)
    assert api_client(sandbox).count_members() == len(sandbox.studio.members)
    assert [c.status for c in settled(sandbox, MEMBERS)] == [status, status, 200]


def test_it_gives_up_after_three_attempts(sandbox):
    sandbox.faults.script("status", times=5, status=503, path_prefix=MEMBERS)
    with pytest.raises(WixUnavailable) as error:
        api_client(sandbox).count_members()
    assert "HTTP 503" in error.value.message
    assert len(settled(sandbox, MEMBERS)) == 3


@pytest.mark.parametrize("status", [500, 400, 404])
def test_it_never_retries_what_a_retry_cannot_cure(sandbox, status):
    sandbox.faults.script("status", times=3, status=status, path_prefix=MEMBERS)
    with pytest.raises((WixUnavailable, WixNotFound, Exception)):
        api_client(sandbox).count_members()
    assert len(settled(sandbox, MEMBERS)) == 1


def test_it_honours_a_short_retry_after(sandbox):
    sandbox.faults.script("status", times=1, status=429, retry_after=1, path_prefix=MEMBERS)
    started = time.monotonic()
    assert api_client(sandbox).count_members() == len(sandbox.studio.members)
    assert time.monotonic() - started >= 0.95  # waited as told, not the default backoff
    assert [c.status for c in settled(sandbox, MEMBERS)] == [429, 200]


def test_a_429_without_retry_after_backs_off_and_retries(sandbox):
    sandbox.faults.script("status", times=2, status=429, path_prefix=MEMBERS)
    assert api_client(sandbox).count_members() == len(sandbox.studio.members)
    assert [c.status for c in settled(sandbox, MEMBERS)] == [429, 429, 200]


@pytest.mark.parametrize("retry_after", [120, "http-date"])
def test_a_long_retry_after_is_answered_at_once_not_slept_through(sandbox, retry_after):
    if retry_after == "http-date":
        retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    sandbox.faults.script("status", times=1, status=429, retry_after=retry_after, path_prefix=MEMBERS)
    client = api_client(sandbox)
    started = time.monotonic()
    with pytest.raises(WixRateLimited) as error:
        client.count_members()
    assert time.monotonic() - started < 1
    assert "Wix is rate limiting — retry in 1" in error.value.message  # 119 or 120 s
    assert len(settled(sandbox, MEMBERS)) == 1
    # Every process now holds off until Wix's Retry-After has passed, rather than earning more 429s.
    assert client.budget.remaining() == 0
    with pytest.raises(WixBudgetExhausted):
        client.count_members()
    assert len(settled(sandbox, MEMBERS)) == 1


def test_a_read_timeout_is_retried(sandbox):
    sandbox.faults.script("timeout", times=1, hang=1.5, path_prefix=MEMBERS)
    assert api_client(sandbox, timeout=0.5).count_members() == len(sandbox.studio.members)
    assert [c.status for c in settled(sandbox, MEMBERS)] == [0, 200]  # the hung call is logged at once


@pytest.mark.parametrize("kind", ["reset", "truncated"])
def test_a_connection_that_breaks_off_is_retried_for_reads(sandbox, kind):
    sandbox.faults.script(kind, times=1, path_prefix=MEMBERS)
    assert api_client(sandbox).count_members() == len(sandbox.studio.members)
    assert [c.fault for c in settled(sandbox, MEMBERS)] == [kind, None]


def test_a_malformed_answer_is_a_clear_error_not_a_retry(sandbox):
    sandbox.faults.script("malformed", times=1, path_prefix=MEMBERS)
    with pytest.raises(WixUnavailable) as error:
        api_client(sandbox).count_members()
    assert error.value.message == "Wix sent an unreadable answer."
    assert len(settled(sandbox, MEMBERS)) == 1


def test_connection_refused_is_a_clear_error(settings):
    client = WixClient(f"http://127.0.0.1:{closed_port()}", ApiKeyAuth(sc.API_KEY, sc.SITE_ID), timeout=1)
    with pytest.raises(WixUnavailable) as error:
        client.count_members()
    assert error.value.message == "Could not connect to Wix."


def test_a_failing_token_endpoint_is_a_clear_error(sandbox):
    sandbox.faults.script("status", times=5, status=500, path_prefix="/oauth2/token")
    client = WixClient(sandbox.url, AppAuth(sc.APP_ID, sc.APP_SECRET, sc.INSTANCE_ID), timeout=2)
    with pytest.raises(WixUnavailable) as error:
        client.count_members()
    assert error.value.message == "Wix could not sign in the app right now."
    assert len(settled(sandbox, "/oauth2/token")) == 1 and not wix_calls(sandbox, MEMBERS)


def test_the_breaker_opens_after_repeated_failures_and_fails_fast(sandbox, settings):
    settings.WIX_BREAKER_FAILURES = 3
    sandbox.faults.script("status", times=3, status=500, path_prefix=MEMBERS)
    client = api_client(sandbox)
    for _ in range(3):
        with pytest.raises(WixUnavailable):
            client.count_members()
    assert len(settled(sandbox, MEMBERS)) == 3
    with pytest.raises(WixCircuitOpen) as error:
        client.count_members()
    assert "Wix is unreachable" in error.value.message
    assert len(settled(sandbox, MEMBERS)) == 3, "an open breaker makes no call"
    # Another client for the same upstream (another process, via the shared cache) agrees.
    with pytest.raises(WixCircuitOpen):
        api_client(sandbox).count_members()


def test_the_breaker_half_opens_after_the_cooloff(sandbox, settings):
    settings.WIX_BREAKER_FAILURES = 2
    settings.WIX_BREAKER_COOLOFF_SECONDS = 1
    client = api_client(sandbox)
    sandbox.faults.script("status", times=3, status=500, path_prefix=MEMBERS)
    for _ in range(2):
        with pytest.raises(WixUnavailable):
            client.count_members()
    assert client.breaker.is_open()
    time.sleep(1.1)
    with pytest.raises(WixUnavailable):  # the trial call fails: open again at once
        client.count_members()
    assert client.breaker.is_open()
    time.sleep(1.1)
    assert client.count_members() == len(sandbox.studio.members)  # Wix is back: closed
    assert not client.breaker.is_open()


def test_4xx_never_trips_the_breaker(sandbox, settings):
    settings.WIX_BREAKER_FAILURES = 2
    client = api_client(sandbox)
    for _ in range(4):
        with pytest.raises(WixNotFound):
            client.get_balance(UNKNOWN_POOL)
    assert not client.breaker.is_open()
    assert client.count_members() == len(sandbox.studio.members)


def test_the_budget_refuses_calls_past_the_limit_with_a_clear_message(sandbox, settings):
    settings.WIX_CALLS_PER_MINUTE = 5
    settings.WIX_BUDGET_WAIT_SECONDS = 0
    client = api_client(sandbox)
    for _ in range(5):
        client.count_members()
    with pytest.raises(WixBudgetExhausted) as error:
        client.count_members()
    assert error.value.message.startswith("Credit Desk has used this minute's Wix calls — retry in")
    assert 1 <= error.value.retry_after <= 61
    assert len(settled(sandbox, MEMBERS)) == 5


def test_the_dashboard_never_triggers_wix_rate_limiting(sandbox, settings):
    """Wix's limit equals our budget: we run out first, Wix never has to say 429."""
    sandbox.faults.rate_limit_per_minute = settings.WIX_CALLS_PER_MINUTE = 12
    settings.WIX_BUDGET_WAIT_SECONDS = 0
    client, refused = api_client(sandbox), 0
    for _ in range(20):
        try:
            client.count_members()
        except WixBudgetExhausted:
            refused += 1
    calls = settled(sandbox)
    # A person's reads leave the write reserve (a tenth) for changes; nothing ever reaches Wix's limit.
    assert len(calls) == 12 - client.budget.write_reserve and refused == 20 - len(calls)
    assert not [c for c in calls if c.status == 429]


def test_a_change_outranks_pages_when_calls_run_short(sandbox, settings):
    """People first, and a change before a page: pages stop short of the write reserve (and fall back on
    their last good copy); a change a person is sending may spend it."""
    settings.WIX_CALLS_PER_MINUTE, settings.WIX_BUDGET_WAIT_SECONDS = 20, 0
    client = api_client(sandbox)
    assert client.budget.write_reserve == 2
    for _ in range(18):
        client.count_members()
    with pytest.raises(WixBudgetExhausted):
        client.count_members()
    with client.budget.writing():
        client.count_members()
        client.count_members()
        with pytest.raises(WixBudgetExhausted):
            client.count_members()


def test_background_work_leaves_headroom_and_never_waits(sandbox, settings):
    settings.WIX_CALLS_PER_MINUTE = 6
    client = api_client(sandbox)
    with client.budget.background(keep=4):
        client.count_members()
        client.count_members()
        started = time.monotonic()
        with pytest.raises(WixBudgetExhausted):
            client.count_members()
        assert time.monotonic() - started < 0.5
    assert client.budget.remaining() == 4
    client.count_members()  # people still get the headroom
    assert client.budget.remaining() == 3


def test_only_reads_and_keyed_writes_are_repeatable():
    assert is_repeatable("GET", "/benefit-programs/v1/balances/x", None)
    assert is_repeatable("POST", "/benefit-programs/v1/balances/query", {"query": {}})
    assert is_repeatable("POST", "/benefit-programs/v1/balances/x/change", {"idempotencyKey": "k"})
    assert not is_repeatable("POST", "/benefit-programs/v1/balances/x/change", {"type": "ADJUST"})


def test_a_keyed_change_retried_after_wix_failed_is_applied_once(fresh_sandbox):
    """Wix applies the change, then answers 503; the retry carries the same key and is not applied again."""
    fresh_sandbox.faults.idempotency_mode = "replay"
    pool_id = (
        DEMO_POOL_ID
        if fresh_sandbox.studio.balance(DEMO_POOL_ID)
        else next(
            p["id"]
            for m in fresh_sandbox.studio.members
            for p in fresh_sandbox.studio.pools_for(m["id"])
            if fresh_sandbox.studio.balance(p["id"])
        )
    )
    before = available(fresh_sandbox.studio, pool_id)
    fresh_sandbox.faults.script("apply_then_fail", times=1)
    change = api_client(fresh_sandbox).change_balance(pool_id, idempotency_key=str(uuid.uuid4()), value="1", reason="fault test")
    assert available(fresh_sandbox.studio, pool_id) == before + 1
    assert change.balance.available == before + 1
    assert [c.status for c in settled(fresh_sandbox, "/benefit-programs/v1/balances/")] == [503, 200]
