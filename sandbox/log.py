"""In-memory log of the Wix calls the sandbox served (``/_sandbox/*`` control calls excluded)."""

from __future__ import annotations

import collections
import dataclasses
import threading
from typing import Any


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int  # 0 when the connection was reset without a response (or, while it hangs, not yet)
    started: float  # epoch seconds
    duration_ms: float
    body: Any  # the parsed JSON request body (secrets redacted), or None
    fault: str | None  # which fault, if any, shaped the answer

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class RequestLog:
    """Thread-safe bounded list of :class:`RequestRecord` (oldest dropped past ``maxlen``)."""

    def __init__(self, maxlen: int = 200_000):
        self._lock = threading.Lock()
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=maxlen)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def replace(self, old: RequestRecord, new: RequestRecord) -> None:
        """Swap a provisional record (a request still hanging) for its final one, in place."""
        with self._lock:
            for i in range(len(self._records) - 1, -1, -1):
                if self._records[i] is old:
                    self._records[i] = new
                    return
            # Not found: the log was cleared since the request began, and it stays forgotten.

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(self, path_prefix: str | None = None, method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._records
                if (path_prefix is None or r.path.startswith(path_prefix)) and (method is None or r.method == method.upper())
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
