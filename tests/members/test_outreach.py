"""Outreach from Needs attention: each list copies its members' e-mails and exports its CSV (from the stored report)."""

import csv
import io
from decimal import Decimal

from django.urls import reverse

from balances import feed
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from tests.helpers import wix_calls


def _report():
    """The report the page shows: built from the change feed's state, as the worker builds it."""
    fingerprint = connection_fingerprint(current_auth())
    feed.rebuild(get_client(), fingerprint)
    return feed.cached_state_report(fingerprint, Decimal("1"))


def test_a_list_offers_every_members_email_to_copy(fresh_wix, owner_client):
    report = _report()
    out = report.groups["out"]
    response = owner_client.get(reverse("members:attention", args=["out"]))
    assert response.status_code == 200
    emails = list(dict.fromkeys(r.email for r in out if r.email))
    assert response.context["emails"] == emails and len(emails) > 0
    assert ", ".join(emails).encode() in response.content
    assert f"Copy {len(emails)} e-mail".encode() in response.content


def test_a_list_exports_as_csv_without_asking_wix(fresh_wix, owner_client):
    report = _report()
    before = len(wix_calls(fresh_wix))
    response = owner_client.get(reverse("members:attention_export", args=["low"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["member_id", "name", "email"]
    assert [r[0] for r in rows[1:]] == [f.member_id for f in report.groups["low"]]
    assert len(wix_calls(fresh_wix)) == before


def test_export_needs_the_export_permission(fresh_wix, frontdesk_client):
    _report()
    assert frontdesk_client.get(reverse("members:attention_export", args=["out"])).status_code == 403
    page = frontdesk_client.get(reverse("members:attention", args=["out"]))
    assert b"Export CSV" not in page.content and b"Copy " in page.content  # copying e-mails is for everyone at the desk


def test_an_unknown_list_is_404(fresh_wix, owner_client):
    _report()
    assert owner_client.get(reverse("members:attention_export", args=["nope"])).status_code == 404


def test_export_before_the_first_scan_says_so(fresh_wix, owner_client, settings):
    response = owner_client.get(reverse("members:attention_export", args=["out"]))
    assert response.status_code in (200, 503)
    if response.status_code == 503:
        assert b"Still checking" in response.content
