"""The two ways Credit Desk authenticates to Wix (docs/wix.md#authentication).

API key: `Authorization: <key>` (no "Bearer") plus `wix-site-id`.
Wix app: OAuth client credentials exchanged at /oauth2/token for a token sent as `Authorization`.
The token is kept in Django's cache (Redis in production) so every process shares one, and the shared
cache lock (balances/cache.py) makes concurrent processes ask Wix for it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import httpx
from django.core.cache import cache

from balances.cache import cache_lock

from .errors import WixAuthError, WixUnavailable

TOKEN_REFRESH_MARGIN = 300  # seconds before expiry: a token must not die in the middle of a page


@dataclass(frozen=True)
class ApiKeyAuth:
    api_key: str = field(repr=False)
    site_id: str

    kind = "api_key"

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return {"Authorization": self.api_key, "wix-site-id": self.site_id}

    def forget_token(self) -> None:
        """API keys have no token to refresh."""


@dataclass(frozen=True)
class AppAuth:
    app_id: str
    app_secret: str = field(repr=False)
    instance_id: str

    kind = "app"

    @property
    def _cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.app_id}:{self.instance_id}".encode()).hexdigest()[:32]
        return f"wix:token:{digest}"

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return {"Authorization": self._token(http)}

    def forget_token(self) -> None:
        cache.delete(self._cache_key)

    def _token(self, http: httpx.Client) -> str:
        token = self._cached_token()
        if token:
            return token
        # One process fetches, the others wait for its token; after 10 s they stop waiting and fetch.
        with cache_lock(self._cache_key + ":lock", hold_seconds=15, wait_seconds=10, until=lambda: bool(self._cached_token())):
            token = self._cached_token()
            if token:
                return token
            token, expires_in = self._fetch(http)
            cache.set(self._cache_key, token, timeout=max(expires_in - TOKEN_REFRESH_MARGIN, 30))
            return token

    def _cached_token(self) -> str:
        token = cache.get(self._cache_key)
        return token if isinstance(token, str) else ""

    def _fetch(self, http: httpx.Client) -> tuple[str, int]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            "instance_id": self.instance_id,
        }
        try:
            response = http.post("/oauth2/token", json=body)
        except httpx.HTTPError as exc:
            raise WixUnavailable("Could not reach Wix to sign in the app.") from exc
        if response.status_code in (400, 401, 403):
            raise WixAuthError(
                "Wix refused the app credentials. Check the app ID, app secret and instance ID.",
                status=response.status_code,
            )
        if response.status_code != 200:
            raise WixUnavailable("Wix could not sign in the app right now.", status=response.status_code)
        try:
            data = response.json()
            return data["access_token"], int(data.get("expires_in", 14400))
        except (ValueError, KeyError, TypeError) as exc:
            raise WixUnavailable("Wix sent an unreadable sign-in answer.") from exc
