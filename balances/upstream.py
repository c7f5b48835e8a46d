"""What every failure of an outside service (Wix, Brevo) carries: a message safe to show in the page
(never a credential), the HTTP status and the service's error code when there were any."""

from __future__ import annotations


class UpstreamError(Exception):
    default_message = "The service returned an error."

    def __init__(self, message: str = "", *, status: int | None = None, code: str = "") -> None:
        self.message = message or self.default_message
        self.status = status
        self.code = code
        super().__init__(self.message)
