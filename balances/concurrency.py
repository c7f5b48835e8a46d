"""The only place that builds thread pools, and the ways service code runs upstream calls side by side.

Pools, by what they wait on (sizes in POOL_SIZES):
- "wix": a page's independent Wix calls (`run_together`), sized for one page's fan-out.
- "brevo": a member's or a page's Brevo reads (`run_together(..., pool="brevo")`, `map_together`).
- "prefetch": guesses made after a page was served (`in_background`); two threads keep a burst of
  page turns from piling up.

Keep calls flat: a call running in a pool must never wait for another call in the same pool. Under
load every worker can be such a waiter and nothing is left to run what they wait for (that deadlocked
the status-filtered pages). Build the list of calls first and hand them over in one `run_together`;
if a call does reach `run_together` from inside its own pool, it runs its calls inline instead of
queueing behind itself.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Literal, TypeVar, overload

PoolName = Literal["wix", "brevo", "prefetch"]
POOL_SIZES: dict[PoolName, int] = {"wix": 8, "brevo": 4, "prefetch": 2}

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
T = TypeVar("T")
U = TypeVar("U")

_pools: dict[PoolName, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()
_inside = threading.local()  # the pool whose worker this thread is, if any


def _mark(name: PoolName) -> None:
    _inside.pool = name


def _pool(name: PoolName) -> ThreadPoolExecutor:
    with _pools_lock:
        if name not in _pools:
            _pools[name] = ThreadPoolExecutor(
                max_workers=POOL_SIZES[name], thread_name_prefix=name, initializer=_mark, initargs=(name,)
            )
        return _pools[name]


def _submit(name: PoolName, call: Callable[[], T]) -> Future[T]:
    # Each call runs in a copy of this context, so a budget.background() block covers it too.
    return _pool(name).submit(contextvars.copy_context().run, call)


@overload
def run_together(first: Callable[[], A], /, *, pool: PoolName = ...) -> tuple[A]: ...
@overload
def run_together(first: Callable[[], A], second: Callable[[], B], /, *, pool: PoolName = ...) -> tuple[A, B]: ...
@overload
def run_together(
    first: Callable[[], A], second: Callable[[], B], third: Callable[[], C], /, *, pool: PoolName = ...
) -> tuple[A, B, C]: ...
@overload
def run_together(
    first: Callable[[], A], second: Callable[[], B], third: Callable[[], C], fourth: Callable[[], D], /, *, pool: PoolName = ...
) -> tuple[A, B, C, D]: ...
@overload
def run_together(*calls: Callable[[], T], pool: PoolName = ...) -> tuple[T, ...]: ...
def run_together(*calls: Callable[[], object], pool: PoolName = "wix") -> tuple[object, ...]:
    """Run independent calls concurrently and return their results in order; re-raise the first failure, once
    every call has ended: a call still running after its request answered would spend from the call budget and
    call Wix for nobody."""
    if len(calls) == 1 or getattr(_inside, "pool", None) == pool:
        return tuple(call() for call in calls)
    futures = [_submit(pool, call) for call in calls]
    wait(futures)
    return tuple(f.result() for f in futures)


def map_together(function: Callable[[T], U], items: Iterable[T], *, pool: PoolName = "brevo") -> list[U]:
    """`function` over `items` concurrently, results in order (the first failure is re-raised)."""
    items = list(items)
    return list(run_together(*(partial(function, item) for item in items), pool=pool)) if items else []


def start(call: Callable[[], T], *, pool: PoolName = "wix") -> Future[T]:
    """Begin one call in `pool` and return at once: the caller does its own (flat) work meanwhile, then
    waits on the result — one round trip for both. Inside that pool already, the call runs inline."""
    if getattr(_inside, "pool", None) == pool:
        done: Future[T] = Future()
        try:
            done.set_result(call())
        except BaseException as error:  # handed to whoever waits on the result, as a pool would
            done.set_exception(error)
        return done
    return _submit(pool, call)


def in_background(call: Callable[[], None], *, pool: PoolName = "prefetch") -> Future[None]:
    """Start `call` without waiting for it (work nobody asked for yet, such as the next page)."""
    return _submit(pool, call)


def run_detached(call: Callable[[], None], *, name: str) -> threading.Thread:
    """Long background work (a scan of the whole studio, a scheduled job, the worker's loops) on a daemon
    thread of its own, so it never holds a pool's worker for minutes. Returns the started thread, for
    callers that wait for it to end."""
    thread = threading.Thread(target=call, name=name, daemon=True)
    thread.start()
    return thread
