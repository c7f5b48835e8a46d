"""Who may call: API keys with their site/account header, and OAuth access tokens.

Rules (https://dev.wix.com/docs/go-headless/develop-your-project/admin-operations/make-rest-api-calls-with-an-api-key):
no ``Authorization`` or an unknown key/token → 401 UNAUTHENTICATED; a valid API key with a missing or
wrong ``wix-site-id`` (``wix-account-id`` for account-level APIs) → 403 PERMISSION_DENIED. API keys
are sent raw, as Wix's docs and the official SDK do; ``Bearer <api key>`` is refused unless
``Faults.bearer_api_key`` is on (whether Wix accepts it is unconfirmed, so our client must not rely on
it). OAuth tokens work raw or as ``Bearer``.
"""

from __future__ import annotations

import time
from typing import Any

from . import credentials
from .errors import application_error
from .oauth import TokenStore

_KEY_SCOPES = {
    credentials.API_KEY: credentials.FULL_SCOPES,
    credentials.READONLY_API_KEY: credentials.READONLY_SCOPES,
    credentials.NO_AI_API_KEY: credentials.NO_AI_SCOPES,
}


def _denied(description: str):
    return application_error(403, "PERMISSION_DENIED", f"PERMISSION_DENIED: {description}")


def authenticate(kind: str, headers: Any, tokens: TokenStore, bearer_api_key: bool = False) -> frozenset[str]:
    """The scopes of the caller of a ``kind`` ("site" or "account") route, or a 401/403 ``WixError``."""
    auth = (headers.get("Authorization") or "").strip()
    if not auth:
        raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: missing Authorization header")
    bearer = auth[:7].lower() == "bearer "
    token = auth[7:].strip() if bearer else auth
    scopes = _KEY_SCOPES.get(token)
    if scopes is not None:
        if bearer and not bearer_api_key:
            raise application_error(
                401, "UNAUTHENTICATED", "UNAUTHENTICATED: send the API key as the raw Authorization header, without 'Bearer'"
            )
        site = (headers.get("wix-site-id") or "").strip()
        account = (headers.get("wix-account-id") or "").strip()
        if kind == "account":
            if account == credentials.ACCOUNT_ID or site == credentials.SITE_ID:
                return scopes
            raise _denied("the wix-account-id (or wix-site-id) header is missing or wrong")
        if site == credentials.SITE_ID:
            return scopes
        if not site:
            raise _denied("the wix-site-id header is missing; site-level APIs need the site id")
        raise _denied("the wix-site-id header is wrong: this API key has no access to that site")
    expiry = tokens.expiry(token)
    if expiry is not None:
        if expiry > time.time():
            return credentials.FULL_SCOPES
        raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: the access token has expired")
    raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: invalid API key or access token")
