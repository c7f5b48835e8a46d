"""The start/stop both emulators share: a threaded loopback HTTP server run in a daemon thread.

:class:`LoopbackServer` owns binding (loopback only), the serving thread, fast shutdown (hung
handler threads are not waited for: their sockets are shut down), and the context-manager protocol.
:class:`QuietHandler` is the request-handler base: HTTP/1.1 keep-alive, no Nagle delay, no stderr
logging, and registration of each open connection with its server so ``stop()`` can cut it.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, each answer waits ~40 ms for the
    # client's delayed ACK, which would add a fake 40 ms to every emulated call.
    disable_nagle_algorithm = True
    sys_version = ""
    timeout = 120  # idle keep-alive connections end after this
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.server.sandbox._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.sandbox._track(self.connection, False)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    sandbox: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients vanish, faults reset sockets
        pass


class LoopbackServer:
    """Base of ``SandboxServer`` (Wix) and ``BrevoSandboxServer``: ``start()``, ``stop()``, ``url``,
    ``serve_forever()`` and ``with server: …``. Subclasses pass their handler class; the handler reaches
    the subclass instance as ``self.server.sandbox``."""

    thread_name = "sandbox"

    def __init__(self, handler: type[QuietHandler], host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK:
            raise ValueError("the sandbox only binds a loopback address (127.0.0.1)")
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None
        address = self._httpd.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.02},
                name=f"{self.thread_name}-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Fast: stops accepting, then shuts down open connections instead of waiting for hung handlers."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self._httpd.server_close()
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve_forever(self) -> None:
        """Serve in the calling thread (used by the CLI) until KeyboardInterrupt."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopping.set()
            self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
