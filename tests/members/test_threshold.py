"""The owner's low-credit threshold N: set on Needs attention, checked, and used by the member list."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from balances.models import StudioPreferences

URL = reverse("members:threshold")
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


def test_owner_sets_the_threshold_from_needs_attention(owner_client, fresh_wix):
    home = owner_client.get(reverse("home")).content.decode()
    assert 'id="threshold"' in home and 'value="1"' in home  # the default, before anyone saved

    response = owner_client.post(URL, {"low_credit_threshold": "2.5"}, **HTMX)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"threshold-changed": {}}  # the counts reload with the new N
    assert "running low now means at most 2.5 credits" in response.content.decode()
    assert StudioPreferences.current().low_credit_threshold == Decimal("2.5")
    assert 'value="2.5"' in owner_client.get(reverse("home")).content.decode()


def test_without_htmx_saving_goes_back_to_the_page(owner_client):
    response = owner_client.post(URL, {"low_credit_threshold": "3"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert StudioPreferences.current().low_credit_threshold == Decimal("3")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter a number of credits"),
        ("two", "Enter a number of credits"),
        ("NaN", "Enter a number of credits"),
        ("-1", "cannot be below zero"),
        ("1.234", "at most 2 decimal places"),
        ("5000", "under 1000 credits"),
        ("1e9", "under 1000 credits"),
    ],
)
def test_bad_thresholds_are_refused_with_a_clear_message(owner_client, value, message):
    response = owner_client.post(URL, {"low_credit_threshold": value}, **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert not StudioPreferences.objects.exists()  # nothing saved


def test_front_desk_can_neither_see_nor_set_the_threshold(frontdesk_client, fresh_wix):
    assert 'id="threshold"' not in frontdesk_client.get(reverse("home")).content.decode()
    assert frontdesk_client.post(URL, {"low_credit_threshold": "5"}).status_code == 403
    assert not StudioPreferences.objects.exists()


def _row_of(html: str, member_id: str) -> str:
    return next(row for row in re.split(r"(?=<tr)", html) if f"/members/{member_id}/" in row)


def test_member_list_highlights_members_at_or_below_the_threshold(owner_client, fresh_wix):
    member = fresh_wix.studio.add_member("Ada", "Lovelace")
    fresh_wix.studio.add_pool(member["id"], "pack10", available="3")

    def highlighted() -> bool:
        html = owner_client.get(reverse("members:list"), {"q": "Lovelace", "refresh": "1"}).content.decode()
        return 'class="low"' in _row_of(html, member["id"])

    assert not highlighted()  # 3 free is above the default of 1
    owner_client.post(URL, {"low_credit_threshold": "3"})
    assert highlighted()  # at the threshold counts as low
    owner_client.post(URL, {"low_credit_threshold": "2.99"})
    assert not highlighted()


def test_a_new_threshold_shows_at_once_on_a_page_served_from_cache(owner_client, wix):
    """Rows' HTML is cached with the page's data; the threshold is part of what they depend on."""
    list_url = reverse("members:list")
    before = owner_client.get(list_url, {"size": 50})
    assert owner_client.post(URL, {"low_credit_threshold": "5"}, **HTMX).status_code == 200
    after = owner_client.get(list_url, {"size": 50})
    assert after.context["fetched"].from_cache  # same copy of the data …
    assert after.content.decode().count('class="low"') > before.content.decode().count('class="low"')  # … new rows
