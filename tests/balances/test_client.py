import pytest

from balances.wix.auth import ApiKeyAuth, AppAuth
from balances.wix.client import WixClient
from balances.wix.errors import WixAuthError, WixBadRequest, WixNotFound, WixPermissionError
from sandbox import credentials as sc
from tests.helpers import wix_calls


def api_client(server, key=sc.API_KEY, site=sc.SITE_ID):
    return WixClient(server.url, ApiKeyAuth(key, site), timeout=2)


def test_it_counts_members_with_an_api_key(sandbox):
    assert api_client(sandbox).count_members() == len(sandbox.studio.members)
    call = wix_calls(sandbox)[-1]
    assert (call.method, call.path, call.status) == ("POST", "/members/v1/members/query", 200)


def test_it_reports_a_wrong_key_and_a_wrong_site(sandbox):
    with pytest.raises(WixAuthError) as wrong_key:
        api_client(sandbox, key="IST.not-a-real-key").count_members()
    assert "API key" in wrong_key.value.message
    with pytest.raises(WixPermissionError) as wrong_site:
        api_client(sandbox, site="00000000-0000-4000-8000-000000000000").count_members()
    assert "site ID" in wrong_site.value.message


@pytest.mark.django_db
def test_app_auth_fetches_one_token_and_reuses_it(sandbox):
    client = WixClient(sandbox.url, AppAuth(sc.APP_ID, sc.APP_SECRET, sc.INSTANCE_ID), timeout=2)
    client.count_members()
    client.count_members()
    assert len(wix_calls(sandbox, "/oauth2/token")) == 1
    assert len(wix_calls(sandbox, "/members/")) == 2


@pytest.mark.django_db
def test_app_auth_refreshes_a_token_wix_no_longer_accepts(sandbox):
    client = WixClient(sandbox.url, AppAuth(sc.APP_ID, sc.APP_SECRET, sc.INSTANCE_ID), timeout=2)
    sandbox.faults.token_ttl = 1
    client.count_members()
    import time

    time.sleep(1.2)
    assert client.count_members() == len(sandbox.studio.members)
    assert len(wix_calls(sandbox, "/oauth2/token")) == 2


@pytest.mark.django_db
def test_app_auth_reports_wrong_app_credentials(sandbox):
    client = WixClient(sandbox.url, AppAuth(sc.APP_ID, "wrong-secret", sc.INSTANCE_ID), timeout=2)
    with pytest.raises(WixAuthError) as error:
        client.count_members()
    assert "app secret" in error.value.message


def test_it_pages_pools_through_cursors(sandbox):
    client = api_client(sandbox)
    everything = list(client.iterate(client.query_pools, filter={"status": "ACTIVE"}, limit=10))
    expected = [p for m in sandbox.studio.members for p in sandbox.studio.pools_for(m["id"]) if p["status"] == "ACTIVE"]
    assert len(everything) == len(expected) > 30
    assert len({p.id for p in everything}) == len(everything)
    assert len(wix_calls(sandbox, "/benefit-programs/v1/pools/query")) >= 4


def test_a_garbage_cursor_is_a_bad_request(sandbox):
    client = api_client(sandbox)
    with pytest.raises(WixBadRequest):
        client.query_pools(cursor="definitely-not-a-cursor")


def test_an_unknown_balance_is_not_found(sandbox):
    with pytest.raises(WixNotFound):
        api_client(sandbox).get_balance("0b7e2a51-93c4-4d8e-a1f6-7c2d9e4b5a38")


def test_client_repr_hides_credentials(sandbox):
    client = api_client(sandbox)
    assert sc.API_KEY not in repr(client) and sc.API_KEY not in repr(client.auth)
