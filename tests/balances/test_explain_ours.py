"""Explain this balance recognises Credit Desk's own changes by our audit log, whatever Wix kept of them."""

from decimal import Decimal

import pytest

from balances.adjustments import AdjustmentRequest, adjust, new_key, undo
from balances.audit import AuditEntry
from balances.explain import explain_pool
from balances.wix.connection import get_client
from tests.helpers import available, member_with

pytestmark = pytest.mark.django_db


def _renewed_rollover_pool(studio):
    def fits(pool):
        credit = pool["details"].get("creditConfiguration") or {}
        return (
            pool["status"] == "ACTIVE"
            and (credit.get("rolloverConfiguration") or {}).get("enabled")
            and pool["renewalCount"] >= 2
            and studio.balance(pool["id"]) is not None
        )

    member = member_with(studio, lambda m, pools: any(fits(p) for p in pools))
    return next(p for p in studio.pools_for(member["id"]) if fits(p))


def _change(studio, pool, user, mode, amount):
    result = adjust(
        get_client(),
        user,
        AdjustmentRequest(
            member_id=pool["beneficiary"]["memberId"],
            pool_id=pool["id"],
            mode=mode,
            amount=Decimal(amount),
            reason=f"desk {mode} {amount}",
            idempotency_key=new_key(),
            revision=studio.balance(pool["id"])["revision"],
        ),
    )
    assert result.applied, result.message
    return result.entry


def test_add_remove_set_and_undo_explain_to_wix_each_in_its_category(fresh_wix, owner):
    studio = fresh_wix.studio
    pool = _renewed_rollover_pool(studio)
    before = explain_pool(get_client(), pool["id"])
    assert before.matches
    start = available(studio, pool["id"])

    _change(studio, pool, owner, "add", "1")
    removed = _change(studio, pool, owner, "remove", "2")
    _change(studio, pool, owner, "set", str(start + 3))
    undone = undo(get_client(), owner, removed, idempotency_key=new_key())
    assert undone.applied, undone.message
    assert available(studio, pool["id"]) == start + 5

    after = explain_pool(get_client(), pool["id"])
    assert after.matches and after.rebuilt_available == start + 5
    # Wix's history before our changes reads exactly as it did: no renewal, rollover or loss invented.
    for key in ("granted", "rolled_over", "lost", "removed", "used", "adjusted"):
        assert after.totals[key] == before.totals[key], key
    assert after.totals["desk"] == Decimal(1) - 2 + 4  # +1, -2, then set from start-1 to start+3
    assert after.totals["undone"] == Decimal(2)
    ours = after.steps[-4:]
    assert [s.kind for s in ours] == ["desk", "desk", "desk", "undone"]
    assert [s.change for s in ours] == [Decimal(1), Decimal(-2), Decimal(4), Decimal(2)]
    assert all("olivia in Credit Desk" in s.note for s in ours)
    assert "desk remove 2" in ours[1].note and "Undo: desk remove 2" in ours[3].note
    assert AuditEntry.objects.filter(outcome="applied").count() == 4


def test_our_change_is_known_by_its_key_when_the_audit_row_has_no_transaction_id(fresh_wix, owner):
    """A lost answer leaves the row without Wix's transaction ID; the key Wix keeps still tells."""
    studio = fresh_wix.studio
    pool = _renewed_rollover_pool(studio)
    entry = _change(studio, pool, owner, "add", "1")
    AuditEntry.objects.filter(pk=entry.pk).update(transaction_id="", outcome=AuditEntry.Outcome.UNKNOWN)
    explanation = explain_pool(get_client(), pool["id"])
    assert explanation.steps[-1].kind == "desk" and explanation.totals["desk"] == Decimal(1)


def test_a_seeded_history_counts_renewals_only_where_the_data_says_renewal(fresh_wix):
    studio = fresh_wix.studio
    pool = _renewed_rollover_pool(studio)
    explanation = explain_pool(get_client(), pool["id"])
    renewals = [s for s in explanation.steps if s.kind == "granted" and "Renewal" in s.note]
    assert len(renewals) == pool["renewalCount"]
    assert explanation.totals["desk"] == explanation.totals["undone"] == 0
