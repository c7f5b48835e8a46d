"""The idle timeout without a session write per request (config.middleware.SessionIdleRefreshMiddleware)."""

import time
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from config.middleware import SessionIdleRefreshMiddleware


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_recent_session_is_not_written_again(owner_client, settings):
    owner_client.get(reverse("login"))  # stamps the session: saved once
    before = _expiry(owner_client)
    settings.SESSION_COOKIE_AGE = 60  # a write now would move the expiry hours earlier
    for _ in range(3):
        owner_client.get(reverse("login"))
    assert _expiry(owner_client) == before


def test_a_session_older_than_the_refresh_interval_gets_a_new_idle_timeout(owner_client, settings):
    session = owner_client.session
    session[SessionIdleRefreshMiddleware.STAMP] = int(time.time()) - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    settings.SESSION_COOKIE_AGE = 60
    owner_client.get(reverse("login"))
    assert abs(_expiry(owner_client) - (timezone.now() + timedelta(seconds=60))) < timedelta(seconds=10)


def test_an_anonymous_visit_creates_no_session(client, db):
    client.get(reverse("login"))
    assert not Session.objects.exists()
