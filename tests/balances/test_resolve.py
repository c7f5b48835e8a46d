"""Resolve settles unknown and pending rows from Wix's ledger (balances/resolve.py), by hand or scheduled."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from balances.adjustments import adjust, new_key, undo
from balances.audit import AuditEntry
from balances.resolve import resolve, resolve_stale
from balances.wix.connection import get_client
from tests.balances.conftest import lose_the_answer
from tests.balances.reconcile import assert_reconciled
from tests.helpers import START, available, request_for

# Faults here hang: Wix calls time out after 0.5 s (tests/conftest.py, quick_timeout).
pytestmark = pytest.mark.usefixtures("quick_timeout")


def age(entry, seconds):
    at = timezone.now() - timedelta(seconds=seconds)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=at, sent_at=at)
    entry.refresh_from_db()


def test_an_unknown_change_that_wix_applied_resolves_to_applied_with_its_delta(fresh_wix, pool, owner):
    lose_the_answer(fresh_wix, pool)
    assert adjust(get_client(), owner, request_for(pool, fresh_wix.studio)).outcome == "unknown"
    entry = AuditEntry.objects.get()
    done = resolve(get_client(), entry)
    entry.refresh_from_db()
    assert done.changed and entry.outcome == "applied" and entry.delta == Decimal(2)
    assert entry.transaction_id == fresh_wix.studio.balance(pool["id"])["lastTransactionId"] and entry.undoable
    assert_reconciled(fresh_wix.studio, pool["id"], START)


def test_not_applied_is_decided_only_when_the_attempt_is_old_and_a_late_transaction_flips_it(fresh_wix, pool, owner, settings):
    fresh_wix.faults.script("status", times=3, status=503, path_prefix=f"/benefit-programs/v1/balances/{pool['id']}/change")
    change = request_for(pool, fresh_wix.studio)
    assert adjust(get_client(), owner, change).outcome == "unknown"
    entry = AuditEntry.objects.get()
    early = resolve(get_client(), entry)
    assert not early.changed and AuditEntry.objects.get().outcome == "unknown"  # a slow write may still land
    age(entry, 2 * settings.WIX_TIMEOUT_SECONDS + settings.WIX_RETRY_SECONDS + 31)
    late = resolve(get_client(), entry)
    assert late.changed and AuditEntry.objects.get().outcome == "failed" and "Not applied" in late.message
    assert available(fresh_wix.studio, pool["id"]) == START
    # Wix shows a transaction with our key after all (it landed later than we could know): applied.
    get_client().change_balance(pool["id"], idempotency_key=change.idempotency_key, value="2")
    flipped = resolve_stale(get_client(), older_than=timedelta(0))
    entry.refresh_from_db()
    assert [r.changed for r in flipped] == [True] and entry.outcome == "applied" and entry.delta == Decimal(2)
    assert_reconciled(fresh_wix.studio, pool["id"], START)


def test_a_pending_row_that_never_reached_wix_is_failed_once_old(fresh_wix, pool, owner):
    change = request_for(pool, fresh_wix.studio)
    entry = AuditEntry.objects.create(
        user=owner, username="olivia", member_id=change.member_id, pool_id=change.pool_id, kind=change.kind,
        requested=change.requested, revision_seen=change.revision, reason=change.reason,
        idempotency_key=change.idempotency_key,
    )  # fmt: skip
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    out = StringIO()
    call_command("resolve_changes", older_than=60, stdout=out)
    assert AuditEntry.objects.get().outcome == "failed" and "settled 1" in out.getvalue()
    assert available(fresh_wix.studio, pool["id"]) == START


def test_an_unknown_undo_resolves_from_the_reverting_transaction(fresh_wix, pool, owner):
    """The undo is a compensating change: its transaction carries the undo's key."""
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio, amount="4"))
    original = AuditEntry.objects.get()
    lose_the_answer(fresh_wix, pool)
    assert undo(get_client(), owner, original, idempotency_key=new_key()).outcome == "unknown"
    entry = AuditEntry.objects.get(reverts=original)
    assert resolve(get_client(), entry).changed
    entry.refresh_from_db()
    assert entry.outcome == "applied" and entry.delta == Decimal(-4)
    assert available(fresh_wix.studio, pool["id"]) == START
    assert_reconciled(fresh_wix.studio, pool["id"], START)


@pytest.mark.parametrize("outcome", ["applied", "refused", "conflict"])
def test_settled_rows_are_left_alone(fresh_wix, pool, owner, outcome):
    entry = AuditEntry.objects.create(
        user=owner, username="olivia", member_id="m", pool_id=pool["id"], kind="adjust", requested=Decimal(1),
        reason="x", idempotency_key=new_key(), outcome=outcome,
    )  # fmt: skip
    assert not resolve(get_client(), entry).changed
    assert AuditEntry.objects.get().outcome == outcome


def test_the_audit_log_offers_resolve_for_open_rows_and_settles_them(owner_client, frontdesk, fresh_wix, pool, owner):
    from django.test import Client
    from django.urls import reverse

    frontdesk_client = Client()
    frontdesk_client.force_login(frontdesk)
    lose_the_answer(fresh_wix, pool)
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio))
    entry = AuditEntry.objects.get()
    url = reverse("audit:resolve", args=[entry.pk])
    page = owner_client.get(reverse("audit:list")).content.decode()
    assert f'action="{url}"' in page and ">Resolve</button>" in page
    assert frontdesk_client.post(url, headers={"HX-Request": "true"}).status_code == 403
    row = owner_client.post(url, headers={"HX-Request": "true"})
    body = row.content.decode()
    assert row.status_code == 200 and body.strip().startswith("<tr") and "confirmed in Wix" in body
    assert ">Resolve</button>" not in body and AuditEntry.objects.get().outcome == "applied"
    assert_reconciled(fresh_wix.studio, pool["id"], START)


def test_the_scheduled_job_resolves_old_open_rows(fresh_wix, pool, owner):
    """The task queue runs it every two minutes (balances/jobs/schedule.py); here it runs once, in the test."""
    from balances.jobs.schedule import JOBS
    from balances.tasks import resolve_changes

    assert JOBS["resolve-changes"].task.module_path == "balances.tasks.resolve_changes"
    lose_the_answer(fresh_wix, pool)
    adjust(get_client(), owner, request_for(pool, fresh_wix.studio))
    entry = AuditEntry.objects.get()
    assert "settled 0" in resolve_changes.call()  # too recent: a person may still be retrying it
    age(entry, 600)
    assert "settled 1" in resolve_changes.call()
    assert AuditEntry.objects.get().outcome == "applied"
    assert_reconciled(fresh_wix.studio, pool["id"], START)
