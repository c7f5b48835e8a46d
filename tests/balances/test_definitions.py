"""One definition per question (balances/definitions.py), the same on every screen, in the export, in
Needs attention and in the lookup API."""

import csv
import io
from decimal import Decimal

import pytest

from balances import attention
from balances.api_tokens import create_token
from balances.credits import member_detail
from balances.wix.connection import connection_fingerprint, current_auth, get_client

pytestmark = pytest.mark.django_db


def _scan():
    return attention.scan(get_client(), connection_fingerprint(current_auth()), Decimal("1"))


def test_renewing_now_includes_unlimited_plans(fresh_wix):
    studio = fresh_wix.studio
    member = studio.add_member("Rena", "Wing")
    pool = studio.add_pool(member["id"], "unlimited", status="RENEWING")
    report = _scan()
    renewing = {f.pool_id for f in report.groups["renewing"]}
    assert pool["id"] in renewing
    expected = {p["id"] for p in studio.pools if p["status"] == "RENEWING"}
    assert renewing == expected  # credits or not, every plan Wix says is renewing


def test_pending_and_paused_credits_are_on_hold_not_free_to_book(fresh_wix, client, owner):
    studio = fresh_wix.studio
    member = studio.add_member("Held", "Back")
    studio.add_pool(member["id"], "pack10", available="12", status="PAUSED")
    studio.add_pool(member["id"], "pack5", available="3", status="PENDING")
    token = create_token("Booking page", owner)[1]
    body = client.get("/api/v1/credits", {"memberId": member["id"]}, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (body["available"], body["onHold"], body["canBook"], body["outOfCredits"]) == ("0", "15", False, True)
    report = _scan()
    assert member["id"] in {f.member_id for f in report.groups["out"]}
    held = {f.pool_id for f in report.groups["paused"] if f.member_id == member["id"]}
    assert len(held) == 2  # pending too: both are on hold
    client.force_login(owner)
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get("/members/export.csv", {"q": "Held"}).streaming_content).decode())))
    assert [(r["free_to_book"], r["on_hold"], r["out_of_credits"]) for r in rows] == [("0", "15", "yes")]


def test_a_member_whose_plans_all_ended_is_out_of_credits_everywhere(fresh_wix, client, owner):
    studio = fresh_wix.studio
    member = studio.add_member("Ende", "Zeit")
    studio.add_pool(member["id"], "pack10", available="4", status="ENDED")
    assert member["id"] in {f.member_id for f in _scan().groups["out"]}
    detail = member_detail(get_client(), member["id"])
    assert detail.credits.out_of_credits and not detail.credits.can_book and detail.credits.total_available == 0


def test_an_unlimited_plan_is_never_out_or_low_but_a_paused_one_books_nothing(fresh_wix):
    studio = fresh_wix.studio
    active, paused = studio.add_member("Uli", "Active"), studio.add_member("Pia", "Paused")
    studio.add_pool(active["id"], "unlimited")
    studio.add_pool(active["id"], "pack5", available="0")
    studio.add_pool(paused["id"], "unlimited", status="PAUSED")
    report = _scan()
    flagged = {f.member_id for key in ("out", "low") for f in report.groups[key]}
    assert active["id"] not in flagged and paused["id"] in {f.member_id for f in report.groups["out"]}
    from balances.definitions import can_book  # imported here: the other tests also run on the old code

    assert can_book(member_detail(get_client(), active["id"]).pools)
