from decimal import Decimal

from conftest import assert_wix_error

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID
from sandbox.api import signed_total

CHANGE = f"/benefit-programs/v1/balances/{DEMO_POOL_ID}/change"


def _adjust(client, value, key, reason="Manual correction", pool=DEMO_POOL_ID):
    return client.post(
        f"/benefit-programs/v1/balances/{pool}/change",
        json={
            "poolId": pool,
            "idempotencyKey": key,
            "type": "ADJUST",
            "adjustOptions": {"value": value},
            "instructingParty": {"wixUserId": "2f6c1e9a-8b4d-4a7e-9c3f-1d5b7e9a2c4f"},
            "transactionDetails": {"reason": reason},
        },
    )


def test_adjust_moves_balance_and_creates_transaction(client, server, studio):
    server.faults.update(keep_read_only_fields=True)
    before = dict(studio.balance(DEMO_POOL_ID))
    r = _adjust(client, "-2", "k-1", "Late cancellation fee")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["balance"]["amount"] == {"available": "5", "reserved": "1"}
    assert int(body["balance"]["revision"]) == int(before["revision"]) + 1
    assert body["balance"]["updatedDate"] > before["updatedDate"]
    assert body["balance"]["lastTransactionId"] == body["transactionId"]
    tx = client.get(f"/benefit-programs/v1/transactions/{body['transactionId']}").json()["transaction"]
    assert (tx["amount"], tx["source"], tx["target"], tx["status"]) == ("2", "AVAILABLE", "EXTERNAL", "COMPLETED")
    assert tx["details"]["reason"] == "Late cancellation fee" and tx["idempotencyKey"] == "k-1"
    assert tx["instructingParty"] == {"wixUserId": "2f6c1e9a-8b4d-4a7e-9c3f-1d5b7e9a2c4f"}
    assert tx["beneficiary"] == {"memberId": DEMO_MEMBER_ID} and tx["pool"]["id"] == DEMO_POOL_ID
    r = _adjust(client, "1.5", "k-2")
    tx2 = studio.transactions_for(DEMO_POOL_ID)[-1]
    assert r.json()["balance"]["amount"]["available"] == "6.5"
    assert (tx2["amount"], tx2["source"], tx2["target"]) == ("1.5", "EXTERNAL", "AVAILABLE")
    total = signed_total(studio.transactions_for(DEMO_POOL_ID))
    assert total == {"available": Decimal("6.5"), "reserved": Decimal(1)}
    assert client.get(f"/benefit-programs/v1/balances/{DEMO_POOL_ID}").json()["balance"]["amount"]["available"] == "6.5"


def test_set_and_set_to_same_value(client, studio):
    r = client.post(CHANGE, json={"poolId": DEMO_POOL_ID, "idempotencyKey": "s-1", "type": "SET", "setOptions": {"value": "10"}})
    body = r.json()
    assert body["balance"]["amount"]["available"] == "10" and body["transactionId"]
    tx = studio.transactions_for(DEMO_POOL_ID)[-1]
    assert (tx["amount"], tx["target"]) == ("3", "AVAILABLE")
    rev = body["balance"]["revision"]
    n = len(studio.transactions_for(DEMO_POOL_ID))
    r = client.post(CHANGE, json={"poolId": DEMO_POOL_ID, "idempotencyKey": "s-2", "type": "SET", "setOptions": {"value": "10"}})
    assert r.status_code == 200 and "transactionId" not in r.json()
    assert r.json()["balance"]["revision"] == rev and len(studio.transactions_for(DEMO_POOL_ID)) == n


def test_validation_and_not_found(client):
    r = client.post(CHANGE, json={"poolId": DEMO_POOL_ID, "type": "ADJUST", "adjustOptions": {"value": "1"}})
    body = assert_wix_error(r, 400, "REQUIRED_FIELD")
    assert body["details"]["validationError"]["fieldViolations"][0]["field"] == "idempotencyKey"
    r = client.post(CHANGE, json={"idempotencyKey": "v-1", "type": "ADJUST", "adjustOptions": {"value": "abc"}})
    assert_wix_error(r, 400)
    unknown = "00000000-0000-4000-8000-000000000000"
    r = _adjust(client, "1", "v-2", pool=unknown)
    assert_wix_error(r, 404, "POOL_NOT_FOUND")


def test_negative_is_428_unless_allowed(client, server, studio):
    r = _adjust(client, "-8", "n-1")
    body = assert_wix_error(r, 428, "BALANCE_EXCEEDED_LIMITS")
    assert body["details"]["applicationError"]["data"]["balance"] == {"available": "7", "reserved": "1"}
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "7"
    server.faults.allow_negative = True
    r = _adjust(client, "-8", "n-2")
    assert r.status_code == 200 and r.json()["balance"]["amount"]["available"] == "-1"


def test_idempotency_conflict_mode(client, studio):
    first = _adjust(client, "-1", "same-key").json()
    r = _adjust(client, "-1", "same-key")
    body = assert_wix_error(r, 409, "ALREADY_EXECUTED")
    assert body["details"]["applicationError"]["data"]["transactionId"] == first["transactionId"]
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "6"


def test_idempotency_replay_mode(client, server, studio):
    server.faults.idempotency_mode = "replay"
    first = _adjust(client, "-1", "replay-key")
    again = _adjust(client, "-1", "replay-key")
    assert again.status_code == 200 and again.json() == first.json()
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "6"


def test_revert_once_then_428(client, studio):
    tid = _adjust(client, "-3", "r-1").json()["transactionId"]
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "4"
    path = f"/benefit-programs/v1/balances/changes/{tid}/revert"
    r = client.post(path, json={"transactionId": tid, "idempotencyKey": "rv-1"})
    assert r.status_code == 200, r.text
    rev_id = r.json()["transactionId"]
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "7"
    rtx = client.get(f"/benefit-programs/v1/transactions/{rev_id}").json()["transaction"]
    assert rtx["relatedTransactionId"] == tid and (rtx["source"], rtx["target"], rtx["amount"]) == ("EXTERNAL", "AVAILABLE", "3")
    r = client.post(path, json={"transactionId": tid, "idempotencyKey": "rv-2"})
    body = assert_wix_error(r, 428, "CHANGE_ALREADY_REVERTED")
    assert body["details"]["applicationError"]["data"] == {"originalTransactionId": tid, "revertedTransactionId": rev_id}
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_wix_error(client.post(f"/benefit-programs/v1/balances/changes/{unknown}/revert", json={}), 404, "TRANSACTION_NOT_FOUND")


def test_revert_that_would_go_negative_is_428(client, studio):
    tid = _adjust(client, "5", "up-5").json()["transactionId"]  # 7 -> 12
    _adjust(client, "-10", "down-10")  # 12 -> 2
    r = client.post(f"/benefit-programs/v1/balances/changes/{tid}/revert", json={"idempotencyKey": "x"})
    assert_wix_error(r, 428, "NOT_ENOUGH_BALANCE")
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "2"


def test_revert_a_seeded_redemption(client, studio):
    seeded = [t for t in studio.transactions_for(DEMO_POOL_ID) if t["details"].get("reason") == "Redemption"]
    assert seeded
    r = client.post(f"/benefit-programs/v1/balances/changes/{seeded[0]['id']}/revert", json={"idempotencyKey": "x"})
    assert r.status_code == 200 and studio.balance(DEMO_POOL_ID)["amount"]["available"] == "8"


def test_read_only_details_are_dropped_by_default_and_instructing_party_is_switchable(client, server, studio):
    body = {
        "poolId": DEMO_POOL_ID,
        "idempotencyKey": "ro-1",
        "type": "ADJUST",
        "adjustOptions": {"value": "1"},
        "instructingParty": {"wixUserId": "2f6c1e9a-8b4d-4a7e-9c3f-1d5b7e9a2c4f"},
        "transactionDetails": {
            "reason": "Goodwill",
            "effectiveDate": "2020-01-01T00:00:00.000Z",
            "item": {"externalId": "x", "displayName": "Yoga"},
            "itemCount": 1,
            "benefitKey": "classes",
        },
    }
    r = client.post(CHANGE, json=body)
    assert r.status_code == 200, r.text
    tx = client.get(f"/benefit-programs/v1/transactions/{r.json()['transactionId']}").json()["transaction"]
    assert "reason" not in tx["details"] and "item" not in tx["details"]
    assert tx["details"]["effectiveDate"] > "2026-01-01" and tx["details"]["itemCount"] == 1
    assert tx["details"]["benefitKey"] == "classes" and tx["idempotencyKey"] == "ro-1"
    assert tx["instructingParty"] == {"wixUserId": "2f6c1e9a-8b4d-4a7e-9c3f-1d5b7e9a2c4f"}

    server.faults.update(keep_read_only_fields=True, instructing_party="absent")
    r = client.post(CHANGE, json={**body, "idempotencyKey": "ro-2"})
    tx = client.get(f"/benefit-programs/v1/transactions/{r.json()['transactionId']}").json()["transaction"]
    assert tx["details"]["reason"] == "Goodwill" and tx["details"]["effectiveDate"] == "2020-01-01T00:00:00.000Z"
    assert tx["details"]["item"] == {"externalId": "x", "displayName": "Yoga"} and "instructingParty" not in tx
    revert = client.post(f"/benefit-programs/v1/balances/changes/{tx['id']}/revert", json={**body, "transactionId": tx["id"]})
    rtx = client.get(f"/benefit-programs/v1/transactions/{revert.json()['transactionId']}").json()["transaction"]
    assert "instructingParty" not in rtx
