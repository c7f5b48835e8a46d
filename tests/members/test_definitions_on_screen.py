"""Screens say what balances/definitions.py says: the list's "low" highlight is Needs attention's
"Running low" list, out of credits is its "Out of credits" list, paused and pending credits are "on hold"."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from balances import attention
from balances.wix.connection import connection_fingerprint, current_auth, get_client

pytestmark = pytest.mark.django_db


def _highlighted(body: str, css: str) -> set[str]:
    rows = re.findall(rf'<tr class="{css}">(.*?)</tr>', body, re.S)
    return {re.search(r'href="/members/([0-9a-f-]+)/"', row).group(1) for row in rows}


def test_the_low_highlight_is_the_needs_attention_list_and_so_is_out(frontdesk_client, fresh_wix):
    report = attention.scan(get_client(), connection_fingerprint(current_auth()), Decimal("1"))
    body = frontdesk_client.get(reverse("members:list"), {"size": 100}).content.decode()
    assert len(fresh_wix.studio.members) <= 100  # one page holds the whole studio
    low = _highlighted(body, "low")
    assert low == {f.member_id for f in report.groups["low"]} and low
    assert _highlighted(body, "out") == {f.member_id for f in report.groups["out"]}


def test_paused_and_pending_credits_say_on_hold_everywhere(frontdesk_client, fresh_wix):
    studio = fresh_wix.studio
    member = studio.add_member("Paula", "Pause")
    studio.add_pool(member["id"], "pack20", available="12", status="PAUSED")
    listing = frontdesk_client.get(reverse("members:list"), {"q": "Paula"}).content.decode()
    assert "12 on hold" in listing and "12 free" not in listing
    panel = frontdesk_client.get(reverse("members:detail", args=[member["id"]])).content.decode()
    assert "12 free" not in panel and "12 on hold" in panel and "<dt>On hold</dt>" in panel
    assert re.search(r"<strong>0</strong> free to book", panel) and "Out of credits" in panel
