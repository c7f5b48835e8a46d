"""``/_sandbox/bookings``: read the Bookings settings, or rebuild the schedule with new ones (no auth)."""

from __future__ import annotations

import datetime

from .store import CREDIT_MODES, install_bookings


def bookings_control(studio, method: str, body) -> tuple[int, dict]:
    """(status, payload) for ``GET`` (settings and counts) or ``POST`` (rebuild) on ``/_sandbox/bookings``."""
    current = getattr(studio, "bookings", None)
    if method == "GET":
        if current is None:
            return 404, {"message": "Wix Bookings is not installed on this studio", "details": {}}
        return 200, current.settings()
    if method != "POST":
        return 405, {"message": f"{method} is not supported on /_sandbox/bookings", "details": {}}
    if not isinstance(body, dict):
        return 400, {"message": "body must be a JSON object", "details": {}}
    unknown = set(body) - {"today", "now", "timeZone", "creditMode"}
    if unknown:
        return 400, {"message": f"unknown settings: {', '.join(sorted(unknown))}", "details": {}}
    mode = body.get("creditMode", current.credit_mode if current else "redeem")
    if mode not in CREDIT_MODES:
        return 400, {"message": f"creditMode must be one of {', '.join(CREDIT_MODES)}", "details": {}}
    try:
        today = body.get("today", current.today.isoformat() if current and "now" not in body else None)
        today = datetime.date.fromisoformat(today) if today else None
        now = body.get("now")
        if now is not None:
            now = datetime.datetime.fromisoformat(str(now).replace("Z", "+00:00"))
            if now.tzinfo is None:
                raise ValueError("now needs a UTC offset or Z")
        tz = body.get("timeZone", current.time_zone if current else None)
        store = install_bookings(studio, today=today, now=now, time_zone=tz, credit_mode=mode)
    except (ValueError, TypeError) as e:
        return 400, {"message": str(e), "details": {}}
    return 200, store.settings()
