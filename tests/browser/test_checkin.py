"""Check-in in a real Chromium: the front desk checks someone in from the Today page and undoes the mis-tap,
each answer replacing only that attendee's cell."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from sandbox import SandboxServer, build_studio
from tests.browser.conftest import log_in, screenshot
from tests.conftest import _point_at

pytestmark = pytest.mark.browser
DAY = "2026-03-30"


@pytest.fixture
def bookings_site(site, settings):
    server = SandboxServer(build_studio(members=80, seed=5, bookings={"today": DAY}), host="127.0.0.1", port=0).start()
    _point_at(settings, server)
    yield server
    server.stop()


def later_booking(server):
    s = server.studio.bookings
    for ev in s.events:
        local = datetime.fromtimestamp(ev["start"] / 1000, s.tz).date().isoformat()
        if ev["kind"] == "CLASS" and not ev["cancelled"] and local == DAY and ev["start"] > s.now_ms:
            for b in ev["bookings"]:
                if b["status"] == "CONFIRMED" and s.attendance_for(b["id"], ev["eventId"]) is None:
                    return b, ev
    raise AssertionError("no later class today")


def test_front_desk_checks_someone_in_from_today_and_undoes_it(page, bookings_site):
    booking, ev = later_booking(bookings_site)
    log_in(page, "Front desk")
    page.goto(f"/today/?day={DAY}")
    cell = page.locator(f"#checkin-{booking['id']}")
    expect(cell.get_by_role("button", name="Attended")).to_be_visible()

    cell.locator("button[value=ATTENDED]").click()
    cell = page.locator(f"#checkin-{booking['id']}")
    expect(cell.locator(".badge")).to_have_text("Attended")
    expect(cell.get_by_role("button", name="Undo")).to_be_visible()
    assert bookings_site.studio.bookings.attendance_for(booking["id"], ev["eventId"])["status"] == "ATTENDED"
    cell.scroll_into_view_if_needed()
    screenshot(page, "today-checked-in")
    page.reload()  # a refresh (or the 45-second poll) keeps the mis-tap's Undo on offer
    cell = page.locator(f"#checkin-{booking['id']}")
    expect(cell.locator(".badge")).to_have_text("Attended")

    cell.get_by_role("button", name="Undo").click()
    cell = page.locator(f"#checkin-{booking['id']}")
    expect(cell.locator(".badge")).to_have_text("No-show")
    expect(cell.get_by_role("button", name="Attended")).to_be_visible()  # can be checked in again
    assert bookings_site.studio.bookings.attendance_for(booking["id"], ev["eventId"])["status"] == "NOT_ATTENDED"

    # The page's next refresh (cached reads were invalidated) shows the same thing.
    page.reload()
    expect(page.locator(f"#checkin-{booking['id']} .badge")).to_have_text("No-show")
