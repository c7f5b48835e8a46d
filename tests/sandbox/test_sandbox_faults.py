import dataclasses
import json
import time

import httpx
import pytest
from conftest import AUTH, NO_TLS, assert_wix_error

from sandbox import DEMO_POOL_ID, SandboxServer, build_studio

Q = "/members/v1/members/query"
BAL = f"/benefit-programs/v1/balances/{DEMO_POOL_ID}"


def test_scripted_status_with_retry_after_seconds_and_date(client, server):
    server.faults.script("status", times=2, path_prefix="/benefit-programs", status=503, retry_after=2)
    assert client.post(Q, json={}).status_code == 200  # other prefix is untouched
    r = client.get(BAL)
    assert_wix_error(r, 503, "UNAVAILABLE")
    assert r.headers["retry-after"] == "2"
    assert client.get(BAL).status_code == 503
    assert client.get(BAL).status_code == 200  # consumed
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    server.faults.script("status", status=429, retry_after=date)
    r = client.get(BAL)
    assert_wix_error(r, 429)
    assert r.headers["retry-after"] == date
    faults = [rec.fault for rec in server.log.records() if rec.path == BAL]
    assert faults == ["status", "status", None, "status"]


def test_scripted_faults_match_in_order(client, server):
    server.faults.script("status", status=500)
    server.faults.script("status", status=502)
    assert client.get(BAL).status_code == 500
    assert client.get(BAL).status_code == 502
    assert client.get(BAL).status_code == 200
    assert server.faults.pending() == []


def test_timeout_fault(server):
    server.faults.script("timeout", hang=1.0)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=0.25, **NO_TLS) as c:
        t0 = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            c.get(BAL)
        assert time.perf_counter() - t0 < 0.9
        assert c.get(BAL).status_code == 200  # next call is fine


def test_malformed_fault(client, server):
    server.faults.script("malformed")
    r = client.get(BAL)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert server.log.records()[-1].fault == "malformed"


def test_truncated_fault(client, server):
    server.faults.script("truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(BAL)
    assert client.get(BAL).status_code == 200


def test_reset_fault(client, server):
    server.faults.script("reset")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        client.get(BAL)
    assert client.get(BAL).status_code == 200
    rec = [r for r in server.log.records() if r.fault == "reset"]
    assert len(rec) == 1 and rec[0].status == 0


def test_apply_then_fail_applies_the_change(client, server, studio):
    server.faults.script("apply_then_fail", path_prefix="/benefit-programs/v1/balances")
    assert client.get(BAL).status_code == 200  # reads skip apply_then_fail
    body = {"poolId": DEMO_POOL_ID, "idempotencyKey": "atf-1", "type": "ADJUST", "adjustOptions": {"value": "-1"}}
    r = client.post(f"{BAL}/change", json=body)
    assert_wix_error(r, 503)
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "6"  # applied anyway
    retry = client.post(f"{BAL}/change", json=body)
    assert_wix_error(retry, 409, "ALREADY_EXECUTED")
    assert studio.balance(DEMO_POOL_ID)["amount"]["available"] == "6"


def test_error_rate_is_seeded_and_logged(client, server):
    server.faults.error_rate = 0.5
    statuses = [client.get(BAL).status_code for _ in range(40)]
    assert 5 < statuses.count(503) < 35 and statuses.count(200) + statuses.count(503) == 40
    assert sum(r.fault == "error_rate" for r in server.log.records()) == statuses.count(503)
    server.faults.error_rate = 1.0
    server.faults.error_status = 500
    assert client.get(BAL).status_code == 500


def test_latency_overlaps_across_threads(server):
    server.faults.latency = 0.3
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5, **NO_TLS) as c:
        t0 = time.perf_counter()
        assert c.get(BAL).status_code == 200
        single = time.perf_counter() - t0
    assert single >= 0.3
    import concurrent.futures as cf

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(6) as ex:
        codes = list(ex.map(lambda _: httpx.get(server.url + BAL, headers=AUTH, timeout=5, **NO_TLS).status_code, range(6)))
    assert codes == [200] * 6 and time.perf_counter() - t0 < 1.2


def test_rate_limit_429_with_retry_after(client, server):
    server.faults.rate_limit_per_minute = 3
    assert [client.get(BAL).status_code for _ in range(3)] == [200, 200, 200]
    r = client.get(BAL)
    assert_wix_error(r, 429, "RESOURCE_EXHAUSTED")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert server.log.records()[-1].fault == "rate_limit"
    # unauthenticated calls do not spend the budget but are still rejected by auth first
    assert httpx.get(server.url + BAL).status_code == 401
    server.faults.reset()
    assert client.get(BAL).status_code == 200


def test_request_log_contents_and_no_secrets(client, server):
    server.log.clear()
    client.post(Q, json={"query": {"paging": {"limit": 2}}}, params={"x": "1"})
    client.get(BAL)
    client.get("/_sandbox/health")
    recs = server.log.records()
    assert [(r.method, r.path, r.status) for r in recs] == [("POST", Q, 200), ("GET", BAL, 200)]
    assert recs[0].query == "x=1" and recs[0].body == {"query": {"paging": {"limit": 2}}}
    assert recs[1].body is None and recs[1].duration_ms >= 0 and recs[1].started > 1e9
    assert server.log.count("/benefit-programs") == 1 and server.log.count(method="POST") == 1
    from sandbox import credentials

    assert credentials.API_KEY not in repr(recs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recs[0].status = 500


def test_control_endpoints(server, client):
    client.get(BAL)
    with httpx.Client(base_url=server.url, timeout=5, **NO_TLS) as c:
        assert c.get("/_sandbox/health").json() == {"ok": True, "members": 300}
        reqs = c.get("/_sandbox/requests").json()["requests"]
        assert [r["path"] for r in reqs] == [BAL]
        r = c.post(
            "/_sandbox/faults", json={"latency": 0.01, "rate_limit_per_minute": 100, "script": [{"kind": "status", "status": 502}]}
        )
        assert r.status_code == 200 and r.json()["latency"] == 0.01 and len(r.json()["script"]) == 1
        assert server.faults.rate_limit_per_minute == 100
        assert client.get(BAL).status_code == 502
        assert c.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
        assert c.post("/_sandbox/faults", json={"reset": True}).json()["rate_limit_per_minute"] is None
        assert c.post("/_sandbox/requests/clear").json() == {"ok": True}
        assert c.get("/_sandbox/requests").json()["requests"] == []
    assert server.log.count() == 0


def test_stop_is_fast_with_a_hung_handler():
    srv = SandboxServer(build_studio(20), port=0).start()
    srv.faults.script("timeout", hang=30)
    with httpx.Client(base_url=srv.url, headers=AUTH, timeout=0.2, **NO_TLS) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get(BAL)
    t0 = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - t0 < 2
    with pytest.raises(httpx.TransportError):
        httpx.get(srv.url + "/_sandbox/health", timeout=0.5)


def test_context_manager_and_loopback_only():
    with SandboxServer(build_studio(50)) as s:
        assert s.url.startswith("http://127.0.0.1:")
        assert httpx.get(s.url + "/_sandbox/health").json()["members"] == 50
    with pytest.raises(ValueError):
        SandboxServer(build_studio(5), host="0.0.0.0")


def test_gather_holds_calls_sent_side_by_side_until_all_have_arrived(server):
    """Side-by-side calls overlap in the log whatever the load (the benchmark counts round trips from it)."""
    import concurrent.futures as cf

    server.faults.script("gather", times=2, hang=30)
    with cf.ThreadPoolExecutor(1) as ex:
        first = ex.submit(lambda: httpx.get(server.url + BAL, headers=AUTH, timeout=60, **NO_TLS))
        deadline = time.monotonic() + 30
        while not [r for r in server.log.records() if r.status == 0] and time.monotonic() < deadline:
            time.sleep(0.01)
        held = server.log.records()
        assert [(r.status, r.fault) for r in held] == [(0, "gather")]  # logged as held, like a hanging call
        assert not first.done()  # and held until the second arrives
        second = httpx.get(server.url + BAL, headers=AUTH, timeout=60, **NO_TLS)
        assert second.status_code == 200 and first.result().status_code == 200
    a, b = sorted(server.log.records(), key=lambda r: r.started)
    assert (a.fault, b.fault) == ("gather", "gather") and (a.status, b.status) == (200, 200)
    assert b.started <= a.started + a.duration_ms / 1000  # the first ended only after the second arrived
    assert server.faults.pending() == []


def test_a_gathered_call_left_alone_is_served_after_hang(client, server):
    server.faults.script("gather", times=2, hang=0.2)
    assert client.get(BAL).status_code == 200  # nobody came: served alone
    assert server.log.records()[-1].duration_ms >= 200
    server.faults.reset()
    assert server.faults.pending() == []
