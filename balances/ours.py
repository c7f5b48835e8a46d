"""Which of Wix's transactions are Credit Desk's own changes — told by our audit log, whatever Wix kept.

Wix may keep nothing that says who made a change: `transactionDetails.reason` is read-only in Change
Balance's request type (Wix may drop it), and Credit Desk sends no `instructingParty`. So a +1 from the
desk can look exactly like a plan's renewal grant. Our audit log knows better: every change records the
transaction ID Change Balance answered and the idempotency key we sent. A transaction is ours when

- its ID is one our audit log recorded (the answer of Change Balance, or of Revert for an undo);
- its `idempotencyKey` is one of ours (whether Change Balance copies our key onto the transaction is
  unconfirmed — docs/wix-probe.md — so this is the second way, and it also recognises a change whose
  answer was lost: the row says "unknown" but Wix shows the transaction);
- its `relatedTransactionId` is one of our changes' and it moves credits back: a Revert of our change.

Who, why and the undo then come from the audit row, never from what Wix stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from .audit import AuditEntry
from .wix.records import Transaction

CHANGE, UNDO = "change", "undo"


@dataclass(frozen=True)
class OurChange:
    kind: str  # CHANGE (add, remove, set) or UNDO
    username: str  # who pressed the button ("" when an undo was made in Wix, not here)
    reason: str
    entry: AuditEntry | None  # the audit row of this transaction (None: a revert made outside Credit Desk)

    @property
    def undoable(self) -> AuditEntry | None:
        """The row to undo from here, when this change can still be undone."""
        return self.entry if self.kind == CHANGE and self.entry is not None and self.entry.undoable else None

    @property
    def note(self) -> str:
        who = f"{self.username} in Credit Desk" if self.username else "in Wix"
        return f"{who}: {self.reason}" if self.reason else who


def recognise(transactions: Iterable[Transaction]) -> dict[str, OurChange]:
    """Our changes among these transactions, by transaction ID (one database query)."""
    transactions = [t for t in transactions if t.id]
    if not transactions:
        return {}
    ids = {t.id for t in transactions}
    keys = {t.idempotency_key for t in transactions if t.idempotency_key}
    related = {t.related_transaction_id for t in transactions if t.related_transaction_id}
    rows = list(
        AuditEntry.objects.filter(Q(transaction_id__in=ids | related) | Q(idempotency_key__in=keys))
        .exclude(outcome__in=[AuditEntry.Outcome.REFUSED, AuditEntry.Outcome.CONFLICT, AuditEntry.Outcome.FAILED])
        .prefetch_related("undos")
    )
    by_id = {e.transaction_id: e for e in rows if e.transaction_id}
    by_key = {e.idempotency_key: e for e in rows}
    found: dict[str, OurChange] = {}
    for tx in transactions:
        entry = by_id.get(tx.id) or (by_key.get(tx.idempotency_key) if tx.idempotency_key else None)
        if entry is not None:
            kind = UNDO if entry.kind == AuditEntry.Kind.UNDO else CHANGE
            found[tx.id] = OurChange(kind, entry.username, entry.reason, entry)
            continue
        original = by_id.get(tx.related_transaction_id) if tx.related_transaction_id else None
        if original is not None and original.kind != AuditEntry.Kind.UNDO:
            # A Revert of our change: Wix gives the reverting transaction no key of ours, only the link.
            undo = next((u for u in original.undos.all() if u.outcome == AuditEntry.Outcome.APPLIED), None)
            if undo is not None:
                found[tx.id] = OurChange(UNDO, undo.username, undo.reason, undo)
            else:
                found[tx.id] = OurChange(UNDO, "", f"Undo: {original.reason}", None)
    return found
