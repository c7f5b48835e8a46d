"""When our own call budget — not Wix — is the limit: the last good copy, an honest banner, changes first."""

import re

from django.urls import reverse

from balances.wix.connection import get_client
from tests.balances.conftest import START
from tests.helpers import available


def test_a_spent_budget_serves_the_last_good_panel_and_says_what_really_happened(owner_client, fresh_wix, pool, settings):
    """Seen: 42 % 503s at the production budget, and a banner saying "Wix not reachable" while Wix was fine."""
    detail = reverse("members:detail", args=[pool["beneficiary"]["memberId"]])
    assert owner_client.get(detail).status_code == 200  # a good copy exists
    adjust = reverse("members:adjust", args=[pool["beneficiary"]["memberId"], pool["id"]])
    form = owner_client.get(adjust).content.decode()
    fields = {n: re.search(rf'name="{n}" value="([^"]*)"', form).group(1) for n in ("idempotency_key", "revision")}
    # The budget runs short: pages stop at the write reserve, a change may still spend it.
    settings.WIX_CALLS_PER_MINUTE, settings.WIX_BUDGET_WAIT_SECONDS = 40, 0
    budget = get_client().budget
    while budget.remaining() > getattr(budget, "write_reserve", 0):
        budget.spend()
    done = owner_client.post(adjust, {**fields, "mode": "add", "amount": "1", "reason": "Refund"}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "Applied" in done.content.decode()
    assert available(fresh_wix.studio, pool["id"]) == START + 1
    # The change made every cached page out of date, and the budget is spent: the last good copy, marked.
    page = owner_client.get(detail)
    body = page.content.decode()
    assert page.status_code == 200, body[:300]
    assert "used this minute&#x27;s Wix calls" in body or "used this minute's Wix calls" in body
    assert "Wix not reachable" not in body
