"""Shared pieces exist once: one read-through cache, one cache lock, one place that builds thread pools.

Grepping the source is the point: a second copy is exactly what these tests must catch.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [p for app in ("balances", "members", "studio", "api", "config") for p in (ROOT / app).rglob("*.py")]


def _where(pattern: str) -> list[str]:
    regex = re.compile(pattern, re.MULTILINE)
    return sorted(str(p.relative_to(ROOT)) for p in PRODUCTION if regex.search(p.read_text(encoding="utf-8")))


def test_there_is_one_read_through():
    assert _where(r"^\s*def read_through\b") == ["balances/cache.py"]


def test_only_the_concurrency_module_builds_thread_pools_or_threads():
    assert _where(r"ThreadPoolExecutor\(|threading\.Thread\(") == ["balances/concurrency.py"]
    assert _where(r"^\s*def run_together\b") == ["balances/concurrency.py"]


def test_only_the_cache_module_takes_cache_locks():
    # cache.add is how a lock is taken; the only other use is creating a counter (rate limits, budget,
    # breaker, invalidation), which those modules do with an explicit initial value and timeout.
    lockers = _where(r"while not cache\.add\(|if not cache\.add\(.*lock")
    assert lockers == []
    assert _where(r"^def cache_lock\b") == ["balances/cache.py"]


def test_every_stored_secret_uses_the_one_sealed_secret_mechanism():
    from balances.brevo.models import BrevoConnection
    from balances.secrets import sealed_models
    from balances.wix.models import WixConnection

    assert {BrevoConnection, WixConnection} <= set(sealed_models())
    assert _where(r"secrets\.(encrypt|decrypt|reencrypt)\(|from balances\.secrets import .*\b(encrypt|decrypt)\b") == []
