"""The front desk's daily path in Chromium at desk (1440), laptop/tablet (1024) and phone (390) widths:
forgiving search, keyboard-first panel, quick +1 within 8 keystrokes, no sideways scroll, finger-sized targets."""

import re

import pytest
from playwright.sync_api import expect

from balances.directory.sync import rewalk
from balances.wix.connection import get_client
from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

WIDTHS = {"desk": 1440, "laptop": 1024, "phone": 390}
MAYA = f"a.member-link[href$='{DEMO_MEMBER_ID}/']"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request, page):
    page.set_viewport_size({"width": WIDTHS[request.param], "height": 900})
    return request.param


@pytest.mark.parametrize("query", ["Maya Levi", "levi maya", "mya levi"])
def test_search_finds_a_full_name_in_any_order_and_with_a_typo(page, wix, width, query):
    rewalk(get_client())  # the directory index, as the nightly job leaves it
    log_in(page, "Front desk")
    page.goto("/members/")
    page.locator("#q").fill(query)
    expect(page).to_have_url(re.compile(r"[?&]q="))
    expect(page.locator(MAYA).first).to_be_visible()
    expect(page.locator("#announce")).to_contain_text(re.compile(r"\d+ members? found"))
    if query == "mya levi" and width == "phone":
        screenshot(page, "phone-search-typo")


def test_slash_focuses_search_without_typing_a_slash(page, wix):
    log_in(page, "Front desk")
    page.goto("/members/")
    expect(page.locator("#q")).not_to_be_focused()  # no autofocus: "/" is the way in
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("")


def test_panel_opens_and_closes_by_keyboard_with_focus_returned(page, wix, width):
    log_in(page, "Front desk")
    page.goto("/members/?q=Maya")
    page.keyboard.press("/")
    page.keyboard.press("ArrowDown")
    first = page.locator("#results .member-link").first
    expect(first).to_be_focused()
    page.keyboard.press("j")
    second = page.locator("#results .member-link").nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    heading = page.locator("#panel .panel-heading")
    expect(heading).to_be_focused()
    expect(page.locator("#announce")).to_contain_text("opened")
    if width == "phone":  # a full-screen sheet with a Back control
        box = page.locator("#panel").bounding_box()
        assert box["x"] == 0 and box["width"] == 390 and box["y"] == 0
        expect(page.locator("#panel [data-close-panel]")).to_be_visible()
        screenshot(page, "phone-member-sheet")
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_empty()
    expect(first).to_be_focused()
    # and the Back/close control does the same by tap or click
    first.click()
    page.locator("#panel [data-close-panel]").click()
    expect(page.locator("#panel")).to_be_empty()
    expect(first).to_be_focused()


def test_from_the_search_box_to_an_applied_plus_one_in_at_most_8_keystrokes(page, fresh_wix, width):
    rewalk(get_client())
    log_in(page, "Owner")
    page.goto("/members/")
    page.locator("#q").focus()
    page.keyboard.type("maya levi")  # the name itself is typing, not navigation
    # The list for the whole name, not one for a part of it: typing slowed by a busy machine sends a search per
    # pause, and acting on an earlier list let the last one replace the focused row under the keys. htmx sends
    # the form's searches one after the other and pushes each one's URL as it lands, so this URL is the last.
    expect(page).to_have_url(re.compile(r"[?&]q=maya(\+|%20)levi(&|$)"))
    expect(page.locator(MAYA).first).to_be_visible()
    links = page.locator("#results .member-link")
    position = next(i for i in range(links.count()) if links.nth(i).get_attribute("href").endswith(f"{DEMO_MEMBER_ID}/"))
    keys = ["ArrowDown"] + ["j"] * position + ["Enter", "Tab", "Enter", "Enter"]
    for index, key in enumerate(keys):
        page.keyboard.press(key)
        if key == "Enter" and index == position + 1:
            expect(page.locator("#panel .panel-heading")).to_be_focused()
            expect(page.get_by_role("link", name="Add 1 credit to 10-Class Pack")).to_be_visible()
        if key == "Tab":
            expect(page.get_by_role("link", name="Add 1 credit to 10-Class Pack")).to_be_focused()
        if index == len(keys) - 2:
            expect(page.locator(f"#adjust-{DEMO_POOL_ID} .reason-picks button").first).to_be_focused()
    assert len(keys) <= 8
    # The whole panel is read again (every number the new one), with the outcome in the plan's card, focused.
    message = page.locator(f"#pool-{DEMO_POOL_ID} .change-message")
    expect(message).to_contain_text("now 8 free to book")
    expect(message).to_be_focused()
    expect(page.locator(f"#available-{DEMO_POOL_ID}")).to_have_text("8")
    expect(page.locator("#announce")).to_contain_text("now 8 free to book")
    assert fresh_wix.studio.balance(DEMO_POOL_ID)["amount"]["available"] == "8"
    if width == "desk":
        screenshot(page, "quick-adjust-applied")


OWNER_PAGES = [
    "/",
    "/members/",
    "/members/?q=Maya",
    f"/members/{DEMO_MEMBER_ID}/",
    "/settings/",
    "/staff/",
    "/api-tokens/",
    "/ai-credits/",
    "/brevo/",
    "/audit/",
    "/members/attention/out/",
]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_no_sideways_scroll_and_finger_sized_targets_on_a_phone(page, wix):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "Owner")
    for url in OWNER_PAGES:
        page.goto(url)
        assert _overflow(page) <= 0, url
    page.goto("/members/?q=Maya")
    page.locator(MAYA).first.click()
    expect(page.locator("#panel .panel-heading")).to_be_visible()
    assert _overflow(page) <= 0
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('#panel a, #panel button, #results a, #results button, header a, '
            + 'header button, header summary, #filters input:not([type=checkbox]), #filters select, '
            + '#filters button, #filters label:has(input)'))
          .filter(e => e.offsetParent !== null && !e.closest('p'))
          .map(e => [e.textContent.trim() || e.getAttribute('aria-label') || e.id, e.getBoundingClientRect().height])
          .filter(([, h]) => h < 44)"""
    )
    assert small == []


def test_navigation_collapses_on_a_phone_and_shows_where_you_are(page, wix):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "Owner")
    page.goto("/members/")
    nav = page.locator("#site-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_attribute("aria-current", "page")
    nav.get_by_text("Studio").click()
    expect(nav.get_by_role("link", name="Audit log")).to_be_visible()
    screenshot(page, "phone-menu")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/staff/")
    expect(page.locator("#site-nav summary")).to_have_text("Studio")
    expect(page.locator(".nav-studio details")).to_have_class(re.compile("active"))


def test_controls_that_wait_for_wix_show_it_and_failures_offer_try_again(page, wix, width):
    log_in(page, "Owner")
    page.goto("/members/?q=Maya")
    page.locator(MAYA).first.click()
    explain = page.locator(f"#pool-{DEMO_POOL_ID} .explain-link")
    wix.faults.update(latency=1.0)
    explain.click()
    expect(explain).to_have_attribute("aria-busy", "true")  # busy (with a spinner) while Wix answers
    expect(page.locator(f"#explain-{DEMO_POOL_ID} h4")).to_be_visible(timeout=15_000)
    expect(explain).not_to_have_attribute("aria-busy", "true")
    wix.faults.reset()
    wix.faults.script("status", times=50, status=503)
    page.locator(f"#pool-{DEMO_POOL_ID} a.quick-btn").first.click()
    retry = page.locator(f"#adjust-{DEMO_POOL_ID}").get_by_role("link", name="Try again")
    expect(retry).to_be_visible(timeout=15_000)
    expect(page.locator("#announce")).not_to_be_empty()
    wix.faults.reset()
    retry.click()
    expect(page.locator(f"#adjust-{DEMO_POOL_ID} .reason-picks button").first).to_be_visible()
    if width == "laptop":
        screenshot(page, "quick-reason-picker")


def test_a_needs_attention_list_copies_its_emails(page, wix, browser):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "Owner")
    page.goto("/")
    expect(page.locator(".attention-grid")).to_be_visible(timeout=20_000)
    page.locator(".attention-out a").click()
    copy = page.locator("button[data-copy]")
    expect(copy).to_have_text(re.compile(r"Copy \d+ e-mail"))
    count = int(re.search(r"\d+", copy.inner_text()).group())
    copy.click()
    expect(copy).to_have_text(re.compile(r"Copied \d+"))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert len(copied.split(", ")) == count and "@" in copied
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    screenshot(page, "attention-outreach", full_page=True)


def test_the_panel_takes_focus_only_once_its_controls_are_live(page, wix):
    """htmx binds swapped-in controls when the swap settles (20 ms later by default, longer on a busy machine).
    Focus handed over before that let a fast Tab+Enter follow the +1 link as a plain page load (seen in CI)."""
    log_in(page, "Owner")
    page.goto("/members/?q=Maya")
    page.evaluate("htmx.config.defaultSettleDelay = 1500")  # a slow machine, made certain
    page.locator(MAYA).first.focus()
    list_url = page.url
    page.keyboard.press("Enter")
    expect(page.locator("#panel .panel-heading")).to_be_focused()
    page.keyboard.press("Tab")
    plus_one = page.get_by_role("link", name="Add 1 credit to 10-Class Pack")
    expect(plus_one).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#adjust-{DEMO_POOL_ID} .reason-picks button").first).to_be_visible()
    assert page.url == list_url  # swapped into the panel, not a page load


def test_the_panel_s_controls_work_the_moment_it_is_shown(page, wix):
    """A click can land as soon as the browser has painted the swapped-in panel, in the next task after the swap.
    htmx binds new controls when the swap settles; a settle on a timer (htmx's default: 20 ms, far longer on a busy
    machine) left the panel's buttons dead for that long (seen in CI: Explain clicked, nothing happened)."""
    log_in(page, "Front desk")
    page.goto("/members/?q=Maya")
    page.evaluate(
        """() => {
          let done = false;
          document.body.addEventListener('htmx:afterSwap', (event) => {
            if (done || event.detail.target.id !== 'panel') return;
            done = true;
            setTimeout(() => document.querySelector('#panel .explain-link').click(), 0);  // the very next task
          });
        }"""
    )
    page.locator(MAYA).first.click()
    expect(page.locator("#panel .explanation").first).to_contain_text("the same as Wix")
