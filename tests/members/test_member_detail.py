from decimal import Decimal

from django.urls import reverse

from tests.helpers import member_with, wix_calls


def detail_url(member_id):
    return reverse("members:detail", args=[member_id])


def test_it_shows_every_pool_and_recent_transactions(frontdesk_client, wix):
    studio = wix.studio
    member = member_with(studio, lambda m, pools: len(pools) >= 2)
    response = frontdesk_client.get(detail_url(member["id"]))
    assert response.status_code == 200
    detail = response.context["detail"]
    assert {p.pool_id for p in detail.pools} == {p["id"] for p in studio.pools_for(member["id"])}
    for pool in detail.pools:
        wire = studio.balance(pool.pool_id)
        if wire:
            assert pool.available == Decimal(wire["amount"]["available"])
            assert pool.revision == wire["revision"]
    body = response.content.decode()
    assert "<html" in body and "Recent transactions" in body
    assert detail.transactions and all(
        a.created >= b.created for a, b in zip(detail.transactions, detail.transactions[1:], strict=False)
    )
    assert len(wix_calls(wix)) == 4  # member, pools, balances, transactions — side by side


def test_htmx_gets_the_panel_partial(frontdesk_client, wix):
    maya = wix.studio.members[0]
    response = frontdesk_client.get(detail_url(maya["id"]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="member-{maya["id"]}"' in body


def test_a_member_with_no_pools(frontdesk_client, wix):
    member = member_with(wix.studio, lambda m, pools: not pools)
    response = frontdesk_client.get(detail_url(member["id"]))
    assert response.status_code == 200
    assert "no plans with credits" in response.content.decode()


def test_an_unknown_member_is_a_404_with_a_message(frontdesk_client, wix):
    response = frontdesk_client.get(detail_url("0b7e2a51-93c4-4d8e-a1f6-7c2d9e4b5a38"))
    assert response.status_code == 404
    assert "No member with this ID" in response.content.decode()


def test_a_malformed_member_id_is_a_404(frontdesk_client, wix):
    response = frontdesk_client.get("/members/not-a-guid/")
    assert response.status_code == 404
    assert wix_calls(wix) == []
