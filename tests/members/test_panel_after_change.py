"""After an adjustment or an undo made in the member panel, every number on screen is the new one, with
one message ("now 8 (+1) · Undo"), never stacked — even when Wix's reads lag its writes."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def member_pool(fresh_wix):
    fresh_wix.faults.update(read_lag=30)  # reads without Wix's consistency token would show the old 7
    member = fresh_wix.studio.add_member("Nina", "Now")
    pool = fresh_wix.studio.add_pool(member["id"], "pack10", available="7")
    return member, pool


def _hidden(body, name):
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def _form_in_the_panel(client, member, pool):
    """Open the member's panel, then the plan's adjust form in it: its URL and hidden fields."""
    client.get(reverse("members:detail", args=[member["id"]]), headers=HX)
    adjust_url = reverse("members:adjust", args=[member["id"], pool["id"]])
    form = client.get(adjust_url, headers=HX).content.decode()
    return adjust_url, {n: _hidden(form, n) for n in ("idempotency_key", "revision", "seen_available", "in_panel")}


def _numbers(body, pool_id):
    """Every place the panel states this one-plan member's free credits."""
    return {
        "header": re.search(r"<strong>([^<]+)</strong> free to book ·", body).group(1),
        "plan": re.search(rf'id="available-{pool_id}">([^<]+)<', body).group(1),
        "bar": re.search(r'class="credit-bar"[^>]*aria-label="([^ ]+) free to book', body).group(1),
        "legend": re.search(r'class="key key-available">([^ ]+) free to book', body).group(1),
    }


def test_every_number_in_the_panel_is_the_new_one_after_adjust_and_undo(owner_client, fresh_wix, member_pool):
    member, pool = member_pool
    panel = owner_client.get(reverse("members:detail", args=[member["id"]]), headers=HX).content.decode()
    assert set(_numbers(panel, pool["id"]).values()) == {"7"}
    adjust_url = reverse("members:adjust", args=[member["id"], pool["id"]])
    form = owner_client.get(adjust_url, headers=HX).content.decode()
    data = {n: _hidden(form, n) for n in ("idempotency_key", "revision", "seen_available")}
    data["in_panel"] = "1" if 'name="in_panel"' in form else ""
    explain_url = reverse("members:explain", args=[member["id"], pool["id"]])
    opened = owner_client.get(explain_url, headers=HX).content.decode()
    assert "How 7 free to book came to be" in opened
    data["explain_open"] = _hidden(opened, "explain_open")  # sent along (hx-include) while it is open
    response = owner_client.post(adjust_url, {**data, "mode": "add", "amount": "1", "reason": "Makeup class"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    # The open explanation loads again, with the new numbers.
    assert re.search(rf'id="explain-{pool["id"]}"[^>]*hx-get="{re.escape(explain_url)}" hx-trigger="load"', body)
    assert response.get("HX-Retarget") == f"#member-{member['id']}", "only the form was answered: the panel keeps its 7s"
    assert set(_numbers(body, pool["id"]).values()) == {"8"}
    assert body.count("change-message") == 1 and "now <strong>8</strong> free to book (+1)" in body
    assert re.search(r'class="num pos">\+1 free</td>', body)  # the transaction list has it
    assert body.count("Undo +1") == 2  # in the message and on the transaction's row: one change, one key each

    undo = re.search(r'<form class="undo"[^>]*action="([^"]+)".*?name="idempotency_key" value="([^"]+)"', body, re.S)
    response = owner_client.post(undo.group(1), {"idempotency_key": undo.group(2), "in_panel": "1"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and response.get("HX-Retarget") == f"#member-{member['id']}"
    assert set(_numbers(body, pool["id"]).values()) == {"7"}
    assert body.count("change-message") == 1 and "Undone: now <strong>7</strong> free to book (-1)" in body
    assert "now <strong>8</strong>" not in body and "Undo +1" not in body

    explain = owner_client.get(reverse("members:explain", args=[member["id"], pool["id"]]), headers=HX).content.decode()
    assert "How 7 free to book came to be" in explain and "the same as Wix" in explain
    listing = owner_client.get(reverse("members:list"), {"q": "Nina"}).content.decode()
    assert re.search(r'class="num total">7<', listing)


def test_the_full_adjust_page_still_answers_with_its_own_page(owner_client, fresh_wix, member_pool):
    """Without the panel around it (no in_panel), an applied change shows the adjust page's message."""
    member, pool = member_pool
    adjust_url = reverse("members:adjust", args=[member["id"], pool["id"]])
    form = owner_client.get(adjust_url).content.decode()
    assert 'name="in_panel"' not in form
    data = {n: _hidden(form, n) for n in ("idempotency_key", "revision", "seen_available")}
    response = owner_client.post(adjust_url, {**data, "mode": "add", "amount": "1", "reason": "Makeup class"})
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert "now 8 free to book" in response.content.decode()


def test_when_wix_cannot_be_read_after_the_change_the_form_says_applied_without_old_numbers(owner_client, fresh_wix, member_pool):
    """The last good copy predates the change: it must not come back as the new panel."""
    member, pool = member_pool
    adjust_url, data = _form_in_the_panel(owner_client, member, pool)  # the panel leaves a copy in the cache
    fresh_wix.faults.script("status", times=10, status=503, path_prefix="/benefit-programs/v1/pools/")
    response = owner_client.post(adjust_url, {**data, "mode": "add", "amount": "1", "reason": "Makeup class"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert "now 8 free to book" in body and "Wix not reachable" not in body


def test_when_only_the_transactions_cannot_be_read_after_the_change_the_panel_shows_the_new_numbers(
    owner_client, fresh_wix, member_pool
):
    """The panel's numbers are their own read: a history Wix cannot give right now does not hide them."""
    member, pool = member_pool
    adjust_url, data = _form_in_the_panel(owner_client, member, pool)
    fresh_wix.faults.script("status", times=10, status=503, path_prefix="/benefit-programs/v1/transactions/")
    response = owner_client.post(adjust_url, {**data, "mode": "add", "amount": "1", "reason": "Makeup class"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == f"#member-{member['id']}"
    assert "now <strong>8</strong>" in body and "Load recent transactions" in body and "banner-stale" not in body
