"""Needs attention: the background scan against the sandbox's own truth, within the call budget."""

import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from balances import attention
from balances.models import StudioPreferences
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from tests.helpers import wix_calls

USABLE = {"ACTIVE", "RENEWING"}

pytestmark = pytest.mark.django_db  # the Wix connection in force is read from the database


def expected_groups(studio, threshold):
    """What the report must say, computed from the sandbox's store directly, by the README's glossary:
    free to book = available on ACTIVE/RENEWING plans; out = a plan, none free and no active unlimited
    plan; low = not out, no unlimited plan, at most the threshold free; on hold = PAUSED/PENDING plans."""
    out, low, over_cap, paused = set(), set(), set(), set()
    for member in studio.members:
        pools = studio.pools_for(member["id"])
        unlimited = any(p["status"] in USABLE and studio.balance(p["id"]) is None for p in pools)
        total = Decimal(0)
        for pool in pools:
            bal = studio.balance(pool["id"])
            if pool["status"] in ("PAUSED", "PENDING"):
                paused.add(pool["id"])
            if bal is None or pool["status"] not in USABLE:
                continue
            available = Decimal(bal["amount"]["available"])
            total += available
            rollover = bal["poolInfo"].get("creditRolloverConfiguration") or {}
            if rollover.get("enabled") and rollover.get("balanceCap") and available > Decimal(rollover["balanceCap"]):
                over_cap.add(pool["id"])
        if pools and not unlimited:
            if total <= 0:
                out.add(member["id"])
            elif total <= threshold:
                low.add(member["id"])
    return out, low, over_cap, paused


def test_scan_matches_the_studio_and_stays_in_budget(fresh_wix, settings):
    studio = fresh_wix.studio
    fingerprint = connection_fingerprint(current_auth())
    report = attention.refresh(get_client(), fingerprint, Decimal("1"))

    out, low, over_cap, paused = expected_groups(studio, Decimal("1"))
    assert {f.member_id for f in report.groups["out"]} == out
    assert {f.member_id for f in report.groups["low"]} == low
    assert {f.pool_id for f in report.groups["over_cap"]} == over_cap
    assert {f.pool_id for f in report.groups["paused"]} == paused
    assert out and low and paused  # the seeded studio has some of each
    # Every Wix call was counted, 100 items per page, never one call per member.
    assert report.calls == len(wix_calls(fresh_wix)) - 1  # minus the plan catalog
    assert report.calls < len(studio.members) / 5
    assert attention.cached_report(fingerprint) == report
    names = {f.name for f in report.groups["out"]}
    assert "(unknown member)" not in names


def test_over_cap_pool_shows_credits_that_would_be_lost(fresh_wix):
    studio = fresh_wix.studio
    member = studio.members[0]
    pool = studio.add_pool(member["id"], "monthly8", available="7")  # cap 4: 3 would be lost
    report = attention.scan(get_client(), connection_fingerprint(current_auth()), Decimal("1"))
    row = next(f for f in report.groups["over_cap"] if f.pool_id == pool["id"])
    assert row.available == Decimal("7")
    assert row.detail == "3 over the cap of 4"


def test_the_scan_spends_from_the_shared_budget_and_wix_never_says_429(fresh_wix, settings):
    """Wix's limit equals our budget and people have used some of it: the scan takes at most its half,
    waits for the window to move on, never earns a 429, and leaves the desk its headroom."""
    settings.WIX_BUDGET_WINDOW_SECONDS = 3  # a 3 s budget window holds each call ≥ 2 s, Wix's window here
    fresh_wix.faults.rate_limit_window = 2
    fresh_wix.faults.rate_limit_per_minute = settings.WIX_CALLS_PER_MINUTE = 8
    settings.WIX_BUDGET_WAIT_SECONDS = 0  # people never wait: they get an answer or a clear refusal
    client = get_client()
    client.count_members()
    client.count_members()  # two calls by people at the desk
    started = time.monotonic()
    report = attention.scan(client, connection_fingerprint(current_auth()), Decimal("1"))
    waited = time.monotonic() - started

    calls = wix_calls(fresh_wix)
    assert not [c for c in calls if c.status == 429]
    scan_calls = len(calls) - 2  # the plan catalog included
    assert scan_calls > 8 // 2 - 2 and report.calls <= scan_calls  # more than the room it had at first…
    assert waited >= 2  # …so it waited for the window instead of overspending
    assert report.pools_scanned == sum(1 for p in fresh_wix.studio.pools if fresh_wix.studio.balance(p["id"]))
    for _ in range(4):  # the half the scan leaves is there for people straight away
        client.count_members()
    assert not [c for c in wix_calls(fresh_wix) if c.status == 429]


def test_a_failed_scan_keeps_the_last_report_and_says_why(fresh_wix):
    fingerprint = connection_fingerprint(current_auth())
    first = attention.refresh(get_client(), fingerprint, Decimal("1"))
    fresh_wix.faults.script("status", times=5, path_prefix="/benefit-programs/v1/balances", status=503)
    assert attention.refresh(get_client(), fingerprint, Decimal("1")) is None
    assert attention.cached_report(fingerprint) == first
    assert "Wix" in attention.last_error(fingerprint)
    assert not attention.scan_running(fingerprint)


@pytest.mark.django_db
def test_home_starts_a_scan_then_shows_counts_that_link_to_members(fresh_wix, owner_client, settings):
    settings.WIX_CALLS_PER_MINUTE = 100_000
    first = owner_client.get(reverse("home"))
    assert first.status_code == 200
    assert b"every 2s" in first.content or b"As of" in first.content
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = owner_client.get(reverse("home"), HTTP_HX_REQUEST="true")
        if b"As of" in response.content and b"Refreshing" not in response.content:
            break
        time.sleep(0.1)
    assert b"As of" in response.content
    assert b"every 2s" not in response.content  # polling stops once the answer is there
    out = owner_client.get(reverse("members:attention", args=["out"]))
    report = attention.cached_report(connection_fingerprint(current_auth()))
    first_out = report.groups["out"][0]
    assert reverse("members:detail", args=[first_out.member_id]).encode() in out.content
    # The same member cell as the member list (members/list.html#member-cell): name, email, panel link.
    assert f'hx-target="#panel" hx-indicator="#loading">{escape(first_out.name)}</a>'.encode() in out.content
    assert f'<div class="muted">{escape(first_out.email)}</div>'.encode() in out.content


@pytest.mark.django_db
def test_threshold_comes_from_studio_preferences(fresh_wix, owner_client, settings):
    prefs = StudioPreferences.current()
    prefs.low_credit_threshold = Decimal("3")
    prefs.save()
    fingerprint = connection_fingerprint(current_auth())
    attention.refresh(get_client(), fingerprint, Decimal("1"))
    settings.WIX_CALLS_PER_MINUTE = 100_000
    response = owner_client.get(reverse("home"))
    assert b"threshold changed to 3" in response.content


@pytest.mark.django_db
def test_unknown_category_is_404_and_bad_page_is_not_500(fresh_wix, owner_client):
    assert owner_client.get("/members/attention/nope/").status_code == 404
    assert owner_client.get(reverse("members:attention", args=["out"]) + "?page=zzz").status_code == 200
