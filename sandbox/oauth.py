"""OAuth for Wix apps: ``POST /oauth2/token`` (client_credentials) and ``POST /oauth2/token-info``.

Tokens live in memory per server; their lifetime is ``Faults.token_ttl`` at issue time. Errors use
the IETF OAuth body ``{"error", "error_description"}`` (https://dev.wix.com/docs/rest/app-management/oauth-2/create-access-token).
"""

from __future__ import annotations

import secrets
import threading
import time

from . import credentials
from .errors import WixError


def _oauth_error(status: int, error: str, description: str) -> WixError:
    return WixError(status, {"error": error, "error_description": description})


class TokenStore:
    """Issued access tokens and their expiry (epoch seconds)."""

    def __init__(self) -> None:
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def expiry(self, token: str) -> float | None:
        with self._lock:
            return self._tokens.get(token)

    def issue(self, body: dict, ttl: float) -> dict:
        if body.get("grant_type") != "client_credentials":
            raise _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if body.get("client_id") != credentials.APP_ID or body.get("client_secret") != credentials.APP_SECRET:
            raise _oauth_error(401, "invalid_client", "client_id or client_secret is wrong")
        if body.get("instance_id") != credentials.INSTANCE_ID:
            raise _oauth_error(400, "invalid_client", "instance_id is missing or unknown for this app")
        expires_in: int | float = int(ttl) if float(ttl).is_integer() else float(ttl)
        token = "OauthNG.JWS." + secrets.token_urlsafe(96)
        with self._lock:
            self._tokens[token] = time.time() + expires_in
        return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}

    def info(self, body: dict) -> dict:
        expiry = self.expiry(body.get("token") or "")
        if expiry is None or expiry <= time.time():
            raise WixError(401, {"error": "invalid_token", "error_description": "token is unknown or expired"})
        return {
            "active": True,
            "clientId": credentials.APP_ID,
            "instanceId": credentials.INSTANCE_ID,
            "siteId": credentials.SITE_ID,
            "exp": int(expiry),
        }
