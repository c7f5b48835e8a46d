"""Small helpers shared by tests: reading the sandbox's own truth to compare pages against."""

from decimal import Decimal


def wix_calls(server, path_prefix=""):
    """Upstream calls the sandbox served (the control API is never logged)."""
    return [r for r in server.log.records() if r.path.startswith(path_prefix)]


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
