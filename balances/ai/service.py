"""The studio's Wix AI credits (account level), cached five minutes with the last good value kept a day."""

from __future__ import annotations

from balances.cache import Cached, read_or_failed
from balances.wix.ai_records import AiCredits
from balances.wix.client import WixClient
from balances.wix.errors import WixError, WixPermissionError

FRESH_SECONDS = 300  # AI credits move slowly and cost an upstream call; Wix's own guide suggests ~5 min
KEEP_SECONDS = 24 * 3600

NO_SCOPE_MESSAGE = (
    "This Wix connection can't read AI credits: the API key needs account-level or site-level access "
    "with the AI Credits permission. The account owner can create such a key under API Keys in the Wix "
    "account settings, and an owner here can then enter it in Settings."
)


def describe(error: Exception) -> str:
    if isinstance(error, WixPermissionError):
        return NO_SCOPE_MESSAGE
    return f"AI credits could not be loaded: {getattr(error, 'message', 'Wix returned an error.')}"


def ai_credits(client: WixClient, cache_key: str, *, refresh: bool = False) -> Cached[AiCredits | None]:
    """Never raises for a Wix failure: `Cached.failed(…)` when there are no earlier figures to show."""
    return read_or_failed(
        f"ai-credits:{cache_key}",
        "credits",
        client.get_ai_credits,
        failing=WixError,
        fresh_seconds=FRESH_SECONDS,
        keep_seconds=KEEP_SECONDS,
        describe=describe,
        refresh=refresh,
    )
