"""Check-in through the Today page's endpoints, over HTTP against a real loopback sandbox and a real database:
the cell answers every outcome in place (never a 500), a resent button is one check-in, Retry after a lost
answer applies once, Undo sets it back, and "Everyone present" marks a session in bulk calls of 8."""

import csv
import re
import uuid
from datetime import datetime

import pytest

from balances.audit import AuditEntry
from tests.conftest import BOOKINGS_DAY
from tests.helpers import wix_calls

DAY = BOOKINGS_DAY  # the day bookings_wix's schedule is around
SET = "/bookings/bookings-attendance/set"
BULK = "/bookings/v2/bulk/attendance/set"


def today_class(server, *, min_confirmed=1):
    s = server.studio.bookings
    for ev in s.events:
        local = datetime.fromtimestamp(ev["start"] / 1000, s.tz).date().isoformat()
        if ev["kind"] != "CLASS" or ev["cancelled"] or local != DAY or ev["start"] <= s.now_ms:
            continue
        confirmed = [b for b in ev["bookings"] if b["status"] == "CONFIRMED" and s.attendance_for(b["id"], ev["eventId"]) is None]
        if len(confirmed) >= min_confirmed:
            return ev, confirmed
    raise AssertionError("no such class today")


def post_check_in(client, booking, ev, *, status="ATTENDED", key=None):
    return client.post(
        "/today/check-in/",
        {
            "booking": booking["id"],
            "event": ev["eventId"],
            "status": status,
            "key": key or str(uuid.uuid4()),
            "seen": "NOT_SET",
            "participants": "1",
            "name": "Ada",
            "session": "Vinyasa 09:00",
        },
        HTTP_HX_REQUEST="true",
    )


def attendance(server, booking, ev):
    att = server.studio.bookings.attendance_for(booking["id"], ev["eventId"])
    return att["status"] if att else "NOT_SET"


def test_the_today_page_offers_check_in_to_the_front_desk(bookings_wix, frontdesk_client):
    ev, confirmed = today_class(bookings_wix)
    page = frontdesk_client.get(f"/today/?day={DAY}").content.decode()
    assert f'id="checkin-{confirmed[0]["id"]}"' in page
    assert "Everyone present" in page and 'name="status" value="ATTENDED"' in page


def test_checking_in_answers_the_cell_and_offers_undo(bookings_wix, frontdesk_client):
    ev, confirmed = today_class(bookings_wix)
    booking = confirmed[0]
    response = post_check_in(frontdesk_client, booking, ev)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<td")
    assert "Attended" in body and "Undo" in body
    assert attendance(bookings_wix, booking, ev) == "ATTENDED"
    entry = AuditEntry.objects.get()
    assert (entry.kind, entry.username, entry.member_name, entry.plan_name) == ("checkin", "frank", "Ada", "Vinyasa 09:00")
    undo_url = re.search(r'hx-post="(/today/check-in/\d+/undo/)"', body).group(1)
    undo_key = re.search(r'name="key" value="([0-9a-f-]{36})"', body).group(1)
    undone = frontdesk_client.post(undo_url, {"key": undo_key}, HTTP_HX_REQUEST="true")
    assert undone.status_code == 200 and "No-show" in undone.content.decode()
    assert attendance(bookings_wix, booking, ev) == "NOT_ATTENDED"
    assert AuditEntry.objects.count() == 2


def test_a_resent_button_is_one_check_in(bookings_wix, frontdesk_client):
    ev, confirmed = today_class(bookings_wix)
    key = str(uuid.uuid4())
    first = post_check_in(frontdesk_client, confirmed[0], ev, key=key)
    second = post_check_in(frontdesk_client, confirmed[0], ev, key=key)
    assert first.status_code == second.status_code == 200
    assert AuditEntry.objects.count() == 1 and len(wix_calls(bookings_wix, SET)) == 1


def test_a_lost_answer_shows_retry_with_the_same_key_and_retry_applies_once(bookings_wix, frontdesk_client, settings):
    settings.WIX_TIMEOUT_SECONDS = 0.5
    ev, confirmed = today_class(bookings_wix)
    bookings_wix.faults.script("apply_then_timeout", path_prefix=SET, hang=2.0)
    key = str(uuid.uuid4())
    lost = post_check_in(frontdesk_client, confirmed[0], ev, key=key)
    body = lost.content.decode()
    assert lost.status_code == 503 and "Retry" in body and f'value="{key}"' in body and 'role="alert"' in body
    retried = post_check_in(frontdesk_client, confirmed[0], ev, key=key)
    assert retried.status_code == 200 and "confirmed by reading Wix" in retried.content.decode()
    assert AuditEntry.objects.get().outcome == "applied" and len(wix_calls(bookings_wix, SET)) == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"key": "not-a-key"}, 400),
        ({"status": "MAYBE"}, 400),
        ({"booking": "x" * 65}, 400),
        ({"member": "../../etc"}, 400),
        ({"event": "no-such-session"}, 422),
    ],
)
def test_bad_input_is_a_clear_message_in_the_row_never_a_500(bookings_wix, frontdesk_client, change, status):
    ev, confirmed = today_class(bookings_wix)
    data = {"booking": confirmed[0]["id"], "event": ev["eventId"], "status": "ATTENDED", "key": str(uuid.uuid4()), **change}
    response = frontdesk_client.post("/today/check-in/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == status
    assert 'class="checkin-message' in response.content.decode()


def test_wix_rate_limiting_is_shown_in_the_row_and_nothing_is_set(bookings_wix, frontdesk_client):
    ev, confirmed = today_class(bookings_wix)
    bookings_wix.faults.script("status", path_prefix=SET, status=429, retry_after=30)
    response = post_check_in(frontdesk_client, confirmed[0], ev)
    assert response.status_code == 502 and "Not sent" in response.content.decode()
    assert AuditEntry.objects.get().outcome == "failed" and attendance(bookings_wix, confirmed[0], ev) == "NOT_SET"


def test_wix_down_mid_write_is_unknown_in_the_row(bookings_wix, frontdesk_client):
    """A 503 to a write says nothing about whether Wix applied it: unknown, with Retry, never "failed"."""
    ev, confirmed = today_class(bookings_wix)
    bookings_wix.faults.script("status", path_prefix=SET, status=503)
    response = post_check_in(frontdesk_client, confirmed[0], ev)
    assert response.status_code == 503 and "Retry" in response.content.decode()
    assert AuditEntry.objects.get().outcome == "unknown"


def test_without_a_wix_connection_the_cell_says_so(frontdesk_client, settings):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""
    response = frontdesk_client.post(
        "/today/check-in/",
        {"booking": "b", "event": "e", "status": "ATTENDED", "key": str(uuid.uuid4())},
        HTTP_HX_REQUEST="true",
    )
    assert 400 <= response.status_code < 500 or response.status_code == 503
    assert not AuditEntry.objects.exists()


def test_everyone_present_marks_the_session_in_chunks_of_8(bookings_wix, owner_client):
    ev, confirmed = today_class(bookings_wix, min_confirmed=9)
    response = owner_client.post(
        "/today/everyone-present/", {"event": ev["eventId"], "day": DAY, "key": str(uuid.uuid4())}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200, response.content.decode()[:500]
    assert f"{len(confirmed)} of {len(confirmed)} checked in" in response.content.decode()
    assert all(attendance(bookings_wix, b, ev) == "ATTENDED" for b in confirmed)
    bulk = wix_calls(bookings_wix, BULK)
    assert len(bulk) == -(-len(confirmed) // 8) and max(len(r.body["attendanceDetails"]) for r in bulk) == 8


def test_check_in_needs_login(client):
    response = client.post("/today/check-in/", {})
    assert response.status_code in (302, 403)


def test_check_ins_are_in_the_audit_log_guests_included(bookings_wix, owner_client):
    ev, confirmed = today_class(bookings_wix)
    post_check_in(owner_client, confirmed[0], ev)  # posted without a member: a guest
    page = owner_client.get("/audit/?kind=checkin")
    body = page.content.decode()
    assert page.status_code == 200 and "Check-in: Attended" in body and "(guest)" in body and "olivia" in body


def test_the_audit_csv_names_the_booking_session_and_what_was_set(bookings_wix, owner_client):
    ev, confirmed = today_class(bookings_wix)
    post_check_in(owner_client, confirmed[0], ev)
    rows = list(csv.reader(owner_client.get("/audit/export.csv?kind=checkin").content.decode().splitlines()))
    assert rows[0][-3:] == ["booking_id", "session_id", "attendance"]
    assert rows[1][-3:] == [confirmed[0]["id"], ev["eventId"], "ATTENDED"] and len(rows) == 2
