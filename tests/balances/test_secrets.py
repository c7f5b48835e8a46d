import pytest

from balances import secrets
from tests.helpers import credentials_key


def test_it_round_trips_and_never_stores_plaintext(keys):
    token = secrets.encrypt("IST.very-secret", aad="wix:1:api_key")
    assert "very-secret" not in token and token.startswith("v1:k1:")
    assert secrets.decrypt(token, aad="wix:1:api_key") == "IST.very-secret"


def test_a_value_moved_to_another_row_or_field_does_not_decrypt(keys):
    token = secrets.encrypt("s3cret", aad="wix:1:api_key")
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token, aad="wix:2:api_key")
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token, aad="wix:1:app_secret")


def test_rotation_keeps_old_values_readable_and_reseals_with_the_newcredentials_key(settings):
    settings.CREDENTIALS_KEYS = [credentials_key("k1", 1)]
    old = secrets.encrypt("s3cret", aad="a")
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2), credentials_key("k1", 1)]
    assert secrets.decrypt(old, aad="a") == "s3cret"
    new = secrets.reencrypt(old, aad="a")
    assert secrets.key_id_of(new) == "k2"
    settings.CREDENTIALS_KEYS = [credentials_key("k2", 2)]
    assert secrets.decrypt(new, aad="a") == "s3cret"
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(old, aad="a")


@pytest.mark.parametrize("token", ["", "garbage", "v1:k1:!!!", "v2:k1:AAAA", "v1:k1:" + "A" * 40])
def test_unreadable_values_fail_closed(keys, token):
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token, aad="a")


def test_a_wrong_key_fails_closed(settings):
    settings.CREDENTIALS_KEYS = [credentials_key("k1", 1)]
    token = secrets.encrypt("s3cret", aad="a")
    settings.CREDENTIALS_KEYS = [credentials_key("k1", 9)]
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token, aad="a")


def test_no_key_refuses_to_store(settings):
    settings.CREDENTIALS_KEYS = []
    with pytest.raises(secrets.SecretUnreadable):
        secrets.encrypt("s3cret", aad="a")
