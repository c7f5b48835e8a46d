"""ASVS 5.0 authentication, session and logging basics that Django gives us, pinned so a change shows.

Named in docs/security/asvs-l2.md: password entry (V6.2.6-6.2.9), session termination (V7.4.1) and
security events in the log (V16.3.1, V16.3.2).
"""

import logging

import pytest
from axes.models import AccessLog
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.urls import reverse

from tests.conftest import make_user

PASSWORD = "correct horse battery"


def test_the_login_form_masks_the_password_and_lets_password_managers_fill_it(client, db):
    html = client.get(reverse("login")).content.decode()
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    assert "onpaste" not in html and 'autocomplete="off"' not in html


@pytest.mark.django_db
def test_the_password_is_checked_exactly_as_typed(client, owner):
    for variant in (PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1]):
        assert client.post(reverse("login"), {"username": owner.username, "password": variant}).status_code == 200
    assert client.post(reverse("login"), {"username": owner.username, "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_long_passphrases_of_any_characters_are_accepted(client):
    phrase = "Ünïcode and spaces, 64+ chars: the quick brown fox jumps over the lazy dog 🦊 " * 2
    assert len(phrase) > 128
    validate_password(phrase)
    make_user("poet", "Front desk", password=phrase)
    assert client.post(reverse("login"), {"username": "poet", "password": phrase}).status_code == 302


@pytest.mark.django_db
def test_a_logged_out_session_cookie_cannot_be_replayed(client, owner):
    client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("audit:list")).status_code == 200
    client.post(reverse("logout"))
    client.cookies[django_settings.SESSION_COOKIE_NAME] = cookie  # the attacker kept a copy
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_log_in_failures_are_logged_and_successes_recorded(client, owner, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        client.post(reverse("login"), {"username": owner.username, "password": "wrong"}, REMOTE_ADDR="192.0.2.8")
    failure = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any("login failure" in m and owner.username in m and "192.0.2.8" in m for m in failure), failure
    assert "wrong" not in " ".join(failure).replace("wrong password", "")  # never the password itself
    client.post(reverse("login"), {"username": owner.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.8")
    assert AccessLog.objects.filter(username=owner.username, ip_address="192.0.2.8").exists()


@pytest.mark.django_db
def test_refused_authorization_is_logged(frontdesk_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert frontdesk_client.get(reverse("audit:list")).status_code == 403
    assert any(r.levelno == logging.WARNING and "Forbidden" in r.getMessage() for r in caplog.records)
