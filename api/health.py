"""`/healthz` for the load balancer: is this process able to serve? (Database and cache; never Wix.)

A cache that fell back to process memory (Redis away) answers `cache: degraded` with 200.

Wix being down must not take every process out of the pool — the pages handle that themselves with
stale data and a banner — so this checks only what the process itself depends on.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means "take me out of the pool"
        log.exception("health check: database")
        checks["database"] = "failing"
    try:
        cache.set("healthz", 1, timeout=10)
        checks["cache"] = "ok" if cache.get("healthz") == 1 else "failing"
        if getattr(cache, "degraded", False):
            # Redis is away and this process runs on its own memory cache (config/cache.py): still able
            # to serve, so still in the pool — pulling every instance would take the site down for nothing.
            checks["cache"] = "degraded"
    except Exception:
        log.exception("health check: cache")
        checks["cache"] = "failing"
    healthy = all(v in ("ok", "degraded") for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503)
