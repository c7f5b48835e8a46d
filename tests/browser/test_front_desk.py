"""What people click, in a real Chromium: login, search, paging with the URL, the member panel,
roles, and a session that expires in the middle of an HTMX request."""

import re

import pytest
from playwright.sync_api import expect

from sandbox import DEMO_MEMBER_ID
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_login_lands_on_the_app_and_home_shows_counts(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    screenshot(page, "login")
    log_in(page, "Owner")
    page.goto("/")
    # The background scan finishes and the counts swap in without a reload.
    expect(page.locator(".attention-card .count").first).to_be_visible()
    expect(page.locator(".as-of")).to_contain_text("balances checked")
    expect(page.locator(".attention-out .label")).to_have_text("Out of credits")
    screenshot(page, "home-needs-attention", full_page=True)
    page.click(".attention-out a")
    expect(page).to_have_url(re.compile(r"/members/attention/out/$"))
    expect(page.locator("table.attention-rows .member-link").first).to_be_visible()


def test_slash_focuses_search_and_results_follow_typing(page, wix):
    log_in(page, "Front desk")
    page.goto("/members/")
    page.locator("h1, main").first.click()
    page.locator("body").press("/")
    expect(page.locator("#q")).to_be_focused()
    member = next(
        m
        for m in wix.studio.members[20:]
        if (m["contact"].get("lastName") or "").isascii() and len(m["contact"].get("lastName") or "") >= 5
    )
    last_name = member["contact"]["lastName"]
    page.keyboard.type(last_name[:5], delay=40)
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(last_name[:5])))
    rows = page.locator("table.members tbody tr")
    expect(rows.first).to_contain_text(last_name[:5], ignore_case=True)
    screenshot(page, "members-search")


def test_paging_forward_and_back_follows_the_url(page):
    log_in(page, "Front desk")
    page.goto("/members/")
    first_row = page.locator("table.members .member-link").first
    first_name = first_row.inner_text()
    screenshot(page, "members-list", full_page=True)
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r"offset=25"))
    expect(page.locator(".pager .muted").first).to_contain_text("26–50")
    second_name = page.locator("table.members .member-link").first.inner_text()
    assert second_name != first_name
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"offset="))
    expect(page.locator("table.members .member-link").first).to_have_text(first_name)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"offset=25"))
    expect(page.locator("table.members .member-link").first).to_have_text(second_name)
    page.reload()
    expect(page.locator("table.members .member-link").first).to_have_text(second_name)


def test_opening_a_member_shows_credits_at_a_glance_and_explains_a_balance(page, wix):
    log_in(page, "Front desk")
    page.goto("/members/?q=Maya")
    page.click(f"a.member-link[href$='{DEMO_MEMBER_ID}/']")
    panel = page.locator("#panel")
    expect(panel.locator("h2")).to_have_text("Maya Levi")
    expect(panel.locator(".credit-bar").first).to_be_visible()
    expect(panel.locator(".badge").first).to_have_text(re.compile(r"\w+"))  # status in words, not colour only
    expect(panel).to_contain_text("Free to book")
    panel.locator(".explain-link").first.click()
    expect(panel.locator(".explanation").first).to_contain_text("the same as Wix")
    screenshot(page, "member-panel", full_page=True)


def test_tablet_layout_keeps_the_panel_and_list_usable(page, browser, site):
    log_in(page, "Front desk")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet in portrait at the desk
    page.goto(f"/members/{DEMO_MEMBER_ID}/")
    expect(page.locator(".credit-bar").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820  # nothing forces sideways scrolling
    screenshot(page, "tablet-member", full_page=True)


def test_front_desk_is_refused_owner_pages(page):
    log_in(page, "Front desk")
    response = page.goto("/api-tokens/")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text(re.compile("permission|not allowed|forbidden", re.I))


def test_owner_creates_a_token_shown_once(page):
    log_in(page, "Owner")
    page.goto("/api-tokens/")
    page.fill("input[name=name]", "Booking page")
    page.click("form.token-form button[type=submit]")
    token = page.locator("input.token-once").input_value()
    assert token.startswith("cdk_")
    screenshot(page, "api-tokens")
    page.goto("/api-tokens/")
    expect(page.locator("input.token-once")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(token)


def test_expired_session_during_htmx_request_goes_to_login_and_back(page, site):
    log_in(page, "Front desk")
    page.goto("/members/?q=Maya")
    expect(page.locator("table.members .member-link").first).to_be_visible()
    page.context.clear_cookies()  # the session is gone, as after the idle timeout
    page.click(f"a.member-link[href$='{DEMO_MEMBER_ID}/']")
    # Not the login form swapped into the panel: the whole page goes to login, remembering where it was.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fmembers%2F%3Fq%3DMaya|/accounts/login/\?next=/members/"))
    expect(page.locator("#panel")).to_have_count(0)
    page.fill("input[name=username]", "frank")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/members/\?q=Maya"))


def test_owner_exports_the_filtered_view_with_progress(page, tmp_path):
    log_in(page, "Owner")
    page.goto("/members/")
    page.locator("#q").fill("Maya")
    expect(page).to_have_url(re.compile(r"q=Maya"))
    with page.expect_download() as download:
        page.click("a[data-export]")
    path = tmp_path / "members.csv"
    download.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith('"member_id","name","email"')  # every field quoted (CSV formula guard)
    assert len(lines) > 1 and all("Maya" in line or "maya" in line for line in lines[1:])
    expect(page.locator(".export-status")).to_have_text(f"Exported {len(lines) - 1} members.")
