"""The change feed in the REAL worker process: killed with SIGKILL in the middle of a poll (after reading the
new transactions, while re-reading the balances) and started again, it loses nothing and doubles nothing —
the watermark moves only in the database transaction that applies the state."""

import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import pytest

from sandbox import SandboxServer, build_studio
from sandbox import credentials as sandbox_credentials
from tests.balances.test_tasks import ROOT, _env, _stop, _wait_for, worker_db  # noqa: F401, F811  (worker_db is a fixture)


@pytest.fixture
def feed_sandbox():
    server = SandboxServer(build_studio(members=80, seed=13), host="127.0.0.1", port=0).start()
    yield server
    server.stop()


def _feed_env(db_url, tmp_path, server):
    return _env(
        db_url,
        tmp_path / "effects",
        WIX_API_BASE_URL=server.url,
        WIX_API_KEY=sandbox_credentials.API_KEY,
        WIX_SITE_ID=sandbox_credentials.SITE_ID,
        WIX_CALLS_PER_MINUTE="100000",
        WIX_TIMEOUT_SECONDS="10",
        FEED_POLL_SECONDS="1",
        FEED_SWEEP_SECONDS="3600",
    )


def _worker(env, worker_id):
    cmd = [sys.executable, "manage.py", "worker", "--tick", "0.2", "--worker-id", worker_id]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _drain_some(studio, count, skip=()):
    """Take one credit from `count` ACTIVE pools holding at least 2: (pool id, transaction id) each."""
    done = []
    for pool in studio.pools:
        balance = studio.balance(pool["id"])
        if pool["id"] in skip or pool["status"] != "ACTIVE" or balance is None:
            continue
        if Decimal(balance["amount"]["available"]) < 2:
            continue
        answer = studio.change_balance(pool["id"], op="ADJUST", value=Decimal(-1), idempotency_key=f"t-{uuid.uuid4()}")
        done.append((pool["id"], answer["transactionId"]))
        if len(done) == count:
            return done
    raise AssertionError("not enough pools to change")


def test_a_worker_killed_mid_poll_loses_and_doubles_nothing(worker_db, tmp_path, feed_sandbox):  # noqa: F811
    db_url, query = worker_db
    for table in ("balances_feedevent", "balances_poolstate", "balances_feedstate", "jobs_joblease", "jobs_jobrun"):
        query(f"DELETE FROM {table}")
    env = _feed_env(db_url, tmp_path, feed_sandbox)
    seed = (
        "from balances import feed; from balances.wix.connection import *; "
        "feed.rebuild(get_client(), connection_fingerprint(current_auth()))"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", seed], env=env, cwd=ROOT, check=True, capture_output=True)
    [(watermark_before,)] = query("SELECT watermark FROM balances_feedstate")
    studio = feed_sandbox.studio
    before = _drain_some(studio, 5)

    feed_sandbox.faults.update(latency=1.5)  # every call takes 1.5 s: the kill lands inside the poll
    feed_sandbox.log.clear()
    first = _worker(env, "feed-a")
    try:
        _wait_for(
            lambda: any(r.path.endswith("/transactions/query") for r in feed_sandbox.log.records()), 30, "the poll's first call"
        )
        time.sleep(0.5)  # its List Balances call is in flight now
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    assert query("SELECT COUNT(*) FROM balances_feedevent") == [(0,)]  # nothing of the poll was committed…
    assert query("SELECT watermark FROM balances_feedstate") == [(watermark_before,)]  # …and the watermark stayed

    after = _drain_some(studio, 3, skip={pool for pool, _ in before})
    feed_sandbox.faults.update(latency=0.0)
    second = _worker(env, "feed-b")
    try:
        _wait_for(lambda: query("SELECT COUNT(*) FROM balances_feedevent") == [(8,)], 60, "all eight transactions applied")
        time.sleep(3)  # several more polls read the same overlap window again
    finally:
        output = _stop(second)
    events = query("SELECT transaction_id, pool_id FROM balances_feedevent")
    assert sorted(events) == sorted((tx, pool) for pool, tx in before + after), output  # each once, none lost
    for pool_id, _ in before + after:
        [(available,)] = query(f"SELECT available FROM balances_poolstate WHERE pool_id = '{pool_id}'")
        assert Decimal(str(available)) == Decimal(studio.balance(pool_id)["amount"]["available"])
    [(watermark_after,)] = query("SELECT watermark FROM balances_feedstate")
    assert str(watermark_after) > str(watermark_before)
