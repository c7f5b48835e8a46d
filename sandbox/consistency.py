"""Read-your-writes: the ``X-Wix-Consistent`` header, and reads that lag writes (``Faults.read_lag``).

Wix answers writes with an ``X-Wix-Consistent`` header; the official SDK keeps the latest value and sends
it back on every later request (``@wix/sdk`` ``wixClient.js``, ``X_WIX_CONSISTENT_HEADER``), so its
reads see its own writes. The sandbox answers every successful write (Change Balance, Revert) with such
a token. With ``Faults.read_lag`` > 0, a read of balances or transactions does not see a write younger
than that many seconds unless it sends back a token at least as new as that write: it gets the
balance as it was before the write, and the write's transaction is missing (Get Transaction: 404).
The token's content is opaque to clients.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import threading
import time
from typing import Any

HEADER = "X-Wix-Consistent"
_PREFIX = "sbx1."
_KEEP_SECONDS = 600.0


@dataclasses.dataclass(frozen=True)
class _Write:
    seq: int
    visible_at: float  # time.monotonic() from which every read sees it
    pool_id: str
    before: dict  # the balance just before this write
    transaction_ids: frozenset[str]


class Consistency:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._writes: collections.deque[_Write] = collections.deque()

    @staticmethod
    def parse(header: str | None) -> int:
        """The write sequence a request's token covers (0 for none or garbage)."""
        if not header or not header.startswith(_PREFIX):
            return 0
        try:
            return int(header[len(_PREFIX) :])
        except ValueError:
            return 0

    def snapshot(self, studio: Any, path_id: str | None) -> tuple[str, dict] | None:
        """(pool id, its balance now) for the pool a write names by pool or transaction id, else None."""
        if not path_id:
            return None
        with studio.lock:
            balance = studio.balance(path_id)
            if balance is None:
                tx = studio.find_transaction(path_id)
                balance = studio.balance(tx["pool"]["id"]) if tx is not None else None
            return (balance["id"], copy.deepcopy(balance)) if balance is not None else None

    def record(self, before: tuple[str, dict] | None, result: Any, lag: float) -> str:
        """Note a successful write, unseen for ``lag`` seconds by reads without a newer token; returns its token."""
        now = time.monotonic()
        with self._lock:
            self._seq += 1
            while self._writes and self._writes[0].visible_at < now:
                self._writes.popleft()
            tx = result.get("transactionId") if isinstance(result, dict) else None
            if before is not None and lag > 0:
                self._writes.append(
                    _Write(self._seq, now + min(lag, _KEEP_SECONDS), before[0], before[1], frozenset({tx} if tx else ()))
                )
            return f"{_PREFIX}{self._seq}"

    def view(self, result: Any, token: str | None) -> Any:
        """``result`` as a read that does not yet see lagging writes ``token`` does not cover."""
        if not self._writes or not isinstance(result, dict):
            return result
        seen = self.parse(token)
        now = time.monotonic()
        with self._lock:
            hidden = [w for w in self._writes if w.visible_at > now and w.seq > seen]
        if not hidden:
            return result
        stale: dict[str, dict] = {}
        for w in hidden:  # oldest first: the balance before the first unseen write
            stale.setdefault(w.pool_id, w.before)
        missing = frozenset().union(*(w.transaction_ids for w in hidden))
        out = dict(result)
        if isinstance(out.get("balance"), dict) and out["balance"].get("id") in stale:
            out["balance"] = copy.deepcopy(stale[out["balance"]["id"]])
        if isinstance(out.get("balances"), list):
            out["balances"] = [copy.deepcopy(stale[b["id"]]) if b.get("id") in stale else b for b in out["balances"]]
        if isinstance(out.get("transaction"), dict) and out["transaction"].get("id") in missing:
            return None  # the caller answers 404
        if isinstance(out.get("transactions"), list):
            kept = [t for t in out["transactions"] if t.get("id") not in missing]
            if len(kept) != len(out["transactions"]):
                out["transactions"] = kept
                if isinstance(out.get("metadata"), dict):
                    out["metadata"] = {**out["metadata"], "count": len(kept)}
        return out
