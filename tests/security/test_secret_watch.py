"""The run-wide secret watch must itself catch leaks, or its silence proves nothing."""

import logging

from tests import secret_watch


def test_it_catches_a_secret_in_a_log_line_and_in_a_response(client, db):
    secret = secret_watch.remember_secret("watch-me-" + "x" * 20)
    logging.getLogger("credit-desk.test").warning("oops %s", secret)
    client.get("/accounts/login/", {"next": secret})  # the login page echoes `next` into a hidden field
    found = list(secret_watch._leaks)
    secret_watch._leaks.clear()  # the leaks were planted: don't fail this test for them
    assert any("log line from credit-desk.test" in leak for leak in found)
    assert any("response to /accounts/login/" in leak for leak in found)
