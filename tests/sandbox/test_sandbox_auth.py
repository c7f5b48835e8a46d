import time

import httpx
from conftest import AUTH, assert_wix_error

from sandbox import credentials

MEMBERS_QUERY = "/members/v1/members/query"


def test_missing_authorization_is_401(anon):
    r = anon.post(MEMBERS_QUERY, json={}, headers={"wix-site-id": credentials.SITE_ID})
    assert_wix_error(r, 401, "UNAUTHENTICATED")


def test_unknown_key_is_401(anon):
    r = anon.post(MEMBERS_QUERY, json={}, headers={"Authorization": "IST.nope", "wix-site-id": credentials.SITE_ID})
    assert_wix_error(r, 401, "UNAUTHENTICATED")


def test_valid_key_wrong_or_missing_site_is_403(anon):
    r = anon.post(
        MEMBERS_QUERY,
        json={},
        headers={"Authorization": credentials.API_KEY, "wix-site-id": "11111111-2222-4333-8444-555555555555"},
    )
    body = assert_wix_error(r, 403, "PERMISSION_DENIED")
    assert "wix-site-id" in body["message"] and "wrong" in body["message"]
    r = anon.post(MEMBERS_QUERY, json={}, headers={"Authorization": credentials.API_KEY})
    body = assert_wix_error(r, 403, "PERMISSION_DENIED")
    assert "missing" in body["message"]


def test_api_key_with_site_header_works(client):
    r = client.post(MEMBERS_QUERY, json={"query": {"paging": {"limit": 1}}})
    assert r.status_code == 200
    assert r.headers["x-wix-request-id"]


def _token(anon, **override):
    body = {
        "grant_type": "client_credentials",
        "client_id": credentials.APP_ID,
        "client_secret": credentials.APP_SECRET,
        "instance_id": credentials.INSTANCE_ID,
        **override,
    }
    return anon.post("/oauth2/token", json=body)


def test_oauth_token_flow_raw_and_bearer(anon, server):
    r = _token(anon)
    assert r.status_code == 200
    body = r.json()
    assert body["access_token"].startswith("OauthNG.JWS.")
    assert body["token_type"] == "Bearer" and body["expires_in"] == 14400
    token = body["access_token"]
    for value in (token, f"Bearer {token}"):
        r = anon.post(MEMBERS_QUERY, json={"query": {"paging": {"limit": 2}}}, headers={"Authorization": value})
        assert r.status_code == 200, r.text
        assert len(r.json()["members"]) == 2
    # the token call is logged, without the secret
    rec = [x for x in server.log.records() if x.path == "/oauth2/token"][0]
    assert rec.status == 200 and rec.body["client_secret"] == "***"
    assert credentials.APP_SECRET not in repr(server.log.records())


def test_oauth_bad_client_secret_instance(anon):
    r = _token(anon, client_secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = _token(anon, client_id="ffffffff-ffff-4fff-8fff-ffffffffffff")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = _token(anon, instance_id="ffffffff-ffff-4fff-8fff-ffffffffffff")
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"
    assert "error_description" in r.json()


def test_oauth_token_expires(anon, server):
    server.faults.token_ttl = 0.3
    r = _token(anon)
    assert r.json()["expires_in"] == 0.3
    token = r.json()["access_token"]
    assert anon.post(MEMBERS_QUERY, json={}, headers={"Authorization": token}).status_code == 200
    time.sleep(0.4)
    r = anon.post(MEMBERS_QUERY, json={}, headers={"Authorization": token})
    body = assert_wix_error(r, 401, "UNAUTHENTICATED")
    assert "expired" in body["message"]


def test_readonly_key_reads_but_cannot_change(anon, studio):
    h = {"Authorization": credentials.READONLY_API_KEY, "wix-site-id": credentials.SITE_ID}
    pool_id = studio.pools_for(studio.members[0]["id"])[1]["id"]
    assert anon.get(f"/benefit-programs/v1/balances/{pool_id}", headers=h).status_code == 200
    r = anon.post(
        f"/benefit-programs/v1/balances/{pool_id}/change",
        headers=h,
        json={"poolId": pool_id, "idempotencyKey": "ro-1", "type": "ADJUST", "adjustOptions": {"value": "1"}},
    )
    assert_wix_error(r, 403, "PERMISSION_DENIED")
    assert studio.balance(pool_id)["amount"]["available"] == "7"
    tx = studio.transactions_for(pool_id)[-1]["id"]
    r = anon.post(f"/benefit-programs/v1/balances/changes/{tx}/revert", headers=h, json={"transactionId": tx})
    assert_wix_error(r, 403, "PERMISSION_DENIED")


def test_ai_credits_accepts_account_header(anon, studio):
    path = "/appmarket/credittransactions/v1/credit-transactions/balance"
    r = anon.post(path, json={}, headers={"Authorization": credentials.API_KEY, "wix-account-id": credentials.ACCOUNT_ID})
    assert r.status_code == 200
    r2 = anon.post(path, json={}, headers=AUTH)
    assert r2.status_code == 200 and r2.json() == r.json()
    r3 = anon.post(path, json={}, headers={"Authorization": credentials.API_KEY})
    assert_wix_error(r3, 403, "PERMISSION_DENIED")


def test_every_response_has_request_id(client):
    for r in (client.get("/no/such/path"), client.post(MEMBERS_QUERY, json={})):
        assert r.headers.get("x-wix-request-id")


def test_unknown_path_404_and_wrong_method_405(client):
    assert_wix_error(client.get("/benefit-programs/v1/nothing"), 404)
    r = client.get("/benefit-programs/v1/balances/query")
    assert_wix_error(r, 405)
    assert "POST" in r.headers["allow"]
    assert isinstance(httpx, object)


def test_bearer_before_an_api_key_is_refused_unless_switched_on(server, anon):
    headers = {"Authorization": f"Bearer {credentials.API_KEY}", "wix-site-id": credentials.SITE_ID}
    r = anon.post("/members/v1/members/query", json={}, headers=headers)
    body = assert_wix_error(r, 401, "UNAUTHENTICATED")
    assert "without 'Bearer'" in body["message"]
    server.faults.update(bearer_api_key=True)
    assert anon.post("/members/v1/members/query", json={}, headers=headers).status_code == 200
