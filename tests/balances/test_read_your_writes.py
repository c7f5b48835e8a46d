"""Read-your-writes: Wix's X-Wix-Consistent token is kept and sent back, like the official SDK does, and
shared by every process of one connection through the shared cache (the sandbox lags reads otherwise)."""

from decimal import Decimal

import pytest
from django.conf import settings

from balances.adjustments import AdjustmentRequest, adjust, new_key
from balances.credits import member_detail
from balances.wix.client import WixClient
from balances.wix.connection import current_auth, get_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lagging(fresh_wix):
    fresh_wix.faults.update(read_lag=30)  # a write stays unseen for 30 s by reads without its token
    member = fresh_wix.studio.add_member("Rey", "Wright")
    pool = fresh_wix.studio.add_pool(member["id"], "pack10", available="5")
    return fresh_wix, member, pool


def _add(studio, user, member, pool, amount="1"):
    result = adjust(
        get_client(),
        user,
        AdjustmentRequest(
            member["id"], pool["id"], "add", Decimal(amount), "lag test", new_key(), studio.balance(pool["id"])["revision"]
        ),
    )
    assert result.applied, result.message
    return result


def test_a_read_right_after_a_write_sees_it(lagging, owner):
    wix, member, pool = lagging
    _add(wix.studio, owner, member, pool)
    assert get_client().get_balance(pool["id"]).available == Decimal(6)
    detail = member_detail(get_client(), member["id"])
    assert [p.available for p in detail.pools] == [Decimal(6)]


def test_another_process_reads_the_write_too(lagging, owner):
    """A client built afresh (as in another process) takes the token from the shared cache."""
    wix, member, pool = lagging
    _add(wix.studio, owner, member, pool)
    elsewhere = WixClient(settings.WIX_API_BASE_URL, current_auth(), timeout=2.0)
    try:
        assert elsewhere.get_balance(pool["id"]).available == Decimal(6)
    finally:
        elsewhere.close()


def test_a_second_change_right_after_the_first_is_no_false_conflict(lagging, owner):
    wix, member, pool = lagging
    first = _add(wix.studio, owner, member, pool)
    revision = first.balance.revision  # the panel's next form is rendered from Change Balance's answer
    second = adjust(
        get_client(), owner, AdjustmentRequest(member["id"], pool["id"], "add", Decimal(1), "again", new_key(), revision)
    )
    assert second.outcome == "applied", second.message
    assert Decimal(wix.studio.balance(pool["id"])["amount"]["available"]) == Decimal(7)


def test_without_the_token_the_sandbox_does_lag(lagging, owner):
    """The fault is real: a caller that drops the token reads the old balance (so the tests above mean something)."""
    wix, member, pool = lagging
    _add(wix.studio, owner, member, pool)
    blind = WixClient(settings.WIX_API_BASE_URL, current_auth(), timeout=2.0)
    blind.consistency.headers = dict  # sends no token
    try:
        assert blind.get_balance(pool["id"]).available == Decimal(5)
    finally:
        blind.close()
