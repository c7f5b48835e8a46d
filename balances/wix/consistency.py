"""Read-your-writes with Wix: keep the `X-Wix-Consistent` header Wix answers with, send it on later calls.

Wix's reads may lag its writes; a response can carry an `X-Wix-Consistent` token, and a request that
sends it back is answered consistently with everything that token has seen. The official SDK does
exactly this (@wix/sdk 1.21.16, build/wixClient.js `createClient`): after every response — success or
error — it keeps the header's latest value in the client's headers, and every later request carries it,
taking precedence over any other value. Without it a re-read right after a change (the adjust form's
check, the panel after an adjustment) can show the old balance and cause a false conflict.

Credit Desk runs many processes; the token is kept per Wix connection (API base URL + site or app
instance) in the shared cache, so a read in another process after a write here is consistent too. A
process remembers the last token it stored, so an unchanged header costs no write.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from django.core.cache import cache

log = logging.getLogger(__name__)

HEADER = "X-Wix-Consistent"
KEEP_SECONDS = 24 * 3600  # the SDK keeps it for the client's life; a day outlives any lag worth waiting for


class ReadYourWrites:
    def __init__(self, *parts: str):
        self.key = "wix:consistent:" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]
        self._stored: str | None = None

    @property
    def last_seen(self) -> str | None:
        """The newest token this process received (the probe reports whether Wix sends any)."""
        return self._stored

    def headers(self) -> dict[str, str]:
        """The header to send: the latest token any process of this connection received."""
        try:
            token = cache.get(self.key)
        except Exception:  # the shared cache being away must never stop a call to Wix
            log.warning("read-your-writes token unavailable (shared cache error)")
            token = self._stored
        return {HEADER: token} if token else {}

    def remember(self, headers: Mapping[str, str]) -> None:
        """After any response (errors too, as the SDK does): keep Wix's newest token."""
        token = headers.get(HEADER)
        if not token or token == self._stored:
            return
        self._stored = token
        try:
            cache.set(self.key, token, KEEP_SECONDS)
        except Exception:  # as above: the token then lives in this process only
            log.warning("read-your-writes token not shared (shared cache error)")
