"""The studio's Bookings catalogue: services, staff, the location, the weekly timetable and plan coverage.

Constant ids (uuid5 of a fixed namespace), the same for every seed and every date, so a test or a
client can name a service by ``SERVICE_IDS["vinyasa"]``.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid

from ..plans import PLANS

BOOKINGS_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"
PLANS_NAMESPACE = "@wix/pricing-plans"
CURRENCY = "EUR"
DEFAULT_TIME_ZONE = "Europe/Berlin"
CATALOG_CREATED = "2025-01-06T08:00:00.000Z"

_NS = uuid.UUID("3d8c2b61-7a4e-4f19-b0c5-6e2d9a1f4b87")


@functools.lru_cache(maxsize=4096)
def uid(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


LOCATION = {
    "id": uid("location:main"),
    "name": "Studio Mitte",
    "formattedAddress": "Torstraße 101, 10119 Berlin, Germany",
}


@dataclasses.dataclass(frozen=True)
class Staff:
    key: str
    name: str
    email: str

    @property
    def id(self) -> str:
        return uid(f"staff:{self.key}")

    @property
    def schedule_id(self) -> str:
        return uid(f"staff-schedule:{self.key}")

    def resource(self) -> dict:
        return {"id": self.id, "name": self.name, "email": self.email, "scheduleId": self.schedule_id, "type": "staff"}


STAFF = (
    Staff("lena", "Lena Vogel", "lena.vogel@example.com"),
    Staff("marco", "Marco Bianchi", "marco.bianchi@example.com"),
    Staff("aiko", "Aiko Sato", "aiko.sato@example.com"),
)


@dataclasses.dataclass(frozen=True)
class Service:
    key: str
    name: str
    type: str  # CLASS | COURSE | APPOINTMENT
    capacity: int
    price: str
    minutes: int
    plan_keys: tuple[str, ...]  # plans (sandbox.plans keys) whose pools can pay for it
    waitlist: int = 0
    category: str = "Yoga"
    tag_line: str = ""
    in_person: bool = True

    @property
    def id(self) -> str:
        return uid(f"service:{self.key}")

    @property
    def schedule_id(self) -> str:
        return uid(f"schedule:{self.key}")


_ALL_PLANS = ("intro2", "pack5", "pack10", "pack20", "monthly8", "unlimited")
_PACKS = ("intro2", "pack5", "pack10", "pack20")

SERVICES = {
    s.key: s
    for s in (
        Service("vinyasa", "Vinyasa Flow", "CLASS", 20, "18.00", 60, _ALL_PLANS, tag_line="Breath-led flowing yoga"),
        Service("yin", "Yin Yoga", "CLASS", 15, "18.00", 75, _ALL_PLANS, tag_line="Long, quiet holds"),
        Service(
            "reformer",
            "Reformer Pilates",
            "CLASS",
            8,
            "28.00",
            50,
            _PACKS,
            waitlist=5,
            category="Pilates",
            tag_line="On the machines",
        ),
        Service("course", "Beginners Course (6 weeks)", "COURSE", 12, "150.00", 90, (), tag_line="Twelve sessions, from zero"),
        Service("private", "Private Session", "APPOINTMENT", 1, "60.00", 60, (), category="Private", in_person=False),
    )
}
SERVICE_IDS = {k: s.id for k, s in SERVICES.items()}
SERVICES_BY_ID = {s.id: s for s in SERVICES.values()}

#: Weekday classes (Monday-Friday): (local start "HH:MM", service key, staff index).
WEEKDAY_CLASSES = (
    ("07:00", "vinyasa", 0),
    ("08:00", "reformer", 1),
    ("09:00", "vinyasa", 2),
    ("10:30", "yin", 0),
    ("12:00", "reformer", 2),
    ("12:30", "vinyasa", 1),
    ("14:00", "yin", 2),
    ("15:30", "vinyasa", 0),
    ("16:30", "yin", 1),
    ("17:00", "vinyasa", 2),
    ("18:00", "reformer", 0),
    ("18:30", "vinyasa", 1),
    ("19:00", "yin", 2),
    ("20:00", "vinyasa", 0),
    ("20:30", "yin", 1),
)
#: Weekend classes (Saturday, Sunday).
WEEKEND_CLASSES = (
    ("08:00", "vinyasa", 0),
    ("09:00", "reformer", 1),
    ("09:30", "yin", 2),
    ("10:30", "vinyasa", 1),
    ("11:00", "reformer", 2),
    ("12:00", "yin", 0),
    ("16:00", "vinyasa", 2),
    ("17:00", "yin", 1),
    ("18:00", "reformer", 0),
)
#: Private sessions (appointments) on each day: (local start, staff index).
APPOINTMENTS = {"weekday": (("13:00", 1), ("16:00", 0)), "weekend": (("11:00", 2),)}
#: The course meets twice a week at this time (on "today"'s weekday and three days later).
COURSE_TIME = "19:30"
COURSE_SESSIONS = 12
COURSE_STAFF = 1


def covers(plan_key: str, service_id: str) -> bool:
    """Can a pool of plan ``plan_key`` pay for service ``service_id``?"""
    service = SERVICES_BY_ID.get(service_id)
    return service is not None and plan_key in service.plan_keys


def plan_key_of(pool: dict) -> str | None:
    for key, plan in PLANS.items():
        if plan.pool_definition_id == pool.get("poolDefinitionId"):
            return key
    return None


def benefit_price(plan_key: str) -> str:
    return PLANS[plan_key].details["benefits"][0]["price"]
