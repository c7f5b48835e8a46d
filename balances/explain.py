""" "Explain this balance": a pool's credits rebuilt from its transactions, step by step.

Wix keeps every change as a transaction with a source and a target (AVAILABLE, RESERVED, EXTERNAL).
Replaying them from the oldest gives how the balance came to be: granted, used, reserved, rolled over,
lost at renewal, adjusted by staff. The rebuilt numbers are compared with the live balance, so a gap
(history too long to fetch, or a change Wix did not record) is shown rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .concurrency import run_together
from .wix.client import MAX_PAGE, WixClient
from .wix.records import ZERO, Balance, Transaction

MAX_PAGES = 10  # 1,000 transactions; older history is summarised as "before the history shown"

LABELS = {
    "granted": "Granted (purchase or renewal)",
    "rolled_over": "Rolled over at renewal",
    "lost": "Lost at renewal (over the rollover cap or expired)",
    "adjusted": "Adjusted by staff",
    "used": "Used (class booked and taken)",
    "reserved": "Booked, not yet used",
    "released": "Bookings cancelled (returned)",
}


def effect(tx: Transaction) -> tuple[Decimal, Decimal]:
    """How one transaction moved (available, reserved)."""
    return tx.available_change, tx.reserved_change


def category(tx: Transaction) -> str:
    if tx.target == "RESERVED":
        return "reserved"
    if tx.source == "RESERVED":
        return "released" if tx.target == "AVAILABLE" else "used"
    if tx.item_name:
        return "used"
    if tx.instructed_by == "staff":
        return "adjusted"
    return "granted" if tx.target == "AVAILABLE" else "lost"


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


def explain(transactions: list[Transaction], balance: Balance, *, complete: bool = True) -> BalanceExplanation:
    available = reserved = ZERO
    totals = dict.fromkeys(LABELS, ZERO)
    steps = []
    seen_grant = False
    for tx in sorted(transactions, key=lambda t: (t.created or datetime.min.replace(tzinfo=UTC), t.id)):
        if tx.status == "FAILED":
            continue
        kind = category(tx)
        d_available, d_reserved = effect(tx)
        if kind == "granted":
            if seen_grant and available > 0:
                totals["rolled_over"] += available  # what was still free when the plan renewed
            seen_grant = True
        totals[kind] += tx.magnitude if kind != "adjusted" else d_available
        available += d_available
        reserved += d_reserved
        steps.append(
            Step(
                tx.created,
                kind,
                LABELS[kind],
                d_available,
                available,
                reserved,
                " — ".join(x for x in (tx.reason, tx.item_name) if x),
            )
        )
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
    return explain(items, balance, complete=complete)
