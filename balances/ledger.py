"""Find our own change among a pool's Wix transactions: the proof that an unconfirmed attempt was applied.

Query Transactions cannot filter on `idempotencyKey` (wix-api.md §7.2: filterable are `pool.id`,
`createdDate`, `relatedTransactionId`, …), so the pool's transactions since the attempt are read and the
key is matched here. A Revert ignores its key, so an undo is found by the transaction it reverts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .audit import AuditEntry
from .wix.client import WixClient
from .wix.records import Transaction

CLOCK_SKEW = timedelta(minutes=2)  # our clock vs Wix's: look a little further back than the attempt
MAX_PAGES = 20  # 2,000 transactions since one attempt is far beyond any real pool


def read_lag_seconds() -> float:
    return float(settings.WIX_READ_LAG_SECONDS)


def settled_after() -> timedelta:
    """How old an attempt must be before "not in the ledger" means "not applied": a write slower than the
    timeout can still land until the last attempt's timeout has run out (retries included: twice the call
    timeout), and a query may not show a fresh transaction at once (the read-lag margin)."""
    return timedelta(seconds=2 * settings.WIX_TIMEOUT_SECONDS + settings.WIX_RETRY_SECONDS + read_lag_seconds())


def attempt_settled(entry: AuditEntry, now: datetime | None = None) -> bool:
    started = entry.sent_at or entry.created_at  # the last attempt sent
    return (now or timezone.now()) - started >= settled_after()


def _wire_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def find_change(client: WixClient, entry: AuditEntry) -> Transaction | None:
    """The Wix transaction this audit row made, if Wix has it. Raises WixError when Wix can't be read."""
    since = _wire_time(entry.created_at - CLOCK_SKEW)  # the row is claimed just before the first attempt
    # An undo is a compensating change under its own key, found like any change; an undo attempted
    # before Revert was dropped is a transaction made since, linked to the change it reverts (_is_ours).
    query_filter: dict[str, object] = {"pool.id": entry.pool_id, "createdDate": {"$gte": since}}
    page = client.query_transactions(filter=query_filter, sort=[{"fieldName": "createdDate", "order": "ASC"}])
    for _ in range(MAX_PAGES):
        for transaction in page.items:
            if _is_ours(entry, transaction):
                return transaction
        if not page.next_cursor:
            return None
        page = client.query_transactions(cursor=page.next_cursor)
    return None


def _is_ours(entry: AuditEntry, transaction: Transaction) -> bool:
    if entry.kind == AuditEntry.Kind.UNDO and entry.reverts is not None and entry.reverts.transaction_id:
        # A Revert's key is ignored by Wix; a compensating change (Revert unavailable) carries ours.
        return transaction.related_transaction_id == entry.reverts.transaction_id or (
            transaction.idempotency_key == entry.idempotency_key
        )
    return transaction.idempotency_key == entry.idempotency_key
