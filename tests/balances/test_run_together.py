"""The concurrency module: results in order, failures re-raised, and no deadlock when a call nests."""

import threading
import time

import pytest

from balances.concurrency import POOL_SIZES, in_background, map_together, run_together


def test_results_come_back_in_order_and_side_by_side():
    started = time.monotonic()
    results = run_together(*(lambda i=i: (time.sleep(0.2), i)[1] for i in range(4)))
    assert results == (0, 1, 2, 3) and time.monotonic() - started < 0.6
    assert map_together(lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]


def test_the_first_failure_is_raised():
    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        run_together(lambda: 1, boom)


def test_a_failure_is_raised_only_after_the_calls_still_running_have_ended():
    """A request's calls end with it. The first failure used to be raised while its siblings still ran: they spent
    from the call budget (and called Wix) after the answer had gone out, so a budget read right after a refusal
    saw their passing counts (test_the_lookup_api_spends_from_the_machines_share, flaky under load)."""
    failed = threading.Event()
    ended = []

    def boom():
        failed.set()
        raise ValueError("no")

    def slower():
        failed.wait(5)
        time.sleep(0.2)  # still running well after the failure
        ended.append(True)

    with pytest.raises(ValueError, match="no"):
        run_together(boom, slower)
    assert ended == [True]


def test_calls_nested_inside_a_full_pool_run_inline_instead_of_deadlocking():
    """Every worker of the pool waits on more calls to the same pool: queued, they would never run."""

    def outer(i):
        return sum(run_together(lambda: i, lambda: i))

    done = []
    worker = threading.Thread(
        target=lambda: done.append(run_together(*(lambda i=i: outer(i) for i in range(POOL_SIZES["wix"] * 2))))
    )
    worker.start()
    worker.join(timeout=10)
    assert done == [tuple(2 * i for i in range(POOL_SIZES["wix"] * 2))]


def test_background_work_runs_on_its_own_pool():
    names = []
    in_background(lambda: names.append(threading.current_thread().name)).result(timeout=5)
    assert names[0].startswith("prefetch")
