"""Brevo failures as exceptions whose `message` is safe to show in the page (never the key)."""

from balances.upstream import UpstreamError


class BrevoError(UpstreamError):
    default_message = "Brevo returned an error."


class BrevoNotConfigured(BrevoError):
    default_message = "Brevo Loyalty is not connected. An owner can connect it in Settings."


class BrevoAuthError(BrevoError):
    default_message = "Brevo refused the API key. An owner can enter a new one in Settings."


class BrevoNotFound(BrevoError):
    default_message = "Brevo has no such record."


class BrevoNotEnrolled(BrevoError):
    """422: the contact exists but is not subscribed to the loyalty program."""

    default_message = "This contact is not enrolled in the Brevo loyalty program."


class BrevoRateLimited(BrevoError):
    default_message = "Brevo's hourly limit for loyalty calls is used up; figures return when it resets."


class BrevoUnavailable(BrevoError):
    default_message = "Brevo is not reachable right now."
