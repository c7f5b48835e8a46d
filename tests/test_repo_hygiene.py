"""`make test` leaves `git status` clean: what the tests write goes to folders git ignores."""

import subprocess
from pathlib import Path

from tests.browser.conftest import SCREENSHOTS

ROOT = Path(__file__).resolve().parents[1]


def test_browser_screenshots_go_to_an_ignored_folder():
    # docs/screenshots/ is tracked (the README shows it); `make screenshots` copies into it on purpose.
    assert ROOT / "docs" / "screenshots" != SCREENSHOTS
    probe = SCREENSHOTS / "login.png"
    ignored = subprocess.run(["git", "check-ignore", "--quiet", str(probe)], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{probe.relative_to(ROOT)} is not ignored by git"
