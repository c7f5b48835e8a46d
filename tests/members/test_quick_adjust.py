"""Quick adjust (+1 / −1 in the panel) goes through the same adjust form and service; ended plans are the owner's,
behind a confirmation; "allow below zero" is shown to owners only."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from balances.staff import adjust_permission
from tests.helpers import available

from .test_adjust_views import adjust_url, hidden


@pytest.fixture
def ended(fresh_wix, pool):
    fresh_wix.studio.set_pool_status(pool["id"], "ENDED")
    return pool


@pytest.fixture
def desk_adjuster(frontdesk, client):
    frontdesk.user_permissions.add(adjust_permission())
    client.force_login(frontdesk)
    return client


def _picker(client, pool, mode="add"):
    response = client.get(adjust_url(pool), {"mode": mode, "amount": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def _fields(body):
    return {name: hidden(body, name) for name in ("idempotency_key", "revision", "seen_available", "mode", "amount")}


def test_plus_one_opens_the_reason_picker_and_one_tap_applies(owner_client, fresh_wix, pool):
    panel = owner_client.get(reverse("members:detail", args=[pool["beneficiary"]["memberId"]])).content.decode()
    assert "Add 1 credit to" in panel and "Remove 1 credit from" in panel
    body = _picker(owner_client, pool)
    assert "Add 1 credit" in body and 'name="reason" value="Goodwill credit"' in body
    data = {**_fields(body), "reason": "Goodwill credit"}
    assert data["mode"] == "add" and data["amount"] == "1"
    applied = owner_client.post(adjust_url(pool), data, headers={"HX-Request": "true"})
    assert applied.status_code == 200 and "now 6 free to book" in applied.content.decode()
    assert available(fresh_wix.studio, pool["id"]) == Decimal(6)


def test_minus_one_offers_removal_reasons_and_free_text_works(owner_client, fresh_wix, pool):
    body = _picker(owner_client, pool, "remove")
    assert "Remove 1 credit" in body and 'value="No-show"' in body
    data = {**_fields(body), "reason": "Left early, agreed with the teacher"}
    assert owner_client.post(adjust_url(pool), data, headers={"HX-Request": "true"}).status_code == 200
    assert available(fresh_wix.studio, pool["id"]) == Decimal(4)


def test_allow_below_zero_is_shown_to_owners_only(owner, desk_adjuster, fresh_wix, pool):
    assert "Allow the balance to go below zero" not in _picker(desk_adjuster, pool, "remove")
    desk_adjuster.force_login(owner)
    assert "Allow the balance to go below zero" in _picker(desk_adjuster, pool, "remove")


def test_front_desk_cannot_adjust_an_ended_plan(desk_adjuster, fresh_wix, ended):
    panel = desk_adjuster.get(reverse("members:detail", args=[ended["beneficiary"]["memberId"]])).content.decode()
    assert "Add 1 credit to" not in panel and f'id="adjust-{ended["id"]}"' not in panel
    assert desk_adjuster.get(adjust_url(ended)).status_code == 403
    forged = {
        "idempotency_key": "3f0c3c1e-7a39-4a43-9a38-a2f4f6b8e001",
        "revision": "1",
        "mode": "add",
        "amount": "1",
        "reason": "x",
    }
    refused = desk_adjuster.post(adjust_url(ended), forged, headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "Only an owner" in refused.content.decode()
    assert available(fresh_wix.studio, ended["id"]) == Decimal(5)


def test_an_owner_changes_an_ended_plan_only_after_confirming(owner_client, fresh_wix, ended):
    body = _picker(owner_client, ended)
    assert "This plan has ended" in body and 'name="confirm_ended"' in body
    data = {**_fields(body), "ended": hidden(body, "ended"), "reason": "Correction"}
    unconfirmed = owner_client.post(adjust_url(ended), data, headers={"HX-Request": "true"})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm" in unconfirmed.content.decode()
    assert available(fresh_wix.studio, ended["id"]) == Decimal(5)
    body = unconfirmed.content.decode()
    confirmed = owner_client.post(
        adjust_url(ended),
        {**data, "idempotency_key": hidden(body, "idempotency_key"), "confirm_ended": "on"},
        headers={"HX-Request": "true"},
    )
    assert confirmed.status_code == 200, re.sub(r"\s+", " ", confirmed.content.decode())[:500]
    assert available(fresh_wix.studio, ended["id"]) == Decimal(6)


def test_the_owner_edits_the_reasons_the_picker_offers(owner_client, fresh_wix, pool):
    home = owner_client.get(reverse("home")).content.decode()
    assert "Quick adjust reasons" in home and "Goodwill credit" in home
    url = reverse("members:quick_reasons")
    bad = owner_client.post(url, {"add_reasons": "  \n ", "remove_reasons": "No-show"}, headers={"HX-Request": "true"})
    assert bad.status_code == 400 and "at least one reason" in bad.content.decode()
    saved = owner_client.post(url, {"add_reasons": "Birthday gift\nBirthday gift\nTeacher's guest", "remove_reasons": "No-show"})
    assert saved.status_code == 302
    body = _picker(owner_client, pool)
    assert body.count('value="Birthday gift"') == 1 and "Teacher&#x27;s guest" in body and "Goodwill credit" not in body


def test_front_desk_cannot_edit_the_reasons(frontdesk_client):
    response = frontdesk_client.post(reverse("members:quick_reasons"), {"add_reasons": "x", "remove_reasons": "y"})
    assert response.status_code == 403
    assert "Quick adjust reasons" not in frontdesk_client.get(reverse("home")).content.decode()
