"""The fault matrix, issue 14's leg: the sandbox's strict and uncertain behaviours of Wix, one at a time.

Under each — read-only fields dropped or kept, instructingParty kept or absent, members without a total,
reads that lag writes, fractional amounts, plans without credits as a "0" balance or as no pool — every
screen answers without a 500, shows Wix's numbers, and an adjustment and its undo made in the panel are
shown applied only when Wix applied them, each applied once.
"""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from balances import attention
from balances.api_tokens import create_token
from balances.audit import AuditEntry
from balances.credits import member_page
from balances.wix.connection import connection_fingerprint, current_auth, get_client, reset_clients
from sandbox import SandboxServer, build_studio
from sandbox import credentials as sc

pytestmark = pytest.mark.django_db

SCENARIOS = {
    "read-only fields dropped (default)": ({}, {}),
    "read-only fields kept": ({"keep_read_only_fields": True}, {}),
    "instructingParty absent": ({"instructing_party": "absent"}, {}),
    "members without a total": ({"members_total": False}, {}),
    "reads lag writes": ({"read_lag": 30}, {}),
    "fractional amounts": ({}, {"fractional": True}),
    "plans without credits: a 0 balance": ({}, {"plans_without_credits": "zero_balance"}),
    "plans without credits: no pool": ({}, {"plans_without_credits": "no_pool"}),
}
HX = {"HX-Request": "true"}


def _serve(settings, **seed):
    server = SandboxServer(build_studio(members=40, seed=11, **seed), host="127.0.0.1", port=0).start()
    settings.WIX_API_BASE_URL = server.url
    settings.WIX_API_KEY, settings.WIX_SITE_ID = sc.API_KEY, sc.SITE_ID
    settings.WIX_APP_ID = settings.WIX_APP_SECRET = settings.WIX_INSTANCE_ID = ""
    settings.WIX_TIMEOUT_SECONDS = 2.0
    reset_clients()
    cache.clear()
    return server


@pytest.fixture(params=list(SCENARIOS), ids=list(SCENARIOS))
def scenario(request, settings):
    faults, seed = SCENARIOS[request.param]
    server = _serve(settings, **seed)
    server.faults.update(**faults)
    yield server
    server.stop()
    reset_clients()


def _ok(response):
    assert response.status_code < 500, response.content[:400]
    return response


def _free_to_book(studio, member_id) -> Decimal:
    total = Decimal(0)
    for pool in studio.pools_for(member_id):
        balance = studio.balance(pool["id"])
        credit = pool["details"].get("creditConfiguration")
        if credit and balance and pool["status"] in ("ACTIVE", "RENEWING"):
            total += Decimal(balance["amount"]["available"])
    return total


def test_every_screen_answers_and_shows_wixs_numbers(scenario, owner_client, owner):
    studio = scenario.studio
    listing = _ok(owner_client.get(reverse("members:list"), {"size": 25}))
    assert listing.status_code == 200 and listing.context["next_url"]  # pages on, total or not
    _ok(owner_client.get(reverse("members:list") + listing.context["next_url"]))
    for status in ("ACTIVE", "PAUSED", "ENDED"):
        _ok(owner_client.get(reverse("members:list"), {"status": status}))
    for row in listing.context["page"].rows:
        assert row.total_available == _free_to_book(studio, row.member.id), row.member.id
    checked = 0
    for member in studio.members[:8]:
        panel = _ok(owner_client.get(reverse("members:detail", args=[member["id"]]), headers=HX))
        detail = panel.context["detail"]
        assert detail.credits.total_available == _free_to_book(studio, member["id"])
        for pool in detail.pools:
            if pool.unlimited:
                assert studio.get_pool(pool.pool_id)["details"].get("creditConfiguration") is None
                continue
            assert pool.available == Decimal(studio.balance(pool.pool_id)["amount"]["available"])
            explain = _ok(owner_client.get(reverse("members:explain", args=[member["id"], pool.pool_id]), headers=HX))
            assert "the same as Wix" in explain.content.decode(), explain.content.decode()[:600]
            checked += 1
    assert checked
    report = attention.scan(get_client(), connection_fingerprint(current_auth()), Decimal(1))
    for key in ("out", "low"):
        for flagged in report.groups[key]:
            assert flagged.available == _free_to_book(studio, flagged.member_id)
    _ok(owner_client.get(reverse("home")))
    export = _ok(owner_client.get("/members/export.csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == len({r["member_id"] for r in rows}) == len(studio.members)
    token = create_token("probe", owner)[1]
    member = studio.members[0]
    body = _ok(owner_client.get("/api/v1/credits", {"memberId": member["id"]}, HTTP_AUTHORIZATION=f"Bearer {token}")).json()
    assert Decimal(body["available"]) == _free_to_book(studio, member["id"])


def _hidden(body, name):
    return re.search(rf'name="{name}" value="([^"]*)"', body).group(1)


def test_a_change_and_its_undo_are_shown_as_wix_applied_them_once(scenario, owner_client):
    studio = scenario.studio
    pool = next(
        p for p in studio.pools if p["status"] == "ACTIVE" and studio.balance(p["id"]) and p["details"].get("creditConfiguration")
    )
    member_id = pool["beneficiary"]["memberId"]
    start = Decimal(studio.balance(pool["id"])["amount"]["available"])
    url = reverse("members:adjust", args=[member_id, pool["id"]])
    form = _ok(owner_client.get(url, headers=HX)).content.decode()
    data = {n: _hidden(form, n) for n in ("idempotency_key", "revision", "seen_available", "in_panel")}
    panel = _ok(owner_client.post(url, {**data, "mode": "add", "amount": "1.5", "reason": "Probe"}, headers=HX))
    after = Decimal(studio.balance(pool["id"])["amount"]["available"])
    assert after == start + Decimal("1.5")
    shown = next(p for p in panel.context["detail"].pools if p.pool_id == pool["id"])
    assert shown.available == after and panel.context["detail"].credits.total_available == _free_to_book(studio, member_id)

    undo = re.search(
        r'<form class="undo"[^>]*action="([^"]+)".*?name="idempotency_key" value="([^"]+)"', panel.content.decode(), re.S
    )
    back = _ok(owner_client.post(undo.group(1), {"idempotency_key": undo.group(2), "in_panel": "1"}, headers=HX))
    assert Decimal(studio.balance(pool["id"])["amount"]["available"]) == start
    shown = next(p for p in back.context["detail"].pools if p.pool_id == pool["id"])
    assert shown.available == start

    applied = AuditEntry.objects.filter(outcome="applied")
    assert applied.count() == 2
    history = studio.transactions_for(pool["id"]) if hasattr(studio, "transactions_for") else None
    ids = [e.transaction_id for e in applied]
    assert all(ids) and len(set(ids)) == 2
    for tx_id in ids:
        assert studio.find_transaction(tx_id) is not None  # applied in Wix, exactly the one transaction each
    if history is not None:
        assert sum(1 for t in history if t["id"] in ids) == 2
    explain = _ok(owner_client.get(reverse("members:explain", args=[member_id, pool["id"]]), headers=HX)).content.decode()
    assert "the same as Wix" in explain and "Changed in Credit Desk" in explain and "Undone in Credit Desk" in explain


def _truth(rows):
    return {
        r.member.id: (
            r.total_available,
            r.total_reserved,
            r.total_on_hold,
            r.has_unlimited,
            r.out_of_credits,
            sorted((p.plan_name, p.status, p.available) for p in r.pools),
        )
        for r in rows
    }


def test_plans_without_credits_show_the_same_truth_as_a_zero_balance_or_none(settings):
    """Wix does not document whether a plan without credits has no balance or a "0" one: same answers."""
    answers = {}
    for option in ("no_balance", "zero_balance", "no_pool"):
        server = _serve(settings, plans_without_credits=option)
        try:
            page = member_page(get_client(), connection_fingerprint(current_auth()), limit=100)
            answers[option] = _truth(page.rows)
        finally:
            server.stop()
            reset_clients()
    assert answers["zero_balance"] == answers["no_balance"]
    assert any(t[3] for t in answers["no_balance"].values())  # the seed has unlimited plans
    # Without any pool Wix tells nothing about such a plan: every plan with credits still reads the same.
    for member, truth in answers["no_pool"].items():
        credit_plans = [p for p in answers["no_balance"][member][5] if p[2] is not None]
        assert [p for p in truth[5] if p[2] is not None] == credit_plans
        assert truth[:3] == answers["no_balance"][member][:3]
