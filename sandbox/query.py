"""The Wix query language: filters, sorting, cursors and paging helpers.

https://dev.wix.com/docs/rest/articles/getting-started/api-query-language
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re

from .errors import validation_error

MISSING = object()
_CURSOR_KEY = b"credit-desk-sandbox-cursor-v1"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def is_guid(value) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


# -- field access ------------------------------------------------------------------------------


def resolve(obj, path: str):
    """Value at a dotted path. Lists along the way are mapped and flattened. MISSING if absent."""
    cur = obj
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(cur, dict):
            cur = cur.get(part, MISSING)
            if cur is MISSING:
                return MISSING
        elif isinstance(cur, list):
            rest = ".".join(parts[i:])
            out = []
            for item in cur:
                v = resolve(item, rest)
                if v is MISSING:
                    continue
                if isinstance(v, list):
                    out.extend(v)
                else:
                    out.append(v)
            return out
        else:
            return MISSING
    return cur


# -- filter evaluation -------------------------------------------------------------------------


def _num(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    return None


def _cmp(a, b, op):
    if a is MISSING or a is None or b is None:
        return False
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        a, b = na, nb
    elif not (isinstance(a, str) and isinstance(b, str)):
        return False
    if op == "$lt":
        return a < b
    if op == "$lte":
        return a <= b
    if op == "$gt":
        return a > b
    return a >= b


def _eq(value, expected) -> bool:
    if expected is None:
        return value is MISSING or value is None or value == []
    if value is MISSING:
        return False
    if isinstance(value, list) and not isinstance(expected, list):
        return expected in value
    return value == expected


def _as_list(value):
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


def _apply_op(value, op: str, arg, field: str) -> bool:
    if op == "$eq":
        return _eq(value, arg)
    if op == "$ne":
        return not _eq(value, arg)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        if isinstance(value, list):
            return any(_cmp(v, arg, op) for v in value)
        return _cmp(value, arg, op)
    if op in ("$in", "$any"):
        if not isinstance(arg, list):
            raise validation_error(f"filter.{field}", f"{op} expects a list", "FORMAT")
        return any(v in arg for v in _as_list(value))
    if op == "$nin":
        if not isinstance(arg, list):
            raise validation_error(f"filter.{field}", "$nin expects a list", "FORMAT")
        return not any(v in arg for v in _as_list(value))
    if op == "$hasSome":
        if not isinstance(arg, list):
            raise validation_error(f"filter.{field}", "$hasSome expects a list", "FORMAT")
        return any(v in arg for v in _as_list(value))
    if op == "$hasAll":
        if not isinstance(arg, list):
            raise validation_error(f"filter.{field}", "$hasAll expects a list", "FORMAT")
        have = _as_list(value)
        return all(a in have for a in arg)
    if op in ("$startsWith", "$begins"):
        if not isinstance(arg, str):
            raise validation_error(f"filter.{field}", f"{op} expects a string", "FORMAT")
        a = arg.casefold()
        return any(isinstance(v, str) and v.casefold().startswith(a) for v in _as_list(value))
    if op == "$endsWith":
        return any(isinstance(v, str) and v.endswith(str(arg)) for v in _as_list(value))
    if op == "$contains":
        return any(isinstance(v, str) and str(arg) in v for v in _as_list(value))
    if op == "$exists":
        present = value is not MISSING and value is not None
        return present if arg else not present
    raise validation_error(f"filter.{field}", f"unsupported operator {op}", "OTHER")


_LIST_OPS = ("$in", "$any", "$nin", "$hasSome", "$hasAll")
_KNOWN_OPS = {
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$any",
    "$nin",
    "$hasSome",
    "$hasAll",
    "$startsWith",
    "$begins",
    "$endsWith",
    "$contains",
    "$exists",
}


def make_getter(path: str):
    """A fast accessor for a dotted path (falls back to :func:`resolve` when it meets a list)."""
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]

        def get1(obj):
            return obj.get(key, MISSING) if isinstance(obj, dict) else MISSING

        return get1

    def get(obj):
        cur = obj
        for part in parts:
            if isinstance(cur, dict):
                cur = cur.get(part, MISSING)
                if cur is MISSING:
                    return MISSING
            else:
                return resolve(obj, path)
        return cur

    return get


def _always(obj):
    return True


def compile_filter(flt):
    """Compile a Wix filter into a predicate ``f(wire_dict) -> bool``; invalid filters raise a 400."""
    if not flt:
        return _always
    if not isinstance(flt, dict):
        raise validation_error("filter", "must be an object", "FORMAT")
    preds = []
    for key, cond in flt.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list):
                raise validation_error(f"filter.{key}", "expects a list", "FORMAT")
            subs = [compile_filter(c) for c in cond]
            if key == "$and":
                preds.append(lambda o, subs=subs: all(p(o) for p in subs))
            else:
                preds.append(lambda o, subs=subs: any(p(o) for p in subs))
        elif key == "$not":
            sub = compile_filter(cond)
            preds.append(lambda o, sub=sub: not sub(o))
        elif key.startswith("$"):
            raise validation_error("filter", f"unsupported operator {key}", "OTHER")
        else:
            getter = make_getter(key)
            if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
                ops = []
                for op, arg in cond.items():
                    if op not in _KNOWN_OPS:
                        raise validation_error(f"filter.{key}", f"unsupported operator {op}", "OTHER")
                    if op in _LIST_OPS and not isinstance(arg, list):
                        raise validation_error(f"filter.{key}", f"{op} expects a list", "FORMAT")
                    if op in ("$startsWith", "$begins") and not isinstance(arg, str):
                        raise validation_error(f"filter.{key}", f"{op} expects a string", "FORMAT")
                    if op in ("$in", "$any") and all(isinstance(a, (str, int)) for a in arg):
                        arg = frozenset(arg) if len(arg) > 8 else arg
                    ops.append((op, arg))
                if len(ops) == 1 and ops[0][0] in ("$in", "$any"):
                    values = ops[0][1]

                    def pred_in(o, getter=getter, values=values):
                        v = getter(o)
                        try:
                            if isinstance(v, list):
                                return any(x in values for x in v)
                            return v is not MISSING and v in values
                        except TypeError:  # unhashable (dict) value against a set of scalars
                            return False

                    preds.append(pred_in)
                else:
                    preds.append(
                        lambda o, getter=getter, ops=ops, key=key: all(_apply_op(getter(o), op, arg, key) for op, arg in ops)
                    )
            elif isinstance(cond, (str, int)) and not isinstance(cond, bool):

                def pred_eq(o, getter=getter, cond=cond):
                    v = getter(o)
                    return v == cond or (isinstance(v, list) and cond in v)

                preds.append(pred_eq)
            else:
                preds.append(lambda o, getter=getter, cond=cond: _eq(getter(o), cond))
    if len(preds) == 1:
        return preds[0]
    return lambda o: all(p(o) for p in preds)


def matches(obj, flt) -> bool:
    """True if ``obj`` (a wire dict) satisfies the Wix filter ``flt``."""
    return compile_filter(flt)(obj)


def validate_filter(flt) -> None:
    """Raise a 400 for structurally invalid filters even when there is nothing to match."""
    if flt is None:
        return
    compile_filter(flt)


MAX_IN_VALUES = 100  # Wix caps list operands (and our client never sends more)


def check_filter_fields(flt, spec, where: str = "query.filter", strict: bool = True) -> None:
    """400 for a field or operator the entity's query spec does not list, and for a list of more than
    100 values. ``strict=False`` checks only the list size (``Faults.strict_queries`` off)."""
    if not flt or not isinstance(flt, dict):
        return
    for key, cond in flt.items():
        if key in ("$and", "$or"):
            for sub in cond if isinstance(cond, list) else ():
                check_filter_fields(sub, spec, where, strict)
            continue
        if key == "$not":
            check_filter_fields(cond, spec, where, strict)
            continue
        ops = [op for op in cond if op.startswith("$")] if isinstance(cond, dict) else []
        for op in ops:
            arg = cond[op]
            if op in _LIST_OPS and isinstance(arg, list) and len(arg) > MAX_IN_VALUES:
                raise validation_error(
                    f"{where}.{key}.{op}", f"must contain at most {MAX_IN_VALUES} values", "MAX_SIZE", {"max": MAX_IN_VALUES}
                )
        if not strict or key.startswith("$"):
            continue
        if key not in spec.filters:
            raise validation_error(where, f"filtering by {key!r} is not supported", "OTHER")
        allowed = spec.filters[key]
        if allowed is None:
            continue
        if not ops:
            raise validation_error(f"{where}.{key}", f"supports only {', '.join(sorted(allowed))}", "OTHER")
        for op in ops:
            if op not in allowed:
                raise validation_error(f"{where}.{key}", f"operator {op} is not supported on {key!r}", "OTHER")


def check_sort_fields(sort: list[dict], spec, key: str = "query.sort") -> None:
    for s in sort:
        if s["fieldName"] not in spec.sortable:
            raise validation_error(f"{key}.fieldName", f"sorting by {s['fieldName']!r} is not supported", "OTHER")


def equality_values(flt, field: str):
    """Values that ``field`` is narrowed to by ``flt`` (equality or $in, top level or inside $and).

    Returns a set of values, or None if the filter does not narrow ``field``. Used to pick
    candidates through an index; the full filter is still evaluated afterwards.
    """
    if not isinstance(flt, dict):
        return None
    result = None

    def narrow(vals):
        nonlocal result
        vals = {v for v in vals if isinstance(v, (str, int))}
        result = vals if result is None else (result & vals)

    for key, cond in flt.items():
        if key == field:
            if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
                if "$eq" in cond:
                    narrow([cond["$eq"]])
                if isinstance(cond.get("$in"), list):
                    narrow(cond["$in"])
                if isinstance(cond.get("$hasSome"), list):
                    narrow(cond["$hasSome"])
            elif isinstance(cond, (str, int)) and not isinstance(cond, bool):
                narrow([cond])
        elif key == "$and" and isinstance(cond, list):
            for sub in cond:
                vals = equality_values(sub, field)
                if vals is not None:
                    narrow(vals)
    return result


def lower_bound(flt, field: str):
    """The largest ``$gt``/``$gte`` string bound on ``field`` (top level or inside ``$and``), or None."""
    if not isinstance(flt, dict):
        return None
    best = None
    for key, cond in flt.items():
        vals = []
        if key == field and isinstance(cond, dict):
            vals = [cond[k] for k in ("$gt", "$gte") if isinstance(cond.get(k), str)]
        elif key == "$and" and isinstance(cond, list):
            vals = [v for v in (lower_bound(c, field) for c in cond) if v is not None]
        for v in vals:
            best = v if best is None or v > best else best
    return best


# -- sorting -------------------------------------------------------------------------------------


def _sort_key(value, fold: bool):
    if value is MISSING or value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value.casefold() if fold else value)
    return (4, json.dumps(value, sort_keys=True))


def validate_sort(sort, key: str = "query.sort") -> list[dict]:
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise validation_error(key, "must be a list", "FORMAT")
    if len(sort) > 5:
        raise validation_error(key, "must contain at most 5 items", "MAX_SIZE")
    out = []
    for s in sort:
        if not isinstance(s, dict) or not isinstance(s.get("fieldName"), str) or not s["fieldName"]:
            raise validation_error(f"{key}.fieldName", "must not be empty", "REQUIRED_FIELD")
        order = (s.get("order") or "ASC").upper()
        if order not in ("ASC", "DESC"):
            raise validation_error(f"{key}.order", "must be ASC or DESC", "FORMAT")
        out.append({"fieldName": s["fieldName"], "order": order})
    return out


def sort_items(items: list, sort: list[dict], fold: bool = False, tiebreak: str | None = "id") -> list:
    """Stable multi-key sort of wire dicts (later keys applied first)."""
    items = list(items)
    if tiebreak:
        get_tb = make_getter(tiebreak)
        items.sort(key=lambda o: _sort_key(get_tb(o), False))
    for s in reversed(sort):
        get = make_getter(s["fieldName"])
        items.sort(key=lambda o: _sort_key(get(o), fold), reverse=s["order"] == "DESC")
    return items


# -- cursors -------------------------------------------------------------------------------------


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(kind: str, state: dict) -> str:
    payload = json.dumps({"k": kind, **state}, separators=(",", ":"), sort_keys=True).encode()
    sig = hmac.new(_CURSOR_KEY, payload, hashlib.sha256).digest()[:12]
    return _b64e(payload) + "." + _b64e(sig)


def decode_cursor(kind: str, cursor) -> dict:
    invalid = validation_error("cursorPaging.cursor", "invalid cursor", "FORMAT")
    if not isinstance(cursor, str) or len(cursor) > 16000 or "." not in cursor:
        raise invalid
    p, s = cursor.rsplit(".", 1)
    try:
        payload, sig = _b64d(p), _b64d(s)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not hmac.compare_digest(sig, hmac.new(_CURSOR_KEY, payload, hashlib.sha256).digest()[:12]):
        raise invalid
    try:
        state = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(state, dict) or state.get("k") != kind:
        raise invalid
    return state


def parse_limit(value, field: str, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """A paging limit as Wix validates it: an integer 0..`maximum` (0 or missing = `default`)."""
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise validation_error(field, "must be an integer", "FORMAT") from None
    if isinstance(value, float) and value != limit:
        raise validation_error(field, "must be an integer", "FORMAT")
    if limit > maximum:
        raise validation_error(field, f"must be at most {maximum}", "MAX", {"max": maximum})
    if limit < 0:
        raise validation_error(field, "must be at least 0", "MIN", {"min": 0})
    return limit or default


def cursor_query(kind: str, query: dict | None, default_sort: list[dict], spec=None, strict: bool = True):
    """Parse a CursorQuery. Returns (filter, sort, offset, limit). ``spec``: the entity's
    :class:`sandbox.specs.QuerySpec` (fields and operators checked when ``strict``)."""
    query = query or {}
    if not isinstance(query, dict):
        raise validation_error("query", "must be an object", "FORMAT")
    paging = query.get("cursorPaging") or {}
    if not isinstance(paging, dict):
        raise validation_error("query.cursorPaging", "must be an object", "FORMAT")
    limit = parse_limit(paging.get("limit"), "query.cursorPaging.limit")
    cursor = paging.get("cursor")
    if cursor:
        state = decode_cursor(kind, cursor)
        return state.get("f") or {}, state.get("s") or default_sort, int(state.get("o", 0)), limit
    flt = query.get("filter") or {}
    validate_filter(flt)
    sort = validate_sort(query.get("sort"))
    if spec is not None:
        check_filter_fields(flt, spec, strict=strict)
        if strict:
            check_sort_fields(sort, spec)
    return flt, sort or default_sort, 0, limit


def cursor_page(kind: str, items: list, flt, sort, offset: int, limit: int, extra: dict | None = None):
    """Slice ``items`` (already filtered and sorted). Returns (page, metadata)."""
    page = items[offset : offset + limit]
    end = offset + len(page)
    has_next = end < len(items)
    state = {"f": flt, "s": sort, **(extra or {})}
    nxt = encode_cursor(kind, {**state, "o": end}) if has_next else None
    prv = encode_cursor(kind, {**state, "o": max(0, offset - limit)}) if offset > 0 else None
    return page, {"count": len(page), "cursors": {"next": nxt, "prev": prv}, "hasNext": has_next}
