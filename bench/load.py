"""A real server with two workers, a bounded load generator on loopback, and the workers' memory.

The server is the production runner: gunicorn on config.wsgi, with config/gunicorn.conf.py when it
exists (#5 adds it); the command line pins workers and a loopback ephemeral port.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .environment import ROOT
from .measure import median, p95

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # Fields after the command name (which may contain spaces): state, ppid, ...
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.pid:
                    pids.append(int(entry.name))
        return sorted(pids)


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, *, workers: int = 2) -> Iterator[Server]:
    args = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi"]
    if GUNICORN_CONF.exists():
        args += ["-c", str(GUNICORN_CONF)]
    args += [
        "-w",
        str(workers),
        "-b",
        "127.0.0.1:0",
        "--error-logfile",
        "-",
        "--log-level",
        "info",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(p)s "%(r)s" %(s)s',
    ]  # which worker answered
    log_path = workdir / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = _wait_for_listen(log_path, process, timeout=30)
        server = Server(url, process.pid, log_path)
        deadline = time.monotonic() + 30
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_listen(log_path: Path, process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log_path.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-2000:]}")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failed: int
    seconds: float
    concurrency: int
    latencies_ms: tuple[float, ...]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def median_ms(self) -> float:
        return median(self.latencies_ms)

    @property
    def p95_ms(self) -> float:
        return p95(self.latencies_ms)


def hammer(url: str, cookies: dict[str, str], *, total: int, concurrency: int, max_seconds: float) -> LoadResult:
    """GET `url` `total` times from `concurrency` threads, stopping early after `max_seconds`."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    failed = 0
    deadline = time.monotonic() + max_seconds

    def worker():
        nonlocal issued, failed
        with httpx.Client(cookies=cookies, timeout=30) as http:
            while time.monotonic() < deadline:
                with lock:
                    if issued >= total:
                        return
                    issued += 1
                started = time.perf_counter()
                try:
                    ok = http.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(ms)
                    failed += not ok

    threads = [threading.Thread(target=worker, name=f"load-{i}") for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return LoadResult(len(latencies), failed, seconds, concurrency, tuple(latencies))


def warm_every_worker(url: str, cookies: dict[str, str], server: Server, *, max_seconds: float = 30) -> None:
    """Until every worker has served `url` (so none starts cold, loading the page from Wix, during the
    measured load). Keep-alive would pin a client to one worker, so each request opens a new connection,
    several at once; the access log names the worker that answered. Bounded by `max_seconds`."""
    deadline = time.monotonic() + max_seconds
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    while time.monotonic() < deadline:
        threads = [threading.Thread(target=_one_request, args=(url, cookies)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        served = {
            int(pid)
            for pid, line_path in re.findall(r"^<(\d+)> \"GET /(\S*) [^\"]*\" 200$", server.log_path.read_text(), re.MULTILINE)
            if line_path == path
        }
        if set(server.worker_pids()) <= served:
            return
    raise RuntimeError("gunicorn workers did not all serve the page")


def _one_request(url: str, cookies: dict[str, str]) -> None:
    with httpx.Client(cookies=cookies, timeout=30, headers={"Connection": "close"}) as http:
        http.get(url)


def memory_mb(pid: int) -> tuple[float, float]:
    """(peak RSS, current RSS) of a process in MB, from /proc/<pid>/status."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024
