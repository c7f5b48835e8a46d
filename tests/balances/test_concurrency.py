"""Many people at once on pages filtered by pool status: the shared call pool must never deadlock."""

from concurrent.futures import ThreadPoolExecutor, wait

from balances.credits import member_page
from balances.wix.connection import connection_fingerprint, current_auth, get_client


def test_many_status_pages_at_once_all_finish(db, wix):
    wix.faults.latency = 0.1
    client, key = get_client(), connection_fingerprint(current_auth())
    with ThreadPoolExecutor(max_workers=16) as people:
        pages = [people.submit(member_page, client, key, status="ACTIVE", limit=25) for _ in range(16)]
        done, not_done = wait(pages, timeout=20)
    assert not not_done, "status pages stuck waiting on the shared call pool"
    assert all(f.result().rows for f in done)
