"""Owners manage staff accounts; the first owner comes from `manage.py createowner`."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from balances.roles import FRONT_DESK, OWNER
from tests.helpers import PASSWORD

STRONG = "tulip-orbit-7-granite"


def _confirm_password(client):
    """Privileged staff changes need the password again (studio/reauth.py); tests/security covers the refusal."""
    assert client.post(reverse("staff:confirm_password"), {"password": PASSWORD}).status_code == 302


def _can_log_in(username, password):
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def test_an_owner_adds_a_front_desk_account_that_can_log_in(owner_client, db):
    response = owner_client.post(
        reverse("staff:add"), {"username": "fiona", "password1": STRONG, "password2": STRONG, "role": FRONT_DESK}
    )
    assert response.status_code == 302
    fiona = get_user_model().objects.get(username="fiona")
    assert list(fiona.groups.values_list("name", flat=True)) == [FRONT_DESK]
    assert _can_log_in("fiona", STRONG)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "olivia", "password1": STRONG, "password2": STRONG}, "already exists"),
        ({"username": "new", "password1": "12345678", "password2": "12345678"}, "too common"),
        ({"username": "new", "password1": STRONG, "password2": STRONG + "x"}, "didn’t match"),
        ({"username": "bad name!", "password1": STRONG, "password2": STRONG}, "Enter a valid username"),
        ({"username": "new", "password1": STRONG, "password2": STRONG, "role": "Admin"}, "Select a valid choice"),
    ],
)
def test_bad_new_accounts_are_refused_with_a_message(owner_client, data, message):
    response = owner_client.post(reverse("staff:add"), {"role": FRONT_DESK, **data})
    assert response.status_code == 400 and message in response.content.decode()
    assert not get_user_model().objects.filter(username="new").exists()


def test_disabling_an_account_logs_it_out_everywhere(owner_client, frontdesk, wix):
    _confirm_password(owner_client)
    desk = Client()
    desk.force_login(frontdesk)
    assert desk.get(reverse("members:list")).status_code == 200
    response = owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": "disable"})
    assert response.status_code == 302
    assert desk.get(reverse("members:list")).status_code == 302  # back to the login page
    assert not _can_log_in(frontdesk.username, "correct horse battery")


def test_an_owner_cannot_disable_themselves(owner_client, owner):
    response = owner_client.post(reverse("staff:change", args=[owner.pk]), {"action": "disable"})
    assert response.status_code == 400
    owner.refresh_from_db()
    assert owner.is_active


def test_granting_and_revoking_the_adjust_permission(owner_client, frontdesk):
    _confirm_password(owner_client)
    url = reverse("staff:change", args=[frontdesk.pk])
    owner_client.post(url, {"action": "grant_adjust"})
    assert get_user_model().objects.get(pk=frontdesk.pk).has_perm("balances.adjust_credits")
    owner_client.post(url, {"action": "revoke_adjust"})
    assert not get_user_model().objects.get(pk=frontdesk.pk).has_perm("balances.adjust_credits")


def test_resetting_a_password_ends_the_old_sessions(owner_client, frontdesk, wix):
    _confirm_password(owner_client)
    desk = Client()
    desk.force_login(frontdesk)
    url = reverse("staff:password", args=[frontdesk.pk])
    weak = owner_client.post(url, {f"u{frontdesk.pk}-new_password1": "abc", f"u{frontdesk.pk}-new_password2": "abc"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    ok = owner_client.post(url, {f"u{frontdesk.pk}-new_password1": STRONG, f"u{frontdesk.pk}-new_password2": STRONG})
    assert ok.status_code == 302
    assert desk.get(reverse("members:list")).status_code == 302
    assert _can_log_in(frontdesk.username, STRONG)


def test_log_out_everywhere(owner_client, frontdesk, wix):
    desks = [Client(), Client()]
    for desk in desks:
        desk.force_login(frontdesk)
    owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": "logout_everywhere"})
    assert all(d.get(reverse("members:list")).status_code == 302 for d in desks)
    assert owner_client.get(reverse("staff:list")).status_code == 200  # the owner's own session is untouched


@pytest.mark.parametrize("action", ["", "delete", "<script>", "disable" * 100])
def test_unknown_actions_are_refused(owner_client, frontdesk, action):
    response = owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": action})
    assert response.status_code == 400
    assert get_user_model().objects.get(pk=frontdesk.pk).is_active


def test_an_unknown_account_is_a_404(owner_client):
    assert owner_client.post(reverse("staff:change", args=[999999]), {"action": "disable"}).status_code == 404


def test_createowner_makes_an_owner(db, monkeypatch):
    monkeypatch.setenv("CREDIT_DESK_OWNER_PASSWORD", STRONG)
    call_command("createowner", "ada")
    ada = get_user_model().objects.get(username="ada")
    assert ada.check_password(STRONG) and ada.groups.filter(name=OWNER).exists()
    with pytest.raises(CommandError, match="already exists"):
        call_command("createowner", "ada")


def test_createowner_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("CREDIT_DESK_OWNER_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command("createowner", "bob")
    assert not get_user_model().objects.filter(username="bob").exists()
