"""Fixtures and helpers of the exactly-once tests: a fresh pool on a sandbox of its own, a change request."""

from decimal import Decimal

import pytest

from balances.adjustments import AdjustmentRequest, new_key
from balances.wix.connection import reset_clients

START = Decimal(5)
CHANGES = "/benefit-programs/v1/balances/"


@pytest.fixture
def pool(fresh_wix, settings):
    settings.WIX_TIMEOUT_SECONDS = 0.5
    reset_clients()
    member = fresh_wix.studio.add_member("Ada", "Lovelace")
    return fresh_wix.studio.add_pool(member["id"], "pack10", available=str(START))


def change_path(pool):
    return f"{CHANGES}{pool['id']}/change"


def request_for(pool, studio, *, mode="add", amount="2", key=None, revision=None):
    return AdjustmentRequest(
        member_id=pool["beneficiary"]["memberId"],
        pool_id=pool["id"],
        mode=mode,
        amount=Decimal(amount),
        reason="Missed class refund",
        idempotency_key=key or new_key(),
        revision=revision if revision is not None else studio.balance(pool["id"])["revision"],
    )


def lose_the_answer(server, pool):
    """Wix applies the change and answers 503; the client's two retries (same key) get 503 too."""
    server.faults.script("apply_then_fail", path_prefix=change_path(pool))
    server.faults.script("status", times=2, status=503, path_prefix=change_path(pool))
