"""The benchmark's own arithmetic: round trips, percentiles, rate windows, per-item calls."""

from bench.measure import max_in_window, p95, per_item_calls, round_trips
from sandbox import RequestRecord


def call(path, started, ms=50.0, method="POST"):
    return RequestRecord(method, path, "", 200, started, ms, None, None)


def test_overlapping_calls_are_one_round_trip_and_sequential_ones_are_not():
    members = call("/members/v1/members/query", 100.0)
    balances = call("/benefit-programs/v1/balances/query", 100.06)
    pools = call("/benefit-programs/v1/pools/query", 100.061, ms=80)
    assert round_trips([members, balances, pools]) == 2
    assert round_trips([balances, members]) == 2
    assert round_trips([call("/a", 1.0), call("/b", 1.01), call("/c", 1.02)]) == 1
    assert round_trips([]) == 0


def test_p95_is_an_observed_value():
    assert p95(list(range(1, 101))) == 95
    assert p95([3.0]) == 3.0
    assert p95([5, 1, 9, 7]) == 9


def test_max_in_window_counts_what_a_sliding_rate_limit_counts():
    calls = [call("/x", t) for t in (0, 10, 59.9, 60, 61, 130)]
    assert max_in_window(calls, 60) == 4  # 10, 59.9, 60, 61
    assert max_in_window([], 60) == 0


def test_single_record_reads_are_per_item_calls_and_queries_are_not():
    calls = [
        call("/members/v1/members/query", 0),
        call("/benefit-programs/v1/balances/query", 0),
        call("/benefit-programs/v1/balances/5b1c8d2e-0f44-4b6e-9a51-2d7e0c3f9a10", 0, method="GET"),
        call("/members/v1/members/c0a9e6b4-7d3f-4a8e-b1f2-9e8d7c6b5a41", 0, method="GET"),
    ]
    assert per_item_calls(calls) == [
        "GET /benefit-programs/v1/balances/5b1c8d2e-0f44-4b6e-9a51-2d7e0c3f9a10",
        "GET /members/v1/members/c0a9e6b4-7d3f-4a8e-b1f2-9e8d7c6b5a41",
    ]


def test_gathered_side_by_side_calls_are_one_round_trip_however_late_one_of_them_starts():
    """What the page checks count on: with each group gathered by the sandbox, a sibling call whose thread was
    descheduled (started long after the other finished its work) still overlaps it in the log."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from sandbox import SandboxServer, build_studio
    from sandbox import credentials as sc

    server = SandboxServer(build_studio(members=5, seed=1), host="127.0.0.1", port=0).start()
    auth = {"Authorization": sc.API_KEY, "wix-site-id": sc.SITE_ID}

    def query():
        assert httpx.post(server.url + "/members/v1/members/query", json={}, headers=auth, timeout=60).status_code == 200

    try:
        server.faults.script("gather", times=1)
        server.faults.script("gather", times=2)
        query()  # the first group: one call
        with ThreadPoolExecutor(2) as pool:  # the second: two calls sent side by side, one of them late
            first = pool.submit(query)
            time.sleep(0.3)
            second = pool.submit(query)
            first.result(), second.result()
        assert round_trips(server.log.records()) == 2
        assert server.faults.pending() == []
    finally:
        server.stop()
