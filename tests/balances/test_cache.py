"""The one read-through cache and its result type, and the one cache lock."""

import pytest
from django.core.cache import cache

from balances.cache import Cached, cache_lock, cached_copy, invalidate, lock_held, peek, read_through
from balances.wix.errors import WixAuthError, WixUnavailable


class Source:
    def __init__(self):
        self.calls = 0
        self.failure = None

    def __call__(self):
        self.calls += 1
        if self.failure:
            raise self.failure
        return {"answer": self.calls}


def read(source, **options):
    return read_through("scope", "key", source, fresh_seconds=60, keep_seconds=600, stale_on=(WixUnavailable,), **options)


def test_a_fresh_copy_is_served_without_asking_again():
    source = Source()
    first, second = read(source), read(source)
    assert (first.value, first.from_cache, second.value, second.from_cache) == ({"answer": 1}, False, {"answer": 1}, True)
    assert second.as_of == first.fetched_at and source.calls == 1 and peek("scope", "key")


def test_refresh_and_invalidate_ask_again():
    source = Source()
    read(source)
    assert read(source, refresh=True).value == {"answer": 2}
    invalidate("scope")
    assert not peek("scope", "key") and read(source).value == {"answer": 3}


def test_a_failure_serves_the_last_good_copy_marked_stale_with_its_message_and_kind():
    source = Source()
    first = read(source)
    source.failure = WixUnavailable("Wix is down.")
    stale = read(source, refresh=True)
    assert (stale.value, stale.fetched_at, stale.stale, stale.error, stale.failure) == (
        {"answer": 1},
        first.fetched_at,
        True,
        "Wix is down.",
        WixUnavailable,
    )
    assert stale.stale_reason == "Wix is down." and stale.ok


def test_failures_not_named_and_failures_without_a_copy_are_raised():
    source = Source()
    source.failure = WixUnavailable()
    with pytest.raises(WixUnavailable):
        read(source)
    source.failure = None
    read(source)
    source.failure = WixAuthError()
    with pytest.raises(WixAuthError):
        read(source, refresh=True)


def test_a_failed_result_has_no_value_and_says_why():
    failed = Cached.failed("Brevo is down.", WixUnavailable)
    assert (failed.ok, failed.value, failed.fetched_at, failed.error, failed.failure) == (
        False,
        None,
        None,
        "Brevo is down.",
        WixUnavailable,
    )


def test_a_cached_copy_of_another_type_is_not_served():
    read(Source())
    assert cached_copy("scope", "key", dict).value == {"answer": 1}
    assert cached_copy("scope", "key", list) is None
    cache.set("reads:scope:key", {"value": 1, "at": None})  # an entry an older release stored
    assert cached_copy("scope", "key", dict) is None


def test_the_lock_is_exclusive_and_released_only_by_its_holder():
    with cache_lock("lock:x", hold_seconds=30) as held:
        assert held and lock_held("lock:x")
        with cache_lock("lock:x", hold_seconds=30, wait_seconds=0.1) as second:
            assert not second
        assert lock_held("lock:x")  # the one that never held it did not release it
    assert not lock_held("lock:x")


def test_a_waiter_stops_waiting_when_the_holder_has_done_the_work():
    done = []
    with cache_lock("lock:y", hold_seconds=30):
        done.append(True)
        with cache_lock("lock:y", hold_seconds=30, wait_seconds=5, until=lambda: bool(done)) as held:
            assert not held


def test_a_lock_that_expired_and_was_taken_by_another_is_left_alone():
    with cache_lock("lock:z", hold_seconds=30) as held:
        assert held
        cache.set("lock:z", "someone else", 30)  # ours expired; another process took it
    assert cache.get("lock:z") == "someone else"
