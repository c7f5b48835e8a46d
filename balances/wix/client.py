"""WixClient: the one place Credit Desk talks HTTP to Wix (or to the sandbox standing in for it).

Every call goes through `_send`, which adds auth, applies the timeout, spends from the shared call
budget (budget.py), retries what is safe to repeat (retry.py), keeps the circuit breaker informed
(breaker.py), and turns Wix's status codes and error bodies into the exceptions of errors.py.
Methods return typed records (records.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

import httpx

from . import errors, retry
from .ai_records import AiCredits
from .auth import ApiKeyAuth, AppAuth
from .breaker import CircuitBreaker
from .budget import RateBudget
from .consistency import ReadYourWrites
from .records import Balance, Member, Pool, Transaction, Wire

log = logging.getLogger(__name__)

MAX_PAGE = 100  # Wix's hard limit for every list and query call
T = TypeVar("T")


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None


@dataclass(frozen=True)
class MemberResults:
    members: list[Member]
    offset: int
    total: int | None  # None: Wix did not count them (`tooManyToCount`, or no `total` at all)


@dataclass(frozen=True)
class BalanceChange:
    balance: Balance
    transaction_id: str


class WixClient:
    def __init__(
        self, base_url: str, auth: ApiKeyAuth | AppAuth, *, timeout: float = 8.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.auth = auth
        # One breaker per upstream host; one call budget per Wix site / app instance (Wix's unit).
        self.breaker = CircuitBreaker.for_upstream(base_url.rstrip("/"))
        self.budget = RateBudget.for_upstream(
            base_url.rstrip("/"), auth.site_id if isinstance(auth, ApiKeyAuth) else auth.instance_id
        )
        # Wix's X-Wix-Consistent token, kept and sent back like the official SDK does, per site/instance.
        self.consistency = ReadYourWrites(base_url.rstrip("/"), auth.site_id if isinstance(auth, ApiKeyAuth) else auth.instance_id)
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            follow_redirects=False,
            headers={"User-Agent": "CreditDesk/1.0", "Accept": "application/json"},
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    def __repr__(self) -> str:  # never show credentials
        return f"<WixClient {self.http.base_url} auth={self.auth.kind}>"

    def close(self) -> None:
        self.http.close()

    # --- transport ---------------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Wire | None = None, write: bool = False
    ) -> Wire:
        """One logical call: fail fast while the breaker is open, retry what is safe to repeat."""
        self.breaker.check()
        reached: list[errors.WixError] = []  # attempts of a write that may have reached Wix

        def attempt() -> dict[str, Any]:
            try:
                return self._send_once(method, path, params=params, json=json, write=write)
            except errors.WixUnknownOutcome as error:
                reached.append(error)
                raise

        try:
            data = retry.run(attempt, repeatable=retry.is_repeatable(method, path, json), read=not write)
        except errors.WixError as error:
            if self.breaker.counts(error):
                self.breaker.record_failure()
            if reached and not _definite_after_lost_answer(error):
                # An earlier attempt may have been applied and this last one says nothing about it
                # (429, our budget, a refused connection, ABORTED …): the outcome is unknown, never "failed".
                raise errors.WixUnknownOutcome(
                    errors.WixUnknownOutcome.default_message,
                    status=error.status,
                    code=error.code,
                    request_id=error.request_id,
                    retry_after=getattr(error, "retry_after", None),
                ) from error
            raise
        self.breaker.record_success()
        return data

    def _send_once(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Wire | None = None, write: bool = False
    ) -> Wire:
        started = time.monotonic()
        for attempt in (1, 2):
            headers = {**self.auth.headers(self.http), **self.consistency.headers()}
            self.budget.spend()
            try:
                response = self.http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout):
                    raise errors.WixUnavailable("Could not connect to Wix in time.") from exc
                raise (errors.WixUnknownOutcome if write else errors.WixUnavailable)(
                    "Wix did not answer in time." if not write else errors.WixUnknownOutcome.default_message
                ) from exc
            except httpx.ConnectError as exc:
                raise errors.WixUnavailable("Could not connect to Wix.") from exc
            except httpx.HTTPError as exc:
                raise (errors.WixUnknownOutcome if write else errors.WixUnavailable)(
                    "The connection to Wix broke off." if not write else errors.WixUnknownOutcome.default_message
                ) from exc
            self.consistency.remember(response.headers)
            # An app token can expire early (revoked, clock skew): fetch a new one once.
            if response.status_code == 401 and isinstance(self.auth, AppAuth) and attempt == 1:
                self.auth.forget_token()
                continue
            break
        log.debug("wix %s %s -> %s in %.0f ms", method, path, response.status_code, (time.monotonic() - started) * 1000)
        if response.status_code != 200:
            error = error_from_response(response, write=write)
            if isinstance(error, errors.WixRateLimited) and error.retry_after:
                self.budget.pause(error.retry_after)  # every process holds off, not just this one
            raise error
        try:
            data = response.json()
        except ValueError as exc:
            raise (errors.WixUnknownOutcome if write else errors.WixUnavailable)("Wix sent an unreadable answer.") from exc
        if not isinstance(data, dict):
            raise errors.WixUnavailable("Wix sent an unexpected answer.")
        return data

    # --- members -----------------------------------------------------------------------------------

    def query_members(
        self, *, filter: Wire | None = None, search: str = "", offset: int = 0, limit: int = 50, sorting: list[Wire] | None = None
    ) -> MemberResults:
        query: Wire = {"paging": {"limit": min(limit, MAX_PAGE), "offset": offset}}
        if filter:
            query["filter"] = filter
        if sorting:
            query["sorting"] = sorting
        body: Wire = {"query": query, "fieldsets": ["FULL"]}
        if search:
            body["search"] = {
                "expression": search[:100],
                "fields": ["contact.firstName", "contact.lastName", "loginEmail", "profile.nickname"],
            }
        data = self._send("POST", "/members/v1/members/query", json=body)
        meta = data.get("metadata") or {}
        members = [Member.from_wire(m) for m in data.get("members") or []]
        total = meta.get("total")
        if meta.get("tooManyToCount") or total is None:
            total = None
        return MemberResults(members, int(meta.get("offset", offset) or 0), None if total is None else int(total))

    def get_member(self, member_id: str) -> Member:
        data = self._send("GET", f"/members/v1/members/{member_id}", params={"fieldsets": "FULL"})
        return Member.from_wire(data.get("member") or {})

    def count_members(self) -> int | None:
        """How many members the site has; None when Wix does not count them."""
        return self.query_members(limit=1).total

    # --- benefit programs --------------------------------------------------------------------------

    def _cursor_query(
        self,
        path: str,
        key: str,
        parse: Callable[[Wire], T],
        *,
        filter: Wire | None = None,
        sort: list[Wire] | None = None,
        limit: int = MAX_PAGE,
        cursor: str | None = None,
    ) -> CursorPage[T]:
        paging: Wire = {"limit": min(limit, MAX_PAGE)}
        if cursor:
            # Wix: later pages carry only the cursor; filter and sort live inside it.
            query: Wire = {"cursorPaging": {**paging, "cursor": cursor}}
        else:
            query = {"cursorPaging": paging}
            if filter:
                query["filter"] = filter
            if sort:
                query["sort"] = sort
        data = self._send("POST", path, json={"query": query})
        cursors = (data.get("metadata") or {}).get("cursors") or {}
        has_next = (data.get("metadata") or {}).get("hasNext")
        next_cursor = cursors.get("next") if has_next is not False else None
        return CursorPage([parse(x) for x in data.get(key) or []], next_cursor or None, cursors.get("prev") or None)

    def query_pools(
        self, *, filter: Wire | None = None, sort: list[Wire] | None = None, limit: int = MAX_PAGE, cursor: str | None = None
    ) -> CursorPage[Pool]:
        return self._cursor_query(
            "/benefit-programs/v1/pools/query", "pools", Pool.from_wire, filter=filter, sort=sort, limit=limit, cursor=cursor
        )

    def query_balances(
        self, *, filter: Wire | None = None, sort: list[Wire] | None = None, limit: int = MAX_PAGE, cursor: str | None = None
    ) -> CursorPage[Balance]:
        return self._cursor_query(
            "/benefit-programs/v1/balances/query",
            "balances",
            Balance.from_wire,
            filter=filter,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )

    def query_transactions(
        self, *, filter: Wire | None = None, sort: list[Wire] | None = None, limit: int = MAX_PAGE, cursor: str | None = None
    ) -> CursorPage[Transaction]:
        return self._cursor_query(
            "/benefit-programs/v1/transactions/query",
            "transactions",
            Transaction.from_wire,
            filter=filter,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )

    def iterate(
        self,
        query: Callable[..., CursorPage[T]],
        *,
        filter: Wire | None = None,
        sort: list[Wire] | None = None,
        limit: int = MAX_PAGE,
    ) -> Iterator[T]:
        """Every item of a cursor query, following `cursors.next` page by page."""
        page = query(filter=filter, sort=sort, limit=limit)
        yield from page.items
        while page.next_cursor:
            page = query(cursor=page.next_cursor, limit=limit)
            yield from page.items

    def get_pool(self, pool_id: str) -> Pool:
        return Pool.from_wire(self._send("GET", f"/benefit-programs/v1/pools/{pool_id}").get("pool") or {})

    def get_balance(self, pool_id: str) -> Balance:
        data = self._send("GET", f"/benefit-programs/v1/balances/{pool_id}")
        return Balance.from_wire(data.get("balance") or {})

    def change_balance(
        self, pool_id: str, *, idempotency_key: str, value: str, set_exact: bool = False, reason: str = "", member_id: str = ""
    ) -> BalanceChange:
        body: Wire = {"poolId": pool_id, "idempotencyKey": idempotency_key}
        if set_exact:
            body.update(type="SET", setOptions={"value": value})
        else:
            body.update(type="ADJUST", adjustOptions={"value": value})
        if member_id:
            body["setOptions" if set_exact else "adjustOptions"]["beneficiary"] = {"memberId": member_id}
        if reason:
            body["transactionDetails"] = {"reason": reason[:256]}
        data = self._send("POST", f"/benefit-programs/v1/balances/{pool_id}/change", json=body, write=True)
        return BalanceChange(Balance.from_wire(data.get("balance") or {}), str(data.get("transactionId") or ""))

    def revert_change(self, transaction_id: str, *, idempotency_key: str) -> str:
        data = self._send(
            "POST",
            f"/benefit-programs/v1/balances/changes/{transaction_id}/revert",
            json={"transactionId": transaction_id, "idempotencyKey": idempotency_key},
            write=True,
        )
        return str(data.get("transactionId") or "")

    def query_pool_definitions(
        self, *, filter: Wire | None = None, sort: list[Wire] | None = None, limit: int = MAX_PAGE, cursor: str | None = None
    ) -> CursorPage[Wire]:
        return self._cursor_query(
            "/_api/benefit-programs/v1/pool-definitions/query",
            "poolDefinitions",
            dict,
            filter=filter,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )

    # --- account ---------------------------------------------------------------------------------

    def get_ai_credits(self) -> AiCredits:
        """The AI credit balance; needs account- or site-level access with the AI Credits permission."""
        return AiCredits.from_wire(self._send("POST", "/appmarket/credittransactions/v1/credit-transactions/balance", json={}))


def _definite_after_lost_answer(error: errors.WixError) -> bool:
    """After an attempt whose answer was lost, does this error settle whether the key was applied?

    Wix checks the idempotency key first: ALREADY_EXECUTED says it was; a business refusal (428, 400,
    404, the refusing 409s) says it was not. Unknown outcomes already say "unknown"."""
    if isinstance(error, errors.WixUnknownOutcome):
        return True
    if isinstance(error, errors.WixConflict):
        return error.already_applied or error.refused
    return isinstance(error, errors.WixPreconditionFailed | errors.WixBadRequest | errors.WixNotFound)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class _ErrorFacts(TypedDict):
    status: int
    code: str
    request_id: str
    data: dict[str, Any]


def error_from_response(response: httpx.Response, *, write: bool = False) -> errors.WixError:
    """Map a non-200 Wix answer to an exception carrying a plain-words message."""
    status = response.status_code
    request_id = response.headers.get("x-wix-request-id", "")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    details = body.get("details") or {}
    app_error = details.get("applicationError") or {}
    code = str(app_error.get("code") or "")
    wix_message = str(body.get("message") or app_error.get("description") or "")[:300]
    violations = (details.get("validationError") or {}).get("fieldViolations") or []
    kwargs: _ErrorFacts = {"status": status, "code": code, "request_id": request_id, "data": app_error.get("data") or {}}

    if status == 401:
        return errors.WixAuthError(**kwargs)
    if status == 403:
        lowered = wix_message.lower()
        if "site" in lowered:
            return errors.WixPermissionError(
                "Wix refused the site ID: check that it belongs to the account that made the API key.", **kwargs
            )
        return errors.WixPermissionError(
            "The Wix credentials lack a permission this needs" + (f" ({wix_message})" if wix_message else "") + ".", **kwargs
        )
    if status == 404:
        return errors.WixNotFound(wix_message or errors.WixNotFound.default_message, **kwargs)
    if status == 400:
        if violations:
            first = violations[0]
            text = f"{first.get('field', 'request')}: {first.get('description', 'invalid')}"
            return errors.WixBadRequest(f"Wix did not accept the request ({text}).", **kwargs)
        return errors.WixBadRequest(f"Wix did not accept the request ({wix_message or 'invalid'}).", **kwargs)
    if status == 409:
        return errors.WixConflict(**kwargs)
    if status == 428:
        return errors.WixPreconditionFailed(wix_message or errors.WixPreconditionFailed.default_message, **kwargs)
    if status == 429:
        return errors.WixRateLimited(retry_after=_retry_after(response), **kwargs)
    if status >= 500 and write:
        return errors.WixUnknownOutcome(**kwargs)
    if status >= 500:
        return errors.WixUnavailable(f"Wix is having trouble (HTTP {status}).", **kwargs)
    return errors.WixError(f"Wix answered HTTP {status}.", **kwargs)
