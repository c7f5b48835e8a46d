"""Fault injection: latency, random errors, rate limiting and scripted one-shot faults."""

from __future__ import annotations

import collections
import dataclasses
import math
import random
import threading
import time

FAULT_KINDS = ("status", "timeout", "malformed", "truncated", "reset", "apply_then_fail", "apply_then_timeout", "gather")
#: Scripted kinds that apply the change first: they match only writes (Change Balance, Revert).
APPLYING_KINDS = ("apply_then_fail", "apply_then_timeout")
IDEMPOTENCY_MODES = ("conflict", "conflict_no_data", "replay")

_DEFAULTS = {
    "latency": 0.0,
    "jitter": 0.0,
    "error_rate": 0.0,
    "error_status": 503,
    "rate_limit_per_minute": None,
    "rate_limit_window": 60.0,
    "allow_negative": False,
    "token_ttl": 14400,
    "idempotency_mode": "conflict",
    "bearer_api_key": False,
    "strict_queries": True,
    "members_total": True,
    "keep_read_only_fields": False,
    "instructing_party": "kept",
    "read_lag": 0.0,
}
INSTRUCTING_PARTY_MODES = ("kept", "absent")


@dataclasses.dataclass
class ScriptedFault:
    kind: str
    times: int = 1
    path_prefix: str | None = None
    status: int = 503
    retry_after: float | int | str | None = None
    hang: float = 30.0
    code: str | None = None
    data: dict | None = None
    apply_after: float = 0.0
    # ``gather``: the rendezvous the ``times`` matching calls share (every copy taken holds the same one).
    meeting: threading.Barrier | None = dataclasses.field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "meeting"}

    def gather(self) -> bool:
        """Hold this call until all ``times`` calls of its ``gather`` have arrived; False if ``hang`` seconds
        passed first (or the faults were reset): the call is then answered alone."""
        if self.meeting is None:
            return True
        try:
            self.meeting.wait(timeout=self.hang)
            return True
        except threading.BrokenBarrierError:
            return False


class Faults:
    """Fault settings of a running sandbox. Plain attributes, mutable at run time.

    Fields (defaults = no faults):

    - ``latency``: seconds added to every Wix call; ``jitter``: extra uniform 0..jitter seconds.
    - ``error_rate`` (0..1): chance that a Wix call answers ``error_status`` (default 503).
    - ``rate_limit_per_minute``: None = off; else a sliding 60 s window over all authenticated
      Wix calls; past it the call answers 429 with a Wix error body and ``Retry-After`` (seconds).
      ``rate_limit_window``: that window's length in seconds (Wix: 60; tests may shorten it).
    - ``allow_negative``: False = a change making ``available`` < 0 answers 428 BALANCE_EXCEEDED_LIMITS.
    - ``token_ttl``: lifetime in seconds of OAuth tokens issued from now on (default 14400).
    - ``idempotency_mode``: ``"conflict"`` (a reused idempotencyKey answers 409 ALREADY_EXECUTED with
      ``data.transactionId``), ``"conflict_no_data"`` (the same 409 with empty ``data``: the SDK's union
      does not promise a transactionId) or ``"replay"`` (the original 200 body is returned again).
    - ``bearer_api_key``: False = ``Authorization: Bearer <API key>`` is refused with 401 (Wix documents
      the raw key only); True = accepted like the raw key. OAuth tokens work either way.
    - ``strict_queries``: True = a filter or sort on a field, or an operator, that the official SDK's
      query spec does not list for that entity answers 400 (``sandbox.specs``); False = anything goes.
      ``$in``-style lists over 100 values answer 400 either way.
    - ``members_total``: False = member queries leave ``total`` out of their paging metadata (and say
      ``tooManyToCount: true``), as Wix may.
    - ``keep_read_only_fields``: False = Change Balance ignores ``transactionDetails.reason``,
      ``.effectiveDate`` and ``.item`` (read-only in the SDK's request typings: Wix may keep none of
      them; the transaction's effectiveDate is the time of the change); True = stored on the transaction.
    - ``instructing_party``: ``"kept"`` = the request's ``instructingParty`` is stored on the transaction;
      ``"absent"`` = transactions made through the API carry none (Wix's behaviour is unconfirmed).
    - ``read_lag``: seconds for which reads of balances and transactions do not see a write unless they
      send back the ``X-Wix-Consistent`` header its answer carried (see :mod:`sandbox.consistency`).

    Scripted one-shot faults: :meth:`script`.
    """

    # Set from _DEFAULTS in __init__/reset (declared here for type checkers).
    latency: float
    jitter: float
    error_rate: float
    error_status: int
    rate_limit_per_minute: int | None
    rate_limit_window: float
    allow_negative: bool
    token_ttl: float
    idempotency_mode: str
    bearer_api_key: bool
    strict_queries: bool
    members_total: bool
    keep_read_only_fields: bool
    instructing_party: str
    read_lag: float

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._script: list[ScriptedFault] = []
        self._window: collections.deque[float] = collections.deque()
        for k, v in _DEFAULTS.items():
            setattr(self, k, v)

    # -- configuration ---------------------------------------------------------------------
    def reset(self) -> None:
        """Restore defaults, drop the script and the rate-limit window, reseed the RNG."""
        with self._lock:
            for k, v in _DEFAULTS.items():
                setattr(self, k, v)
            for f in self._script:
                if f.meeting is not None:
                    f.meeting.abort()  # calls still held are served at once
            self._script.clear()
            self._window.clear()
            self._rng = random.Random(self._seed)

    def update(self, **fields) -> None:
        """Set several fields at once (unknown names raise ``ValueError``)."""
        for k, v in fields.items():
            if k not in _DEFAULTS:
                raise ValueError(f"unknown fault field {k!r}")
            if k == "idempotency_mode" and v not in IDEMPOTENCY_MODES:
                raise ValueError(f"idempotency_mode must be one of {IDEMPOTENCY_MODES}")
            if k == "instructing_party" and v not in INSTRUCTING_PARTY_MODES:
                raise ValueError(f"instructing_party must be one of {INSTRUCTING_PARTY_MODES}")
            if k == "rate_limit_per_minute" and v is not None:
                v = int(v) or None
            setattr(self, k, v)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in _DEFAULTS}
        with self._lock:
            d["script"] = [f.to_dict() for f in self._script]
        return d

    def script(
        self,
        kind: str,
        times: int = 1,
        path_prefix: str | None = None,
        status: int = 503,
        retry_after: float | int | str | None = None,
        hang: float = 30.0,
        code: str | None = None,
        data: dict | None = None,
        apply_after: float = 0.0,
    ) -> ScriptedFault:
        """Queue a one-shot fault for the next ``times`` Wix calls whose path starts with ``path_prefix``.

        kinds: ``status`` (answer ``status`` with a Wix error body, plus ``Retry-After`` when given:
        a number = seconds, a str is sent verbatim, e.g. an HTTP-date), ``timeout`` (sleep ``hang``
        seconds, then answer normally), ``malformed`` (200 with invalid JSON), ``truncated`` (declare a
        Content-Length larger than the body sent, then close), ``reset`` (close the connection with no
        response), ``apply_then_fail`` (writes only: apply the change, then answer ``status``, default 503),
        ``apply_then_timeout`` (writes only: apply the change ``apply_after`` seconds in — 0 = at once —
        and hold the answer until ``hang`` seconds: Wix applied, the client timed out; a late retry with
        the same key meets ALREADY_EXECUTED), ``gather`` (no fault on the wire: the next ``times`` matching
        calls are each held until all of them have arrived, then served normally; one that waits ``hang``
        seconds is served alone. Calls a client sends side by side then overlap whatever the machine's load,
        so counting round trips from the log does not depend on timing; a call sent only after another's
        answer never joins it and shows up as the wait it is).

        ``code`` (with ``status`` and ``apply_then_fail``): answer Wix's application error with this code
        and ``data`` (default ``{}``) instead of the generic body for the status, e.g. Change Balance's
        409s: ``script("status", status=409, code="ABORTED")``, ``code="BALANCE_ALREADY_INITIALIZED"``,
        ``"TRANSACTION_ALREADY_SUPERSEDED"`` or ``"ALREADY_EXECUTED"`` (nothing applied; the latter
        without data unless ``data`` is given). Entries match in order and are consumed.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if data is not None and not isinstance(data, dict):
            raise ValueError("data must be a JSON object")
        if apply_after < 0 or (kind == "apply_then_timeout" and apply_after > hang):
            raise ValueError("apply_after must be between 0 and hang")
        fault = ScriptedFault(
            kind, int(times), path_prefix, int(status), retry_after, float(hang), code or None, data, float(apply_after)
        )
        if kind == "gather":
            fault.meeting = threading.Barrier(int(times))
        with self._lock:
            self._script.append(fault)
        return fault

    def pending(self) -> list[ScriptedFault]:
        with self._lock:
            return [dataclasses.replace(f) for f in self._script]

    # -- used by the server -------------------------------------------------------------------
    def take(self, path: str, mutation: bool) -> ScriptedFault | None:
        """Consume and return the first scripted fault matching ``path`` (None if none).

        ``apply_then_*`` entries only match mutations (Change Balance / Revert); other
        requests skip over them.
        """
        with self._lock:
            for i, f in enumerate(self._script):
                if f.path_prefix and not path.startswith(f.path_prefix):
                    continue
                if f.kind in APPLYING_KINDS and not mutation:
                    continue
                f.times -= 1
                taken = dataclasses.replace(f, times=1)
                if f.times <= 0:
                    del self._script[i]
                return taken
        return None

    def delay(self) -> float:
        latency = float(self.latency or 0)
        jitter = float(self.jitter or 0)
        if jitter > 0:
            with self._lock:
                latency += self._rng.uniform(0, jitter)
        return latency

    def roll_error(self) -> bool:
        rate = float(self.error_rate or 0)
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def check_rate_limit(self, now: float | None = None) -> int | None:
        """Count one authenticated call. Returns None if allowed, else Retry-After seconds."""
        limit = self.rate_limit_per_minute
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._window
            span = float(self.rate_limit_window)
            while window and window[0] <= now - span:
                window.popleft()
            if not limit:
                return None
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + span - now))
            window.append(now)
            return None
