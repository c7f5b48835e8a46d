"""Deterministic seed: ``build_studio(members, seed)`` -> the same studio every run.

Dates are relative to the fixed reference now 2026-11-23T09:00:00Z. Member 0 is always the demo
member Maya Levi (see ``DEMO_*`` constants); members 1-13 are fixed showcase cases (see ``_FIXED``),
the rest are random but deterministic.
"""

from __future__ import annotations

import gc
import random
import re
from decimal import Decimal

from .plans import PLANS
from .studio import CYCLE_MS, DAY_MS, HOUR_MS, REF_NOW_MS, Studio, _slugify, guid_from_rng, iso

DEMO_MEMBER_ID = "c0a9e6b4-7d3f-4a8e-b1f2-9e8d7c6b5a41"
DEMO_POOL_ID = "5b1c8d2e-0f44-4b6e-9a51-2d7e0c3f9a10"  # 10-Class Pack, 7 available, 1 reserved, ACTIVE
DEMO_ENDED_POOL_ID = "8f2a6c1e-3b5d-4e7f-a9c1-6d8e0f2b4a73"  # 5-Class Pack, ENDED, 0 available
DEMO_EMAIL = "maya.levi@example.com"

# (first names, last names) by culture; names are paired within a culture most of the time.
_NAMES = {
    "hebrew": (
        ["Noa", "Yael", "Tamar", "Omer", "Itai", "Shira", "Avi", "Lior", "Maya", "Eitan", "Dana", "Roni"],
        ["Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Friedman", "Azoulay", "Katz", "Shapiro", "Ben-David"],
    ),
    "english": (
        [
            "Emma",
            "Oliver",
            "Charlotte",
            "Jack",
            "Amelia",
            "Harry",
            "Sophie",
            "George",
            "Grace",
            "Liam",
            "Chloe",
            "Ethan",
            "Hannah",
            "Noah",
        ],
        ["Smith", "Johnson", "Williams", "Brown", "Taylor", "O'Connor", "Walker", "Wright", "Hughes", "Baker", "MacLeod", "Evans"],
    ),
    "spanish": (
        ["Sofía", "Mateo", "Valentina", "Santiago", "Lucía", "Diego", "Camila", "Javier", "Isabella", "Alejandro", "María José"],
        ["García", "Martínez", "Rodríguez", "López", "Hernández", "González", "Pérez", "Sánchez", "Ramírez", "de la Cruz"],
    ),
    "indian": (
        ["Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Aisha", "Sanjay", "Meera", "Aditya"],
        ["Patel", "Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Singh", "Chatterjee", "Menon", "Desai"],
    ),
    "east_asian": (
        ["Yuki", "Haruto", "Mei", "Wei", "Ji-woo", "Min-jun", "Sakura", "Hiroshi", "Xin", "Seo-yeon"],
        ["Tanaka", "Suzuki", "Wang", "Li", "Zhang", "Kim", "Park", "Nguyen", "Chen", "Watanabe"],
    ),
    "arabic": (
        ["Layla", "Omar", "Fatima", "Yusuf", "Nour", "Karim", "Amira", "Hassan", "Rania", "Tariq"],
        ["Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Farouk", "Aziz", "El-Amin", "Darwish"],
    ),
    "african": (
        ["Amara", "Kwame", "Zainab", "Chidi", "Thandiwe", "Kofi", "Ngozi", "Tendai", "Abena", "Sipho"],
        ["Okafor", "Mensah", "Adeyemi", "Dlamini", "Nkosi", "Osei", "Abebe", "Mwangi", "Diallo"],
    ),
    "european": (
        ["Lukas", "Anna", "Matteo", "Giulia", "Léa", "Louis", "Zofia", "Jakub", "Ingrid", "Sven", "Elena", "Niamh", "Björn"],
        [
            "Müller",
            "Rossi",
            "Dubois",
            "Kowalski",
            "Novák",
            "Johansson",
            "Papadopoulos",
            "Jensen",
            "Bianchi",
            "Moreau",
            "Van der Berg",
            "Lindqvist",
        ],
    ),
}
_CULTURES = list(_NAMES)
_EMAIL_JUNK = re.compile(r"[^\w.-]|_")
_ASCII = str.maketrans("áéíóúñçüöäåøæèàìòùâêîôûëïßłśźżčřšž", "aeiouncuoaaoaeaiouaeioueisszzzcrsz")

_PLAN_WEIGHTS = [("intro2", 10), ("pack5", 18), ("pack10", 25), ("pack20", 10), ("monthly8", 22), ("unlimited", 15)]
_STATUS_WEIGHTS = [("ACTIVE", 78), ("PAUSED", 7), ("ENDED", 7), ("PENDING", 3), ("PROVISIONING", 2), ("RENEWING", 3)]
_TOTALS = {id(t): sum(w for _, w in t) for t in (_PLAN_WEIGHTS, _STATUS_WEIGHTS)}

# member index -> (first, last, member status, [pool cases]); pool case = (plan, status, available, reserved,
# renewalCount)
_FIXED = {
    1: ("Daniel", "Okafor", "APPROVED", [("monthly8", "ACTIVE", 5, 0, 11)]),  # long history (50+ tx)
    2: ("Sofía", "García", "APPROVED", [("unlimited", "ACTIVE", 0, 0, 5)]),  # unlimited: no balance
    3: ("Kwame", "Mensah", "APPROVED", [("pack5", "ACTIVE", 0, 0, 0)]),  # zero available
    4: ("Priya", "Sharma", "APPROVED", [("pack10", "ACTIVE", 1, 0, 0)]),  # one left
    5: ("Lukas", "Müller", "APPROVED", [("pack20", "PAUSED", 12, 0, 0)]),
    6: ("Yuki", "Tanaka", "APPROVED", [("monthly8", "RENEWING", 4, 0, 4)]),
    7: ("Amara", "Diallo", "APPROVED", [("pack5", "PENDING", 5, 0, 0)]),
    8: ("Omar", "Haddad", "APPROVED", [("intro2", "PROVISIONING", 2, 0, 0)]),
    9: ("Charlotte", "Evans", "APPROVED", [("pack10", "ENDED", 3, 0, 0)]),
    10: ("Mei", None, "APPROVED", []),  # no last name, no pool
    11: ("Rohan", "Iyer", "PENDING", [("intro2", "ACTIVE", 2, 0, 0)]),
    12: ("Ingrid", "Johansson", "BLOCKED", [("pack5", "PAUSED", 2, 0, 0)]),
    13: (
        "Layla",
        "Khalil",
        "APPROVED",
        [("pack5", "ENDED", 0, 0, 0), ("monthly8", "ACTIVE", 6, 2, 3), ("pack10", "ACTIVE", 3, 0, 0)],
    ),
}


def _ri(rng: random.Random, a: int, b: int) -> int:
    """Uniform int in [a, b] (faster than ``randint``; the seed calls it ~10 times per member)."""
    return a + int(rng.random() * (b - a + 1))


def _weighted(rng: random.Random, table):
    x = rng.random() * _TOTALS[id(table)]
    for value, w in table:
        x -= w
        if x < 0:
            return value
    return table[-1][0]


FRACTIONS = (Decimal("0.5"), Decimal("0.25"), Decimal("0.1234"), Decimal("1.75"))


def build_studio(
    members: int = 300,
    seed: int = 7,
    bookings: bool | dict = True,
    *,
    fractional: bool = False,
    plans_without_credits: str = "no_balance",
) -> Studio:
    """Build a deterministic studio with ``members`` members (same seed -> identical data).

    ``bookings``: install Wix Bookings (``True``, or a dict of :func:`sandbox.bookings.install_bookings`
    arguments such as ``{"today": "2026-03-29", "time_zone": "Europe/Berlin", "credit_mode": "reserve"}``);
    ``False`` leaves Bookings out.
    ``fractional``: every third balance of a plan with credits (Maya's packs included) gets a fractional
    grant (0.5, 0.25, 0.1234 or 1.75 credits — Wix allows 4 decimal places), as a real transaction so
    histories still replay to the balance. ``plans_without_credits``: ``"no_balance"`` (default: a pool,
    no balance), ``"zero_balance"`` (a balance of ``"0"``) or ``"no_pool"`` (see ``Studio.make_pool``).
    """
    rng = random.Random(seed)
    studio = Studio(seed, plans_without_credits=plans_without_credits)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the build only allocates; cyclic GC passes over a growing heap cost ~20%
    try:
        with studio.lock:
            for i in range(members):
                if i == 0:
                    _demo_member(studio)
                else:
                    _random_member(studio, rng, i)
            studio.ai_credits = _ai_credits(rng)
            if fractional:
                _add_fractions(studio)
    finally:
        if gc_was_enabled:
            gc.enable()
    if bookings is not False:  # Wix Bookings (sandbox/bookings): its plan payments move credits on these pools
        from .bookings import install_bookings

        install_bookings(studio, **(bookings if isinstance(bookings, dict) else {}))
    if members >= 5000:
        # keep the big, long-lived store out of later GC passes (avoids 100+ ms pauses mid-benchmark)
        gc.freeze()
    return studio


def _member_dict(
    studio: Studio,
    mid: str,
    first: str,
    last: str | None,
    email: str,
    status: str,
    nickname: str,
    created_ms: int,
    last_login_ms: int,
    updated_ms: int,
    phone: str | None,
    photo: dict | None,
    privacy: str,
    activity: str,
) -> dict:
    contact: dict = {"firstName": first}
    if last:
        contact["lastName"] = last
    contact["phones"] = [phone] if phone else []
    contact["emails"] = [email]
    contact["addresses"] = []
    profile: dict = {"nickname": nickname, "slug": studio.unique_slug(_slugify(nickname.translate(_ASCII)))}
    if photo:
        profile["photo"] = photo
    return {
        "id": mid,
        "loginEmail": email,
        "loginEmailVerified": status != "PENDING",
        "status": status,
        "contactId": mid,
        "contact": contact,
        "profile": profile,
        "privacyStatus": privacy,
        "activityStatus": activity,
        "createdDate": iso(created_ms),
        "updatedDate": iso(updated_ms),
        "lastLoginDate": iso(last_login_ms),
    }


def _demo_member(studio: Studio) -> None:
    created = 1756710720000  # 2025-09-01T07:12:00.000Z
    member = _member_dict(
        studio,
        DEMO_MEMBER_ID,
        "Maya",
        "Levi",
        studio.unique_email("maya.levi"),
        "APPROVED",
        "Maya L",
        created,
        REF_NOW_MS - 3 * DAY_MS + 2 * HOUR_MS,
        REF_NOW_MS - 3 * DAY_MS + 2 * HOUR_MS,
        "+1 555-0100",
        {"id": "", "url": "https://static.wixstatic.com/media/3f1a9c_mayalevi~mv2.jpg", "height": 0, "width": 0},
        "PRIVATE",
        "ACTIVE",
    )
    studio._insert_member(member)
    old_created = 1772442000000  # 2026-03-02T09:00:00Z
    old_end = old_created + 120 * DAY_MS
    studio.make_pool(
        member_id=DEMO_MEMBER_ID,
        plan=PLANS["pack5"],
        status="ENDED",
        pool_id=DEMO_ENDED_POOL_ID,
        program_id="2d4f6a8c-1e3b-4d5f-8a7c-9e1b3d5f7a92",
        program_external_id="4f6a8c1e-3b5d-4f7a-9c1e-b3d5f7a9c1e4",
        created_ms=old_created,
        updated_ms=old_end,
        renewal_count=0,
        available=Decimal(0),
        reserved=Decimal(0),
        start_ms=old_created,
        end_ms=old_end,
        hseed=0xA11CE,
    )
    cur_created = 1789376400000  # 2026-09-14T09:00:00Z
    studio.make_pool(
        member_id=DEMO_MEMBER_ID,
        plan=PLANS["pack10"],
        status="ACTIVE",
        pool_id=DEMO_POOL_ID,
        program_id="77d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f",
        program_external_id="8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3",
        created_ms=cur_created,
        updated_ms=cur_created,
        renewal_count=0,
        available=Decimal(7),
        reserved=Decimal(1),
        start_ms=cur_created,
        end_ms=REF_NOW_MS - 3 * DAY_MS,
        hseed=0xBEEF,
    )


def _random_member(studio: Studio, rng: random.Random, i: int) -> None:
    fixed = _FIXED.get(i)
    culture = rng.choice(_CULTURES)
    firsts, lasts = _NAMES[culture]
    first = rng.choice(firsts)
    if rng.random() < 0.15:
        lasts = _NAMES[rng.choice(_CULTURES)][1]
    last = rng.choice(lasts) if rng.random() >= 0.05 else None
    status = "APPROVED"
    x = rng.random()
    if x < 0.012:
        status = "BLOCKED"
    elif x < 0.025:
        status = "PENDING"
    if fixed:
        first, last, status, cases = fixed
    mid = guid_from_rng(rng)
    local = ".".join(p for p in (first, last) if p).lower().translate(_ASCII)
    local = _EMAIL_JUNK.sub("", local)
    email = studio.unique_email(local)
    y = rng.random()
    if not last or y < 0.55:
        nickname = f"{first} {last}" if last else first
    elif y < 0.85:
        nickname = f"{first} {last[0]}."
    else:
        nickname = f"{first.lower().translate(_ASCII).replace(' ', '')}{_ri(rng, 2, 99)}"
    created = REF_NOW_MS - _ri(rng, 1, 730) * DAY_MS + _ri(rng, 0, DAY_MS - 1)

    # pools
    pool_cases = []
    if fixed:
        pool_cases = cases
    else:
        r = rng.random()
        n_pools = 0 if r < 0.15 else 1 if r < 0.80 else 2 if r < 0.95 else 3
        # Regulars buy pack after pack and every finished one stays behind as an ENDED pool: about
        # 2.4 pools a member overall (~12,000 for 5,000 members), as in a studio a few years old.
        finished = (1 if n_pools >= 2 else 0) + (_ri(rng, 0, 3) if n_pools >= 1 else 0)
        for _ in range(finished):
            old_plan = rng.choice(["intro2", "pack5", "pack10", "pack20"])
            left = 0 if rng.random() < 0.7 else _ri(rng, 1, 2)
            pool_cases.append((old_plan, "ENDED", min(left, int(PLANS[old_plan].credits or 0)), 0, 0))
        if n_pools >= 1:
            pool_cases.append(_random_case(rng))
        if n_pools >= 3:
            plan = rng.choice(["pack5", "pack10"])
            pool_cases.append((plan, "ACTIVE", _ri(rng, 1, int(PLANS[plan].credits or 0)), 0, 0))
    earliest = created
    for k, case in enumerate(pool_cases):
        older = k < len(pool_cases) - 1 and case[1] == "ENDED"
        pool_created = _make_seed_pool(studio, rng, mid, case, older)
        earliest = min(earliest, pool_created - _ri(rng, 0, 20) * DAY_MS - _ri(rng, 0, DAY_MS))
    created = earliest
    last_login = created + int(rng.random() * (REF_NOW_MS - created))
    if pool_cases and pool_cases[-1][1] in ("ACTIVE", "RENEWING"):
        last_login = max(last_login, REF_NOW_MS - _ri(rng, 0, 20) * DAY_MS - _ri(rng, 0, DAY_MS))
    updated = created + int(rng.random() * (last_login - created))
    phone = f"+1 555-{_ri(rng, 100, 9999):04d}" if rng.random() < 0.6 else None
    photo = None
    if rng.random() < 0.7:
        photo = {
            "id": "",
            "url": f"https://static.wixstatic.com/media/{rng.getrandbits(24):06x}_{rng.getrandbits(64):016x}~mv2.jpg",
            "height": 0,
            "width": 0,
        }
    privacy = "PUBLIC" if rng.random() < 0.2 else "PRIVATE"
    activity = "MUTED" if rng.random() < 0.02 else "ACTIVE"
    member = _member_dict(
        studio, mid, first, last, email, status, nickname, created, last_login, updated, phone, photo, privacy, activity
    )
    studio._insert_member(member)


def _random_case(rng: random.Random):
    plan_key = _weighted(rng, _PLAN_WEIGHTS)
    plan = PLANS[plan_key]
    status = _weighted(rng, _STATUS_WEIGHTS)
    if status == "RENEWING" and not plan.renewable:
        status = "ACTIVE"
    renewals = 0
    if plan.renewable:
        renewals = _ri(rng, 8, 14) if rng.random() < 0.08 else _ri(rng, 0, 6)
    if plan.credits is None:
        return (plan_key, status, 0, 0, renewals)
    n = int(plan.credits or 0)  # not None: checked above
    top = n + (int(plan.balance_cap or 0) if plan.rollover and renewals else 0)
    if status in ("PENDING", "PROVISIONING"):
        return (plan_key, status, n, 0, 0)
    u = rng.random()
    if u < 0.10:
        avail = 0
    elif u < 0.20:
        avail = 1
    else:
        avail = _ri(rng, min(2, top), top)
    reserved = 0
    if status == "ACTIVE" and rng.random() < 0.10:
        reserved = _ri(rng, 1, 2)
        if avail + reserved > top:
            avail = max(0, top - reserved)
    if status == "ENDED" and rng.random() < 0.6:
        avail = 0
    return (plan_key, status, avail, reserved, renewals)


def _make_seed_pool(studio: Studio, rng: random.Random, member_id: str, case, older: bool) -> int:
    plan_key, status, avail, reserved, renewals = case
    plan = PLANS[plan_key]
    cycles = renewals + 1
    if status in ("ACTIVE", "RENEWING"):
        end = REF_NOW_MS - _ri(rng, 0, 72) * HOUR_MS - _ri(rng, 0, HOUR_MS)
    elif status in ("PENDING", "PROVISIONING"):
        end = REF_NOW_MS - _ri(rng, 0, 3 * 24) * HOUR_MS
    else:  # PAUSED / ENDED
        end = REF_NOW_MS - _ri(rng, 2, 90 if not older else 200) * DAY_MS - _ri(rng, 0, DAY_MS)
    if status in ("PENDING", "PROVISIONING"):
        created = end - _ri(rng, 1, 50) * 60_000
    elif plan.renewable:
        created = end - (cycles - 1) * CYCLE_MS - _ri(rng, 1, 29) * DAY_MS - _ri(rng, 0, DAY_MS)
        if status == "RENEWING":
            created = end - (cycles - 1) * CYCLE_MS - _ri(rng, 0, 2) * HOUR_MS - 60_000
    else:
        created = end - _ri(rng, 3, 160) * DAY_MS - _ri(rng, 0, DAY_MS)
    updated = end if status in ("PAUSED", "ENDED") else created + (cycles - 1) * CYCLE_MS
    studio.make_pool(
        member_id=member_id,
        plan=plan,
        status=status,
        pool_id=guid_from_rng(rng),
        program_id=guid_from_rng(rng),
        program_external_id=guid_from_rng(rng),
        created_ms=created,
        updated_ms=updated,
        renewal_count=renewals,
        available=Decimal(avail),
        reserved=Decimal(reserved),
        start_ms=created,
        end_ms=end,
        hseed=rng.getrandbits(48),
    )
    return created


def _add_fractions(studio: Studio) -> None:
    with_credits = [p["id"] for p in studio.pools if p["details"].get("creditConfiguration") and studio.balance(p["id"])]
    chosen = [pid for i, pid in enumerate(with_credits) if i % 3 == 0 or pid == DEMO_POOL_ID]
    for i, pool_id in enumerate(chosen):
        studio.change_balance(
            pool_id,
            op="ADJUST",
            value=FRACTIONS[i % len(FRACTIONS)],
            idempotency_key=f"seed-fraction-{pool_id}",
            reason="Partial credit",
            allow_negative=True,
        )


def _ai_credits(rng: random.Random) -> dict:
    cap = 1000
    periodic = _ri(rng, 120, 980)
    topup_cap = rng.choice([100, 200, 500])
    topup = _ri(rng, 0, topup_cap)
    return {
        "periodicCredits": {"balance": periodic, "cap": cap},
        "topUpCredits": {"balance": topup, "cap": topup_cap},
        "creditBalanceBreakdown": [
            {
                "subscriptionId": guid_from_rng(rng),
                "usageRules": [{"period": "MONTH", "balance": periodic, "cap": cap, "resetDate": "2026-12-01T00:00:00.000Z"}],
            },
            {"usageRules": [{"period": "NO_PERIOD", "balance": topup, "cap": topup_cap}]},
        ],
    }
