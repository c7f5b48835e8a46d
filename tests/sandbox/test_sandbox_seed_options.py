"""Seed options for issue 14: fractional credits, and the two other shapes a plan without credits may take."""

from decimal import Decimal

import httpx
import pytest
from conftest import AUTH, NO_TLS

from sandbox import DEMO_POOL_ID, SandboxServer, build_studio
from sandbox.api import signed_total
from sandbox.plans import PLANS

UNLIMITED = PLANS["unlimited"].pool_definition_id


def test_fractional_balances_have_up_to_four_decimals_and_replay_from_their_history():
    studio = build_studio(members=60, seed=7, fractional=True)
    fractional = [b for b in studio._balances.values() if "." in b["amount"]["available"]]
    assert len(fractional) >= 10
    assert {b["amount"]["available"].split(".")[1] for b in fractional} <= {"5", "25", "1234", "75"}
    assert "." in studio.balance(DEMO_POOL_ID)["amount"]["available"]  # Maya's pack too (7 + 0.5)
    for b in fractional:
        total = signed_total(studio.transactions_for(b["id"]))
        assert total["available"] == Decimal(b["amount"]["available"]), b["id"]
    assert build_studio(members=60, seed=7)._balances[DEMO_POOL_ID]["amount"]["available"] == "7"  # off by default


def _unlimited_pools(studio):
    return [p for p in studio.pools if p["poolDefinitionId"] == UNLIMITED]


def test_plans_without_credits_default_to_a_pool_without_balance():
    studio = build_studio(members=60)
    pools = _unlimited_pools(studio)
    assert pools and all(studio.balance(p["id"]) is None for p in pools)


def test_plans_without_credits_can_carry_a_zero_balance():
    studio = build_studio(members=60, plans_without_credits="zero_balance")
    pools = _unlimited_pools(studio)
    assert pools
    with SandboxServer(studio) as server:
        for p in pools[:5]:
            r = httpx.get(f"{server.url}/benefit-programs/v1/balances/{p['id']}", headers=AUTH, **NO_TLS)
            balance = r.json()["balance"]
            assert balance["amount"] == {"available": "0", "reserved": "0"} and "creditAmount" not in balance["poolInfo"]
            assert balance["poolInfo"]["poolDefinitionId"] == UNLIMITED
        r = httpx.post(
            f"{server.url}/benefit-programs/v1/transactions/query",
            json={"query": {"filter": {"pool.id": pools[0]["id"]}}},
            headers=AUTH,
            **NO_TLS,
        )
        assert r.json()["transactions"] == []


def test_plans_without_credits_can_have_no_pool_at_all():
    studio = build_studio(members=60, plans_without_credits="no_pool")
    assert _unlimited_pools(studio) == []
    default = build_studio(members=60)
    credit_pools = [p for p in default.pools if p["poolDefinitionId"] != UNLIMITED]
    assert len(studio.pools) == len(credit_pools)  # the same members, minus the unlimited plans
    assert [m["id"] for m in studio.members] == [m["id"] for m in default.members]


def test_unknown_option_is_refused():
    with pytest.raises(ValueError):
        build_studio(members=5, plans_without_credits="maybe")
