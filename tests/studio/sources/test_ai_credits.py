from decimal import Decimal

import pytest

from balances.wix.connection import get_client, reset_clients
from balances.wix.errors import WixPermissionError
from sandbox import credentials as sandbox_credentials
from tests.helpers import wix_calls

AI_PATH = "/appmarket/credittransactions/v1/credit-transactions/balance"


def test_client_reads_the_sandbox_balance(wix, db):  # db: stored credentials are looked up first
    truth = wix.studio.ai_credits
    credits = get_client().get_ai_credits()
    assert credits.recurring.balance == Decimal(truth["periodicCredits"]["balance"])
    assert credits.recurring.cap == Decimal(truth["periodicCredits"]["cap"])
    assert credits.total == Decimal(truth["periodicCredits"]["balance"] + truth["topUpCredits"]["balance"])
    assert [r.period for s in credits.sources for r in s.rules] == ["MONTH", "NO_PERIOD"]
    assert credits.next_reset.isoformat().startswith("2026-12-01")
    assert wix_calls(wix, AI_PATH)[0].method == "POST"


def test_owner_sees_the_panel_with_meter_breakdown_and_total(owner_client, wix):
    truth = wix.studio.ai_credits
    response = owner_client.get("/ai-credits/")
    assert response.status_code == 200
    html = response.content.decode()
    total = truth["periodicCredits"]["balance"] + truth["topUpCredits"]["balance"]
    assert f"<strong>{total}</strong> AI credits available" in html
    periodic = truth["periodicCredits"]
    assert f'<meter min="0" max="{periodic["cap"]}" value="{periodic["balance"]}"' in html
    assert "Monthly" in html and "One-time" in html and "1 Dec 2026" in html
    assert truth["creditBalanceBreakdown"][0]["subscriptionId"] in html
    assert "style=" not in html


def test_panel_is_cached(owner_client, wix):
    owner_client.get("/ai-credits/")
    owner_client.get("/ai-credits/", headers={"HX-Request": "true"})
    assert len(wix_calls(wix, AI_PATH)) == 1
    owner_client.get("/ai-credits/?refresh=1")
    assert len(wix_calls(wix, AI_PATH)) == 2


def test_front_desk_may_not_see_ai_credits(frontdesk_client, wix):
    assert frontdesk_client.get("/ai-credits/").status_code == 403
    assert wix_calls(wix, AI_PATH) == []


def test_key_without_ai_scope_gets_a_clear_message(owner_client, wix, settings):
    settings.WIX_API_KEY = sandbox_credentials.NO_AI_API_KEY
    reset_clients()
    with pytest.raises(WixPermissionError):
        get_client().get_ai_credits()
    response = owner_client.get("/ai-credits/")
    assert response.status_code == 502
    assert "AI Credits permission" in response.content.decode()
    assert "read AI credits: the API key needs account-level or site-level access" in response.content.decode()


def test_wix_down_keeps_the_last_good_figures_marked_stale(owner_client, wix, time_machine):
    time_machine.move_to("2026-11-23T09:00:00Z", tick=False)
    assert owner_client.get("/ai-credits/").status_code == 200
    time_machine.move_to("2026-11-23T09:06:00Z", tick=False)
    wix.faults.script("status", times=2, path_prefix=AI_PATH, status=503)
    response = owner_client.get("/ai-credits/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Showing the last good figures" in html and "AI credits available" in html


def test_wix_down_with_nothing_cached_is_a_503_banner(owner_client, wix):
    wix.faults.script("status", times=2, path_prefix=AI_PATH, status=503)
    response = owner_client.get("/ai-credits/", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert "banner-error" in response.content.decode()


def test_member_list_ai_summary_is_optional(owner_client, wix):
    plain = owner_client.get("/members/").content.decode()
    assert "ai-summary" not in plain and wix_calls(wix, AI_PATH) == []
    html = owner_client.get("/members/?ai=on").content.decode()
    assert "ai-summary" in html and len(wix_calls(wix, AI_PATH)) == 1
