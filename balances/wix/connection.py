"""Which Wix credentials are in force, and the client built from them.

Precedence: credentials an owner stored on the Settings page (WixConnection, encrypted) win; without
them the environment (WIX_API_KEY + WIX_SITE_ID, or WIX_APP_ID + WIX_APP_SECRET + WIX_INSTANCE_ID)
is used. The stored row is read on every call, so a change made in one process is in force for the
next request in every process (clients are keyed by their credentials).
"""

from __future__ import annotations

import hashlib
import threading

from django.conf import settings

from balances.secrets import SecretUnreadable

from .auth import ApiKeyAuth, AppAuth
from .client import WixClient
from .errors import WixCredentialsUnreadable, WixNotConfigured
from .models import WixConnection

_clients: dict[tuple[str, ApiKeyAuth | AppAuth, float], WixClient] = {}
_lock = threading.Lock()


def auth_from_environment() -> ApiKeyAuth | AppAuth | None:
    if settings.WIX_API_KEY and settings.WIX_SITE_ID:
        return ApiKeyAuth(settings.WIX_API_KEY, settings.WIX_SITE_ID)
    if settings.WIX_APP_ID and settings.WIX_APP_SECRET and settings.WIX_INSTANCE_ID:
        return AppAuth(settings.WIX_APP_ID, settings.WIX_APP_SECRET, settings.WIX_INSTANCE_ID)
    return None


def stored_connection() -> WixConnection | None:
    return WixConnection.load()


def current_source() -> str:
    """ "stored", "environment" or "" (nothing configured): shown on the Settings page."""
    if stored_connection() is not None:
        return "stored"
    return "environment" if auth_from_environment() is not None else ""


def current_auth() -> ApiKeyAuth | AppAuth:
    stored = stored_connection()
    if stored is not None:
        try:
            return stored.auth()
        except SecretUnreadable as exc:  # fail closed: never fall back to other credentials silently
            raise WixCredentialsUnreadable() from exc
    auth = auth_from_environment()
    if auth is None:
        raise WixNotConfigured()
    return auth


def connection_fingerprint(auth: ApiKeyAuth | AppAuth) -> str:
    """A short, non-reversible name for a connection: cache keys must change when credentials do."""
    raw = repr((settings.WIX_API_BASE_URL, type(auth).__name__, *vars(auth).values()))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def get_client(auth: ApiKeyAuth | AppAuth | None = None) -> WixClient:
    """One client (and so one connection pool) per process and set of credentials; pass `auth` when
    the caller has just read it, to save reading the stored connection twice."""
    auth = auth or current_auth()
    key = (settings.WIX_API_BASE_URL, auth, settings.WIX_TIMEOUT_SECONDS)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = WixClient(settings.WIX_API_BASE_URL, auth, timeout=settings.WIX_TIMEOUT_SECONDS)
            _clients[key] = client
        return client


def reset_clients() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
