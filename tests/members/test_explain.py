"""Explain this balance: the replay of a pool's transactions must land on Wix's live numbers."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from balances.explain import explain_pool
from balances.wix.connection import get_client
from tests.helpers import member_with, wix_calls

pytestmark = pytest.mark.django_db  # the Wix connection in force is read from the database


def pools_with_balances(studio, member):
    return [p for p in studio.pools_for(member["id"]) if studio.balance(p["id"]) is not None]


def test_every_seeded_pool_is_explained_exactly(wix):
    studio = wix.studio
    checked = 0
    for member in studio.members[:40]:
        for pool in pools_with_balances(studio, member):
            explanation = explain_pool(get_client(), pool["id"])
            assert explanation.matches, pool["id"]
            assert explanation.complete
            checked += 1
    assert checked > 20


def test_rollover_pool_shows_rolled_over_and_lost_credits(wix):
    studio = wix.studio
    member = member_with(
        studio,
        lambda m, pools: any(
            p["details"].get("creditConfiguration", {}).get("rolloverConfiguration", {}).get("enabled") and p["renewalCount"] >= 3
            for p in pools
        ),
    )
    pool = next(p for p in studio.pools_for(member["id"]) if p["renewalCount"] >= 3)
    explanation = explain_pool(get_client(), pool["id"])
    totals = explanation.totals
    assert totals["granted"] == Decimal("8") * (pool["renewalCount"] + 1)
    granted_plus = totals["granted"] + totals["adjusted"]
    spent = totals["used"] + totals["lost"] + explanation.rebuilt_reserved
    assert granted_plus - spent == explanation.rebuilt_available
    assert explanation.matches


@pytest.mark.django_db
def test_explain_partial_in_the_panel(wix, frontdesk_client):
    studio = wix.studio
    member = member_with(studio, lambda m, pools: len([p for p in pools if studio.balance(p["id"])]) >= 1)
    pool = pools_with_balances(studio, member)[0]
    url = reverse("members:explain", args=[member["id"], pool["id"]])
    wix.log.clear()
    response = frontdesk_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content  # the partial only
    assert b"the same as Wix" in response.content
    assert len(wix_calls(wix)) >= 2  # balance + transactions, fetched only when asked


@pytest.mark.django_db
def test_explain_refuses_another_members_pool(wix, frontdesk_client):
    studio = wix.studio
    a, b = studio.members[0], studio.members[1]
    pool = pools_with_balances(studio, b)[0] if pools_with_balances(studio, b) else None
    if pool is None:
        pytest.skip("seed changed")
    response = frontdesk_client.get(reverse("members:explain", args=[a["id"], pool["id"]]))
    assert response.status_code == 404
    assert b"no such plan" in response.content


@pytest.mark.django_db
def test_panel_has_credit_bar_sparkline_and_no_inline_style(wix, frontdesk_client):
    studio = wix.studio
    member = member_with(
        studio,
        lambda m, pools: any(
            studio.balance(p["id"])
            and (p["details"].get("creditConfiguration", {}).get("rolloverConfiguration", {}).get("enabled"))
            for p in pools
        ),
    )
    response = frontdesk_client.get(reverse("members:detail", args=[member["id"]]))
    html = response.content.decode()
    assert 'class="credit-bar"' in html and 'class="bar-cap"' in html
    assert 'class="sparkline"' in html
    assert re.search(r'aria-label="\d+(\.\d+)? free to book, \d+(\.\d+)? booked, not yet used', html)
    assert "style=" not in html
    assert "Explain this balance" in html


def test_sparkline_walks_back_to_the_balance_before_each_change():
    from types import SimpleNamespace as NS

    from balances.wix.records import Transaction
    from members.templatetags.glance import history_points

    def tx(pool_id, amount, source, target):
        return Transaction.from_wire({"pool": {"id": pool_id}, "amount": amount, "source": source, "target": target})

    pool = NS(pool_id="p", available=Decimal("3"))
    txs = [  # newest first
        tx("p", "1", "AVAILABLE", "EXTERNAL"),
        tx("q", "5", "EXTERNAL", "AVAILABLE"),
        tx("p", "1", "RESERVED", "EXTERNAL"),  # no effect on free
        tx("p", "4", "EXTERNAL", "AVAILABLE"),
    ]
    assert history_points(pool, txs) == [Decimal("0"), Decimal("4"), Decimal("4"), Decimal("3")]
