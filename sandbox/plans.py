"""The studio's plans (program definitions + pool definitions). Constant ids, same for every seed.

Plan keys for ``Studio.add_pool``: ``intro2``, ``pack5``, ``pack10``, ``pack20``, ``monthly8``, ``unlimited``.
"""

from __future__ import annotations

import dataclasses
import uuid

NAMESPACE = "@wix/pricing-plans"
UNIT = "Classes"
PROVIDER_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"  # Wix Bookings
DEFINITIONS_CREATED = "2024-09-02T08:00:00.000Z"


@dataclasses.dataclass(frozen=True)
class Plan:
    key: str
    name: str
    description: str
    credits: str | None  # None = unlimited (no creditConfiguration, no balance)
    rollover: bool
    balance_cap: str | None
    renewable: bool
    pool_definition_id: str
    program_definition_id: str
    external_id: str  # the Pricing Plans plan id
    benefit_key: str
    item_set_id: str

    @property
    def details(self) -> dict:
        return _DETAILS[self.key]

    @property
    def program_definition(self) -> dict:
        return _PROGRAM_DEFINITIONS[self.key]


def _plan(key, name, description, credits, rollover, cap, renewable, ids):
    return Plan(key, name, description, credits, rollover, cap, renewable, *ids)


_ID_NAMESPACE = uuid.UUID("6b1f0c9e-2d4a-4e8b-9c7d-3a5f1e2b4c6d")


def _ids(key: str) -> tuple[str, ...]:
    return tuple(
        str(uuid.uuid5(_ID_NAMESPACE, f"{key}:{what}"))
        for what in ("pool-definition", "program-definition", "pricing-plan", "benefit-key", "item-set")
    )


PLANS: dict[str, Plan] = {
    p.key: p
    for p in (
        _plan(
            "intro2",
            "Intro Offer \u2014 2 Classes",
            "Two classes to try the studio. New members only.",
            "2",
            False,
            None,
            False,
            _ids("intro2"),
        ),
        _plan("pack5", "5-Class Pack", "Five classes, any style. Valid 3 months.", "5", False, None, False, _ids("pack5")),
        _plan("pack10", "10-Class Pack", "Ten classes, any style. Valid 6 months.", "10", False, None, False, _ids("pack10")),
        _plan("pack20", "20-Class Pack", "Twenty classes, any style. Valid 12 months.", "20", False, None, False, _ids("pack20")),
        _plan(
            "monthly8",
            "Monthly 8 Classes",
            "Eight classes every month. Up to 4 unused classes roll over.",
            "8",
            True,
            "4",
            True,
            _ids("monthly8"),
        ),
        _plan("unlimited", "Unlimited Monthly", "Unlimited classes, billed monthly.", None, False, None, True, _ids("unlimited")),
    )
}

_DETAILS: dict[str, dict] = {}
_PROGRAM_DEFINITIONS: dict[str, dict] = {}
for _p in PLANS.values():
    _benefit = {
        "benefitKey": _p.benefit_key,
        "itemSetId": _p.item_set_id,
        "price": "0" if _p.credits is None else "1",
        "providerAppId": PROVIDER_APP_ID,
        "displayName": "Classes",
        "description": "Any group class on the schedule",
    }
    _d: dict = {"benefits": [_benefit]}
    if _p.credits is not None:
        _rc: dict = {"enabled": _p.rollover}
        if _p.rollover:
            _rc["balanceCap"] = _p.balance_cap
        _d["creditConfiguration"] = {
            "amount": _p.credits,
            "rolloverConfiguration": _rc,
            "unitDisplayName": UNIT,
            "unitType": "CLASS",
        }
    _DETAILS[_p.key] = _d
    _PROGRAM_DEFINITIONS[_p.key] = {
        "id": _p.program_definition_id,
        "externalId": _p.external_id,
        "displayName": _p.name,
        "description": _p.description,
    }


def install_definitions(studio) -> None:
    """Create the pool-definition wire dicts on a studio."""
    for p in PLANS.values():
        d = {
            "id": p.pool_definition_id,
            "revision": "1",
            "createdDate": DEFINITIONS_CREATED,
            "updatedDate": DEFINITIONS_CREATED,
            "displayName": p.name,
            "programDefinitionIds": [p.program_definition_id],
            "details": p.details,
            "namespace": NAMESPACE,
            "programDefinitions": [{"id": p.program_definition_id, "externalId": p.external_id}],
        }
        studio.pool_definitions.append(d)
        studio._pool_definitions_by_id[d["id"]] = d
