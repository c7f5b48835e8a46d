"""CSV export: every member of the filtered view across pages, streamed; owners only unless granted."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.helpers import wix_calls

URL = "/members/export.csv"


def read_csv(response):
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_export_has_every_member_across_pages(wix, owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Export-Rows"] == str(len(wix.studio.members))
    rows = read_csv(response)
    assert len(rows) == len(wix.studio.members)
    assert len({r["member_id"] for r in rows}) == 300
    # 3 pages of 100, each a fixed handful of calls: never one call per member.
    assert len(wix_calls(wix, "/members/v1/members/query")) == 3
    assert len(wix_calls(wix)) < 25


@pytest.mark.django_db
def test_export_follows_the_search_and_status_filter(wix, owner_client):
    rows = read_csv(owner_client.get(URL, {"q": "Maya"}))
    assert rows and all("maya" in (r["name"] + r["email"]).lower() for r in rows)
    paused = read_csv(owner_client.get(URL, {"status": "PAUSED"}))
    assert paused and all("(paused)" in r["plans"] for r in paused)


@pytest.mark.django_db
def test_front_desk_needs_the_export_permission(wix, frontdesk_client, frontdesk):
    assert frontdesk_client.get(URL).status_code == 403
    assert b"Export CSV" not in frontdesk_client.get(reverse("members:list")).content
    frontdesk.user_permissions.add(Permission.objects.get(codename="export_members"))
    assert frontdesk_client.get(URL).status_code == 200


@pytest.mark.django_db
def test_bad_filter_is_400_and_wix_down_is_503(wix, owner_client):
    assert owner_client.get(URL, {"size": "7"}).status_code == 400
    wix.faults.error_rate = 1.0
    wix.faults.error_status = 503
    response = owner_client.get(URL)
    assert response.status_code == 503
    assert b"Wix" in response.content


@pytest.mark.django_db
def test_formula_like_names_stay_text(fresh_wix, owner_client):
    fresh_wix.studio.add_member("=HYPERLINK(1)", "Evil")
    rows = read_csv(owner_client.get(URL, {"q": "Evil"}))
    assert any(r["name"].startswith("'=") for r in rows)


@pytest.mark.django_db
def test_export_spends_from_the_shared_budget_and_wix_never_says_429(wix, owner_client, settings):
    """An export of every page takes at most half of the budget people share, waiting for room when
    the desk has used the rest, and Wix (limit = our budget) never has to answer 429."""
    from balances.wix.connection import get_client

    settings.WIX_BUDGET_WINDOW_SECONDS = 3  # holds each call ≥ 2 s, the sandbox's window here
    wix.faults.rate_limit_window = 2
    wix.faults.rate_limit_per_minute = settings.WIX_CALLS_PER_MINUTE = 30
    for _ in range(10):
        get_client().count_members()  # people at the desk: the export has 5 calls of room at first
    rows = read_csv(owner_client.get(URL))
    assert len(rows) == len(wix.studio.members)
    assert not [c for c in wix_calls(wix) if c.status == 429]
    assert len(wix_calls(wix)) - 10 > 5  # it needed more than that room, so it waited rather than overspent
