"""The audit log reads as names: member and plan, never a raw Wix ID in place of a name."""

import uuid
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from balances.audit import AuditEntry
from balances.directory.models import DirectoryEntry


def _entry(owner, **fields):
    values = {
        "user": owner,
        "username": "olivia",
        "member_id": str(uuid.uuid4()),
        "pool_id": str(uuid.uuid4()),
        "kind": "adjust",
        "requested": Decimal(1),
        "delta": Decimal(1),
        "reason": "Goodwill credit",
        "idempotency_key": str(uuid.uuid4()),
        "outcome": "applied",
        "transaction_id": "wix-tx-1",
    }
    return AuditEntry.objects.create(**{**values, **fields})


def test_rows_show_member_and_plan_names_not_ids(owner_client, owner):
    named = _entry(owner, member_name="Maya Levi", plan_name="10-Class Pack")
    from_index = _entry(owner)  # its first read failed: no names stored
    DirectoryEntry.objects.create(member_id=from_index.member_id, name="Noa Cohen", seen_at=timezone.now())
    unknown = _entry(owner)
    page = owner_client.get(reverse("audit:list")).content.decode()
    assert "Maya Levi" in page and "10-Class Pack" in page
    assert "Noa Cohen" in page  # the directory index knows who it was
    assert "Member (name not read)" in page and "Plan (name not read)" in page
    for entry in (named, from_index, unknown):
        link = f'href="{reverse("members:detail", args=[entry.member_id])}">'
        after_link = page.split(link, 1)[1]
        assert not after_link.startswith(entry.member_id)  # the link's text is a name, never the ID
