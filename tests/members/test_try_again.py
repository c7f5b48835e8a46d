"""Every control that waits for Wix offers "Try again" when Wix fails (the list, the panel, Explain, Adjust)."""

from django.urls import reverse

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID

HTMX = {"HX-Request": "true"}


def _failing(wix):
    wix.faults.script("status", times=50, status=503)


def test_the_member_list_offers_try_again(frontdesk_client, wix):
    _failing(wix)
    response = frontdesk_client.get(reverse("members:list"), {"q": "Maya"}, headers=HTMX)
    assert response.status_code == 503 and b"Try again" in response.content


def test_the_panel_offers_try_again(frontdesk_client, wix):
    _failing(wix)
    response = frontdesk_client.get(reverse("members:detail", args=[DEMO_MEMBER_ID]), headers=HTMX)
    assert response.status_code == 503 and b"Try again" in response.content
    assert b'hx-target="closest .panel"' in response.content


def test_explain_offers_try_again(frontdesk_client, wix):
    _failing(wix)
    response = frontdesk_client.get(reverse("members:explain", args=[DEMO_MEMBER_ID, DEMO_POOL_ID]), headers=HTMX)
    assert response.status_code == 503 and b"Try again" in response.content
    assert b'hx-target="closest .explain-slot"' in response.content


def test_the_adjust_form_offers_try_again(owner_client, wix):
    _failing(wix)
    response = owner_client.get(reverse("members:adjust", args=[DEMO_MEMBER_ID, DEMO_POOL_ID]), headers=HTMX)
    assert response.status_code == 503 and b"Try again" in response.content
