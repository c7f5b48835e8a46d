"""What people click to change credits, in a real Chromium: an owner adjusts a plan and undoes it from the
panel's transaction list; front desk sees no Adjust button and is refused Settings in words."""

import re

import pytest
from playwright.sync_api import expect

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_owner_adjusts_credits_and_undoes_it_from_the_transaction_list(page, fresh_wix):
    log_in(page, "Owner")
    page.goto("/members/?q=Maya")
    page.click(f"a.member-link[href$='{DEMO_MEMBER_ID}/']")
    panel = page.locator("#panel")
    available = panel.locator(f"#available-{DEMO_POOL_ID}")
    expect(available).to_have_text("7")

    card = panel.locator(f"#pool-{DEMO_POOL_ID}")
    card.locator("button.explain-link").click()
    expect(card.locator(".explanation h4")).to_contain_text("How 7 free to book came to be")
    panel.locator(f"#adjust-{DEMO_POOL_ID} a.button").click()
    form = panel.locator(f"#adjust-{DEMO_POOL_ID} form.adjust-form")
    form.get_by_label("Add").check()
    form.get_by_label("Credits").fill("2")
    form.get_by_label("Reason (required)").fill("Class cancelled by the studio")
    form.locator("button[type=submit]").click()

    # The whole panel is read again and swapped: every number is the new one, with one message.
    message = panel.locator(".change-message")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Applied: now 9 free to book (+2)")
    expect(available).to_have_text("9")
    expect(panel.locator(f"#pool-{DEMO_POOL_ID} .glance-legend")).to_contain_text("9 free to book")
    expect(card.locator(".explanation h4")).to_contain_text("How 9 free to book came to be")  # re-opened, new
    maya_row = page.locator("table.members tr", has=page.locator(f"a.member-link[href$='{DEMO_MEMBER_ID}/']"))
    expect(maya_row.locator("td.total")).to_have_text("9")  # and so does the member list beside it
    assert fresh_wix.studio.balance(DEMO_POOL_ID)["amount"]["available"] == "9"
    screenshot(page, "member-adjusted", full_page=True)

    # The change is in the transaction list already, with its Undo (who and why from our audit log).
    row = panel.locator("table.transactions:not(.explain-steps) tr", has_text="Class cancelled by the studio")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("+2 free")
    expect(row).to_contain_text("Credit Desk")
    row.locator("form.undo button").click()
    expect(message).to_have_count(1)  # replaced, not stacked
    expect(message).to_contain_text("Undone: now 7 free to book (-2)")
    expect(available).to_have_text("7")
    expect(card.locator(".explanation h4")).to_contain_text("How 7 free to book came to be")
    expect(maya_row.locator("td.total")).to_have_text("7")
    assert fresh_wix.studio.balance(DEMO_POOL_ID)["amount"]["available"] == "7"
    screenshot(page, "member-undone", full_page=True)

    # The audit log tells both stories, and the undone change offers no second undo.
    page.goto("/audit/")
    expect(page.locator("main")).to_contain_text("Class cancelled by the studio")
    expect(page.locator("form.undo")).to_have_count(0)


def test_front_desk_without_the_permission_sees_no_adjust_button(page):
    log_in(page, "Front desk")
    page.goto(f"/members/{DEMO_MEMBER_ID}/")
    expect(page.locator(f"#available-{DEMO_POOL_ID}")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_text("Adjust credits")).to_have_count(0)
    expect(page.locator("form.undo")).to_have_count(0)
    response = page.goto(f"/members/{DEMO_MEMBER_ID}/pools/{DEMO_POOL_ID}/adjust/")
    assert response.status == 403


def test_front_desk_is_refused_settings_with_a_clear_message(page):
    log_in(page, "Front desk")
    response = page.goto("/settings/")
    assert response.status == 403
    expect(page.locator("main h1")).to_have_text("Not allowed")
    expect(page.locator("main [role=alert]")).to_contain_text("does not have permission")
    expect(page.locator("main")).not_to_contain_text("Wix connection")
    # The navigation offers front desk no way there either.
    expect(page.locator("nav a[href='/settings/']")).to_have_count(0)
