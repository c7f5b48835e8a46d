"""Key rotation as the README describes it must keep every stored secret readable, not only Wix's."""

import uuid

import pytest
from django.core.management import call_command

from balances.brevo.models import BrevoConnection
from balances.wix.models import WixConnection
from tests.helpers import credentials_key

pytestmark = pytest.mark.django_db


def _store_brevo_key(plaintext: str) -> None:
    row = BrevoConnection(program_id=uuid.uuid4())
    row.set_api_key(plaintext)
    row.save()


def _store_wix_key(plaintext: str) -> None:
    wix = WixConnection.objects.create(pk=1, method=WixConnection.API_KEY, site_id="site")
    wix.seal("api_key", plaintext)
    wix.save()


def _rotate_from_k1_to_k2(settings) -> None:
    """As the README says: the new key first (primary) with the old one, rotate, then retire the old key."""
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2), credentials_key("k1", 1)]
    call_command("rotatecredentials")
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2)]


def test_rotation_keeps_the_brevo_key_readable_after_the_old_key_is_dropped(keys, settings):
    _store_brevo_key("xkeysib-rotation-test-0001")
    _rotate_from_k1_to_k2(settings)
    assert BrevoConnection.current().api_key() == "xkeysib-rotation-test-0001"


def test_rotation_reseals_the_wix_connection_and_the_brevo_key_together(keys, settings):
    _store_wix_key("IST.rotation-test")
    _store_brevo_key("xkeysib-rotation-test-0002")
    _rotate_from_k1_to_k2(settings)
    assert WixConnection.load().reveal("api_key") == "IST.rotation-test"
    assert BrevoConnection.current().api_key() == "xkeysib-rotation-test-0002"


def test_rotation_changes_nothing_when_one_secret_cannot_be_read(keys, settings):
    _store_wix_key("IST.rotation-test")
    _store_brevo_key("xkeysib-rotation-test-0003")
    BrevoConnection.objects.update(api_key_encrypted="v1:k1:tampered")
    before = WixConnection.objects.values_list("api_key_sealed", flat=True).get()
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2), credentials_key("k1", 1)]
    with pytest.raises(Exception, match="Nothing was changed"):
        call_command("rotatecredentials")
    assert WixConnection.objects.values_list("api_key_sealed", flat=True).get() == before
