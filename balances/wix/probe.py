""" "Test connection": a live check of the credentials in force, reported in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from .auth import ApiKeyAuth
from .connection import current_auth, get_client
from .errors import WixError


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    site_id: str = ""
    member_count: int | None = None


def check_connection() -> ConnectionCheck:
    """Count members (Members API) and read one pool (Benefit Programs, which needs Pricing Plans).

    Two small calls: a key can be good for members yet lack the benefit-programs scope, or the site
    may not have Pricing Plans installed; the dashboard needs both.
    """
    try:
        auth = current_auth()
        client = get_client()
        count = client.count_members()
        client.query_pools(limit=1)
    except WixError as error:
        return ConnectionCheck(ok=False, message=error.message)
    site = auth.site_id if isinstance(auth, ApiKeyAuth) else f"app instance {auth.instance_id}"
    members = f"{count} members" if count is not None else "more members than Wix counts"
    return ConnectionCheck(ok=True, message=f"Connected to {site}: {members}.", site_id=site, member_count=count)
