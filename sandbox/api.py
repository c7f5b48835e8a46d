"""Endpoint handlers: pure functions of (studio, faults, request) -> response body (or WixError)."""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import json
import re
from decimal import Decimal

from . import credentials
from .errors import WixError, application_error, validation_error
from .query import (
    check_filter_fields,
    check_sort_fields,
    compile_filter,
    cursor_page,
    cursor_query,
    decode_cursor,
    encode_cursor,
    equality_values,
    is_guid,
    lower_bound,
    make_getter,
    parse_limit,
    sort_items,
    validate_filter,
    validate_sort,
)
from .specs import SPECS
from .studio import dec

DEFAULT_SORT = [{"fieldName": "createdDate", "order": "DESC"}]


@dataclasses.dataclass
class Request:
    method: str
    path: str
    params: dict  # path params
    query: dict  # query string: name -> list[str]
    body: object  # parsed JSON or None
    scopes: frozenset = frozenset()

    def q1(self, name, default=None):
        vals = self.query.get(name)
        return vals[0] if vals else default

    def json_body(self) -> dict:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise validation_error("body", "must be a JSON object", "FORMAT")
        return self.body


def _check_guid(value: str, field: str) -> None:
    if not is_guid(value):
        raise validation_error(field, "must be a valid GUID", "FORMAT")


# ====================================================================== members

_FIELDSETS = ("PUBLIC", "EXTENDED", "FULL")


def _fieldset(values) -> str:
    if not values:
        return "PUBLIC"
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or len(values) > 3:
        raise validation_error("fieldsets", "must be a list of at most 3 items", "FORMAT")
    best = 0
    for v in values:
        if v not in _FIELDSETS:
            raise validation_error("fieldsets", f"unknown fieldset {v!r}", "FORMAT")
        best = max(best, _FIELDSETS.index(v))
    return _FIELDSETS[best]


def _project_member(m: dict, fieldset: str) -> dict:
    if fieldset == "FULL":
        return m
    out = {"id": m["id"]}
    if fieldset == "EXTENDED":
        out["loginEmail"] = m.get("loginEmail")
        out["loginEmailVerified"] = m.get("loginEmailVerified")
        out["status"] = m.get("status", "UNKNOWN")
    else:
        out["status"] = "UNKNOWN"
    out["contactId"] = m.get("contactId")
    out["profile"] = m.get("profile")
    if fieldset == "EXTENDED":
        out["privacyStatus"] = m.get("privacyStatus", "UNKNOWN")
        out["activityStatus"] = m.get("activityStatus", "UNKNOWN")
    else:
        out["privacyStatus"] = "UNKNOWN"
        out["activityStatus"] = "UNKNOWN"
    for k in ("createdDate", "updatedDate", "lastLoginDate"):
        if k in m:
            out[k] = m[k]
    return {k: v for k, v in out.items() if v is not None}


def _members_page(studio, faults, flt, sorting, paging, fieldset, search) -> dict:
    paging = paging or {}
    if not isinstance(paging, dict):
        raise validation_error("query.paging", "must be an object", "FORMAT")
    limit = parse_limit(paging.get("limit"), "query.paging.limit")
    try:
        offset = int(paging.get("offset") or 0)
    except (TypeError, ValueError):
        raise validation_error("query.paging.offset", "must be an integer", "FORMAT") from None
    if offset < 0:
        raise validation_error("query.paging.offset", "must be at least 0", "MIN")
    validate_filter(flt)
    sorting = validate_sort(sorting, "query.sorting")
    check_filter_fields(flt, SPECS["members"], strict=bool(faults.strict_queries))
    if faults.strict_queries:
        check_sort_fields(sorting, SPECS["members"], "query.sorting")
    expr, fields = None, None
    if search:
        if not isinstance(search, dict):
            raise validation_error("search", "must be an object", "FORMAT")
        expr = search.get("expression")
        if expr is not None:
            if not isinstance(expr, str) or not (1 <= len(expr) <= 100):
                raise validation_error("search.expression", "must be 1-100 characters", "MAX_LENGTH")
            expr = expr.casefold()
        fields = search.get("fields") or ["profile.nickname"]
        if not isinstance(fields, list) or len(fields) > 4:
            raise validation_error("search.fields", "must be a list of at most 4 fields", "MAX_SIZE")
    with studio.lock:
        ids = equality_values(flt, "id") if flt else None
        if ids is not None:
            members = [m for m in (studio._members_by_id.get(i) for i in ids) if m is not None]
            members.sort(key=lambda m: studio._member_pos[m["id"]])
        else:
            members = studio.members
        if flt:
            pred = compile_filter(flt)
            members = [m for m in members if pred(m)]
        if expr:
            getters = [make_getter(f) for f in fields or () if isinstance(f, str)]

            def hit(m):
                for get in getters:
                    v = get(m)
                    if isinstance(v, str) and expr in v.casefold():
                        return True
                    if isinstance(v, list) and any(isinstance(x, str) and expr in x.casefold() for x in v):
                        return True
                return False

            members = [m for m in members if hit(m)]
        if sorting:
            members = sort_items(members, sorting, fold=True, tiebreak=None)
        total = len(members)
        page = [copy.deepcopy(_project_member(m, fieldset)) for m in members[offset : offset + limit]]
    if not faults.members_total:
        # Wix may leave out the total (tooManyToCount): a client must page on by full pages instead.
        return {"members": page, "metadata": {"count": len(page), "offset": offset, "tooManyToCount": True}}
    return {"members": page, "metadata": {"count": len(page), "offset": offset, "total": total, "tooManyToCount": False}}


def query_members(studio, faults, req: Request):
    body = req.json_body()
    q = body.get("query") or {}
    if not isinstance(q, dict):
        raise validation_error("query", "must be an object", "FORMAT")
    return _members_page(
        studio,
        faults,
        q.get("filter") or {},
        q.get("sorting"),
        q.get("paging"),
        _fieldset(body.get("fieldsets")),
        body.get("search"),
    )


def list_members(studio, faults, req: Request):
    r = req.q1(".r")
    if r is not None:
        try:
            data = json.loads(base64.urlsafe_b64decode(r + "=" * (-len(r) % 4)))
        except (binascii.Error, ValueError):
            raise validation_error(".r", "invalid encoded request", "FORMAT") from None
        if not isinstance(data, dict):
            raise validation_error(".r", "invalid encoded request", "FORMAT")
        paging = data.get("paging") or {}
        sorting = data.get("sorting")
        fieldsets = data.get("fieldsets")
    else:
        paging = {"limit": req.q1("paging.limit"), "offset": req.q1("paging.offset")}
        names = req.query.get("sorting.fieldName") or []
        orders = req.query.get("sorting.order") or []
        sorting = [{"fieldName": n, "order": orders[i] if i < len(orders) else "ASC"} for i, n in enumerate(names)]
        fieldsets = req.query.get("fieldsets")
    return _members_page(studio, faults, {}, sorting or None, paging, _fieldset(fieldsets), None)


def get_member(studio, faults, req: Request):
    mid = req.params["id"]
    _check_guid(mid, "id")
    fieldset = _fieldset(req.query.get("fieldsets"))
    with studio.lock:
        m = studio.get_member(mid)
        if m is None:
            raise application_error(404, "MEMBER_NOT_FOUND", f"Member {mid} not found", {"memberId": mid})
        return {"member": copy.deepcopy(_project_member(m, fieldset))}


# ====================================================================== pools / balances


def _member_pool_candidates(studio, flt, id_fields=("id",)):
    """Pool ids narrowed by beneficiary.memberId / id fields, or None for a full scan."""
    cands = None
    members = equality_values(flt, "beneficiary.memberId")
    if members is not None:
        cands = {p for m in members for p in studio.pool_ids_for(m)}
    for f in id_fields:
        ids = equality_values(flt, f)
        if ids is not None:
            cands = set(ids) if cands is None else cands & set(ids)
    return cands


def _cursor_results(kind, studio, faults, req, objects_fn, key, default_sort=DEFAULT_SORT):
    body = req.json_body()
    flt, sort, offset, limit = cursor_query(kind, body.get("query"), default_sort, SPECS[kind], bool(faults.strict_queries))
    with studio.lock:
        # Filtering and sorting the whole store costs about a second at 50,000 members, far above any real
        # latency: a walk's later pages reuse its first page's results while the studio has not changed.
        # A first page always computes afresh.
        memo = (kind, json.dumps(flt, sort_keys=True), json.dumps(sort, sort_keys=True), studio.changes)
        items = studio.query_results.get(memo) if offset else None
        if items is None:
            pred = compile_filter(flt)
            items = sort_items([o for o in objects_fn(flt) if pred(o)], sort)
            if len(studio.query_results) >= 8:
                studio.query_results.pop(next(iter(studio.query_results)))
            studio.query_results[memo] = items
        page, meta = cursor_page(kind, items, flt, sort, offset, limit)
        return {key: copy.deepcopy(page), "metadata": meta}


def query_pools(studio, faults, req: Request):
    def objects(flt):
        cands = _member_pool_candidates(studio, flt)
        if cands is None:
            return studio.pools
        return [p for p in (studio._pools_by_id.get(i) for i in cands) if p is not None]

    return _cursor_results("pools", studio, faults, req, objects, "pools")


def _by_id(studio, req: Request, key: str, find, code: str, noun: str, answer=copy.deepcopy):
    """`answer(record)` for the record whose GUID is the path's `id` (validated as `key`), read under the
    studio's lock; Wix's 404 with `code` and {key: id} in its details when there is none."""
    ident = req.params["id"]
    _check_guid(ident, key)
    with studio.lock:
        found = find(ident)
        if found is None:
            raise application_error(404, code, f"{noun} {ident} not found", {key: ident})
        return answer(found)


def get_pool(studio, faults, req: Request):
    return {"pool": _by_id(studio, req, "poolId", studio.get_pool, "POOL_NOT_FOUND", "Pool")}


def get_balance(studio, faults, req: Request):
    return {"balance": _by_id(studio, req, "poolId", studio.balance, "BALANCE_NOT_FOUND", "Balance")}


def _balances_for(studio, flt):
    cands = _member_pool_candidates(studio, flt)
    if cands is None:
        return [studio._balances[p["id"]] for p in studio.pools if p["id"] in studio._balances]
    return [b for b in (studio._balances.get(i) for i in cands) if b is not None]


def query_balances(studio, faults, req: Request):
    return _cursor_results("balances", studio, faults, req, lambda flt: _balances_for(studio, flt), "balances")


def list_balances(studio, faults, req: Request):
    limit = parse_limit(req.q1("cursorPaging.limit"), "cursorPaging.limit")
    cursor = req.q1("cursorPaging.cursor")
    if cursor:
        state = decode_cursor("balances.list", cursor)
        pool_ids, offset = state.get("ids"), int(state.get("o", 0))
    else:
        pool_ids = list(req.query.get("poolIds") or [])
        for k in sorted((k for k in req.query if re.fullmatch(r"poolIds\[\d+\]", k)), key=lambda k: int(k[8:-1])):
            pool_ids.extend(req.query[k])
        if len(pool_ids) > 100:
            raise validation_error("poolIds", "must contain at most 100 items", "MAX_SIZE", {"max": 100})
        for p in pool_ids:
            _check_guid(p, "poolIds")
        pool_ids = list(dict.fromkeys(pool_ids)) or None
        offset = 0
    with studio.lock:
        if pool_ids:
            items = [b for b in (studio._balances.get(p) for p in pool_ids) if b is not None]
        else:
            items = sort_items(_balances_for(studio, {}), DEFAULT_SORT)
        page = items[offset : offset + limit]
        end = offset + len(page)
        has_next = end < len(items)
        nxt = encode_cursor("balances.list", {"ids": pool_ids, "o": end}) if has_next else None
        prv = encode_cursor("balances.list", {"ids": pool_ids, "o": max(0, offset - limit)}) if offset else None
        return {
            "balances": copy.deepcopy(page),
            "metadata": {"count": len(page), "cursors": {"next": nxt, "prev": prv}, "hasNext": has_next},
        }


def _require_manage(req: Request):
    if credentials.SCOPE_MANAGE not in req.scopes:
        raise application_error(
            403,
            "PERMISSION_DENIED",
            "PERMISSION_DENIED: the caller lacks the SCOPE.BENEFIT_PROGRAMS.MANAGE permission",
            {"missingScope": credentials.SCOPE_MANAGE},
        )


def _identification(value, field):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error(field, "must be an object", "FORMAT")
    out = {k: value[k] for k in ("memberId", "wixUserId", "anonymousVisitorId") if value.get(k)}
    if "identityType" in value:
        out["identityType"] = value["identityType"]
    return out or None


READ_ONLY_DETAILS = ("reason", "effectiveDate", "item")


def change_balance(studio, faults, req: Request, apply_only: bool = False):
    _require_manage(req)
    pid = req.params["id"]
    body = req.json_body()
    _check_guid(pid, "poolId")
    key = body.get("idempotencyKey")
    if not key or not isinstance(key, str):
        raise validation_error("idempotencyKey", "must not be empty", "REQUIRED_FIELD")
    if len(key) > 200:
        raise validation_error("idempotencyKey", "must be at most 200 characters", "MAX_LENGTH")
    op = body.get("type")
    if op not in ("ADJUST", "SET"):
        if not op:
            raise validation_error("type", "must not be empty", "REQUIRED_FIELD")
        raise validation_error("type", "must be ADJUST or SET", "OTHER")
    opts_key = "adjustOptions" if op == "ADJUST" else "setOptions"
    opts = body.get(opts_key) or {}
    if not isinstance(opts, dict) or opts.get("value") in (None, ""):
        raise validation_error(f"{opts_key}.value", "must not be empty", "REQUIRED_FIELD")
    try:
        value = dec(opts["value"])
    except ValueError:
        raise validation_error(f"{opts_key}.value", "must be a decimal string", "FORMAT") from None
    exponent = value.as_tuple().exponent  # an int: dec() refuses NaN and infinities
    if isinstance(exponent, int) and exponent < -4:
        raise validation_error(f"{opts_key}.value", "must have at most 4 decimal places", "MAX_SCALE")
    if op == "SET" and value < 0:
        raise validation_error("setOptions.value", "must not be negative", "MIN")
    td = body.get("transactionDetails") or {}
    if not isinstance(td, dict):
        raise validation_error("transactionDetails", "must be an object", "FORMAT")
    reason = td.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 256):
        raise validation_error("transactionDetails.reason", "must be at most 256 characters", "MAX_LENGTH")
    instructing_party = _identification(body.get("instructingParty"), "instructingParty")
    if not faults.keep_read_only_fields:
        # Read-only in ChangeBalanceRequest's typings: accepted on the wire, not stored.
        td = {k: v for k, v in td.items() if k not in READ_ONLY_DETAILS}
        reason = None
    if faults.instructing_party == "absent":
        instructing_party = None
    return studio.change_balance(
        pid,
        op=op,
        value=value,
        idempotency_key=key,
        reason=reason,
        instructing_party=instructing_party,
        transaction_details=td,
        allow_negative=bool(faults.allow_negative),
        idempotency_mode=faults.idempotency_mode,
    )


def revert_change(studio, faults, req: Request):
    _require_manage(req)
    tid = req.params["id"]
    _check_guid(tid, "transactionId")
    body = req.json_body()
    instructing_party = _identification(body.get("instructingParty"), "instructingParty")
    return studio.revert_change(
        tid,
        idempotency_key=body.get("idempotencyKey") if isinstance(body.get("idempotencyKey"), str) else None,
        instructing_party=None if faults.instructing_party == "absent" else instructing_party,
    )


# ====================================================================== transactions


def _transactions_for(studio, flt):
    """Candidate transactions: through the pool/member/id indexes when the filter allows, else a scan."""
    pools = equality_values(flt, "pool.id")
    members = equality_values(flt, "beneficiary.memberId")
    if members is not None:
        mp = {p for m in members for p in studio.pool_ids_for(m)}
        pools = mp if pools is None else pools & mp
    ids = equality_values(flt, "id")
    if ids is not None and pools is None:
        found = [studio.find_transaction(i) for i in ids if isinstance(i, str) and is_guid(i)]
        return [t for t in found if t is not None]
    if pools is None:
        return studio.scan_transactions(compile_filter(flt), lower_bound(flt, "createdDate"))
    out = []
    for p in pools:
        if p in studio._pools_by_id:
            out.extend(studio._history(p))
    return out


def query_transactions(studio, faults, req: Request):
    return _cursor_results("transactions", studio, faults, req, lambda flt: _transactions_for(studio, flt), "transactions")


def get_transaction(studio, faults, req: Request):
    found = _by_id(studio, req, "transactionId", studio.find_transaction, "TRANSACTION_NOT_FOUND", "Transaction")
    return {"transaction": found}


# ====================================================================== programs / definitions


def query_programs(studio, faults, req: Request):
    def objects(flt):
        ids = equality_values(flt, "id")
        if ids is not None:
            pools = [studio.pool_for_program(i) for i in ids if isinstance(i, str)]
            return [studio.program_for_pool(p) for p in pools if p is not None]
        return [studio.program_for_pool(p) for p in studio.pools]

    return _cursor_results("programs", studio, faults, req, objects, "programs")


def get_program(studio, faults, req: Request):
    program = _by_id(
        studio, req, "programId", studio.pool_for_program, "PROGRAM_NOT_FOUND", "Program", answer=studio.program_for_pool
    )
    return {"program": program}


def get_program_by_external_id(studio, faults, req: Request):
    ns, ext = req.q1("namespace"), req.q1("externalId")
    if not ns:
        raise validation_error("namespace", "must not be empty", "REQUIRED_FIELD")
    if not ext:
        raise validation_error("externalId", "must not be empty", "REQUIRED_FIELD")
    with studio.lock:
        for pool in studio.pools:
            if pool["program"]["externalId"] == ext and pool["namespace"] == ns:
                return {"program": studio.program_for_pool(pool)}
    raise application_error(404, "PROGRAM_NOT_FOUND", f"Program with externalId {ext} not found", {"externalId": ext})


def query_pool_definitions(studio, faults, req: Request):
    return _cursor_results("pool-definitions", studio, faults, req, lambda flt: studio.pool_definitions, "poolDefinitions")


def get_pool_definition(studio, faults, req: Request):
    found = _by_id(studio, req, "poolDefinitionId", studio.get_pool_definition, "POOL_DEFINITION_NOT_FOUND", "Pool definition")
    return {"poolDefinition": found}


# ====================================================================== AI credits


def ai_credits_balance(studio, faults, req: Request):
    if credentials.SCOPE_AI_CREDITS not in req.scopes:
        raise application_error(403, "PERMISSION_DENIED", "PERMISSION_DENIED: this API key has no permission for AI Credits")
    with studio.lock:
        return copy.deepcopy(studio.ai_credits)


# ====================================================================== helpers for tests


def signed_total(transactions) -> dict:
    """Replay transactions -> {"available": Decimal, "reserved": Decimal} (for consistency checks)."""
    a = r = Decimal(0)
    for t in transactions:
        amt = Decimal(t["amount"])
        if t["source"] == "AVAILABLE":
            a -= amt
        elif t["source"] == "RESERVED":
            r -= amt
        if t["target"] == "AVAILABLE":
            a += amt
        elif t["target"] == "RESERVED":
            r += amt
    return {"available": a, "reserved": r}


__all__ = ["Request", "WixError", "signed_total"]
