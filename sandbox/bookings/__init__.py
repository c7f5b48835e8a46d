"""Wix Bookings in the sandbox: services, a weekly class schedule around "today", bookings, attendance.

Modules: ``catalog`` (constant services, staff, timetable, which plans cover which service),
``store`` (the schedule, bookings, attendance and their Benefit Programs effects), ``routes`` (the
wire handlers, added to ``sandbox.server``'s route table).

Building and settings
---------------------
``build_studio(members, seed)`` installs Bookings by default (``bookings=False`` leaves it out).
Pin what a test needs through the builder, or on an existing studio::

    studio = build_studio(300, seed=7, bookings={"today": "2026-03-29", "time_zone": "America/Los_Angeles",
                                                 "credit_mode": "reserve"})
    install_bookings(studio, today=datetime.date(2026, 3, 30), now=None, time_zone="Europe/Berlin",
                     credit_mode="redeem")   # replaces an existing schedule, undoing its pool effects

* ``today``: the studio's "today" (date or ``YYYY-MM-DD``); default the current date in the site zone.
* ``now``: the schedule's clock (epoch ms or aware datetime); default 11:30 local on a pinned ``today``,
  else the real time. Sessions that ended before it have attendance; later ones have none.
* ``time_zone``: the site's IANA zone (default ``Europe/Berlin``); every session is a wall-clock time
  in it, so a DST-change day has its classes at the usual local times.
* ``credit_mode``: ``"redeem"`` (a plan booking spends its credit at checkout: AVAILABLE→EXTERNAL;
  cancelling refunds it) or ``"reserve"`` (booking reserves: AVAILABLE→RESERVED; marking attendance,
  ATTENDED or NOT_ATTENDED, spends it: RESERVED→EXTERNAL; cancelling releases it; an unmarked past
  booking keeps it reserved). Set Attendance through the API has the same effect live.

Control endpoint (no auth): ``GET /_sandbox/bookings`` → the settings and counts; ``POST
/_sandbox/bookings`` with ``{"today", "now", "timeZone", "creditMode"}`` rebuilds the schedule (``now``
as ISO; omitted keys keep their values except ``now``, which follows ``today``).

The schedule (deterministic for (seed, today, now, time zone, mode))
--------------------------------------------------------------------
Days today−7 … today+6. Weekdays: 15 classes 07:00–20:30 (Vinyasa Flow cap 20, Yin Yoga cap 15, Reformer
Pilates cap 8 with a waitlist of 5; the 18:00 Reformer is full with 3 waitlisted), weekends 9; three
instructors; one class a day is CANCELLED (its bookings are CANCELED); two Private Session appointments
a weekday (one on weekend days). Every ended class has a no-show (NOT_ATTENDED) and most an unmarked
booking (NOT_SET); one DECLINED double booking a day (plan charge refunded). The Beginners Course meets
on today's weekday and three days later at 19:30, 12 sessions from two weeks ago (today is session 5);
its 6 bookings have ``bookedEntity.schedule`` (no slot) and per-session attendance. Bookings: members
14+ (members 0–13, the seed's showcase cases, keep their seeded balances), a few guests (contacts with
no member). Plan payments (``selectedPaymentOption`` MEMBERSHIP, ``paymentStatus`` PAID) come only from
an ACTIVE pool that covers the service and has the credits (the schedule spends at most half of a pool's
seeded credits, rounded up, so a pool with 1 credit can end at 0; days nearest today are filled first),
and always carry their transactions: ``details.item.id`` = booking id, ``details.item.externalId`` =
service id, ``details.effectiveDate`` = session start, ``idempotencyKey`` = program externalId + order
id + service id. MEMBERSHIP_OFFLINE bookings are not charged. ``studio.bookings.charges[bookingId]``
says which pool paid (sandbox-only).

How a client reads a day (the Today page)
-----------------------------------------
All paths take the usual sandbox auth (API key + ``wix-site-id``, or an OAuth token).

1. ``GET /site-properties/v4/properties?fields=timeZone`` → ``properties.timeZone``.
2. ``POST /_api/bookings/v2/services/query`` ``{"query":{"paging":{"limit":100}}}`` → ``services[]``
   (``type`` CLASS/COURSE/APPOINTMENT, ``name``, ``defaultCapacity``, ``payment.pricingPlanIds`` =
   pricing-plan ids = pool ``programDefinition.externalId``). Offset paging, ``pagingMetadata.total``.
3. ``POST /_api/service-availability/v2/time-slots/event`` ``{"fromLocalDate":"D T00:00:00",
   "toLocalDate":"D T23:59:59","timeZone":tz,"includeNonBookable":true,"cursorPaging":{"limit":1000}}``
   → ``timeSlots[]`` (classes only, sorted by ``localStartDate``): ``eventInfo.eventId``,
   ``totalCapacity``, ``remainingCapacity`` (booked = total − remaining), ``nonBookableReasons.eventCancelled``,
   ``eventInfo.waitingList``. Instructor names are not here: take ``booking.bookedEntity.slot.resource.name``.
4. ``POST /_api/bookings-reader/v2/extended-bookings/query`` with ``withBookingAttendanceInfo: true`` and
   either ``{"bookedEntity.item.slot.eventId":{"$in":[…today's event ids]}}`` or
   ``{"startDate":{"$gte":dayStartUtc,"$lt":dayEndUtc}}`` (UTC, DST-aware local midnights), a
   ``sort`` and ``cursorPaging{limit:100}``; follow ``pagingMetadata.cursors.next``. Appointments come
   only from the date filter (``bookedEntity.tags`` ``["INDIVIDUAL"]``). Course bookings: filter
   ``bookedEntity.item.schedule.scheduleId`` (their ``startDate`` is the first session); today's course
   session and its attendance: ``POST /bookings/bookings-attendance/query {"query":{"filter":{"bookingId":
   {"$in":[…]}}}}`` (one filter field per query), or the course service's schedule id.
5. Attendee → member: ``booking.contactDetails.contactId`` = member ``contactId`` (members query with
   ``contactId $in``); no member = guest. Their plans: ``pools/query`` by ``beneficiary.memberId $in`` +
   ``GET /benefit-programs/v1/balances?poolIds=…``; which pool covers which service:
   ``POST /benefit-programs/v1/pool-items/query`` (``externalId`` = service id) or the service's
   ``payment.pricingPlanIds``.
6. Could a plan pay now: ``POST /benefit-programs/v1/pools/eligible-pools`` ``{"itemReference":{"externalId":
   serviceId,"providerAppId":"13d21c63-b5ec-5912-8397-c3a5ddb27a97","category":""},"count":1,
   "beneficiary":{"memberId":m},"namespace":"@wix/pricing-plans"}`` → ``eligibleBenefits[]`` (ACTIVE
   pools covering the service with available ≥ count × price).
7. Check-in: ``POST /bookings/bookings-attendance/set`` or bulk ``/bookings/v2/bulk/attendance/set`` (≤ 8).
8. The day's course session, appointments and instructors in one call: ``POST /calendar/v3/events/query``
   ``{"fromLocalDate":"D T00:00:00","toLocalDate":"D+1 T00:00:00","timeZone":tz,"query":{"filter":
   {"type":{"$in":["COURSE","APPOINTMENT"]}},"cursorPaging":{"limit":100}}}`` → ``events[]`` with
   ``id`` (= eventId), ``type``, ``status`` (CANCELLED), ``start.localDate``, ``resources[].name``,
   ``participants.total``, ``scheduleId`` (the service's ``schedule.id``).
"""

from .catalog import BOOKINGS_APP_ID, DEFAULT_TIME_ZONE, SERVICE_IDS, SERVICES, STAFF
from .store import CREDIT_MODES, BookingsStore, install_bookings

__all__ = [
    "BOOKINGS_APP_ID",
    "CREDIT_MODES",
    "DEFAULT_TIME_ZONE",
    "SERVICE_IDS",
    "SERVICES",
    "STAFF",
    "BookingsStore",
    "install_bookings",
]
