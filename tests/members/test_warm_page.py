"""A warm member page reuses the rows' HTML only while it shows the same copy of the data."""

import time

from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.urls import reverse

from balances.cache import invalidate, peek
from balances.models import StudioPreferences
from balances.reads import member_page_read
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from tests.helpers import wix_calls

URL = reverse("members:list")


def test_rows_follow_the_data_not_an_old_rendering(owner_client, fresh_wix):
    first = owner_client.get(URL, {"size": 25})
    member = first.context["page"].rows[0].member
    fresh_wix.studio.add_pool(member.id, "pack10", available="37")
    calls = len(wix_calls(fresh_wix))

    warm = owner_client.get(URL, {"size": 25})  # the same cached copy: no call, the same rows
    assert len(wix_calls(fresh_wix)) == calls
    assert warm.content.count(b"member-link") == 25 and b"37 free" not in warm.content

    invalidate(connection_fingerprint(current_auth()))  # what an adjustment does
    after = owner_client.get(URL, {"size": 25})
    assert b"37 free" in after.content and after.content.count(b"member-link") == 25


def test_an_htmx_swap_and_a_full_page_show_the_same_rows(owner_client, fresh_wix):
    full = owner_client.get(URL, {"size": 25}).content.decode()
    swap = owner_client.get(URL, {"size": 25}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in swap
    rows = swap[swap.index("<tbody>") : swap.index("</tbody>")]
    assert rows.count("member-link") == 25 and rows in full


def test_the_prefetch_loads_the_next_page_and_renders_its_rows_ahead(owner_client, fresh_wix, settings):
    settings.WIX_PREFETCH_NEXT_PAGE = True
    owner_client.get(URL, {"size": 25})
    connection = connection_fingerprint(current_auth())
    deadline = time.monotonic() + 10
    while not peek(connection, "page:||25|25|") and time.monotonic() < deadline:
        time.sleep(0.02)
    calls = len(wix_calls(fresh_wix))
    page = member_page_read(get_client(), connection, offset=25, limit=25).value  # the prefetched copy
    threshold = StudioPreferences.current().low_credit_threshold
    key = make_template_fragment_key("member-rows", [page.fetched_at.isoformat(), 25, 25, None, threshold])
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.get(key) and cache.get(key).count("member-link") == 25

    settings.WIX_PREFETCH_NEXT_PAGE = False  # so no call of the page after lands in this count
    second = owner_client.get(URL, {"size": 25, "offset": 25})
    assert len(wix_calls(fresh_wix)) == calls
    assert second.content.decode().count("member-link") == 25 and "As of" in second.content.decode()
