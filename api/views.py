"""/api/v1/credits — the site's balance lookup, behind a bearer token.

    GET  /api/v1/credits?memberId=…            (or ?email=…, kept for sites already using it)
    POST /api/v1/credits   email=… | memberId=…  (form-encoded or a JSON object; new sites use this)

A member's e-mail in a URL ends up in access logs, proxies' logs and monitoring; in a POST body it does
not, so the README steers new sites to POST, and a POST that carries them in its URL is refused.

With `serviceId` (a Wix Bookings service; in the URL or the body) the answer also says whether one of the
member's plans can pay for a session of it right now ("service": {"canPay", "pools"}), so the booking page
can send a member with no usable plan to the plans page before checkout. Without it the answer is exactly
as before.

Outside the login (the site's backend code calls it), so every answer is JSON: 401 without a valid
token, 400 for a bad query, 404 for an unknown member, 429 past the token's rate, 503 with Retry-After
when Wix fails or the machines' share of the call budget is spent.

Answers come through the read cache, and a token is limited in requests and in the Wix calls they
really cost (a sliding minute each, shared by every process: balances/api_tokens.py).
No session or cookie is read here, so there is nothing for CSRF to protect (the token is the credential).
"""

import json
import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from balances.api_tokens import charge_wix_calls, over_rate_limit, token_from_header
from balances.lookup import UnknownService, lookup_credits
from balances.wix.budget import counting_calls
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from config.web import json_api
from config.web import json_error as _error

FIELDS = ("memberId", "email", "serviceId")


class BadQuery(Exception):
    pass


def _query(request: HttpRequest) -> tuple[str, str, str]:
    """(memberId, email, serviceId) from the URL of a GET or the body of a POST; exactly one of the first
    two is non-empty; serviceId is optional."""
    if request.method == "GET":
        values: dict[str, object] = {name: request.GET.get(name, "") for name in FIELDS}
    else:
        if any(name in request.GET for name in FIELDS[:2]):
            raise BadQuery("Send memberId or email in the body of a POST, not in its URL.")
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise BadQuery("The body is not valid JSON.") from None
            if not isinstance(body, dict):
                raise BadQuery('The body must be a JSON object such as {"email": "…"}.')
            values = {name: body.get(name, "") for name in FIELDS}
        else:
            values = {name: request.POST.get(name, "") for name in FIELDS}
    if not all(isinstance(v, str) for v in values.values()):
        raise BadQuery("memberId and email must be strings.")
    member_id, email, service_id = (str(values[name]).strip() for name in FIELDS)
    if service_id:
        try:
            service_id = str(uuid.UUID(service_id))
        except ValueError:
            raise BadQuery("serviceId must be a Wix Bookings service ID (a GUID).") from None
    elif values["serviceId"] != "" or (request.method == "GET" and "serviceId" in request.GET):
        raise BadQuery("serviceId must be a Wix Bookings service ID (a GUID).")
    if bool(member_id) == bool(email):
        raise BadQuery("Give exactly one of memberId or email.")
    try:
        if member_id:
            return str(uuid.UUID(member_id)), "", service_id
        EmailValidator()(email)
    except (ValueError, ValidationError):
        raise BadQuery("memberId must be a member ID (a GUID)." if member_id else "email is not an email address.") from None
    return "", email, service_id


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
@json_api
def credits_lookup(request: HttpRequest) -> HttpResponse:
    token = token_from_header(request.headers.get("Authorization", ""))
    if token is None:
        return _error(
            401,
            "unauthenticated",
            "Send a valid token as 'Authorization: Bearer <token>'.",
            WWW_Authenticate='Bearer realm="credit-desk"',
        )
    wait = over_rate_limit(token)
    if wait:
        return _error(429, "rate_limited", f"Too many requests for this token; retry in {wait} s.", Retry_After=str(wait))
    try:
        member_id, email, service_id = _query(request)
    except BadQuery as error:
        return _error(400, "bad_request", str(error))
    auth = current_auth()
    with counting_calls() as tally:
        try:
            result = lookup_credits(
                get_client(auth), connection_fingerprint(auth), member_id=member_id, email=email, service_id=service_id
            )
        except UnknownService:
            return _error(404, "not_found", "No Wix Bookings service with this serviceId.")
        finally:  # a failed lookup spent its calls too
            charge_wix_calls(token, tally.calls)
    return JsonResponse(result.as_json())
