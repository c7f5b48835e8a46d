"""Adjust and Undo without a usable Wix connection answer a clear 503 page, like the reads do — never a 500.

The two ways a connection is missing: none configured at all, and a stored one the current keys cannot
decrypt (stored with one CREDENTIALS_KEYS entry, then the key material changed)."""

import uuid

import pytest
from django.urls import reverse

from balances.audit import AuditEntry
from balances.wix.models import WixConnection
from sandbox import credentials as sandbox_credentials
from tests.helpers import credentials_key

MEMBER, POOL = str(uuid.UUID(int=7)), str(uuid.UUID(int=8))
NOT_CONFIGURED = "No Wix connection is configured. An owner can add one in Settings."
UNREADABLE = "The stored Wix credentials are unreadable — an owner must enter them again in Settings."


@pytest.fixture
def no_connection(settings, db):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""
    settings.WIX_APP_ID = settings.WIX_APP_SECRET = settings.WIX_INSTANCE_ID = ""
    return NOT_CONFIGURED


@pytest.fixture
def unreadable_connection(no_connection, keys, settings):
    stored = WixConnection(pk=1, method="api_key", site_id=sandbox_credentials.SITE_ID)
    stored.seal("api_key", sandbox_credentials.API_KEY)
    stored.save()
    settings.CREDENTIALS_KEYS = [credentials_key("k1", 9)]  # same id, other material: the old key is lost
    return UNREADABLE


@pytest.fixture(params=["no_connection", "unreadable_connection"])
def broken(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def applied_entry(owner):
    return AuditEntry.objects.create(
        user=owner,
        username=owner.username,
        member_id=MEMBER,
        pool_id=POOL,
        kind=AuditEntry.Kind.ADJUST,
        requested="1",
        delta="1",
        reason="test",
        idempotency_key=str(uuid.uuid4()),
        outcome=AuditEntry.Outcome.APPLIED,
        transaction_id="tx-1",
    )


def _assert_clear_503(response, message):
    assert response.status_code == 503
    assert message in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_adjust_form_answers_503_without_a_usable_connection(owner_client, broken, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("members:adjust", args=[MEMBER, POOL])
    _assert_clear_503(owner_client.get(url, headers=headers), broken)
    posted = owner_client.post(
        url,
        {"mode": "add", "amount": "1", "reason": "x", "idempotency_key": str(uuid.uuid4()), "revision": "1", "seen_available": "1"},
        headers=headers,
    )
    _assert_clear_503(posted, broken)


@pytest.mark.parametrize("htmx", [False, True])
def test_undo_answers_503_without_a_usable_connection(owner_client, broken, applied_entry, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = owner_client.post(
        reverse("audit:undo", args=[applied_entry.pk]), {"idempotency_key": str(uuid.uuid4())}, headers=headers
    )
    _assert_clear_503(response, broken)
    applied_entry.refresh_from_db()
    assert applied_entry.outcome == AuditEntry.Outcome.APPLIED and not applied_entry.undos.exists()
