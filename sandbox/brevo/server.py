"""A loopback HTTP emulator of the Brevo endpoints Credit Desk reads (https://developers.brevo.com/reference).

Served under `/v3` like https://api.brevo.com/v3: contact lookup by e-mail, the loyalty program's
balance definitions (`version=active|draft`), subscription balances, active balances (lots) and
transaction history. Auth is the `api-key` header; errors are Brevo's `{"code", "message"}` bodies;
all `/v3/loyalty/*` calls share one hourly budget (600 on Brevo's Starter plan) answered with 429 and
the `x-sib-ratelimit-*` headers past it.
"""

from __future__ import annotations

import collections
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass

from ..httpserver import LoopbackServer, QuietHandler
from ..log import RequestLog, RequestRecord
from .loyalty import Loyalty

API_KEY = "xkeysib-5a1d0b3c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b-Cr3d1tD3sk"
LOYALTY_LIMIT_PER_HOUR = 600


class BrevoError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.body, self.headers = status, {"code": code, "message": message}, headers or {}


@dataclass
class BrevoFaults:
    """Settable per test: a fixed status for every call (Brevo down), added latency, the hourly budget."""

    status: int | None = None
    latency: float = 0.0
    loyalty_limit_per_hour: int = LOYALTY_LIMIT_PER_HOUR

    def reset(self) -> None:
        self.status, self.latency, self.loyalty_limit_per_hour = None, 0.0, LOYALTY_LIMIT_PER_HOUR


_PROGRAM = r"/v3/loyalty/balance/programs/(?P<pid>[^/]+)"


def _int_param(query: dict, name: str, *, required: bool = False, default: int | None = None) -> int | None:
    values = query.get(name)
    if not values or values[0] == "":
        if required:
            raise BrevoError(400, "missing_parameter", f"{name} is required")
        return default
    try:
        return int(values[0])
    except ValueError:
        raise BrevoError(400, "invalid_parameter", f"{name} must be an integer") from None


def _str_param(query: dict, name: str, *, required: bool = False) -> str:
    values = query.get(name)
    if not values or not values[0]:
        if required:
            raise BrevoError(400, "missing_parameter", f"{name} is required")
        return ""
    return values[0]


def _page(items: list, query: dict) -> list:
    limit = _int_param(query, "limit", default=50) or 0
    offset = _int_param(query, "offset", default=0) or 0
    if limit < 1 or limit > 500 or offset < 0:
        raise BrevoError(400, "invalid_parameter", "limit must be 1-500 and offset 0 or more")
    return items[offset : offset + limit]


class _Api:
    def __init__(self, loyalty: Loyalty):
        self.loyalty = loyalty
        self.routes = [
            (re.compile(r"^/v3/contacts/(?P<identifier>[^/]+)$"), self.contact),
            (re.compile(f"^{_PROGRAM}/balance-definitions$"), self.definitions),
            (re.compile(f"^{_PROGRAM}/balance-definitions/(?P<bdid>[^/]+)$"), self.definition),
            (re.compile(f"^{_PROGRAM}/subscriptions/(?P<cid>[^/]+)/balances$"), self.subscription_balances),
            (re.compile(f"^{_PROGRAM}/active-balance$"), self.active_balance),
            (re.compile(f"^{_PROGRAM}/transaction-history$"), self.transaction_history),
        ]

    def handle(self, path: str, query: dict):
        for regex, handler in self.routes:
            m = regex.match(path)
            if m:
                params = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                with self.loyalty.lock:
                    if "pid" in params and params["pid"] != self.loyalty.program_id:
                        raise BrevoError(404, "document_not_found", "Loyalty program not found")
                    return handler(params, query)
        raise BrevoError(404, "not_found", "Invalid route")

    def contact(self, params, query):
        identifier = params["identifier"]
        kind = _str_param(query, "identifierType") or ("email_id" if "@" in identifier else "contact_id")
        if kind == "email_id":
            contact = self.loyalty.contact_by_email(identifier)
        elif kind == "contact_id" and identifier.isdigit():
            contact = self.loyalty.contacts.get(int(identifier))
        else:
            raise BrevoError(400, "invalid_parameter", "identifierType is not valid for this identifier")
        if contact is None:
            raise BrevoError(404, "document_not_found", "Contact does not exist")
        return contact

    def _definitions(self, query) -> list[dict]:
        version = _str_param(query, "version") or "draft"  # Brevo's default is the unpublished draft
        if version not in ("active", "draft"):
            raise BrevoError(400, "invalid_parameter", "version must be active or draft")
        return self.loyalty.definitions if version == "active" else self.loyalty.draft_definitions

    def definitions(self, params, query):
        return {"items": _page(self._definitions(query), query)}

    def definition(self, params, query):
        for d in self._definitions(query):
            if d["id"] == params["bdid"]:
                return d
        raise BrevoError(404, "document_not_found", "Balance definition not found")

    def _enrolled_contact(self, raw) -> int:
        try:
            cid = int(raw)
        except (TypeError, ValueError):
            raise BrevoError(400, "invalid_parameter", "contactId must be an integer") from None
        if cid not in self.loyalty.contacts:
            raise BrevoError(404, "document_not_found", "Contact does not exist")
        if cid not in self.loyalty.enrolled:
            raise BrevoError(422, "invalid_parameter", "contact is not subscribed to the loyalty program")
        return cid

    def _active_definition(self, bdid: str) -> str:
        if not any(d["id"] == bdid for d in self.loyalty.definitions):
            raise BrevoError(404, "document_not_found", "Balance definition not found")
        return bdid

    def subscription_balances(self, params, query):
        cid = self._enrolled_contact(params["cid"])
        balance = [
            {"balanceDefinitionId": d["id"], "value": _number(self.loyalty.balance(cid, d["id"]))} for d in self.loyalty.definitions
        ]
        return {"loyaltyProgramId": self.loyalty.program_id, "contactId": cid, "balance": balance}

    def active_balance(self, params, query):
        cid = self._enrolled_contact(_str_param(query, "contactId", required=True))
        bdid = self._active_definition(_str_param(query, "balanceDefinitionId", required=True))
        lots = sorted(
            self.loyalty.lots.get((cid, bdid), []), key=lambda lot: lot["createdAt"], reverse=_str_param(query, "sort") != "asc"
        )
        return {
            "count": len(lots),
            "loyaltyProgramId": self.loyalty.program_id,
            "contactId": cid,
            "balanceDefinitionId": bdid,
            "activeBalances": _page(lots, query),
        }

    def transaction_history(self, params, query):
        cid = self._enrolled_contact(_str_param(query, "contactId", required=True))
        bdid = self._active_definition(_str_param(query, "balanceDefinitionId", required=True))
        items = self.loyalty.history(cid, bdid)
        status = _str_param(query, "status")
        if status:
            # The filter takes the current names; transactions written before the rename match them too.
            aliases = {"draft": {"draft", "pending"}, "completed": {"completed", "complete"}}
            wanted = aliases.get(status, {status})
            items = [t for t in items if t["status"] in wanted]
        kind = _str_param(query, "transactionType")
        if kind:
            items = [t for t in items if t["transactionType"] == kind]
        items = sorted(items, key=lambda t: t["createdAt"], reverse=_str_param(query, "sort") != "asc")
        return {
            "balanceDefinitionId": bdid,
            "contactId": cid,
            "count": len(items),
            "loyaltyProgramId": self.loyalty.program_id,
            "transactionHistory": _page(items, query),
        }


def _number(value):
    return int(value) if value == value.to_integral_value() else float(value)


class _Handler(QuietHandler):
    server_version = "BrevoSandbox/1.0"

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str):
        server: BrevoSandboxServer = self.server.sandbox  # type: ignore[assignment]
        started, t0 = time.time(), time.perf_counter()
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers: dict = {}
        try:
            if server.faults.latency:
                time.sleep(server.faults.latency)
            if server.faults.status:
                raise BrevoError(server.faults.status, "internal_error", "Service temporarily unavailable")
            if method != "GET":
                raise BrevoError(405, "method_not_allowed", f"{method} is not supported here")
            if self.headers.get("api-key") != API_KEY:
                raise BrevoError(401, "unauthorized", "Key not found")
            if url.path.startswith("/v3/loyalty/"):
                headers = server._spend_loyalty_budget()
            status, payload = 200, server._api.handle(url.path, urllib.parse.parse_qs(url.query))
        except BrevoError as e:
            status, payload = e.status, e.body
            headers.update(e.headers)
        except Exception as e:  # a bug here: answer like Brevo's 500 and keep serving
            status, payload = 500, {"code": "internal_error", "message": f"{type(e).__name__}: {e}"}
        data = json.dumps(payload).encode()
        # Recorded before answering, so a client that has its answer always finds the call in the log.
        server.log.add(RequestRecord(method, url.path, url.query, status, started, (time.perf_counter() - t0) * 1000, None, None))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)


class BrevoSandboxServer(LoopbackServer):
    """`BrevoSandboxServer(build_loyalty(emails), port=0).start()` → `.url` (+ "/v3" for the SDK's base
    URL), `.loyalty`, `.faults`, `.log`, `.stop()`. Binds loopback only; start/stop as the Wix sandbox's."""

    thread_name = "brevo-sandbox"

    def __init__(self, loyalty: Loyalty, host: str = "127.0.0.1", port: int = 0):
        self.loyalty = loyalty
        self.faults = BrevoFaults()
        self.log = RequestLog()
        self._api = _Api(loyalty)
        self._budget: collections.deque[float] = collections.deque()
        self._budget_lock = threading.Lock()
        super().__init__(_Handler, host, port)

    @property
    def api_url(self) -> str:
        return self.url + "/v3"

    def start(self) -> BrevoSandboxServer:
        super().start()
        return self

    def reset_budget(self) -> None:
        with self._budget_lock:
            self._budget.clear()

    def _spend_loyalty_budget(self) -> dict:
        """A sliding hour shared by every /v3/loyalty/* call, like Brevo's per-plan limit."""
        limit = self.faults.loyalty_limit_per_hour
        now = time.monotonic()
        with self._budget_lock:
            while self._budget and self._budget[0] <= now - 3600:
                self._budget.popleft()
            reset = int(3600 - (now - self._budget[0])) if self._budget else 3600
            if len(self._budget) >= limit:
                headers = {"x-sib-ratelimit-limit": limit, "x-sib-ratelimit-remaining": 0, "x-sib-ratelimit-reset": reset}
                raise BrevoError(429, "too_many_requests", "The rate limit for loyalty endpoints is exceeded", headers)
            self._budget.append(now)
            return {
                "x-sib-ratelimit-limit": limit,
                "x-sib-ratelimit-remaining": limit - len(self._budget),
                "x-sib-ratelimit-reset": reset,
            }

    def __enter__(self) -> BrevoSandboxServer:
        return self.start()
