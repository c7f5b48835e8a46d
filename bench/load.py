"""A real server with two workers, a bounded load generator on loopback, and the workers' memory.

The server is the production runner: gunicorn with config/gunicorn.conf.py (`start_gunicorn`, which the
multi-process tests use too); the command line pins workers and a loopback ephemeral port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from .environment import ROOT
from .measure import median, p95

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


def start_gunicorn(
    env: Mapping[str, str],
    *,
    args: Sequence[str] = (),
    stdout: int | IO[str] = subprocess.DEVNULL,
    drain: bool = False,
    keep: list[str] | None = None,
    timeout: float = 30,
) -> tuple[subprocess.Popen[str], str]:
    """Start the production runner (`gunicorn -c config/gunicorn.conf.py`, then `args`) from the repository
    with exactly `env`; return it and its URL once its error log (stderr) says where it listens.

    The bench and the multi-process tests start it this one way. stdout (the access log) goes to `stdout`.
    stderr is read only until the listen line unless `drain` keeps reading it in a thread: a server that
    logs a lot (the soak's faults) would otherwise block on a full pipe. `keep` collects what is drained.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), *args],
        env=dict(env),
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    stderr = process.stderr
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stderr.readline()
        seen.append(line)
        if match := LISTENING.search(line):
            if drain:  # the thread owns the pipe from here and closes it at the end
                process.stderr = None
                threading.Thread(target=_read_to_end, args=(stderr, keep), daemon=True).start()
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("gunicorn did not start:\n" + "".join(seen)[-2000:])


def _read_to_end(stream: IO[str], keep: list[str] | None) -> None:
    with stream:
        for line in stream:
            if keep is not None:
                keep.append(line)


def stop_gunicorn(*processes: subprocess.Popen[str], timeout: float = 15) -> None:
    """A graceful stop (SIGTERM) for every server at once, then wait for each; one that outlasts `timeout`
    is killed."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name (which may contain spaces): state, ppid, ...
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(entry.name))
    return sorted(pids)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        return children_of(self.pid)


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, *, workers: int = 2) -> Iterator[Server]:
    # The access log (stdout) names the worker that answered: warm_every_worker reads it.
    args = ["-w", str(workers), "-b", "127.0.0.1:0", "--log-level", "info", "--access-logformat", '%(p)s "%(r)s" %(s)s']
    log_path = workdir / "gunicorn.log"
    with open(log_path, "w") as log:
        process, url = start_gunicorn({**os.environ, **env}, args=args, stdout=log, drain=True)
    try:
        server = Server(url, process.pid, log_path)
        deadline = time.monotonic() + 30
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server
    finally:
        stop_gunicorn(process)


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
