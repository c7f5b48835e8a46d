"""Gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py` (README, "Running in production").

Threaded sync workers (gthread): the views are plain Django and spend their time waiting on Wix over
httpx, so a few threads per process give concurrency without an async rewrite, and the background
next-page prefetch runs in ordinary threads. Processes share nothing but PostgreSQL and Redis, so any
number of them, on any number of machines, can sit behind the load balancer (probe: GET /healthz).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
# Longer than the slowest page (Wix timeout + retries) so a worker is never killed mid-answer.
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# No control socket: its default path is per user, so two servers on one machine would fight over it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Workers fork from a master that has already imported Django, the app and its URLconf: a new or recycled
# worker answers its first request at once (not after a second of imports under load), and the workers
# share that memory. Nothing at import time opens a database connection or starts a thread.
preload_app = True


def when_ready(server):
    # Runs in the master after the app is loaded and before any worker forks. Django imports the URLconf
    # (and with it every view) on the first request; do it here, once, for all workers.
    from django.urls import get_resolver

    server.log.info("URLconf loaded: %d top-level patterns", len(get_resolver().url_patterns))
