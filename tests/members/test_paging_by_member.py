"""Member pages are pages of members: a status filter shows each member once, with all their plans, on
one page, forward and back; its export counts members; and the list still pages when Wix gives no total."""

import csv
import io
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

URL = reverse("members:list")
pytestmark = pytest.mark.django_db


def _walk(client, params, *, link="next_url", start=None, limit=40):
    """Every page from `start` following `link`; returns the member IDs of each page."""
    pages, query = [], dict(start or params)
    for _ in range(limit):
        response = client.get(URL, query)
        assert response.status_code == 200, response.content[:300]
        pages.append([row.member.id for row in response.context["page"].rows])
        following = response.context[link]
        if not following:
            return pages, response
        query = {k: v[0] for k, v in parse_qs(following.lstrip("?")).items()}
    raise AssertionError("the pages never ended")


def _holders(studio, status):
    return {m["id"] for m in studio.members if any(p["status"] == status for p in studio.pools_for(m["id"]))}


@pytest.mark.parametrize("status", ["ENDED", "ACTIVE"])
def test_a_status_filter_pages_by_member_each_once_with_all_their_plans(frontdesk_client, wix, status):
    studio = wix.studio
    pages, last = _walk(frontdesk_client, {"status": status, "size": 25})
    seen = [m for page in pages for m in page]
    assert len(seen) == len(set(seen)), "a member appeared on two pages"
    assert set(seen) == _holders(studio, status)
    assert all(len(page) == 25 for page in pages[:-1])  # full pages until the last
    for row in last.context["page"].rows:
        assert {p.pool_id for p in row.pools} == {p["id"] for p in studio.pools_for(row.member.id)}
    # And back again from the last page: the same pages, in reverse.
    if len(pages) > 1:
        previous = {k: v[0] for k, v in parse_qs(last.context["prev_url"].lstrip("?")).items()}
        back, first = _walk(frontdesk_client, {}, link="prev_url", start=previous)
        assert back == list(reversed(pages[:-1]))
        assert not first.context["prev_url"]


def test_the_export_of_a_status_filter_counts_members(owner_client, wix):
    studio = wix.studio
    body = b"".join(owner_client.get("/members/export.csv", {"status": "ENDED"}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    ids = [r["member_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(_holders(studio, "ENDED"))


def test_without_a_total_the_list_still_pages_from_full_pages(frontdesk_client, wix):
    wix.faults.update(members_total=False)
    pages, last = _walk(frontdesk_client, {"size": 25})
    seen = [m for page in pages for m in page]
    assert len(seen) == len(set(seen)) == len(wix.studio.members)
    assert last.context["page"].total is None
    assert b"Next" not in last.content.split(b'class="pager"')[-1]
    # Counting is Wix's to refuse: the page says which rows it shows, not a made-up total.
    first = frontdesk_client.get(URL, {"size": 25})
    assert first.context["next_url"] and b"of 0" not in first.content
