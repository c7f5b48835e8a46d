"""Settings for `make demo`, `make sandbox` and the tests: production's settings plus the two apps that
bring the emulators in — `sandbox` (`manage.py runsandbox`) and `demo` (`manage.py demo`).

Production (`config.settings`) installs neither, so no production process can load the sandbox.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "sandbox", "config.demo"]
