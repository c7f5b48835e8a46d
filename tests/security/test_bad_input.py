"""Every form field gets bad input and answers with a clear message and a 4xx, never a 500."""

import pytest
from django.urls import reverse

from balances.wix.models import WixConnection
from sandbox import credentials as sandbox_credentials
from tests.helpers import PASSWORD

HTML = '<script>alert("x")</script>'
BAD = {
    "empty": "",
    "too long": "a" * 5000,
    "wrong type": "12.5e3",
    "malformed guid": "0d2c6e8a-4b1f-4c3d-9e7a-5f8b2a1c6dZZ",
    "unicode": "ключ-🔑-\u202e",
    "html": HTML,
    "nul": "abc\x00def",
}

CONNECTION_VALID = {
    "api_key": {"method": "api_key", "api_key": sandbox_credentials.API_KEY, "site_id": sandbox_credentials.SITE_ID},
    "app": {
        "method": "app",
        "app_id": sandbox_credentials.APP_ID,
        "app_secret": sandbox_credentials.APP_SECRET,
        "instance_id": sandbox_credentials.INSTANCE_ID,
    },
}
CONNECTION_FIELDS = [("api_key", f) for f in ("method", "api_key", "site_id")] + [
    ("app", f) for f in ("app_id", "app_secret", "instance_id")
]


def _assert_handled(response, *, must_refuse=False):
    """Accepted (a redirect) when the input happens to be valid, else a 400 that says what is wrong."""
    body = response.content.decode()
    assert response.status_code in ((400,) if must_refuse else (302, 400)), response.status_code
    if response.status_code == 400:
        assert 'class="errorlist' in body or 'role="alert"' in body
    assert HTML not in body  # never reflected unescaped


GUIDS = {"site_id", "app_id", "instance_id"}


@pytest.fixture
def confirmed(owner_client, keys):  # noqa: F811
    assert owner_client.post(reverse("wix:confirm_password"), {"password": PASSWORD}).status_code == 302
    return owner_client


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize(("method", "field"), CONNECTION_FIELDS)
def test_connection_form(confirmed, wix, method, field, kind):
    data = {**CONNECTION_VALID[method], field: BAD[kind]}
    response = confirmed.post(reverse("wix:save"), data)
    # Any bad ID, and any secret Wix would never issue (empty, unicode, HTML, NUL), is refused.
    must_refuse = field in GUIDS or field == "method" or kind in ("empty", "unicode", "html", "nul")
    _assert_handled(response, must_refuse=must_refuse)
    assert WixConnection.objects.exists() is (response.status_code == 302)


@pytest.mark.parametrize("kind", BAD)
def test_password_recheck(owner_client, kind):
    _assert_handled(owner_client.post(reverse("wix:confirm_password"), {"password": BAD[kind]}), must_refuse=True)


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("field", ["username", "password1", "password2", "role"])
def test_staff_form(owner_client, field, kind):
    data = {
        "username": "newbie",
        "password1": "tulip-orbit-7-granite",
        "password2": "tulip-orbit-7-granite",
        "role": "Front desk",
        field: BAD[kind],
    }
    # "12.5e3" and a GUID-like string are fine usernames; the rest of BAD is not.
    valid_username = kind in ("wrong type", "malformed guid")
    must_refuse = field == "role" or kind in ("empty", "too long", "nul") or (field == "username" and not valid_username)
    _assert_handled(owner_client.post(reverse("staff:add"), data), must_refuse=must_refuse)


@pytest.mark.parametrize("kind", BAD)
def test_staff_password_form(owner_client, frontdesk, kind):
    prefix = f"u{frontdesk.pk}-"
    data = {prefix + "new_password1": BAD[kind], prefix + "new_password2": BAD[kind]}
    assert owner_client.post(reverse("staff:confirm_password"), {"password": PASSWORD}).status_code == 302
    response = owner_client.post(reverse("staff:password", args=[frontdesk.pk]), data)
    _assert_handled(response, must_refuse=kind in ("empty", "wrong type", "nul"))


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("field", ["username", "password"])
def test_login_form(client, owner, field, kind):
    data = {"username": owner.username, "password": "wrong", field: BAD[kind]}
    response = client.post(reverse("login"), data)
    assert response.status_code == 200 and HTML not in response.content.decode()  # Django re-renders with 200
    assert 'role="alert"' in response.content.decode()
