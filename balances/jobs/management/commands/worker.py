"""`manage.py worker`: the one background process — scheduled jobs plus the task queue.

Run one or more anywhere that reaches the database (and Redis, when REDIS_URL is set): each scheduled job
still runs once per period, by one of them (jobs/schedule.py says how).
"""

import importlib
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from balances.jobs.worker import Worker


class Command(BaseCommand):
    help = "Run scheduled jobs (exactly one runner per job at a time) and tasks queued by the pages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tick", type=float, default=1.0, help="seconds between looks at the schedule and the queue")
        parser.add_argument("--worker-id", default="", help="unique per worker process (default: host-pid-random)")
        parser.add_argument("--import", dest="modules", action="append", default=[], help="also import this module's jobs")

    def handle(self, *args: Any, tick: float, worker_id: str, modules: list[str], **options: Any) -> None:
        for module in modules:
            importlib.import_module(module)
        if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
            self.stderr.write(
                "Warning: no REDIS_URL, so results kept in the cache (the Needs attention report) stay inside this "
                "process; a separate web process will not see them. Set REDIS_URL (the demo runs its worker in-process)."
            )
        worker = Worker(worker_id or None, tick=tick)
        stop = threading.Event()

        def graceful(signum: int, frame: FrameType | None) -> None:
            self.stdout.write(f"{signal.Signals(signum).name}: finishing running jobs, then stopping")
            stop.set()

        signal.signal(signal.SIGTERM, graceful)
        signal.signal(signal.SIGINT, graceful)
        self.stdout.write(f"worker {worker.worker_id}: jobs {', '.join(worker.job_names()) or '(none)'}; queue 'default'")
        worker.run(stop)
        self.stdout.write(f"worker {worker.worker_id} stopped")
