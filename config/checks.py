"""System checks: production rules (`manage.py check --deploy`) and settings that must parse."""

import ipaddress

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def trusted_proxies_are_addresses(app_configs, **kwargs):
    """TRUSTED_PROXY_IPS entries are IP addresses or CIDR networks; a typo must not wait for a log-in."""
    errors = []
    for entry in settings.TRUSTED_PROXY_IPS:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                checks.Error(
                    f"TRUSTED_PROXY_IPS entry {entry!r} is not an IP address or CIDR network.",
                    hint="Use addresses or networks such as 10.0.0.0/8, comma-separated.",
                    id="site_config.E004",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def shared_state_is_configured(app_configs, **kwargs):
    """A real server runs several processes: they must share one cache and one set of keys.

    Without REDIS_URL each process has its own local-memory cache, so the Wix call budget, the login
    throttle's delays, refresh limits and locks hold per process only (N processes = N times the limit).
    Without CREDENTIALS_KEYS stored Wix and Brevo secrets cannot be encrypted or read.
    """
    if settings.DEBUG:
        return []
    rules = [  # (broken, what is wrong, what to do, id)
        (
            not settings.REDIS_URL,
            "REDIS_URL is not set: every process would keep its own call budget, locks and rate limits.",
            "Set REDIS_URL=redis://host:6379/0 (shared by every process and server).",
            "site_config.E001",
        ),
        (
            not settings.CREDENTIALS_KEYS,
            "CREDENTIALS_KEYS is not set: stored Wix and Brevo secrets cannot be encrypted.",
            "Set CREDENTIALS_KEYS=k1:<32 random bytes, urlsafe base64> (README, Configuration).",
            "site_config.E002",
        ),
        (
            settings.TRUSTED_PROXY_COUNT and not settings.TRUSTED_PROXY_IPS,
            "TRUSTED_PROXY_COUNT is set without TRUSTED_PROXY_IPS: X-Forwarded-For would be ignored.",
            "Set TRUSTED_PROXY_IPS to the addresses or CIDR networks of the proxies that connect to the app.",
            "site_config.E003",
        ),
    ]
    return [checks.Error(message, hint=hint, id=id_) for broken, message, hint, id_ in rules if broken]
