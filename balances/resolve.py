"""Resolve: settle "unknown" and "pending" audit rows from Wix's own ledger, so nothing stays unresolved.

A row is unknown when Wix's answer was lost, pending when our process died (or lost its database) mid-way.
Wix's transactions are the truth: the pool's transactions since the attempt are read (ledger.py) and
- a transaction with our key (an undo: reverting our change) → "applied", with the delta it really made;
- none, and the last attempt is older than twice the call timeout plus the read-lag margin (a slow write
  can no longer land, a fresh transaction would show) → "failed": not applied. Such a row is looked at
  again for RECHECK after, and a transaction with our key found then flips it to "applied";
- none yet → left as it is, to be asked again later.
A row that never reached Wix (pending, never sent) and is old enough is "failed" at once: nothing was sent.
An applied row whose lost answer left out its transaction or delta gets them from the ledger too.

The owner's audit log offers Resolve on every such row; `manage.py resolve_changes` (a scheduled job)
does the same for rows older than a few minutes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from . import ledger
from .adjustments import Outcome, record_found
from .audit import AuditEntry
from .pool_lock import PoolBusy, pool_lock
from .wix import errors
from .wix.client import WixClient

log = logging.getLogger(__name__)

RECHECK = timedelta(hours=1)  # how long a "not applied" decided by Resolve is looked at again
OPEN = (Outcome.UNKNOWN, Outcome.PENDING)


@dataclass(frozen=True)
class Resolution:
    entry: AuditEntry
    outcome: str  # the row's outcome after this
    message: str
    changed: bool  # the row was settled (or flipped) now


def _open_or_rechecked() -> Q:
    recent = timezone.now() - RECHECK
    # Applied, but the lost answer left out its transaction or delta (undo and the ledger's sums need both).
    incomplete = Q(outcome=Outcome.APPLIED, sent_at__isnull=False) & (Q(delta__isnull=True) | Q(transaction_id=""))
    return Q(outcome__in=OPEN) | Q(outcome=Outcome.FAILED, resolved_at__gte=recent, sent_at__isnull=False) | incomplete


def resolvable(entry: AuditEntry) -> bool:
    return AuditEntry.objects.filter(_open_or_rechecked(), pk=entry.pk).exists()


def resolve(client: WixClient, entry: AuditEntry) -> Resolution:
    """Settle one row from Wix's ledger if Wix's answer allows it; never raises for Wix trouble."""
    try:
        with pool_lock(entry.pool_id):
            entry.refresh_from_db()
            if not resolvable(entry):
                return Resolution(entry, entry.outcome, "Already settled.", False)
            return _resolve_locked(client, entry)
    except PoolBusy:
        return Resolution(entry, entry.outcome, "Another change to this plan is in progress; try again in a moment.", False)


def _resolve_locked(client: WixClient, entry: AuditEntry) -> Resolution:
    now = timezone.now()
    if entry.outcome == Outcome.PENDING and entry.sent_at is None:
        # Claimed, never sent (the lock is free, so the request that claimed it is over): nothing reached Wix.
        if now - entry.created_at < ledger.settled_after():
            return Resolution(entry, entry.outcome, "Too recent to decide; try again in a minute.", False)
        _mark(entry, Outcome.FAILED, "Stopped before reaching Wix; nothing was applied (Resolve).")
        return Resolution(entry, entry.outcome, entry.message, True)
    try:
        found = ledger.find_change(client, entry)
        balance = client.get_balance(entry.pool_id) if found is not None else None
    except errors.WixError as error:
        return Resolution(entry, entry.outcome, f"Wix could not be asked right now: {error.message}", False)
    if found is not None:
        result = record_found(entry, found, balance)
        AuditEntry.objects.filter(pk=entry.pk).update(resolved_at=now)
        log.info("resolve: %s applied in Wix as %s", entry.idempotency_key, found.id)
        return Resolution(entry, Outcome.APPLIED, result.message, True)
    if entry.outcome in (Outcome.FAILED, Outcome.APPLIED):
        return Resolution(entry, entry.outcome, "Still not in Wix's transactions.", False)
    if not ledger.attempt_settled(entry, now):
        return Resolution(entry, entry.outcome, "Wix may still apply it; Resolve again in a minute.", False)
    _mark(entry, Outcome.FAILED, "Not applied: Wix's transactions for this plan have no change with its key (Resolve).")
    log.info("resolve: %s not applied", entry.idempotency_key)
    return Resolution(entry, entry.outcome, entry.message, True)


def _mark(entry: AuditEntry, outcome: str, message: str) -> None:
    entry.outcome, entry.message = outcome, message[:500]
    entry.completed_at = entry.resolved_at = timezone.now()
    entry.save(update_fields=["outcome", "message", "completed_at", "resolved_at"])


def resolve_stale(client: WixClient, *, older_than: timedelta = timedelta(minutes=3), limit: int = 200) -> list[Resolution]:
    """The scheduled job: every open row older than `older_than`, and recent "not applied" decisions."""
    cutoff = timezone.now() - older_than
    rows = AuditEntry.objects.filter(_open_or_rechecked(), created_at__lte=cutoff).select_related("reverts")
    return [resolve(client, entry) for entry in rows.order_by("created_at")[:limit]]
