import json
import resource
import time
from collections import Counter
from decimal import Decimal

from sandbox import DEMO_ENDED_POOL_ID, DEMO_MEMBER_ID, DEMO_POOL_ID, build_studio
from sandbox.api import signed_total


def _dump(studio):
    return json.dumps(
        [studio.members, studio.pools, [studio.balance(p["id"]) for p in studio.pools], studio.ai_credits], sort_keys=True
    )


def test_same_seed_same_studio_and_other_seed_differs():
    a, b = build_studio(120, seed=7), build_studio(120, seed=7)
    assert _dump(a) == _dump(b)
    pid = a.pools[40]["id"]
    assert a.transactions_for(pid) == b.transactions_for(pid)
    c = build_studio(120, seed=8)
    assert _dump(c) != _dump(a)
    assert c.members[0]["id"] == DEMO_MEMBER_ID  # the demo member is fixed for every seed


def test_demo_member(studio):
    maya = studio.members[0]
    assert maya["id"] == DEMO_MEMBER_ID and maya["loginEmail"] == "maya.levi@example.com"
    assert (maya["contact"]["firstName"], maya["contact"]["lastName"]) == ("Maya", "Levi")
    pools = {p["id"]: p for p in studio.pools_for(DEMO_MEMBER_ID)}
    assert set(pools) == {DEMO_POOL_ID, DEMO_ENDED_POOL_ID}
    assert pools[DEMO_POOL_ID]["displayName"] == "10-Class Pack" and pools[DEMO_POOL_ID]["status"] == "ACTIVE"
    assert studio.balance(DEMO_POOL_ID)["amount"] == {"available": "7", "reserved": "1"}
    assert pools[DEMO_ENDED_POOL_ID]["status"] == "ENDED"
    assert pools[DEMO_ENDED_POOL_ID]["details"]["creditConfiguration"]["amount"] == "5"


def test_variety_of_the_default_studio(studio):
    statuses = Counter(p["status"] for p in studio.pools)
    assert set(statuses) == {"ACTIVE", "PAUSED", "ENDED", "PROVISIONING", "RENEWING", "PENDING"}
    # Finished packs pile up as ENDED pools (~2.4 pools a member); of the live ones most are ACTIVE.
    assert statuses["ACTIVE"] > sum(n for s, n in statuses.items() if s != "ENDED") / 2
    assert 1.9 < len(studio.pools) / len(studio.members) < 2.8
    per_member = Counter(len(studio.pools_for(m["id"])) for m in studio.members)
    assert 0.08 < per_member[0] / 300 < 0.25 and per_member[2] + per_member[3] > 20
    assert {"BLOCKED", "PENDING"} <= {m["status"] for m in studio.members}
    assert any("lastName" not in m["contact"] for m in studio.members)
    emails = [m["loginEmail"] for m in studio.members]
    assert len(set(emails)) == len(emails)
    unlimited = [p for p in studio.pools if p["displayName"] == "Unlimited Monthly"]
    assert unlimited and all("creditConfiguration" not in p["details"] and studio.balance(p["id"]) is None for p in unlimited)
    monthly = [p for p in studio.pools if p["displayName"] == "Monthly 8 Classes"]
    rc = monthly[0]["details"]["creditConfiguration"]["rolloverConfiguration"]
    assert rc == {"enabled": True, "balanceCap": "4"} and any(p["renewalCount"] > 0 for p in monthly)
    active = [studio.balance(p["id"]) for p in studio.pools if p["status"] == "ACTIVE" and studio.balance(p["id"])]
    assert sum(b["amount"]["reserved"] != "0" for b in active) >= len(active) * 0.05
    assert sum(b["amount"]["available"] == "0" for b in active) >= len(active) * 0.05
    assert any(b["amount"]["available"] == "1" for b in active)
    assert max(len(studio.transactions_for(p["id"])) for p in monthly) >= 50
    dates = sorted(m["createdDate"] for m in studio.members)
    assert dates[0] >= "2024-11-01" and dates[-1] <= "2026-11-23T09:00:00.000Z"


def test_histories_are_consistent_with_balances(studio):
    checked = 0
    for pool in studio.pools:
        bal = studio.balance(pool["id"])
        if bal is None:
            assert studio.transactions_for(pool["id"]) == []
            continue
        txs = studio.transactions_for(pool["id"])
        total = signed_total(txs)
        assert total["available"] == Decimal(bal["amount"]["available"]), pool["id"]
        assert total["reserved"] == Decimal(bal["amount"]["reserved"]), pool["id"]
        assert bal["lastTransactionId"] == txs[-1]["id"] and int(bal["revision"]) == len(txs)
        assert [t["createdDate"] for t in txs] == sorted(t["createdDate"] for t in txs)
        assert all(t["status"] == "COMPLETED" and Decimal(t["amount"]) > 0 for t in txs)
        checked += 1
    assert checked > 200
    reasons = {t["details"].get("reason") for p in studio.pools for t in studio.transactions_for(p["id"])}
    assert {"Plan purchase", "Renewal", "Redemption", "Reservation", "Rollover cap at renewal"} <= reasons
    classes = {
        t["details"]["item"]["displayName"]
        for p in studio.pools
        for t in studio.transactions_for(p["id"])
        if "item" in t["details"]
    }
    assert {"Vinyasa Flow", "Reformer Pilates", "Hip-Hop Beginners"} <= classes


def test_add_member_and_pool(studio):
    m = studio.add_member("Zoë", "Adams", "zoe@example.com")
    assert studio.get_member(m["id"]) is m and studio.members[-1] is m
    p = studio.add_pool(m["id"], "pack5", available="3", reserved="1")
    assert studio.pools_for(m["id"]) == [p]
    assert studio.balance(p["id"])["amount"] == {"available": "3", "reserved": "1"}
    total = signed_total(studio.transactions_for(p["id"]))
    assert total == {"available": Decimal(3), "reserved": Decimal(1)}
    u = studio.add_pool(m["id"], "unlimited")
    assert studio.balance(u["id"]) is None


def test_build_50k_is_fast_and_small():
    # CPU time is asserted (the machine is shared: wall time depends on the neighbours); wall time is printed.
    t0, c0 = time.perf_counter(), time.process_time()
    big = build_studio(50_000, seed=7)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbuild_studio(50_000): {elapsed:.2f}s wall, {cpu:.2f}s CPU, {len(big.pools)} pools, max RSS {rss_mb:.0f} MB")
    assert len(big.members) == 50_000 and len(big.pools) > 50_000
    assert cpu < 30
    assert rss_mb < 900
