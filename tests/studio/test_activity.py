"""Recent activity (owners): the change feed's transactions, newest first, who made each change, filters, 400s."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from balances import feed
from balances.audit import AuditEntry
from balances.wix.connection import connection_fingerprint, current_auth, get_client

pytestmark = pytest.mark.django_db


def _credit_pools(studio, count):
    found = []
    for pool in studio.pools:
        balance = studio.balance(pool["id"])
        if pool["status"] == "ACTIVE" and balance is not None and Decimal(balance["amount"]["available"]) >= 2:
            found.append((pool["id"], pool["beneficiary"]["memberId"]))
        if len(found) == count:
            return found
    raise AssertionError("not enough pools")


@pytest.fixture
def activity(fresh_wix, owner):
    """Three changes, oldest first: by our staff, by a booking, in the Wix dashboard."""
    studio, client, fp = fresh_wix.studio, get_client(), connection_fingerprint(current_auth())
    feed.rebuild(client, fp)
    (staff_pool, staff_member), (booked_pool, booked_member), (wix_pool, wix_member) = _credit_pools(studio, 3)
    key = f"cd-{uuid.uuid4()}"
    AuditEntry.objects.create(
        user=owner,
        username="owner",
        member_id=staff_member,
        pool_id=staff_pool,
        kind="adjust",
        reason="goodwill",
        idempotency_key=key,
    )
    studio.change_balance(staff_pool, op="ADJUST", value=Decimal(2), idempotency_key=key, reason="goodwill")
    studio.change_balance(
        booked_pool,
        op="ADJUST",
        value=Decimal(-1),
        idempotency_key=f"booking-{uuid.uuid4().hex[:16]}",
        transaction_details={"reason": "Redemption", "item": {"displayName": "Vinyasa Flow"}},
    )
    studio.change_balance(wix_pool, op="ADJUST", value=Decimal(-1), idempotency_key=f"x-{uuid.uuid4()}")
    assert feed.poll(client, fp).applied == 3
    return {"staff": staff_member, "booking": booked_member, "dashboard": wix_member}


def test_owners_see_what_changed_for_whom_and_by_whom_newest_first(activity, owner_client):
    response = owner_client.get(reverse("activity"))
    assert response.status_code == 200
    text = response.content.decode()
    rows = [text.index(f'href="{reverse("members:detail", args=[activity[k]])}"') for k in ("dashboard", "booking", "staff")]
    assert rows == sorted(rows)  # newest first
    assert "Credit Desk staff (owner)" in text and "A booking" in text and "The Wix dashboard" in text
    assert "+2" in text and "goodwill" in text


def test_filters_by_member_and_kind_and_by_whom(activity, owner_client):
    by_member = owner_client.get(reverse("activity"), {"member": activity["booking"]}).content.decode()
    assert reverse("members:detail", args=[activity["booking"]]) in by_member
    assert reverse("members:detail", args=[activity["staff"]]) not in by_member
    added = owner_client.get(reverse("activity"), {"kind": "added"}).content.decode()
    assert reverse("members:detail", args=[activity["staff"]]) in added
    assert reverse("members:detail", args=[activity["dashboard"]]) not in added
    staff = owner_client.get(reverse("activity"), {"by": "staff"}, HTTP_HX_REQUEST="true")
    assert staff.status_code == 200 and "<h1>" not in staff.content.decode()  # the rows partial
    assert reverse("members:detail", args=[activity["booking"]]) not in staff.content.decode()


@pytest.mark.parametrize(
    "query", [{"kind": "stolen"}, {"by": "robot"}, {"member": "<script>"}, {"member": "x" * 65}, {"page": "0"}, {"page": "zz"}]
)
def test_bad_filters_are_400_with_a_message(activity, owner_client, query):
    response = owner_client.get(reverse("activity"), query)
    assert response.status_code == 400
    assert 'class="banner banner-error"' in response.content.decode()


def test_front_desk_cannot_open_it(frontdesk_client, fresh_wix):
    assert frontdesk_client.get(reverse("activity")).status_code == 403
