"""The drift check (balances/drift.py) against generated sandbox studios: consistent ones give no flags in
either credit mode; each kind of disagreement, injected alone by changing the sandbox studio directly,
gives exactly that flag for exactly that member; the demo's seeded cases show up."""

import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from balances import drift
from balances.wix.connection import get_client
from sandbox import SandboxServer, build_studio
from tests.conftest import _point_at

TODAY = date(2026, 11, 23)  # a Monday, the week after the seed's reference time: histories and schedule overlap
ZONE = "Europe/Berlin"


def consistent(studio):
    """A generated studio made consistent: the seed gives some pools reserved credits from long before the
    schedule, with no booking behind them (a real drift in reserve mode). Settle them as used long ago, so
    every reserved credit left is held by a booking of the schedule."""
    s = studio.bookings
    held = defaultdict(Decimal)
    for charge in s.charges.values():
        if charge.get("open"):
            held[charge["poolId"]] += Decimal(charge["amount"])
    for pool_id, bal in list(studio._balances.items()):
        extra = Decimal(bal["amount"]["reserved"]) - held[pool_id]
        if extra > 0:
            pool = studio._pools_by_id[pool_id]
            studio._apply(
                pool,
                bal,
                "RESERVED",
                "EXTERNAL",
                extra,
                key=f"settle-{pool_id}",
                details={"reason": "Attended class"},
                instructing=None,
            )
    touched(studio)
    return studio


def touched(studio):
    studio.changes += 1
    studio.query_results.clear()


@pytest.fixture
def serve(settings, db):
    servers = []

    def start(studio):
        server = SandboxServer(studio, host="127.0.0.1", port=0).start()
        servers.append(server)
        _point_at(settings, server)
        return server

    yield start
    for server in servers:
        server.stop()


def run(mode, today=TODAY):
    return drift.check(get_client(), today=today, time_zone=ZONE, mode=mode)


def studio_for(mode, members=120, seed=11, **extra):
    return consistent(build_studio(members=members, seed=seed, bookings={"today": TODAY.isoformat(), "credit_mode": mode, **extra}))


def member_of(studio, booking):
    return studio._pools_by_id[studio.bookings.charges[booking["id"]]["poolId"]]["beneficiary"]["memberId"]


def plan_bookings(studio, *, future=None, attendance=None):
    """CONFIRMED bookings paid with a credit plan (and charged), first by session then id."""
    s = studio.bookings
    for ev in s.events:
        if ev["kind"] != "CLASS" or ev["cancelled"]:
            continue
        if future is not None and (ev["start"] > s.now_ms) != future:
            continue
        for b in sorted(ev["bookings"], key=lambda b: b["id"]):
            charge = s.charges.get(b["id"])
            if b["status"] != "CONFIRMED" or b.get("paymentStatus") != "PAID" or not charge or Decimal(charge["amount"]) == 0:
                continue
            att = s.attendance_for(b["id"], ev["eventId"])
            if attendance is not None and (att or {}).get("status", "NOT_SET") != attendance:
                continue
            yield ev, b


def only_flag(report, member_id, kind):
    assert [m.member_id for m in report.members] == [member_id], [(m.name, [f.summary for f in m.flags]) for m in report.members]
    flags = report.members[0].flags
    assert [f.kind for f in flags] == [kind], [f.summary for f in flags]
    return flags[0]


@pytest.mark.parametrize("mode", drift.MODES)
@pytest.mark.parametrize(("members", "seed"), [(120, 11), (300, 7)])
def test_consistent_generated_studios_give_no_flags(serve, mode, members, seed):
    serve(studio_for(mode, members=members, seed=seed))
    report = run(mode)
    assert report.bookings_checked > 100 and report.members_checked > 30  # it did look at something
    assert report.count == 0, [(m.name, [f.summary for f in m.flags]) for m in report.members]


@pytest.mark.parametrize("mode", drift.MODES)
def test_an_upcoming_booking_whose_credit_was_given_back_is_flagged_upcoming(serve, mode):
    studio = studio_for(mode)
    ev, booking = next(plan_bookings(studio, future=True))
    studio.bookings.uncharge(booking, studio.bookings.now_ms)  # refunded / released, the booking stays confirmed
    touched(studio)
    serve(studio)
    flag = only_flag(run(mode), member_of(studio, booking), drift.UPCOMING)
    assert [b.id for b in flag.bookings] == [booking["id"]] and flag.bookings[0].credits == 0
    assert len(flag.transactions) == 2  # the charge and its refund/release: the exact ones that disagree


def test_reserved_credits_no_booking_accounts_for_are_flagged_upcoming(serve):
    studio = studio_for("reserve")
    ev, booking = next(plan_bookings(studio, future=True))
    pool_id = studio.bookings.charges[booking["id"]]["poolId"]
    bal = studio._balances[pool_id]
    bal["amount"] = {**bal["amount"], "reserved": str(Decimal(bal["amount"]["reserved"]) + 1)}  # a release that never came
    touched(studio)
    serve(studio)
    flag = only_flag(run("reserve"), member_of(studio, booking), drift.UPCOMING)
    assert flag.pool_id == pool_id and "reserved" in flag.summary
    assert booking["id"] in [b.id for b in flag.bookings]


def test_reserved_credits_are_not_compared_where_the_site_redeems(serve):
    studio = studio_for("redeem")
    ev, booking = next(plan_bookings(studio, future=True))
    bal = studio._balances[studio.bookings.charges[booking["id"]]["poolId"]]
    bal["amount"] = {**bal["amount"], "reserved": "3"}
    touched(studio)
    serve(studio)
    assert run("redeem").count == 0


@pytest.mark.parametrize("mode", drift.MODES)
def test_a_redemption_without_a_booking_is_flagged_orphan(serve, mode):
    studio = studio_for(mode)
    ev, booking = next(plan_bookings(studio, future=True))
    pool_id = studio.bookings.charges[booking["id"]]["poolId"]
    ghost = {
        "id": "0d0d0d0d-0000-4000-8000-000000000001",
        "startDate": booking["startDate"],
        "totalParticipants": 1,
        "bookedEntity": {"slot": {"serviceId": ev["serviceId"], "eventId": ev["eventId"]}},
    }
    studio.bookings.pool_effect(ghost, pool_id, "AVAILABLE", "EXTERNAL", Decimal(1), studio.bookings.now_ms, "Redemption")
    touched(studio)
    serve(studio)
    flag = only_flag(run(mode), member_of(studio, booking), drift.ORPHAN)
    assert [t.booking_id for t in flag.transactions] == [ghost["id"]] and not flag.bookings


@pytest.mark.parametrize("mode", drift.MODES)
def test_a_cancelled_booking_that_kept_its_credit_is_flagged_orphan(serve, mode):
    studio = studio_for(mode)
    ev, booking = next(plan_bookings(studio, future=True))
    booking["status"] = "CANCELED"  # cancelled in Bookings, but the credit was never given back
    touched(studio)
    serve(studio)
    flag = only_flag(run(mode), member_of(studio, booking), drift.ORPHAN)
    assert [b.id for b in flag.bookings] == [booking["id"]]


@pytest.mark.parametrize("mode", drift.MODES)
@pytest.mark.parametrize("status", ["ATTENDED", "NOT_ATTENDED"])
def test_a_marked_booking_that_never_spent_a_credit_is_flagged_unspent(serve, mode, status):
    studio = studio_for(mode)
    s = studio.bookings
    ev, booking = next(plan_bookings(studio, future=False, attendance=status))
    spend = s.transactions[booking["id"]][-1]
    charge = s.charges[booking["id"]]
    s.pool_effect(booking, charge["poolId"], "EXTERNAL", "AVAILABLE", Decimal(charge["amount"]), s.now_ms, "Refund", spend)
    touched(studio)
    serve(studio)
    flag = only_flag(run(mode), member_of(studio, booking), drift.UNSPENT)
    assert [b.id for b in flag.bookings] == [booking["id"]] and flag.bookings[0].attendance == status


def test_marking_attendance_where_wix_did_not_spend_the_reservation_is_flagged_unspent(serve):
    """Reserve mode: attendance marked, the reservation still open (Wix's own step failed)."""
    studio = studio_for("reserve")
    s = studio.bookings
    ev, booking = next(plan_bookings(studio, future=True))
    aid = "0d0d0d0d-0000-4000-8000-0000000000a1"
    s.attendance[aid] = {
        "id": aid,
        "bookingId": booking["id"],
        "eventId": ev["eventId"],
        "sessionId": ev["eventId"],
        "status": "ATTENDED",
        "numberOfAttendees": 1,
    }
    s._attendance_key[(booking["id"], ev["eventId"])] = aid
    touched(studio)
    serve(studio)
    flag = only_flag(run("reserve"), member_of(studio, booking), drift.UNSPENT)
    assert "still reserved" in flag.summary


@pytest.mark.parametrize("mode", drift.MODES)
def test_the_seeded_demo_cases_show_up_one_member_each(serve, mode):
    studio = build_studio(members=300, seed=7, bookings={"today": TODAY.isoformat(), "credit_mode": mode, "drift_cases": True})
    cases = studio.bookings.drift_cases
    assert set(cases) == {"unspent", "upcoming", "orphan"} and len(set(cases.values())) == 3
    serve(consistent(studio))
    report = run(mode)
    assert {m.member_id: m.kinds for m in report.members} == {member: (kind,) for kind, member in cases.items()}


def test_the_report_is_stored_and_a_failed_check_keeps_the_last_one(serve, settings):
    server = serve(studio_for("redeem"))
    first = drift.refresh(get_client(), "fp", today=TODAY, time_zone=ZONE, mode="redeem")
    assert first is not None and drift.cached_report("fp") == first and not drift.last_error("fp")
    server.faults.error_rate, server.faults.error_status = 1.0, 500
    assert drift.refresh(get_client(), "fp", today=TODAY, time_zone=ZONE, mode="redeem") is None
    assert drift.cached_report("fp") == first and drift.last_error("fp")


def test_the_check_spends_only_its_share_of_the_call_budget(serve, settings):
    """Wix's limit equals our budget: the check takes at most its half, waits for the window to move on,
    never earns a 429, and leaves people their half straight away."""
    server = serve(studio_for("redeem", members=60))
    settings.WIX_BUDGET_WINDOW_SECONDS = 3
    server.faults.rate_limit_window = 2
    server.faults.rate_limit_per_minute = settings.WIX_CALLS_PER_MINUTE = 8
    settings.WIX_BUDGET_WAIT_SECONDS = 0
    client = get_client()
    started = time.monotonic()
    report = drift.check(client, today=TODAY, time_zone=ZONE, mode="redeem")
    assert report.calls > 4 and time.monotonic() - started >= 2  # more than its half of 8: it waited
    for _ in range(4):
        client.count_members()  # the half it leaves is there for people at once
    assert not [r for r in server.log.records() if r.status == 429]


@pytest.mark.parametrize("mode", drift.MODES)
def test_bookings_made_by_staff_find_their_member_by_contact(serve, mode):
    """A booking made at the desk names the staff member as its creator: its member comes from the contact."""
    studio = studio_for(mode)
    for _ev, booking in plan_bookings(studio):
        booking["createdBy"] = {"userId": "8a1b2c3d-0000-4000-8000-000000000001"}  # a staff account
    touched(studio)
    server = serve(studio)
    report = run(mode)
    assert report.count == 0 and report.members_checked > 30
    assert [r for r in server.log.records() if r.path.startswith("/members/v1/members/query")]
    # and a disagreement on such a booking is still that member's
    ev, booking = next(plan_bookings(studio, future=True))
    studio.bookings.uncharge(booking, studio.bookings.now_ms)
    touched(studio)
    only_flag(run(mode), member_of(studio, booking), drift.UPCOMING)


def test_the_morning_digest_lists_the_members_whose_bookings_and_credits_disagree(serve, db):
    """Issue 18's digest shows the drift list: each flagged member once, with what disagrees."""
    from balances import digest

    studio = build_studio(members=300, seed=7, bookings={"today": TODAY.isoformat(), "credit_mode": "redeem", "drift_cases": True})
    serve(consistent(studio))
    assert digest.drift_lines("fp") == ()  # no check ran yet: the section is left out
    report = drift.refresh(get_client(), "fp", today=TODAY, time_zone=ZONE, mode="redeem")
    assert report is not None and report.members
    lines = digest.drift_lines("fp")
    assert [line.member_id for line in lines] == [m.member_id for m in report.members]
    assert all(line.detail for line in lines)
