from django.urls import reverse

from tests.helpers import wix_calls


def test_healthz_answers_the_load_balancer_without_login_or_wix(client, wix, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert wix_calls(wix) == []


def test_healthz_is_exempt_from_the_https_redirect(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("members:list")).status_code == 301
