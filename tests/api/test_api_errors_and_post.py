"""Finding 10 of issue 19: every answer under /api/ is JSON (wrong method, unknown path, CSRF, server
error included), and e-mail lookups can go in a POST body so members' e-mails stay out of access logs."""

import json

import pytest
from django.test import Client

from balances.api_tokens import create_token
from sandbox import DEMO_EMAIL, DEMO_MEMBER_ID

URL = "/api/v1/credits"


@pytest.fixture
def token(owner):
    return create_token("Booking page", owner, requests_per_minute=60)[1]


def _is_json_error(response, status):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return body["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_wrong_method_is_a_json_405_with_allow(client, token, method):
    response = getattr(client, method)(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    error = _is_json_error(response, 405)
    assert error["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/credit", "/api/v2/credits", "/api/v1/credits/x"])
def test_an_unknown_path_under_api_is_a_json_404(client, path):
    assert _is_json_error(client.get(path), 404)["code"] == "not_found"
    assert _is_json_error(client.post(path), 404)["code"] == "not_found"


@pytest.mark.django_db
def test_a_post_without_csrf_cookie_is_not_refused_as_html(wix):
    """Machines hold no CSRF cookie: the token is the credential (no session is ever read here)."""
    client = Client(enforce_csrf_checks=True)
    error = _is_json_error(client.post(URL, {"email": DEMO_EMAIL}), 401)
    assert error["code"] == "unauthenticated"


@pytest.mark.django_db
def test_lookup_by_email_in_a_post_body_matches_the_get(wix, client, token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    by_get = client.get(URL, {"email": DEMO_EMAIL}, **auth)
    by_form = client.post(URL, {"email": DEMO_EMAIL}, **auth)
    by_json = client.post(URL, json.dumps({"email": DEMO_EMAIL}), content_type="application/json", **auth)
    by_id = client.post(URL, {"memberId": DEMO_MEMBER_ID}, **auth)
    assert by_get.status_code == by_form.status_code == by_json.status_code == by_id.status_code == 200
    assert by_form.json()["memberId"] == by_json.json()["memberId"] == DEMO_MEMBER_ID
    assert by_form.json()["available"] == by_get.json()["available"] == by_id.json()["available"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"email": 5}', "application/json"),
        ('{"email": "a@b.example", "memberId": "x"}', "application/json"),
        ("", "application/x-www-form-urlencoded"),
    ],
)
def test_bad_post_bodies_are_a_json_400(wix, client, token, body, content_type):
    response = client.post(URL, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _is_json_error(response, 400)["code"] == "bad_request"
    assert not wix.log.records()


@pytest.mark.django_db
def test_an_email_in_the_query_of_a_post_is_refused(wix, client, token):
    """A POST is chosen to keep the address out of URLs: one in the query string defeats it, so say so."""
    response = client.post(f"{URL}?email={DEMO_EMAIL}", {}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _is_json_error(response, 400)["code"] == "bad_request"


@pytest.mark.django_db
def test_a_body_too_large_is_a_json_400_not_djangos_html(wix, client, token, settings):
    """Django refuses an over-large body before the view runs, with its HTML 400 page; under /api/ it is JSON."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"email": "a" * 200 + "@example.com"})
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert _is_json_error(response, 400)["code"] == "bad_request"
    assert not wix.log.records()
