"""The Today page in a real Chromium at desk (1440 px) and phone (390 px) widths: the day's sessions
with their attendees, previous/next day by URL, and one click from an attendee to the member panel."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page):
    """Nothing of the day sticks out sideways (the top bar and the member panel are other pages' own)."""
    wide = page.evaluate(
        """() => [...document.querySelectorAll('#main > section *, #day *')]
                 .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                 .map(e => e.tagName + '.' + e.className)"""
    )
    assert wide == [], wide[:12]


@pytest.mark.parametrize(("width", "height", "name"), [(1440, 900, "desk"), (390, 844, "phone")])
def test_today_shows_the_day_and_opens_a_member(page, wix, width, height, name):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "Front desk")
    page.goto("/members/")  # any page with the menu; home would first scan the whole studio (conftest.LANDING)
    if width < 600 and page.locator("nav[aria-label=Main] a", has_text="Today").is_hidden():
        page.locator("button[aria-controls], .nav-toggle").first.click()  # the phone menu (desk-ux) folds the nav
    page.locator("nav[aria-label=Main] a", has_text="Today").click()
    expect(page).to_have_url(re.compile(r"/today/$"))
    store = wix.studio.bookings
    expect(page.locator("h1")).to_contain_text("Today, ")
    expect(page.locator("h1")).to_contain_text(store.today.strftime("%B"))
    sessions = page.locator("article.session")
    expect(sessions.first).to_be_visible()
    assert sessions.count() >= 9  # weekend days have 9 classes, weekdays 15, plus appointments
    expect(page.locator(".today-meta")).to_contain_text(f"Times in {store.time_zone}")
    expect(page.locator(".today-meta .fetched")).to_contain_text(re.compile(r"(Live from Wix at|As of)\s+\d\d:\d\d"))
    # The day's part polls itself (every 45 s) while the page is open.
    assert page.locator("#day").get_attribute("hx-trigger") == "every 45s"
    _no_sideways_scroll(page)
    screenshot(page, f"today-{name}")
    link = page.locator("article.session .member-link").first
    link.scroll_into_view_if_needed()
    who = link.inner_text().strip()
    link.click()
    panel = page.locator("#panel")
    expect(panel.locator("h2")).to_have_text(who)
    expect(page.locator("#day article.session").first).to_be_visible()  # the day stays beside it
    expect(panel).to_contain_text("Free to book")
    panel.scroll_into_view_if_needed()
    screenshot(page, f"today-{name}-member")
    _no_sideways_scroll(page)


def test_previous_and_next_day_follow_the_url(page, wix):
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "Front desk")
    page.goto("/today/")
    today = wix.studio.bookings.today
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r"/today/\?day=" + (today.fromordinal(today.toordinal() + 1)).isoformat()))
    expect(page.locator("h1")).not_to_contain_text("Today, ")
    expect(page.locator("article.session").first).to_be_visible()
    page.go_back()
    expect(page.locator("h1")).to_contain_text("Today, ")
    page.goto("/today/?day=2026-02-30")
    expect(page.locator("#day .banner-error")).to_contain_text("YYYY-MM-DD")
