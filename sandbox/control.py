"""The control API under ``/_sandbox/`` (no auth, not logged): health, the request log, faults.

- ``GET /_sandbox/health`` → ``{"ok": true, "members": N}``
- ``GET /_sandbox/requests`` → ``{"requests": [RequestRecord.to_dict(), …]}``; ``POST /_sandbox/requests/clear``
- ``GET /_sandbox/faults`` → the current :class:`~sandbox.faults.Faults`; ``POST /_sandbox/faults`` with
  ``{"reset": true}``, any ``Faults`` field, and ``"script": [{"kind": …, …}]`` (see ``Faults.script``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import SandboxServer

#: Control endpoints that endpoint families add (path -> handler(sandbox, method, body) -> (status, payload)),
#: e.g. ``EXTRA["/_sandbox/bookings"] = lambda sandbox, method, body: bookings_control(sandbox.studio, method, body)``.
EXTRA: dict[str, Callable[[Any, str, Any], tuple[int, Any]]] = {}


def is_control_path(path: str) -> bool:
    return path == "/_sandbox" or path.startswith("/_sandbox/")


def handle(sandbox: SandboxServer, method: str, path: str, raw: bytes) -> tuple[int, Any]:
    """Returns (status, JSON payload)."""
    path = path.rstrip("/")
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if path == "/_sandbox/health" and method == "GET":
        with sandbox.studio.lock:
            return 200, {"ok": True, "members": len(sandbox.studio.members)}
    if path == "/_sandbox/requests" and method == "GET":
        return 200, {"requests": [r.to_dict() for r in sandbox.log.records()]}
    if path == "/_sandbox/requests/clear" and method == "POST":
        sandbox.log.clear()
        return 200, {"ok": True}
    if path in EXTRA:
        return EXTRA[path](sandbox, method, body)
    if path == "/_sandbox/faults" and method == "GET":
        return 200, sandbox.faults.to_dict()
    if path == "/_sandbox/faults" and method == "POST":
        try:
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            body = dict(body)
            if body.pop("reset", False):
                sandbox.faults.reset()
            script = body.pop("script", None) or []
            sandbox.faults.update(**body)
            for s in script:
                sandbox.faults.script(**s)
            return 200, sandbox.faults.to_dict()
        except (ValueError, TypeError) as e:
            return 400, {"message": str(e), "details": {"validationError": {"fieldViolations": []}}}
    return 404, {"message": f"unknown control endpoint {method} {path}", "details": {}}
