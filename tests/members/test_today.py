"""The Today page against the sandbox: every session and attendee of a pinned day with the sandbox's own
numbers in both credit modes, a DST-change day and zones far from UTC, the cost formula, one shared
cached read, the last good copy when Wix fails, bad input and roles."""

import datetime
import math
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from balances.today import cost_bound
from sandbox import SandboxServer, build_studio
from sandbox.bookings import install_bookings
from sandbox.bookings.catalog import WEEKEND_CLASSES, covers, plan_key_of
from sandbox.bookings.store import heads, local_iso
from tests.conftest import _point_at
from tests.helpers import wix_calls

DAY = "2026-03-30"  # a Monday, the first after Europe's DST switch
DST_DAY = "2026-03-29"  # 23 hours long in Europe/Berlin
URL = "/today/"
LIVE = ("CONFIRMED", "PENDING", "CREATED", "WAITING_LIST")
ROW = re.compile(r'<tr class="attendee[^"]*" data-booking-id="([^"]+)">(.*?)</tr>', re.S)


def _server(**bookings):
    return SandboxServer(build_studio(members=300, seed=7, bookings={"today": DAY, **bookings}), host="127.0.0.1", port=0)


@pytest.fixture(scope="module")
def bookings_server():
    server = _server().start()
    yield server
    server.stop()


@pytest.fixture
def day_wix(settings, bookings_server):
    """The dashboard on a sandbox whose schedule is pinned to DAY (Europe/Berlin, redeem) for each test."""
    store = bookings_server.studio.bookings
    if (store.today.isoformat(), store.time_zone, store.credit_mode) != (DAY, "Europe/Berlin", "redeem"):
        install_bookings(bookings_server.studio, today=DAY, time_zone="Europe/Berlin", credit_mode="redeem")
    bookings_server.faults.reset()
    _point_at(settings, bookings_server)
    bookings_server.log.clear()
    yield bookings_server
    bookings_server.faults.reset()


def pin(server, **settings):
    """Rebuild the sandbox's schedule (its old credit effects undone) with these settings."""
    install_bookings(server.studio, **settings)
    server.log.clear()
    return server.studio.bookings


def truth(studio, day):
    """The sandbox's own sessions of a local day: start "HH:MM", title, kind, capacity, booked, live bookings."""
    store = studio.bookings
    out = []
    for ev in store.events:
        if local_iso(ev["start"], store.tz)[:10] != day:
            continue
        live = [b for b in ev["bookings"] if b["status"] in LIVE]
        booked = sum(heads(b) for b in live if b["status"] != "WAITING_LIST")
        out.append((local_iso(ev["start"], store.tz)[11:16], ev["title"], ev["kind"].lower(), ev["capacity"], booked, live))
    return out


def rows(html):
    return {bid: body for bid, body in ROW.findall(html)}


def cell(body, name):
    return re.search(rf'class="num {name}"[^>]*>([^<]*)<', body).group(1).strip()


@pytest.mark.parametrize("mode", ["redeem", "reserve"])
def test_every_session_and_attendee_has_the_sandbox_numbers(frontdesk_client, day_wix, mode):
    studio = day_wix.studio
    store = pin(day_wix, today=DAY, time_zone="Europe/Berlin", credit_mode=mode)
    response = frontdesk_client.get(f"{URL}?day={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "{#" not in html and "{%" not in html
    view = response.context["day_view"]
    expected = truth(studio, DAY)
    assert len(expected) == 18  # 15 classes, 2 appointments, the course's session
    got = [(s.local_start.strftime("%H:%M"), s.title, s.kind, s.capacity, s.booked) for s in view.sessions]
    assert got == [e[:5] for e in expected]
    assert {s.kind for s in view.sessions} == {"class", "course", "appointment"}
    assert sum(s.cancelled for s in view.sessions) == 1
    course = next(s for s in view.sessions if s.kind == "course")
    assert course.attendees and all(a.attendance == "NOT_SET" for a in course.attendees)  # not a past session's
    by_member_contact = {m["contactId"]: m for m in studio.members}
    page_rows = rows(html)
    plan_rows = 0
    for session, (_, _, _, _, _, live) in zip(view.sessions, expected, strict=True):
        assert {a.booking_id for a in session.attendees} == {b["id"] for b in live}
        assert f"{session.booked} of {session.capacity} booked" in html
        for a in session.attendees:
            booking = store.bookings_by_id[a.booking_id]
            member = by_member_contact.get(booking["contactDetails"]["contactId"])
            assert a.member_id == (member["id"] if member else "")
            body = page_rows[a.booking_id]
            charge = store.charges.get(a.booking_id)
            if booking["selectedPaymentOption"] not in ("MEMBERSHIP", "MEMBERSHIP_OFFLINE"):
                assert a.no_plan and "No plan" in body
                continue
            pool = studio._pools_by_id[a.pool_id]
            assert covers(plan_key_of(pool), booking["bookedEntity"].get("slot", {}).get("serviceId"))
            if charge and "tx" in charge or charge and charge["amount"] == "0":
                plan_rows += 1
                assert a.pool_id == charge["poolId"] and a.charged
            balance = studio._balances.get(a.pool_id)
            if balance is None:  # an unlimited plan: no credits to count, never out
                assert cell(body, "available") == "Unlimited" and not a.out_after
                continue
            available, reserved = Decimal(balance["amount"]["available"]), Decimal(balance["amount"]["reserved"])
            assert cell(body, "available") == format(available.normalize(), "f")
            assert cell(body, "reserved") == format(reserved.normalize(), "f")
            price = Decimal(pool["details"]["benefits"][0]["price"])
            left = available - (0 if a.charged else price * heads(booking))
            assert a.out_after == (left < price)
            assert ("Out of credits after this class" in body) == a.out_after
            assert ("Plan " + pool["status"].lower() in body) == (pool["status"] not in ("ACTIVE", "RENEWING"))
    assert plan_rows >= 40  # most plan bookings were charged: their pool is the one the sandbox charged
    flagged = [a for s in view.sessions for a in s.attendees if a.out_after]
    assert flagged, "the seeded day has members who run out with this class"
    if mode == "reserve":  # booked credits are on screen where the site reserves
        assert any(cell(b, "reserved") not in ("0", "—") for b in page_rows.values())


def test_the_out_of_credits_rule_is_right_in_both_modes(frontdesk_client, day_wix):
    """The same charged booking: in redeem mode its credit was spent, in reserve mode it is held; either
    way "free to book" already excludes it, so neither mode subtracts it twice."""
    outs = {}
    for mode in ("redeem", "reserve"):
        store = pin(day_wix, today=DAY, time_zone="Europe/Berlin", credit_mode=mode)
        view = frontdesk_client.get(f"{URL}?day={DAY}&refresh=1").context["day_view"]
        attendees = {a.booking_id: a for s in view.sessions for a in s.attendees}
        charged = [a for a in attendees.values() if a.charged and not a.unlimited]
        assert charged
        for a in charged:
            balance = day_wix.studio._balances[a.pool_id]["amount"]
            assert a.available == Decimal(balance["available"]) and a.reserved == Decimal(balance["reserved"])
            assert a.free_after == a.available
        if mode == "reserve":
            # Classes not yet marked hold their credit as booked: at least one pool shows it.
            assert any(a.reserved and a.reserved > 0 for a in charged)
            assert store.credit_mode == "reserve"
        outs[mode] = {bid for bid, a in attendees.items() if a.out_after}
    # The seed is the same, so the same people run out after their class in both modes.
    assert outs["redeem"] == outs["reserve"] and outs["redeem"]


def test_a_dst_change_day_shows_its_sessions_at_their_local_times(frontdesk_client, day_wix):
    response = frontdesk_client.get(f"{URL}?day={DST_DAY}")
    view = response.context["day_view"]
    classes = [s.local_start.strftime("%H:%M") for s in view.sessions if s.kind == "class"]
    assert classes == [t for t, _, _ in WEEKEND_CLASSES]  # 08:00 … 18:00, not shifted by the lost hour
    assert all(s.local_start.date().isoformat() == DST_DAY for s in view.sessions)
    expected = truth(day_wix.studio, DST_DAY)
    assert [(s.title, s.booked) for s in view.sessions] == [(e[1], e[4]) for e in expected]
    assert {a.booking_id for s in view.sessions for a in s.attendees} == {b["id"] for e in expected for b in e[5]}
    assert "Sunday 29 March 2026" in response.content.decode()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Auckland"])
def test_a_studio_far_from_utc_sees_its_own_day(frontdesk_client, day_wix, zone):
    pin(day_wix, today=DAY, time_zone=zone, credit_mode="redeem")
    response = frontdesk_client.get(f"{URL}?day={DAY}")
    view = response.context["day_view"]
    assert view.time_zone == zone and f"Times in {zone}" in response.content.decode()
    expected = truth(day_wix.studio, DAY)
    assert [(s.local_start.strftime("%H:%M"), s.title, s.booked) for s in view.sessions] == [(e[0], e[1], e[4]) for e in expected]
    assert view.sessions[0].local_start.strftime("%H:%M") == "07:00"
    # The day before and after hold their own sessions, none of this day's.
    before = frontdesk_client.get(f"{URL}?day=2026-03-29").context["day_view"]
    assert not {s.event_id for s in before.sessions} & {s.event_id for s in view.sessions}


def test_without_a_day_the_page_shows_today_in_the_studio_zone(frontdesk_client, settings):
    # Kiritimati is UTC+14: for ten hours of every UTC day its date is already tomorrow's.
    server = SandboxServer(build_studio(members=60, seed=3, bookings={"time_zone": "Pacific/Kiritimati"}), port=0).start()
    try:
        _point_at(settings, server)
        response = frontdesk_client.get(URL)
        assert response.status_code == 200
        local_today = datetime.datetime.now(datetime.UTC).astimezone(server.studio.bookings.tz).date()
        assert response.context["day"] == local_today == server.studio.bookings.today
        assert response.context["is_today"] and "Today, " in response.content.decode()
        assert len(response.context["day_view"].sessions) >= 10
        assert len(wix_calls(server, "/site-properties/")) == 1  # asked once, then kept
        frontdesk_client.get(URL + "?refresh=1")
        assert len(wix_calls(server, "/site-properties/")) == 1
    finally:
        server.stop()


def _cold_cost(client, server, day):
    server.log.clear()
    response = client.get(f"{URL}?day={day}&refresh=1")
    assert response.status_code == 200
    return response.context["day_view"], wix_calls(server)


def test_a_day_costs_at_most_the_formula_small_and_large(frontdesk_client, day_wix, settings):
    # >100 bookings: the pinned weekday.
    store = day_wix.studio.bookings
    live = [b for e in truth(day_wix.studio, DAY) for b in e[5]]
    people = {b["contactDetails"]["contactId"] for b in live}
    assert len(live) > 100
    view, calls = _cold_cost(frontdesk_client, day_wix, DAY)
    bound = cost_bound(len(live), len(people))
    assert view.bookings_read == len(live) and view.attendees == len(people)
    paths = [c.path for c in calls]
    assert len(calls) <= bound, (len(calls), bound, paths)
    assert paths.count("/_api/bookings-reader/v2/extended-bookings/query") == math.ceil(len(live) / 100)
    assert paths.count("/site-properties/v4/properties") == 0  # the slots answer names the zone
    assert paths.count("/_api/service-availability/v2/time-slots/event") == 1
    assert paths.count("/benefit-programs/v1/pool-items/query") == 1  # not one per attendee
    assert len(calls) < len(store.events)  # never a call per session either
    # Which day is "today" needs the zone: learned from that read, it costs no call for an hour.
    day_wix.log.clear()
    assert frontdesk_client.get(URL).status_code == 200
    assert wix_calls(day_wix, "/site-properties/") == []
    # A small day: the same schedule with bookings on its first three sessions only.
    small = SandboxServer(build_studio(members=60, seed=5, bookings={"today": DAY}), port=0).start()
    try:
        small_store = small.studio.bookings
        day_events = [e for e in small_store.events if local_iso(e["start"], small_store.tz)[:10] == DAY]
        for ev in day_events[3:]:
            for b in ev["bookings"]:
                if b in small_store.bookings:
                    small_store.bookings.remove(b)
            ev["bookings"] = []
        _point_at(settings, small)
        live = [b for e in truth(small.studio, DAY) for b in e[5]]
        people = {b["contactDetails"]["contactId"] for b in live}
        assert 0 < len(live) <= 100
        view, calls = _cold_cost(frontdesk_client, small, DAY)
        assert view.bookings_read == len(live)
        assert len(calls) <= cost_bound(len(live), len(people)) == 6, [c.path for c in calls]
    finally:
        small.stop()


def test_ten_viewers_and_their_polls_cost_what_one_does(client, day_wix, frontdesk):
    client.force_login(frontdesk)
    first = client.get(f"{URL}?day={DAY}")
    assert first.status_code == 200 and "Live from Wix at" in first.content.decode()
    one = len(wix_calls(day_wix))
    assert one > 0
    for _ in range(9):
        tab = type(client)()
        tab.force_login(frontdesk)
        assert tab.get(f"{URL}?day={DAY}").status_code == 200
        polled = tab.get(f"{URL}?day={DAY}", headers={"HX-Request": "true"})
        body = polled.content.decode()
        assert polled.status_code == 200 and body.lstrip().startswith('<div id="day"') and "<html" not in body
        assert 'hx-trigger="every 45s"' in body and "As of" in body
    assert len(wix_calls(day_wix)) == one


def test_when_wix_fails_the_last_good_day_is_shown_stale(frontdesk_client, day_wix, settings):
    settings.WIX_RETRY_SECONDS = 0.2
    first = frontdesk_client.get(f"{URL}?day={DAY}")
    assert first.status_code == 200
    settings.WIX_READ_CACHE_SECONDS = 0
    day_wix.faults.error_rate = 1.0
    response = frontdesk_client.get(f"{URL}?day={DAY}")
    body = response.content.decode()
    assert response.status_code == 200 and 'class="banner banner-stale"' in body and "Wix not reachable" in body
    assert response.context["fetched"].stale
    assert response.context["day_view"].sessions == first.context["day_view"].sessions
    polled = frontdesk_client.get(f"{URL}?day={DAY}", headers={"HX-Request": "true"})  # the 45-second poll too
    assert polled.status_code == 200 and "Wix not reachable" in polled.content.decode()
    # No copy of another day to fall back on: a clear error, not a 500.
    other = frontdesk_client.get(f"{URL}?day=2026-04-01")
    page = other.content.decode()
    assert other.status_code == 503 and "Wix" in page
    assert "Wednesday 1 April 2026" in page and 'href="/today/?day=2026-03-31" rel="prev"' in page  # the day around the error
    polled = frontdesk_client.get(f"{URL}?day=2026-04-01", headers={"HX-Request": "true"})
    assert polled.status_code == 503 and 'hx-trigger="every 45s"' in polled.content.decode()  # it keeps trying


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("day=2026-02-30", "YYYY-MM-DD"),
        ("day=30.03.2026", "YYYY-MM-DD"),
        ("day=yesterday", "YYYY-MM-DD"),
        ("day=1999-12-31", "between 2000 and 2100"),
        ("day=9999-12-31", "between 2000 and 2100"),
        ("day=" + "9" * 300, "YYYY-MM-DD"),
    ],
)
def test_a_bad_day_is_a_400_with_a_message_and_no_call(frontdesk_client, day_wix, query, message):
    response = frontdesk_client.get(f"{URL}?{query}")
    assert response.status_code == 400 and message in response.content.decode()
    assert wix_calls(day_wix) == []


def test_previous_and_next_day_links_carry_the_date(frontdesk_client, day_wix):
    html = frontdesk_client.get(f"{URL}?day={DAY}").content.decode()
    assert 'href="/today/?day=2026-03-29" rel="prev"' in html and 'href="/today/?day=2026-03-31" rel="next"' in html


def test_the_page_is_on_the_desk_navigation_and_needs_view_members(client, day_wix, frontdesk, owner):
    for user in (frontdesk, owner):
        client.force_login(user)
        home = client.get("/members/").content.decode()
        assert 'href="/today/"' in home
        assert client.get(f"{URL}?day={DAY}").status_code == 200
    client.logout()
    assert client.get(URL).status_code == 302
    nobody = get_user_model().objects.create_user("nobody", password="x" * 12)
    client.force_login(nobody)
    assert client.get(URL).status_code == 403


def test_the_calls_go_in_a_fixed_number_of_round_trips(frontdesk_client, day_wix):
    """With every call taking 0.3 s, calls that start together form one round trip: at most six, however
    many bookings and attendees (docs/wix.md#bookings), and calls of one round go out side by side."""
    day_wix.faults.latency = 0.3
    response = frontdesk_client.get(f"{URL}?day={DAY}")
    assert response.status_code == 200
    starts = sorted(c.started for c in wix_calls(day_wix))
    rounds = [[starts[0]]]
    for started in starts[1:]:
        if started - rounds[-1][0] > 0.15:
            rounds.append([])
        rounds[-1].append(started)
    assert len(starts) >= 7 and len(rounds) <= 6, [len(r) for r in rounds]
    assert len(rounds[0]) == 2  # time slots and calendar together


def test_a_booking_made_by_staff_and_a_paused_plan(frontdesk_client, day_wix):
    """The sandbox's members book for themselves; here one booking is made by staff (its creator is
    another contact), so the member is found by contact, and the plan that paid is paused since."""
    studio = day_wix.studio
    store = studio.bookings
    by_contact = {m["contactId"]: m for m in studio.members}

    def only_covering_pool(booking):
        member = by_contact[booking["contactDetails"]["contactId"]]
        service = booking["bookedEntity"]["slot"]["serviceId"]
        return [p for p in studio.pools_for(member["id"]) if covers(plan_key_of(p) or "", service)] == [
            studio._pools_by_id[store.charges[booking["id"]]["poolId"]]
        ]

    booking = next(
        b
        for b in store.bookings
        if b["startDate"].startswith("2026-03-30")
        and b["status"] == "CONFIRMED"
        and "tx" in store.charges.get(b["id"], {})
        and only_covering_pool(b)
    )
    member = by_contact[booking["contactDetails"]["contactId"]]
    pool = studio._pools_by_id[store.charges[booking["id"]]["poolId"]]
    created_by, status = booking["createdBy"], pool["status"]
    booking["createdBy"] = {"wixUserId": "5f0c0a1e-0000-4000-8000-00000000beef", "contactId": "staff-contact"}
    pool["status"] = "PAUSED"
    try:
        response = frontdesk_client.get(f"{URL}?day={DAY}")
        attendee = next(a for s in response.context["day_view"].sessions for a in s.attendees if a.booking_id == booking["id"])
        assert attendee.member_id == member["id"] and attendee.pool_id == pool["id"]
        assert attendee.plan_inactive and attendee.plan_status == "PAUSED"
        body = rows(response.content.decode())[booking["id"]]
        assert "Plan paused" in body and f'href="/members/{member["id"]}/"' in body
        lookups = [c.body for c in wix_calls(day_wix, "/members/v1/members/query")]
        assert any(booking["contactDetails"]["contactId"] in c["query"]["filter"]["contactId"]["$in"] for c in lookups)
    finally:
        booking["createdBy"], pool["status"] = created_by, status


def test_if_wix_refuses_or_the_sessions_and_the_course_are_asked_for_apart(frontdesk_client, day_wix):
    day_wix.faults.script("status", status=400, path_prefix="/_api/bookings-reader/", times=1)
    view = frontdesk_client.get(f"{URL}?day={DAY}").context["day_view"]
    expected = truth(day_wix.studio, DAY)
    assert [len(s.attendees) for s in view.sessions] == [len(e[5]) for e in expected]
    course = next(s for s in view.sessions if s.kind == "course")
    assert len(course.attendees) == 6
    filters = [c.body["query"].get("filter") for c in wix_calls(day_wix, "/_api/bookings-reader/")]
    assert "$or" in filters[0]["$and"][1] and all("$or" not in f["$and"][1] for f in filters[1:] if f)
