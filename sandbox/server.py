"""The HTTP side: routing, auth, fault injection, the request log and ``SandboxServer``."""

from __future__ import annotations

import json
import re
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, credentials
from .bookings import routes as bookings_routes
from .bookings.control import bookings_control
from .errors import WixError, application_error, not_found_path, status_error, system_error, validation_error
from .faults import Faults
from .log import RequestLog, RequestRecord

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

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


class _Route:
    __slots__ = ("method", "regex", "handler", "auth", "mutation", "literal")

    def __init__(self, method, pattern, handler, auth, mutation):
        self.method = method
        self.regex = re.compile("^" + pattern + "/?$")
        self.handler = handler
        self.auth = auth
        self.mutation = mutation
        self.literal = "(?P<" not in pattern


ROUTES = [_Route(*spec) for spec in _ROUTES_SPEC]


def match_route(method: str, path: str):
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


def _redact(path: str, body):
    if isinstance(body, dict) and path.startswith("/oauth2/"):
        body = dict(body)
        for k in ("client_secret", "token", "refresh_token", "code"):
            if k in body:
                body[k] = "***"
    return body


def _request_id() -> str:
    return f"{int(time.time() * 1000)}.{secrets.randbelow(10**9):09d}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WixSandbox/1.0"
    # Headers and body go out in separate writes: with Nagle on, each answer waits ~40 ms for the
    # client's delayed ACK, which would add a fake 40 ms to every emulated Wix call.
    disable_nagle_algorithm = True
    sys_version = ""
    timeout = 120  # idle keep-alive connections end after this

    def log_message(self, format, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.server.sandbox._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        self.server.sandbox._track(self.connection, False)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # ------------------------------------------------------------------------------------------
    def _send(self, status: int, payload: bytes, headers: dict | None = None, declared: int | None = None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(declared if declared is not None else len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # headers and body in one write (two small writes + Nagle + delayed ACK = 40 ms per call)
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(payload)
        self.flush_headers()

    def _reset_connection(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _dispatch(self, method: str):
        sandbox = self.server.sandbox
        started = time.time()
        t0 = time.perf_counter()
        url = urllib.parse.urlsplit(self.path)
        path, qs = url.path, url.query
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._control(method, path, raw)

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
                if scripted.kind == "timeout":
                    log(0)
                    if sandbox._stopping.wait(scripted.hang):
                        log(0)
                        return self._reset_connection()
                elif scripted.kind == "status":
                    extra = {}
                    if scripted.retry_after is not None:
                        ra = scripted.retry_after
                        extra["Retry-After"] = ra if isinstance(ra, str) else str(int(-(-float(ra) // 1)))
                    raise status_error(scripted.status, extra)
            elif faults.roll_error():
                fault = "error_rate"
                raise status_error(int(faults.error_status or 503))
            if body_error:
                raise validation_error("body", "is not valid JSON", "FORMAT")
            if route.handler == "token":
                result = sandbox._issue_token(body if isinstance(body, dict) else {})
            elif route.handler == "token_info":
                result = sandbox._token_info(body if isinstance(body, dict) else {})
            else:
                scopes = sandbox._authenticate(route, self.headers)
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
                result = route.handler(sandbox.studio, faults, req)
                if scripted is not None and scripted.kind == "apply_then_fail":
                    raise system_error(503, "UNAVAILABLE: upstream error after the change was applied")
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

    # ------------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, raw: bytes):
        sandbox = self.server.sandbox
        path = path.rstrip("/")
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        status, payload = 200, None
        if path == "/_sandbox/health" and method == "GET":
            with sandbox.studio.lock:
                payload = {"ok": True, "members": len(sandbox.studio.members)}
        elif path == "/_sandbox/requests" and method == "GET":
            payload = {"requests": [r.to_dict() for r in sandbox.log.records()]}
        elif path == "/_sandbox/requests/clear" and method == "POST":
            sandbox.log.clear()
            payload = {"ok": True}
        elif path == "/_sandbox/bookings":
            status, payload = bookings_control(sandbox.studio, method, body)
        elif path == "/_sandbox/faults" and method == "GET":
            payload = sandbox.faults.to_dict()
        elif path == "/_sandbox/faults" and method == "POST":
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
                payload = sandbox.faults.to_dict()
            except (ValueError, TypeError) as e:
                status, payload = 400, {"message": str(e), "details": {"validationError": {"fieldViolations": []}}}
        else:
            status, payload = 404, {"message": f"unknown control endpoint {method} {path}", "details": {}}
        self._send(status, json.dumps(payload).encode(), {"x-wix-request-id": _request_id()})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):  # quiet: clients vanish, faults reset sockets
        pass


class SandboxServer:
    """A threaded HTTP server emulating the Wix REST endpoints over a :class:`~sandbox.Studio`.

    ``SandboxServer(studio, host="127.0.0.1", port=0).start()`` binds a loopback port (0 = ephemeral)
    and serves in a daemon thread; ``url``, ``studio``, ``faults``, ``log`` are live. ``stop()`` is fast
    and does not wait for hung handler threads. Also a context manager.
    """

    def __init__(
        self, studio=None, host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None, log: RequestLog | None = None
    ):
        if host not in LOOPBACK:
            raise ValueError("the sandbox only binds a loopback address (127.0.0.1)")
        if studio is None:
            from .seed import build_studio

            studio = build_studio()
        self.studio = studio
        self.faults = faults or Faults(seed=getattr(studio, "seed", 0))
        self.log = log or RequestLog()
        self._tokens: dict[str, float] = {}
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None
        self.host, self.port = self._httpd.server_address[:2]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=f"wix-sandbox-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self._httpd.server_close()
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve_forever(self) -> None:
        """Serve in the calling thread (used by the CLI) until KeyboardInterrupt."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- internals used by the handler ----------------------------------------------------------
    def _track(self, conn, add: bool):
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _authenticate(self, route, headers) -> frozenset:
        auth = (headers.get("Authorization") or "").strip()
        if not auth:
            raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: missing Authorization header")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else auth
        key_scopes = {
            credentials.API_KEY: credentials.FULL_SCOPES,
            credentials.READONLY_API_KEY: credentials.READONLY_SCOPES,
            credentials.NO_AI_API_KEY: credentials.NO_AI_SCOPES,
        }
        if token in key_scopes:
            scopes = key_scopes[token]
            site = (headers.get("wix-site-id") or "").strip()
            account = (headers.get("wix-account-id") or "").strip()
            if route.auth == "account":
                if account == credentials.ACCOUNT_ID or site == credentials.SITE_ID:
                    return scopes
                raise application_error(
                    403, "PERMISSION_DENIED", "PERMISSION_DENIED: the wix-account-id (or wix-site-id) header is missing or wrong"
                )
            if site == credentials.SITE_ID:
                return scopes
            if not site:
                raise application_error(
                    403,
                    "PERMISSION_DENIED",
                    "PERMISSION_DENIED: the wix-site-id header is missing; site-level APIs need the site id",
                )
            raise application_error(
                403,
                "PERMISSION_DENIED",
                "PERMISSION_DENIED: the wix-site-id header is wrong: this API key has no access to that site",
            )
        expiry = self._tokens.get(token)
        if expiry is not None:
            if expiry > time.time():
                return credentials.FULL_SCOPES
            raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: the access token has expired")
        raise application_error(401, "UNAUTHENTICATED", "UNAUTHENTICATED: invalid API key or access token")

    def _issue_token(self, body: dict) -> dict:
        def oauth_error(status, error, description):
            return WixError(status, {"error": error, "error_description": description})

        if body.get("grant_type") != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if body.get("client_id") != credentials.APP_ID or body.get("client_secret") != credentials.APP_SECRET:
            raise oauth_error(401, "invalid_client", "client_id or client_secret is wrong")
        if body.get("instance_id") != credentials.INSTANCE_ID:
            raise oauth_error(400, "invalid_client", "instance_id is missing or unknown for this app")
        ttl = self.faults.token_ttl
        ttl = int(ttl) if float(ttl).is_integer() else float(ttl)
        token = "OauthNG.JWS." + secrets.token_urlsafe(96)
        self._tokens[token] = time.time() + ttl
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}

    def _token_info(self, body: dict) -> dict:
        expiry = self._tokens.get(body.get("token") or "")
        if expiry is None or expiry <= time.time():
            raise WixError(401, {"error": "invalid_token", "error_description": "token is unknown or expired"})
        return {
            "active": True,
            "clientId": credentials.APP_ID,
            "instanceId": credentials.INSTANCE_ID,
            "siteId": credentials.SITE_ID,
            "exp": int(expiry),
        }
