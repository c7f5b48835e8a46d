"""GET /api/v1/credits?memberId=…|email=… — the site's balance lookup, behind a bearer token.

Outside the login (the site's backend code calls it), so every answer is JSON: 401 without a valid
token, 400 for a bad query, 404 for an unknown member, 429 past the token's rate, 503 when Wix fails.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from balances.api_tokens import over_rate_limit, token_from_header
from balances.lookup import lookup_credits
from balances.wix.connection import get_client
from config.web import json_api
from config.web import json_error as _error


@login_not_required
@require_GET
@json_api
def credits_lookup(request):
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
    member_id, email = request.GET.get("memberId", "").strip(), request.GET.get("email", "").strip()
    if bool(member_id) == bool(email):
        return _error(400, "bad_request", "Give exactly one of memberId or email.")
    try:
        if member_id:
            member_id = str(uuid.UUID(member_id))
        else:
            EmailValidator()(email)
    except (ValueError, ValidationError):
        return _error(
            400, "bad_request", "memberId must be a member ID (a GUID)." if member_id else "email is not an email address."
        )
    result = lookup_credits(get_client(), member_id=member_id, email=email)
    return JsonResponse(result.as_json())
