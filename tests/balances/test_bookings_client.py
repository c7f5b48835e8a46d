"""The Wix client's Bookings reads against the sandbox: the records they parse, each API's own paging,
the zone the time slots answer names, pool items and balances, eligible pools, and retry safety."""

import datetime
from decimal import Decimal

import pytest

from balances.wix import retry
from balances.wix.auth import ApiKeyAuth
from balances.wix.bookings_records import Booking, parse_local
from balances.wix.client import WixClient
from sandbox import SandboxServer, build_studio
from sandbox import credentials as sc
from sandbox.bookings import SERVICE_IDS
from sandbox.bookings.store import heads
from tests.helpers import wix_calls

DAY = "2026-03-30"


@pytest.fixture(scope="module")
def site():
    server = SandboxServer(build_studio(members=120, seed=9, bookings={"today": DAY, "time_zone": "Pacific/Auckland"}), port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(site):
    site.log.clear()
    return WixClient(site.url, ApiKeyAuth(sc.API_KEY, sc.SITE_ID), timeout=3)


def test_the_site_zone_and_time_slots_in_it(client, site):
    assert client.get_site_time_zone() == "Pacific/Auckland"
    page = client.list_event_time_slots(from_local=f"{DAY}T00:00:00", to_local=f"{DAY}T23:59:59")
    assert page.time_zone == "Pacific/Auckland" and page.next_cursor is None  # no zone sent: the site's
    assert [s.local_start.strftime("%H:%M") for s in page.items][:2] == ["07:00", "08:00"]
    assert all(s.local_start.tzinfo is None and s.local_start.date().isoformat() == DAY for s in page.items)
    store = site.studio.bookings
    for slot in page.items:
        ev = store.events_by_id[slot.event_id]
        assert slot.booked == min(sum(heads(b) for b in ev["bookings"] if b["status"] in ("CONFIRMED", "PENDING")), ev["capacity"])
    # Small pages follow Time Slots' own cursor (pagingMetadata.hasNext) to the same list.
    walked, page2 = [], client.list_event_time_slots(from_local=f"{DAY}T00:00:00", to_local=f"{DAY}T23:59:59", limit=4)
    walked.extend(page2.items)
    while page2.next_cursor:
        page2 = client.list_event_time_slots(cursor=page2.next_cursor, limit=4)
        walked.extend(page2.items)
    assert walked == page.items


def test_calendar_events_bring_courses_appointments_and_staff(client):
    page = client.query_calendar_events(from_local=f"{DAY}T00:00:00", to_local="2026-03-31T00:00:00")
    kinds = {e.type for e in page.items}
    assert {"CLASS", "COURSE", "APPOINTMENT"} <= kinds
    assert all(e.instructors for e in page.items) and all(len(e.id) > 36 for e in page.items)


def test_extended_bookings_by_offset_pages_equal_one_walk(client, site):
    store = site.studio.bookings
    day = [e for e in store.events if e["slot_start"].startswith(DAY) and e["kind"] != "COURSE"]
    ids = [e["eventId"] for e in day]
    flt = {"bookedEntity.item.slot.eventId": {"$in": ids}}
    sort = [{"fieldName": "startDate", "order": "ASC"}, {"fieldName": "id", "order": "ASC"}]
    first = client.query_extended_bookings(filter=flt, sort=sort, limit=50)
    assert first.total > 100
    found = list(first.bookings)
    for offset in range(50, first.total, 50):
        found.extend(client.query_extended_bookings(filter=flt, sort=sort, offset=offset, limit=50).bookings)
    assert len({b.id for b in found}) == first.total == len(found)
    assert {b.id for b in found} == {b["id"] for e in day for b in e["bookings"]}
    sent = wix_calls(site, "/_api/bookings-reader/")[0].body
    assert sent["withBookingAttendanceInfo"] is True and sent["query"]["paging"] == {"limit": 50, "offset": 0}


def test_booking_records_read_every_form_of_the_wire():
    course = Booking.from_wire(
        {
            "booking": {
                "id": "b1",
                "status": "CONFIRMED",
                "bookedEntity": {"schedule": {"scheduleId": "s1", "serviceId": "svc"}, "tags": ["COURSE"]},
                "contactDetails": {"contactId": "c1", "firstName": "Ana"},
                "createdBy": {"memberId": "m1", "contactId": "c1"},
                "participantsChoices": {"serviceChoices": [{"numberOfParticipants": 2}, {"numberOfParticipants": 1}]},
                "selectedPaymentOption": "MEMBERSHIP",
                "paymentStatus": "PAID",
            }
        }
    )
    assert course.is_course and course.schedule_id == "s1" and course.participants == 3 and course.attendance == "NOT_SET"
    assert course.member_id_if_self_booked == "m1" and course.charged_to_plan
    by_staff = Booking.from_wire(
        {"booking": {"contactDetails": {"contactId": "c2"}, "createdBy": {"wixUserId": "u", "contactId": "c9"}}}
    )
    assert by_staff.member_id_if_self_booked == "" and not by_staff.charged_to_plan
    offline = Booking.from_wire({"booking": {"selectedPaymentOption": "MEMBERSHIP_OFFLINE", "paymentStatus": "NOT_PAID"}})
    assert offline.plan_payment and not offline.charged_to_plan
    # A slot's local date may carry an offset: the wall-clock time stays.
    assert parse_local("2026-03-30T09:00:00.000+02:00") == datetime.datetime(2026, 3, 30, 9, 0)
    assert parse_local("2026-03-29T03:00:00") == datetime.datetime(2026, 3, 29, 3, 0) and parse_local("nope") is None


def test_pool_items_and_balances_match_the_pools(client, site):
    studio = site.studio
    member = next(m for m in studio.members[14:] if any(studio.balance(p["id"]) for p in studio.pools_for(m["id"])))
    items = client.query_pool_items(
        filter={"beneficiary.memberId": {"$in": [member["id"]]}, "externalId": {"$in": [SERVICE_IDS["vinyasa"]]}}
    ).items
    assert items and all(i.member_id == member["id"] and i.service_id == SERVICE_IDS["vinyasa"] for i in items)
    for item in items:
        pool = studio._pools_by_id[item.pool_id]
        assert item.status == pool["status"] and item.plan_name
        balance = studio.balance(item.pool_id)
        assert item.unlimited == (balance is None)
        if balance:
            assert item.available == Decimal(balance["amount"]["available"])
    with_credits = [i.pool_id for i in items if not i.unlimited]
    balances = client.list_balances(with_credits)
    assert {b.pool_id for b in balances} == set(with_credits)
    assert all(b.reserved == Decimal(studio.balance(b.pool_id)["amount"]["reserved"]) for b in balances)


def test_eligible_pools_names_pools_that_can_pay_now(client, site):
    studio = site.studio
    member = next(m for m in studio.members if any(p["status"] == "ACTIVE" for p in studio.pools_for(m["id"])))
    found = client.eligible_pools(service_id=SERVICE_IDS["yin"], member_id=member["id"])
    assert {e.pool_id for e in found} <= {p["id"] for p in studio.pools_for(member["id"]) if p["status"] == "ACTIVE"}
    assert client.eligible_pools(service_id=SERVICE_IDS["private"], member_id=member["id"]) == []


def test_bookings_reads_sent_as_post_are_safe_to_repeat():
    assert retry.is_repeatable("POST", "/_api/service-availability/v2/time-slots/event", {})
    assert retry.is_repeatable("POST", "/benefit-programs/v1/pools/eligible-pools", {})
    assert not retry.is_repeatable("POST", "/bookings/bookings-attendance/set", {})


def test_services_come_with_their_type_and_the_plans_that_pay(client, site):
    services = {s.id: s for s in client.query_services()}
    assert services[SERVICE_IDS["vinyasa"]].type == "CLASS" and services[SERVICE_IDS["course"]].type == "COURSE"
    assert services[SERVICE_IDS["private"]].type == "APPOINTMENT" and services[SERVICE_IDS["private"]].plan_ids == ()
    assert services[SERVICE_IDS["vinyasa"]].plan_ids and services[SERVICE_IDS["yin"]].name == "Yin Yoga"
    sent = wix_calls(site, "/_api/bookings/v2/services/query")[0].body
    assert sent == {"query": {"paging": {"limit": 100, "offset": 0}}}  # Services page by offset, not cursor


def test_contacts_map_to_members_and_guests_are_absent(client, site):
    studio = site.studio
    members = studio.members[20:25]
    found = client.member_ids_by_contact([m["contactId"] for m in members] + ["6f1c0000-0000-4000-8000-00000000g001"])
    assert found == {m["contactId"]: m["id"] for m in members}
