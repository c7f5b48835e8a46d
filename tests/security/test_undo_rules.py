"""Findings 3 and 8 of issue 19: an undo that is refused before any Wix call leaves no half-written row
in the audit log; only people who may see the audit log undo other people's changes; and an undo obeys
the same below-zero rule and permission as an adjustment."""

import re
import uuid
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from balances.audit import AuditEntry
from tests.helpers import available, logged_calls

CHANGES = "/benefit-programs/v1/"


def _adjust(client, pool, mode="add", amount="3"):
    url = reverse("members:adjust", args=[pool["beneficiary"]["memberId"], pool["id"]])
    body = client.get(url).content.decode()
    form = {name: re.search(rf'name="{name}" value="([^"]*)"', body).group(1) for name in ("idempotency_key", "revision")}
    response = client.post(url, {**form, "mode": mode, "amount": amount, "reason": "Class pack bonus"})
    assert response.status_code == 200, response.content.decode()[:500]
    return AuditEntry.objects.get(idempotency_key=form["idempotency_key"])


def _undo(client, entry):
    return client.post(reverse("audit:undo", args=[entry.pk]), {"idempotency_key": str(uuid.uuid4())})


def _writes(server):
    return logged_calls(server, CHANGES, where=lambda r: r.method == "POST" and ("/change" in r.path or "revert" in r.path))


def _desk_with(frontdesk, *codenames):
    frontdesk.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    desk = Client()
    desk.force_login(frontdesk)
    return desk


def test_a_refused_undo_stores_no_half_row_and_the_log_still_renders(owner_client, fresh_wix, pool):
    entry = _adjust(owner_client, pool)
    assert _undo(owner_client, entry).status_code == 200
    rows = AuditEntry.objects.count()
    for _ in range(3):  # the same change again: refused before Wix is asked, so nothing is written
        again = _undo(owner_client, entry)
        assert again.status_code == 422 and "already undone" in again.content.decode()
    undo_row = AuditEntry.objects.get(kind=AuditEntry.Kind.UNDO)
    never_applied = AuditEntry.objects.create(
        user=entry.user, username="olivia", member_id=entry.member_id, pool_id=entry.pool_id, kind="adjust",
        requested=Decimal(1), reason="x", idempotency_key="k-refused", outcome="refused",
    )  # fmt: skip
    for original in (undo_row, never_applied):
        refused = _undo(owner_client, original)
        assert refused.status_code == 422 and "Only an applied change can be undone" in refused.content.decode()
    assert AuditEntry.objects.count() == rows + 1  # + the refused adjustment made above, no undo rows
    assert all(e.available_before is not None or e.pk == never_applied.pk for e in AuditEntry.objects.all())
    assert owner_client.get(reverse("audit:list")).status_code == 200
    assert owner_client.get(reverse("audit:list"), {"kind": "undo"}).status_code == 200


def test_undoing_someone_elses_change_needs_the_audit_log_permission(owner_client, frontdesk, fresh_wix, pool):
    owners_change = _adjust(owner_client, pool)
    desk = _desk_with(frontdesk, "adjust_credits")
    refused = _undo(desk, owners_change)
    assert refused.status_code == 403 and "someone else" in refused.content.decode()
    assert not AuditEntry.objects.filter(kind=AuditEntry.Kind.UNDO).exists()
    assert available(fresh_wix.studio, pool["id"]) == Decimal(8)
    panel = desk.get(reverse("members:detail", args=[pool["beneficiary"]["memberId"]])).content.decode()
    assert f'id="undo-{owners_change.pk}"' not in panel  # no button they cannot use
    own = _adjust(desk, pool, amount="1")
    assert _undo(desk, own).status_code == 200  # their own change they may undo
    assert available(fresh_wix.studio, pool["id"]) == Decimal(8)
    auditor = _desk_with(frontdesk, "view_audit")
    assert _undo(auditor, owners_change).status_code == 200  # may see the log: may undo others' changes
    assert available(fresh_wix.studio, pool["id"]) == Decimal(5)


def test_an_undo_that_would_go_below_zero_is_refused_like_an_adjustment(owner_client, frontdesk, fresh_wix, pool):
    desk = _desk_with(frontdesk, "adjust_credits")
    bonus = _adjust(desk, pool, amount="3")  # 5 → 8
    _adjust(desk, pool, mode="remove", amount="7")  # 8 → 1 (classes booked meanwhile)
    before = len(_writes(fresh_wix))
    refused = _undo(desk, bonus)  # would leave 1 − 3 = −2
    assert refused.status_code == 422 and "below zero" in refused.content.decode()
    assert len(_writes(fresh_wix)) == before and available(fresh_wix.studio, pool["id"]) == Decimal(1)
    row = AuditEntry.objects.get(kind=AuditEntry.Kind.UNDO)
    assert row.outcome == AuditEntry.Outcome.REFUSED and row.available_before == Decimal(1)
    fresh_wix.faults.update(allow_negative=True)  # even where Wix would allow a change below zero, our rule holds
    assert _undo(desk, bonus).status_code == 422 and len(_writes(fresh_wix)) == before
    # An owner holds the below-zero permission, as for an adjustment: our rule lets it through to Wix
    # (whose revert then applies its own rule).
    owners = _undo(owner_client, bonus)
    assert "Only an owner" not in owners.content.decode() and len(_writes(fresh_wix)) == before + 1
