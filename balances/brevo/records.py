"""Typed records for Brevo Loyalty answers. Brevo sends amounts as JSON numbers (doubles); they become
Decimal via their text, so 12.5 stays 12.5. Transaction statuses are normalised: Brevo renamed
`pending` → `draft` and `complete` → `completed` on 2026-09-03 and both spellings are in the wild."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from balances.wix.records import ZERO, parse_datetime, parse_decimal

if TYPE_CHECKING:  # the SDK's models, for the annotations only
    from brevo import BalanceDefinition as SdkDefinition
    from brevo import GetLoyaltyBalanceProgramsPidActiveBalanceResponseActiveBalancesItem as SdkLot
    from brevo import GetLoyaltyBalanceProgramsPidTransactionHistoryResponseTransactionHistoryItem as SdkTransaction

STATUS_ALIASES = {"pending": "draft", "complete": "completed"}
UNIT_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def normalise_status(status: object) -> str:
    text = str(status or "").strip().lower()
    return STATUS_ALIASES.get(text, text)


def to_decimal(value: object) -> Decimal:
    return parse_decimal(None if value is None else str(value))


def _when(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else parse_datetime(value)


@dataclass(frozen=True)
class BalanceDefinition:
    id: str
    name: str
    unit: str  # POINTS or a currency code
    min_amount: Decimal | None

    @property
    def unit_label(self) -> str:
        return "points" if self.unit == "POINTS" else self.unit

    @classmethod
    def from_sdk(cls, item: SdkDefinition) -> BalanceDefinition:
        return cls(
            id=str(item.id or ""),
            name=item.name or "Balance",
            unit=str(item.unit or "POINTS"),
            min_amount=None if item.min_amount is None else to_decimal(item.min_amount),
        )


@dataclass(frozen=True)
class Lot:
    """One credited lot still (partly) unspent, and when it expires (None: never)."""

    id: str
    amount: Decimal
    created: datetime | None
    expires: datetime | None

    @classmethod
    def from_sdk(cls, item: SdkLot) -> Lot:
        return cls(
            id=str(item.id or ""), amount=to_decimal(item.amount), created=_when(item.created_at), expires=_when(item.expires_at)
        )


@dataclass(frozen=True)
class LoyaltyTransaction:
    id: str
    amount: Decimal  # signed: debits negative
    kind: str  # credit | debit
    status: str  # normalised: draft, completed, cancelled, rejected, expired
    created: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "draft"

    @classmethod
    def from_sdk(cls, item: SdkTransaction) -> LoyaltyTransaction:
        amount = to_decimal(item.amount)
        kind = str(item.transaction_type or ("debit" if amount < 0 else "credit")).lower()
        if kind == "debit" and amount > 0:
            amount = -amount
        return cls(
            id=str(item.id or ""), amount=amount, kind=kind, status=normalise_status(item.status), created=_when(item.created_at)
        )


__all__ = ["ZERO", "BalanceDefinition", "Lot", "LoyaltyTransaction", "normalise_status", "to_decimal"]
