"""Helpers of the exactly-once tests (their pool and change requests are tests/conftest.py's and tests/helpers.py's)."""

from tests.helpers import change_path


def lose_the_answer(server, pool):
    """Wix applies the change and answers 503; the client's two retries (same key) get 503 too."""
    server.faults.script("apply_then_fail", path_prefix=change_path(pool))
    server.faults.script("status", times=2, status=503, path_prefix=change_path(pool))
