"""Log-in throttling behind a load balancer (issue 19, finding 4; ASVS 5.0 V6.3.1).

Every request reaches the app from the balancer's address. Failures must be counted against the
client's own address, read from X-Forwarded-For only when the balancer sent it; a (username, address)
pair and an address across usernames each have a limit; and a refusal is a delay that grows, so a
stranger cannot keep the owner out with a few requests.
"""

import pytest
import time_machine
from django.urls import reverse

from config.login_throttle import delay

PASSWORD = "correct horse battery"
BALANCER = "10.0.0.5"
STRANGER, OWNER_HOME, ELSEWHERE = "203.0.113.9", "198.51.100.7", "192.0.2.44"


@pytest.fixture
def behind_balancer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_IPS = ["10.0.0.0/8"]
    return settings


def login(client, username, password, *, client_ip=None, forwarded_for=None, peer=BALANCER):
    meta = {"REMOTE_ADDR": peer}
    if forwarded_for is not None or client_ip is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for if forwarded_for is not None else client_ip
    client.logout()
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def assert_logged_in(response):
    assert response.status_code == 302, response.status_code


def assert_throttled(response):
    assert response.status_code == 429 and "Too many failed log-ins" in response.content.decode()


@pytest.mark.django_db
def test_a_stranger_behind_the_balancer_cannot_lock_the_owner_out(client, owner, behind_balancer):
    for _ in range(behind_balancer.AXES_FAILURE_LIMIT):
        login(client, owner.username, "wrong", client_ip=STRANGER)
    assert_throttled(login(client, owner.username, PASSWORD, client_ip=STRANGER))
    assert_logged_in(login(client, owner.username, PASSWORD, client_ip=OWNER_HOME))


@pytest.mark.django_db
def test_forwarded_addresses_from_anyone_but_the_balancer_are_ignored(client, owner, behind_balancer):
    # Straight to the app, a new made-up X-Forwarded-For every time: all counted against the sender.
    for i in range(behind_balancer.AXES_FAILURE_LIMIT):
        login(client, owner.username, "wrong", peer=STRANGER, forwarded_for=f"198.18.0.{i}")
    assert_throttled(login(client, owner.username, PASSWORD, peer=STRANGER, forwarded_for="198.18.0.99"))


@pytest.mark.django_db
def test_entries_a_client_writes_before_the_balancers_own_are_ignored(client, owner, behind_balancer):
    # The balancer appends the address it saw; what the client put in front of it is not believed.
    for i in range(behind_balancer.AXES_FAILURE_LIMIT):
        login(client, owner.username, "wrong", forwarded_for=f"198.18.0.{i}, {STRANGER}")
    assert_throttled(login(client, owner.username, PASSWORD, forwarded_for=f"{OWNER_HOME}, {STRANGER}"))
    assert_logged_in(login(client, owner.username, PASSWORD, forwarded_for=f"{STRANGER}, {OWNER_HOME}"))


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_is_never_read(client, owner, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default: the app faces clients directly
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, owner.username, "wrong", peer=STRANGER, forwarded_for=f"198.18.0.{i}")
    assert_throttled(login(client, owner.username, PASSWORD, peer=STRANGER, forwarded_for=OWNER_HOME))


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_throttled(client, owner, settings):
    # One wrong password for each of 20 usernames: no pair reaches its limit, the address does.
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    for i in range(20):
        response = login(client, f"user{i}", "Summer2026!", peer=STRANGER)
        assert response.status_code in (200, 429)
    assert_throttled(login(client, "user99", "Summer2026!", peer=STRANGER))
    assert_throttled(login(client, owner.username, PASSWORD, peer=STRANGER))
    assert_logged_in(login(client, owner.username, PASSWORD, peer=OWNER_HOME))


@pytest.mark.django_db
def test_a_successful_log_in_does_not_reset_the_addresss_count(client, owner, frontdesk, settings):
    for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        login(client, f"user{i}", "Summer2026!", peer=STRANGER)
    assert_logged_in(login(client, frontdesk.username, PASSWORD, peer=STRANGER))  # an account the sprayer holds
    login(client, "user98", "Summer2026!", peer=STRANGER)
    assert_throttled(login(client, "user99", "Summer2026!", peer=STRANGER))


@pytest.mark.django_db
def test_a_studios_shared_address_is_judged_on_the_last_hour_only(client, owner, settings):
    # Staff behind one address mistyping through the day: 19 failures, then 19 more two hours later.
    assert settings.LOGIN_ADDRESS_WINDOW_SECONDS == 3600
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        for i in range(19):
            login(client, f"staff{i}", "typo", peer=ELSEWHERE)
        clock.shift(2 * 3600)
        for i in range(19):
            login(client, f"staff{i}", "typo", peer=ELSEWHERE)
        assert_logged_in(login(client, owner.username, PASSWORD, peer=ELSEWHERE))
        login(client, "staff0", "typo", peer=ELSEWHERE)  # the 20th within the hour
        assert_throttled(login(client, owner.username, PASSWORD, peer=ELSEWHERE))


@pytest.mark.django_db
def test_the_refusal_is_a_delay_that_doubles_not_a_fixed_lock(client, owner, settings):
    assert (settings.LOGIN_DELAY_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS) == (60, 3600)
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, owner.username, "wrong", peer=STRANGER)
        clock.shift(59)
        assert_throttled(login(client, owner.username, "wrong", peer=STRANGER))  # refused, not counted
        clock.shift(2)  # 61 s after the last counted failure: the first delay is over
        login(client, owner.username, "wrong", peer=STRANGER)  # the 6th failure: 120 s now
        clock.shift(119)
        assert_throttled(login(client, owner.username, PASSWORD, peer=STRANGER))
        clock.shift(2)
        assert_logged_in(login(client, owner.username, PASSWORD, peer=STRANGER))


@pytest.mark.django_db
def test_five_failures_keep_the_owner_out_for_a_minute_not_a_quarter_hour(client, owner, settings):
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, owner.username, "wrong")
        assert_throttled(login(client, owner.username, PASSWORD))
        clock.shift(61)
        assert_logged_in(login(client, owner.username, PASSWORD))


def test_delays_double_and_stop_at_the_cap(settings):
    settings.LOGIN_DELAY_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS = 60, 3600
    assert [delay(n, 5).total_seconds() for n in (4, 5, 6, 7, 10, 11, 50)] == [0, 60, 120, 240, 1920, 3600, 3600]
