"""Settings → Wix connection: stored credentials are encrypted, write-only, re-auth protected, and
take effect for the next request; a wrong key fails closed."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import connection as db
from django.urls import reverse

from balances.wix.connection import connection_fingerprint, current_auth, current_source, get_client
from balances.wix.errors import WixCredentialsUnreadable
from balances.wix.models import WixConnection
from sandbox import credentials as sandbox_credentials
from studio import reauth
from tests.helpers import PASSWORD, credentials_key
from tests.secret_watch import remember_secret


@pytest.fixture
def confirmed(owner_client):
    response = owner_client.post(reverse("wix:confirm_password"), {"password": PASSWORD})
    assert response.status_code == 302
    return owner_client


def _save_apicredentials_key(client, api_key=sandbox_credentials.API_KEY, site_id=sandbox_credentials.SITE_ID):
    return client.post(reverse("wix:save"), {"method": "api_key", "api_key": api_key, "site_id": site_id})


def _raw_row():
    with db.cursor() as cursor:
        cursor.execute("SELECT api_key_sealed, app_secret_sealed, site_id FROM balances_wixconnection")
        return cursor.fetchone()


def test_it_shows_the_environment_as_the_source_when_nothing_is_stored(owner_client, wix):
    page = owner_client.get(reverse("wix:settings")).content.decode()
    assert "From the server's environment (WIX_API_KEY, WIX_SITE_ID)" in page
    assert wix.url in page  # the base URL is shown, not editable
    assert 'name="api_key"' not in page  # no credentials form before the password re-check


def test_it_asks_for_the_password_before_changing_secrets(owner_client, wix, keys):
    response = _save_apicredentials_key(owner_client)
    assert response.status_code == 403
    assert not WixConnection.objects.exists()
    wrong = owner_client.post(reverse("wix:confirm_password"), {"password": "nope"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    assert not reauth.is_fresh(wrong.wsgi_request)


def test_the_password_recheck_expires(confirmed, wix, keys):
    assert _save_apicredentials_key(confirmed).status_code == 302
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=False):  # beyond the 10-minute window
        response = _save_apicredentials_key(confirmed)
    assert response.status_code == 403


def test_stored_secrets_are_encrypted_write_only_and_in_force(confirmed, owner, wix, keys, settings):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""  # only the stored credentials can work
    response = _save_apicredentials_key(confirmed)
    assert response.status_code == 302
    sealed, _, site_id = _raw_row()
    assert sandbox_credentials.API_KEY not in sealed and sealed.startswith("v1:k1:")
    assert site_id == sandbox_credentials.SITE_ID
    page = confirmed.get(reverse("wix:settings")).content.decode()
    assert f"ends …{sandbox_credentials.API_KEY[-4:]}" in page and f"by {owner.username}" in page
    assert 'value="' + sandbox_credentials.API_KEY not in page
    assert current_source() == "stored"
    assert confirmed.get(reverse("members:list")).status_code == 200


def test_a_blank_secret_keeps_the_stored_one(confirmed, wix, keys):
    _save_apicredentials_key(confirmed)
    before = _raw_row()[0]
    response = confirmed.post(reverse("wix:save"), {"method": "api_key", "api_key": "", "site_id": sandbox_credentials.SITE_ID})
    assert response.status_code == 302 and _raw_row()[0] == before


def test_switching_to_an_app_and_back_changes_the_connection_for_the_next_request(confirmed, wix, keys, settings):
    settings.WIX_API_KEY = settings.WIX_SITE_ID = ""
    _save_apicredentials_key(confirmed)
    first = connection_fingerprint(current_auth())
    response = confirmed.post(
        reverse("wix:save"),
        {
            "method": "app",
            "app_id": sandbox_credentials.APP_ID,
            "app_secret": sandbox_credentials.APP_SECRET,
            "instance_id": sandbox_credentials.INSTANCE_ID,
        },
    )
    assert response.status_code == 302
    assert current_auth().kind == "app" and connection_fingerprint(current_auth()) != first
    assert get_client().count_members() == len(wix.studio.members)
    assert wix.log.count("/oauth2/token") >= 1
    row = WixConnection.load()
    assert row.api_key_sealed == "" and sandbox_credentials.APP_SECRET not in row.app_secret_sealed
    # Forgetting the stored row brings back the environment, or nothing.
    assert confirmed.post(reverse("wix:forget")).status_code == 302
    assert current_source() == ""


def test_a_wrong_key_fails_closed_with_a_plain_message(confirmed, wix, keys, settings):
    _save_apicredentials_key(confirmed)
    settings.CREDENTIALS_KEYS = [credentials_key("k1", 9)]  # same id, different material: the key was lost
    with pytest.raises(WixCredentialsUnreadable):
        current_auth()
    page = confirmed.get(reverse("wix:settings"))
    assert page.status_code == 200 and "Credentials unreadable — enter them again" in page.content.decode()
    members = confirmed.get(reverse("members:list"))
    assert members.status_code == 503 and "unreadable" in members.content.decode()
    # Never silently falls back to the environment's credentials.
    assert wix.log.count("/members") == 0
    # The owner re-enters them: a blank key is refused because the stored one cannot be read.
    blank = confirmed.post(reverse("wix:save"), {"method": "api_key", "site_id": sandbox_credentials.SITE_ID})
    assert blank.status_code == 400 and "Enter the API key." in blank.content.decode()
    assert _save_apicredentials_key(confirmed).status_code == 302
    assert current_auth().api_key == sandbox_credentials.API_KEY


def test_a_swapped_ciphertext_fails_closed(confirmed, wix, keys):
    confirmed.post(
        reverse("wix:save"),
        {
            "method": "app",
            "app_id": sandbox_credentials.APP_ID,
            "app_secret": sandbox_credentials.APP_SECRET,
            "instance_id": sandbox_credentials.INSTANCE_ID,
        },
    )
    row = WixConnection.load()
    other = WixConnection(pk=2)
    other.seal("app_secret", "another-secret")
    WixConnection.objects.filter(pk=1).update(app_secret_sealed=other.app_secret_sealed)
    with pytest.raises(WixCredentialsUnreadable):
        current_auth()
    # The same ciphertext moved into the other field does not decrypt either.
    WixConnection.objects.filter(pk=1).update(
        method="api_key", site_id=sandbox_credentials.SITE_ID, api_key_sealed=row.app_secret_sealed
    )
    with pytest.raises(WixCredentialsUnreadable):
        current_auth()


def test_rotation_reencrypts_with_the_new_primarycredentials_key(confirmed, wix, keys, settings):
    _save_apicredentials_key(confirmed)
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2), credentials_key("k1", 1)]
    assert current_auth().api_key == sandbox_credentials.API_KEY  # old key still decrypts
    row = WixConnection.load()
    row.rotate()
    row.save()
    assert _raw_row()[0].startswith("v1:k2:")
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2)]  # the old key can now be retired
    assert current_auth().api_key == sandbox_credentials.API_KEY


def test_rotate_command_reseals_every_stored_secret(confirmed, wix, keys, settings):
    from django.core.management import call_command

    _save_apicredentials_key(confirmed)
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2), credentials_key("k1", 1)]
    call_command("rotatecredentials")
    assert _raw_row()[0].startswith("v1:k2:")


def test_test_connection_reports_the_site_and_member_count(owner_client, wix):
    response = owner_client.post(reverse("wix:test"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f"Connected to {sandbox_credentials.SITE_ID}: {len(wix.studio.members)} members." in body


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda s: setattr(s, "WIX_API_KEY", "IST.not-a-real-key"), "Wix refused our credentials"),
        (lambda s: setattr(s, "WIX_SITE_ID", str(uuid.uuid4())), "Wix refused the site ID"),
    ],
)
def test_test_connection_explains_a_wix_refusal(owner_client, wix, settings, setup, expected):
    setup(settings)
    response = owner_client.post(reverse("wix:test"), headers={"HX-Request": "true"})
    assert response.status_code == 502 and expected in response.content.decode()


def test_test_connection_explains_rate_limiting(owner_client, wix):
    wix.faults.script("status", status=429, retry_after=30, times=1)
    response = owner_client.post(reverse("wix:test"), headers={"HX-Request": "true"})
    assert response.status_code == 502 and "Wix is rate limiting" in response.content.decode()


def test_secrets_never_reappear_in_a_rerendered_form(confirmed, wix, keys):
    secret = remember_secret("IST.fresh-secret-" + uuid.uuid4().hex)
    response = confirmed.post(reverse("wix:save"), {"method": "api_key", "api_key": secret, "site_id": "nope"})
    assert response.status_code == 400 and secret not in response.content.decode()
    assert "Site ID: Enter the ID as Wix shows it" in response.content.decode()
