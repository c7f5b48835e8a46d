from decimal import Decimal

import pytest

from balances.brevo.client import BrevoLoyaltyClient
from balances.brevo.errors import BrevoAuthError, BrevoNotEnrolled
from balances.brevo.models import BrevoConnection
from balances.brevo.records import normalise_status
from sandbox import DEMO_MEMBER_ID
from sandbox.brevo import CREDITS_ID, PROGRAM_ID
from sandbox.brevo.loyalty import DRAFT_ONLY_ID
from tests.helpers import wix_calls

from .conftest import connect_brevo


def _member(wix, index):
    return wix.studio.members[index]


def test_statuses_are_normalised_in_both_spellings():
    assert [normalise_status(s) for s in ("pending", "draft", "complete", "completed", "cancelled")] == [
        "draft",
        "draft",
        "completed",
        "completed",
        "cancelled",
    ]


def test_client_reads_only_published_definitions(brevo):
    from sandbox.brevo import API_KEY

    client = BrevoLoyaltyClient(API_KEY, PROGRAM_ID, brevo.api_url)
    ids = [d.id for d in client.definitions()]
    assert CREDITS_ID in ids and DRAFT_ONLY_ID not in ids
    assert "version=active" in brevo.log.records()[-1].query


def test_client_errors_wrong_key_and_not_enrolled(wix, brevo):
    from sandbox.brevo import API_KEY

    with pytest.raises(BrevoAuthError):
        BrevoLoyaltyClient("xkeysib-wrong", PROGRAM_ID, brevo.api_url).definitions()
    client = BrevoLoyaltyClient(API_KEY, PROGRAM_ID, brevo.api_url)
    cid = client.find_contact_id(_member(wix, 1)["loginEmail"])
    with pytest.raises(BrevoNotEnrolled):
        client.balances(cid)
    assert client.find_contact_id(_member(wix, 2)["loginEmail"]) is None


def test_member_panel_shows_balances_lots_and_reserved_from_both_spellings(frontdesk_client, wix, brevo_connected):
    loyalty = brevo_connected.loyalty
    cid = loyalty.contact_by_email(_member(wix, 0)["loginEmail"])["id"]
    # The fixed member has draft debits of 1 ("draft") and 2 ("pending"), and an open credit of 5.
    assert {t["status"] for t in loyalty.history(cid, CREDITS_ID)} >= {"draft", "pending", "completed"}
    response = frontdesk_client.get(f"/brevo/members/{DEMO_MEMBER_ID}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    value = loyalty.balance(cid, CREDITS_ID)
    assert f'<dd class="brevo-value">{value.normalize():f}</dd>' in html
    assert '<dd class="brevo-reserved">3</dd>' in html
    assert f'<dd class="brevo-free">{(value - 3).normalize():f}</dd>' in html
    assert '<dd class="brevo-incoming">5</dd>' in html
    assert "Studio cash" in html and "12.5" in html and "never" in html  # the wallet lot never expires
    assert "Reserved = open (draft) debits" in html
    assert "<html" not in html  # an HTMX swap gets the partial only


def test_member_panel_unknown_contact_and_not_enrolled(frontdesk_client, wix, brevo_connected):
    not_enrolled = frontdesk_client.get(f"/brevo/members/{_member(wix, 1)['id']}/").content.decode()
    assert "not enrolled in the loyalty program" in not_enrolled
    no_contact = frontdesk_client.get(f"/brevo/members/{_member(wix, 2)['id']}/").content.decode()
    assert "No Brevo contact has this member" in no_contact


def test_member_detail_page_loads_brevo_on_its_own_request(frontdesk_client, wix, brevo_connected):
    html = frontdesk_client.get(f"/members/{DEMO_MEMBER_ID}/").content.decode()
    assert f'hx-get="/brevo/members/{DEMO_MEMBER_ID}/"' in html
    assert brevo_connected.log.records() == []  # the Wix panel itself never waits for Brevo


def test_brevo_down_gives_its_own_banner_and_keeps_last_good(frontdesk_client, wix, brevo_connected, time_machine):
    url = f"/brevo/members/{DEMO_MEMBER_ID}/"
    time_machine.move_to("2026-11-23T09:00:00Z", tick=False)
    assert frontdesk_client.get(url).status_code == 200
    time_machine.move_to("2026-11-23T09:02:00Z", tick=False)
    brevo_connected.faults.status = 503
    stale = frontdesk_client.get(url)
    assert stale.status_code == 200 and "Brevo is having trouble" in stale.content.decode()
    assert "brevo-value" in stale.content.decode()
    fresh_member = frontdesk_client.get(f"/brevo/members/{_member(wix, 5)['id']}/")
    assert fresh_member.status_code == 503 and "Brevo is having trouble" in fresh_member.content.decode()


def test_brevo_down_never_breaks_the_wix_list(frontdesk_client, wix, brevo_connected):
    brevo_connected.faults.status = 503
    response = frontdesk_client.get("/members/?brevo=on")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Brevo is having trouble" in html and "The Wix figures are unaffected" in html
    assert html.count('class="member-link"') == 25
    assert len(brevo_connected.log.records()) == 1  # it stopped after the first failure


def test_list_column_is_bounded_and_cached(frontdesk_client, wix, brevo_connected, settings):
    settings.BREVO_LIST_LOOKUPS = 10
    html = frontdesk_client.get("/members/?brevo=on").content.decode()
    calls = brevo_connected.log.records()
    loyalty_calls = [r for r in calls if r.path.startswith("/v3/loyalty/")]
    assert len(loyalty_calls) <= 11 and len(calls) <= 21
    assert "15 members not looked up in Brevo" in html
    assert "class credits" in html and "not enrolled" in html and "no contact" in html
    brevo_connected.log.clear()
    frontdesk_client.get("/members/?brevo=on")
    assert len([r for r in brevo_connected.log.records() if r.path.startswith("/v3/loyalty/")]) <= 10
    html = frontdesk_client.get("/members/?brevo=on").content.decode()
    assert "not looked up" not in html  # three views fill a 25-row page


def test_list_without_the_toggle_never_calls_brevo(frontdesk_client, wix, brevo_connected):
    html = frontdesk_client.get("/members/").content.decode()
    assert "Brevo Loyalty</th>" not in html and brevo_connected.log.records() == []


def test_rate_limit_shows_in_the_column_only(frontdesk_client, wix, brevo_connected):
    brevo_connected.faults.loyalty_limit_per_hour = 1
    response = frontdesk_client.get("/members/?brevo=on")
    assert response.status_code == 200
    assert "hourly limit for loyalty calls" in response.content.decode()
    assert any(r.status == 429 for r in brevo_connected.log.records())


def test_owner_connects_brevo_with_the_key_encrypted(brevo_owner, brevo):
    from sandbox.brevo import API_KEY

    response = brevo_owner.post("/brevo/settings/", {"api_key": API_KEY, "program_id": PROGRAM_ID})
    assert response.status_code == 302
    connection = BrevoConnection.current()
    assert API_KEY not in connection.api_key_encrypted and connection.api_key() == API_KEY
    page = brevo_owner.get("/brevo/settings/").content.decode()
    assert API_KEY not in page and connection.masked_key in page


def test_wrong_key_is_refused_and_not_saved(brevo_owner, brevo):
    response = brevo_owner.post("/brevo/settings/", {"api_key": "xkeysib-nope", "program_id": PROGRAM_ID})
    assert response.status_code == 400
    assert "Brevo refused the API key" in response.content.decode()
    assert BrevoConnection.current() is None


def test_unknown_program_and_bad_input_are_400(brevo_owner, brevo):
    from sandbox.brevo import API_KEY

    unknown = brevo_owner.post("/brevo/settings/", {"api_key": API_KEY, "program_id": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 400 and "no loyalty program with that ID" in unknown.content.decode()
    bad = brevo_owner.post("/brevo/settings/", {"api_key": API_KEY, "program_id": "not-a-uuid"})
    assert bad.status_code == 400 and "is a UUID" in bad.content.decode()


def test_keeping_the_stored_key_when_left_empty(brevo_owner, brevo_connected):
    response = brevo_owner.post("/brevo/settings/", {"api_key": "", "program_id": PROGRAM_ID})
    assert response.status_code == 302 and BrevoConnection.current().api_key_last4


def test_front_desk_cannot_change_brevo(frontdesk_client, brevo):
    assert frontdesk_client.get("/brevo/settings/").status_code == 403
    assert frontdesk_client.post("/brevo/settings/", {"program_id": PROGRAM_ID}).status_code == 403


def test_unreadable_stored_key_fails_closed(frontdesk_client, wix, brevo, settings, db):
    connect_brevo()
    settings.CREDENTIALS_KEYS = ["k9:" + "A" * 43]
    html = frontdesk_client.get(f"/brevo/members/{DEMO_MEMBER_ID}/").content.decode()
    assert "enter it again in Settings" in html
    assert brevo.log.records() == []


def test_not_connected_panel_says_so(frontdesk_client, wix, brevo, db):
    html = frontdesk_client.get(f"/brevo/members/{DEMO_MEMBER_ID}/").content.decode()
    assert "Brevo Loyalty is not connected" in html
    assert wix_calls(wix) == []


def test_decimal_values(wix, brevo_connected):
    from balances.brevo.service import member_loyalty

    result = member_loyalty(_member(wix, 0)["loginEmail"])
    cash = next(b for b in result.value.balances if b.definition.unit == "EUR")
    assert cash.value == Decimal("12.5") and isinstance(cash.value, Decimal)
