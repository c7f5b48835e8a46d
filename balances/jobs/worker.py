"""The worker loop: the scheduler (jobs/schedule.py) in this thread, django-tasks-db's queue runner beside it.

`manage.py worker` runs it as its own process (production); `start_in_thread()` runs it inside another
process (the demo, so `make demo` needs no second command and shares the demo's local-memory cache).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time

from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as QueueRunner

from ..concurrency import run_detached
from .schedule import JOBS, Scheduler, lease_seconds, requeue_orphans

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, worker_id: str | None = None, *, tick: float = 1.0):
        self.worker_id = (worker_id or f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(6)}")[:64]
        self.tick = tick
        self.scheduler = Scheduler(self.worker_id)
        self.queue = QueueRunner(
            queue_names=["default"],
            interval=tick,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )

    def job_names(self) -> list[str]:
        return sorted(JOBS)

    def run(self, stop: threading.Event, *, grace: float = 60.0) -> None:
        """Until `stop` is set: beat, requeue dead workers' tasks, start due jobs. Then let running work end."""
        queue_thread = run_detached(self._run_queue, name="task-queue")
        beat_every = max(lease_seconds() / 6, 0.2)
        last_beat = 0.0
        while not stop.is_set():
            close_old_connections()
            # Separately: a failed heartbeat must not also skip starting due jobs (and vice versa).
            if time.monotonic() - last_beat >= beat_every:
                try:
                    self.scheduler.beat()
                    requeue_orphans()
                    last_beat = time.monotonic()
                except Exception:  # a database hiccup must not end the worker; the next beat tries again
                    log.exception("heartbeat failed")
            try:
                self.scheduler.tick()
            except Exception:
                log.exception("scheduler tick failed")
            stop.wait(self.tick)
        # Stop taking work; keep the leases of jobs still running alive until they end (or the grace runs out).
        self.queue.running = False
        deadline = time.monotonic() + grace
        while self.scheduler.busy() and time.monotonic() < deadline:
            try:
                self.scheduler.beat()
            except Exception:  # keep waiting for the job; the next beat tries again
                log.exception("heartbeat failed")
            time.sleep(min(beat_every, 1.0))
        queue_thread.join(max(deadline - time.monotonic(), 0))
        connection.close()

    def _run_queue(self) -> None:
        """django-tasks-db's runner loop; restarted if the database fails under it, so the queue is never
        left unserved while the scheduler goes on."""
        while self.queue.running:
            try:
                self.queue.run()
            except Exception:
                log.exception("task queue runner failed; restarting it")
                time.sleep(self.tick)
            finally:
                connection.close()


def start_in_thread(tick: float = 1.0) -> threading.Event:
    """Run a worker in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    worker = Worker(tick=tick)
    run_detached(functools.partial(worker.run, stop, grace=5.0), name="worker")
    log.info("worker %s started in-process (jobs: %s)", worker.worker_id, ", ".join(worker.job_names()))
    return stop
