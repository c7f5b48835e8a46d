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
from typing import Any, Generic, TypedDict, TypeVar, Unpack

import httpx

from . import errors, retry
from .ai_records import AiCredits
from .auth import ApiKeyAuth, AppAuth
from .bookings_records import (
    BOOKINGS_APP_ID,
    MAX_BULK_ATTENDANCE,
    PLANS_NAMESPACE,
    Attendance,
    AttendanceSet,
    Booking,
    BulkAttendanceItem,
    CalendarEvent,
    EligibleBenefit,
    PoolItem,
    Service,
    TimeSlot,
)
from .breaker import CircuitBreaker
from .budget import RateBudget
from .consistency import ReadYourWrites
from .records import Balance, Member, Pool, Transaction, Wire

log = logging.getLogger(__name__)

MAX_PAGE = 100  # Wix's hard limit for every list and query call
T = TypeVar("T")
Params = httpx.QueryParams | dict[str, Any] | None


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    prev_cursor: str | None


class CursorQuery(TypedDict, total=False):
    """What a Benefit Programs query takes (Wix: later pages carry only the cursor)."""

    filter: Wire | None
    sort: list[Wire] | None
    limit: int  # at most MAX_PAGE, the default
    cursor: str | None


@dataclass(frozen=True)
class MemberResults:
    members: list[Member]
    offset: int
    total: int | None  # None: Wix did not count them (`tooManyToCount`, or no `total` at all)


@dataclass(frozen=True)
class SlotPage(CursorPage[TimeSlot]):
    time_zone: str = ""  # the zone the local dates are in (the site's when none was asked for)


@dataclass(frozen=True)
class BookingResults:
    bookings: list[Booking]
    offset: int
    total: int


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
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json: Wire | None = None,
        write: bool = False,
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

    def _send_once(self, method: str, path: str, *, params: Params, json: Wire | None, write: bool) -> Wire:
        """One attempt of `_send`'s call (and one token refresh on 401 for app auth)."""
        started = time.monotonic()
        for attempt in (1, 2):
            headers = {**self.auth.headers(self.http), **self.consistency.headers()}
            self.budget.spend()
            try:
                response = self.http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout):
                    raise errors.WixUnavailable("Could not connect to Wix in time.") from exc
                raise _answer_lost("Wix did not answer in time.", write=write) from exc
            except httpx.ConnectError as exc:
                raise errors.WixUnavailable("Could not connect to Wix.") from exc
            except httpx.HTTPError as exc:
                raise _answer_lost("The connection to Wix broke off.", write=write) from exc
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

    def member_ids_by_contact(self, contact_ids: list[str]) -> dict[str, str]:
        """Contact ID -> member ID for up to 100 contacts (Bookings knows attendees by contact); a contact
        with no member account (a guest) is simply absent."""
        body: Wire = {"query": {"filter": {"contactId": {"$in": contact_ids[:MAX_PAGE]}}, "paging": {"limit": MAX_PAGE}}}
        data = self._send("POST", "/members/v1/members/query", json=body)
        return {str(m["contactId"]): str(m["id"]) for m in data.get("members") or [] if m.get("contactId") and m.get("id")}

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
        return _paged(self._send("POST", path, json={"query": query}), key, "metadata", parse)

    def query_pools(self, **query: Unpack[CursorQuery]) -> CursorPage[Pool]:
        return self._cursor_query("/benefit-programs/v1/pools/query", "pools", Pool.from_wire, **query)

    def query_balances(self, **query: Unpack[CursorQuery]) -> CursorPage[Balance]:
        return self._cursor_query("/benefit-programs/v1/balances/query", "balances", Balance.from_wire, **query)

    def query_transactions(self, **query: Unpack[CursorQuery]) -> CursorPage[Transaction]:
        return self._cursor_query("/benefit-programs/v1/transactions/query", "transactions", Transaction.from_wire, **query)

    def list_balances(self, pool_ids: list[str]) -> list[Balance]:
        """List Balances for up to 100 pools by ID (Wix's limit per call), following `cursors.next` when
        Wix pages the answer (one call in practice)."""
        if len(pool_ids) > MAX_PAGE:
            raise ValueError("List Balances takes at most 100 poolIds")
        if not pool_ids:
            return []
        found: list[Balance] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"cursorPaging.limit": str(MAX_PAGE)}
            if cursor:
                params["cursorPaging.cursor"] = cursor
            else:
                params["poolIds"] = pool_ids
            page = _paged(
                self._send("GET", "/benefit-programs/v1/balances", params=params), "balances", "metadata", Balance.from_wire
            )
            found.extend(page.items)
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

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

    def get_transaction(self, transaction_id: str) -> Transaction:
        data = self._send("GET", f"/benefit-programs/v1/transactions/{transaction_id}")
        return Transaction.from_wire(data.get("transaction") or {})

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

    def query_pool_definitions(self, **query: Unpack[CursorQuery]) -> CursorPage[Wire]:
        return self._cursor_query("/_api/benefit-programs/v1/pool-definitions/query", "poolDefinitions", dict, **query)

    # --- bookings (docs/wix.md#bookings) -----------------------------------------------------------

    def get_site_time_zone(self) -> str:
        """The studio's IANA time zone (Site Properties); every session's local time is in it."""
        data = self._send("GET", "/site-properties/v4/properties", params={"fields": "timeZone"})
        return str((data.get("properties") or {}).get("timeZone") or "")

    def query_services(self) -> list[Service]:
        """Every Bookings service (Services V2 pages by offset, 100 at a time)."""
        found: list[Service] = []
        while True:
            body: Wire = {"query": {"paging": {"limit": MAX_PAGE, "offset": len(found)}}}
            data = self._send("POST", "/_api/bookings/v2/services/query", json=body)
            page = [Service.from_wire(s) for s in data.get("services") or []]
            found.extend(page)
            total = int((data.get("pagingMetadata") or {}).get("total") or 0)
            if not page or len(found) >= total:
                return found

    def list_event_time_slots(
        self, *, from_local: str = "", to_local: str = "", time_zone: str = "", cursor: str | None = None, limit: int = 1000
    ) -> SlotPage:
        """Class sessions whose local start lies in [from_local, to_local] (offset-less local date-times), in
        `time_zone` or, without one, the site's zone (which the answer names)."""
        body: Wire = {"cursorPaging": {"limit": limit, **({"cursor": cursor} if cursor else {})}}
        if not cursor:
            body.update(fromLocalDate=from_local, toLocalDate=to_local, includeNonBookable=True)
            if time_zone:
                body["timeZone"] = time_zone
        data = self._send("POST", "/_api/service-availability/v2/time-slots/event", json=body)
        page = _paged(data, "timeSlots", "pagingMetadata", TimeSlot.from_wire)
        return SlotPage(page.items, page.next_cursor, page.prev_cursor, str(data.get("timeZone") or time_zone))

    def query_calendar_events(
        self,
        *,
        from_local: str = "",
        to_local: str = "",
        time_zone: str = "",
        filter: Wire | None = None,
        cursor: str | None = None,
        limit: int = MAX_PAGE,
    ) -> CursorPage[CalendarEvent]:
        """Calendar V3 events (sessions of every kind, with their staff) starting in [from_local, to_local)."""
        paging: Wire = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body: Wire = {"query": {"cursorPaging": paging}}
        if not cursor:
            body.update(fromLocalDate=from_local, toLocalDate=to_local)
            if time_zone:
                body["timeZone"] = time_zone
            if filter:
                body["query"]["filter"] = filter
        data = self._send("POST", "/calendar/v3/events/query", json=body)
        return _paged(data, "events", "pagingMetadata", CalendarEvent.from_wire)

    def query_extended_bookings(self, *, filter: Wire, sort: list[Wire], offset: int = 0, limit: int = MAX_PAGE) -> BookingResults:
        """Bookings with their attendance. Offset paging (the Reader offers it beside cursors), so once the
        first page has told the total, the other pages can be asked for side by side."""
        body: Wire = {
            "query": {"filter": filter, "sort": sort, "paging": {"limit": min(limit, MAX_PAGE), "offset": offset}},
            "withBookingAttendanceInfo": True,
        }
        data = self._send("POST", "/_api/bookings-reader/v2/extended-bookings/query", json=body)
        meta = data.get("pagingMetadata") or {}
        bookings = [Booking.from_wire(b) for b in data.get("extendedBookings") or []]
        return BookingResults(bookings, int(meta.get("offset") or offset), int(meta.get("total") or len(bookings)))

    def query_pool_items(self, *, filter: Wire | None = None, cursor: str | None = None, limit: int = 1000) -> CursorPage[PoolItem]:
        """Which pools can pay for which items, with each pool, its free credits and the benefit's price."""
        paging: Wire = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        query: Wire = {"cursorPaging": paging}
        if filter and not cursor:
            query["filter"] = filter
        body: Wire = {"query": query, "fields": ["POOL", "BALANCE", "BENEFIT"]}
        data = self._send("POST", "/benefit-programs/v1/pool-items/query", json=body)
        return _paged(data, "poolItems", "metadata", PoolItem.from_wire)

    def eligible_pools(self, *, service_id: str, member_id: str, count: int = 1) -> list[EligibleBenefit]:
        """The member's pools that could pay for `count` sessions of a Bookings service right now."""
        body: Wire = {
            "itemReference": {"externalId": service_id, "providerAppId": BOOKINGS_APP_ID, "category": ""},
            "count": count,
            "beneficiary": {"memberId": member_id},
            "namespace": PLANS_NAMESPACE,
        }
        data = self._send("POST", "/benefit-programs/v1/pools/eligible-pools", json=body)
        return [EligibleBenefit.from_wire(b) for b in data.get("eligibleBenefits") or []]

    # --- attendance (check-in; docs/wix.md#bookings) ------------------------------------------------

    def set_attendance(self, item: AttendanceSet) -> Attendance:
        """Set one booking's attendance at one session. Wix takes no idempotency key here, so the client
        never repeats it by itself: a lost answer is a WixUnknownOutcome, settled by reading attendance."""
        data = self._send("POST", "/bookings/bookings-attendance/set", json={"attendance": item.to_wire()}, write=True)
        return Attendance.from_wire(data.get("attendance") or {})

    def bulk_set_attendance(self, items: list[AttendanceSet]) -> list[BulkAttendanceItem]:
        """Set attendance for up to 8 bookings in one call; one result per item, in the order sent."""
        if not 0 < len(items) <= MAX_BULK_ATTENDANCE:
            raise ValueError(f"bulk attendance takes 1 to {MAX_BULK_ATTENDANCE} items, not {len(items)}")
        body: Wire = {"returnFullEntity": True, "attendanceDetails": [{"attendance": i.to_wire()} for i in items]}
        data = self._send("POST", "/bookings/v2/bulk/attendance/set", json=body, write=True)
        by_index: dict[int, Wire] = {}
        for position, result in enumerate(data.get("results") or []):
            meta = result.get("itemMetadata") or {}
            by_index[int(meta.get("originalIndex", position))] = result
        out: list[BulkAttendanceItem] = []
        for index, item in enumerate(items):
            result = by_index.get(index)
            if result is None:  # Wix said nothing about this one (an "undetailed failure")
                out.append(BulkAttendanceItem(item.booking_id, False, "UNDETAILED_FAILURE", "Wix gave no answer for it.", None))
                continue
            meta = result.get("itemMetadata") or {}
            error = meta.get("error") or {}
            entity = result.get("item")
            out.append(
                BulkAttendanceItem(
                    booking_id=item.booking_id,
                    success=bool(meta.get("success")),
                    error_code=str(error.get("code") or ""),
                    error_description=str(error.get("description") or ""),
                    attendance=Attendance.from_wire(entity) if isinstance(entity, dict) else None,
                )
            )
        return out

    def query_attendance(
        self, *, filter: Wire | None = None, cursor: str | None = None, limit: int = 1000
    ) -> CursorPage[Attendance]:
        """Attendance records; Wix allows one filter field per query (`bookingId`, `eventId`, …)."""
        paging: Wire = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        query: Wire = {"cursorPaging": paging}
        if filter and not cursor:
            query["filter"] = filter
        data = self._send("POST", "/bookings/bookings-attendance/query", json={"query": query})
        return _paged(data, "attendances", "pagingMetadata", Attendance.from_wire)

    # --- account ---------------------------------------------------------------------------------

    def get_ai_credits(self) -> AiCredits:
        """The AI credit balance; needs account- or site-level access with the AI Credits permission."""
        return AiCredits.from_wire(self._send("POST", "/appmarket/credittransactions/v1/credit-transactions/balance", json={}))


def _paged(data: Wire, key: str, meta_key: str, parse: Callable[[Wire], T]) -> CursorPage[T]:
    """A cursor page; Bookings APIs keep their paging facts under `pagingMetadata`, Benefit Programs under
    `metadata`. There is no next page when `hasNext` is false or the next cursor is empty."""
    meta = data.get(meta_key) or {}
    cursors = meta.get("cursors") or {}
    next_cursor = cursors.get("next") if meta.get("hasNext") is not False else None
    return CursorPage([parse(x) for x in data.get(key) or []], next_cursor or None, cursors.get("prev") or None)


def _answer_lost(read_message: str, *, write: bool) -> errors.WixError:
    """The request went out and no answer came back: a read simply failed (Wix unavailable, in words
    `read_message`), a write may have been applied (unknown outcome)."""
    return errors.WixUnknownOutcome() if write else errors.WixUnavailable(read_message)


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
