"""Read-your-writes (issue 14): writes answer X-Wix-Consistent; with read_lag, reads see a write only when they
send that header back (as the official SDK does) or once the lag has passed."""

import time

from conftest import assert_wix_error

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID

BAL = f"/benefit-programs/v1/balances/{DEMO_POOL_ID}"
TXQ = "/benefit-programs/v1/transactions/query"


def _change(client, key, value="1"):
    body = {"poolId": DEMO_POOL_ID, "idempotencyKey": key, "type": "ADJUST", "adjustOptions": {"value": value}}
    return client.post(f"{BAL}/change", json=body)


def _reads(client, tx_id, headers=None):
    h = headers or {}
    one = client.get(BAL, headers=h).json()["balance"]["amount"]["available"]
    listed = client.get("/benefit-programs/v1/balances", params={"poolIds": DEMO_POOL_ID}, headers=h).json()["balances"]
    queried = client.post(
        "/benefit-programs/v1/balances/query", json={"query": {"filter": {"beneficiary.memberId": DEMO_MEMBER_ID}}}, headers=h
    ).json()["balances"]
    txs = client.post(TXQ, json={"query": {"filter": {"pool.id": DEMO_POOL_ID}, "cursorPaging": {"limit": 100}}}, headers=h)
    got = client.get(f"/benefit-programs/v1/transactions/{tx_id}", headers=h)
    return {
        "get": one,
        "list": listed[0]["amount"]["available"],
        "query": next(b for b in queried if b["id"] == DEMO_POOL_ID)["amount"]["available"],
        "in_query": tx_id in {t["id"] for t in txs.json()["transactions"]},
        "get_tx": got.status_code,
    }


def test_writes_answer_a_consistency_token_and_reads_are_current_by_default(client):
    r = _change(client, "c-1")
    assert r.status_code == 200 and r.headers["X-Wix-Consistent"]
    second = _change(client, "c-2")
    assert second.headers["X-Wix-Consistent"] != r.headers["X-Wix-Consistent"]
    assert "X-Wix-Consistent" not in client.get(BAL).headers  # reads carry none
    reads = _reads(client, second.json()["transactionId"])
    assert reads == {"get": "9", "list": "9", "query": "9", "in_query": True, "get_tx": 200}


def test_with_read_lag_only_the_token_shows_the_write_until_the_lag_passes(client, server):
    server.faults.update(read_lag=1.0)
    r = _change(client, "lag-1")
    token = r.headers["X-Wix-Consistent"]
    tx_id = r.json()["transactionId"]
    assert r.json()["balance"]["amount"]["available"] == "8"  # the write's own answer is current
    stale = _reads(client, tx_id)
    assert stale == {"get": "7", "list": "7", "query": "7", "in_query": False, "get_tx": 404}
    assert_wix_error(client.get(f"/benefit-programs/v1/transactions/{tx_id}"), 404, "TRANSACTION_NOT_FOUND")
    assert _reads(client, tx_id, {"X-Wix-Consistent": token}) == {
        "get": "8",
        "list": "8",
        "query": "8",
        "in_query": True,
        "get_tx": 200,
    }
    assert _reads(client, tx_id, {"X-Wix-Consistent": "garbage"})["get"] == "7"
    # A newer write's token covers the older one; an older token does not cover the newer write.
    newer = _change(client, "lag-2")
    assert _reads(client, tx_id, {"X-Wix-Consistent": token})["get"] == "8"
    assert _reads(client, tx_id, {"X-Wix-Consistent": newer.headers["X-Wix-Consistent"]})["get"] == "9"
    time.sleep(1.1)
    assert _reads(client, newer.json()["transactionId"]) == {"get": "9", "list": "9", "query": "9", "in_query": True, "get_tx": 200}


def test_revert_is_a_write_too(client, server):
    tx_id = _change(client, "rv-1").json()["transactionId"]
    server.faults.update(read_lag=5.0)
    r = client.post(f"/benefit-programs/v1/balances/changes/{tx_id}/revert", json={"transactionId": tx_id, "idempotencyKey": "x"})
    assert r.status_code == 200 and r.headers["X-Wix-Consistent"]
    assert client.get(BAL).json()["balance"]["amount"]["available"] == "8"
    assert (
        client.get(BAL, headers={"X-Wix-Consistent": r.headers["X-Wix-Consistent"]}).json()["balance"]["amount"]["available"] == "7"
    )
