"""Typed records parsed from Wix wire JSON.

Amounts travel as decimal strings ("7", "1.5"); they become Decimal here and nowhere is float used.
Unknown fields are ignored and optional ones may be missing (docs/wix.md#wire-conventions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, overload

ZERO = Decimal("0")


# Parsed wire JSON: its values are whatever Wix sent, checked where they are read.
Wire = dict[str, Any]


@overload
def parse_decimal(value: object) -> Decimal: ...
@overload
def parse_decimal(value: object, default: Decimal) -> Decimal: ...
@overload
def parse_decimal(value: object, default: None) -> Decimal | None: ...
def parse_decimal(value: object, default: Decimal | None = ZERO) -> Decimal | None:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def parse_datetime(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _member_id(identification: Wire | None) -> str:
    return str((identification or {}).get("memberId", ""))


@dataclass(frozen=True)
class Member:
    id: str
    first_name: str
    last_name: str
    nickname: str
    email: str
    status: str
    photo_url: str
    created: datetime | None
    last_login: datetime | None
    phone: str = ""  # the contact's first phone, for the directory index (members search)

    @property
    def name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.nickname or self.email or "(no name)"

    @classmethod
    def from_wire(cls, data: Wire) -> Member:
        contact = data.get("contact") or {}
        profile = data.get("profile") or {}
        emails = contact.get("emails") or []
        return cls(
            id=data.get("id", ""),
            first_name=contact.get("firstName", "") or "",
            last_name=contact.get("lastName", "") or "",
            nickname=profile.get("nickname", "") or "",
            email=data.get("loginEmail") or (emails[0] if emails else ""),
            status=data.get("status", "UNKNOWN"),
            photo_url=(profile.get("photo") or {}).get("url", ""),
            created=parse_datetime(data.get("createdDate")),
            last_login=parse_datetime(data.get("lastLoginDate")),
            phone=next((p for p in contact.get("phones") or [] if isinstance(p, str)), ""),
        )


@dataclass(frozen=True)
class Pool:
    id: str
    member_id: str
    plan_name: str
    status: str
    pack_size: Decimal | None  # None: the plan grants no credits (unlimited access)
    unit: str
    rollover_enabled: bool
    rollover_cap: Decimal | None
    pool_definition_id: str
    program_id: str
    renewal_count: int
    created: datetime | None
    updated: datetime | None

    @property
    def is_unlimited(self) -> bool:
        return self.pack_size is None

    @classmethod
    def from_wire(cls, data: Wire) -> Pool:
        details = data.get("details") or {}
        credit = details.get("creditConfiguration")
        rollover = (credit or {}).get("rolloverConfiguration") or {}
        plan_name = (
            (data.get("program") or {}).get("displayName")
            or data.get("displayName")
            or (data.get("programDefinition") or {}).get("displayName")
            or "Plan"
        )
        return cls(
            id=data.get("id", ""),
            member_id=_member_id(data.get("beneficiary")),
            plan_name=plan_name,
            status=data.get("status", "UNKNOWN"),
            pack_size=parse_decimal(credit.get("amount"), None) if credit else None,
            unit=(credit or {}).get("unitDisplayName", "") or "credits",
            rollover_enabled=bool(rollover.get("enabled", False)),
            rollover_cap=parse_decimal(rollover.get("balanceCap"), None),
            pool_definition_id=data.get("poolDefinitionId", ""),
            program_id=data.get("programId", ""),
            renewal_count=int(data.get("renewalCount") or 0),
            created=parse_datetime(data.get("createdDate")),
            updated=parse_datetime(data.get("updatedDate")),
        )


@dataclass(frozen=True)
class Balance:
    pool_id: str
    member_id: str
    available: Decimal
    reserved: Decimal
    revision: str
    status: str
    pool_definition_id: str
    credit_amount: Decimal | None
    rollover_enabled: bool
    rollover_cap: Decimal | None
    updated: datetime | None
    last_transaction_id: str

    @classmethod
    def from_wire(cls, data: Wire) -> Balance:
        amount = data.get("amount") or {}
        info = data.get("poolInfo") or {}
        rollover = info.get("creditRolloverConfiguration") or {}
        return cls(
            pool_id=data.get("id") or info.get("id", ""),
            member_id=_member_id(data.get("beneficiary")),
            available=parse_decimal(amount.get("available")),
            reserved=parse_decimal(amount.get("reserved")),
            revision=str(data.get("revision", "")),
            status=info.get("status", "UNKNOWN"),
            pool_definition_id=info.get("poolDefinitionId", ""),
            credit_amount=parse_decimal(info.get("creditAmount"), None),
            rollover_enabled=bool(rollover.get("enabled", False)),
            rollover_cap=parse_decimal(rollover.get("balanceCap"), None),
            updated=parse_datetime(data.get("updatedDate") or data.get("createdDate")),
            last_transaction_id=data.get("lastTransactionId", ""),
        )


@dataclass(frozen=True)
class Transaction:
    id: str
    pool_id: str
    member_id: str
    magnitude: Decimal  # Wix sends magnitudes; direction comes from source/target (docs/wix.md#transactions)
    source: str
    target: str
    status: str
    reason: str
    item_name: str
    instructed_by: str
    related_transaction_id: str
    idempotency_key: str
    created: datetime | None
    # What the credit paid for (Bookings: `id` = booking ID, `externalId` = service ID; docs/wix.md#bookings).
    item_id: str = ""
    item_external_id: str = ""
    effective: datetime | None = None

    def _change(self, bucket: str) -> Decimal:
        return (self.magnitude if self.target == bucket else ZERO) - (self.magnitude if self.source == bucket else ZERO)

    @property
    def available_change(self) -> Decimal:
        """What it did to credits free to book (a class taken from a booking leaves them alone)."""
        return self._change("AVAILABLE")

    @property
    def reserved_change(self) -> Decimal:
        return self._change("RESERVED")

    @property
    def kind(self) -> str:
        if self.target == "RESERVED":
            return "reserved"
        if self.source == "RESERVED":
            return "released" if self.target == "AVAILABLE" else "used"
        return "added" if self.available_change >= 0 else "removed"

    @classmethod
    def from_wire(cls, data: Wire) -> Transaction:
        details = data.get("details") or {}
        party = data.get("instructingParty") or {}
        return cls(
            id=data.get("id", ""),
            pool_id=(data.get("pool") or {}).get("id", ""),
            member_id=_member_id(data.get("beneficiary")),
            magnitude=abs(parse_decimal(data.get("amount"))),
            source=data.get("source", ""),
            target=data.get("target", ""),
            status=data.get("status", ""),
            reason=details.get("reason", "") or "",
            item_name=(details.get("item") or {}).get("displayName", "") or "",
            instructed_by="member" if party.get("memberId") else ("staff" if party else ""),
            related_transaction_id=data.get("relatedTransactionId", "") or "",
            idempotency_key=data.get("idempotencyKey", "") or "",
            created=parse_datetime(data.get("createdDate")),
            item_id=str((details.get("item") or {}).get("id") or ""),
            item_external_id=str((details.get("item") or {}).get("externalId") or ""),
            effective=parse_datetime(details.get("effectiveDate")),
        )
