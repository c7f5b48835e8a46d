"""The change feed (balances/feed.py) against a real loopback sandbox and a real database: a full rebuild
agrees with today's scan; a poll applies new transactions once (the overlap is de-duplicated) and re-reads
only the touched balances; the sweep catches pauses and resumes, the reconciliation catches the rest as
drift; changing the threshold costs no Wix call; the home page says how fresh it is."""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.urls import reverse

from balances import attention, feed
from balances.audit import AuditEntry
from balances.models import FeedEvent, FeedState, PoolState, StudioPreferences
from balances.wix.connection import connection_fingerprint, current_auth, get_client, reset_clients
from sandbox import SandboxServer, build_studio
from sandbox import credentials as sandbox_credentials
from tests.conftest import _point_at

pytestmark = pytest.mark.django_db


def _fp():
    return connection_fingerprint(current_auth())


def _members(report, key):
    return sorted(f.member_id for f in report.groups[key])


def _active_credit_pool(studio, *, at_least=Decimal(3)):
    """A member with exactly one ACTIVE credit pool, holding some credits, and no other pools."""
    for member in studio.members:
        pools = studio.pools_for(member["id"])
        if len(pools) != 1 or pools[0]["status"] != "ACTIVE":
            continue
        balance = studio.balance(pools[0]["id"])
        if balance is not None and Decimal(balance["amount"]["available"]) >= at_least:
            return member["id"], pools[0]["id"], Decimal(balance["amount"]["available"])
    raise AssertionError("no such member in the sandbox")


def _drain(studio, pool_id, amount, key=None):
    return studio.change_balance(pool_id, op="ADJUST", value=-amount, idempotency_key=key or f"test-{uuid.uuid4()}")


def _api_calls(server, prefix):
    return [r for r in server.log.records() if r.path.startswith(prefix)]


def test_a_rebuild_agrees_with_a_full_scan(fresh_wix):
    client, fp = get_client(), _fp()
    result = feed.rebuild(client, fp)
    assert result.pools == PoolState.objects.count() > 0
    from_state = feed.report_from_state(fp, Decimal(1))
    scanned = attention.scan(client, fp, Decimal(1))
    for key in attention.CATEGORY_KEYS:
        assert _members(from_state, key) == _members(scanned, key), key
    assert sum(from_state.count(k) for k in attention.CATEGORY_KEYS) > 0
    names = {f.member_id: f.name for rows in scanned.groups.values() for f in rows}
    assert all(f.name == names[f.member_id] for rows in from_state.groups.values() for f in rows)


def test_a_poll_applies_a_new_transaction_once_and_reads_only_the_touched_balance(fresh_wix):
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    member_id, pool_id, available = _active_credit_pool(studio)
    assert member_id not in _members(feed.report_from_state(fp), "out")
    _drain(studio, pool_id, available)
    fresh_wix.log.clear()

    result = feed.poll(client, fp)

    assert result.applied == 1 and result.pools == 1 and result.changed == 1
    assert len(_api_calls(fresh_wix, "/benefit-programs/v1/transactions/query")) == 1
    listed = _api_calls(fresh_wix, "/benefit-programs/v1/balances")
    assert [r.method for r in listed] == ["GET"] and pool_id in listed[0].path + str(listed[0].query)
    assert member_id in _members(feed.report_from_state(fp), "out")
    event = FeedEvent.objects.get()
    assert (event.pool_id, event.member_id, event.change, event.kind) == (pool_id, member_id, -available, "removed")
    assert event.by == FeedEvent.By.DASHBOARD  # not ours, not a booking, not a renewal

    again = feed.poll(client, fp)  # the overlap window reads it again: not applied twice
    assert again.transactions >= 1 and again.applied == 0 and again.pools == 0
    assert FeedEvent.objects.count() == 1


def test_a_transaction_that_shows_up_late_is_still_applied(fresh_wix):
    """Wix's reads can lag: a transaction created before the watermark (within the overlap) still counts."""
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    member_id, pool_id, available = _active_credit_pool(studio)
    _drain(studio, pool_id, available)
    FeedState.objects.filter(pk=1).update(watermark=FeedState.objects.get().watermark + timedelta(seconds=20))

    assert feed.poll(client, fp).applied == 1
    assert member_id in _members(feed.report_from_state(fp), "out")


def test_a_transaction_wix_shows_late_is_picked_up_by_the_overlap(fresh_wix, settings):
    """Real read lag (the sandbox's read_lag): the first poll after a change does not see it and moves the
    watermark past its createdDate; the next poll still finds it in the overlap window and applies it."""
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    member_id, pool_id, available = _active_credit_pool(studio)
    fresh_wix.faults.update(read_lag=1.5)
    # Made by someone else (the Wix dashboard): our client's read-your-writes token does not cover it.
    answer = httpx.post(
        f"{fresh_wix.url}/benefit-programs/v1/balances/{pool_id}/change",
        json={
            "poolId": pool_id,
            "idempotencyKey": f"lag-{uuid.uuid4()}",
            "type": "ADJUST",
            "adjustOptions": {"value": str(-available)},
        },
        headers={"Authorization": sandbox_credentials.API_KEY, "wix-site-id": sandbox_credentials.SITE_ID},
    )
    assert answer.status_code == 200
    written = FeedState.objects.get().watermark
    unseen = feed.poll(client, fp)
    assert unseen.applied == 0 and FeedState.objects.get().watermark > written
    assert member_id not in _members(feed.report_from_state(fp), "out")
    time.sleep(1.6)
    assert feed.poll(client, fp).applied == 1
    assert member_id in _members(feed.report_from_state(fp), "out")


def test_changes_by_our_staff_are_attributed_through_the_audit_log(fresh_wix, owner):
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    member_id, pool_id, _ = _active_credit_pool(studio)
    key = f"cd-{uuid.uuid4()}"
    AuditEntry.objects.create(
        user=owner, username="owner", member_id=member_id, pool_id=pool_id, kind="adjust", reason="goodwill", idempotency_key=key
    )
    studio.change_balance(pool_id, op="ADJUST", value=Decimal(2), idempotency_key=key)
    feed.poll(client, fp)
    event = FeedEvent.objects.get()
    assert (event.by, event.staff_username, event.change) == (FeedEvent.By.STAFF, "owner", Decimal(2))


def test_the_sweep_catches_a_pause_and_a_resume(fresh_wix):
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    member_id, pool_id, _ = _active_credit_pool(studio)
    studio.set_pool_status(pool_id, "PAUSED")
    assert feed.poll(client, fp).applied == 0  # a pause leaves no transaction
    assert pool_id not in [f.pool_id for f in feed.report_from_state(fp).groups["paused"]]

    swept = feed.sweep(client, fp)
    assert swept.changed == [pool_id] and swept.wrapped
    assert pool_id in [f.pool_id for f in feed.report_from_state(fp).groups["paused"]]

    studio.set_pool_status(pool_id, "ACTIVE")
    assert feed.sweep(client, fp).changed == [pool_id]  # gone from the paused pools: re-read
    assert PoolState.objects.get(pool_id=pool_id).status == "ACTIVE"
    assert pool_id not in [f.pool_id for f in feed.report_from_state(fp).groups["paused"]]


@pytest.fixture
def big_wix(settings):
    """A studio of its own with more pools than one page of 100."""
    server = SandboxServer(build_studio(members=400, seed=5), host="127.0.0.1", port=0).start()
    _point_at(settings, server)
    yield server
    server.stop()
    reset_clients()


def test_the_sweep_continues_where_it_stopped_when_its_calls_run_out(big_wix):
    studio, client, fp = big_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    swept = [p["id"] for p in studio.pools if p["status"] in feed.SWEPT_STATUSES]
    assert len(swept) > 0
    for pool in studio.pools:
        if pool["status"] == "ACTIVE" and studio.balance(pool["id"]) is not None:
            studio.set_pool_status(pool["id"], "PAUSED")
    total = sum(1 for p in studio.pools if p["status"] in feed.SWEPT_STATUSES)
    assert total > 200
    first = feed.sweep(client, fp, max_calls=2)  # one page, one re-read
    assert not first.wrapped and FeedState.objects.get().sweep_after
    runs = 1
    while not feed.sweep(client, fp, max_calls=2).wrapped:
        runs += 1
        assert runs < 20
    assert PoolState.objects.filter(status="PAUSED").count() == sum(1 for p in studio.pools if p["status"] == "PAUSED")


def test_the_reconciliation_finds_what_the_feed_could_not_know_and_counts_it(fresh_wix, caplog, owner_client):
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    _, pool_id, _ = _active_credit_pool(studio)
    studio.set_pool_status(pool_id, "ENDED")  # straight from ACTIVE: no transaction, not a swept status
    assert feed.sweep(client, fp).changed == []

    drift = []
    for _ in range(50):
        result = feed.reconcile(client, fp, pages=2)
        drift += result.drift
        if result.wrapped:
            break
    assert drift == [pool_id]
    assert PoolState.objects.get(pool_id=pool_id).status == "ENDED"
    assert FeedState.objects.get().drift_total == 1 and FeedState.objects.get().reconciled_at is not None
    assert pool_id in caplog.text
    page = owner_client.get(reverse("home")).content.decode()
    assert "checked against every balance by" in page and "1 plan had changed unseen (repaired)" in page


def test_a_change_the_feed_has_not_polled_yet_is_not_drift(fresh_wix):
    studio, client, fp = fresh_wix.studio, get_client(), _fp()
    feed.rebuild(client, fp)
    _, pool_id, available = _active_credit_pool(studio)
    _drain(studio, pool_id, available)
    drift = []
    while True:
        result = feed.reconcile(client, fp, pages=50)
        drift += result.drift
        if result.wrapped:
            break
    assert drift == [] and PoolState.objects.get(pool_id=pool_id).available == 0


def test_changing_the_threshold_recomputes_without_calling_wix(fresh_wix):
    client, fp = get_client(), _fp()
    feed.rebuild(client, fp)
    one = feed.cached_state_report(fp, Decimal(1))
    fresh_wix.log.clear()
    five = feed.cached_state_report(fp, Decimal(5))
    assert fresh_wix.log.records() == []
    assert five.count("low") > one.count("low")


def test_the_home_page_reads_the_state_and_says_how_fresh_it_is(fresh_wix, owner_client):
    feed.rebuild(get_client(), _fp())
    response = owner_client.get(reverse("home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert " s ago</time>" in text and "kept current from Wix" in text
    StudioPreferences.objects.update_or_create(pk=1, defaults={"low_credit_threshold": Decimal(4)})
    fresh_wix.log.clear()
    assert owner_client.get(reverse("home")).status_code == 200
    assert fresh_wix.log.records() == []  # the threshold's new answer came from the state
