#!/usr/bin/env python
import os
import sys

# These commands live in apps that only config.demo.settings installs (production never loads the sandbox).
DEMO_COMMANDS = ("demo", "runsandbox")


def main():
    default = "config.demo.settings" if sys.argv[1:2] and sys.argv[1] in DEMO_COMMANDS else "config.settings"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
