"""Typed records parsed from Wix wire JSON.

Amounts travel as decimal strings ("7", "1.5"); they become Decimal here and nowhere is float used.
Unknown fields are ignored and optional ones may be missing (shared/wix-api.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

ZERO = Decimal("0")


def parse_decimal(value, default: Decimal | None = ZERO) -> Decimal | None:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def parse_datetime(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _member_id(identification: dict | None) -> str:
    return (identification or {}).get("memberId", "")


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

    @property
    def name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.nickname or self.email or "(no name)"

    @classmethod
    def from_wire(cls, data: dict) -> Member:
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
    def from_wire(cls, data: dict) -> Pool:
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
    def from_wire(cls, data: dict) -> Balance:
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
    amount: Decimal  # signed, as seen from the member's available credits
    source: str
    target: str
    status: str
    reason: str
    item_name: str
    instructed_by: str
    related_transaction_id: str
    idempotency_key: str
    created: datetime | None

    @property
    def kind(self) -> str:
        if self.target == "RESERVED":
            return "reserved"
        if self.source == "RESERVED":
            return "released" if self.target == "AVAILABLE" else "used"
        return "added" if self.amount >= 0 else "removed"

    @classmethod
    def from_wire(cls, data: dict) -> Transaction:
        magnitude = parse_decimal(data.get("amount"))
        source, target = data.get("source", ""), data.get("target", "")
        # Wix sends magnitudes; direction comes from source/target (shared/wix-api.md §7.1).
        signed = -magnitude if source == "AVAILABLE" else magnitude
        details = data.get("details") or {}
        party = data.get("instructingParty") or {}
        return cls(
            id=data.get("id", ""),
            pool_id=(data.get("pool") or {}).get("id", ""),
            member_id=_member_id(data.get("beneficiary")),
            amount=signed,
            source=source,
            target=target,
            status=data.get("status", ""),
            reason=details.get("reason", "") or "",
            item_name=(details.get("item") or {}).get("displayName", "") or "",
            instructed_by="member" if party.get("memberId") else ("staff" if party else ""),
            related_transaction_id=data.get("relatedTransactionId", "") or "",
            idempotency_key=data.get("idempotencyKey", "") or "",
            created=parse_datetime(data.get("createdDate")),
        )
