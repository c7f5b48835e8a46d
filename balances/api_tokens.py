"""Bearer tokens for the site's balance lookup: made once, stored only as a SHA-256 digest.

Tokens are 256 random bits, so a plain digest (no salt, no slow hash) is enough to make a leaked table
useless, and lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from . import rate_limits
from .models import ApiToken
from .wix.budget import MACHINES

PREFIX = "cdk_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_wix_calls_per_minute() -> int:
    """The most a token may be allowed: the machines' share of the budget (it never reaches people's)."""
    return int(settings.WIX_CALLS_PER_MINUTE * (1 - MACHINES.leaves))


def create_token(
    name: str, user: User | None, *, requests_per_minute: int = 60, wix_calls_per_minute: int = 30
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is shown once and never stored."""
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=plaintext[:10],
        digest=_digest(plaintext),
        requests_per_minute=requests_per_minute,
        wix_calls_per_minute=min(wix_calls_per_minute, max_wix_calls_per_minute()),
        created_by=user,
    )
    return token, plaintext


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_from_header(header: str) -> ApiToken | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.startswith(PREFIX) or len(value) > 100:
        return None
    token = ApiToken.objects.filter(digest=_digest(value.strip()), revoked_at__isnull=True).first()
    if token is not None and (token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60):
        # At most one write a minute per token: "last used" is for owners, not an audit trail.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def over_rate_limit(token: ApiToken) -> int:
    """0 when this request may go ahead, else the seconds to wait: the token's requests in the last 60 s
    (a sliding window, shared by every process), and the Wix calls its recent requests spent."""
    return rate_limits.take("api-requests", str(token.pk), token.requests_per_minute) or rate_limits.room(
        "api-wix-calls", str(token.pk), token.wix_calls_per_minute
    )


def charge_wix_calls(token: ApiToken, calls: int) -> None:
    """After a request: what it cost in Wix calls (none when the read cache answered)."""
    rate_limits.charge("api-wix-calls", str(token.pk), token.wix_calls_per_minute, calls)
