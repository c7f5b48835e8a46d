"""Today's classes at the front desk: every session of a day in the studio's time zone, and under each
attendee the plan paying for it and what is left on that plan.

Cost by formula (docs/wix.md#bookings). A day view makes at most
    3 + ⌈bookings ÷ 100⌉ + 2 × ⌈attendees ÷ 100⌉
upstream calls, in a fixed number of round trips, never one per attendee or per session:

    round 0  only to know which day is "today": the studio's time zone (Site Properties; kept an
             hour, and learned from every day read, so rarely a call)
    round 1  the day's class time slots (in the site's zone, which the answer names)  ‖  the day's
             calendar events (course sessions, appointments, every session's instructor)
    round 2  the first page of bookings of those sessions (`eventId $in …`, `scheduleId $in …` for
             courses), offset-paged, which tells how many there are
    round 3  the other booking pages, side by side
    round 4  only for bookings somebody else made for the attendee: members by `contactId $in` (a
             booking made by the member herself names her member ID already)
    round 5  pool items of the members who booked with a plan (`beneficiary.memberId $in`, 100 a
             call, up to 1000 items a page): which of their pools covers which service, its status,
             free credits and price
    round 6  List Balances of the paying pools (100 a call): free and booked credits

Which pool paid is not on the booking (it records only "MEMBERSHIP"); it is the member's pool that
covers the service, preferring an active one with credits, as Pricing Plans does at checkout.

Out of credits after this class: a plan booking takes its credit out of "free to book" when it is
charged, whether the site spends it at checkout (redeem) or holds it until the class (reserve); so
the credits free after the class are the free credits now, less the class's price only when it was
not charged yet (booked to be redeemed by staff, or waiting for a place). Out = fewer left than
one more class costs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .cache import Cached, read_through
from .concurrency import run_together
from .wix.bookings_records import ATTENDING_STATUSES, BOOKINGS_APP_ID, Booking, CalendarEvent, PoolItem, TimeSlot
from .wix.client import MAX_PAGE, CursorPage, WixClient
from .wix.errors import WixBadRequest, WixRateLimited, WixUnavailable
from .wix.records import ZERO, Balance, Wire

T = TypeVar("T")
TIME_ZONE_SECONDS = 3600  # a studio's time zone changes about never
USABLE = ("ACTIVE", "RENEWING")
HELD = ("CONFIRMED", "PENDING", "CREATED")  # bookings that hold a place (the waitlist does not)
KINDS = {"CLASS": "class", "COURSE": "course", "APPOINTMENT": "appointment"}
SORT: list[Wire] = [{"fieldName": "startDate", "order": "ASC"}, {"fieldName": "id", "order": "ASC"}]


@dataclass(frozen=True)
class Attendee:
    booking_id: str
    name: str
    email: str
    member_id: str  # "" for a guest (a contact with no member account)
    status: str  # the booking's: CONFIRMED, PENDING, WAITING_LIST …
    participants: int
    attendance: str  # NOT_SET | ATTENDED | NOT_ATTENDED
    payment_option: str
    payment_status: str
    plan_name: str = ""  # the plan paying for this class; "" when none does
    pool_id: str = ""
    plan_status: str = ""
    available: Decimal | None = None  # free to book on that plan now (None: unlimited)
    reserved: Decimal | None = None  # booked, not yet used
    price: Decimal = ZERO  # credits this class costs on that plan
    charged: bool = False  # the plan's credit for this class has left "free to book" already

    @property
    def plan_payment(self) -> bool:
        return self.payment_option in ("MEMBERSHIP", "MEMBERSHIP_OFFLINE")

    @property
    def no_plan(self) -> bool:
        """No plan pays for this class: paid otherwise (online, at the desk) or not paid yet."""
        return not self.pool_id

    @property
    def paid_otherwise(self) -> bool:
        return self.no_plan and self.payment_status == "PAID"

    @property
    def unlimited(self) -> bool:
        return bool(self.pool_id) and self.available is None

    @property
    def free_after(self) -> Decimal | None:
        """Credits free to book once this class is paid for (None: unlimited or no plan)."""
        if not self.pool_id or self.available is None:
            return None
        return self.available - (ZERO if self.charged else self.price * self.participants)

    @property
    def out_after(self) -> bool:
        """Cannot book another class on this plan after this one."""
        after = self.free_after
        return after is not None and self.price > 0 and after < self.price  # a free benefit never runs out

    @property
    def plan_inactive(self) -> bool:
        """The paying plan is paused or ended (or otherwise not usable now)."""
        return bool(self.pool_id) and self.plan_status not in USABLE

    @property
    def waitlisted(self) -> bool:
        return self.status == "WAITING_LIST"

    @property
    def guest(self) -> bool:
        return not self.member_id


@dataclass(frozen=True)
class Session:
    event_id: str
    kind: str  # class | course | appointment
    title: str
    local_start: datetime | None  # wall-clock time in the studio's zone
    local_end: datetime | None
    instructor: str
    capacity: int
    booked: int
    cancelled: bool
    attendees: tuple[Attendee, ...] = ()

    @property
    def waitlisted(self) -> int:
        return sum(a.participants for a in self.attendees if a.waitlisted)

    @property
    def flagged(self) -> int:
        return sum(1 for a in self.attendees if a.out_after or a.plan_inactive or (a.no_plan and a.payment_status != "PAID"))


@dataclass(frozen=True)
class DayView:
    day: date
    time_zone: str
    sessions: tuple[Session, ...]
    bookings_read: int
    attendees: int  # distinct people (contacts) booked on the day
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def max_calls(self) -> int:
        """The cost formula's bound for this day (docs/wix.md#bookings)."""
        return cost_bound(self.bookings_read, self.attendees)


def cost_bound(bookings: int, attendees: int) -> int:
    return 3 + math.ceil(bookings / MAX_PAGE) + 2 * math.ceil(attendees / MAX_PAGE)


# ---------------------------------------------------------------------------------------------------- time


def zone(name: str) -> ZoneInfo:
    """The studio's zone; an unknown name (Wix said something odd) falls back to UTC rather than failing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(time_zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone(time_zone)).date()


def studio_time_zone(client: WixClient, connection: str, *, known: str = "", refresh: bool = False) -> Cached[str]:
    """The studio's zone, kept an hour. `known`: a zone a Bookings answer just named, stored without a call."""
    return read_through(
        connection,
        "site-time-zone",
        (lambda: known) if known else (lambda: client.get_site_time_zone() or "UTC"),
        fresh_seconds=TIME_ZONE_SECONDS,
        keep_seconds=settings.WIX_STALE_SECONDS,
        stale_on=(WixUnavailable, WixRateLimited),
        single_flight=True,
        refresh=refresh or bool(known),
    )


# ---------------------------------------------------------------------------------------------------- reading


def _all_pages(first: Callable[[str | None], CursorPage[T]]) -> list[T]:
    page = first(None)
    items = list(page.items)
    while page.next_cursor:
        page = first(page.next_cursor)
        items.extend(page.items)
    return items


def _chunks(items: list[str], size: int = MAX_PAGE) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _sessions_of_day(client: WixClient, day: date, time_zone: str) -> tuple[list[TimeSlot], list[CalendarEvent], str]:
    """The day's class slots and calendar events, side by side. Without `time_zone` both use the site's
    zone, which the time slots answer names: a given day costs no Site Properties call."""
    start = f"{day.isoformat()}T00:00:00"
    slots_end = f"{day.isoformat()}T23:59:59"
    events_end = f"{(day + timedelta(days=1)).isoformat()}T00:00:00"
    zones: list[str] = []

    def slots() -> list[TimeSlot]:
        page = client.list_event_time_slots(from_local=start, to_local=slots_end, time_zone=time_zone)
        zones.append(page.time_zone)
        found = list(page.items)
        while page.next_cursor:
            page = client.list_event_time_slots(cursor=page.next_cursor)
            found.extend(page.items)
        return found

    def events() -> list[CalendarEvent]:
        return _all_pages(
            lambda cursor: client.query_calendar_events(
                from_local=start, to_local=events_end, time_zone=time_zone, filter={"appId": BOOKINGS_APP_ID}, cursor=cursor
            )
        )

    found_slots, found_events = run_together(slots, events)
    return found_slots, found_events, time_zone or (zones[0] if zones else "") or "UTC"


def _bookings(client: WixClient, event_ids: list[str], course_schedules: list[str]) -> list[Booking]:
    """The day's bookings: sessions' (`eventId $in`) and courses' (`scheduleId $in`: a course booking
    books the schedule, not a session) in one query joined by `$or`. Wix's query language has `$or`, but
    whether the Reader takes it is not documented: if Wix refuses it, the two are asked for apart."""
    by_session: list[Wire] = []
    if event_ids:
        by_session.append({"bookedEntity.item.slot.eventId": {"$in": event_ids}})
    if course_schedules:
        by_session.append({"bookedEntity.item.schedule.scheduleId": {"$in": course_schedules}})
    if len(by_session) == 2:
        try:
            return _bookings_where(client, {"$or": by_session})
        except WixBadRequest:
            return [b for which in by_session for b in _bookings_where(client, which)]
    return _bookings_where(client, by_session[0]) if by_session else []


def _bookings_where(client: WixClient, which: Wire) -> list[Booking]:
    """One page, then every other page side by side (the first tells the total)."""
    filter: Wire = {"$and": [{"status": {"$in": list(ATTENDING_STATUSES)}}, which]}
    first = client.query_extended_bookings(filter=filter, sort=SORT)
    offsets = range(MAX_PAGE, first.total, MAX_PAGE)
    rest = (
        run_together(*(partial(client.query_extended_bookings, filter=filter, sort=SORT, offset=o) for o in offsets))
        if offsets
        else ()
    )
    found = list(first.bookings)
    for page in rest:
        found.extend(page.bookings)
    return list({b.id: b for b in found}.values())  # a booking moved between pages while we read appears once


def _members_by_contact(client: WixClient, contact_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in run_together(*(partial(client.member_ids_by_contact, c) for c in _chunks(contact_ids))) if contact_ids else ():
        found.update(chunk)
    return found


def _pool_items(client: WixClient, member_ids: list[str], service_ids: list[str]) -> list[PoolItem]:
    def chunk(ids: list[str]) -> list[PoolItem]:
        flt: Wire = {
            "beneficiary.memberId": {"$in": ids},
            "providerAppId": BOOKINGS_APP_ID,
            "externalId": {"$in": service_ids},
        }
        return _all_pages(lambda cursor: client.query_pool_items(filter=flt, cursor=cursor))

    if not member_ids or not service_ids:
        return []
    return [item for items in run_together(*(partial(chunk, c) for c in _chunks(member_ids))) for item in items]


def _balances(client: WixClient, pool_ids: list[str]) -> dict[str, Balance]:
    if not pool_ids:
        return {}
    answers = run_together(*(partial(client.list_balances, c) for c in _chunks(pool_ids)))
    return {b.pool_id: b for found in answers for b in found}


def _rank(item: PoolItem, booking: Booking) -> int:
    """Which of a member's pools covering the service pays: an active pack that can (or did) pay, then an
    active unlimited plan, then any active one, then paused, then ended ones (flagged on the page)."""
    if item.status in USABLE:
        if item.unlimited:
            return 1
        affordable = booking.charged_to_plan or (item.available or ZERO) >= item.price * booking.participants
        return 0 if affordable else 2
    return {"PAUSED": 3, "ENDED": 4}.get(item.status, 5)


def _paying_pool(items: Iterable[PoolItem], booking: Booking) -> PoolItem | None:
    ranked = sorted(items, key=lambda i: (_rank(i, booking), i.pool_id))
    return ranked[0] if ranked else None


def day_view(client: WixClient, day: date, time_zone: str = "") -> DayView:
    slots, events, time_zone = _sessions_of_day(client, day, time_zone)
    event_by_id = {e.id: e for e in events}
    # Classes come from the time slots (Wix's verified class list, with its booked count); course
    # sessions and appointments from the calendar, their booked count from their bookings below.
    sessions: dict[str, Session] = {}
    for slot in slots:
        ev = event_by_id.get(slot.event_id)
        sessions[slot.event_id] = Session(
            event_id=slot.event_id,
            kind="class",
            title=slot.title or (ev.title if ev else ""),
            local_start=slot.local_start,
            local_end=slot.local_end,
            instructor=", ".join(ev.instructors) if ev else "",
            capacity=slot.total_capacity,
            booked=slot.booked,
            cancelled=slot.cancelled or bool(ev and ev.cancelled),
        )
    for ev in events:
        if ev.id in sessions or ev.type not in KINDS:
            continue
        sessions[ev.id] = Session(
            event_id=ev.id,
            kind=KINDS[ev.type],
            title=ev.title,
            local_start=ev.local_start,
            local_end=ev.local_end,
            instructor=", ".join(ev.instructors),
            capacity=ev.total_capacity,
            booked=0,
            cancelled=ev.cancelled,
        )
    course_sessions: dict[str, list[str]] = defaultdict(list)
    for ev in events:
        if ev.type == "COURSE" and ev.id in sessions:
            course_sessions[ev.schedule_id].append(ev.id)
    plain_ids = [i for i, session in sessions.items() if session.kind != "course"]
    bookings = _bookings(client, plain_ids, sorted(course_sessions))

    # Who each attendee is: a self-made booking names its member; the rest are looked up by contact.
    member_of_contact = {b.contact_id: b.member_id_if_self_booked for b in bookings if b.member_id_if_self_booked}
    unknown = sorted({b.contact_id for b in bookings if b.contact_id and b.contact_id not in member_of_contact})
    member_of_contact.update(_members_by_contact(client, unknown))

    plan_bookings = [b for b in bookings if b.plan_payment and member_of_contact.get(b.contact_id)]
    items = _pool_items(
        client, sorted({member_of_contact[b.contact_id] for b in plan_bookings}), sorted({b.service_id for b in plan_bookings})
    )
    covering: dict[tuple[str, str], list[PoolItem]] = defaultdict(list)
    for item in items:
        covering[(item.member_id, item.service_id)].append(item)
    payer = {b.id: _paying_pool(covering[(member_of_contact[b.contact_id], b.service_id)], b) for b in plan_bookings}
    balances = _balances(client, sorted({p.pool_id for p in payer.values() if p is not None and not p.unlimited}))

    attendees: dict[str, list[Attendee]] = defaultdict(list)
    for b in bookings:
        attendee = _attendee(b, member_of_contact.get(b.contact_id, ""), payer.get(b.id), balances)
        targets = course_sessions.get(b.schedule_id, []) if b.is_course else [b.event_id]
        for event_id in targets:
            if event_id in sessions:
                attendees[event_id].append(attendee)

    built = []
    for event_id, session in sessions.items():
        people = tuple(sorted(attendees[event_id], key=lambda a: (a.waitlisted, a.name.lower(), a.booking_id)))
        booked = session.booked if session.kind == "class" else sum(a.participants for a in people if a.status in HELD)
        built.append(replace(session, booked=booked, attendees=people))
    built.sort(key=lambda s: (s.local_start or datetime.min, s.title, s.event_id))
    return DayView(
        day=day,
        time_zone=time_zone,
        sessions=tuple(built),
        bookings_read=len(bookings),
        attendees=len({b.contact_id or b.id for b in bookings}),
    )


def _attendee(booking: Booking, member_id: str, pool: PoolItem | None, balances: dict[str, Balance]) -> Attendee:
    base = Attendee(
        booking_id=booking.id,
        name=booking.name,
        email=booking.email,
        member_id=member_id,
        status=booking.status,
        participants=booking.participants,
        # A course booking has one attendance per session and the Reader shows one of them, not
        # necessarily today's: say nothing rather than something wrong.
        attendance="NOT_SET" if booking.is_course else booking.attendance,
        payment_option=booking.payment_option,
        payment_status=booking.payment_status,
    )
    if pool is None:
        return base
    balance = balances.get(pool.pool_id)
    available = None if pool.unlimited else (balance.available if balance else pool.available)
    return replace(
        base,
        plan_name=pool.plan_name,
        pool_id=pool.pool_id,
        plan_status=pool.status,
        available=available,
        reserved=None if pool.unlimited else (balance.reserved if balance else ZERO),
        price=pool.price,
        charged=booking.charged_to_plan,
    )


def day_view_read(client: WixClient, connection: str, day: date, *, refresh: bool = False) -> Cached[DayView]:
    """The day (in the site's zone) through the shared read cache: every viewer, and every 45-second
    poll, within the fresh time shares one load; when Wix fails, the last good copy, marked stale."""

    def load() -> DayView:
        view = day_view(client, day)
        studio_time_zone(client, connection, known=view.time_zone)  # "today" needs no call for an hour
        return view

    return read_through(
        connection,
        f"today:{day.isoformat()}",
        load,
        fresh_seconds=settings.WIX_READ_CACHE_SECONDS,
        keep_seconds=settings.WIX_STALE_SECONDS,
        stale_on=(WixUnavailable, WixRateLimited),
        single_flight=True,
        refresh=refresh,
    )
