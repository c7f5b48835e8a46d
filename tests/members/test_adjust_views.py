"""The adjustment form, the audit log and Undo through HTTP, with real logins, database and sandbox."""

import csv
import io
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from balances.audit import AuditEntry
from tests.helpers import available, logged_calls, wix_calls

CHANGES = "/benefit-programs/v1/balances/"


def adjust_url(pool):
    return reverse("members:adjust", args=[pool["beneficiary"]["memberId"], pool["id"]])


def hidden(body: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def open_form(client, pool, **headers) -> dict:
    response = client.get(adjust_url(pool), headers=headers)
    assert response.status_code == 200
    body = response.content.decode()
    return {name: hidden(body, name) for name in ("idempotency_key", "revision", "seen_available")}


def post(client, pool, form, **fields):
    data = {**form, "mode": "add", "amount": "2", "reason": "Missed class refund", **fields}
    return client.post(adjust_url(pool), data, headers={"HX-Request": "true"})


def change_calls(server, at_least=0):
    return logged_calls(server, CHANGES, where=lambda r: r.path.endswith("/change"), at_least=at_least)


def test_an_owner_adjusts_from_the_panel(owner_client, fresh_wix, pool):
    panel = owner_client.get(reverse("members:detail", args=[pool["beneficiary"]["memberId"]])).content.decode()
    assert f'id="adjust-{pool["id"]}"' in panel and "Adjust credits" in panel
    response = post(owner_client, pool, open_form(owner_client, pool, **{"HX-Request": "true"}))
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and json.loads(response["HX-Trigger"]) == {"credits-changed": {}}
    assert "Applied" in body and "now 7 free to book" in body and "Undo +2" in body
    assert available(fresh_wix.studio, pool["id"]) == Decimal(7)


def test_a_double_submit_applies_once(owner_client, fresh_wix, pool):
    form = open_form(owner_client, pool)
    first, second = post(owner_client, pool, form), post(owner_client, pool, form)
    assert first.status_code == second.status_code == 200
    assert "already sent" in second.content.decode()
    assert available(fresh_wix.studio, pool["id"]) == Decimal(7) and len(change_calls(fresh_wix, at_least=1)) == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "not a number"),
        ("1e9", "not a number"),
        ("-", "without a sign"),
        ("", "Enter a number"),
        ("1.234", "at most 2 decimal places"),
        ("5000", "At most 1000"),
        ("NaN", "not a number"),
        ("0", "more than zero"),
    ],
)
def test_bad_amounts_get_a_clear_400(owner_client, fresh_wix, pool, amount, message):
    response = post(owner_client, pool, open_form(owner_client, pool), amount=amount)
    assert response.status_code == 400 and message in response.content.decode()
    assert not change_calls(fresh_wix) and not AuditEntry.objects.exists()


def test_a_reason_is_required(owner_client, fresh_wix, pool):
    response = post(owner_client, pool, open_form(owner_client, pool), reason="   ")
    assert response.status_code == 400 and "A reason is required." in response.content.decode()


def test_a_tampered_revision_or_key_is_a_400(owner_client, fresh_wix, pool):
    form = open_form(owner_client, pool)
    assert post(owner_client, pool, {**form, "revision": "x' OR 1"}).status_code == 400
    assert post(owner_client, pool, {**form, "idempotency_key": "not-a-uuid"}).status_code == 400
    assert not change_calls(fresh_wix)


def test_a_change_made_meanwhile_asks_to_confirm_again(owner_client, fresh_wix, pool):
    form = open_form(owner_client, pool)
    fresh_wix.studio.change_balance(pool["id"], op="ADJUST", value=Decimal(-1), idempotency_key="booking-x")
    response = post(owner_client, pool, form)
    body = response.content.decode()
    assert response.status_code == 409 and "Nothing was applied" in body
    assert "Free to book was 5" in body and "<strong>4</strong>" in body and "Confirm again" in body
    assert hidden(body, "idempotency_key") != form["idempotency_key"]
    assert hidden(body, "revision") == fresh_wix.studio.balance(pool["id"])["revision"]
    assert available(fresh_wix.studio, pool["id"]) == Decimal(4) and not change_calls(fresh_wix)
    confirmed = owner_client.post(
        adjust_url(pool),
        {
            "idempotency_key": hidden(body, "idempotency_key"),
            "revision": hidden(body, "revision"),
            "seen_available": hidden(body, "seen_available"),
            "mode": "add",
            "amount": "2",
            "reason": "again",
        },
    )
    assert confirmed.status_code == 200 and available(fresh_wix.studio, pool["id"]) == Decimal(6)


def test_an_unknown_outcome_is_retried_with_the_same_key(owner_client, fresh_wix, pool):
    form = open_form(owner_client, pool)
    # Applied, then 503 three times: the client's own retries (same key) run out, the answer is lost.
    fresh_wix.faults.script("apply_then_fail", path_prefix=CHANGES + pool["id"] + "/change")
    fresh_wix.faults.script("status", times=2, path_prefix=CHANGES + pool["id"] + "/change", status=503)
    lost = post(owner_client, pool, form)
    body = lost.content.decode()
    assert lost.status_code == 503 and "may or may not have been applied" in body and "Retry" in body
    assert hidden(body, "idempotency_key") == form["idempotency_key"]
    retry = post(owner_client, pool, form)
    assert retry.status_code == 200 and available(fresh_wix.studio, pool["id"]) == Decimal(7)
    entry = AuditEntry.objects.get()
    assert entry.outcome == "applied" and entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]


def test_below_zero_is_a_422_and_the_override_is_for_owners_only(owner_client, frontdesk, fresh_wix, pool):
    response = post(owner_client, pool, open_form(owner_client, pool), mode="remove", amount="9")
    assert response.status_code == 422 and "Only an owner" not in response.content.decode()
    assert "Tick “Allow the balance to go below zero” to go ahead" in response.content.decode()
    frontdesk.user_permissions.add(Permission.objects.get(codename="adjust_credits"))
    desk = Client()
    desk.force_login(frontdesk)
    form = open_form(desk, pool)
    fresh_wix.faults.update(allow_negative=True)
    sneaky = post(desk, pool, form, mode="remove", amount="9", allow_negative="on")
    assert sneaky.status_code == 422 and available(fresh_wix.studio, pool["id"]) == Decimal(5)
    assert "Allow the balance" not in sneaky.content.decode()


def test_front_desk_without_the_permission_cannot_adjust(frontdesk_client, fresh_wix, pool):
    panel = frontdesk_client.get(reverse("members:detail", args=[pool["beneficiary"]["memberId"]]))
    assert panel.status_code == 200 and "Adjust credits" not in panel.content.decode()
    assert frontdesk_client.get(adjust_url(pool)).status_code == 403
    response = frontdesk_client.post(
        adjust_url(pool),
        {"idempotency_key": "6f1c4a52-0a4b-4c8e-9a55-0d7d5a1f0001", "revision": "1", "mode": "add", "amount": "5", "reason": "x"},
    )
    assert response.status_code == 403
    assert not change_calls(fresh_wix) and not AuditEntry.objects.exists()


def test_front_desk_granted_the_permission_can_adjust(frontdesk, fresh_wix, pool):
    frontdesk.user_permissions.add(Permission.objects.get(codename="adjust_credits"))
    desk = Client()
    desk.force_login(frontdesk)
    assert post(desk, pool, open_form(desk, pool)).status_code == 200
    assert AuditEntry.objects.get().username == "frank"


def test_anonymous_is_sent_to_login(client, fresh_wix, pool, db):
    response = client.post(adjust_url(pool), {"amount": "5"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not change_calls(fresh_wix)


def test_csrf_is_enforced(owner, fresh_wix, pool):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    page = strict.get(adjust_url(pool))
    body = page.content.decode()
    form = {name: hidden(body, name) for name in ("idempotency_key", "revision", "seen_available")}
    data = {**form, "mode": "add", "amount": "1", "reason": "front desk"}
    assert strict.post(adjust_url(pool), data).status_code == 403
    token = hidden(body, "csrfmiddlewaretoken")
    assert strict.post(adjust_url(pool), {**data, "csrfmiddlewaretoken": token}).status_code == 200
    assert available(fresh_wix.studio, pool["id"]) == Decimal(6)


def test_a_pool_of_another_member_is_refused(owner_client, fresh_wix, pool):
    other = fresh_wix.studio.add_member("Someone", "Else")
    url = reverse("members:adjust", args=[other["id"], pool["id"]])
    assert owner_client.get(url).status_code == 404


# --- audit log, export, undo --------------------------------------------------------------------------


def test_owners_see_filter_and_export_the_log(owner_client, fresh_wix, pool):
    post(owner_client, pool, open_form(owner_client, pool), reason="=HYPERLINK(evil)")
    post(owner_client, pool, open_form(owner_client, pool), mode="remove", amount="99")
    page = owner_client.get(reverse("audit:list"))
    body = page.content.decode()
    assert page.status_code == 200 and "Ada Lovelace" in body and "2 changes" in body
    refused = owner_client.get(reverse("audit:list"), {"outcome": "refused"}, headers={"HX-Request": "true"})
    assert "1 change" in refused.content.decode() and "<html" not in refused.content.decode()
    export = owner_client.get(reverse("audit:export"), {"outcome": "applied"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == 1 and rows[0]["outcome"] == "applied" and rows[0]["delta"] == "2.0000"
    assert rows[0]["reason"] == "'=HYPERLINK(evil)"  # never a live formula in a spreadsheet
    assert rows[0]["wix_transaction_id"] == AuditEntry.objects.get(outcome="applied").transaction_id


def test_bad_filters_are_a_400(owner_client, db):
    assert owner_client.get(reverse("audit:list"), {"since": "yesterday"}).status_code == 400
    assert owner_client.get(reverse("audit:export"), {"since": "2026-02-02", "until": "2026-01-01"}).status_code == 400


def test_front_desk_cannot_see_the_log(frontdesk_client, db):
    assert frontdesk_client.get(reverse("audit:list")).status_code == 403
    assert frontdesk_client.get(reverse("audit:export")).status_code == 403
    assert "Audit log" not in frontdesk_client.get(reverse("members:list")).content.decode()


def test_undo_from_the_log_restores_once(owner_client, fresh_wix, pool):
    post(owner_client, pool, open_form(owner_client, pool), mode="remove", amount="3")
    assert available(fresh_wix.studio, pool["id"]) == Decimal(2)
    log = owner_client.get(reverse("audit:list")).content.decode()
    entry = AuditEntry.objects.get()
    key = re.search(rf'id="undo-{entry.pk}".*?name="idempotency_key" value="([^"]+)"', log, re.S).group(1)
    undo_url = reverse("audit:undo", args=[entry.pk])
    done = owner_client.post(undo_url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "Undone: +3 credits" in done.content.decode()
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)
    assert owner_client.post(undo_url, {"idempotency_key": key}).status_code == 200  # a resubmit: replayed
    again = owner_client.post(undo_url, {"idempotency_key": "0b6f3b1e-8a1c-4d2e-9f00-3b1c2d3e4f50"})
    assert again.status_code == 422 and available(fresh_wix.studio, pool["id"]) == Decimal(5)
    # One compensating Change Balance (the adjustment and its undo), never Revert.
    assert len(logged_calls(fresh_wix, CHANGES, where=lambda c: c.path.endswith("/change"), at_least=2)) == 2
    assert not logged_calls(fresh_wix, CHANGES + "changes/")
    assert f'id="undo-{entry.pk}"' not in owner_client.get(reverse("audit:list")).content.decode()
    assert owner_client.post(undo_url, {"idempotency_key": "nope"}).status_code == 400


def test_undo_needs_the_adjust_permission(frontdesk_client, owner, fresh_wix, pool, db):
    entry = AuditEntry.objects.create(
        user=owner,
        username="olivia",
        member_id=pool["beneficiary"]["memberId"],
        pool_id=pool["id"],
        kind="adjust",
        requested=Decimal(1),
        reason="x",
        idempotency_key="k-1",
        outcome="applied",
        transaction_id="t",
    )
    response = frontdesk_client.post(reverse("audit:undo", args=[entry.pk]), {"idempotency_key": "k"})
    assert response.status_code == 403 and not wix_calls(fresh_wix, CHANGES)


def test_undo_from_the_members_transaction_list(owner_client, fresh_wix, pool):
    post(owner_client, pool, open_form(owner_client, pool), amount="4")
    entry = AuditEntry.objects.get()
    panel_url = reverse("members:detail", args=[pool["beneficiary"]["memberId"]])
    panel = owner_client.get(panel_url, headers={"HX-Request": "true"}).content.decode()
    row = re.search(rf'<tr>(?:(?!</tr>).)*id="undo-{entry.pk}"(?:(?!</tr>).)*</tr>', panel, re.S).group(0)
    assert "+4" in row and "Missed class refund" in row
    key = re.search(r'name="idempotency_key" value="([^"]+)"', row).group(1)
    done = owner_client.post(reverse("audit:undo", args=[entry.pk]), {"idempotency_key": key}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and available(fresh_wix.studio, pool["id"]) == Decimal(5)
    assert f'id="undo-{entry.pk}"' not in owner_client.get(panel_url).content.decode()


def test_the_log_page_costs_a_fixed_number_of_queries(owner_client, owner, django_assert_max_num_queries, db):
    for i in range(30):
        AuditEntry.objects.create(
            user=owner,
            username="olivia",
            member_id=str(uuid.uuid4()),
            pool_id="p",
            kind="adjust",
            requested=Decimal(1),
            delta=Decimal(1),
            reason=f"r{i}",
            idempotency_key=f"k{i}",
            outcome="applied",
            transaction_id=f"t{i}",
        )
    with django_assert_max_num_queries(12):
        assert owner_client.get(reverse("audit:list")).status_code == 200


def test_the_form_offers_the_three_ways_and_updates_the_panel_number(owner_client, fresh_wix, pool):
    form_html = owner_client.get(adjust_url(pool), headers={"HX-Request": "true"}).content.decode()
    for mode in ("add", "remove", "set"):
        assert re.search(rf'<input type="radio" name="mode" value="{mode}"', form_html)
    assert re.search(r'<input type="radio" name="mode" value="add"[^>]*checked', form_html)
    applied = post(owner_client, pool, open_form(owner_client, pool), mode="set", amount="9").content.decode()
    assert f'<dd class="available" id="available-{pool["id"]}" hx-swap-oob="true">9</dd>' in applied


def test_the_panel_shows_the_new_balance_right_after_an_adjustment(owner_client, fresh_wix, pool):
    """Reads are cached for a while; a write must not leave the old numbers on screen."""
    member_id = pool["beneficiary"]["memberId"]
    before = owner_client.get(reverse("members:detail", args=[member_id])).context["detail"]
    assert next(p for p in before.pools if p.pool_id == pool["id"]).available == Decimal(5)
    assert post(owner_client, pool, open_form(owner_client, pool)).status_code == 200
    after = owner_client.get(reverse("members:detail", args=[member_id]))
    assert next(p for p in after.context["detail"].pools if p.pool_id == pool["id"]).available == Decimal(7)
    assert not after.context["fetched"].from_cache
