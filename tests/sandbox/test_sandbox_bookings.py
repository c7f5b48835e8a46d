"""Wix Bookings in the sandbox: paths, paging, errors, auth, determinism, time zones, and that plan-paid
bookings and the Benefit Programs pools always agree, in both credit modes."""

import datetime
import json
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from conftest import AUTH, NO_TLS, assert_wix_error

from sandbox import SandboxServer, build_studio, credentials
from sandbox.api import signed_total
from sandbox.bookings import BOOKINGS_APP_ID, SERVICE_IDS, install_bookings
from sandbox.bookings.store import heads

DAY = "2026-03-30"  # a Monday, the first after Europe's DST switch
SLOTS = "/_api/service-availability/v2/time-slots/event"
READER = "/_api/bookings-reader/v2/extended-bookings/query"
ATT = "/bookings/bookings-attendance"
BULK = "/bookings/v2/bulk/attendance/set"


def _day_body(day=DAY, **extra):
    return {"fromLocalDate": f"{day}T00:00:00", "toLocalDate": f"{day}T23:59:59", "includeNonBookable": True, **extra}


@pytest.fixture(scope="module")
def site():
    studio = build_studio(members=300, seed=7, bookings={"today": DAY})
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, headers=AUTH, timeout=5.0, **NO_TLS) as c:
        yield studio, srv, c


def _day_events(store, day=DAY, kind="CLASS"):
    return [e for e in store.events if e["kind"] == kind and e["slot_start"].startswith(day)]


# ---------------------------------------------------------------------------------------------- paths


def test_site_properties_time_zone_and_field_masks(site):
    studio, srv, c = site
    r = c.get("/site-properties/v4/properties", params={"fields": "timeZone"})
    assert r.status_code == 200 and r.json() == {"version": "7", "properties": {"timeZone": "Europe/Berlin"}}
    r = c.get("/site-properties/v4/properties?fields.paths=timeZone&fields.paths=businessName")
    assert set(r.json()["properties"]) == {"timeZone", "businessName"}
    full = c.get("/site-properties/v4/properties").json()["properties"]
    assert {"timeZone", "businessName", "locale", "paymentCurrency", "address"} <= set(full)


def test_time_slots_of_a_day_on_both_paths(site):
    studio, srv, c = site
    events = _day_events(studio.bookings)
    for path in (SLOTS, "/service-availability/v2/time-slots/event"):
        r = c.post(path, json=_day_body(cursorPaging={"limit": 1000}))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["timeZone"] == "Europe/Berlin" and body["pagingMetadata"] == {"cursors": {}, "hasNext": False}
        slots = body["timeSlots"]
        assert [s["eventInfo"]["eventId"] for s in slots] == [e["eventId"] for e in events]
        assert (
            len(slots) == 15
            and slots[0]["localStartDate"] == f"{DAY}T07:00:00"
            and slots[-1]["localStartDate"] == f"{DAY}T20:30:00"
        )
    for s, ev in zip(slots, events, strict=True):
        booked = sum(heads(b) for b in ev["bookings"] if b["status"] in ("CONFIRMED", "PENDING"))
        assert s["totalCapacity"] - s["remainingCapacity"] == min(booked, s["totalCapacity"])
        assert len(s["eventInfo"]["eventId"]) > 36 and "_" in s["eventInfo"]["eventId"]  # not a GUID
        assert s["location"]["locationType"] == "BUSINESS" and "Z" not in s["localStartDate"]
    cancelled = [s for s in slots if s["nonBookableReasons"]["eventCancelled"]]
    assert len(cancelled) == 1 and cancelled[0]["bookable"] is False
    full = [s for s in slots if s["eventInfo"].get("waitingList") and s["localStartDate"].endswith("18:00:00")]
    assert full[0]["remainingCapacity"] == 0 and full[0]["eventInfo"]["waitingList"]["remainingCapacity"] < 5
    # only classes: no appointments, no course session
    assert {s["serviceId"] for s in slots} <= {SERVICE_IDS["vinyasa"], SERVICE_IDS["yin"], SERVICE_IDS["reformer"]}
    r = c.post(SLOTS, json=_day_body(serviceIds=[SERVICE_IDS["reformer"]], includeNonBookable=False))
    assert all(s["bookable"] and s["serviceId"] == SERVICE_IDS["reformer"] for s in r.json()["timeSlots"])


def test_time_slots_cursor_walk(site):
    studio, srv, c = site
    seen, body = [], c.post(SLOTS, json=_day_body(cursorPaging={"limit": 4})).json()
    seen += body["timeSlots"]
    pages = 1
    while body["pagingMetadata"]["hasNext"]:
        body = c.post(SLOTS, json={"cursorPaging": {"cursor": body["pagingMetadata"]["cursors"]["next"], "limit": 4}}).json()
        seen += body["timeSlots"]
        pages += 1
    assert pages == 4 and len(seen) == 15 and len({s["eventInfo"]["eventId"] for s in seen}) == 15


def test_extended_bookings_by_event_ids_with_attendance_and_paths(site):
    studio, srv, c = site
    store = studio.bookings
    events = _day_events(store)
    ids = [e["eventId"] for e in events]
    expected = {b["id"] for e in events for b in e["bookings"]}
    for path in (READER, "/bookings/bookings-reader/v2/extended-bookings/query"):
        got, cursor = [], None
        while True:
            q = (
                {"cursorPaging": {"cursor": cursor, "limit": 100}}
                if cursor
                else {
                    "filter": {"bookedEntity.item.slot.eventId": {"$in": ids}},
                    "sort": [{"fieldName": "startDate", "order": "ASC"}, {"fieldName": "id", "order": "ASC"}],
                    "cursorPaging": {"limit": 100},
                }
            )
            body = c.post(path, json={"query": q, "withBookingAttendanceInfo": True}).json()
            meta = body["pagingMetadata"]
            assert meta["total"] == len(expected) and set(meta) == {"count", "offset", "total", "tooManyToCount", "cursors"}
            got += body["extendedBookings"]
            cursor = meta["cursors"].get("next")
            if not cursor:
                break
        assert {e["booking"]["id"] for e in got} == expected and len(got) == len(expected) > 100
        assert [e["booking"]["startDate"] for e in got] == sorted(e["booking"]["startDate"] for e in got)
    for e in got:
        b = e["booking"]
        att = store.attendance_for(b["id"], b["bookedEntity"]["slot"]["eventId"])
        want = {"id": att["id"], "status": att["status"], "numberOfAttendees": att["numberOfAttendees"]} if att else None
        assert e["attendance"] == (want or {"status": "NOT_SET", "numberOfAttendees": 0})
        assert b["bookedEntity"]["slot"]["startDate"].startswith(DAY) and b["bookedEntity"]["slot"]["startDate"].endswith("+02:00")
        assert b["startDate"].endswith(".000Z") and b["bookedEntity"]["tags"] == ["GROUP"]
    # the head count comes in both of Wix's forms; time slots count heads, not bookings
    choices = [b for b in store.bookings if "participantsChoices" in b]
    assert len(choices) >= 5 and all("totalParticipants" not in b and heads(b) == 2 for b in choices)
    statuses = Counter(e["booking"]["status"] for e in got)
    assert statuses["CONFIRMED"] > 100 and statuses["CANCELED"] and statuses["WAITING_LIST"]
    options = Counter(e["booking"]["selectedPaymentOption"] for e in got)
    assert options["MEMBERSHIP"] and options["ONLINE"] and options["OFFLINE"]
    marks = Counter(e["attendance"]["status"] for e in got)
    assert marks["ATTENDED"] and marks["NOT_ATTENDED"] and marks["NOT_SET"]
    # without the flag there is no attendance; keys without the "item." segment work too
    body = c.post(READER, json={"query": {"filter": {"bookedEntity.slot.eventId": ids[0]}, "sort": [{"fieldName": "id"}]}}).json()
    assert body["extendedBookings"] and all("attendance" not in e for e in body["extendedBookings"])


def test_extended_bookings_by_utc_day_offset_paging_and_count(site):
    studio, srv, c = site
    store = studio.bookings
    day_start, day_end = "2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z"  # local midnights in Berlin (CEST)
    flt = {"startDate": {"$gte": day_start, "$lt": day_end}}
    expected = [b for b in store.bookings if "2026-03-29T22:00:00.000Z" <= b["startDate"] < "2026-03-30T22:00:00.000Z"]
    assert {b["bookedEntity"]["tags"][0] for b in expected} == {"GROUP", "INDIVIDUAL"}  # classes and appointments
    body = c.post(
        READER, json={"query": {"filter": flt, "sort": [{"fieldName": "id"}], "paging": {"limit": 100, "offset": 100}}}
    ).json()
    assert body["pagingMetadata"]["offset"] == 100 and body["pagingMetadata"]["total"] == len(expected)
    assert "cursors" not in body["pagingMetadata"]
    assert [e["booking"]["id"] for e in body["extendedBookings"]] == sorted(b["id"] for b in expected)[100:200]
    for path in ("/_api/bookings-reader/v2/extended-bookings/count", "/bookings/bookings-reader/v2/extended-bookings/count"):
        assert c.post(path, json={"filter": flt}).json() == {"count": len(expected)}
    # appointments by tag, courses by schedule id (their startDate is the first session)
    appts = c.post(READER, json={"query": {"filter": {**flt, "bookedEntity.tags": {"$hasSome": ["INDIVIDUAL"]}}}}).json()
    assert len(appts["extendedBookings"]) == 2
    course = store.services_by_id[SERVICE_IDS["course"]]["schedule"]["id"]
    courses = c.post(READER, json={"query": {"filter": {"bookedEntity.item.schedule.scheduleId": course}}}).json()
    assert len(courses["extendedBookings"]) == 6 and all(e["booking"]["startDate"] < day_start for e in courses["extendedBookings"])


def test_attendance_query_paths_paging_and_bare_values(site):
    studio, srv, c = site
    store = studio.bookings
    ids = [e["eventId"] for e in _day_events(store)]
    expected = sorted(a["id"] for a in store.attendance.values() if a["eventId"] in ids)
    assert expected
    for prefix in (
        ATT,
        "/_api/bookings-attendance",
        "/bookings/attendance",
        "/bookings/attendance/v2/attendance",
        "/bookings/v2/attendance",
    ):
        body = c.post(
            f"{prefix}/query", json={"query": {"filter": {"eventId": {"$in": ids}}, "cursorPaging": {"limit": 1000}}}
        ).json()
        assert [a["id"] for a in body["attendances"]] == expected  # default sort: id ASC
        assert body["pagingMetadata"] == {"cursors": {}, "hasNext": False}
    got, body = (
        [],
        c.post(f"{ATT}/query", json={"query": {"filter": {"eventId": {"$in": ids}}, "cursorPaging": {"limit": 5}}}).json(),
    )
    got += body["attendances"]
    while body["pagingMetadata"]["hasNext"]:
        body = c.post(
            f"{ATT}/query", json={"query": {"cursorPaging": {"cursor": body["pagingMetadata"]["cursors"]["next"]}}}
        ).json()
        got += body["attendances"]
    assert [a["id"] for a in got] == expected
    bare = c.post(f"{ATT}/query", json={"query": {"filter": {"eventId": ids[0]}}}).json()["attendances"]
    assert bare and all(a["eventId"] == ids[0] for a in bare)
    one = c.get(f"{ATT}/{expected[0]}", params={"attendanceId": expected[0]}).json()["attendance"]
    assert one == store.attendance[expected[0]]


def test_services_offset_paging_get_and_paths(site):
    studio, srv, c = site
    for prefix in ("/_api/bookings/v2/services", "/bookings/v2/services"):
        body = c.post(f"{prefix}/query", json={"query": {"paging": {"limit": 2, "offset": 2}}}).json()
        assert body["pagingMetadata"] == {"count": 2, "offset": 2, "total": 5, "tooManyToCount": False}
        assert [s["name"] for s in body["services"]] == ["Reformer Pilates", "Beginners Course (6 weeks)"]
        svc = c.get(f"{prefix}/{SERVICE_IDS['vinyasa']}").json()["service"]
        assert svc["type"] == "CLASS" and svc["payment"]["fixed"]["price"]["value"] == "18.00"
    classes = c.post("/_api/bookings/v2/services/query", json={"query": {"filter": {"type": {"$in": ["CLASS", "COURSE"]}}}}).json()
    assert {s["type"] for s in classes["services"]} == {"CLASS", "COURSE"} and len(classes["services"]) == 4
    reformer = next(s for s in classes["services"] if s["name"] == "Reformer Pilates")
    assert reformer["bookingPolicy"]["waitlistPolicy"] == {"enabled": True, "capacity": 5, "reservationTime": 10}
    assert len(reformer["payment"]["pricingPlanIds"]) == 4 and reformer["appId"] == BOOKINGS_APP_ID


# ---------------------------------------------------------------------------------------------- errors and auth


def test_errors(site):
    studio, srv, c = site
    assert_wix_error(c.post(SLOTS, json={"toLocalDate": f"{DAY}T23:59:59"}), 400, "REQUIRED_FIELD")
    assert_wix_error(c.post(SLOTS, json=_day_body(fromLocalDate=f"{DAY}T00:00:00Z")), 400, "FORMAT")
    assert_wix_error(c.post(SLOTS, json=_day_body(timeZone="Mars/Olympus")), 400, "FORMAT")
    assert_wix_error(c.post(SLOTS, json=_day_body(cursorPaging={"limit": 1001})), 400, "MAX")
    assert_wix_error(c.post(SLOTS, json={"cursorPaging": {"cursor": "garbage"}}), 400, "FORMAT")
    assert_wix_error(c.post(READER, json={"query": {"cursorPaging": {"limit": 101}}}), 400, "MAX")
    assert_wix_error(c.post(READER, json={"query": {"filter": {"startDate": {"$gte": "yesterday"}}}}), 400, "FORMAT")
    assert_wix_error(c.post(f"{ATT}/query", json={"query": {"cursorPaging": {"limit": 1001}}}), 400, "MAX")
    two = {"query": {"filter": {"eventId": "x", "status": "ATTENDED"}}}
    assert_wix_error(c.post(f"{ATT}/query", json=two), 400)
    assert_wix_error(c.get(f"{ATT}/0b7e2a51-93c4-4d8e-a1f6-7c2d9e4b5a38"), 404, "ATTENDANCE_NOT_FOUND")
    assert_wix_error(c.post(f"{ATT}/count", json={"filter": {}}), 403, "PERMISSION_DENIED")
    assert_wix_error(c.get(f"/_api/bookings/v2/services/{SERVICE_IDS['vinyasa'][:-1]}0"), 404, "SERVICE_NOT_FOUND")
    assert_wix_error(c.post("/_api/bookings/v2/services/query", json={"query": {"paging": {"limit": 101}}}), 400, "MAX")
    booking = next(b for b in studio.bookings.bookings if "slot" in b["bookedEntity"])
    r = c.post(f"{ATT}/set", json={"attendance": {"bookingId": booking["id"], "status": "ATTENDED"}})
    assert_wix_error(r, 400, "SESSION_ID_NOT_PROVIDED")
    assert_wix_error(c.post(f"{ATT}/set", json={"attendance": {"status": "ATTENDED"}}), 400, "REQUIRED_FIELD")
    assert_wix_error(c.post(BULK, json={"attendanceDetails": []}), 400, "ATTENDANCES_MISSING_IN_REQUEST")
    item = {"attendance": {"bookingId": booking["id"], "eventId": booking["bookedEntity"]["slot"]["eventId"], "status": "ATTENDED"}}
    assert_wix_error(c.post(BULK, json={"attendanceDetails": [item] * 9}), 400, "MAX_SIZE")
    missing = [item, {"attendance": {"bookingId": booking["id"]}}]
    assert_wix_error(c.post(BULK, json={"attendanceDetails": missing}), 400, "ATTENDANCES_MISSING_IN_REQUEST")
    r = c.post("/benefit-programs/v1/pools/eligible-pools", json={"itemReference": {"externalId": "x"}, "beneficiary": {}})
    assert_wix_error(r, 400, "INVALID_ITEM_REFERENCE")
    r = c.post(
        "/benefit-programs/v1/pools/eligible-pools", json={"itemReference": {"externalId": "x", "providerAppId": BOOKINGS_APP_ID}}
    )
    assert_wix_error(r, 400, "REQUIRED_FIELD")
    r = c.get(SLOTS)
    assert_wix_error(r, 405, "METHOD_NOT_ALLOWED")


def test_auth_is_the_sandbox_auth(site):
    studio, srv, c = site
    paths = [
        ("GET", "/site-properties/v4/properties", None),
        ("POST", SLOTS, _day_body()),
        ("POST", READER, {}),
        ("POST", f"{ATT}/query", {}),
    ]
    with httpx.Client(base_url=srv.url, timeout=5.0, **NO_TLS) as anon:
        for method, path, body in paths:
            assert_wix_error(anon.request(method, path, json=body), 401, "UNAUTHENTICATED")
            r = anon.request(method, path, json=body, headers={"Authorization": credentials.API_KEY, "wix-site-id": "nope"})
            assert_wix_error(r, 403, "PERMISSION_DENIED")
        token = anon.post(
            "/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": credentials.APP_ID,
                "client_secret": credentials.APP_SECRET,
                "instance_id": credentials.INSTANCE_ID,
            },
        ).json()["access_token"]
        r = anon.post(SLOTS, json=_day_body(), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["timeSlots"]
        ro = {"Authorization": credentials.READONLY_API_KEY, "wix-site-id": credentials.SITE_ID}
        assert anon.post(READER, json={}, headers=ro).status_code == 200
        booking = next(b for b in studio.bookings.bookings if "slot" in b["bookedEntity"])
        body = {
            "attendance": {"bookingId": booking["id"], "eventId": booking["bookedEntity"]["slot"]["eventId"], "status": "ATTENDED"}
        }
        assert_wix_error(anon.post(f"{ATT}/set", json=body, headers=ro), 403, "PERMISSION_DENIED")


def test_without_bookings_the_app_is_not_installed():
    with SandboxServer(build_studio(20, bookings=False), port=0) as srv:
        r = httpx.post(srv.url + READER, json={}, headers=AUTH, **NO_TLS)
        assert_wix_error(r, 428, "FAILED_PRECONDITION")
        assert httpx.get(srv.url + "/_sandbox/bookings", **NO_TLS).status_code == 404


# ---------------------------------------------------------------------------------------------- determinism


def _dump(studio):
    store = studio.bookings
    return json.dumps(
        [store.bookings, sorted(store.attendance.values(), key=lambda a: a["id"]), [studio.balance(p["id"]) for p in studio.pools]],
        sort_keys=True,
    )


def test_same_settings_same_schedule_and_every_weekday_has_classes():
    a = build_studio(120, seed=7, bookings={"today": DAY})
    b = build_studio(120, seed=7, bookings={"today": DAY})
    assert _dump(a) == _dump(b)
    assert _dump(build_studio(120, seed=7, bookings={"today": "2026-03-31"})) != _dump(a)
    studio = build_studio(60, seed=3, bookings=False)
    for offset in range(7):
        day = datetime.date(2026, 6, 1) + datetime.timedelta(days=offset)
        store = install_bookings(studio, today=day)
        today = _day_events(store, day.isoformat())
        assert len(today) == (9 if day.weekday() >= 5 else 15)
        assert sum(len(e["bookings"]) for e in today) > 50
        assert _day_events(store, day.isoformat(), "COURSE") and _day_events(store, day.isoformat(), "APPOINTMENT")
    # unpinned: today is the current date in the site's zone
    store = build_studio(30, seed=7).bookings
    assert store.today == datetime.datetime.now(store.tz).date()


def test_now_decides_which_sessions_have_attendance():
    store = build_studio(120, seed=7, bookings={"today": DAY}).bookings
    assert store.now_ms == int(datetime.datetime(2026, 3, 30, 9, 30, tzinfo=datetime.UTC).timestamp() * 1000)  # 11:30 local
    for ev in store.events:
        marked = any(store.attendance_for(b["id"], ev["eventId"]) for b in ev["bookings"])
        if ev["end"] > store.now_ms or ev["cancelled"]:
            assert not marked, ev["eventId"]
    late = build_studio(120, seed=7, bookings={"today": DAY, "now": datetime.datetime(2026, 3, 30, 21, 0, tzinfo=datetime.UTC)})
    assert len(late.bookings.attendance) > len(store.attendance)


# ---------------------------------------------------------------------------------------------- consistency


@pytest.mark.parametrize("mode", ["redeem", "reserve"])
def test_plan_bookings_and_pool_transactions_agree(mode):
    base = build_studio(300, seed=7, bookings=False)
    studio = build_studio(300, seed=7, bookings={"today": DAY, "credit_mode": mode})
    store = studio.bookings
    expected = {}  # pool id -> [available delta, reserved delta]
    paid = 0
    for b in store.bookings:
        charge = store.charges.get(b["id"])
        if b["selectedPaymentOption"] != "MEMBERSHIP" or b["paymentStatus"] not in ("PAID", "REFUNDED"):
            assert not store.transactions.get(b["id"]), b
            continue
        paid += 1
        pool = studio.get_pool(charge["poolId"])
        assert pool["beneficiary"]["memberId"] == b["contactDetails"]["contactId"]  # contactId = member's contactId
        amount = Decimal(charge["amount"])
        d = expected.setdefault(charge["poolId"], [Decimal(0), Decimal(0)])
        txs = [studio.find_transaction(t) for t in store.transactions.get(b["id"], [])]
        if amount == 0:
            assert not txs  # unlimited: nothing to move
            continue
        assert all(
            t["details"]["item"]["id"] == b["id"] and t["details"]["item"]["externalId"] == b["bookedEntity"]["slot"]["serviceId"]
            for t in txs
        )
        assert txs[0]["details"]["effectiveDate"] == b["startDate"] and txs[0]["createdDate"] == b["createdDate"]
        att = store.attendance_for(b["id"], b["bookedEntity"]["slot"]["eventId"])
        flows = [(t["source"], t["target"]) for t in txs]
        if b["status"] in ("CANCELED", "DECLINED"):  # DECLINED: a refused double booking, auto-refunded
            assert b["paymentStatus"] == "REFUNDED" and (b["status"] == "CANCELED" or b["doubleBooked"])
            assert flows == (
                [("AVAILABLE", "EXTERNAL"), ("EXTERNAL", "AVAILABLE")]
                if mode == "redeem"
                else [("AVAILABLE", "RESERVED"), ("RESERVED", "AVAILABLE")]
            )
            assert txs[1]["relatedTransactionId"] == txs[0]["id"]
        elif mode == "redeem":
            assert flows == [("AVAILABLE", "EXTERNAL")] and txs[0]["details"]["reason"] == "Redemption"
            d[0] -= amount
        elif att and att["status"] in ("ATTENDED", "NOT_ATTENDED"):
            assert flows == [("AVAILABLE", "RESERVED"), ("RESERVED", "EXTERNAL")] and txs[1]["relatedTransactionId"] == txs[0]["id"]
            d[0] -= amount
        else:  # booked, not yet marked: the credit is only reserved
            assert flows == [("AVAILABLE", "RESERVED")]
            d[0] -= amount
            d[1] += amount
    assert paid > 300
    emptied = 0
    for pool in studio.pools:
        bal, before = studio.balance(pool["id"]), base.balance(pool["id"])
        if bal is None:
            continue
        da, dr = expected.get(pool["id"], (0, 0))
        assert Decimal(bal["amount"]["available"]) == Decimal(before["amount"]["available"]) + da, pool["id"]
        assert Decimal(bal["amount"]["reserved"]) == Decimal(before["amount"]["reserved"]) + dr, pool["id"]
        assert Decimal(bal["amount"]["available"]) >= 0
        # the schedule spends at most half of a pool's credits (rounded up), so the studio stays realistic
        seeded = Decimal(before["amount"]["available"])
        assert seeded - Decimal(bal["amount"]["available"]) <= (seeded + 1) // 2
        emptied += seeded > 0 and bal["amount"]["available"] == "0"
        txs = studio.transactions_for(pool["id"])
        assert signed_total(txs) == {
            "available": Decimal(bal["amount"]["available"]),
            "reserved": Decimal(bal["amount"]["reserved"]),
        }
        assert int(bal["revision"]) == len(txs) and bal["lastTransactionId"] == txs[-1]["id"]
        assert [t["createdDate"] for t in txs] == sorted(t["createdDate"] for t in txs)
    assert emptied >= 5  # some attendees' last credit went on a class: the front desk's "out of credits" case
    # the showcase members (0-13) keep their seeded balances exactly
    for m in studio.members[:14]:
        for p in studio.pools_for(m["id"]):
            assert studio.balance(p["id"]) == base.balance(p["id"])


def test_reserve_mode_check_in_spends_the_reserved_credit_live():
    studio = build_studio(300, seed=7, bookings={"today": DAY, "credit_mode": "reserve"})
    store = studio.bookings
    booking = next(
        b
        for b in store.bookings
        if b["status"] == "CONFIRMED"
        and b["selectedPaymentOption"] == "MEMBERSHIP"
        and store.charges[b["id"]].get("open")
        and b["startDate"] > "2026-03-30T09:30:00.000Z"
    )
    pool_id = store.charges[booking["id"]]["poolId"]
    before = dict(studio.balance(pool_id)["amount"])
    event_id = booking["bookedEntity"]["slot"]["eventId"]
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, headers=AUTH, **NO_TLS) as c:
        n = len(studio.transactions_for(pool_id))
        body = {
            "attendanceDetails": [{"attendance": {"bookingId": booking["id"], "eventId": event_id, "status": "ATTENDED"}}],
            "returnFullEntity": True,
        }
        r = c.post(BULK, json=body).json()
        assert r["bulkActionMetadata"] == {"totalSuccesses": 1, "totalFailures": 0, "undetailedFailures": 0}
        assert r["results"][0]["item"]["status"] == "ATTENDED" and r["results"][0]["item"]["numberOfAttendees"] == 1
        after = c.get(f"/benefit-programs/v1/balances/{pool_id}").json()["balance"]["amount"]
        assert Decimal(after["reserved"]) == Decimal(before["reserved"]) - 1 and after["available"] == before["available"]
        txs = c.post("/benefit-programs/v1/transactions/query", json={"query": {"filter": {"pool.id": pool_id}}}).json()[
            "transactions"
        ]
        assert len(studio.transactions_for(pool_id)) == n + 1 and (txs[0]["source"], txs[0]["target"]) == ("RESERVED", "EXTERNAL")
        assert txs[0]["details"]["item"]["id"] == booking["id"]
        # marking again changes nothing on the pool; the extended booking shows it
        c.post(f"{ATT}/set", json={"attendance": {"bookingId": booking["id"], "eventId": event_id, "status": "NOT_ATTENDED"}})
        assert c.get(f"/benefit-programs/v1/balances/{pool_id}").json()["balance"]["amount"] == after
        eb = c.post(READER, json={"query": {"filter": {"id": booking["id"]}}, "withBookingAttendanceInfo": True}).json()
        assert eb["extendedBookings"][0]["attendance"]["status"] == "NOT_ATTENDED"
        # a session that is not this booking's: a per-item failure, the rest succeed
        other = next(e["eventId"] for e in store.events if e["eventId"] != event_id)
        bad = {"attendance": {"bookingId": booking["id"], "eventId": other, "status": "ATTENDED"}}
        r = c.post(BULK, json={"attendanceDetails": [body["attendanceDetails"][0], bad]}).json()
        assert [x["itemMetadata"]["success"] for x in r["results"]] == [True, False]
        assert r["results"][1]["itemMetadata"]["error"]["code"] == "SESSION_NOT_FOUND" and "item" not in r["results"][0]


def test_pool_items_and_eligible_pools_follow_the_balances(site):
    studio, srv, c = site
    store = studio.bookings
    charged = next(ch for ch in store.charges.values() if studio.balance(ch["poolId"]))
    pool = studio.get_pool(charged["poolId"])
    member = pool["beneficiary"]["memberId"]
    body = {
        "query": {
            "filter": {"beneficiary.memberId": {"$in": [member]}, "providerAppId": BOOKINGS_APP_ID},
            "cursorPaging": {"limit": 1000},
        },
        "fields": ["BALANCE", "BENEFIT"],
    }
    items = c.post("/benefit-programs/v1/pool-items/query", json=body).json()
    assert set(items) == {"poolItems", "metadata"} and items["metadata"]["hasNext"] is False
    mine = [i for i in items["poolItems"] if i["poolId"] == pool["id"]]
    assert SERVICE_IDS["vinyasa"] in {i["externalId"] for i in mine}
    assert all(i["balance"]["available"] == studio.balance(pool["id"])["amount"]["available"] for i in mine)
    assert all(i["benefitInfo"]["price"] == "1" for i in mine)
    ask = {
        "itemReference": {"externalId": SERVICE_IDS["vinyasa"], "providerAppId": BOOKINGS_APP_ID, "category": ""},
        "count": 1,
        "beneficiary": {"memberId": member},
        "namespace": "@wix/pricing-plans",
    }
    for path in ("/benefit-programs/v1/pools/eligible-pools", "/_api/benefit-programs/v1/pools/eligible-pools"):
        got = c.post(path, json=ask).json()["eligibleBenefits"]
        usable = [
            p["id"]
            for p in studio.pools_for(member)
            if p["status"] == "ACTIVE"
            and (studio.balance(p["id"]) is None or Decimal(studio.balance(p["id"])["amount"]["available"]) >= 1)
        ]
        assert sorted(e["poolId"] for e in got) == sorted(usable)
    # the course is not plan-enabled: nothing can pay for it
    ask["itemReference"]["externalId"] = SERVICE_IDS["course"]
    assert c.post("/benefit-programs/v1/pools/eligible-pools", json=ask).json() == {"eligibleBenefits": []}
    # a member at zero: not eligible for a credit plan
    zero = next(
        p
        for p in studio.pools
        if p["status"] == "ACTIVE" and studio.balance(p["id"]) and studio.balance(p["id"])["amount"]["available"] == "0"
    )
    ask.update(
        itemReference={"externalId": SERVICE_IDS["vinyasa"], "providerAppId": BOOKINGS_APP_ID}, beneficiary=zero["beneficiary"]
    )
    assert zero["id"] not in {
        e["poolId"] for e in c.post("/benefit-programs/v1/pools/eligible-pools", json=ask).json()["eligibleBenefits"]
    }


# ---------------------------------------------------------------------------------------------- time zones, DST


def _utc(store, ev):
    return datetime.datetime.fromtimestamp(ev["start"] / 1000, datetime.UTC).strftime("%H:%M")


def test_dst_change_day_keeps_local_times_and_utc_day_bounds():
    # Europe/Berlin springs forward on 2026-03-29 (a 23-hour day); classes stay at their local times
    studio = build_studio(120, seed=7, bookings={"today": "2026-03-29"})
    store = studio.bookings
    sat = _day_events(store, "2026-03-28")
    sun = _day_events(store, "2026-03-29")
    assert sat[0]["slot_start"].endswith("T08:00:00.000+01:00") and _utc(store, sat[0]) == "07:00"
    assert sun[0]["slot_start"].endswith("T08:00:00.000+02:00") and _utc(store, sun[0]) == "06:00"
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, headers=AUTH, **NO_TLS) as c:
        slots = c.post(SLOTS, json=_day_body("2026-03-29")).json()["timeSlots"]
        assert [s["localStartDate"][11:16] for s in slots] == [
            "08:00",
            "09:00",
            "09:30",
            "10:30",
            "11:00",
            "12:00",
            "16:00",
            "17:00",
            "18:00",
        ]
        flt = {"startDate": {"$gte": "2026-03-28T23:00:00.000Z", "$lt": "2026-03-29T22:00:00.000Z"}}
        got = c.post(READER, json={"query": {"filter": flt, "cursorPaging": {"limit": 100}}}).json()["pagingMetadata"]["total"]
        want = sum(len(e["bookings"]) for e in store.events if e["kind"] != "COURSE" and e["slot_start"].startswith("2026-03-29"))
        assert got == want
        # the same instant asked in UTC: the 08:00 CEST class is a 06:00 UTC slot
        utc = c.post(SLOTS, json=_day_body("2026-03-29", timeZone="UTC")).json()
        assert utc["timeZone"] == "UTC" and utc["timeSlots"][0]["localStartDate"] == "2026-03-29T06:00:00"


def test_a_zone_far_from_utc():
    # Auckland is UTC+13 until its DST ends on 2026-04-05 (a 25-hour day), then UTC+12
    studio = build_studio(120, seed=7, bookings={"today": "2026-04-05", "time_zone": "Pacific/Auckland"})
    store = studio.bookings
    assert store.now_ms == int(datetime.datetime(2026, 4, 4, 23, 30, tzinfo=datetime.UTC).timestamp() * 1000)
    sat = _day_events(store, "2026-04-04")
    sun = _day_events(store, "2026-04-05")
    assert sat[0]["slot_start"] == "2026-04-04T08:00:00.000+13:00" and _utc(store, sat[0]) == "19:00"
    assert sun[0]["slot_start"] == "2026-04-05T08:00:00.000+12:00" and _utc(store, sun[0]) == "20:00"
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, headers=AUTH, **NO_TLS) as c:
        assert c.get("/site-properties/v4/properties?fields=timeZone").json()["properties"]["timeZone"] == "Pacific/Auckland"
        slots = c.post(SLOTS, json=_day_body("2026-04-05")).json()
        assert slots["timeZone"] == "Pacific/Auckland" and [s["eventInfo"]["eventId"] for s in slots["timeSlots"]] == [
            e["eventId"] for e in sun
        ]
        # the local day starts on the previous UTC date
        flt = {"startDate": {"$gte": "2026-04-04T11:00:00Z", "$lt": "2026-04-05T12:00:00Z"}}
        eb = c.post(READER, json={"query": {"filter": flt, "cursorPaging": {"limit": 100}}}).json()
        want = sum(len(e["bookings"]) for e in store.events if e["kind"] != "COURSE" and e["slot_start"].startswith("2026-04-05"))
        assert eb["pagingMetadata"]["total"] == want
        assert all(e["booking"]["bookedEntity"]["slot"]["timezone"] == "Pacific/Auckland" for e in eb["extendedBookings"])


# ---------------------------------------------------------------------------------------------- control endpoint


def test_control_endpoint_rebuilds_with_other_settings_and_keeps_pools_consistent():
    studio = build_studio(200, seed=7, bookings={"today": DAY})
    base = build_studio(200, seed=7, bookings=False)
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, **NO_TLS) as c:
        got = c.get("/_sandbox/bookings").json()
        assert got["today"] == DAY and got["creditMode"] == "redeem" and got["timeZone"] == "Europe/Berlin"
        got = c.post(
            "/_sandbox/bookings", json={"today": "2026-07-01", "creditMode": "reserve", "timeZone": "America/Los_Angeles"}
        ).json()
        assert (got["today"], got["creditMode"], got["timeZone"], got["now"]) == (
            "2026-07-01",
            "reserve",
            "America/Los_Angeles",
            "2026-07-01T18:30:00.000Z",
        )
        assert c.post("/_sandbox/bookings", json={"creditMode": "later"}).status_code == 400
        assert c.post("/_sandbox/bookings", json={"timeZone": "Nowhere/Land"}).status_code == 400
        assert c.post("/_sandbox/bookings", json={"colour": "red"}).status_code == 400
        slots = c.post(SLOTS, json=_day_body("2026-07-01"), headers=AUTH).json()
        assert slots["timeZone"] == "America/Los_Angeles" and len(slots["timeSlots"]) == 15
    # the old schedule's transactions are gone; only the new one's remain
    store = studio.bookings
    ours = {t for ids in store.transactions.values() for t in ids}
    for pool in studio.pools:
        if studio.balance(pool["id"]) is None:
            continue
        txs = studio.transactions_for(pool["id"])
        seeded = [t for t in txs if t["id"] not in ours]
        assert seeded == base.transactions_for(pool["id"])
        assert signed_total(txs) == {
            "available": Decimal(studio.balance(pool["id"])["amount"]["available"]),
            "reserved": Decimal(studio.balance(pool["id"])["amount"]["reserved"]),
        }


def test_calendar_events_give_the_days_course_session_appointments_and_staff(site):
    studio, srv, c = site
    store = studio.bookings
    body = {
        "fromLocalDate": f"{DAY}T00:00:00",
        "toLocalDate": "2026-03-31T00:00:00",
        "timeZone": "Europe/Berlin",
        "query": {"filter": {"appId": BOOKINGS_APP_ID, "type": {"$in": ["COURSE", "APPOINTMENT"]}}, "cursorPaging": {"limit": 100}},
    }
    for path in ("/calendar/v3/events/query", "/_api/calendar/v3/events/query"):
        events = c.post(path, json=body).json()["events"]
        assert [(e["type"], e["start"]["localDate"][11:16]) for e in events] == [
            ("APPOINTMENT", "13:00"),
            ("APPOINTMENT", "16:00"),
            ("COURSE", "19:30"),
        ]
    course = events[-1]
    assert course["scheduleId"] == store.services_by_id[SERVICE_IDS["course"]]["schedule"]["id"]
    assert course["participants"]["total"] == 6 and course["recurrenceType"] == "INSTANCE"
    classes = c.post(
        "/calendar/v3/events/query", json={**body, "query": {"filter": {"type": "CLASS"}, "cursorPaging": {"limit": 6}}}
    ).json()
    assert len(classes["events"]) == 6 and classes["pagingMetadata"]["hasNext"]
    rest = c.post(
        "/calendar/v3/events/query",
        json={"query": {"cursorPaging": {"cursor": classes["pagingMetadata"]["cursors"]["next"], "limit": 100}}},
    )
    everything = classes["events"] + rest.json()["events"]
    assert [e["id"] for e in everything] == [e["eventId"] for e in _day_events(store)]
    assert sum(e["status"] == "CANCELLED" for e in everything) == 1
    assert all(e["resources"][0]["name"] in {"Lena Vogel", "Marco Bianchi", "Aiko Sato"} for e in everything)
    assert_wix_error(c.post("/calendar/v3/events/query", json={"query": {}}), 400, "REQUIRED_FIELD")


def test_command_line_pins_the_day_zone_and_credit_mode():
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    args = ["--port", "0", "--members", "40", "--bookings-today", "2026-03-29", "--time-zone", "Pacific/Auckland"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args, "--credit-mode", "reserve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        text = ""
        for _ in range(20):
            line = proc.stdout.readline()
            text += line
            if "Ctrl-C" in line or not line:
                break
        url = re.search(r"http://127\.0\.0\.1:\d+", text).group(0)
        got = httpx.get(url + "/_sandbox/bookings", **NO_TLS).json()
        assert (got["today"], got["timeZone"], got["creditMode"]) == ("2026-03-29", "Pacific/Auckland", "reserve")
        assert "/_sandbox/bookings" in text
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_delete_attendance_single_and_bulk():
    studio = build_studio(120, seed=7, bookings={"today": DAY})
    store = studio.bookings
    ids = sorted(store.attendance)[:4]
    with SandboxServer(studio, port=0) as srv, httpx.Client(base_url=srv.url, headers=AUTH, **NO_TLS) as c:
        assert c.delete(f"/bookings/v2/attendance/{ids[0]}", params={"attendanceId": ids[0]}).json() == {}
        assert_wix_error(c.get(f"{ATT}/{ids[0]}"), 404, "ATTENDANCE_NOT_FOUND")
        assert_wix_error(c.delete(f"{ATT}/{ids[0]}"), 404, "ATTENDANCE_NOT_FOUND")
        r = c.post("/bookings/v2/bulk/attendance/delete", json={"attendanceIds": [ids[1], ids[2], ids[0]]}).json()
        assert [x["itemMetadata"]["success"] for x in r["results"]] == [True, True, False]
        assert r["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 1, "undetailedFailures": 0}
        assert set(ids[:3]).isdisjoint(store.attendance) and ids[3] in store.attendance
        assert_wix_error(c.post("/bookings/v2/bulk/attendance/delete", json={"attendanceIds": ids * 3}), 400, "MAX_SIZE")
        # a deleted mark reads as NOT_SET on the booking again
        a = store.attendance[ids[3]]
        c.delete(f"{ATT}/{ids[3]}")
        eb = c.post(READER, json={"query": {"filter": {"id": a["bookingId"]}}, "withBookingAttendanceInfo": True}).json()
        assert eb["extendedBookings"][0]["attendance"] == {"status": "NOT_SET", "numberOfAttendees": 0}
