"""When a failed Wix call is worth repeating, and how long to wait first (used by WixClient._send).

- Only calls that are safe to repeat: reads (GET and Wix's read-only POST …/query) and writes that carry
  an idempotency key (Wix applies a keyed change once however often it is sent) — except Revert, whose
  key Wix ignores (adjustments.undo repeats it itself).
- Only failures that a second try can cure: refused connections, 429, 502/503/504 — and, for reads,
  timeouts and connections that broke off mid-answer. Never 4xx, never an unreadable body.
- A person is waiting, so the whole call gets WIX_RETRY_SECONDS (about 5 s) and 3 attempts. A
  Retry-After that would not fit is not slept through: the WixRateLimited goes straight to the page
  ("retry in N s").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx
import stamina
from django.conf import settings

from .errors import WixBudgetExhausted, WixCircuitOpen, WixError, WixRateLimited, WixUnavailable
from .records import Wire

ATTEMPTS = 3
BACKOFF_SECONDS = 0.2  # the first wait; then jittered exponential, at most 2 s
RETRY_STATUSES = frozenset({502, 503, 504})
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
_READ_ONLY_ERRORS = (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError)


def is_repeatable(method: str, path: str, body: Wire | None) -> bool:
    if method == "GET" or (method == "POST" and path.endswith("/query")):
        return True
    if path.endswith("/revert"):
        # Wix ignores the key on Revert (docs/wix.md#change-balance-and-revert): a blind repeat could not tell its own lost
        # attempt from someone else's revert. adjustments.undo repeats it knowing which is which.
        return False
    return bool((body or {}).get("idempotencyKey"))


def _retry_decision(error: Exception, *, read: bool) -> bool:
    if isinstance(error, WixRateLimited):
        return not isinstance(error, WixBudgetExhausted)
    if not isinstance(error, WixUnavailable):
        return False
    if error.status in RETRY_STATUSES:
        return True
    cause = error.__cause__
    if isinstance(cause, _CONNECT_ERRORS):
        return True
    return read and isinstance(cause, _READ_ONLY_ERRORS)


def retrying(*, read: bool) -> Iterable[stamina.Attempt]:
    """Attempts for one call: `for attempt in retrying(read=...): with attempt: ...`."""
    budget = float(settings.WIX_RETRY_SECONDS)
    deadline = time.monotonic() + budget

    def on(error: Exception) -> bool | float:
        if not isinstance(error, WixError) or not _retry_decision(error, read=read):
            return False
        left = deadline - time.monotonic()
        retry_after = error.retry_after if isinstance(error, WixRateLimited | WixCircuitOpen) else None
        if retry_after is not None:
            # Honour Wix's Retry-After, but only if it fits the time a person can bear to wait.
            return retry_after if retry_after <= left else False
        return left > 0.1

    return stamina.retry_context(
        on=on, attempts=ATTEMPTS, timeout=budget, wait_initial=BACKOFF_SECONDS, wait_max=2.0, wait_jitter=0.3
    )


def run(call: Callable[[], Wire], *, repeatable: bool, read: bool) -> Wire:
    if not repeatable:
        return call()
    for attempt in retrying(read=read):
        with attempt:
            return call()
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover
