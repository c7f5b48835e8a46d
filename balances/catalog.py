"""The studio's plans (Wix pool definitions), cached: a studio has a handful and they rarely change.

Balances carry their pool's status, pack size and rollover settings in `poolInfo`, but not the plan's
name or unit. Looking those up here, from one cached call, is what lets a member page skip the Query
Pools call for every pool that has credits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .cache import read_through
from .wix.client import WixClient
from .wix.records import Wire, parse_decimal

CATALOG_SECONDS = 600


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    unit: str
    pack_size: Decimal | None  # None: no credits (unlimited access)

    @property
    def is_unlimited(self) -> bool:
        return self.pack_size is None


@dataclass(frozen=True)
class Catalog:
    plans: dict[str, Plan]

    def plan(self, pool_definition_id: str) -> Plan:
        return self.plans.get(pool_definition_id) or Plan(pool_definition_id, "Plan", "credits", None)

    @property
    def unlimited_ids(self) -> list[str]:
        return sorted(p.id for p in self.plans.values() if p.is_unlimited)


def _plan_from_wire(data: Wire) -> Plan:
    credit = (data.get("details") or {}).get("creditConfiguration")
    return Plan(
        id=data.get("id", ""),
        name=data.get("displayName") or "Plan",
        unit=(credit or {}).get("unitDisplayName") or "credits",
        pack_size=parse_decimal(credit.get("amount"), None) if credit else None,
    )


def get_catalog(client: WixClient, cache_key: str, *, refresh: bool = False) -> Catalog:
    plans = read_through(
        f"catalog:{cache_key}",
        "plans",
        lambda: {p.id: p for p in map(_plan_from_wire, client.iterate(client.query_pool_definitions))},
        fresh_seconds=CATALOG_SECONDS,
        keep_seconds=CATALOG_SECONDS,
        refresh=refresh,
    )
    return Catalog(plans.value)
