"""Change Balance's lost and ambiguous answers, settable per test (issue 13): every 409 code, ALREADY_EXECUTED
without data, apply-then-timeout and apply-then-503 — each checked against the ledger."""

import time

import httpx
import pytest
from conftest import AUTH, NO_TLS, assert_wix_error

from sandbox import DEMO_POOL_ID

BAL = f"/benefit-programs/v1/balances/{DEMO_POOL_ID}"
CHANGE = f"{BAL}/change"


def _body(key, value="1"):
    return {"poolId": DEMO_POOL_ID, "idempotencyKey": key, "type": "ADJUST", "adjustOptions": {"value": value}}


def _available(studio):
    return studio.balance(DEMO_POOL_ID)["amount"]["available"]


def _keyed(studio, key):
    return [t for t in studio.transactions_for(DEMO_POOL_ID) if t.get("idempotencyKey") == key]


@pytest.mark.parametrize(
    "code, data",
    [
        ("ABORTED", {}),
        ("BALANCE_ALREADY_INITIALIZED", {}),
        ("TRANSACTION_ALREADY_SUPERSEDED", {"supersededTransactionId": "0b9c7a3e-1f2d-4c5b-8a6e-9d0f1e2a3b4c"}),
        ("ALREADY_EXECUTED", {}),
    ],
)
def test_scripted_409_codes_answer_wix_application_errors_and_apply_nothing(client, server, studio, code, data):
    server.faults.script("status", status=409, code=code, data=data or None, path_prefix=CHANGE)
    before = _available(studio)
    r = client.post(CHANGE, json=_body(f"k-{code}"))
    body = assert_wix_error(r, 409, code)
    app = body["details"]["applicationError"]
    assert set(body) == {"message", "details"} and set(body["details"]) == {"applicationError"}
    assert (
        app["code"] == code
        and app["data"] == data
        and app["description"].startswith(code)
        and body["message"] == app["description"]
    )
    assert _available(studio) == before and _keyed(studio, f"k-{code}") == []
    # The fault was one-shot: the same key now applies (nothing had been applied before).
    assert client.post(CHANGE, json=_body(f"k-{code}")).status_code == 200
    assert len(_keyed(studio, f"k-{code}")) == 1
    assert [r.fault for r in server.log.records() if r.path == CHANGE] == ["status", None]


def test_the_faults_control_api_takes_a_code(server, client):
    r = httpx.post(
        server.url + "/_sandbox/faults", json={"script": [{"kind": "status", "status": 409, "code": "ABORTED"}]}, **NO_TLS
    )
    assert r.json()["script"][0]["code"] == "ABORTED"
    assert_wix_error(client.post(CHANGE, json=_body("via-control")), 409, "ABORTED")


def test_already_executed_without_data(client, server, studio):
    server.faults.update(idempotency_mode="conflict_no_data")
    first = client.post(CHANGE, json=_body("nd-1"))
    assert first.status_code == 200
    again = client.post(CHANGE, json=_body("nd-1"))
    body = assert_wix_error(again, 409, "ALREADY_EXECUTED")
    assert body["details"]["applicationError"]["data"] == {}
    assert len(_keyed(studio, "nd-1")) == 1
    server.faults.update(idempotency_mode="conflict")  # the default keeps the data
    data = assert_wix_error(client.post(CHANGE, json=_body("nd-1")), 409)["details"]["applicationError"]["data"]
    assert data["transactionId"] == first.json()["transactionId"]


def test_apply_then_timeout_applies_at_once_and_answers_after_the_client_gave_up(server, studio):
    before = int(_available(studio))
    server.faults.script("apply_then_timeout", hang=1.5, path_prefix=CHANGE)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=0.3, **NO_TLS) as c:
        assert c.get(BAL).status_code == 200  # reads skip it
        t0 = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            c.post(CHANGE, json=_body("att-1"))
        assert time.perf_counter() - t0 < 1.0
        assert int(_available(studio)) == before + 1 and len(_keyed(studio, "att-1")) == 1
        retry = c.post(CHANGE, json=_body("att-1"))
    assert_wix_error(retry, 409, "ALREADY_EXECUTED")
    assert int(_available(studio)) == before + 1 and len(_keyed(studio, "att-1")) == 1
    rec = [r for r in server.log.records() if r.path == CHANGE]
    assert rec[0].fault == "apply_then_timeout"


def test_apply_then_timeout_can_apply_late(server, studio):
    """A write slower than the client's timeout that Wix applies late: a read right after the timeout still sees
    the old balance; the change lands ``apply_after`` seconds in."""
    before = int(_available(studio))
    server.faults.script("apply_then_timeout", hang=2.0, apply_after=0.8, path_prefix=CHANGE)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=0.3, **NO_TLS) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post(CHANGE, json=_body("late-1"))
        assert int(c.get(BAL).json()["balance"]["amount"]["available"]) == before  # not yet
        deadline = time.monotonic() + 3
        while int(_available(studio)) == before and time.monotonic() < deadline:
            time.sleep(0.05)
    assert int(_available(studio)) == before + 1 and len(_keyed(studio, "late-1")) == 1


def test_apply_then_503_applies_then_answers_a_system_error(client, server, studio):
    before = int(_available(studio))
    server.faults.script("apply_then_fail", path_prefix=CHANGE)
    body = assert_wix_error(client.post(CHANGE, json=_body("a503")), 503, "UNAVAILABLE")
    assert set(body["details"]) == {"systemError"}
    assert int(_available(studio)) == before + 1 and len(_keyed(studio, "a503")) == 1


def test_apply_then_409_aborted_applies_but_answers_aborted(client, server, studio):
    before = int(_available(studio))
    server.faults.script("apply_then_fail", status=409, code="ABORTED", path_prefix=CHANGE)
    assert_wix_error(client.post(CHANGE, json=_body("a409")), 409, "ABORTED")
    assert int(_available(studio)) == before + 1 and len(_keyed(studio, "a409")) == 1


def test_bad_scripts_are_refused(server):
    with pytest.raises(ValueError):
        server.faults.script("apply_then_timeout", hang=1, apply_after=2)
    with pytest.raises(ValueError):
        server.faults.script("status", status=409, code="ABORTED", data=["x"])
