"""`manage.py probewix`: what Wix does with the undocumented parts, read safely or with one +1/−1 pair."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from balances.adjustments import AdjustmentRequest, adjust, new_key
from balances.audit import AuditEntry
from balances.wix.connection import get_client
from tests.helpers import available

pytestmark = pytest.mark.django_db


def probe(*args):
    out = StringIO()
    call_command("probewix", *args, stdout=out)
    return out.getvalue()


def test_reading_changes_nothing_and_answers_from_our_past_changes(fresh_wix, pool, owner):
    revision = fresh_wix.studio.balance(pool["id"])["revision"]
    adjust(
        get_client(),
        owner,
        AdjustmentRequest(pool["beneficiary"]["memberId"], pool["id"], "add", Decimal(1), "x", new_key(), revision),
    )
    before = fresh_wix.studio.changes
    out = probe()
    assert fresh_wix.studio.changes == before  # nothing written
    assert "Change Balance copies our idempotency key onto the transaction: 1 of 1" in out
    assert "transactionDetails.reason survives: 0 of 1 keep a reason" in out  # the sandbox drops it by default
    assert "Query Members gives a total: yes" in out and "Plans without credits: no balance" in out
    assert "Wix sends X-Wix-Consistent: yes" in out


@pytest.mark.parametrize("mode", ["conflict", "replay"])
def test_the_pair_ends_where_it_started_audited(fresh_wix, pool, owner, mode):
    fresh_wix.faults.update(idempotency_mode=mode)
    out = probe("--pair", pool["id"], "--as", owner.username)
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)
    assert "A repeated key is applied once: yes" in out and "The balance ends where it started: yes: 5 → 5" in out
    expected = "HTTP 409 ALREADY_EXECUTED" if mode == "conflict" else "HTTP 200"
    assert f"A repeated idempotency key answers: {expected}" in out
    rows = AuditEntry.objects.filter(outcome="applied", username=owner.username).order_by("created_at")
    assert [r.reason for r in rows] == ["Credit Desk probe +1", "Credit Desk probe −1"]


def test_the_pair_needs_an_account_allowed_to_adjust(fresh_wix, pool, frontdesk):
    with pytest.raises(CommandError, match="--as"):
        probe("--pair", pool["id"], "--as", frontdesk.username)
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)
