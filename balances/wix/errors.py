"""Wix failures as exceptions with a message a front-desk person can act on.

Wix error bodies look like {"message": ..., "details": {"applicationError": {"code": ...}}} or
{"details": {"validationError": {"fieldViolations": [...]}}} (see docs/wix.md#errors).
"""

from __future__ import annotations

from typing import Any

from balances.upstream import UpstreamError


class WixError(UpstreamError):
    """Base class. `message` is safe to show in the page; it never contains credentials. `request_id` is
    Wix's for the call (support asks for it); `data` is the applicationError's payload."""

    default_message = "Wix returned an error."

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.request_id = request_id
        self.data = data or {}
        super().__init__(message, status=status, code=code)


class WixAuthError(WixError):
    default_message = "Wix refused our credentials. Check the API key and site ID in Settings."


class WixPermissionError(WixAuthError):
    default_message = "The Wix credentials lack a permission this needs."


class WixNotFound(WixError):
    default_message = "Wix has no such record."


class WixBadRequest(WixError):
    default_message = "Wix did not accept the request."


class WixConflict(WixError):
    """409. Change Balance documents several: only ALREADY_EXECUTED says an earlier attempt with this
    idempotency key went through. BALANCE_ALREADY_INITIALIZED and TRANSACTION_ALREADY_SUPERSEDED (the
    official SDK's error union) refuse the change; ABORTED is Wix's generic concurrency error (this
    attempt did nothing, another may be under way). Its payload does not promise a transactionId."""

    default_message = "Wix refused the change because of a conflicting operation."
    APPLIED_CODES = frozenset({"ALREADY_EXECUTED"})
    REFUSED_CODES = frozenset({"BALANCE_ALREADY_INITIALIZED", "TRANSACTION_ALREADY_SUPERSEDED"})

    @property
    def already_applied(self) -> bool:
        return self.code in self.APPLIED_CODES

    @property
    def refused(self) -> bool:
        """Definitely not applied by this attempt, and not worth repeating as is."""
        return self.code in self.REFUSED_CODES


class WixPreconditionFailed(WixError):
    """428: a business rule refused the change (e.g. it would leave a negative balance)."""

    default_message = "Wix refused the change."


class WixRateLimited(WixError):
    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        if not message:
            wait = f" — retry in {int(retry_after + 0.999)} s" if retry_after else ""
            message = f"Wix is rate limiting{wait}."
        super().__init__(message, **kwargs)


class WixUnavailable(WixError):
    """5xx, timeouts, refused connections, unreadable bodies: Wix could not be reached properly."""

    default_message = "Wix is not reachable right now."


class WixUnknownOutcome(WixUnavailable):
    """A write whose result we never saw: it may or may not have been applied."""

    default_message = "Wix did not confirm the change; it may or may not have been applied."

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after  # when the last attempt was held off (429, our budget)
        super().__init__(message, **kwargs)


class WixNotConfigured(WixError):
    default_message = "No Wix connection is configured. An owner can add one in Settings."


class WixCredentialsUnreadable(WixNotConfigured):
    default_message = "The stored Wix credentials are unreadable — an owner must enter them again in Settings."


class WixBudgetExhausted(WixRateLimited):
    """Our own shared call budget is spent for now: refused here, before Wix would answer 429."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        if not message:
            wait = f" — retry in {int(retry_after + 0.999)} s" if retry_after else ""
            message = f"Credit Desk has used this minute's Wix calls{wait}."
        super().__init__(message, retry_after=retry_after, **kwargs)


class WixCircuitOpen(WixUnavailable):
    """Wix failed repeatedly: calls fail fast for a cool-off instead of making people wait on it."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        if not message:
            wait = f" Trying again in {int(retry_after + 0.999)} s." if retry_after else ""
            message = f"Wix is unreachable: it failed repeatedly, so Credit Desk paused calls to it.{wait}"
        super().__init__(message, **kwargs)
