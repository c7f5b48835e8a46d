"""Goal 6: a whole-studio question — "everyone with at most 1 credit left" — within the call budget.

Until the background "needs attention" scan (#7) lands, the benchmark asks the question itself
through the service layer's pieces: it walks every balance with Query Balances (100 per call, the
fewest calls the Wix API allows; balances cannot be filtered on amounts), paced to the budget, and
totals each member's usable credits the way the member list does. When #7 lands, pass its page with
`--attention-url` and the benchmark also times serving the stored answer.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from balances.catalog import Catalog
from balances.credits import PoolCredits
from balances.wix.client import MAX_PAGE, WixClient
from balances.wix.records import ZERO


class Pacer:
    """At most `per_minute` calls in any sliding minute (plus a second of slack for the clock skew
    between sending a call here and Wix counting it there)."""

    def __init__(self, per_minute: int, window: float = 61.0):
        self.per_minute = per_minute
        self.window = window
        self.sent: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        now = time.monotonic()
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        if len(self.sent) >= self.per_minute:
            time.sleep(self.sent[0] + self.window - now)
            self.sent.popleft()
        self.sent.append(time.monotonic())


@dataclass(frozen=True)
class ScanResult:
    low_members: frozenset[str]
    pools_seen: int
    calls: int
    seconds: float
    as_of: datetime


def members_with_few_credits(client: WixClient, catalog: Catalog, pacer: Pacer, *,
                             threshold: Decimal = Decimal(1), progress=None) -> ScanResult:
    """Members with a usable credit plan and at most `threshold` credits free to book."""
    started = time.monotonic()
    as_of = datetime.now(UTC)
    totals: dict[str, Decimal] = {}
    pools = calls = 0
    cursor = None
    while True:
        pacer.wait()
        page = client.query_balances(limit=MAX_PAGE, cursor=cursor)
        calls += 1
        for balance in page.items:
            pools += 1
            credit = PoolCredits.from_balance(balance, catalog)
            if credit.usable and not credit.unlimited:
                totals[credit.member_id] = totals.get(credit.member_id, ZERO) + credit.available
        cursor = page.next_cursor
        if progress and calls % 50 == 0:
            progress(f"  … {calls} calls, {pools:,} balances")
        if not cursor:
            break
    low = frozenset(m for m, total in totals.items() if total <= threshold)
    return ScanResult(low, pools, calls, time.monotonic() - started, as_of)
