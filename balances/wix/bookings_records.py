"""Typed records of Wix Bookings (time slots, calendar events, extended bookings) and of the Benefit
Programs endpoints that join a booking to a plan (pool items, eligible pools).

Three date formats travel here (docs/wix.md#bookings): UTC instants (`startDate`), offset-less local
date-times in the studio's zone (`localStartDate`, calendar `start.localDate`), and the slot's local
date with an optional offset. Local ones stay naive `datetime`s: they are wall-clock times, already
right for the studio, and converting them would break on a DST-change day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .records import Wire, parse_datetime, parse_decimal

BOOKINGS_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"  # Wix Bookings: pool items' providerAppId, booking appId
PLANS_NAMESPACE = "@wix/pricing-plans"

# Booking states that hold (or wait for) a place: everyone the front desk may see at the door.
ATTENDING_STATUSES = ("CONFIRMED", "PENDING", "CREATED", "WAITING_LIST")
PLAN_PAYMENTS = ("MEMBERSHIP", "MEMBERSHIP_OFFLINE")


def parse_local(value: object) -> datetime | None:
    """ "2026-03-30T09:00:00" (or with .sss, or an offset, which is dropped) -> a naive wall-clock time."""
    if not value:
        return None
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


@dataclass(frozen=True)
class Service:
    """A Bookings service: what a session or booking is of."""

    id: str
    name: str
    type: str  # CLASS | COURSE | APPOINTMENT
    plan_ids: tuple[str, ...]  # the pricing plans that can pay for it (payment.pricingPlanIds)

    @classmethod
    def from_wire(cls, data: Wire) -> Service:
        payment = data.get("payment") or {}
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            type=str(data.get("type") or ""),
            plan_ids=tuple(str(p) for p in payment.get("pricingPlanIds") or []),
        )


@dataclass(frozen=True)
class TimeSlot:
    """One class session (List Event Time Slots returns classes only)."""

    event_id: str
    service_id: str
    schedule_id: str
    title: str
    local_start: datetime | None
    local_end: datetime | None
    total_capacity: int
    remaining_capacity: int
    cancelled: bool
    waitlist_capacity: int
    waitlist_remaining: int

    @property
    def booked(self) -> int:
        """Places taken (Wix: total minus remaining, the waitlist not counted)."""
        return max(self.total_capacity - self.remaining_capacity, 0)

    @classmethod
    def from_wire(cls, data: Wire) -> TimeSlot:
        info = data.get("eventInfo") or {}
        waitlist = info.get("waitingList") or {}
        reasons = data.get("nonBookableReasons") or {}
        return cls(
            event_id=str(info.get("eventId") or ""),
            service_id=str(data.get("serviceId") or ""),
            schedule_id=str(data.get("scheduleId") or ""),
            title=str(info.get("eventTitle") or ""),
            local_start=parse_local(data.get("localStartDate")),
            local_end=parse_local(data.get("localEndDate")),
            total_capacity=int(data.get("totalCapacity") or 0),
            remaining_capacity=int(data.get("remainingCapacity") or 0),
            cancelled=bool(reasons.get("eventCancelled")),
            waitlist_capacity=int(waitlist.get("totalCapacity") or 0),
            waitlist_remaining=int(waitlist.get("remainingCapacity") or 0),
        )


@dataclass(frozen=True)
class CalendarEvent:
    """A session on the studio's calendar: classes, course sessions and appointments, with instructors."""

    id: str
    schedule_id: str
    service_id: str
    type: str  # CLASS | COURSE | APPOINTMENT (the calendar's enum is not fully documented)
    cancelled: bool
    title: str
    local_start: datetime | None
    local_end: datetime | None
    instructors: tuple[str, ...]
    total_capacity: int
    remaining_capacity: int

    @classmethod
    def from_wire(cls, data: Wire) -> CalendarEvent:
        start = data.get("start") or data.get("adjustedStart") or {}
        end = data.get("end") or data.get("adjustedEnd") or {}
        return cls(
            id=str(data.get("id") or ""),
            schedule_id=str(data.get("scheduleId") or ""),
            service_id=str(data.get("externalScheduleId") or ""),
            type=str(data.get("type") or ""),
            cancelled=data.get("status") == "CANCELLED",
            title=str(data.get("title") or data.get("scheduleName") or ""),
            local_start=parse_local(start.get("localDate")),
            local_end=parse_local(end.get("localDate")),
            instructors=tuple(
                str(r.get("name"))
                for r in data.get("resources") or []
                if r.get("name") and (r.get("type") or "").upper() == "STAFF"
            ),
            total_capacity=int(data.get("totalCapacity") or 0),
            remaining_capacity=int(data.get("remainingCapacity") or 0),
        )


@dataclass(frozen=True)
class Booking:
    """A booking as Bookings Reader V2 returns it (with `withBookingAttendanceInfo`)."""

    id: str
    status: str
    payment_status: str
    payment_option: str
    contact_id: str
    first_name: str
    last_name: str
    email: str
    created_by_member_id: str
    created_by_contact_id: str
    service_id: str
    event_id: str  # "" for a course booking (it books the schedule, not a session)
    schedule_id: str
    tags: tuple[str, ...]
    title: str
    instructor: str
    start: datetime | None  # UTC; a course booking's is its first session
    participants: int
    attendance: str  # NOT_SET | ATTENDED | NOT_ATTENDED

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or "(no name)"

    @property
    def is_course(self) -> bool:
        return not self.event_id

    @property
    def plan_payment(self) -> bool:
        return self.payment_option in PLAN_PAYMENTS

    @property
    def charged_to_plan(self) -> bool:
        """The plan's credit for this booking has left "free to book" already: a MEMBERSHIP booking is
        PAID once Pricing Plans charged it (spent at checkout, or reserved — either way no longer free).
        MEMBERSHIP_OFFLINE waits for staff to redeem it by hand."""
        return self.payment_option == "MEMBERSHIP" and self.payment_status == "PAID"

    @property
    def member_id_if_self_booked(self) -> str:
        """The attendee's member ID when they booked themselves: the creator is the same contact."""
        if self.created_by_member_id and self.created_by_contact_id and self.created_by_contact_id == self.contact_id:
            return self.created_by_member_id
        return ""

    @classmethod
    def from_wire(cls, data: Wire) -> Booking:
        booking = data.get("booking") or data
        attendance = data.get("attendance") or {}
        entity = booking.get("bookedEntity") or {}
        slot = entity.get("slot") or {}
        schedule = entity.get("schedule") or {}
        contact = booking.get("contactDetails") or {}
        created_by = booking.get("createdBy") or {}
        if "totalParticipants" in booking:
            participants = int(booking.get("totalParticipants") or 0)
        else:  # the one-of: a head count per chosen option
            choices = (booking.get("participantsChoices") or {}).get("serviceChoices") or []
            participants = sum(int(c.get("numberOfParticipants") or 0) for c in choices) or int(
                booking.get("numberOfParticipants") or 1
            )
        return cls(
            id=str(booking.get("id") or ""),
            status=str(booking.get("status") or ""),
            payment_status=str(booking.get("paymentStatus") or ""),
            payment_option=str(booking.get("selectedPaymentOption") or ""),
            contact_id=str(contact.get("contactId") or ""),
            first_name=str(contact.get("firstName") or ""),
            last_name=str(contact.get("lastName") or ""),
            email=str(contact.get("email") or ""),
            created_by_member_id=str(created_by.get("memberId") or ""),
            created_by_contact_id=str(created_by.get("contactId") or ""),
            service_id=str(slot.get("serviceId") or schedule.get("serviceId") or ""),
            event_id=str(slot.get("eventId") or ""),
            schedule_id=str(slot.get("scheduleId") or schedule.get("scheduleId") or ""),
            tags=tuple(str(t) for t in entity.get("tags") or []),
            title=str(entity.get("title") or ""),
            instructor=str((slot.get("resource") or {}).get("name") or ""),
            start=parse_datetime(booking.get("startDate")),
            participants=participants,
            attendance=str(attendance.get("status") or "NOT_SET"),
        )


@dataclass(frozen=True)
class PoolItem:
    """One service a member's pool can pay for, with the pool's plan, status, free credits and price."""

    pool_id: str
    member_id: str
    service_id: str
    plan_name: str
    status: str
    price: Decimal  # credits per session; 0 = unlimited access
    available: Decimal | None  # None: the plan has no credits (no balance record)
    pack_size: Decimal | None

    @property
    def unlimited(self) -> bool:
        return self.available is None or (self.price == 0 and self.pack_size is None)

    @classmethod
    def from_wire(cls, data: Wire) -> PoolItem:
        pool = data.get("pool") or {}
        credit = (pool.get("details") or {}).get("creditConfiguration")
        balance = data.get("balance")
        benefit = data.get("benefitInfo") or {}
        plan = (
            (pool.get("program") or {}).get("displayName")
            or pool.get("displayName")
            or (pool.get("programDefinition") or {}).get("displayName")
            or benefit.get("displayName")
            or "Plan"
        )
        return cls(
            pool_id=str(data.get("poolId") or ""),
            member_id=str((data.get("beneficiary") or {}).get("memberId") or ""),
            service_id=str(data.get("externalId") or ""),
            plan_name=str(plan),
            status=str(pool.get("status") or "UNKNOWN"),
            price=parse_decimal(benefit.get("price")),
            available=parse_decimal(balance.get("available"), None) if isinstance(balance, dict) and credit else None,
            pack_size=parse_decimal(credit.get("amount"), None) if credit else None,
        )


@dataclass(frozen=True)
class EligibleBenefit:
    """A pool that could pay for an item now (Eligible Pools): not which pool did pay."""

    pool_id: str
    benefit_key: str
    price: Decimal

    @classmethod
    def from_wire(cls, data: Wire) -> EligibleBenefit:
        return cls(
            pool_id=str(data.get("poolId") or ""),
            benefit_key=str(data.get("benefitKey") or ""),
            price=parse_decimal(data.get("price")),
        )


ATTENDANCE_STATUSES = ("NOT_SET", "ATTENDED", "NOT_ATTENDED")
MAX_BULK_ATTENDANCE = 8  # Bulk Set Attendance takes at most 8 items a call


@dataclass(frozen=True)
class Attendance:
    """One booking's attendance at one session (Set/Query Attendance)."""

    id: str
    booking_id: str
    event_id: str
    status: str  # NOT_SET | ATTENDED | NOT_ATTENDED
    number_of_attendees: int

    @classmethod
    def from_wire(cls, data: Wire) -> Attendance:
        return cls(
            id=str(data.get("id") or ""),
            booking_id=str(data.get("bookingId") or ""),
            event_id=str(data.get("eventId") or data.get("sessionId") or ""),
            status=str(data.get("status") or "NOT_SET"),
            number_of_attendees=int(data.get("numberOfAttendees") or 0),
        )


@dataclass(frozen=True)
class AttendanceSet:
    """What to set for one booking at one session."""

    booking_id: str
    event_id: str
    status: str
    number_of_attendees: int

    def to_wire(self) -> Wire:
        return {
            "bookingId": self.booking_id,
            "eventId": self.event_id,
            "sessionId": self.event_id,
            "status": self.status,
            "numberOfAttendees": self.number_of_attendees,
        }


@dataclass(frozen=True)
class BulkAttendanceItem:
    """One item of a Bulk Set Attendance answer, in the order sent."""

    booking_id: str
    success: bool
    error_code: str
    error_description: str
    attendance: Attendance | None
