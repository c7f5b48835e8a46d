"""Undo is a compensating change, never Wix's Revert (deprecated, removal planned for 2027-03-31, its
idempotency key ignored): the opposite of what the change did, under the undo's own key, so a lost answer
is retried safely and nothing depends on Revert being there."""

from decimal import Decimal

import pytest

from balances.adjustments import AdjustmentRequest, adjust, new_key, undo
from balances.audit import AuditEntry
from balances.explain import explain_pool
from balances.wix.connection import get_client
from tests.helpers import available, logged_calls

pytestmark = pytest.mark.django_db
BALANCES = "/benefit-programs/v1/balances/"
REVERTS = BALANCES + "changes/"


def _change(studio, pool, user, mode, amount):
    result = adjust(
        get_client(),
        user,
        AdjustmentRequest(
            pool["beneficiary"]["memberId"],
            pool["id"],
            mode,
            Decimal(amount),
            "Missed class",
            new_key(),
            studio.balance(pool["id"])["revision"],
        ),
    )
    assert result.applied, result.message
    return result.entry


def _changes(server):
    return logged_calls(server, BALANCES, where=lambda r: r.path.endswith("/change"))


@pytest.mark.parametrize(("mode", "amount", "sent"), [("add", "2", "-2"), ("remove", "3", "3"), ("set", "9", "-4")])
def test_undo_sends_the_opposite_change_under_its_own_key_and_never_calls_revert(fresh_wix, pool, owner, mode, amount, sent):
    original = _change(fresh_wix.studio, pool, owner, mode, amount)
    key = new_key()
    done = undo(get_client(), owner, original, idempotency_key=key)
    assert done.applied and available(fresh_wix.studio, pool["id"]) == Decimal(5)
    assert not logged_calls(fresh_wix, REVERTS)
    last = _changes(fresh_wix)[-1].body
    assert (last["type"], last["adjustOptions"]["value"], last["idempotencyKey"]) == ("ADJUST", sent, key)
    entry = AuditEntry.objects.get(reverts=original)
    assert entry.kind == "undo" and entry.outcome == "applied" and entry.delta == -original.delta
    assert entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]
    original.refresh_from_db()
    assert original.undone and not original.undoable
    explanation = explain_pool(get_client(), pool["id"])
    assert explanation.steps[-1].kind == "undone" and explanation.matches


def test_a_lost_undo_is_retried_with_its_key_and_applies_once(fresh_wix, pool, owner):
    original = _change(fresh_wix.studio, pool, owner, "add", "2")
    key = new_key()
    change_path = f"{BALANCES}{pool['id']}/change"
    fresh_wix.faults.script("apply_then_fail", path_prefix=change_path, status=503)
    fresh_wix.faults.script("status", times=5, status=503, path_prefix=change_path)
    lost = undo(get_client(), owner, original, idempotency_key=key)
    assert lost.outcome == "unknown"
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)  # Wix applied it; the answer was lost
    fresh_wix.faults.reset()
    again = undo(get_client(), owner, original, idempotency_key=key)
    assert again.applied and available(fresh_wix.studio, pool["id"]) == Decimal(5)  # not twice
    assert {c.body["idempotencyKey"] for c in _changes(fresh_wix)[1:]} == {key}
    assert not logged_calls(fresh_wix, REVERTS)


def test_undo_works_where_revert_is_gone(fresh_wix, pool, owner):
    original = _change(fresh_wix.studio, pool, owner, "add", "2")
    fresh_wix.faults.script("status", times=10, status=404, path_prefix=REVERTS)
    assert undo(get_client(), owner, original, idempotency_key=new_key()).applied
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)


def test_a_second_undo_is_refused_and_an_undo_below_zero_is_wixs_refusal(fresh_wix, pool, owner):
    original = _change(fresh_wix.studio, pool, owner, "add", "2")
    assert undo(get_client(), owner, original, idempotency_key=new_key()).applied
    again = undo(get_client(), owner, original, idempotency_key=new_key())
    assert again.outcome == "refused" and "already undone" in again.message
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)

    added = _change(fresh_wix.studio, pool, owner, "add", "3")
    _change(fresh_wix.studio, pool, owner, "set", "1")  # the credits it added were used meanwhile
    refused = undo(get_client(), owner, added, idempotency_key=new_key())
    assert refused.outcome == "refused" and available(fresh_wix.studio, pool["id"]) == Decimal(1)
