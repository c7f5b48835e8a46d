"""Logging in lands on the home page (Needs attention), and the pages carry what the desk's look relies on."""

from django.urls import reverse

from tests.helpers import PASSWORD


def test_login_lands_on_the_home_page(client, frontdesk):
    response = client.post(reverse("login"), {"username": frontdesk.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_the_favicon_is_a_static_file_linked_from_every_page(frontdesk_client):
    from django.contrib.staticfiles import finders

    page = frontdesk_client.get(reverse("members:list")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page or 'rel="icon" href="/static/favicon.' in page
    assert finders.find("favicon.svg")


def test_the_navigation_marks_the_current_page_and_groups_the_studio_menu(owner_client):
    page = owner_client.get(reverse("staff:list")).content.decode()
    assert f'href="{reverse("staff:list")}" aria-current="page"' in page
    assert '<details class="active">' in page and "<summary>Studio</summary>" in page
    assert f'href="{reverse("members:list")}" aria-current' not in page


def test_front_desk_sees_no_studio_menu(frontdesk_client):
    page = frontdesk_client.get(reverse("members:list")).content.decode()
    assert "<summary>Studio</summary>" not in page
    assert f'href="{reverse("members:list")}" aria-current="page"' in page


def test_a_needs_attention_list_is_marked_as_needs_attention_not_members(frontdesk_client, wix):
    page = frontdesk_client.get(reverse("members:attention", args=["out"])).content.decode()
    assert f'href="{reverse("home")}" aria-current="page"' in page
    assert f'href="{reverse("members:list")}" aria-current' not in page
