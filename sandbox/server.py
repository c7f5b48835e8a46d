"""The Wix HTTP side: the route table, dispatch with fault injection and the request log, ``SandboxServer``.

Auth lives in :mod:`sandbox.auth`, OAuth in :mod:`sandbox.oauth`, the ``/_sandbox/`` control API in
:mod:`sandbox.control`, start/stop in :mod:`sandbox.httpserver`. How to add an endpoint: see the package
docstring (``sandbox/__init__.py``).
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, cast

from . import api, consistency, control
from .auth import authenticate
from .bookings import routes as bookings_routes
from .bookings.control import bookings_control
from .errors import WixError, application_error, not_found_path, scripted_error, status_error, validation_error
from .faults import Faults
from .httpserver import LOOPBACK, LoopbackServer, QuietHandler
from .log import RequestLog, RequestRecord
from .oauth import TokenStore

__all__ = ["LOOPBACK", "ROUTES", "SandboxServer", "match_route", "register"]

_ID = r"(?P<id>[^/]+)"
# (method, path regex, handler, auth kind: site|account|none, mutation?)
_ROUTES_SPEC = [
    ("POST", "/members/v1/members/query", api.query_members, "site", False),
    ("GET", "/members/v1/members", api.list_members, "site", False),
    ("GET", f"/members/v1/members/{_ID}", api.get_member, "site", False),
    ("POST", "/benefit-programs/v1/pools/query", api.query_pools, "site", False),
    ("GET", f"/benefit-programs/v1/pools/{_ID}", api.get_pool, "site", False),
    ("POST", "/benefit-programs/v1/balances/query", api.query_balances, "site", False),
    ("GET", "/benefit-programs/v1/balances", api.list_balances, "site", False),
    ("GET", f"/benefit-programs/v1/balances/{_ID}", api.get_balance, "site", False),
    ("POST", f"/benefit-programs/v1/balances/{_ID}/change", api.change_balance, "site", True),
    ("POST", f"/benefit-programs/v1/balances/changes/{_ID}/revert", api.revert_change, "site", True),
    ("POST", "/benefit-programs/v1/transactions/query", api.query_transactions, "site", False),
    ("GET", f"/benefit-programs/v1/transactions/{_ID}", api.get_transaction, "site", False),
    ("POST", "/benefit-programs/v1/programs/query", api.query_programs, "site", False),
    ("GET", "/benefit-programs/v1/programs/by-namespace-and-external-id", api.get_program_by_external_id, "site", False),
    ("GET", f"/benefit-programs/v1/programs/{_ID}", api.get_program, "site", False),
    ("POST", "/_api/benefit-programs/v1/pool-definitions/query", api.query_pool_definitions, "site", False),
    ("GET", f"/_api/benefit-programs/v1/pool-definitions/{_ID}", api.get_pool_definition, "site", False),
    ("POST", "/benefit-programs/v1/pool-definitions/query", api.query_pool_definitions, "site", False),
    ("GET", f"/benefit-programs/v1/pool-definitions/{_ID}", api.get_pool_definition, "site", False),
    ("POST", "/appmarket/credittransactions/v1/credit-transactions/balance", api.ai_credits_balance, "account", False),
    ("POST", "/oauth2/token", "token", "none", False),
    ("POST", "/oauth2/token-info", "token_info", "none", False),
]
_ROUTES_SPEC += bookings_routes.ROUTES_SPEC  # Wix Bookings, Site Properties, pool items (sandbox/bookings)
control.EXTRA["/_sandbox/bookings"] = lambda sandbox, method, body: bookings_control(sandbox.studio, method, body)


class _Route:
    __slots__ = ("method", "regex", "handler", "auth", "mutation", "literal")

    def __init__(self, method: str, pattern: str, handler: Callable[..., Any] | str, auth: str, mutation: bool):
        self.method = method
        self.regex = re.compile("^" + pattern + "/?$")
        self.handler = handler
        self.auth = auth
        self.mutation = mutation
        self.literal = "(?P<" not in pattern


ROUTES = [_Route(*spec) for spec in cast(list[tuple[str, str, Any, str, bool]], _ROUTES_SPEC)]


def register(method: str, pattern: str, handler: Callable[..., Any], auth: str = "site", mutation: bool = False) -> None:
    """Add a route at run time (for endpoint modules kept outside this file); same fields as ``_ROUTES_SPEC``."""
    if auth not in ("site", "account", "none"):
        raise ValueError("auth must be site, account or none")
    ROUTES.append(_Route(method, pattern, handler, auth, mutation))


def match_route(method: str, path: str) -> tuple[_Route, dict[str, str]]:
    """Returns (route, params). Raises 404 for unknown paths, 405 for a known path with another method."""
    for literal_pass in (True, False):
        allowed = []
        for r in ROUTES:
            if r.literal != literal_pass:
                continue
            m = r.regex.match(path)
            if not m:
                continue
            if r.method == method:
                return r, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
            allowed.append(r.method)
        if allowed:
            err = application_error(
                405,
                "METHOD_NOT_ALLOWED",
                f"METHOD_NOT_ALLOWED: {method} is not supported on {path}",
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
            raise err
    raise not_found_path(path)


def _redact(path: str, body: Any) -> Any:
    if isinstance(body, dict) and path.startswith("/oauth2/"):
        body = dict(body)
        for k in ("client_secret", "token", "refresh_token", "code"):
            if k in body:
                body[k] = "***"
    return body


def _request_id() -> str:
    return f"{int(time.time() * 1000)}.{secrets.randbelow(10**9):09d}"


class _Handler(QuietHandler):
    server_version = "WixSandbox/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------------------------------------
    def _send(self, status: int, payload: bytes, headers: dict | None = None, declared: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(declared if declared is not None else len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # headers and body in one write (two small writes + Nagle + delayed ACK = 40 ms per call)
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        self._headers_buffer.append(payload)  # type: ignore[attr-defined]
        self.flush_headers()

    def _reset_connection(self) -> None:
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _dispatch(self, method: str) -> None:
        sandbox: SandboxServer = self.server.sandbox  # type: ignore[assignment]
        started = time.time()
        t0 = time.perf_counter()
        url = urllib.parse.urlsplit(self.path)
        path, qs = url.path, url.query
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if control.is_control_path(path):
            status, answer = control.handle(sandbox, method, path, raw)
            return self._send(status, json.dumps(answer).encode(), {"x-wix-request-id": _request_id()})

        body, body_error = None, False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                if path.startswith("/oauth2/"):
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("latin-1")).items()}
                else:
                    body_error = True
        request_id = _request_id()
        headers = {"x-wix-request-id": request_id}
        fault = None
        scripted = None
        status = 0
        faults = sandbox.faults

        # Every request is logged before its answer (or reset) goes out, so whoever has seen the answer
        # also sees the record. A hanging request is logged when it starts hanging (status 0) and its
        # record is completed in place when it ends: one record per request, visible at once.
        logged = None

        def log(status_code):
            nonlocal logged
            record = RequestRecord(
                method, path, qs, status_code, started, (time.perf_counter() - t0) * 1000, _redact(path, body), fault
            )
            if logged is None:
                sandbox.log.add(record)
            else:
                sandbox.log.replace(logged, record)
            logged = record

        try:
            delay = faults.delay()
            if delay > 0 and sandbox._stopping.wait(delay):
                log(0)
                return self._reset_connection()
            route, params = match_route(method, path)
            scripted = faults.take(path, route.mutation)
            if scripted is not None:
                fault = scripted.kind
                if scripted.kind == "reset":
                    log(0)
                    return self._reset_connection()
                if scripted.kind == "gather":
                    log(0)  # held, like a hanging call, until the rest of its gather arrives
                    scripted.gather()
                elif scripted.kind == "timeout":
                    log(0)
                    if sandbox._stopping.wait(scripted.hang):
                        log(0)
                        return self._reset_connection()
                elif scripted.kind == "status":
                    extra = {}
                    if scripted.retry_after is not None:
                        ra = scripted.retry_after
                        extra["Retry-After"] = ra if isinstance(ra, str) else str(int(-(-float(ra) // 1)))
                    raise scripted_error(scripted, extra)
            elif faults.roll_error():
                fault = "error_rate"
                raise status_error(int(faults.error_status or 503))
            if body_error:
                raise validation_error("body", "is not valid JSON", "FORMAT")
            if route.handler == "token":
                result = sandbox.tokens.issue(body if isinstance(body, dict) else {}, faults.token_ttl)
            elif route.handler == "token_info":
                result = sandbox.tokens.info(body if isinstance(body, dict) else {})
            else:
                scopes = authenticate(route.auth, self.headers, sandbox.tokens, faults.bearer_api_key)
                retry = faults.check_rate_limit()
                if retry is not None:
                    fault = "rate_limit"
                    raise application_error(
                        429,
                        "RESOURCE_EXHAUSTED",
                        "RESOURCE_EXHAUSTED: rate limit exceeded, retry later",
                        {"limitPerMinute": faults.rate_limit_per_minute},
                        headers={"Retry-After": str(retry)},
                    )
                req = api.Request(method, path, params, urllib.parse.parse_qs(qs, keep_blank_values=True), body, scopes)
                if scripted is not None and scripted.kind == "apply_then_timeout" and scripted.apply_after > 0:
                    log(0)  # Wix still working: the change lands apply_after seconds in, the answer later
                    if sandbox._stopping.wait(scripted.apply_after):
                        return self._reset_connection()
                before = sandbox.consistency.snapshot(sandbox.studio, params.get("id")) if route.mutation else None
                result = cast(Callable[..., Any], route.handler)(sandbox.studio, faults, req)
                if route.mutation:
                    headers[consistency.HEADER] = sandbox.consistency.record(before, result, float(faults.read_lag or 0))
                elif faults.read_lag:  # lag off (also after faults.reset()): every read is current
                    result = sandbox.consistency.view(result, self.headers.get(consistency.HEADER))
                    if result is None:
                        tid = params.get("id", "")
                        raise application_error(
                            404, "TRANSACTION_NOT_FOUND", f"Transaction {tid} not found", {"transactionId": tid}
                        )
                if scripted is not None and scripted.kind == "apply_then_fail":
                    raise scripted_error(scripted, message="UNAVAILABLE: upstream error after the change was applied")
                if scripted is not None and scripted.kind == "apply_then_timeout":
                    log(0)  # applied; the answer is held until after the client's timeout
                    if sandbox._stopping.wait(max(0.0, scripted.hang - scripted.apply_after)):
                        return self._reset_connection()
            status, payload = 200, result
        except WixError as e:
            status, payload = e.status, e.body
            headers.update(e.headers)
        except Exception as e:  # a bug in the sandbox: answer like Wix would, keep serving
            status = 500
            payload = {"message": f"INTERNAL: {type(e).__name__}: {e}", "details": {"systemError": {"errorCode": "INTERNAL"}}}
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        if fault == "malformed":
            status = 200
        log(status)  # before answering, so a client that got the response also sees the record
        try:
            if fault == "malformed":
                self._send(status, data[: max(1, len(data) // 2)] + b"<html>upstream error", headers)
            elif fault == "truncated":
                self.close_connection = True
                self._send(status, data, headers, declared=len(data) + 256)
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            else:
                self._send(status, data, headers)
        except OSError:  # the client went away (e.g. after a timeout fault)
            self.close_connection = True


class SandboxServer(LoopbackServer):
    """A threaded HTTP server emulating the Wix REST endpoints over a :class:`~sandbox.Studio`.

    ``SandboxServer(studio, host="127.0.0.1", port=0).start()`` binds a loopback port (0 = ephemeral)
    and serves in a daemon thread; ``url``, ``studio``, ``faults``, ``log`` are live. ``stop()`` is fast
    and does not wait for hung handler threads. Also a context manager.
    """

    thread_name = "wix-sandbox"

    def __init__(
        self, studio=None, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None, log: RequestLog | None = None
    ):
        if studio is None:
            from .seed import build_studio

            studio = build_studio()
        self.studio = studio
        self.faults = faults or Faults(seed=getattr(studio, "seed", 0))
        self.log = log or RequestLog()
        self.tokens = TokenStore()
        self.consistency = consistency.Consistency()
        super().__init__(_Handler, host, port)

    def start(self) -> SandboxServer:
        super().start()
        return self

    def __enter__(self) -> SandboxServer:
        return self.start()
