"""The official Wix JavaScript SDK, unchanged, works against the sandbox (it is faithful on the wire)."""

import copy
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox import credentials as sc

SDK_DIR = Path(__file__).resolve().parent.parent / "sdk"


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    assert path, "Node.js is needed for this test (make test installs it with the SDK)"
    assert (SDK_DIR / "node_modules" / "@wix" / "sdk").is_dir(), "run `make test` to install tests/sdk"
    return path


def test_the_official_sdk_reads_and_changes_the_sandbox(node, fresh_sandbox):
    studio = fresh_sandbox.studio
    member = next(m for m in studio.members if studio.pools_for(m["id"]))
    pool = next(p for p in studio.pools_for(member["id"]) if studio.balance(p["id"]))
    before = copy.deepcopy(studio.balance(pool["id"]))
    env = dict(
        os.environ,
        SANDBOX_URL=fresh_sandbox.url,
        API_KEY=sc.API_KEY,
        SITE_ID=sc.SITE_ID,
        APP_ID=sc.APP_ID,
        APP_SECRET=sc.APP_SECRET,
        INSTANCE_ID=sc.INSTANCE_ID,
        MEMBER_ID=member["id"],
        POOL_ID=pool["id"],
    )
    run = subprocess.run([node, "check.mjs"], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)

    assert out["memberIds"] == [m["id"] for m in studio.members[:5]]
    assert out["firstMemberEmail"] == studio.members[0]["loginEmail"]
    assert out["publicHidesEmail"] is True  # the PUBLIC fieldset, as on Wix
    assert out["poolIds"] == sorted(p["id"] for p in studio.pools_for(member["id"]))
    assert out["balance"] == {
        "available": before["amount"]["available"],
        "reserved": before["amount"]["reserved"],
        "revision": before["revision"],
    }
    active = [p for m in studio.members for p in studio.pools_for(m["id"]) if p["status"] == "ACTIVE"]
    assert out["activePoolCount"] == len(active)
    assert out["transactionCount"] == min(len(studio.transactions_for(pool["id"])) - 1, 50)  # before the change
    assert Decimal(out["changed"]["available"]) == Decimal(before["amount"]["available"]) + 2
    assert out["changed"]["transactionId"]
    assert out["notFound"] != "no error"
    assert out["appMemberId"] == studio.members[0]["id"]
    paths = {(r.method, r.path) for r in fresh_sandbox.log.records()}
    assert ("POST", "/oauth2/token") in paths
