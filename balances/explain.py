""" "Explain this balance": a pool's credits rebuilt from its transactions, step by step.

Wix keeps every change as a transaction with a source and a target (AVAILABLE, RESERVED, EXTERNAL).
Replaying them from the oldest gives how the balance came to be: granted, used, reserved, rolled over,
lost at renewal, adjusted by staff. The rebuilt numbers are compared with the live balance, so a gap
(history too long to fetch, or a change Wix did not record) is shown rather than hidden.

Credit Desk's own changes are told by our audit log (balances.ours), never by what Wix kept of them: Wix
may keep no reason and no instructing party, and then a +1 from the desk looks like a renewal grant. A
renewal (and with it "rolled over" and "lost at renewal") is counted only where the transaction says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .concurrency import run_together
from .ours import CHANGE, OurChange, recognise
from .wix.client import MAX_PAGE, WixClient
from .wix.records import ZERO, Balance, Transaction

MAX_PAGES = 10  # 1,000 transactions; older history is summarised as "before the history shown"

LABELS = {
    "granted": "Granted (purchase or renewal)",
    "rolled_over": "Rolled over at renewal",
    "lost": "Lost at renewal (over the rollover cap or expired)",
    "desk": "Changed in Credit Desk",
    "undone": "Undone in Credit Desk",
    "adjusted": "Adjusted by staff in Wix",
    "removed": "Removed in Wix",
    "used": "Used (class booked and taken)",
    "reserved": "Booked, not yet used",
    "released": "Bookings cancelled (returned)",
}


def effect(tx: Transaction) -> tuple[Decimal, Decimal]:
    """How one transaction moved (available, reserved)."""
    return tx.available_change, tx.reserved_change


# Words in a transaction's reason or key that say it happened at a renewal (Wix's own wording is
# unconfirmed: docs/wix-probe.md). Without them an addition is a grant and a removal is "removed".
RENEWAL_WORDS = ("renew",)
LOST_WORDS = ("renew", "rollover", "roll over", "expire")
# Steps that change credits by a signed amount (the others are counted as magnitudes).
SIGNED = frozenset({"desk", "undone", "adjusted"})


def _says(tx: Transaction, words: tuple[str, ...]) -> bool:
    text = f"{tx.reason} {tx.idempotency_key}".lower()
    return any(w in text for w in words)


def category(tx: Transaction, ours: OurChange | None = None) -> str:
    if ours is not None:
        return "desk" if ours.kind == CHANGE else "undone"
    if tx.target == "RESERVED":
        return "reserved"
    if tx.source == "RESERVED":
        return "released" if tx.target == "AVAILABLE" else "used"
    if tx.item_name:
        return "used"
    if tx.instructed_by == "staff":
        return "adjusted"
    if tx.target == "AVAILABLE":
        return "granted"
    return "lost" if _says(tx, LOST_WORDS) else "removed"


def is_renewal(tx: Transaction, kind: str) -> bool:
    return kind == "granted" and _says(tx, RENEWAL_WORDS)


@dataclass(frozen=True)
class Step:
    when: datetime | None
    kind: str
    label: str
    change: Decimal  # to available credits
    available_after: Decimal
    reserved_after: Decimal
    note: str


@dataclass(frozen=True)
class BalanceExplanation:
    balance: Balance
    steps: tuple[Step, ...]
    totals: dict[str, Decimal]
    rebuilt_available: Decimal
    rebuilt_reserved: Decimal
    complete: bool  # False when the history was longer than we fetch
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def matches(self) -> bool:
        return self.rebuilt_available == self.balance.available and self.rebuilt_reserved == self.balance.reserved

    @property
    def rows(self) -> list[tuple[str, str, Decimal]]:
        return [(k, LABELS[k], self.totals[k]) for k in LABELS if self.totals.get(k)]


def explain(
    transactions: list[Transaction], balance: Balance, *, complete: bool = True, ours: dict[str, OurChange] | None = None
) -> BalanceExplanation:
    """`ours`: Credit Desk's changes among the transactions (balances.ours.recognise), by transaction ID."""
    ours = ours or {}
    available = reserved = ZERO
    totals = dict.fromkeys(LABELS, ZERO)
    steps = []
    for tx in sorted(transactions, key=lambda t: (t.created or datetime.min.replace(tzinfo=UTC), t.id)):
        if tx.status == "FAILED":
            continue
        mine = ours.get(tx.id)
        kind = category(tx, mine)
        d_available, d_reserved = effect(tx)
        if is_renewal(tx, kind) and available > 0:
            totals["rolled_over"] += available  # what was still free when the plan renewed
        totals[kind] += d_available if kind in SIGNED else tx.magnitude
        available += d_available
        reserved += d_reserved
        note = mine.note if mine else " — ".join(x for x in (tx.reason, tx.item_name) if x)
        steps.append(Step(tx.created, kind, LABELS[kind], d_available, available, reserved, note))
    # Credits that were reserved and then used are not also "booked, not yet used": show what is held now.
    totals["reserved"] = reserved
    return BalanceExplanation(balance, tuple(steps), totals, available, reserved, complete)


def explain_pool(client: WixClient, pool_id: str) -> BalanceExplanation:
    """The live balance and its whole history (up to MAX_PAGES pages), fetched at the same time."""

    def history() -> tuple[list[Transaction], bool]:
        items: list[Transaction] = []
        complete = True
        page = client.query_transactions(
            filter={"pool.id": pool_id}, sort=[{"fieldName": "createdDate", "order": "ASC"}], limit=MAX_PAGE
        )
        items.extend(page.items)
        for _ in range(MAX_PAGES - 1):
            if not page.next_cursor:
                break
            page = client.query_transactions(cursor=page.next_cursor, limit=MAX_PAGE)
            items.extend(page.items)
        else:
            complete = not page.next_cursor
        return items, complete

    balance, (items, complete) = run_together(lambda: client.get_balance(pool_id), history)
    return explain(items, balance, complete=complete, ours=recognise(items))
