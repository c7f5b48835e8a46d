"""The member's transaction list tells Credit Desk's own changes by our audit log: who, why, and Undo —
whatever Wix kept (the sandbox, like Wix may, drops `transactionDetails.reason`; we send no party)."""

import re

import pytest
from django.urls import reverse

from balances.adjustments import adjust
from balances.audit import AuditEntry
from balances.wix.connection import get_client
from tests.helpers import request_for

pytestmark = pytest.mark.django_db


def _row(panel: str, needle: str) -> str:
    return re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(needle)}(?:(?!</tr>).)*</tr>", panel, re.S).group(0)


def test_our_change_and_its_undo_show_who_and_why_from_the_audit_log(owner_client, owner, fresh_wix):
    studio = fresh_wix.studio
    member = studio.add_member("Tess", "Trans")
    pool = studio.add_pool(member["id"], "pack10", available="5")
    result = adjust(get_client(), owner, request_for(pool, studio, amount="3", reason="Gift for the workshop"))
    assert result.applied
    tx = studio.find_transaction(result.entry.transaction_id)
    assert "reason" not in tx.get("details", {}) and "instructingParty" not in tx  # Wix kept neither
    panel_url = reverse("members:detail", args=[member["id"]])
    panel = owner_client.get(panel_url).content.decode()
    row = _row(panel, "+3 free")
    assert "Gift for the workshop" in row and "olivia, Credit Desk" in row and f'id="undo-{result.entry.pk}"' in row

    key = re.search(r'name="idempotency_key" value="([^"]+)"', row).group(1)
    assert owner_client.post(reverse("audit:undo", args=[result.entry.pk]), {"idempotency_key": key}).status_code in (200, 302)
    panel = owner_client.get(panel_url).content.decode()
    undo_row = _row(panel, "-3 free")
    assert "Undo: Gift for the workshop" in undo_row and "olivia, Credit Desk" in undo_row
    assert f'id="undo-{result.entry.pk}"' not in panel  # undone once: no second Undo


def test_a_change_whose_answer_was_lost_is_still_ours_by_its_key(owner_client, owner, fresh_wix):
    studio = fresh_wix.studio
    member = studio.add_member("Lou", "Lost")
    pool = studio.add_pool(member["id"], "pack10", available="5")
    result = adjust(get_client(), owner, request_for(pool, studio, mode="remove", amount="1", reason="No-show fee"))
    AuditEntry.objects.filter(pk=result.entry.pk).update(transaction_id="", outcome=AuditEntry.Outcome.UNKNOWN)
    panel = owner_client.get(reverse("members:detail", args=[member["id"]])).content.decode()
    row = _row(panel, "-1 free")
    assert "No-show fee" in row and "olivia, Credit Desk" in row
