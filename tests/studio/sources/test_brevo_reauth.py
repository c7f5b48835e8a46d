"""Changing or removing the Brevo key needs the owner's password again, as the Wix credentials do."""

import datetime as dt

import time_machine

from balances.brevo.models import BrevoConnection
from sandbox.brevo import API_KEY, PROGRAM_ID

SETTINGS, CONFIRM = "/brevo/settings/", "/brevo/settings/confirm-password/"


def test_no_key_form_and_no_change_before_the_password_again(owner_client, brevo, db):
    page = owner_client.get(SETTINGS).content.decode()
    assert 'name="api_key"' not in page and 'name="password"' in page
    response = owner_client.post(SETTINGS, {"api_key": API_KEY, "program_id": PROGRAM_ID})
    assert response.status_code == 403 and "Enter your password again" in response.content.decode()
    assert BrevoConnection.current() is None and not brevo.log.records()  # not even checked against Brevo


def test_disconnecting_needs_it_too(owner_client, brevo_connected):
    assert owner_client.post(SETTINGS, {"action": "remove"}).status_code == 403
    assert BrevoConnection.current() is not None


def test_a_wrong_password_is_a_400_and_opens_nothing(owner_client, brevo, db):
    wrong = owner_client.post(CONFIRM, {"password": "nope"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    assert owner_client.post(SETTINGS, {"api_key": API_KEY, "program_id": PROGRAM_ID}).status_code == 403


def test_after_the_password_the_key_can_change_for_ten_minutes(brevo_owner, brevo):
    page = brevo_owner.get(SETTINGS).content.decode()
    assert 'name="api_key"' in page
    assert brevo_owner.post(SETTINGS, {"api_key": API_KEY, "program_id": PROGRAM_ID}).status_code == 302
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        assert brevo_owner.post(SETTINGS, {"action": "remove"}).status_code == 403
    assert BrevoConnection.current() is not None


def test_front_desk_cannot_confirm_its_way_in(frontdesk_client, brevo):
    assert frontdesk_client.post(CONFIRM, {"password": "correct horse battery"}).status_code == 403
