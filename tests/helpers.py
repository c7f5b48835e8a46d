"""Small helpers shared by tests: reading the sandbox's own truth to compare pages against."""

import base64
from decimal import Decimal

from balances.adjustments import AdjustmentRequest, new_key

CHANGES = "/benefit-programs/v1/balances/"  # Change Balance: POST {CHANGES}{pool ID}/change
START = Decimal(5)  # what the `pool` fixture (tests/conftest.py) starts with


def wix_calls(server, path_prefix="", *, since=0.0):
    """Upstream calls the sandbox received (the control API is never logged), optionally only those
    started at or after `since` (epoch seconds). The sandbox logs each call before its answer goes out,
    and a hanging call as soon as it starts hanging (status 0), so no waiting is needed."""
    return [r for r in server.log.records() if r.path.startswith(path_prefix) and r.started >= since]


def member_with(studio, predicate):
    for member in studio.members:
        pools = studio.pools_for(member["id"])
        if predicate(member, pools):
            return member
    raise AssertionError("the seeded studio has no such member")


def available(studio, pool_id) -> Decimal:
    return Decimal(studio.balance(pool_id)["amount"]["available"])


def credits_text(value) -> str:
    return format(Decimal(value).normalize(), "f")


def logged_calls(server, path_prefix="", *, where=None, at_least=0, timeout=5.0):
    """Like wix_calls, but waits (bounded) for `at_least` records: for calls made by background work
    (prefetch, scans) that the test cannot join."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in wix_calls(server, path_prefix) if where is None or where(r)]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def credentials_key(kid: str, byte: int) -> str:
    """A CREDENTIALS_KEYS entry ("kid:base64 of 32 bytes") whose key material is `byte` repeated."""
    return f"{kid}:{base64.urlsafe_b64encode(bytes([byte]) * 32).decode()}"


# Every test account's password (tests/conftest.make_user), typed again wherever a test logs in or re-checks it.
PASSWORD = "correct horse battery"


def change_path(pool) -> str:
    return f"{CHANGES}{pool['id']}/change"


def request_for(pool, studio, *, mode="add", amount="2", reason="Missed class refund", key=None, revision=None, **extra):
    """An adjustment of `pool` as the desk's form sends it; by default at the revision Wix has now."""
    return AdjustmentRequest(
        member_id=pool["beneficiary"]["memberId"],
        pool_id=pool["id"],
        mode=mode,
        amount=Decimal(amount),
        reason=reason,
        idempotency_key=key or new_key(),
        revision=revision if revision is not None else studio.balance(pool["id"])["revision"],
        **extra,
    )
