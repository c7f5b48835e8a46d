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
    # Reads lag writes unless they send X-Wix-Consistent back: the SDK's re-read after its change proves it does.
    fresh_sandbox.faults.update(read_lag=60)
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
    assert out["reread"] == out["changed"]["available"]
    assert out["notFound"] != "no error"
    assert out["appMemberId"] == studio.members[0]["id"]
    paths = {(r.method, r.path) for r in fresh_sandbox.log.records()}
    assert ("POST", "/oauth2/token") in paths


def test_the_official_bookings_sdk_reads_the_day_and_checks_in(node):
    """listEventTimeSlots, queryExtendedBookings (with paging), queryAttendance, setAttendance, queryServices,
    getSiteProperties: the @wix/bookings and @wix/business-tools modules, unchanged, against a pinned day."""
    from sandbox import SandboxServer, build_studio

    studio = build_studio(members=300, seed=7, bookings={"today": "2026-03-30", "time_zone": "Europe/Berlin"})
    store = studio.bookings
    day_events = [e for e in store.events if e["kind"] == "CLASS" and e["slot_start"].startswith("2026-03-30")]
    open_event = next(e for e in day_events if e["start"] > store.now_ms and not e["cancelled"])
    with SandboxServer(studio, port=0) as server:
        env = dict(
            os.environ,
            SANDBOX_URL=server.url,
            API_KEY=sc.API_KEY,
            SITE_ID=sc.SITE_ID,
            DAY="2026-03-30",
            OPEN_EVENT=open_event["eventId"],
        )
        run = subprocess.run([node, "bookings.mjs"], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        out = json.loads(run.stdout)
        paths = {(r.method, r.path) for r in server.log.records()}

    assert out["timeZone"] == "Europe/Berlin" and out["slotsTimeZone"] == "Europe/Berlin"
    assert [s["eventId"] for s in out["slots"]] == [e["eventId"] for e in day_events]
    assert out["slots"][0]["start"] == "2026-03-30T07:00:00" and len(out["slots"]) == 15
    assert sum(s["cancelled"] for s in out["slots"]) == 1
    expected = [b for e in day_events for b in e["bookings"]]
    assert sorted(b["id"] for b in out["bookings"]) == sorted(b["id"] for b in expected)
    assert out["bookingPages"] == -(-len(expected) // 40) > 1
    by_id = {b["id"]: b for b in out["bookings"]}
    for b in expected:
        got = by_id[b["id"]]
        assert (got["status"], got["payment"]) == (b["status"], b["selectedPaymentOption"])
        assert got["startDate"] == b["startDate"]  # the SDK turned the UTC string into a Date and back
        att = store.attendance_for(b["id"], b["bookedEntity"]["slot"]["eventId"])
        if b["id"] == out["set"]["bookingId"]:  # read before the SDK checked this one in
            assert got["attendance"] == "NOT_SET" and att["status"] == "ATTENDED"
        else:
            assert got["attendance"] == (att["status"] if att else "NOT_SET")
    first = day_events[0]["eventId"]
    assert out["attendanceForFirst"] == sorted(
        ({"bookingId": a["bookingId"], "status": a["status"]} for a in store.attendance.values() if a["eventId"] == first),
        key=lambda a: a["bookingId"],
    )
    assert out["attendanceForFirst"], "the 07:00 class has ended by 11:30: it has attendance"
    assert out["set"]["status"] == "ATTENDED" and store.attendance[out["set"]["id"]]["bookingId"] == out["set"]["bookingId"]
    assert {s["name"] for s in out["services"]} == {
        "Vinyasa Flow",
        "Yin Yoga",
        "Reformer Pilates",
        "Beginners Course (6 weeks)",
        "Private Session",
    }
    assert out["servicesTotal"] == 5
    assert {
        ("GET", "/site-properties/v4/properties"),
        ("POST", "/_api/service-availability/v2/time-slots/event"),
        ("POST", "/_api/bookings-reader/v2/extended-bookings/query"),
        ("POST", "/bookings/bookings-attendance/query"),
        ("POST", "/bookings/bookings-attendance/set"),
        ("POST", "/_api/bookings/v2/services/query"),
    } <= paths
