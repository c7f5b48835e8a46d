import math
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from balances.credits import MAX_MEMBERS_PER_BALANCE_QUERY
from tests.helpers import credits_text, wix_calls

URL = reverse("members:list")


def test_anonymous_people_are_sent_to_log_in(client, wix):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert wix_calls(wix) == []


def test_it_lists_members_with_the_credits_the_sandbox_holds(frontdesk_client, wix):
    studio = wix.studio
    response = frontdesk_client.get(URL, {"size": 25})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.total == len(studio.members)
    assert len(page.rows) == 25
    for row in page.rows:
        truth = studio.pools_for(row.member.id)
        with_balance = [p for p in truth if studio.balance(p["id"]) is not None]
        assert {p.pool_id for p in row.pools} == {p["id"] for p in truth}
        for pool in row.pools:
            wire_pool = next(p for p in truth if p["id"] == pool.pool_id)
            assert pool.plan_name == wire_pool["displayName"] and pool.status == wire_pool["status"]
            if not pool.unlimited:
                wire = studio.balance(pool.pool_id)
                assert pool.available == Decimal(wire["amount"]["available"])
                assert pool.reserved == Decimal(wire["amount"]["reserved"])
        assert len([p for p in row.pools if not p.unlimited]) == len(with_balance)
    maya = page.rows[0]
    body = response.content.decode()
    assert maya.member.name in body and maya.member.email in body
    assert f">{credits_text(maya.total_available)}<" in body.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("size", [25, 50, 100])
def test_one_page_costs_a_fixed_number_of_calls_whatever_its_size(frontdesk_client, wix, size):
    frontdesk_client.get(URL, {"size": size})  # warms the plan catalog
    wix.log.clear()
    response = frontdesk_client.get(URL, {"size": size, "offset": size})
    assert response.status_code == 200
    calls = wix_calls(wix)
    members = [c for c in calls if c.path == "/members/v1/members/query"]
    balances = [c for c in calls if c.path == "/benefit-programs/v1/balances/query"]
    pools = [c for c in calls if c.path == "/benefit-programs/v1/pools/query"]
    assert len(members) == 1
    assert len(balances) == math.ceil(size / MAX_MEMBERS_PER_BALANCE_QUERY)
    assert len(pools) <= 1  # only for plans without credits
    assert not [c for c in calls if c.method == "GET"], "no per-pool or per-member calls"


def test_it_pages_forward_and_back_with_urls_that_reload(frontdesk_client, wix):
    seen = []
    url = f"{URL}?size=25"
    for _ in range(3):
        response = frontdesk_client.get(url)
        assert response.status_code == 200
        seen.append([r.member.id for r in response.context["page"].rows])
        swapped = frontdesk_client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert "<html" not in swapped and response.context["next_url"].replace("&", "&amp;") in swapped
        url = URL + response.context["next_url"]
    assert len({i for ids in seen for i in ids}) == 75
    expected_ids = [m["id"] for m in wix.studio.members[:75]]
    assert [i for ids in seen for i in ids] == expected_ids
    # back from page 3 to page 2 and 1, through the rendered "Previous" links
    third = frontdesk_client.get(f"{URL}?size=25&offset=50")
    second = frontdesk_client.get(URL + third.context["prev_url"])
    assert [r.member.id for r in second.context["page"].rows] == seen[1]
    first = frontdesk_client.get(URL + second.context["prev_url"])
    assert [r.member.id for r in first.context["page"].rows] == seen[0]
    assert first.context["prev_url"] == ""
    # a reloaded (non-HTMX) paged URL renders the whole page
    assert b"<html" in third.content and b'id="results"' in third.content


def test_htmx_requests_get_only_the_results_partial(frontdesk_client, wix):
    response = frontdesk_client.get(URL, {"q": "maya"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<table" in body
    assert "{#" not in body and "{%" not in body  # no template source leaks into the page
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_it_searches_by_name_and_email(frontdesk_client, wix):
    maya = wix.studio.members[0]
    by_name = frontdesk_client.get(URL, {"q": maya["contact"]["firstName"][:4]}).context["page"]
    assert maya["id"] in [r.member.id for r in by_name.rows]
    by_email = frontdesk_client.get(URL, {"q": maya["loginEmail"]}).context["page"]
    assert [r.member.id for r in by_email.rows] == [maya["id"]]
    nobody = frontdesk_client.get(URL, {"q": "zzzz-no-such-member"})
    assert nobody.context["page"].rows == () and b"No members match" in nobody.content


def test_it_filters_by_pool_status_through_three_pages(frontdesk_client, wix):
    studio = wix.studio
    active_members = {m["id"] for m in studio.members if any(p["status"] == "ACTIVE" for p in studio.pools_for(m["id"]))}
    url, seen = f"{URL}?status=ACTIVE&size=25", []
    for _ in range(3):
        response = frontdesk_client.get(url)
        assert response.status_code == 200
        rows = response.context["page"].rows
        assert rows and all(any(p.status == "ACTIVE" for p in r.pools) for r in rows)
        seen += [r.member.id for r in rows]
        assert response.context["next_url"]
        url = URL + response.context["next_url"]
    assert set(seen) <= active_members
    paused = frontdesk_client.get(URL, {"status": "PAUSED"}).context["page"]
    assert paused.rows and all(any(p.status == "PAUSED" for p in r.pools) for r in paused.rows)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": "1000"}, "Page size must be 25, 50 or 100"),
        ({"size": "abc"}, "Page size must be 25, 50 or 100"),
        ({"offset": "-5"}, "greater than or equal to 0"),
        ({"status": "DELETED"}, "Select a valid choice"),
        ({"q": "x" * 101}, "at most 100 characters"),
    ],
)
def test_bad_query_parameters_are_a_400_with_a_message(frontdesk_client, wix, params, message):
    response = frontdesk_client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert wix_calls(wix) == []


def test_a_garbage_cursor_is_a_400_with_a_message(frontdesk_client, wix):
    response = frontdesk_client.get(URL, {"status": "ACTIVE", "cursor": "garbage!"})
    assert response.status_code == 400
    assert "That page link is not valid" in response.content.decode()  # the member cursor is ours, checked before Wix


def test_wrong_credentials_show_a_clear_banner(frontdesk_client, wix, settings):
    settings.WIX_API_KEY = "IST.wrong"
    from balances.wix.connection import reset_clients

    reset_clients()
    response = frontdesk_client.get(URL)
    assert response.status_code == 502
    assert "Wix refused our credentials" in response.content.decode()


def test_wix_being_down_shows_a_banner_not_a_500(frontdesk_client, wix):
    wix.faults.error_rate = 1.0
    response = frontdesk_client.get(URL)
    assert response.status_code == 503
    assert re.search(r"Wix is (having trouble|not reachable)", response.content.decode())
