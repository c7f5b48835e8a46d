"""The sandbox's store: members, pools, balances, lazily generated transaction histories.

Everything is stored exactly as it goes on the wire (string decimals, ISO dates, GUIDs). All access
goes through ``Studio.lock`` (one ``threading.RLock``).
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import datetime
import hashlib
import json
import random
import re
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from . import plans as plans_mod
from .plans import NAMESPACE, PLANS, Plan

#: The fixed reference "now" of the seed: 2026-11-23T09:00:00Z (epoch ms).
REF_NOW_MS = 1795424400 * 1000
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
CYCLE_MS = 30 * DAY_MS

STAFF_USER_IDS = (
    "2f6c1e9a-8b4d-4a7e-9c3f-1d5b7e9a2c4f",  # studio owner
    "8e3a5c7d-1f2b-4e6a-b9c8-7d6e5f4a3b2c",  # front desk
)
BOOKINGS_APP_ID = "13d21c63-b5ec-5912-8397-c3a5ddb27a97"

CLASS_NAMES = (
    "Vinyasa Flow",
    "Reformer Pilates",
    "Hip-Hop Beginners",
    "Yin Yoga",
    "Power Yoga",
    "Mat Pilates",
    "Barre Sculpt",
    "Contemporary Dance",
    "Salsa Basics",
    "Ashtanga Led",
    "Hatha Yoga",
    "Stretch & Release",
    "Prenatal Yoga",
    "HIIT Circuit",
    "Jazz Funk",
    "Aerial Yoga",
    "Restorative Yoga",
    "Ballet Foundations",
)
ADJUST_UP_REASONS = (
    "Goodwill credit",
    "Class canceled by studio - credit returned",
    "Correction: double booking refund",
    "Referral bonus",
    "Instructor no-show",
)
ADJUST_DOWN_REASONS = (
    "Late cancellation fee",
    "No-show fee",
    "Correction: manual count",
    "Expired credit removed",
)


_DAYS: dict[int, str] = {}


def iso(ms: int) -> str:
    """Epoch milliseconds -> ``2026-11-23T09:00:00.000Z``."""
    day, rest = divmod(int(ms), DAY_MS)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    secs, milli = divmod(rest, 1000)
    mins, sec = divmod(secs, 60)
    hour, minute = divmod(mins, 60)
    return f"{prefix}{hour:02d}:{minute:02d}:{sec:02d}.{milli:03d}Z"


PLANS_WITHOUT_CREDITS = ("no_balance", "zero_balance", "no_pool")


def now_ms() -> int:
    return int(time.time() * 1000)


def dec(value) -> Decimal:
    """Parse a wire decimal (str/int). Raises ValueError when it is not a finite decimal."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a decimal")
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("not a decimal") from None
    if not d.is_finite():
        raise ValueError("not a decimal")
    return d


def fmt(d: Decimal) -> str:
    """Decimal -> wire string: ``"7"``, ``"1.5"``, ``"-2"`` (no exponent, no trailing zeros)."""
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


def transaction(tx_id, ts, pool_ref, amount, source, target, beneficiary, details, key, instructing, related) -> dict:
    """A Benefit Programs transaction as Wix answers it, seeded or live: the idempotency key, the instructing
    party and the related transaction only when there are any."""
    tx = {
        "id": tx_id,
        "revision": "1",
        "createdDate": ts,
        "updatedDate": ts,
        "pool": pool_ref,
        "amount": fmt(amount),
        "source": source,
        "target": target,
        "beneficiary": beneficiary,
        "status": "COMPLETED",
        "details": details,
    }
    if key:
        tx["idempotencyKey"] = key
    if instructing:
        tx["instructingParty"] = instructing
    if related:
        tx["relatedTransactionId"] = related
    return tx


def guid_from_rng(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


@dataclasses.dataclass(frozen=True)
class HistorySpec:
    """Everything needed to regenerate a pool's seeded history deterministically."""

    ordinal: int
    hseed: int
    plan_key: str
    cycles: int
    available: Decimal
    reserved: Decimal
    start_ms: int
    end_ms: int


def _cycle_plans(spec: HistorySpec):
    """Per-cycle event counts (cheap; drawn from the pool's own seed). Used at build and on materialize.

    Each plan: (cstart, cend, head_kind, amount, pre, singles, pairs, post, tail); ``pre``/``post`` are
    lists of (kind, amount) placed before/after the redemptions and ``tail`` is a forfeit or None.
    """
    plan = PLANS[spec.plan_key]
    if plan.credits is None:
        return []
    rng = random.Random(spec.hseed)
    n = Decimal(plan.credits or "0")  # not None: checked above
    cap = Decimal(plan.balance_cap or "0") if plan.rollover else None  # rollover plans all have a cap
    one = Decimal(1)
    avail = Decimal(0)
    cycles = max(1, spec.cycles)
    out = []
    for c in range(cycles):
        last = c == cycles - 1
        cstart = spec.start_ms + c * CYCLE_MS
        cend = spec.end_ms if last else min(spec.start_ms + (c + 1) * CYCLE_MS, spec.end_ms) - 1000
        cend = max(cend, cstart + 60_000)
        avail += n
        pre: list = []
        post: list = []
        tail = None
        if not last:
            if rng.random() < 0.08:
                pre.append(("adjust_up", one))
                avail += one
            end_avail = Decimal(int(rng.random() * (int(avail) + 1)))
            used = int(avail - end_avail)
            if rng.random() < 0.05 and end_avail >= 1:
                post.append(("adjust_down", one))
                end_avail -= one
            avail = end_avail
            if cap is not None and avail > cap:
                tail = ("forfeit", avail - cap)
                avail = cap
            elif cap is None and avail > 0:
                tail = ("forfeit", avail)
                avail = Decimal(0)
        else:
            used_d = avail - spec.available - spec.reserved
            if used_d < 0:
                pre.append(("adjust_up", -used_d))
                used_d = Decimal(0)
            used = int(used_d)
            frac = used_d - used
            if frac:
                pre.append(("adjust_down", frac))
            r = spec.reserved
            while r > 0:
                step = one if r >= one else r
                post.append(("reserve", step))
                r -= step
        pairs = min(used, int(rng.random() * (used * 0.4 + 1)))
        out.append((cstart, cend, "grant" if c == 0 else "renewal", n, pre, used - pairs, pairs, post, tail))
    return out


def history_summary(spec: HistorySpec) -> tuple[int, int]:
    """(number of seeded transactions, ms of the last one) without generating them."""
    count, last_ms = 0, spec.start_ms
    for cstart, cend, _h, _n, pre, singles, pairs, post, tail in _cycle_plans(spec):
        k = len(pre) + singles + 2 * pairs + len(post)
        count += 1 + k + (1 if tail else 0)
        last_ms = cend if (k or tail) else cstart
    return count, last_ms


def history_skeleton(spec: HistorySpec) -> list[tuple[int, str, Decimal]]:
    """The seeded event list ``[(ms, kind, amount)]`` of a pool, ending at its seeded balance.

    kinds: grant, renewal, redeem (AVAILABLE->EXTERNAL), reserve (AVAILABLE->RESERVED),
    consume (RESERVED->EXTERNAL), forfeit (rollover cap at renewal), adjust_up, adjust_down.
    Invariant: replaying the events from zero gives exactly ``available`` and ``reserved``; the last
    event of a cycle with activity is at the cycle's end (``end_ms`` for the last cycle).
    """
    rng = random.Random(spec.hseed ^ 0xB0B)
    one = Decimal(1)
    out: list[tuple[int, str, Decimal]] = []
    for cstart, cend, head, n, pre, singles, pairs, post, tail in _cycle_plans(spec):
        units = ["s"] * singles + ["p"] * pairs
        rng.shuffle(units)
        seq = list(pre)
        for u in units:
            if u == "s":
                seq.append(("redeem", one))
            else:
                seq.append(("reserve", one))
                seq.append(("consume", one))
        seq.extend(post)
        out.append((cstart, head, n))
        k = len(seq)
        if k:
            span = cend - cstart
            times = sorted(cstart + 1 + int(rng.random() * span) for _ in range(k))
            if tail is None:
                times[-1] = cend
            prev = cstart
            for (kind, amount), t in zip(seq, times, strict=False):
                t = max(t, prev + 1)
                out.append((t, kind, amount))
                prev = t
        if tail is not None:
            out.append((max(cend, out[-1][0] + 1), tail[0], tail[1]))
    return out


# direction of each event kind: (source, target)
_DIRECTION = {
    "grant": ("EXTERNAL", "AVAILABLE"),
    "renewal": ("EXTERNAL", "AVAILABLE"),
    "adjust_up": ("EXTERNAL", "AVAILABLE"),
    "redeem": ("AVAILABLE", "EXTERNAL"),
    "adjust_down": ("AVAILABLE", "EXTERNAL"),
    "forfeit": ("AVAILABLE", "EXTERNAL"),
    "reserve": ("AVAILABLE", "RESERVED"),
    "consume": ("RESERVED", "EXTERNAL"),
}


class Studio:
    """The live data of one emulated Wix site. Use :func:`sandbox.build_studio` to make one."""

    def __init__(self, seed: int = 7, plans_without_credits: str = "no_balance"):
        if plans_without_credits not in PLANS_WITHOUT_CREDITS:
            raise ValueError(f"plans_without_credits must be one of {PLANS_WITHOUT_CREDITS}")
        self.lock = threading.RLock()
        self.seed = seed
        self.plans_without_credits = plans_without_credits
        self.members: list[dict] = []
        self.pools: list[dict] = []  # creation order; index = ordinal
        self.pool_definitions: list[dict] = []
        self.ai_credits: dict = {}
        self._members_by_id: dict[str, dict] = {}
        self._member_pos: dict[str, int] = {}
        self._pools_by_id: dict[str, dict] = {}
        self._pools_by_member: dict[str, list[str]] = {}
        self._pool_by_program: dict[str, str] = {}
        self._balances: dict[str, dict] = {}
        self._specs: dict[str, HistorySpec] = {}
        self._histories: dict[str, list[dict]] = {}
        self._tx_by_id: dict[str, dict] = {}
        self._reverted: dict[str, str] = {}  # original tx id -> reverting tx id
        self._idempotency: dict[str, dict] = {}
        self._pool_definitions_by_id: dict[str, dict] = {}
        self._rng = random.Random(seed * 1_000_003 + 17)  # ids made after the seed
        self._tx_mask = random.Random(seed + 99).getrandbits(48)
        self._emails: set[str] = set()
        self._slugs: set[str] = set()
        self._next_suffix: dict[tuple[str, str], int] = {}
        # Bumped by every change below; cursor walks reuse a query's sorted results while it stands still.
        self.changes = 0
        self.query_results: dict[tuple, list[dict]] = {}
        plans_mod.install_definitions(self)

    # ------------------------------------------------------------------ ids
    def new_id(self) -> str:
        with self.lock:
            return guid_from_rng(self._rng)

    def _tx_id(self, ordinal: int, idx: int) -> str:
        h = hashlib.blake2b(f"{self.seed}:{ordinal}:{idx}".encode(), digest_size=9).hexdigest()
        node = ((ordinal << 16) | idx) ^ self._tx_mask
        return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{'89ab'[int(h[15], 16) & 3]}{h[16:18]}{h[0]}-{node:012x}"

    # ------------------------------------------------------------------ members
    def _insert_member(self, member: dict) -> dict:
        self.changes += 1
        self._member_pos[member["id"]] = len(self.members)
        self.members.append(member)
        self._members_by_id[member["id"]] = member
        self._pools_by_member.setdefault(member["id"], [])
        return member

    def get_member(self, member_id: str) -> dict | None:
        with self.lock:
            return self._members_by_id.get(member_id)

    def unique_email(self, local: str) -> str:
        """``local@example.com``, or ``local2@…``, ``local3@…`` when taken."""
        return self._unique(self._emails, local, "@example.com")

    def unique_slug(self, base: str) -> str:
        return self._unique(self._slugs, base or "member", "")

    def _unique(self, taken: set, base: str, suffix: str) -> str:
        n = self._next_suffix.get((suffix, base), 1)
        value = f"{base}{suffix}" if n == 1 else f"{base}{n}{suffix}"
        while value in taken:
            n += 1
            value = f"{base}{n}{suffix}"
        self._next_suffix[(suffix, base)] = n + 1
        taken.add(value)
        return value

    def add_member(self, first: str, last: str | None = None, email: str | None = None, *, status: str = "APPROVED") -> dict:
        """Create a member now (real clock) and return its wire dict."""
        with self.lock:
            mid = self.new_id()
            if email is None:
                local = ".".join(p for p in (first, last) if p).lower().replace(" ", "")
                email = self.unique_email(local or "member")
            else:
                self._emails.add(email)
            ts = iso(now_ms())
            nickname = " ".join(p for p in (first, last) if p)
            contact = {"firstName": first, "phones": [], "emails": [email], "addresses": []}
            if last:
                contact["lastName"] = last
            member = {
                "id": mid,
                "loginEmail": email,
                "loginEmailVerified": status == "APPROVED",
                "status": status,
                "contactId": mid,
                "contact": contact,
                "profile": {"nickname": nickname, "slug": self.unique_slug(_slugify(nickname))},
                "privacyStatus": "PRIVATE",
                "activityStatus": "ACTIVE",
                "createdDate": ts,
                "updatedDate": ts,
                "lastLoginDate": ts,
            }
            return self._insert_member(member)

    # ------------------------------------------------------------------ pools / balances
    def pools_for(self, member_id: str) -> list[dict]:
        with self.lock:
            return [self._pools_by_id[p] for p in self._pools_by_member.get(member_id, ())]

    def pool_ids_for(self, member_id: str) -> list[str]:
        return self._pools_by_member.get(member_id, [])

    def get_pool(self, pool_id: str) -> dict | None:
        with self.lock:
            return self._pools_by_id.get(pool_id)

    def balance(self, pool_id: str) -> dict | None:
        with self.lock:
            return self._balances.get(pool_id)

    def get_pool_definition(self, pid: str) -> dict | None:
        return self._pool_definitions_by_id.get(pid)

    def make_pool(
        self,
        *,
        member_id: str,
        plan: Plan,
        status: str,
        pool_id: str,
        program_id: str,
        program_external_id: str,
        created_ms: int,
        updated_ms: int,
        renewal_count: int,
        available: Decimal,
        reserved: Decimal,
        start_ms: int,
        end_ms: int,
        hseed: int,
        beneficiary: dict | None = None,
    ) -> dict:
        """Insert a pool (+ its balance when the plan has credits). Internal; used by the seed.

        A plan without credits (unlimited) gets, by ``plans_without_credits``: a pool and no balance
        (``"no_balance"``), a pool whose balance says ``"0"`` (``"zero_balance"``), or no pool at all
        (``"no_pool"``: the returned pool is not stored). Wix does not document which is real.
        """
        self.changes += 1
        ordinal = len(self.pools)
        beneficiary = beneficiary or {"memberId": member_id}
        pool = {
            "id": pool_id,
            "revision": str(1 + renewal_count + (1 if status in ("PAUSED", "ENDED") else 0)),
            "createdDate": iso(created_ms),
            "updatedDate": iso(updated_ms),
            "poolDefinitionId": plan.pool_definition_id,
            "programDefinitionId": plan.program_definition_id,
            "programId": program_id,
            "status": status,
            "beneficiary": beneficiary,
            "details": plan.details,
            "displayName": plan.name,
            "namespace": NAMESPACE,
            "programDefinition": plan.program_definition,
            "program": {"id": program_id, "externalId": program_external_id, "displayName": plan.name},
            "poolDefinitionRevision": "1",
            "renewalCount": renewal_count,
        }
        if plan.credits is None and self.plans_without_credits == "no_pool":
            return pool
        self.pools.append(pool)
        self._pools_by_id[pool_id] = pool
        self._pools_by_member.setdefault(member_id, []).append(pool_id)
        self._pool_by_program[program_id] = pool_id
        if plan.credits is None:
            if self.plans_without_credits == "zero_balance":
                self._balances[pool_id] = {
                    "id": pool_id,
                    "revision": "0",
                    "createdDate": pool["createdDate"],
                    "updatedDate": pool["createdDate"],
                    "beneficiary": beneficiary,
                    "amount": {"available": "0", "reserved": "0"},
                    "poolInfo": {
                        "id": pool_id,
                        "poolDefinitionId": plan.pool_definition_id,
                        "programDefinitionId": plan.program_definition_id,
                        "programId": program_id,
                        "namespace": NAMESPACE,
                        "externalProgramDefinitionId": plan.external_id,
                        "externalProgramId": program_external_id,
                        "creditRolloverConfiguration": {"enabled": False},
                        "status": status,
                    },
                }
            return pool
        spec = HistorySpec(ordinal, hseed, plan.key, renewal_count + 1, available, reserved, start_ms, end_ms)
        self._specs[pool_id] = spec
        n_tx, last_ms = history_summary(spec)
        rollover: dict[str, Any] = {"enabled": plan.rollover}
        if plan.rollover:
            rollover["balanceCap"] = plan.balance_cap
        self._balances[pool_id] = {
            "id": pool_id,
            "revision": str(n_tx),
            "createdDate": pool["createdDate"],
            "updatedDate": iso(last_ms),
            "beneficiary": beneficiary,
            "amount": {"available": fmt(available), "reserved": fmt(reserved)},
            "poolInfo": {
                "id": pool_id,
                "poolDefinitionId": plan.pool_definition_id,
                "programDefinitionId": plan.program_definition_id,
                "programId": program_id,
                "creditAmount": plan.credits,
                "namespace": NAMESPACE,
                "externalProgramDefinitionId": plan.external_id,
                "externalProgramId": program_external_id,
                "creditRolloverConfiguration": rollover,
                "status": status,
            },
            "lastTransactionId": self._tx_id(ordinal, n_tx - 1),
        }
        return pool

    def add_pool(self, member_id: str, plan_key: str, available="5", reserved="0", status: str = "ACTIVE") -> dict:
        """Give a member a new pool of plan ``plan_key`` (see ``sandbox.plans.PLANS``) and return it.

        Its balance (unless the plan is unlimited) holds ``available``/``reserved``; a consistent
        history (grant, redemptions, reservations) is generated lazily like the seed's.
        """
        if plan_key not in PLANS:
            raise KeyError(f"unknown plan {plan_key!r}; expected one of {sorted(PLANS)}")
        with self.lock:
            if member_id not in self._members_by_id:
                raise KeyError(f"unknown member {member_id}")
            now = now_ms()
            return self.make_pool(
                member_id=member_id,
                plan=PLANS[plan_key],
                status=status,
                pool_id=self.new_id(),
                program_id=self.new_id(),
                program_external_id=self.new_id(),
                created_ms=now - HOUR_MS,
                updated_ms=now - HOUR_MS,
                renewal_count=0,
                available=dec(available),
                reserved=dec(reserved),
                start_ms=now - HOUR_MS,
                end_ms=now - 1000,
                hseed=self._rng.getrandbits(48),
            )

    def set_pool_status(self, pool_id: str, status: str) -> None:
        """Change a pool's status (mirrored on its balance's ``poolInfo.status``)."""
        with self.lock:
            self.changes += 1
            pool = self._pools_by_id[pool_id]
            pool["status"] = status
            pool["revision"] = str(int(pool["revision"]) + 1)
            pool["updatedDate"] = iso(now_ms())
            bal = self._balances.get(pool_id)
            if bal is not None:
                bal["poolInfo"]["status"] = status

    # ------------------------------------------------------------------ programs
    def program_for_pool(self, pool: dict) -> dict:
        status = {"RENEWING": "ACTIVE", "PENDING": "PROVISIONING"}.get(pool["status"], pool["status"])
        pd = pool["programDefinition"]
        return {
            "id": pool["programId"],
            "revision": pool["revision"],
            "createdDate": pool["createdDate"],
            "updatedDate": pool["updatedDate"],
            "programDefinitionId": pool["programDefinitionId"],
            "status": status,
            "beneficiary": pool["beneficiary"],
            "displayName": pool["displayName"],
            "namespace": pool["namespace"],
            "externalId": pool["program"]["externalId"],
            "programDefinition": {"id": pd["id"], "externalId": pd["externalId"]},
        }

    def pool_for_program(self, program_id: str) -> dict | None:
        pid = self._pool_by_program.get(program_id)
        return self._pools_by_id.get(pid) if pid else None

    # ------------------------------------------------------------------ transactions
    def transactions_for(self, pool_id: str) -> list[dict]:
        """The pool's transactions, oldest first (generated on first access)."""
        with self.lock:
            return list(self._history(pool_id))

    def _history(self, pool_id: str) -> list[dict]:
        hist = self._histories.get(pool_id)
        if hist is not None:
            return hist
        spec = self._specs.get(pool_id)
        hist = []
        if spec is not None:
            hist = self._materialize(self._pools_by_id[pool_id], spec)
        self._histories[pool_id] = hist
        for tx in hist:
            self._tx_by_id[tx["id"]] = tx
        return hist

    def scan_transactions(self, pred, since: str | None = None) -> list[dict]:
        """All transactions matching ``pred``, without caching the histories it had to generate.

        ``since``: an ISO lower bound on ``createdDate`` implied by the filter; pools whose balance
        was last updated before it are skipped without generating anything (the polling recipe).
        """
        since_ms = None
        if since is not None:
            try:
                since_ms = int(datetime.datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp() * 1000) - 1
            except ValueError:
                since, since_ms = None, None
        out: list[dict] = []
        for pool in self.pools:
            pid = pool["id"]
            hist = self._histories.get(pid)
            if hist is None:
                spec = self._specs.get(pid)
                if spec is None:
                    continue
                if since is not None and self._balances[pid]["updatedDate"] < since:
                    continue
                hist = self._materialize(pool, spec, since_ms)
            out.extend(t for t in hist if pred(t))
        return out

    def find_transaction(self, tx_id: str) -> dict | None:
        with self.lock:
            tx = self._tx_by_id.get(tx_id)
            if tx is not None:
                return tx
            try:
                node = int(tx_id[-12:], 16) ^ self._tx_mask
            except ValueError:
                return None
            ordinal = node >> 16
            if ordinal < len(self.pools):
                pid = self.pools[ordinal]["id"]
                if pid not in self._histories:
                    self._history(pid)
                    return self._tx_by_id.get(tx_id)
            return None

    def _pool_ref(self, pool: dict) -> dict:
        bal = self._balances.get(pool["id"])
        info = bal["poolInfo"] if bal else {}
        benefits = pool["details"].get("benefits") or [{}]
        return {
            "id": pool["id"],
            "poolDefinitionId": pool["poolDefinitionId"],
            "programDefinitionId": pool["programDefinitionId"],
            "externalProgramDefinitionId": info.get("externalProgramDefinitionId", ""),
            "programId": pool["programId"],
            "externalProgramId": pool["program"]["externalId"],
            "creditAmount": info.get("creditAmount", "0"),
            "namespace": pool["namespace"],
            "displayName": pool["displayName"],
            "benefitDisplayName": benefits[0].get("displayName", ""),
        }

    def _materialize(self, pool: dict, spec: HistorySpec, since_ms: int | None = None) -> list[dict]:
        """Build the seeded transaction dicts (all, or only those at/after ``since_ms``).

        Each event is decorated from its own RNG (seeded by pool seed + index), so a suffix of the
        history is identical to the same events of the full history.
        """
        skel = history_skeleton(spec)
        start = 0
        if since_ms is not None:
            start = bisect.bisect_left([e[0] for e in skel], since_ms)
        ref = self._pool_ref(pool)
        member = pool["beneficiary"]
        benefit = (pool["details"].get("benefits") or [{}])[0]
        prog = pool["programId"][:8]
        out = []
        for idx in range(start, len(skel)):
            ms, kind, amount = skel[idx]
            source, target = _DIRECTION[kind]
            ts = iso(ms)
            rng = random.Random((spec.hseed << 16) ^ idx)
            details: dict = {"effectiveDate": ts}
            instructing = None
            related = None
            if kind == "grant":
                details["reason"] = "Plan purchase"
                key = f"provision-{prog}"
            elif kind == "renewal":
                details["reason"] = "Renewal"
                key = f"renewal-{prog}-{idx}"
            elif kind == "forfeit":
                details["reason"] = "Rollover cap at renewal" if PLANS[spec.plan_key].rollover else "Unused credits expired"
                key = f"rollover-{prog}-{idx}"
            elif kind in ("redeem", "reserve"):
                details, instructing, key = self._booking(rng, kind, ms, benefit, member)
            elif kind == "consume":
                # its reservation is the event just before it (pairs are adjacent in the skeleton)
                res_ms = skel[idx - 1][0]
                res_details, _i, _k = self._booking(
                    random.Random((spec.hseed << 16) ^ (idx - 1)), "reserve", res_ms, benefit, member
                )
                details = {
                    "reason": "Attended class",
                    "effectiveDate": ts,
                    "itemCount": 1,
                    "item": res_details["item"],
                    "benefitKey": res_details.get("benefitKey", ""),
                }
                related = self._tx_id(spec.ordinal, idx - 1)
                key = f"attend-{rng.getrandbits(64):016x}"
            else:  # manual adjustments
                reasons = ADJUST_UP_REASONS if kind == "adjust_up" else ADJUST_DOWN_REASONS
                details["reason"] = rng.choice(reasons)
                instructing = {"wixUserId": rng.choice(STAFF_USER_IDS)}
                key = f"adjust-{rng.getrandbits(64):016x}"
            tx_id = self._tx_id(spec.ordinal, idx)
            out.append(transaction(tx_id, ts, ref, amount, source, target, member, details, key, instructing, related))
        return out

    @staticmethod
    def _booking(rng: random.Random, kind: str, ms: int, benefit: dict, member: dict):
        cls = rng.choice(CLASS_NAMES)
        class_ms = ms + (2 + int(rng.random() * 95)) * HOUR_MS if kind == "reserve" else ms
        details = {
            "item": {
                "id": guid_from_rng(rng),
                "externalId": guid_from_rng(rng),
                "category": "class",
                "itemSetId": benefit.get("itemSetId", ""),
                "displayName": cls,
                "providerAppId": BOOKINGS_APP_ID,
            },
            "itemCount": 1,
            "effectiveDate": iso(class_ms),
            "reason": "Redemption" if kind == "redeem" else "Reservation",
            "benefitKey": benefit.get("benefitKey", ""),
        }
        instructing = dict(member) if rng.random() < 0.8 else {"wixUserId": STAFF_USER_IDS[1]}
        return details, instructing, f"booking-{rng.getrandbits(64):016x}"

    # ------------------------------------------------------------------ mutations
    def _apply(
        self,
        pool: dict,
        bal: dict,
        source: str,
        target: str,
        amount: Decimal,
        *,
        key,
        details: dict,
        instructing,
        related: str | None = None,
    ) -> dict:
        self.changes += 1
        hist = self._history(pool["id"])
        a = dec(bal["amount"]["available"])
        r = dec(bal["amount"]["reserved"])
        if source == "AVAILABLE":
            a -= amount
        elif source == "RESERVED":
            r -= amount
        if target == "AVAILABLE":
            a += amount
        elif target == "RESERVED":
            r += amount
        ts, ref, member = iso(now_ms()), self._pool_ref(pool), pool["beneficiary"]
        tx = transaction(self.new_id(), ts, ref, amount, source, target, member, details, key, instructing, related)
        hist.append(tx)
        self._tx_by_id[tx["id"]] = tx
        bal["amount"] = {"available": fmt(a), "reserved": fmt(r)}
        bal["revision"] = str(int(bal["revision"]) + 1)
        bal["updatedDate"] = ts
        bal["lastTransactionId"] = tx["id"]
        return tx

    def change_balance(
        self,
        pool_id: str,
        *,
        op: str,
        value: Decimal,
        idempotency_key: str,
        reason: str | None = None,
        instructing_party: dict | None = None,
        transaction_details: dict | None = None,
        allow_negative: bool = False,
        idempotency_mode: str = "conflict",
    ) -> dict:
        """Apply ADJUST/SET. Returns the response body. Raises WixError on business errors."""
        from .errors import application_error

        with self.lock:
            prior = self._idempotency.get(idempotency_key)
            if prior is not None:
                if idempotency_mode == "replay":
                    return json.loads(prior["response"])
                data = (
                    {}
                    if idempotency_mode == "conflict_no_data"
                    else {"transactionId": prior["transactionId"], "poolId": prior["poolId"]}
                )
                raise application_error(
                    409, "ALREADY_EXECUTED", "ALREADY_EXECUTED: a change with this idempotencyKey was already executed", data
                )
            pool = self._pools_by_id.get(pool_id)
            if pool is None:
                raise application_error(404, "POOL_NOT_FOUND", f"Pool {pool_id} not found", {"poolId": pool_id})
            bal = self._balances.get(pool_id)
            if bal is None:
                raise application_error(404, "BALANCE_NOT_FOUND", f"Balance {pool_id} not found", {"poolId": pool_id})
            current = dec(bal["amount"]["available"])
            delta = value if op == "ADJUST" else value - current
            if delta == 0:
                body = {"balance": copy.deepcopy(bal)}
                self._idempotency[idempotency_key] = {"poolId": pool_id, "transactionId": None, "response": json.dumps(body)}
                return body
            if current + delta < 0 and not allow_negative:
                raise application_error(
                    428,
                    "BALANCE_EXCEEDED_LIMITS",
                    "BALANCE_EXCEEDED_LIMITS: the change would make the available balance negative",
                    {
                        "balance": dict(bal["amount"]),
                        "requested": fmt(value),
                        "lowerLimit": "0",
                        "sourceBalanceType": "AVAILABLE" if delta < 0 else "EXTERNAL",
                        "targetBalanceType": "EXTERNAL" if delta < 0 else "AVAILABLE",
                    },
                )
            details = {}
            td = transaction_details or {}
            for k in ("item", "itemCount", "benefitKey"):
                if k in td:
                    details[k] = td[k]
            details["effectiveDate"] = td.get("effectiveDate") or iso(now_ms())
            if reason:
                details["reason"] = reason
            src, tgt = ("EXTERNAL", "AVAILABLE") if delta > 0 else ("AVAILABLE", "EXTERNAL")
            tx = self._apply(pool, bal, src, tgt, abs(delta), key=idempotency_key, details=details, instructing=instructing_party)
            body = {"balance": copy.deepcopy(bal), "transactionId": tx["id"]}
            self._idempotency[idempotency_key] = {"poolId": pool_id, "transactionId": tx["id"], "response": json.dumps(body)}
            return body

    def revert_change(self, tx_id: str, *, idempotency_key: str | None = None, instructing_party: dict | None = None) -> dict:
        from .errors import application_error

        with self.lock:
            orig = self.find_transaction(tx_id)
            if orig is None:
                raise application_error(404, "TRANSACTION_NOT_FOUND", f"Transaction {tx_id} not found", {"transactionId": tx_id})
            if tx_id in self._reverted:
                raise application_error(
                    428,
                    "CHANGE_ALREADY_REVERTED",
                    "CHANGE_ALREADY_REVERTED: this change was already reverted",
                    {"originalTransactionId": tx_id, "revertedTransactionId": self._reverted[tx_id]},
                )
            pool = self._pools_by_id[orig["pool"]["id"]]
            bal = self._balances[pool["id"]]
            amount = dec(orig["amount"])
            src, tgt = orig["target"], orig["source"]
            have = {"AVAILABLE": dec(bal["amount"]["available"]), "RESERVED": dec(bal["amount"]["reserved"])}.get(src)
            if have is not None and have < amount:
                raise application_error(
                    428,
                    "NOT_ENOUGH_BALANCE",
                    "NOT_ENOUGH_BALANCE: not enough balance to revert this change",
                    {"balance": dict(bal["amount"]), "requested": fmt(amount)},
                )
            reason = orig.get("details", {}).get("reason")
            details = {"effectiveDate": iso(now_ms()), "reason": f"Revert: {reason}" if reason else "Revert"}
            # Wix ignores Revert's idempotencyKey (required, "handled by the system"): not kept.
            tx = self._apply(pool, bal, src, tgt, amount, key=None, details=details, instructing=instructing_party, related=tx_id)
            self._reverted[tx_id] = tx["id"]
            return {"transactionId": tx["id"]}


_NON_ALNUM = re.compile(r"[\W_]+")


def _slugify(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())
