"""Wire handlers for Wix Bookings, Site Properties and the Benefit Programs pool-item endpoints.

Each handler is ``handler(studio, faults, request) -> body`` like ``sandbox.api``; ``ROUTES_SPEC`` is
appended to the server's route table. Paging styles and metadata keys differ per API, as on Wix:
Reader and Services answer ``pagingMetadata{count, offset, total, tooManyToCount[, cursors]}``,
Attendance and Time Slots ``pagingMetadata{cursors, hasNext}``, Pool Items ``metadata``.
"""

from __future__ import annotations

import copy
import datetime
import re
from decimal import Decimal

from .. import credentials
from ..errors import application_error, validation_error
from ..query import (
    compile_filter,
    decode_cursor,
    encode_cursor,
    is_guid,
    parse_limit,
    sort_items,
    validate_filter,
    validate_sort,
)
from ..studio import iso
from . import catalog
from .store import local_iso, zone

_ID = r"(?P<id>[^/]+)"
_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
_DATE_FIELDS = ("startDate", "endDate", "createdDate", "updatedDate")


def _store(studio):
    store = getattr(studio, "bookings", None)
    if store is None:
        raise application_error(428, "FAILED_PRECONDITION", "FAILED_PRECONDITION: Wix Bookings is not installed on this site")
    return store


def _limit(value, field: str, default: int, maximum: int) -> int:
    if isinstance(value, bool) or not (value is None or isinstance(value, (int, str, float))):
        raise validation_error(field, "must be an integer", "FORMAT")
    return parse_limit(value, field, default, maximum)


def _offset(value, field: str) -> int:
    try:
        off = int(value or 0)
    except (TypeError, ValueError):
        raise validation_error(field, "must be an integer", "FORMAT") from None
    if off < 0:
        raise validation_error(field, "must be at least 0", "MIN")
    return off


def _obj(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation_error(field, "must be an object", "FORMAT")
    return value


def _v3_query(req) -> tuple[dict, dict, int, str | None]:
    """A query body with cursor paging up to 1000: (the body, its `query`, the page size, the cursor if any)."""
    body = req.json_body()
    q = _obj(body.get("query"), "query")
    cp = _obj(q.get("cursorPaging"), "query.cursorPaging")
    return body, q, _limit(cp.get("limit"), "query.cursorPaging.limit", 50, 1000), cp.get("cursor")


def _require_write(req) -> None:
    if credentials.SCOPE_MANAGE not in req.scopes:
        raise application_error(
            403, "PERMISSION_DENIED", "PERMISSION_DENIED: the caller lacks the BOOKINGS.ATTENDANCE_SET permission"
        )


def _utc(value, field: str) -> str:
    """A UTC ISO date from a filter, normalised to the stored ``…hh:mm:ss.sssZ`` form."""
    if not isinstance(value, str):
        raise validation_error(field, "must be an ISO-8601 date", "FORMAT")
    try:
        dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation_error(field, "must be an ISO-8601 date", "FORMAT") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    return iso(int(dt.timestamp() * 1000))


def _normalise_filter(flt, path="filter"):
    """Reader filter keys name the ``item`` one-of (``bookedEntity.item.slot.eventId``): strip it; dates to UTC form."""
    if isinstance(flt, list):
        return [_normalise_filter(f, path) for f in flt]
    if not isinstance(flt, dict):
        return flt
    out = {}
    for key, cond in flt.items():
        if key in ("$and", "$or", "$not"):
            out[key] = _normalise_filter(cond, path)
            continue
        field = key.replace("bookedEntity.item.", "bookedEntity.", 1)
        if field in _DATE_FIELDS:
            if isinstance(cond, dict):
                cond = {
                    op: ([_utc(v, f"{path}.{key}") for v in arg] if isinstance(arg, list) else _utc(arg, f"{path}.{key}"))
                    if op != "$exists"
                    else arg
                    for op, arg in cond.items()
                }
            else:
                cond = _utc(cond, f"{path}.{key}")
        out[field] = cond
    return out


# ====================================================================== site properties


def get_site_properties(studio, faults, req):
    store = _store(studio)
    fields = []
    for name in ("fields", "fields.paths", "fields.paths[]"):
        for v in req.query.get(name) or []:
            fields.extend(p.strip() for p in v.split(",") if p.strip())
    props = store.site_properties()
    if fields:
        props = {k: v for k, v in props.items() if k in fields}
    return {"version": "7", "properties": props}


# ====================================================================== services


def _service_page(store, q: dict) -> dict:
    paging = _obj(q.get("paging"), "query.paging")
    limit = _limit(paging.get("limit"), "query.paging.limit", 100, 100)
    offset = _offset(paging.get("offset"), "query.paging.offset")
    flt = q.get("filter") or {}
    validate_filter(flt)
    sort = validate_sort(q.get("sort"), "query.sort") or [{"fieldName": "createdDate", "order": "ASC"}]
    pred = compile_filter(flt)
    items = sort_items([s for s in store.services if pred(s)], sort, tiebreak="sortOrder")
    page = items[offset : offset + limit]
    return {
        "services": copy.deepcopy(page),
        "pagingMetadata": {"count": len(page), "offset": offset, "total": len(items), "tooManyToCount": False},
    }


def query_services(studio, faults, req):
    store = _store(studio)
    body = req.json_body()
    q = _obj(body.get("query"), "query")
    if "cursorPaging" in q:
        raise validation_error("query.cursorPaging", "is not supported: services use offset paging", "OTHER")
    with studio.lock:
        return _service_page(store, q)


def get_service(studio, faults, req):
    store = _store(studio)
    sid = req.params["id"]
    if not is_guid(sid):
        raise validation_error("serviceId", "must be a valid GUID", "FORMAT")
    svc = store.services_by_id.get(sid)
    if svc is None:
        raise application_error(404, "SERVICE_NOT_FOUND", f"Service {sid} not found", {"serviceId": sid})
    return {"service": copy.deepcopy(svc)}


# ====================================================================== time slots


def _local(value, field: str) -> str:
    if not isinstance(value, str) or not _LOCAL_RE.match(value):
        raise validation_error(field, "must be a local date-time YYYY-MM-DDThh:mm:ss (no offset)", "FORMAT")
    return value[:19]


def _slot(store, ev: dict, tz) -> dict:
    booked, waiting = store.remaining(ev)
    cap = ev["capacity"]
    remaining = max(0, cap - booked)
    past = ev["start"] <= store.now_ms
    wl_cap = ev["waitlist"]
    reserved_for_waitlist = waiting > 0 and remaining > 0
    bookable_cap = 0 if reserved_for_waitlist else remaining
    reasons = {
        "noRemainingCapacity": remaining == 0,
        "violatesBookingPolicy": past,
        "reservedForWaitingList": reserved_for_waitlist,
        "eventCancelled": ev["cancelled"],
    }
    event_info = {"eventId": ev["eventId"], "eventTitle": ev["title"]}
    if wl_cap:
        event_info["waitingList"] = {"totalCapacity": wl_cap, "remainingCapacity": max(0, wl_cap - waiting)}
    return {
        "serviceId": ev["serviceId"],
        "scheduleId": ev["scheduleId"],
        "localStartDate": local_iso(ev["start"], tz),
        "localEndDate": local_iso(ev["end"], tz),
        "bookable": not any(reasons.values()),
        "allDay": False,
        "location": {
            "id": catalog.LOCATION["id"],
            "name": catalog.LOCATION["name"],
            "formattedAddress": catalog.LOCATION["formattedAddress"],
            "locationType": "BUSINESS",
        },
        "eventInfo": event_info,
        "totalCapacity": cap,
        "remainingCapacity": remaining,
        "bookableCapacity": bookable_cap,
        "bookingPolicyViolations": {"tooEarlyToBook": False, "tooLateToBook": past, "bookOnlineDisabled": False},
        "nonBookableReasons": reasons,
        "availableResources": [],
    }


def list_event_time_slots(studio, faults, req):
    store = _store(studio)
    body = req.json_body()
    paging = _obj(body.get("cursorPaging"), "cursorPaging")
    limit = _limit(paging.get("limit"), "cursorPaging.limit", 50, 1000)
    cursor = paging.get("cursor")
    if cursor:
        state = decode_cursor("time-slots", cursor)
    else:
        if body.get("fromLocalDate") in (None, ""):
            raise validation_error("fromLocalDate", "must not be empty", "REQUIRED_FIELD")
        if body.get("toLocalDate") in (None, ""):
            raise validation_error("toLocalDate", "must not be empty", "REQUIRED_FIELD")
        frm, to = _local(body["fromLocalDate"], "fromLocalDate"), _local(body["toLocalDate"], "toLocalDate")
        if to < frm:
            raise validation_error("toLocalDate", "must not be before fromLocalDate", "OTHER")
        tz_name = body.get("timeZone") or store.time_zone
        if not isinstance(tz_name, str) or len(tz_name) > 100:
            raise validation_error("timeZone", "must be an IANA time zone name", "FORMAT")
        try:
            zone(tz_name)
        except ValueError:
            raise validation_error("timeZone", f"unknown time zone {tz_name!r}", "FORMAT") from None
        services = body.get("serviceIds") or []
        if not isinstance(services, list) or len(services) > 100 or not all(isinstance(s, str) for s in services):
            raise validation_error("serviceIds", "must be a list of at most 100 ids", "MAX_SIZE")
        nb = body.get("includeNonBookable")
        min_cap = body.get("minBookableCapacity")
        if min_cap is not None and (isinstance(min_cap, bool) or not isinstance(min_cap, int)):
            raise validation_error("minBookableCapacity", "must be an integer", "FORMAT")
        state = {"from": frm, "to": to, "tz": tz_name, "svc": services, "nb": nb is not False, "min": min_cap, "o": 0}
    tz = zone(state["tz"])
    with studio.lock:
        slots = []
        for ev in store.events:
            if ev["kind"] != "CLASS":
                continue  # appointments and courses are not event time slots
            if state["svc"] and ev["serviceId"] not in state["svc"]:
                continue
            local = local_iso(ev["start"], tz)
            if not (state["from"] <= local < state["to"]):
                continue
            slot = _slot(store, ev, tz)
            if not state["nb"] and not slot["bookable"]:
                continue
            if state["min"] is not None and slot["bookableCapacity"] < state["min"]:
                continue
            slots.append(slot)
        slots.sort(key=lambda s: (s["localStartDate"], s["eventInfo"]["eventId"]))
    offset = int(state.get("o", 0))
    page = slots[offset : offset + limit]
    end = offset + len(page)
    has_next = end < len(slots)
    cursors = {}
    if has_next:
        cursors["next"] = encode_cursor("time-slots", {**state, "o": end})
    if offset:
        cursors["prev"] = encode_cursor("time-slots", {**state, "o": max(0, offset - limit)})
    return {"timeSlots": page, "timeZone": state["tz"], "pagingMetadata": {"cursors": cursors, "hasNext": has_next}}


# ====================================================================== extended bookings (Reader V2)

_READER_DEFAULT_SORT = [{"fieldName": "createdDate", "order": "DESC"}]


def _reader_query(body: dict, kind: str):
    q = _obj(body.get("query"), "query")
    cp, op = q.get("cursorPaging"), q.get("paging")
    if cp is not None and op is not None:
        raise validation_error("query", "cursorPaging and paging cannot be used together", "OTHER")
    if op is not None:
        op = _obj(op, "query.paging")
        limit = _limit(op.get("limit"), "query.paging.limit", 50, 100)
        flt = _normalise_filter(q.get("filter") or {}, "query.filter")
        validate_filter(flt)
        sort = validate_sort(q.get("sort")) or _READER_DEFAULT_SORT
        return flt, sort, _offset(op.get("offset"), "query.paging.offset"), limit, False
    cp = _obj(cp, "query.cursorPaging")
    limit = _limit(cp.get("limit"), "query.cursorPaging.limit", 50, 100)
    if cp.get("cursor"):
        state = decode_cursor(kind, cp["cursor"])
        return state.get("f") or {}, state.get("s") or _READER_DEFAULT_SORT, int(state.get("o", 0)), limit, True
    flt = _normalise_filter(q.get("filter") or {}, "query.filter")
    validate_filter(flt)
    sort = validate_sort(q.get("sort")) or _READER_DEFAULT_SORT
    return flt, sort, 0, limit, True


def _matching_bookings(store, flt, sort):
    pred = compile_filter(flt)
    return sort_items([b for b in store.bookings if pred(b)], sort)


def _extended(store, booking: dict, body: dict) -> dict:
    out = {"booking": copy.deepcopy(booking)}
    if body.get("withBookingAttendanceInfo"):
        ent = booking["bookedEntity"]
        att = None
        if "slot" in ent:
            att = store.attendance_for(booking["id"], ent["slot"]["eventId"])
        else:  # a course booking: the latest session's attendance
            atts = [a for a in store.attendance.values() if a["bookingId"] == booking["id"]]
            att = max(atts, key=lambda a: a["eventId"]) if atts else None
        if att is None:
            out["attendance"] = {"status": "NOT_SET", "numberOfAttendees": 0}
        else:
            out["attendance"] = {"id": att["id"], "status": att["status"], "numberOfAttendees": att["numberOfAttendees"]}
    if body.get("withBookingAllowedActions"):
        open_ = booking["status"] in ("CONFIRMED", "PENDING", "CREATED", "WAITING_LIST") and booking["endDate"] > iso(store.now_ms)
        out["allowedActions"] = {"cancel": open_, "reschedule": open_ and "slot" in booking["bookedEntity"]}
    return out


def query_extended_bookings(studio, faults, req):
    store = _store(studio)
    body = req.json_body()
    flt, sort, offset, limit, cursor_mode = _reader_query(body, "extended-bookings")
    with studio.lock:
        items = _matching_bookings(store, flt, sort)
        page = items[offset : offset + limit]
        end = offset + len(page)
        meta = {"count": len(page), "offset": offset, "total": len(items), "tooManyToCount": False}
        if cursor_mode:
            cursors = {}
            if end < len(items):
                cursors["next"] = encode_cursor("extended-bookings", {"f": flt, "s": sort, "o": end})
            if offset:
                cursors["prev"] = encode_cursor("extended-bookings", {"f": flt, "s": sort, "o": max(0, offset - limit)})
            meta["cursors"] = cursors
        return {"extendedBookings": [_extended(store, b, body) for b in page], "pagingMetadata": meta}


def count_extended_bookings(studio, faults, req):
    store = _store(studio)
    body = req.json_body()
    flt = _normalise_filter(body.get("filter") or {}, "filter")
    validate_filter(flt)
    with studio.lock:
        pred = compile_filter(flt)
        return {"count": sum(1 for b in store.bookings if pred(b))}


# ====================================================================== attendance

_ATT_FIELDS = {"id", "bookingId", "eventId", "sessionId", "status", "numberOfAttendees"}
_ATT_STATUSES = ("NOT_SET", "ATTENDED", "NOT_ATTENDED")


def _attendance_filter(flt, field="query.filter"):
    flt = _obj(flt, field)
    keys = [k for k in flt if not k.startswith("$")]
    if len(flt) > 1 or any(k.startswith("$") for k in flt):
        raise validation_error(field, "only one filter field is supported per attendance query", "OTHER")
    for k in keys:
        if k not in _ATT_FIELDS:
            raise validation_error(f"{field}.{k}", "is not a supported filter field", "OTHER")
    validate_filter(flt)
    return flt


def query_attendance(studio, faults, req):
    store = _store(studio)
    _, q, limit, cursor = _v3_query(req)
    if cursor:
        state = decode_cursor("attendance", cursor)
        flt, sort, offset = state.get("f") or {}, state.get("s"), int(state.get("o", 0))
    else:
        flt = _attendance_filter(q.get("filter") or {})
        sort = validate_sort(q.get("sort")) or [{"fieldName": "id", "order": "ASC"}]
        offset = 0
    with studio.lock:
        pred = compile_filter(flt)
        items = sort_items([a for a in store.attendance.values() if pred(a)], sort)
    page = items[offset : offset + limit]
    end = offset + len(page)
    has_next = end < len(items)
    cursors = {}
    if has_next:
        cursors["next"] = encode_cursor("attendance", {"f": flt, "s": sort, "o": end})
    if offset:
        cursors["prev"] = encode_cursor("attendance", {"f": flt, "s": sort, "o": max(0, offset - limit)})
    return {"attendances": copy.deepcopy(page), "pagingMetadata": {"cursors": cursors, "hasNext": has_next}}


def count_attendance(studio, faults, req):
    _store(studio)
    # Wix counts only the calling member's attendances; an API key or app is no member.
    raise application_error(
        403, "PERMISSION_DENIED", "PERMISSION_DENIED: Count Attendances is available to site members only; page Query Attendance"
    )


class _ItemError(Exception):
    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code, self.description = code, description


def _missing(att) -> bool:
    return not isinstance(att, dict) or not att.get("bookingId") or not att.get("status")


def _set_one(store, att: dict, now_ms_: int) -> dict:
    bid = att["bookingId"]
    status = att["status"]
    if status not in _ATT_STATUSES:
        raise _ItemError("INVALID_ARGUMENT", f"status must be one of {', '.join(_ATT_STATUSES)}")
    event_id = att.get("eventId") or att.get("sessionId")
    if not event_id:
        raise _ItemError("SESSION_ID_NOT_PROVIDED", "SESSION_ID_NOT_PROVIDED: eventId (or sessionId) is required")
    if not isinstance(event_id, str) or not (1 <= len(event_id) <= 250):
        raise _ItemError("INVALID_ARGUMENT", "eventId must be 1-250 characters")
    booking = store.bookings_by_id.get(bid) if isinstance(bid, str) else None
    if booking is None:
        raise _ItemError("BOOKING_NOT_FOUND", f"Booking {bid} not found")
    ev = store.events_by_id.get(event_id)
    ent = booking["bookedEntity"]
    belongs = ev is not None and (
        ("slot" in ent and ent["slot"]["eventId"] == event_id)
        or ("schedule" in ent and ev["kind"] == "COURSE" and ev["scheduleId"] == ent["schedule"]["scheduleId"])
    )
    if not belongs:
        raise _ItemError("SESSION_NOT_FOUND", f"Session {event_id} is not a session of booking {bid}")
    count = att.get("numberOfAttendees")
    if count is None:
        count = 1 if status == "ATTENDED" else 0
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _ItemError("INVALID_ARGUMENT", "numberOfAttendees must be a non-negative integer")
    return store.set_attendance(booking, event_id, status, count, now_ms_)


def set_attendance(studio, faults, req):
    from ..studio import now_ms

    store = _store(studio)
    _require_write(req)
    body = req.json_body()
    att = body.get("attendance")
    if not isinstance(att, dict):
        raise validation_error("attendance", "must not be empty", "REQUIRED_FIELD")
    if not att.get("bookingId"):
        raise validation_error("attendance.bookingId", "must not be empty", "REQUIRED_FIELD")
    if not att.get("status"):
        raise validation_error("attendance.status", "must not be empty", "REQUIRED_FIELD")
    with studio.lock:
        try:
            result = _set_one(store, att, now_ms())
        except _ItemError as e:
            if e.code == "SESSION_ID_NOT_PROVIDED":
                raise application_error(400, e.code, e.description) from None
            if e.code in ("BOOKING_NOT_FOUND", "SESSION_NOT_FOUND"):
                raise application_error(404, e.code, e.description, {"bookingId": att.get("bookingId")}) from None
            raise validation_error("attendance", e.description, "OTHER") from None
        return {"attendance": copy.deepcopy(result)}


def bulk_set_attendance(studio, faults, req):
    from ..studio import now_ms

    store = _store(studio)
    _require_write(req)
    body = req.json_body()
    details = body.get("attendanceDetails")
    if not isinstance(details, list) or not details:
        raise application_error(400, "ATTENDANCES_MISSING_IN_REQUEST", "ATTENDANCES_MISSING_IN_REQUEST: attendanceDetails is empty")
    if len(details) > 8:
        raise validation_error("attendanceDetails", "must contain at most 8 items", "MAX_SIZE", {"max": 8})
    if any(not isinstance(d, dict) or _missing(d.get("attendance")) for d in details):
        raise application_error(
            400,
            "ATTENDANCES_MISSING_IN_REQUEST",
            "ATTENDANCES_MISSING_IN_REQUEST: every item needs attendance.bookingId and attendance.status",
        )
    full = bool(body.get("returnFullEntity"))
    results, ok = [], 0
    with studio.lock:
        now = now_ms()
        for i, d in enumerate(details):
            try:
                att = _set_one(store, d["attendance"], now)
                entry = {"itemMetadata": {"id": att["id"], "originalIndex": i, "success": True}}
                if full:
                    entry["item"] = copy.deepcopy(att)
                ok += 1
            except _ItemError as e:
                entry = {
                    "itemMetadata": {
                        "originalIndex": i,
                        "success": False,
                        "error": {"code": e.code, "description": e.description, "data": {}},
                    }
                }
            results.append(entry)
    return {
        "results": results,
        "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(details) - ok, "undetailedFailures": 0},
    }


def get_attendance(studio, faults, req):
    store = _store(studio)
    aid = req.params["id"]
    with studio.lock:
        att = store.attendance.get(aid)
        if att is None:
            raise application_error(404, "ATTENDANCE_NOT_FOUND", f"Attendance {aid} not found", {"attendanceId": aid})
        return {"attendance": copy.deepcopy(att)}


def delete_attendance(studio, faults, req):
    store = _store(studio)
    _require_write(req)
    aid = req.params["id"]
    with studio.lock:
        if store.delete_attendance(aid) is None:
            raise application_error(404, "ATTENDANCE_NOT_FOUND", f"Attendance {aid} not found", {"attendanceId": aid})
    return {}


def bulk_delete_attendance(studio, faults, req):
    store = _store(studio)
    _require_write(req)
    body = req.json_body()
    ids = body.get("attendanceIds")
    if not isinstance(ids, list) or not ids:
        raise validation_error("attendanceIds", "must not be empty", "REQUIRED_FIELD")
    if len(ids) > 8:
        raise validation_error("attendanceIds", "must contain at most 8 items", "MAX_SIZE", {"max": 8})
    results, ok = [], 0
    with studio.lock:
        for i, aid in enumerate(ids):
            if isinstance(aid, str) and store.delete_attendance(aid) is not None:
                results.append({"itemMetadata": {"id": aid, "originalIndex": i, "success": True}})
                ok += 1
            else:
                err = {"code": "ATTENDANCE_NOT_FOUND", "description": f"Attendance {aid} not found", "data": {}}
                results.append({"itemMetadata": {"id": aid, "originalIndex": i, "success": False, "error": err}})
    return {
        "results": results,
        "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(ids) - ok, "undetailedFailures": 0},
    }


# ====================================================================== Benefit Programs: pool items, eligible pools


def _pool_items(studio, pool: dict) -> list[dict]:
    key = catalog.plan_key_of(pool)
    if key is None:
        return []
    benefit = pool["details"]["benefits"][0]
    out = []
    for s in catalog.SERVICES.values():
        if key not in s.plan_keys:
            continue
        out.append(
            {
                "id": catalog.uid(f"pool-item:{pool['id']}:{s.id}"),
                "revision": "1",
                "createdDate": pool["createdDate"],
                "updatedDate": pool["createdDate"],
                "externalId": s.id,
                "category": "",
                "providerAppId": catalog.BOOKINGS_APP_ID,
                "namespace": pool["namespace"],
                "poolId": pool["id"],
                "programId": pool["programId"],
                "externalProgramId": pool["program"]["externalId"],
                "programDefinitionId": pool["programDefinitionId"],
                "externalProgramDefinitionId": pool["programDefinition"]["externalId"],
                "poolDefinitionId": pool["poolDefinitionId"],
                "itemSetId": benefit["itemSetId"],
                "itemId": catalog.uid(f"item:{benefit['itemSetId']}:{s.id}"),
                "benefitKey": benefit["benefitKey"],
                "beneficiary": pool["beneficiary"],
                "itemSearchKey": f"{catalog.BOOKINGS_APP_ID}//{s.id}",
                "removed": False,
            }
        )
    return out


def query_pool_items(studio, faults, req):
    body, q, limit, cursor = _v3_query(req)
    fields = body.get("fields") or []
    if not isinstance(fields, list):
        raise validation_error("fields", "must be a list", "FORMAT")
    if cursor:
        state = decode_cursor("pool-items", cursor)
        flt, sort, offset, fields = state.get("f") or {}, state.get("s"), int(state.get("o", 0)), state.get("x") or []
    else:
        flt = q.get("filter") or {}
        validate_filter(flt)
        sort = validate_sort(q.get("sort")) or [{"fieldName": "createdDate", "order": "DESC"}]
        offset = 0
    from ..query import equality_values

    with studio.lock:
        members = equality_values(flt, "beneficiary.memberId")
        if members is not None:
            pools = [studio._pools_by_id[p] for m in members for p in studio.pool_ids_for(m)]
        else:
            pools = studio.pools
        pred = compile_filter(flt)
        items = sort_items([it for p in pools for it in _pool_items(studio, p) if pred(it)], sort)
        page = copy.deepcopy(items[offset : offset + limit])
        for it in page:
            pool = studio._pools_by_id[it["poolId"]]
            if "POOL" in fields:
                it["pool"] = copy.deepcopy(pool)
            if "BALANCE" in fields:
                bal = studio._balances.get(pool["id"])
                it["balance"] = {"available": bal["amount"]["available"] if bal else "0"}
            if "BENEFIT" in fields:
                b = pool["details"]["benefits"][0]
                it["benefitInfo"] = {"price": b["price"], "displayName": b["displayName"], "description": b.get("description", "")}
            if "ITEM" in fields:
                svc = catalog.SERVICES_BY_ID[it["externalId"]]
                it["itemInfo"] = {"displayName": svc.name}
    end = offset + len(page)
    has_next = end < len(items)
    nxt = encode_cursor("pool-items", {"f": flt, "s": sort, "x": fields, "o": end}) if has_next else None
    prv = encode_cursor("pool-items", {"f": flt, "s": sort, "x": fields, "o": max(0, offset - limit)}) if offset else None
    return {"poolItems": page, "metadata": {"count": len(page), "cursors": {"next": nxt, "prev": prv}, "hasNext": has_next}}


def eligible_pools(studio, faults, req):
    body = req.json_body()
    ref = body.get("itemReference")
    if not isinstance(ref, dict) or not ref.get("externalId") or not ref.get("providerAppId"):
        raise application_error(
            400, "INVALID_ITEM_REFERENCE", "INVALID_ITEM_REFERENCE: itemReference needs externalId and providerAppId"
        )
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise validation_error("count", "must be a positive integer", "MIN")
    beneficiary = _obj(body.get("beneficiary"), "beneficiary")
    member_id = beneficiary.get("memberId")
    if not member_id:
        raise validation_error("beneficiary.memberId", "must not be empty", "REQUIRED_FIELD")
    if not is_guid(member_id):
        raise validation_error("beneficiary.memberId", "must be a valid GUID", "FORMAT")
    namespace = body.get("namespace")
    target = body.get("targetDate")
    if target is not None:
        _utc(target, "targetDate")
    if (ref.get("category") or "") != "" or ref["providerAppId"] != catalog.BOOKINGS_APP_ID:
        return {"eligibleBenefits": []}
    out = []
    with studio.lock:
        for pid in studio.pool_ids_for(member_id):
            pool = studio._pools_by_id[pid]
            if pool["status"] != "ACTIVE" or (namespace and pool["namespace"] != namespace):
                continue
            key = catalog.plan_key_of(pool)
            if key is None or not catalog.covers(key, ref["externalId"]):
                continue
            benefit = pool["details"]["benefits"][0]
            price = Decimal(benefit["price"])
            bal = studio._balances.get(pid)
            if bal is not None and Decimal(bal["amount"]["available"]) < price * count:
                continue
            out.append(
                {
                    "poolId": pid,
                    "benefitKey": benefit["benefitKey"],
                    "itemReference": {"externalId": ref["externalId"], "category": "", "providerAppId": ref["providerAppId"]},
                    "price": benefit["price"],
                }
            )
    return {"eligibleBenefits": out}


# ====================================================================== Calendar V3 events (DOCS only; no SDK package)

_CAL_FILTERS = {"appId", "scheduleId", "externalScheduleId", "type", "recurringEventId", "id", "status", "location.id"}


def _calendar_event(store, ev: dict, tz) -> dict:
    booked, waiting = store.remaining(ev)
    cap = ev["capacity"]
    zone_name = tz.key
    single = ev["kind"] == "APPOINTMENT"
    out = {
        "id": ev["eventId"],
        "scheduleId": ev["scheduleId"],
        "externalScheduleId": ev["serviceId"],
        "scheduleName": ev["title"],
        "appId": catalog.BOOKINGS_APP_ID,
        "type": ev["kind"],
        "status": "CANCELLED" if ev["cancelled"] else "CONFIRMED",
        "title": ev["title"],
        "start": {"localDate": local_iso(ev["start"], tz), "timeZone": zone_name, "utcDate": iso(ev["start"])},
        "end": {"localDate": local_iso(ev["end"], tz), "timeZone": zone_name, "utcDate": iso(ev["end"])},
        "adjustedStart": {"localDate": local_iso(ev["start"], tz), "timeZone": zone_name},
        "adjustedEnd": {"localDate": local_iso(ev["end"], tz), "timeZone": zone_name},
        "allDay": False,
        "recurrenceType": "SINGLE_OCCURRENCE" if single else "INSTANCE",
        "totalCapacity": cap,
        "remainingCapacity": max(0, cap - booked),
        "participants": {"total": booked, "hasMore": False},
        "resources": [{"id": ev["staff"].id, "name": ev["staff"].name, "type": "STAFF", "transparency": "BUSY"}],
        "location": {"id": catalog.LOCATION["id"], "name": catalog.LOCATION["name"], "type": "BUSINESS"},
        "transparency": "BUSY",
        "createdDate": catalog.CATALOG_CREATED,
    }
    if not single:
        out["recurringEventId"] = ev["masterId"]
    return out


def query_calendar_events(studio, faults, req):
    store = _store(studio)
    body, q, limit, cursor = _v3_query(req)
    if cursor:
        state = decode_cursor("calendar-events", cursor)
    else:
        if body.get("fromLocalDate") in (None, "") or body.get("toLocalDate") in (None, ""):
            raise validation_error("fromLocalDate", "fromLocalDate and toLocalDate are required", "REQUIRED_FIELD")
        frm, to = _local(body["fromLocalDate"], "fromLocalDate"), _local(body["toLocalDate"], "toLocalDate")
        tz_name = body.get("timeZone") or store.time_zone
        try:
            zone(tz_name)
        except ValueError:
            raise validation_error("timeZone", f"unknown time zone {tz_name!r}", "FORMAT") from None
        flt = q.get("filter") or {}
        validate_filter(flt)
        for key in flt:
            if not key.startswith("$") and key not in _CAL_FILTERS | {"remainingCapacity", "totalCapacity", "participants.total"}:
                raise validation_error(f"query.filter.{key}", "is not a supported filter field", "OTHER")
        types = body.get("recurrenceType") or ["SINGLE_OCCURRENCE", "INSTANCE", "EXCEPTION"]
        if not isinstance(types, list):
            raise validation_error("recurrenceType", "must be a list", "FORMAT")
        state = {"from": frm, "to": to, "tz": tz_name, "f": flt, "rt": types, "o": 0}
    tz = zone(state["tz"])
    pred = compile_filter(state["f"])
    with studio.lock:
        events = []
        for ev in store.events:
            local = local_iso(ev["start"], tz)
            if not (state["from"] <= local < state["to"]):
                continue
            e = _calendar_event(store, ev, tz)
            if e["recurrenceType"] in state["rt"] and pred(e):
                events.append(e)
    offset = int(state.get("o", 0))
    page = events[offset : offset + limit]
    end = offset + len(page)
    cursors = {}
    if end < len(events):
        cursors["next"] = encode_cursor("calendar-events", {**state, "o": end})
    return {"events": page, "pagingMetadata": {"count": len(page), "cursors": cursors, "hasNext": end < len(events)}}


# ====================================================================== routes

_ATT_PREFIXES = (
    "/bookings/bookings-attendance",
    "/_api/bookings-attendance",
    "/_api/bookings-attendance/v2/attendance",
    "/bookings/attendance",
    "/bookings/attendance/v2/attendance",
    "/bookings/v2/attendance",
)
_BULK_PREFIXES = (
    "/bookings/v2/bulk/attendance",
    "/bookings-attendance/v2/bulk/attendance",
    "/_api/bookings-attendance/v2/bulk/attendance",
    "/bookings/attendance/v2/bulk/attendance",
)


def _routes() -> list[tuple]:
    r = [("GET", "/site-properties/v4/properties", get_site_properties, "site", False)]
    for p in ("/_api/service-availability/v2/time-slots/event", "/service-availability/v2/time-slots/event"):
        r.append(("POST", p, list_event_time_slots, "site", False))
    for p in ("/_api/bookings-reader/v2/extended-bookings", "/bookings/bookings-reader/v2/extended-bookings"):
        r.append(("POST", f"{p}/query", query_extended_bookings, "site", False))
        r.append(("POST", f"{p}/count", count_extended_bookings, "site", False))
    for p in _ATT_PREFIXES:
        r.append(("POST", f"{p}/set", set_attendance, "site", True))
        r.append(("POST", f"{p}/query", query_attendance, "site", False))
        r.append(("POST", f"{p}/count", count_attendance, "site", False))
        r.append(("GET", f"{p}/{_ID}", get_attendance, "site", False))
        r.append(("DELETE", f"{p}/{_ID}", delete_attendance, "site", True))
    for p in _BULK_PREFIXES:
        r.append(("POST", f"{p}/set", bulk_set_attendance, "site", True))
        r.append(("POST", f"{p}/delete", bulk_delete_attendance, "site", True))
    for p in ("/_api/bookings/v2/services", "/bookings/v2/services"):
        r.append(("POST", f"{p}/query", query_services, "site", False))
        r.append(("GET", f"{p}/{_ID}", get_service, "site", False))
    for p in ("/calendar/v3/events/query", "/_api/calendar/v3/events/query"):
        r.append(("POST", p, query_calendar_events, "site", False))
    for p in ("/benefit-programs/v1", "/_api/benefit-programs/v1"):
        r.append(("POST", f"{p}/pool-items/query", query_pool_items, "site", False))
        r.append(("POST", f"{p}/pools/eligible-pools", eligible_pools, "site", False))
    return r


#: (method, path regex, handler, auth kind, mutation?) rows for ``sandbox.server``'s route table.
ROUTES_SPEC = _routes()
