"""Finding 1 of issue 19: an owner's session alone could add an owner with a known password, disable
other owners or set anyone's password (its own included), then log in as that owner. Now every such
change needs the password again (studio/reauth.py), one's own password needs the current one
(/accounts/password_change/), and every staff change is in the audit log."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from balances.audit import AuditEntry
from balances.roles import ADJUST_CREDITS, FRONT_DESK, OWNER
from tests.conftest import make_user
from tests.helpers import PASSWORD

STRONG = "tulip-orbit-7-granite"
NEWER = "quartz-meadow-4-lantern"


def _can_log_in(username, password):
    return Client().post(reverse("login"), {"username": username, "password": password}).status_code == 302


def _confirm(client):
    assert client.post(reverse("staff:confirm_password"), {"password": PASSWORD}).status_code == 302


def _password_form(user, password=STRONG):
    return {f"u{user.pk}-new_password1": password, f"u{user.pk}-new_password2": password}


def _staff_rows():
    return list(AuditEntry.objects.filter(kind=AuditEntry.Kind.STAFF).order_by("id"))


@pytest.fixture
def other_owner(db):
    return make_user("oscar", OWNER)


def _privileged_changes(frontdesk, other_owner):
    """(what, url, data, check-it-happened) for every change that needs the password again."""
    return [
        (
            "add an owner",
            reverse("staff:add"),
            {"username": "mallory", "password1": STRONG, "password2": STRONG, "role": OWNER},
            lambda: get_user_model().objects.filter(username="mallory").exists(),
        ),
        (
            "promote to owner",
            reverse("staff:change", args=[frontdesk.pk]),
            {"action": "make_owner"},
            lambda: get_user_model().objects.get(pk=frontdesk.pk).groups.filter(name=OWNER).exists(),
        ),
        (
            "reset a password",
            reverse("staff:password", args=[other_owner.pk]),
            _password_form(other_owner),
            lambda: get_user_model().objects.get(pk=other_owner.pk).check_password(STRONG),
        ),
        (
            "disable an owner",
            reverse("staff:change", args=[other_owner.pk]),
            {"action": "disable"},
            lambda: not get_user_model().objects.get(pk=other_owner.pk).is_active,
        ),
        (
            "grant a permission",
            reverse("staff:change", args=[frontdesk.pk]),
            {"action": "grant_adjust"},
            lambda: get_user_model().objects.get(pk=frontdesk.pk).has_perm(ADJUST_CREDITS),
        ),
    ]


def test_privileged_staff_changes_need_the_password_again(owner_client, frontdesk, other_owner):
    for what, url, data, happened in _privileged_changes(frontdesk, other_owner):
        response = owner_client.post(url, data)
        assert response.status_code == 403, what
        assert "password again" in response.content.decode(), what
        assert not happened(), what
    assert other_owner.is_active and _can_log_in("oscar", PASSWORD)
    assert not _staff_rows()  # nothing happened, nothing recorded


def test_after_the_password_is_confirmed_they_go_through_and_are_audited(owner_client, owner, frontdesk, other_owner):
    wrong = owner_client.post(reverse("staff:confirm_password"), {"password": "not it"})
    assert wrong.status_code == 400 and "not your password" in wrong.content.decode()
    _confirm(owner_client)
    for what, url, data, happened in _privileged_changes(frontdesk, other_owner):
        assert owner_client.post(url, data).status_code == 302, what
        assert happened(), what
    rows = _staff_rows()
    assert [r.member_name for r in rows] == ["mallory", "frank", "oscar", "oscar", "frank"]
    assert all(r.username == owner.username and r.outcome == AuditEntry.Outcome.APPLIED for r in rows)
    text = " ".join(r.reason for r in rows)
    for said in ("Added", "Owner", "Password reset", "Disabled", "adjust credits"):
        assert said in text
    assert STRONG not in text  # never a password


def test_adding_a_front_desk_account_and_reducing_rights_need_no_step_up_but_are_audited(owner_client, frontdesk):
    added = owner_client.post(
        reverse("staff:add"), {"username": "fiona", "password1": STRONG, "password2": STRONG, "role": FRONT_DESK}
    )
    assert added.status_code == 302
    frontdesk.user_permissions.add(*Group.objects.get(name=OWNER).permissions.filter(codename="adjust_credits"))
    for action in ("revoke_adjust", "logout_everywhere"):
        assert owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": action}).status_code == 302
    assert [r.member_name for r in _staff_rows()] == ["fiona", "frank", "frank"]


def test_the_audit_log_shows_staff_changes_without_amounts(owner_client, frontdesk):
    _confirm(owner_client)
    owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": "disable"})
    page = owner_client.get(reverse("audit:list"))
    assert page.status_code == 200
    assert "Disabled" in page.content.decode() and "frank" in page.content.decode()
    filtered = owner_client.get(reverse("audit:list"), {"kind": AuditEntry.Kind.STAFF, "q": "frank"})
    assert filtered.status_code == 200 and "Disabled" in filtered.content.decode()
    export = owner_client.get(reverse("audit:export"), {"kind": AuditEntry.Kind.STAFF})
    assert export.status_code == 200 and "Disabled" in export.content.decode()


def test_a_staff_row_cannot_be_undone(owner_client, frontdesk, wix):
    _confirm(owner_client)
    owner_client.post(reverse("staff:change", args=[frontdesk.pk]), {"action": "grant_adjust"})
    row = _staff_rows()[0]
    assert not row.undoable
    response = owner_client.post(reverse("audit:undo", args=[row.pk]), {"idempotency_key": "0b6f3b1e-8a1c-4d2e-9f00-3b1c2d3e4f50"})
    assert response.status_code == 422 and "Only an applied change" in response.content.decode()
    assert len(_staff_rows()) == 1 and not AuditEntry.objects.exclude(kind=AuditEntry.Kind.STAFF).exists()


# --- one's own account -------------------------------------------------------------------------------


def test_the_password_change_page_exists_and_needs_the_current_password(owner, owner_client):
    other_device = Client()
    other_device.force_login(owner)
    url = reverse("password_change")
    assert url == "/accounts/password_change/"
    page = owner_client.get(url)
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.content.decode()
    wrong = owner_client.post(url, {"old_password": "not it", "new_password1": NEWER, "new_password2": NEWER})
    assert wrong.status_code == 400 and "incorrectly" in wrong.content.decode()
    weak = owner_client.post(url, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400
    done = owner_client.post(url, {"old_password": PASSWORD, "new_password1": NEWER, "new_password2": NEWER})
    assert done.status_code == 302 and done["Location"] == reverse("password_change_done")
    assert owner_client.get(done["Location"]).status_code == 200  # still logged in here
    assert other_device.get(reverse("members:list")).status_code == 302  # the other device is logged out
    assert _can_log_in(owner.username, NEWER) and not _can_log_in(owner.username, PASSWORD)
    assert [r.reason for r in _staff_rows()] == ["Changed their own password"]


def test_the_current_password_guesses_are_throttled_like_log_ins(owner, owner_client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("password_change")
    for _ in range(3):
        owner_client.post(url, {"old_password": "guess", "new_password1": NEWER, "new_password2": NEWER})
    right = owner_client.post(url, {"old_password": PASSWORD, "new_password1": NEWER, "new_password2": NEWER})
    assert right.status_code == 429  # the right password is refused while the guesses are throttled
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_resetting_ones_own_password_through_staff_asks_for_the_current_one(owner, owner_client):
    _confirm(owner_client)
    response = owner_client.post(reverse("staff:password", args=[owner.pk]), _password_form(owner))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # unchanged: the session alone is not enough
    assert owner_client.get(reverse("staff:list")).status_code == 200  # and still logged in


def test_logging_oneself_out_everywhere_ends_every_session_and_goes_to_the_login(owner, owner_client):
    other_device = Client()
    other_device.force_login(owner)
    response = owner_client.post(reverse("staff:change", args=[owner.pk]), {"action": "logout_everywhere"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert other_device.get(reverse("members:list")).status_code == 302
    assert owner_client.get(reverse("members:list")).status_code == 302
    assert [r.reason for r in _staff_rows()] == ["Logged out everywhere"]
