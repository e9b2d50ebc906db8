"""The one loopback HTTP server the test sites share: thread, access log, origin, lifetime.

``ThreadingHTTPServer`` on port 0 in a thread, as a context manager (the scrapy-playwright
mock-server shape). Several origins are several servers on 127.0.0.1, 127.0.0.2, ... (all of
127/8 is loopback on Linux). Subclasses say only how a GET is answered, in :meth:`respond`:
:class:`tests.site.Site` (a dict of pages), :class:`tests.cli_server.Site` (canned replies)
and ``FaultSite`` in ``tests/test_faults.py`` (raw actions: resets, drips).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self


class LoopbackServer:
    """Logs every GET path in ``requested``, then lets :meth:`respond` answer it."""

    protocol_version: ClassVar[str] = "HTTP/1.0"  # 1.0: one request per connection

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requested: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = server.protocol_version

            def do_GET(self) -> None:
                with server._lock:
                    server.requested.append(self.path)
                server.respond(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the access log is server.requested

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer the GET that ``handler`` has read (``handler.path``); runs on a server thread."""
        raise NotImplementedError

    @property
    def origin(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.origin + path

    def count(self, path: str) -> int:
        """How many times ``path`` was requested."""
        with self._lock:
            return self.requested.count(path)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
