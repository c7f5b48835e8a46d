"""Resolve in a real Chromium: an owner settles a change whose answer Wix lost, in place in the audit log."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from balances.adjustments import AdjustmentRequest, adjust, new_key
from balances.audit import AuditEntry
from balances.wix.connection import get_client
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_owner_resolves_an_unconfirmed_change_from_the_audit_log(page, fresh_wix):
    owner = log_in(page, "Owner")
    member = fresh_wix.studio.add_member("Rita", "Resolve")
    pool = fresh_wix.studio.add_pool(member["id"], "pack10", available="5")
    change = f"/benefit-programs/v1/balances/{pool['id']}/change"
    fresh_wix.faults.script("apply_then_fail", path_prefix=change)  # applied, then the answers are lost
    fresh_wix.faults.script("status", times=2, status=503, path_prefix=change)
    key = new_key()
    request = AdjustmentRequest(
        member_id=member["id"],
        pool_id=pool["id"],
        mode="add",
        amount=Decimal(2),
        reason="Class cancelled by the studio",
        idempotency_key=key,
        revision=fresh_wix.studio.balance(pool["id"])["revision"],
    )
    assert adjust(get_client(), owner, request).outcome == "unknown"
    entry = AuditEntry.objects.get(idempotency_key=key)

    page.goto("/audit/")
    row = page.locator(f"#audit-{entry.pk}")
    expect(row).to_contain_text("Unknown")
    screenshot(page, "audit-resolve-before")
    row.get_by_role("button", name="Resolve").click()
    expect(row).to_contain_text("Applied")
    expect(row).to_contain_text("confirmed in Wix")
    expect(row.get_by_role("button", name="Resolve")).to_have_count(0)
    screenshot(page, "audit-resolve-after")
    entry.refresh_from_db()
    assert entry.outcome == "applied" and entry.delta == Decimal(2)
