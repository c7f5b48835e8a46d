"""The reference: how site code reads credits today, implemented here with plain httpx.

List a page of members, find their pools, then ask Get Balance once per pool, one call after the
other (the Velo/SDK pattern Wix site code uses to show a member their balances). Finding the
pools is done the charitable way — one Query Pools call for the whole page — so the comparison
flatters the reference, not us.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from sandbox import credentials as sandbox_credentials


class NaiveDirectory:
    def __init__(self, base_url: str, *, timeout: float = 60.0):
        self.http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers={"Authorization": sandbox_credentials.API_KEY, "wix-site-id": sandbox_credentials.SITE_ID},
        )

    def close(self) -> None:
        self.http.close()

    def page(self, *, offset: int, limit: int) -> dict[str, Decimal]:
        """Credits free to book per member of one page ({member id: available})."""
        found = self.http.post(
            "/members/v1/members/query",
            json={
                "query": {"paging": {"limit": limit, "offset": offset}},
                "fieldsets": ["FULL"],
            },
        )
        found.raise_for_status()
        ids = [m["id"] for m in found.json()["members"]]
        pools, cursor = [], None
        while True:
            paging = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            query = (
                {"cursorPaging": paging} if cursor else {"filter": {"beneficiary.memberId": {"$in": ids}}, "cursorPaging": paging}
            )
            answer = self.http.post("/benefit-programs/v1/pools/query", json={"query": query})
            answer.raise_for_status()
            data = answer.json()
            pools += data["pools"]
            cursor = data["metadata"]["cursors"].get("next") if data["metadata"].get("hasNext") else None
            if not cursor:
                break
        credits = dict.fromkeys(ids, Decimal(0))
        for pool in pools:
            answer = self.http.get(f"/benefit-programs/v1/balances/{pool['id']}")
            if answer.status_code == 404:  # plans without credits have no balance
                continue
            answer.raise_for_status()
            if pool["status"] in ("ACTIVE", "RENEWING"):
                member = pool["beneficiary"]["memberId"]
                credits[member] += Decimal(answer.json()["balance"]["amount"]["available"])
        return credits
