"""One adjustment of a pool at a time, across requests and processes — held in the database, not the cache.

The lock must die with its holder (a worker killed mid-change must not block the plan for a minute) and
must survive a cache restart (a Redis restart must not let a second change run beside the first). On
PostgreSQL that is a session-level advisory lock (`pg_try_advisory_lock`): the server drops it when the
holder's connection ends, however the process died. It is session-level, not transaction-level, because
the audit row is committed before the Wix call and completed after it, so no transaction spans the call.
SQLite is only ever one process (tests, the demo): a per-process lock does the same there.

Nobody waits for it: a second change to a busy plan is answered at once ("another change to this plan is
in progress", same form, same key) instead of pinning a server thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class PoolBusy(Exception):
    """Another change to this pool is under way right now; nothing was written or sent."""


def _advisory_key(pool_id: str) -> int:
    # A signed 64-bit number, as pg_advisory_lock(bigint) takes; the prefix keeps it apart from other locks.
    return int.from_bytes(hashlib.blake2b(f"credit-desk:pool:{pool_id}".encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def _postgres_lock(pool_id: str) -> Iterator[None]:
    key = _advisory_key(pool_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (taken,) = cursor.fetchone()
    if not taken:
        raise PoolBusy(pool_id)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        except DatabaseError:
            # The link to the database broke: the server ends the session, and the lock with it. This
            # connection is unusable now; close it so this thread cannot go on believing it holds anything.
            log.warning("pool lock: could not release (database link lost); it ends with the session")
            connection.close_if_unusable_or_obsolete()


@contextmanager
def _process_lock(pool_id: str) -> Iterator[None]:
    with _local_guard:
        lock = _local_locks.setdefault(pool_id, threading.Lock())
    if not lock.acquire(blocking=False):
        raise PoolBusy(pool_id)
    try:
        yield
    finally:
        lock.release()


def pool_lock(pool_id: str) -> AbstractContextManager[None]:
    """Hold the pool for one change, or raise PoolBusy at once."""
    return _postgres_lock(pool_id) if connection.vendor == "postgresql" else _process_lock(pool_id)
