"""The site's balance lookup: token auth, hashing, rate limit, JSON errors, numbers equal to Wix's."""

from decimal import Decimal

import pytest
from django.urls import reverse

from balances.api_tokens import create_token
from balances.models import ApiToken
from sandbox import DEMO_EMAIL, DEMO_MEMBER_ID

URL = "/api/v1/credits"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def token(owner):
    return create_token("Booking page", owner, requests_per_minute=5)[1]


@pytest.mark.django_db
def test_lookup_by_member_id_and_by_email_match_wix(wix, client, token):
    studio = wix.studio
    expected = sum(
        (
            Decimal(studio.balance(p["id"])["amount"]["available"])
            for p in studio.pools_for(DEMO_MEMBER_ID)
            if studio.balance(p["id"]) and p["status"] in ("ACTIVE", "RENEWING")
        ),
        Decimal(0),
    )
    by_id = client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token))
    by_email = client.get(URL, {"email": DEMO_EMAIL.upper()}, **bearer(token))
    assert by_id.status_code == by_email.status_code == 200
    assert by_id.json()["available"] == format(expected.normalize(), "f")
    assert by_email.json()["memberId"] == DEMO_MEMBER_ID
    assert by_id.json()["available"] == by_email.json()["available"]
    assert isinstance(by_id.json()["available"], str)  # decimal strings, as on Wix's wire


@pytest.mark.django_db
def test_member_out_of_credits_cannot_book(fresh_wix, client, token):
    studio = fresh_wix.studio
    member = studio.add_member("Zero", "Credits")
    studio.add_pool(member["id"], "pack5", available="0")
    body = client.get(URL, {"memberId": member["id"]}, **bearer(token)).json()
    assert body["available"] == "0" and body["canBook"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["", "Bearer nope", "Bearer cdk_wrong", "Basic abc", "cdk_x"])
def test_no_valid_token_is_401_json_and_never_reaches_wix(wix, client, header, token):
    response = client.get(URL, {"memberId": DEMO_MEMBER_ID}, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not wix.log.records()


@pytest.mark.django_db
def test_revoked_token_is_refused(wix, client, owner_client, token):
    stored = ApiToken.objects.get()
    assert owner_client.post(reverse("api_token_revoke", args=[stored.pk])).status_code == 302
    assert client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token)).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{}, {"memberId": "x"}, {"email": "not-an-email"}, {"memberId": DEMO_MEMBER_ID, "email": DEMO_EMAIL}]
)
def test_bad_queries_are_400_json(wix, client, token, query):
    response = client.get(URL, query, **bearer(token))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.django_db
def test_unknown_member_is_404_and_wix_down_is_503(wix, client, token):
    assert client.get(URL, {"email": "nobody@example.org"}, **bearer(token)).status_code == 404
    wix.faults.error_rate = 1.0
    wix.faults.error_status = 503
    response = client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "upstream_unavailable"


@pytest.mark.django_db
def test_per_token_rate_limit(wix, client, owner, token):
    other = create_token("Other", owner, requests_per_minute=5)[1]
    statuses = [client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token)).status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    limited = client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token))
    assert int(limited["Retry-After"]) >= 1
    assert client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(other)).status_code == 200


@pytest.mark.django_db
def test_token_is_shown_once_and_stored_hashed(owner_client):
    response = owner_client.post(reverse("api_tokens"), {"name": "Booking page", "requests_per_minute": 30})
    html = response.content.decode()
    stored = ApiToken.objects.get()
    plaintext = html.split('class="token-once" type="text" readonly value="')[1].split('"')[0]
    assert plaintext.startswith("cdk_") and len(plaintext) > 40
    assert plaintext not in (stored.digest, stored.prefix) and plaintext[:10] == stored.prefix
    assert plaintext not in owner_client.get(reverse("api_tokens")).content.decode()
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_front_desk_cannot_manage_tokens(frontdesk_client, owner):
    assert frontdesk_client.get(reverse("api_tokens")).status_code == 403
    token, _ = create_token("x", owner)
    assert frontdesk_client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.active


@pytest.mark.django_db
def test_bad_token_form_is_400(owner_client):
    response = owner_client.post(reverse("api_tokens"), {"name": "", "requests_per_minute": 0})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- "can a plan pay for this service now" (Eligible Pools) -------------------------------------------


def _member_with_plan_for(studio, service_key, *, can_pay):
    """A seeded member whose ACTIVE pools covering the service can (or cannot) pay one session now."""
    from sandbox.bookings import SERVICE_IDS
    from sandbox.bookings.catalog import benefit_price, covers, plan_key_of

    service_id = SERVICE_IDS[service_key]
    for member in studio.members:
        covering = [
            p for p in studio.pools_for(member["id"]) if p["status"] == "ACTIVE" and covers(plan_key_of(p) or "", service_id)
        ]
        payable = [
            p
            for p in covering
            if studio.balance(p["id"]) is None
            or Decimal(studio.balance(p["id"])["amount"]["available"]) >= Decimal(benefit_price(plan_key_of(p)))
        ]
        if covering and bool(payable) == can_pay:
            return member, service_id, payable
    raise AssertionError("no such member in the seed")


@pytest.mark.django_db
def test_with_a_service_the_answer_says_whether_a_plan_can_pay_now(wix, client, token):
    member, service_id, payable = _member_with_plan_for(wix.studio, "vinyasa", can_pay=True)
    response = client.get(URL, {"memberId": member["id"], "serviceId": service_id}, **bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["service"]["serviceId"] == service_id and body["service"]["canPay"] is True
    assert {p["poolId"] for p in body["service"]["pools"]} == {p["id"] for p in payable}
    assert all(p["plan"] and isinstance(p["price"], str) for p in body["service"]["pools"])
    assert body["service"]["name"] == "Vinyasa Flow"
    calls = [r for r in wix.log.records() if r.path == "/benefit-programs/v1/pools/eligible-pools"]
    assert len(calls) == 1 and calls[0].body["itemReference"]["externalId"] == service_id
    assert calls[0].body["beneficiary"] == {"memberId": member["id"]} and calls[0].body["count"] == 1
    # The site's services are kept for minutes: the next question asks Wix only about the member.
    client.get(URL, {"memberId": member["id"], "serviceId": service_id}, **bearer(token))
    assert len([r for r in wix.log.records() if r.path == "/_api/bookings/v2/services/query"]) == 1


@pytest.mark.django_db
def test_a_member_whose_plans_cannot_pay_is_told_so(wix, client, token):
    member, service_id, _ = _member_with_plan_for(wix.studio, "reformer", can_pay=False)
    body = client.get(URL, {"memberId": member["id"], "serviceId": service_id}, **bearer(token)).json()
    assert body["service"] == {"serviceId": service_id, "name": "Reformer Pilates", "canPay": False, "pools": []}


@pytest.mark.django_db
def test_a_service_no_plan_covers_cannot_be_paid_by_plan(wix, client, token):
    from sandbox.bookings import SERVICE_IDS

    body = client.get(URL, {"memberId": DEMO_MEMBER_ID, "serviceId": SERVICE_IDS["private"]}, **bearer(token)).json()
    assert body["service"]["canPay"] is False and body["memberId"] == DEMO_MEMBER_ID


@pytest.mark.django_db
def test_existing_callers_get_exactly_the_old_answer_and_no_extra_call(wix, client, token):
    body = client.get(URL, {"memberId": DEMO_MEMBER_ID}, **bearer(token)).json()
    assert "service" not in body
    assert {"memberId", "available", "reserved", "unlimited", "canBook", "pools", "asOf"} <= set(body)
    assert not [r for r in wix.log.records() if "eligible-pools" in r.path]


@pytest.mark.django_db
@pytest.mark.parametrize("service", ["", "nope", "1234", "x" * 500])
def test_a_bad_service_id_is_400_json_and_never_reaches_wix(wix, client, token, service):
    response = client.get(URL, {"memberId": DEMO_MEMBER_ID, "serviceId": service}, **bearer(token))
    assert response.status_code == 400 and "serviceId" in response.json()["error"]["message"]
    assert not wix.log.records()


@pytest.mark.django_db
def test_an_unknown_member_with_a_service_is_still_404(wix, client, token):
    from sandbox.bookings import SERVICE_IDS

    response = client.get(
        URL, {"memberId": "00000000-0000-4000-8000-000000000001", "serviceId": SERVICE_IDS["yin"]}, **bearer(token)
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_service_id_that_names_no_service_is_404_not_a_false_no(wix, client, token):
    response = client.get(URL, {"memberId": DEMO_MEMBER_ID, "serviceId": "00000000-0000-4000-8000-00000000abcd"}, **bearer(token))
    assert response.status_code == 404 and "serviceId" in response.json()["error"]["message"]
    assert not [r for r in wix.log.records() if "eligible-pools" in r.path]
