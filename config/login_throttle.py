"""Login throttling on top of django-axes: the real client address, per-address limits, growing delays.

django-axes 8.3.1 counts failed log-ins in its database tables; three things are added here:

- `client_ip`: the address a failure is counted against. Behind a load balancer every request comes
  from the balancer, so one attacker would lock everybody out. `X-Forwarded-For` is read (through
  django-ipware) only when the connecting peer is one of TRUSTED_PROXY_IPS, and then only the entry
  the trusted proxies appended themselves (counted from the right, TRUSTED_PROXY_COUNT hops): what a
  client writes into the header itself is never believed.
- Two limits instead of one. axes compares one number with one limit, whatever the lockout
  parameters; here a (username, address) pair is throttled after AXES_FAILURE_LIMIT failures and an
  address after LOGIN_ADDRESS_FAILURE_LIMIT failures across all usernames within
  LOGIN_ADDRESS_WINDOW_SECONDS (password spraying).
- A delay that grows instead of a fixed lock: the first throttle lasts LOGIN_DELAY_SECONDS and each
  further failure after it doubles it, up to LOGIN_DELAY_MAX_SECONDS. Failures during a delay are
  refused unchecked and not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so a
  stranger who knows the owner's username cannot keep the owner out with a trickle of requests: the
  lock is on the stranger's address, and from the owner's own address it never starts.

A pair's failures are remembered for AXES_COOLOFF_TIME (a day), so its delay keeps growing across short locks;
an address's are counted over LOGIN_ADDRESS_WINDOW_SECONDS (an hour).
"""

import ipaddress
from datetime import timedelta
from functools import cache

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessFailureLog
from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone
from ipware.ip import get_client_ip


@cache
def _trusted_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _is_trusted_proxy(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXY_IPS)))


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address, believing only our own proxies."""
    peer = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops < 1 or not _is_trusted_proxy(peer):
        return peer
    # Client first, each proxy appends the address it was connected from; the peer is the last proxy and
    # is not in the header. So the entry TRUSTED_PROXY_COUNT from the right is the one our first proxy
    # wrote: anything left of it came from the client and is ignored. strict=False: such extra entries
    # must not invalidate the chain (that would fall back to the proxy's address for everyone).
    ip, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=hops - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return ip or peer


def delay(failures: int, limit: int) -> timedelta:
    """How long log-ins stay refused after `failures` failures, with `limit` allowed (0 below it)."""
    if failures < limit:
        return timedelta(0)
    seconds = settings.LOGIN_DELAY_SECONDS * 2 ** min(failures - limit, 30)
    return timedelta(seconds=min(seconds, settings.LOGIN_DELAY_MAX_SECONDS))


class ThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: per-pair and per-address limits with growing delays (see the module docstring).

    The pair's failures are axes' own AccessAttempt rows (AXES_LOCKOUT_PARAMETERS is the pair alone).
    The address's are AccessFailureLog rows, one per failure with its own time, so a window can be
    drawn (AXES_ENABLE_ACCESS_FAILURE_LOG); AccessAttempt rows only know their latest failure.
    """

    def get_failures(self, request, credentials=None) -> int:
        # axes locks when this reaches the (pair) failure limit: answer the limit while either the
        # pair or the address is inside its delay, otherwise a count below it.
        limit = get_failure_limit(request, credentials)
        now = timezone.now()
        (pair,) = self.get_user_attempts(request, credentials)
        pair = pair.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        # An address is judged on its last LOGIN_ADDRESS_WINDOW_SECONDS only: spraying is fast, while a
        # studio's staff sharing one address mistype over a whole day and must not add up to an hour's wait.
        address = AccessFailureLog.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=now - timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW_SECONDS),
        ).aggregate(failures=Count("id"), last=Max("attempt_time"))
        for seen, allowed in ((pair, limit), (address, settings.LOGIN_ADDRESS_FAILURE_LIMIT)):
            failures = seen["failures"] or 0
            if failures >= allowed and now < seen["last"] + delay(failures, allowed):
                return limit
        return min(pair["failures"] or 0, limit - 1)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure log is only read for the last window; keep a day of it for people to look at.
        AccessFailureLog.objects.filter(attempt_time__lt=timezone.now() - get_cool_off(request)).delete()
