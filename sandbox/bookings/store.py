"""The Bookings store: a deterministic two-week schedule around "today", its bookings and attendance.

Built by :func:`install_bookings` on an existing :class:`~sandbox.Studio`. Bookings paid by a plan
change the studio's Benefit Programs balances through real transactions (inserted in the pool's
history at the time they happened), so Bookings and Benefit Programs always agree:

* ``credit_mode="redeem"`` (default): a plan booking spends its credit at checkout (AVAILABLE→EXTERNAL,
  reason ``Redemption``); a cancellation refunds it (EXTERNAL→AVAILABLE, ``relatedTransactionId``).
* ``credit_mode="reserve"``: a plan booking reserves its credit (AVAILABLE→RESERVED, ``Reservation``);
  marking attendance (ATTENDED or NOT_ATTENDED) spends it (RESERVED→EXTERNAL, ``Attended class``/``No-show``);
  a cancellation releases it (RESERVED→AVAILABLE); an unmarked past booking keeps it reserved.

Everything is stored as it goes on the wire. All access goes through ``studio.lock``.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import uuid
import zoneinfo
from decimal import Decimal

from ..studio import fmt, guid_from_rng, iso, now_ms
from . import catalog
from .catalog import (
    APPOINTMENTS,
    BOOKINGS_APP_ID,
    COURSE_SESSIONS,
    COURSE_STAFF,
    COURSE_TIME,
    LOCATION,
    SERVICES,
    STAFF,
    WEEKDAY_CLASSES,
    WEEKEND_CLASSES,
)

CREDIT_MODES = ("redeem", "reserve")
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
PAST_DAYS = 7  # the schedule covers today - 7 ... today + 6 (every weekday twice)
FUTURE_DAYS = 6
_SHOWCASE_MEMBERS = 14  # members 0-13 are the seed's fixed cases: their balances are left exactly as seeded

_GUESTS = (
    ("Hanna", "Schröder"),
    ("Tom", "Becker"),
    ("Julia", "Wagner"),
    ("Felix", "Hoffmann"),
    ("Clara", "Richter"),
    ("Paul", "Klein"),
    ("Mia", "Wolf"),
    ("Leon", "Neumann"),
    ("Emilia", "Braun"),
    ("Jonas", "Zimmermann"),
    ("Lina", "Krüger"),
    ("Noah", "Hartmann"),
)


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown IANA time zone {name!r}") from None


def local_iso(ms: int, tz: zoneinfo.ZoneInfo) -> str:
    """Epoch ms -> offset-less local ``YYYY-MM-DDThh:mm:ss`` (LOCAL_DATE_TIME) in ``tz``."""
    return datetime.datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%dT%H:%M:%S")


def offset_iso(ms: int, tz: zoneinfo.ZoneInfo) -> str:
    """Epoch ms -> ``2026-03-30T09:00:00.000+02:00`` (the booking slot's local date with offset)."""
    dt = datetime.datetime.fromtimestamp(ms / 1000, tz)
    off = dt.strftime("%z")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000") + off[:3] + ":" + off[3:]


def local_ms(day: datetime.date, hhmm: str, tz: zoneinfo.ZoneInfo) -> int:
    """The UTC instant (epoch ms) of the wall-clock time ``hhmm`` on ``day`` in ``tz`` (DST-aware)."""
    h, m = (int(x) for x in hhmm.split(":"))
    dt = datetime.datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
    return int(dt.timestamp() * 1000)


def heads(booking: dict) -> int:
    """A booking's head count: ``totalParticipants``, or the sum over ``participantsChoices`` (a one-of)."""
    if "totalParticipants" in booking:
        return booking["totalParticipants"]
    choices = (booking.get("participantsChoices") or {}).get("serviceChoices") or []
    return sum(c.get("numberOfParticipants", 0) for c in choices)


def _stamp(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


class BookingsStore:
    """Services, sessions (events), bookings and attendance of one emulated site.

    ``today`` (a date in the site's zone), ``now_ms`` (the schedule's "now": attendance exists only for
    sessions that ended before it), ``time_zone`` and ``credit_mode`` are fixed when it is built.
    """

    def __init__(self, studio, *, today: datetime.date, now: int, time_zone: str, credit_mode: str, seed: int):
        if credit_mode not in CREDIT_MODES:
            raise ValueError(f"credit_mode must be one of {CREDIT_MODES}, not {credit_mode!r}")
        self.studio = studio
        self.today = today
        self.now_ms = now
        self.time_zone = time_zone
        self.tz = zone(time_zone)
        self.credit_mode = credit_mode
        self.seed = seed
        self.services: list[dict] = []
        self.services_by_id: dict[str, dict] = {}
        self.events: list[dict] = []  # internal session records, sorted by start
        self.events_by_id: dict[str, dict] = {}
        self.bookings: list[dict] = []  # wire Booking dicts
        self.bookings_by_id: dict[str, dict] = {}
        self.attendance: dict[str, dict] = {}  # id -> wire Attendance
        self._attendance_key: dict[tuple[str, str], str] = {}  # (bookingId, eventId) -> attendance id
        self.charges: dict[str, dict] = {}  # booking id -> {"poolId", "amount", "open": reserve tx id or None}
        self.transactions: dict[str, list[str]] = {}  # booking id -> transaction ids it caused
        self.changes = 0
        self.spent: dict[str, Decimal] = {}  # pool id -> credits this schedule's open charges hold
        self._budgets: dict[str, Decimal] = {}
        self._rng = random.Random(f"bookings-ids:{seed}:{today.isoformat()}")

    # ------------------------------------------------------------------ ids
    def new_id(self) -> str:
        return guid_from_rng(self._rng)

    def budget(self, pool_id: str) -> Decimal:
        """Credits the schedule may spend on a pool: half its seeded balance, rounded up (1 of 1, 2 of 3)."""
        b = self._budgets.get(pool_id)
        if b is None:
            avail = Decimal(self.studio._balances[pool_id]["amount"]["available"])
            b = self._budgets[pool_id] = (avail + 1) // 2
        return b

    # ------------------------------------------------------------------ settings
    def settings(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "now": iso(self.now_ms),
            "timeZone": self.time_zone,
            "creditMode": self.credit_mode,
            "services": len(self.services),
            "sessions": len(self.events),
            "bookings": len(self.bookings),
            "attendances": len(self.attendance),
        }

    def site_properties(self) -> dict:
        return {
            "businessName": "Credit Desk Demo Studio",
            "description": "Yoga and Pilates in Berlin-Mitte",
            "email": "hello@example.com",
            "phone": "+49 30 1234567",
            "timeZone": self.time_zone,
            "locale": {"languageCode": "de", "country": "DE"},
            "language": "de",
            "paymentCurrency": catalog.CURRENCY,
            "address": {
                "street": "Torstraße",
                "streetNumber": "101",
                "city": "Berlin",
                "zip": "10119",
                "country": "DE",
                "googleFormattedAddress": LOCATION["formattedAddress"],
            },
            "businessSchedule": {"periods": [], "specialHourPeriod": []},
            "categories": {"primary": "health_wellness", "secondary": ["fitness"]},
        }

    # ------------------------------------------------------------------ sessions
    def remaining(self, event: dict) -> tuple[int, int]:
        """(booked participants, waitlisted participants) of a session."""
        booked = waiting = 0
        for b in event["bookings"]:
            n = heads(b)
            if b["status"] in ("CONFIRMED", "PENDING", "CREATED"):
                booked += n
            elif b["status"] == "WAITING_LIST":
                waiting += n
        return booked, waiting

    def attendance_for(self, booking_id: str, event_id: str) -> dict | None:
        aid = self._attendance_key.get((booking_id, event_id))
        return self.attendance.get(aid) if aid else None

    # ------------------------------------------------------------------ Benefit Programs effects
    def pool_effect(
        self, booking: dict, pool_id: str, source: str, target: str, amount: Decimal, ms: int, reason: str, related=None
    ):
        """Apply one transaction on the member's pool for ``booking``, dated ``ms`` (in the history by time)."""
        studio = self.studio
        pool = studio._pools_by_id[pool_id]
        bal = studio._balances[pool_id]
        service = catalog.SERVICES_BY_ID[booking["bookedEntity"]["slot"]["serviceId"]]  # plans pay for classes only
        details = {
            "item": {
                "id": booking["id"],
                "externalId": service.id,
                "category": "",
                "providerAppId": BOOKINGS_APP_ID,
                "displayName": service.name,
            },
            "itemCount": heads(booking),
            "effectiveDate": booking["startDate"],
            "reason": reason,
            "benefitKey": pool["details"]["benefits"][0]["benefitKey"],
        }
        order = self.charges.get(booking["id"], {}).get("orderId", booking["id"])
        key = f"{pool['program']['externalId']}{order}{service.id}"
        if related:
            key = f"{key}-{reason.lower().replace(' ', '-')}"
        prior_updated = bal["updatedDate"]
        tx = studio._apply(
            pool,
            bal,
            source,
            target,
            amount,
            key=key,
            details=details,
            instructing={"memberId": pool["beneficiary"]["memberId"]},
            related=related,
        )
        ts = iso(ms)
        tx["createdDate"] = tx["updatedDate"] = ts
        hist = studio._history(pool_id)
        hist.pop()  # _apply appended it; put it where it belongs in time
        pos = len(hist)
        while pos > 0 and hist[pos - 1]["createdDate"] > ts:
            pos -= 1
        hist.insert(pos, tx)
        bal["lastTransactionId"] = hist[-1]["id"]
        bal["updatedDate"] = max(prior_updated, ts)  # when it happened, not when the sandbox was built
        self.transactions.setdefault(booking["id"], []).append(tx["id"])
        return tx

    def charge(self, booking: dict, pool_id: str, ms: int) -> None:
        """A plan pays for ``booking`` (at booking time ``ms``) in the store's credit mode."""
        key = catalog.plan_key_of(self.studio._pools_by_id[pool_id])
        assert key is not None, pool_id  # _usable_pool only picks pools of a known plan
        price = Decimal(catalog.benefit_price(key))
        amount = price * heads(booking)
        charge = {"poolId": pool_id, "amount": fmt(amount), "open": None, "orderId": self.new_id()}
        self.charges[booking["id"]] = charge
        if amount == 0 or pool_id not in self.studio._balances:
            return  # unlimited plans have no balance: nothing to move
        self.budget(pool_id)  # fixed from the balance before this schedule's first charge on it
        self.spent[pool_id] = self.spent.get(pool_id, Decimal(0)) + amount
        if self.credit_mode == "redeem":
            tx = self.pool_effect(booking, pool_id, "AVAILABLE", "EXTERNAL", amount, ms, "Redemption")
        else:
            tx = self.pool_effect(booking, pool_id, "AVAILABLE", "RESERVED", amount, ms, "Reservation")
            charge["open"] = tx["id"]
        charge["tx"] = tx["id"]

    def uncharge(self, booking: dict, ms: int) -> None:
        """The booking was cancelled: refund (redeem) or release (reserve) its credit."""
        charge = self.charges.get(booking["id"])
        if not charge or "tx" not in charge:
            return
        amount = Decimal(charge["amount"])
        self.spent[charge["poolId"]] -= amount
        if self.credit_mode == "redeem":
            self.pool_effect(booking, charge["poolId"], "EXTERNAL", "AVAILABLE", amount, ms, "Booking canceled", charge["tx"])
        elif charge["open"]:
            self.pool_effect(booking, charge["poolId"], "RESERVED", "AVAILABLE", amount, ms, "Booking canceled", charge["open"])
            charge["open"] = None

    def settle(self, booking: dict, status: str, ms: int) -> None:
        """Attendance was marked: in reserve mode the reserved credit is spent (attended or no-show)."""
        charge = self.charges.get(booking["id"])
        if self.credit_mode != "reserve" or not charge or not charge.get("open") or status not in ("ATTENDED", "NOT_ATTENDED"):
            return
        reason = "Attended class" if status == "ATTENDED" else "No-show"
        amount = Decimal(charge["amount"])
        self.pool_effect(booking, charge["poolId"], "RESERVED", "EXTERNAL", amount, ms, reason, charge["open"])
        charge["open"] = None

    # ------------------------------------------------------------------ attendance writes
    def set_attendance(self, booking: dict, event_id: str, status: str, count: int, ms: int) -> dict:
        key = (booking["id"], event_id)
        aid = self._attendance_key.get(key)
        ts = iso(ms)
        if aid is None:
            aid = self.new_id()
            att = {"id": aid, "bookingId": booking["id"], "eventId": event_id, "sessionId": event_id}
            self.attendance[aid] = att
            self._attendance_key[key] = aid
            att["statusUpdatedDate"] = ts
        else:
            att = self.attendance[aid]
            if att["status"] != status:
                att["statusUpdatedDate"] = ts
        att["status"] = status
        att["numberOfAttendees"] = count
        att["updatedDate"] = ts
        self.changes += 1
        self.settle(booking, status, ms)
        return att

    def undo(self) -> None:
        """Take every Benefit Programs transaction this schedule made back out of the pools' histories."""
        studio = self.studio
        for txids in self.transactions.values():
            for tid in txids:
                tx = studio._tx_by_id.pop(tid, None)
                if tx is None:
                    continue
                pid = tx["pool"]["id"]
                hist = studio._history(pid)
                hist.remove(tx)
                bal = studio._balances[pid]
                amount = {"AVAILABLE": Decimal(0), "RESERVED": Decimal(0)}
                amount[tx["source"]] = amount.get(tx["source"], Decimal(0)) + Decimal(tx["amount"])
                amount[tx["target"]] = amount.get(tx["target"], Decimal(0)) - Decimal(tx["amount"])
                a = Decimal(bal["amount"]["available"]) + amount["AVAILABLE"]
                r = Decimal(bal["amount"]["reserved"]) + amount["RESERVED"]
                bal["amount"] = {"available": fmt(a), "reserved": fmt(r)}
                bal["revision"] = str(int(bal["revision"]) - 1)
                bal["lastTransactionId"] = hist[-1]["id"] if hist else None
        self.transactions.clear()
        studio.changes += 1

    def delete_attendance(self, aid: str) -> dict | None:
        att = self.attendance.pop(aid, None)
        if att is not None:
            self._attendance_key.pop((att["bookingId"], att["eventId"]), None)
            self.changes += 1
        return att


# ====================================================================== building


def _service_dict(s: catalog.Service, course_first: int | None, course_last: int | None, tz) -> dict:
    from ..plans import PLANS

    options = {"online": True, "inPerson": s.in_person, "deposit": False, "pricingPlan": bool(s.plan_keys)}
    payment = {
        "rateType": "FIXED",
        "fixed": {"price": {"value": s.price, "currency": catalog.CURRENCY, "formattedValue": f"€{s.price}"}},
        "options": options,
        "pricingPlanIds": [PLANS[k].external_id for k in s.plan_keys],
    }
    schedule: dict = {"id": s.schedule_id, "availabilityConstraints": {"sessionDurations": [s.minutes], "timeBetweenSessions": 0}}
    if s.type == "COURSE" and course_first is not None and course_last is not None:
        schedule["firstSessionStart"] = iso(course_first)
        schedule["lastSessionEnd"] = iso(course_last)
    slug = s.name.lower().replace(" (6 weeks)", "").replace(" ", "-")
    staff = [st.id for st in STAFF] if s.type != "COURSE" else [STAFF[COURSE_STAFF].id]
    return {
        "id": s.id,
        "appId": BOOKINGS_APP_ID,
        "revision": "4",
        "createdDate": catalog.CATALOG_CREATED,
        "updatedDate": catalog.CATALOG_CREATED,
        "type": s.type,
        "sortOrder": list(SERVICES).index(s.key),
        "name": s.name,
        "description": f"{s.name} at {LOCATION['name']}.",
        "tagLine": s.tag_line,
        "defaultCapacity": s.capacity,
        "hidden": False,
        "category": {"id": catalog.uid(f"category:{s.category}"), "name": s.category, "sortOrder": 0},
        "form": {"id": catalog.uid("form:default")},
        "payment": payment,
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False},
        "conferencing": {"enabled": False},
        "locations": [
            {
                "id": LOCATION["id"],
                "type": "BUSINESS",
                "business": {"id": LOCATION["id"], "name": LOCATION["name"], "default": True},
                "calculatedAddress": {"formattedAddress": LOCATION["formattedAddress"]},
            }
        ],
        "bookingPolicy": {
            "id": catalog.uid(f"policy:{s.key}"),
            "name": "Default policy",
            "waitlistPolicy": {"enabled": s.waitlist > 0, "capacity": s.waitlist, "reservationTime": 10},
            "participantsPolicy": {"maxParticipantsPerBooking": 2 if s.type == "CLASS" else 1},
        },
        "schedule": schedule,
        "staffMemberIds": staff,
        "serviceResources": [],
        "mainSlug": {"name": slug},
        "supportedSlugs": [{"name": slug}],
        "seoData": {"tags": []},
        "media": {"items": []},
    }


def _event(store: BookingsStore, service: catalog.Service, start: int, staff: catalog.Staff, master: str, kind: str) -> dict:
    end = start + service.minutes * MINUTE_MS
    eid = f"{master}_{_stamp(start)}"
    ev = {
        "eventId": eid,
        "masterId": master,
        "service": service,
        "serviceId": service.id,
        "scheduleId": service.schedule_id,
        "title": service.name,
        "start": start,
        "end": end,
        "staff": staff,
        "capacity": service.capacity,
        "waitlist": service.waitlist,
        "cancelled": False,
        "kind": kind,  # CLASS | COURSE | APPOINTMENT
        "bookings": [],
        "start_utc": iso(start),
        "end_utc": iso(end),
        "slot_start": offset_iso(start, store.tz),
        "slot_end": offset_iso(end, store.tz),
    }
    store.events.append(ev)
    store.events_by_id[eid] = ev
    return ev


def _people(studio) -> list[dict]:
    """Members who book classes: past the showcase cases, approved, in seed order (at most 400)."""
    out = []
    for m in studio.members[_SHOWCASE_MEMBERS:]:
        if m.get("status") == "APPROVED":
            out.append(m)
        if len(out) >= 400:
            break
    return out


def _contact(member: dict | None, guest: tuple[str, str], contact_id: str) -> dict:
    if member is None:
        first, last = guest
        email = f"{first}.{last}".lower().translate(str.maketrans("öüäß", "ouas")) + "@example.net"
        return {"contactId": contact_id, "firstName": first, "lastName": last, "email": email, "countryCode": "DE"}
    c = member["contact"]
    out = {"contactId": member["contactId"], "firstName": c.get("firstName", "")}
    if c.get("lastName"):
        out["lastName"] = c["lastName"]
    out["email"] = member["loginEmail"]
    if c.get("phones"):
        out["phone"] = c["phones"][0]
    out["countryCode"] = "DE"
    return out


def _usable_pool(store: BookingsStore, member: dict, service_id: str, count: int, at_ms: int) -> str | None:
    """The member's ACTIVE pool that covers the service and can pay ``count`` now, preferring credit pools."""
    studio = store.studio
    best = None
    for pid in studio.pool_ids_for(member["id"]):
        pool = studio._pools_by_id[pid]
        if pool["status"] != "ACTIVE":
            continue
        key = catalog.plan_key_of(pool)
        if key is None or not catalog.covers(key, service_id):
            continue
        price = Decimal(catalog.benefit_price(key))
        bal = studio._balances.get(pid)
        if bal is not None and Decimal(bal["amount"]["available"]) < price * count:
            continue
        if bal is not None and store.spent.get(pid, 0) + price * count > store.budget(pid):
            continue  # this schedule spends at most half a pool's credits: the studio stays realistic
        if best is None or bal is not None:
            best = pid
    return best


def _book(store, ev, rng, person, guest, status, when_ms, count) -> dict:
    service: catalog.Service = ev["service"]
    member = person
    bid = store.new_id()
    contact_id = member["contactId"] if member else catalog.uid(f"guest:{guest[0]}:{guest[1]}")
    if ev["kind"] == "COURSE":
        entity = {
            "schedule": {
                "scheduleId": service.schedule_id,
                "serviceId": service.id,
                "location": {**LOCATION, "locationType": "OWNER_BUSINESS"},
                "timezone": store.time_zone,
                "firstSessionStart": ev["course_first"],
                "lastSessionEnd": ev["course_last"],
            },
            "title": service.name,
            "tags": ["COURSE"],
        }
    else:
        entity = {
            "slot": {
                "serviceId": service.id,
                "scheduleId": service.schedule_id,
                "eventId": ev["eventId"],
                "sessionId": ev["eventId"],
                "startDate": ev["slot_start"],
                "endDate": ev["slot_end"],
                "timezone": store.time_zone,
                "resource": ev["staff"].resource(),
                "location": {**LOCATION, "locationType": "OWNER_BUSINESS"},
                "allDay": False,
            },
            "title": service.name,
            "tags": ["INDIVIDUAL"] if ev["kind"] == "APPOINTMENT" else ["GROUP"],
        }
    created_by = {"memberId": member["id"], "contactId": contact_id} if member else {"contactId": contact_id}
    booking = {
        "id": bid,
        "revision": "1",
        "appId": BOOKINGS_APP_ID,
        "createdByAppId": BOOKINGS_APP_ID,
        "bookedEntity": entity,
        "contactDetails": _contact(member, guest, contact_id),
        "status": status,
        "paymentStatus": "NOT_PAID",
        "selectedPaymentOption": "OFFLINE",
        "totalParticipants": count,
        "createdBy": created_by,
        "startDate": ev["course_first_utc"] if ev["kind"] == "COURSE" else ev["start_utc"],
        "endDate": ev["course_last_utc"] if ev["kind"] == "COURSE" else ev["end_utc"],
        "createdDate": iso(when_ms),
        "updatedDate": iso(when_ms),
        "doubleBooked": False,
        "bookedAddOns": [],
    }
    if count > 1 and rng.random() < 0.5:  # the other form of the head count: choices with participants
        del booking["totalParticipants"]
        booking["participantsChoices"] = {
            "serviceChoices": [
                {
                    "numberOfParticipants": count,
                    "choices": [
                        {"custom": "Adult", "optionId": catalog.uid("option:age"), "choiceId": catalog.uid("choice:adult")}
                    ],
                }
            ]
        }
    store.bookings.append(booking)
    store.bookings_by_id[bid] = booking
    ev["bookings"].append(booking)
    return booking


def _pay(store, booking, ev, rng, member, when_ms) -> None:
    """Choose how the booking is paid; a plan payment moves credits on the member's pool."""
    status = booking["status"]
    pool_id = None
    if member is not None and ev["service"].plan_keys and heads(booking) == 1:
        pool_id = _usable_pool(store, member, ev["serviceId"], 1, when_ms)
    r = rng.random()
    if pool_id is not None and r < 0.88:
        if r < 0.84:
            booking["selectedPaymentOption"] = "MEMBERSHIP"
            if status in ("CONFIRMED", "CANCELED"):
                booking["paymentStatus"] = "PAID"
                store.charge(booking, pool_id, when_ms)
        else:
            booking["selectedPaymentOption"] = "MEMBERSHIP_OFFLINE"  # to be redeemed by staff: not charged yet
        return
    if ev["kind"] == "APPOINTMENT" or rng.random() < 0.65:
        booking["selectedPaymentOption"] = "ONLINE"
        booking["paymentStatus"] = "PAID" if status in ("CONFIRMED", "CANCELED") else "NOT_PAID"
    else:
        booking["selectedPaymentOption"] = "OFFLINE"
        booking["paymentStatus"] = "NOT_PAID"


def _cancel(store, booking, ms, status="CANCELED") -> None:
    booking["status"] = status
    if status == "DECLINED":
        booking["doubleBooked"] = True
    booking["revision"] = "2"
    booking["updatedDate"] = iso(ms)
    if booking["paymentStatus"] == "PAID":
        booking["paymentStatus"] = "REFUNDED"
    store.uncharge(booking, ms)


def _fill(store: BookingsStore, ev: dict, people: list[dict], guests_used: set) -> None:
    rng = random.Random(f"{store.seed}:{ev['eventId']}")
    service: catalog.Service = ev["service"]
    cap = ev["capacity"]
    if ev["kind"] == "APPOINTMENT":
        target, waitlisted = 1, 0
    elif service.waitlist and ev["start_hhmm"] == "18:00":
        target, waitlisted = cap, 3  # the evening Reformer is full, with a waitlist
    else:
        target, waitlisted = max(2, int(cap * (0.45 + 0.5 * rng.random()))), 0
    now = store.now_ms
    picks = rng.sample(range(len(people)), min(len(people), target + waitlisted + 3)) if people else []
    seats = 0
    made = 0
    for k in range(target + waitlisted + 3):
        guest = None
        if k < len(picks) and rng.random() >= 0.05:
            person = people[picks[k]]
        else:
            person = None
            guest = _GUESTS[(k + len(guests_used)) % len(_GUESTS)]
            if (guest, ev["eventId"]) in guests_used:
                continue
            guests_used.add((guest, ev["eventId"]))
        count = 2 if (ev["kind"] == "CLASS" and rng.random() < 0.03) else 1
        lead = (2 + int(rng.random() * 140)) * HOUR_MS
        when = min(ev["start"] - lead, now - (1 + int(rng.random() * 30)) * MINUTE_MS)
        roll = rng.random()
        if ev["cancelled"]:
            status = "CONFIRMED"  # cancelled below, with the session
        elif seats + count > cap:
            if not service.waitlist or made >= target + waitlisted:
                break
            status = "WAITING_LIST"
        elif k == 0 and ev["start_hhmm"] == "09:00" and person is not None:
            status = "DECLINED"  # a double booking, refused; a plan charge is refunded
        elif roll < 0.06:
            status = "CANCELED"
        elif roll < 0.075 and ev["start"] > now:
            status = "PENDING"
        else:
            status = "CONFIRMED"
        initial = "CONFIRMED" if status in ("CANCELED", "DECLINED") else status
        booking = _book(store, ev, rng, person, guest, initial, when, count)
        _pay(store, booking, ev, rng, person, when)
        made += 1
        if initial in ("CONFIRMED", "PENDING"):
            seats += count
        if status in ("CANCELED", "DECLINED") or ev["cancelled"]:
            cancel_at = min(ev["start"] - HOUR_MS, now - MINUTE_MS, when + (1 + int(rng.random() * 48)) * HOUR_MS)
            _cancel(store, booking, max(cancel_at, when + MINUTE_MS), status if status == "DECLINED" else "CANCELED")
            seats -= count
        if made >= target + waitlisted and seats >= target:
            break
    # attendance for sessions that ended before "now"
    if ev["end"] <= now and not ev["cancelled"]:
        # every ended class has a no-show (its 2nd confirmed booking), most an unmarked one (its 3rd), and a few more at random
        confirmed = [b for b in ev["bookings"] if b["status"] == "CONFIRMED"]
        for i, b in enumerate(confirmed):
            r = rng.random()
            marked = ev["end"] + (5 + int(rng.random() * 60)) * MINUTE_MS
            marked = min(marked, now)
            if (i == 2 and ev["kind"] == "CLASS" and ev["start_hhmm"] != "07:00") or r < 0.03:
                continue  # NOT_SET: nobody marked it
            if (i == 1 and ev["kind"] == "CLASS") or r < 0.06:
                store.set_attendance(b, ev["eventId"], "NOT_ATTENDED", 0, marked)
            else:
                store.set_attendance(b, ev["eventId"], "ATTENDED", heads(b), marked)


def build(studio, *, today=None, now=None, time_zone=None, credit_mode="redeem") -> BookingsStore:
    """Build the schedule around ``today`` (default: the current date in ``time_zone``).

    ``now`` (epoch ms, or an aware datetime) is the schedule's clock: default 11:30 local on a pinned
    ``today``, else the real time.
    """
    time_zone = time_zone or catalog.DEFAULT_TIME_ZONE
    tz = zone(time_zone)
    if isinstance(now, datetime.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        now = int(now.timestamp() * 1000)
    if isinstance(today, str):
        today = datetime.date.fromisoformat(today)
    if today is None:
        # the real clock, floored to the quarter hour: two builds a moment apart are identical
        now = now if now is not None else now_ms() // (15 * MINUTE_MS) * (15 * MINUTE_MS)
        today = datetime.datetime.fromtimestamp(now / 1000, tz).date()
    elif now is None:
        now = local_ms(today, "11:30", tz)
    store = BookingsStore(studio, today=today, now=int(now), time_zone=time_zone, credit_mode=credit_mode, seed=studio.seed)

    # the course: twice a week from two weeks ago, so today is one of its sessions
    course = SERVICES["course"]
    course_days: list[datetime.date] = []
    d = today - datetime.timedelta(days=14)
    while len(course_days) < COURSE_SESSIONS:
        if (d - today).days % 7 in (0, 3):
            course_days.append(d)
        d += datetime.timedelta(days=1)
    course_starts = [local_ms(day, COURSE_TIME, tz) for day in course_days]
    course_first, course_last = course_starts[0], course_starts[-1] + course.minutes * MINUTE_MS

    for s in SERVICES.values():
        svc = _service_dict(s, course_first, course_last, tz)
        store.services.append(svc)
        store.services_by_id[svc["id"]] = svc

    def master(*parts) -> str:
        h = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=16).hexdigest()
        return str(uuid.UUID(h))

    for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
        day = today + datetime.timedelta(days=offset)
        weekend = day.weekday() >= 5
        table = WEEKEND_CLASSES if weekend else WEEKDAY_CLASSES
        cancelled_idx = (day.weekday() * 5 + 3) % len(table)
        for idx, (hhmm, key, staff_idx) in enumerate(table):
            staff = STAFF[(staff_idx + day.weekday()) % len(STAFF)]
            ev = _event(store, SERVICES[key], local_ms(day, hhmm, tz), staff, master("class", day.weekday(), hhmm, key), "CLASS")
            ev["start_hhmm"] = hhmm
            ev["cancelled"] = idx == cancelled_idx
        for hhmm, staff_idx in APPOINTMENTS["weekend" if weekend else "weekday"]:
            ev = _event(
                store,
                SERVICES["private"],
                local_ms(day, hhmm, tz),
                STAFF[staff_idx],
                master("appt", day.isoformat(), hhmm),
                "APPOINTMENT",
            )
            ev["start_hhmm"] = hhmm
    course_master = master("course", today.isoformat())
    for n, start in enumerate(course_starts):
        ev = _event(store, course, start, STAFF[COURSE_STAFF], course_master, "COURSE")
        ev["start_hhmm"] = COURSE_TIME
        ev["course_index"] = n + 1
    store.events.sort(key=lambda e: (e["start"], e["eventId"]))

    people = _people(studio)
    guests_used: set = set()

    # Today first, then outwards: the half-a-pool budget goes to the days a front desk looks at.
    # Each transaction is still dated when it happened, so the histories stay in time order.
    def nearness(ev):
        return abs((datetime.datetime.fromtimestamp(ev["start"] / 1000, tz).date() - today).days), ev["start"]

    with studio.lock:
        for ev in sorted((e for e in store.events if e["kind"] != "COURSE"), key=nearness):
            _fill(store, ev, people, guests_used)
        _fill_course(store, people, course_first, course_last)
    return store


def _fill_course(store: BookingsStore, people: list[dict], first: int, last: int) -> None:
    sessions = [e for e in store.events if e["kind"] == "COURSE"]
    rng = random.Random(f"{store.seed}:course:{store.today.isoformat()}")
    head = dict(sessions[0])
    head.update(
        course_first=offset_iso(first, store.tz),
        course_last=offset_iso(last, store.tz),
        course_first_utc=iso(first),
        course_last_utc=iso(last),
    )
    head["bookings"] = []
    picks = rng.sample(range(len(people)), min(6, len(people))) if people else []
    for k in picks:
        when = min(first - (3 + int(rng.random() * 20)) * DAY_MS, store.now_ms - HOUR_MS)
        b = _book(store, head, rng, people[k], None, "CONFIRMED", when, 1)
        b["selectedPaymentOption"] = "ONLINE"
        b["paymentStatus"] = "PAID"
    for ev in sessions:
        ev["bookings"] = head["bookings"]  # a course booking books every session
        if ev["end"] <= store.now_ms:
            for b in head["bookings"]:
                status = "ATTENDED" if rng.random() < 0.85 else "NOT_ATTENDED"
                store.set_attendance(b, ev["eventId"], status, 1 if status == "ATTENDED" else 0, ev["end"] + 10 * MINUTE_MS)


def install_bookings(studio, *, today=None, now=None, time_zone=None, credit_mode="redeem") -> BookingsStore:
    """Give ``studio`` a Wix Bookings site (``studio.bookings``); see :func:`build` for the arguments."""
    zone(time_zone or catalog.DEFAULT_TIME_ZONE)  # bad settings fail before the old schedule is undone
    if credit_mode not in CREDIT_MODES:
        raise ValueError(f"credit_mode must be one of {CREDIT_MODES}, not {credit_mode!r}")
    with studio.lock:
        old = getattr(studio, "bookings", None)
        if old is not None:
            old.undo()
            studio.bookings = None
        store = build(studio, today=today, now=now, time_zone=time_zone, credit_mode=credit_mode)
        studio.bookings = store
        studio.changes += 1
        studio.query_results.clear()
    return store


__all__ = ["BookingsStore", "install_bookings", "build", "CREDIT_MODES"]
