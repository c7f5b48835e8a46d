"""The adjustment service against a real loopback sandbox and a real database."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from balances.adjustments import AdjustmentRequest, PoolBusy, adjust, new_key, undo
from balances.audit import AuditEntry
from balances.wix.connection import get_client
from tests.balances.conftest import lose_the_answer
from tests.conftest import make_user
from tests.helpers import CHANGES, available, change_path, logged_calls, request_for


def changes(server, at_least=0):
    return logged_calls(server, CHANGES, where=lambda r: r.path.endswith("/change"), at_least=at_least)


def test_it_applies_once_and_audits_before_and_after(fresh_wix, pool, owner):
    result = adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="2"))
    assert result.applied and result.balance.available == Decimal("7")
    assert available(fresh_wix.studio, pool["id"]) == Decimal("7")
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.available_before, entry.available_after, entry.delta) == (
        "applied",
        Decimal(5),
        Decimal(7),
        Decimal(2),
    )
    assert entry.username == "olivia" and entry.member_name == "Ada Lovelace" and entry.plan_name == "10-Class Pack"
    assert entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]
    assert entry.completed_at >= entry.created_at


def test_a_resubmitted_form_is_answered_from_the_audit_log(fresh_wix, pool, owner):
    change = request_for(pool, fresh_wix.studio, mode="remove", amount="1")
    first = adjust(get_client(), owner, change)
    second = adjust(get_client(), owner, change)
    assert first.applied and second.applied and second.replayed
    assert available(fresh_wix.studio, pool["id"]) == Decimal("4")
    assert len(changes(fresh_wix, at_least=1)) == 1 and AuditEntry.objects.count() == 1


def test_set_exact_uses_wix_set(fresh_wix, pool, owner):
    result = adjust(get_client(), owner, request_for(pool, fresh_wix.studio, mode="set", amount="12"))
    assert result.applied and available(fresh_wix.studio, pool["id"]) == Decimal("12")
    assert AuditEntry.objects.get().delta == Decimal("7")
    assert changes(fresh_wix, at_least=1)[-1].body["type"] == "SET"


def test_a_stale_revision_is_a_conflict_and_nothing_is_applied(fresh_wix, pool, owner):
    change = request_for(pool, fresh_wix.studio)
    fresh_wix.studio.change_balance(pool["id"], op="ADJUST", value=Decimal(-1), idempotency_key="booking-1")
    result = adjust(get_client(), owner, change)
    assert result.outcome == "conflict" and result.balance.available == Decimal("4")
    assert available(fresh_wix.studio, pool["id"]) == Decimal("4") and not changes(fresh_wix)
    assert AuditEntry.objects.get().outcome == "conflict"


def test_below_zero_is_refused_unless_an_owner_allows_it(fresh_wix, pool, owner):
    refused = adjust(get_client(), owner, request_for(pool, fresh_wix.studio, mode="remove", amount="6"))
    assert refused.outcome == "refused" and "below zero" in refused.message and not changes(fresh_wix)
    # Allowed by us but refused by Wix (the sandbox rejects negatives like Wix by default): its 428.
    wix_refused = adjust(
        get_client(),
        owner,
        request_for(pool, fresh_wix.studio, mode="remove", amount="6", allow_negative=True),
        may_go_negative=True,
    )
    assert wix_refused.outcome == "refused" and "Wix refused" in wix_refused.message
    fresh_wix.faults.update(allow_negative=True)
    allowed = adjust(
        get_client(),
        owner,
        request_for(pool, fresh_wix.studio, mode="remove", amount="6", allow_negative=True),
        may_go_negative=True,
    )
    assert allowed.applied and available(fresh_wix.studio, pool["id"]) == Decimal("-1")
    assert [e.outcome for e in AuditEntry.objects.order_by("id")] == ["refused", "refused", "applied"]


def one_transaction_with(studio, pool, key) -> dict:
    mine = [t for t in studio.transactions_for(pool["id"]) if t.get("idempotencyKey") == key]
    assert len(mine) == 1
    return mine[0]


@pytest.mark.parametrize(("kind", "times"), [("timeout", 1), ("status", 3)])
def test_a_retry_after_a_lost_answer_applies_once(fresh_wix, pool, owner, settings, kind, times):
    """Timeouts of a write are not retried by the client, nor 503s past its attempts: the person retries."""
    settings.WIX_TIMEOUT_SECONDS = 0.5
    fresh_wix.faults.script(kind, times=times, path_prefix=change_path(pool), status=503, hang=2.0)
    change = request_for(pool, fresh_wix.studio, amount="3")
    first = adjust(get_client(), owner, change)
    assert first.outcome == "unknown"
    entry = AuditEntry.objects.get()
    assert entry.outcome == "unknown" and entry.available_before == Decimal(5)
    retry = adjust(get_client(), owner, change)  # the form kept its key
    assert retry.applied and AuditEntry.objects.get().outcome == "applied"
    assert available(fresh_wix.studio, pool["id"]) == Decimal("8")
    keys = {r.body["idempotencyKey"] for r in changes(fresh_wix, at_least=times + 1)}
    assert keys == {change.idempotency_key}
    tx = one_transaction_with(fresh_wix.studio, pool, change.idempotency_key)
    assert tx["id"] == AuditEntry.objects.get().transaction_id


@pytest.mark.parametrize("kind", ["apply_then_fail", "status"])
def test_the_clients_own_retry_after_a_503_applies_once(fresh_wix, pool, owner, kind):
    fresh_wix.faults.script(kind, path_prefix=change_path(pool), status=503)
    change = request_for(pool, fresh_wix.studio, amount="3")
    result = adjust(get_client(), owner, change)
    assert result.applied and available(fresh_wix.studio, pool["id"]) == Decimal("8")
    assert {r.body["idempotencyKey"] for r in changes(fresh_wix, at_least=2)} == {change.idempotency_key}
    tx = one_transaction_with(fresh_wix.studio, pool, change.idempotency_key)
    assert tx["id"] == AuditEntry.objects.get().transaction_id  # from the 409's data when the first went through


def test_a_crash_between_the_audit_write_and_the_call_leaves_an_honest_row(fresh_wix, pool, owner):
    """A pending row (we died before or during the call) is retried with its own key, never a new one."""
    change = request_for(pool, fresh_wix.studio)
    AuditEntry.objects.create(
        user=owner,
        username="olivia",
        member_id=change.member_id,
        pool_id=change.pool_id,
        kind="adjust",
        requested=Decimal(2),
        reason=change.reason,
        idempotency_key=change.idempotency_key,
        revision_seen=change.revision,
    )
    assert AuditEntry.objects.get().outcome == "pending"  # what the log shows meanwhile
    retry = adjust(get_client(), owner, change)
    assert retry.applied and available(fresh_wix.studio, pool["id"]) == Decimal("7")
    assert [r.body["idempotencyKey"] for r in changes(fresh_wix, at_least=1)] == [change.idempotency_key]


def test_a_failure_before_the_call_is_recorded_as_failed(fresh_wix, pool, owner):
    fresh_wix.faults.script("status", times=3, path_prefix=CHANGES + pool["id"], status=503)
    result = adjust(get_client(), owner, request_for(pool, fresh_wix.studio))
    assert result.outcome == "failed" and not changes(fresh_wix)
    assert AuditEntry.objects.get().outcome == "failed"


def test_the_same_key_for_a_different_change_is_refused(fresh_wix, pool, owner):
    change = request_for(pool, fresh_wix.studio)
    adjust(get_client(), owner, change)
    other = request_for(pool, fresh_wix.studio, amount="9", key=change.idempotency_key)
    assert adjust(get_client(), owner, other).outcome == "refused"
    assert available(fresh_wix.studio, pool["id"]) == Decimal("7")


def test_undo_restores_the_balance_exactly_and_only_once(fresh_wix, pool, owner):
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, mode="remove", amount="2.5"))
    original = AuditEntry.objects.get()
    assert available(fresh_wix.studio, pool["id"]) == Decimal("2.5")
    done = undo(get_client(), owner, original, idempotency_key=new_key())
    assert done.applied and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    entry = done.entry
    assert (entry.kind, entry.reverts_id, entry.delta, entry.available_after) == ("undo", original.pk, Decimal("2.5"), Decimal(5))
    assert not AuditEntry.objects.get(pk=original.pk).undoable
    again = undo(get_client(), owner, original, idempotency_key=new_key())
    assert again.outcome == "refused" and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    assert len(changes(fresh_wix, at_least=2)) == 2 and not logged_calls(fresh_wix, CHANGES + "changes/")


def test_an_undo_whose_answer_was_lost_is_resent_and_never_reverses_twice(fresh_wix, pool, owner, settings):
    settings.WIX_TIMEOUT_SECONDS = 0.5
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="4"))
    original = AuditEntry.objects.get()
    change = change_path(pool)
    fresh_wix.faults.script("timeout", path_prefix=change, hang=1.0)  # Wix applies it after we gave up
    key = new_key()
    lost = undo(get_client(), owner, original, idempotency_key=key)
    assert lost.outcome == "unknown"
    time.sleep(1.2)
    done = undo(get_client(), owner, original, idempotency_key=key)  # the same button again
    assert done.applied and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    assert done.entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]
    ours = [t for t in fresh_wix.studio.transactions_for(pool["id"]) if t.get("idempotencyKey") == key]
    assert len(ours) == 1  # reversed once


def test_an_undo_applied_then_answered_503_is_confirmed_by_the_clients_retry(fresh_wix, pool, owner):
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="4"))
    original = AuditEntry.objects.get()
    fresh_wix.faults.script("apply_then_fail", path_prefix=change_path(pool))
    done = undo(get_client(), owner, original, idempotency_key=new_key())
    assert done.applied and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    assert done.entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"]


def test_undo_never_calls_revert_even_where_it_is_gone(fresh_wix, pool, owner):
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="3"))
    original = AuditEntry.objects.get()
    fresh_wix.faults.script("status", path_prefix=CHANGES + "changes/", status=404)
    done = undo(get_client(), owner, original, idempotency_key=new_key())
    assert done.applied and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    assert changes(fresh_wix, at_least=2)[-1].body["adjustOptions"]["value"] == "-3"
    assert not logged_calls(fresh_wix, CHANGES + "changes/")


# Threads need committed rows. The flush afterwards removes the roles; post_migrate (roles.sync_roles) puts them back.
@pytest.mark.django_db(transaction=True)
def test_two_staff_adjusting_one_pool_at_once_lose_nothing(fresh_wix, settings):
    """Real threads, real sandbox: every applied change counts once; every refusal is a conflict."""
    studio = fresh_wix.studio
    member = studio.add_member("Grace", "Hopper")
    pool = studio.add_pool(member["id"], "pack20", available="50")
    staff = [make_user("olivia", "Owner"), make_user("oscar", "Owner")]
    rounds, outcomes, errors = 12, [], []
    start = threading.Barrier(len(staff))

    def work(user, delta):
        try:
            client = get_client()
            for i in range(rounds):
                seen = client.get_balance(pool["id"])  # what the person's form was rendered from
                start.wait(timeout=10)
                change = AdjustmentRequest(
                    member_id=member["id"],
                    pool_id=pool["id"],
                    mode="add" if delta > 0 else "remove",
                    amount=abs(delta),
                    reason=f"round {i}",
                    idempotency_key=new_key(),
                    revision=seen.revision,
                )
                try:
                    outcomes.append((delta, adjust(client, user, change).outcome))
                except PoolBusy:  # answered at once, nothing written or sent: the person sends again
                    outcomes.append((delta, "busy"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(user, delta)) for user, delta in zip(staff, (Decimal(2), Decimal(-1)), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(outcomes) == rounds * 2
    assert {o for _, o in outcomes} <= {"applied", "conflict", "busy"}
    applied = [d for d, o in outcomes if o == "applied"]
    conflicts = [d for d, o in outcomes if o == "conflict"]
    # Both read the same revision before each round's barrier: at most one of the two may apply; the other
    # either found the pool busy (the lock never waits) or, coming second, a moved revision.
    assert len(applied) + len(conflicts) + len([o for _, o in outcomes if o == "busy"]) == rounds * 2
    # (A thread answered "busy" at once may read its next revision while the other is still applying.)
    assert 0 < len(applied) <= rounds
    assert available(studio, pool["id"]) == Decimal(50) + sum(applied)
    entries = AuditEntry.objects.filter(pool_id=pool["id"])
    assert entries.filter(outcome="applied").count() == len(applied)
    assert entries.filter(outcome="conflict").count() == len(conflicts)
    assert len(changes(fresh_wix, at_least=len(applied))) == len(applied)


def test_a_change_reverted_elsewhere_is_refused_not_claimed(fresh_wix, pool, owner):
    """Reverted in Wix (or by another tool) already: the undo looks first and changes nothing."""
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="4"))
    original = AuditEntry.objects.get()
    get_client().revert_change(original.transaction_id, idempotency_key=new_key())  # e.g. another tool
    refused = undo(get_client(), owner, original, idempotency_key=new_key())
    assert refused.outcome == "refused" and "already reverted" in refused.message
    assert available(fresh_wix.studio, pool["id"]) == Decimal("5")


def test_an_undo_lost_again_and_again_is_unknown_then_confirmed_once(fresh_wix, pool, owner):
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="4"))
    original = AuditEntry.objects.get()
    lose_the_answer(fresh_wix, pool)
    key, history = new_key(), len(fresh_wix.studio.transactions_for(pool["id"]))
    lost = undo(get_client(), owner, original, idempotency_key=key)
    assert lost.outcome == "unknown" and len([c for c in changes(fresh_wix) if c.body["idempotencyKey"] == key]) == 3
    assert available(fresh_wix.studio, pool["id"]) == Decimal("5")  # undone by the first attempt
    retry = undo(get_client(), owner, original, idempotency_key=key)
    assert retry.applied and available(fresh_wix.studio, pool["id"]) == Decimal("5")
    assert len(fresh_wix.studio.transactions_for(pool["id"])) == history + 1  # one compensating change
