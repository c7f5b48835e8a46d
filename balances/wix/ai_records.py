"""Typed records for Wix AI credits (account level; https://dev.wix.com/docs/api-reference/account-level/ai-credits/get-balance).

Wix documents the amounts as integers; like every Wix number they may also come as strings, so both
are parsed, into Decimal. `creditBalanceBreakdown` is a per-source view of the *same* credits: it is
never added to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .records import ZERO, Wire, parse_datetime, parse_decimal

PERIOD_NAMES = {
    "NO_PERIOD": "one-time",
    "MILLISECOND": "per millisecond",
    "SECOND": "per second",
    "MINUTE": "per minute",
    "HOUR": "hourly",
    "DAY": "daily",
    "WEEK": "weekly",
    "MONTH": "monthly",
    "YEAR": "yearly",
}


@dataclass(frozen=True)
class CreditAllowance:
    """A balance out of a cap: the recurring credits, the top-up credits, or one usage rule."""

    balance: Decimal
    cap: Decimal

    @property
    def used(self) -> Decimal:
        return max(self.cap - self.balance, ZERO)

    @property
    def percent_left(self) -> int:
        """For the meter; 0-100 whole percent."""
        if self.cap <= 0:
            return 0
        return int(min(max(self.balance / self.cap, ZERO), Decimal(1)) * 100)

    @classmethod
    def from_wire(cls, data: Wire | None) -> CreditAllowance | None:
        if not isinstance(data, dict):
            return None
        return cls(balance=parse_decimal(data.get("balance")), cap=parse_decimal(data.get("cap")))


@dataclass(frozen=True)
class UsageRule:
    period: str
    balance: Decimal
    cap: Decimal
    reset_date: datetime | None

    @property
    def period_name(self) -> str:
        return PERIOD_NAMES.get(self.period, self.period.lower().replace("_", " ") or "—")

    @property
    def recurring(self) -> bool:
        return self.period not in ("", "NO_PERIOD")

    @classmethod
    def from_wire(cls, data: Wire) -> UsageRule:
        return cls(
            period=str(data.get("period") or "NO_PERIOD"),
            balance=parse_decimal(data.get("balance")),
            cap=parse_decimal(data.get("cap")),
            reset_date=parse_datetime(data.get("resetDate")),
        )


@dataclass(frozen=True)
class CreditSource:
    subscription_id: str  # empty for credits not tied to a subscription (top-ups)
    rules: tuple[UsageRule, ...]

    @classmethod
    def from_wire(cls, data: Wire) -> CreditSource:
        return cls(
            subscription_id=str(data.get("subscriptionId") or ""),
            rules=tuple(UsageRule.from_wire(r) for r in data.get("usageRules") or [] if isinstance(r, dict)),
        )


@dataclass(frozen=True)
class AiCredits:
    recurring: CreditAllowance | None  # absent when the account has no recurring credits
    top_up: CreditAllowance | None  # absent when it has no top-up credits
    sources: tuple[CreditSource, ...]

    @property
    def total(self) -> Decimal:
        """What Wix's own recipe shows as available: recurring + top-up."""
        return (self.recurring.balance if self.recurring else ZERO) + (self.top_up.balance if self.top_up else ZERO)

    @property
    def next_reset(self) -> datetime | None:
        dates = [r.reset_date for s in self.sources for r in s.rules if r.recurring and r.reset_date]
        return min(dates) if dates else None

    @classmethod
    def from_wire(cls, data: Wire) -> AiCredits:
        return cls(
            recurring=CreditAllowance.from_wire(data.get("periodicCredits")),
            top_up=CreditAllowance.from_wire(data.get("topUpCredits")),
            sources=tuple(CreditSource.from_wire(s) for s in data.get("creditBalanceBreakdown") or [] if isinstance(s, dict)),
        )
