"""A loopback HTTP server for the command-line tests: serves a dict of paths, logs every request.

``ThreadingHTTPServer`` on port 0 in a thread, as a context manager (the scrapy-playwright
mock-server shape). Several origins are several servers on 127.0.0.1, 127.0.0.2, ... (all of
127/8 is loopback on Linux).
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

    from typing_extensions import Self


@dataclass(frozen=True)
class Reply:
    """One canned answer; ``drip`` sends the body one byte per ``drip`` seconds, ``endless``
    repeats it until the client hangs up (no Content-Length)."""

    body: bytes | str = b""
    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    drip: float = 0.0
    gzip: bool = False
    endless: bool = False


Spec = Reply | bytes | str | int


def _reply(spec: Spec) -> Reply:
    if isinstance(spec, Reply):
        return spec
    if isinstance(spec, int):
        return Reply(status=spec)
    return Reply(body=spec)


class Site:
    """Serves ``pages`` (path with query -> reply); any other path is a 404."""

    def __init__(self, pages: Mapping[str, Spec], host: str = "127.0.0.1") -> None:
        self.pages = {path: _reply(spec) for path, spec in pages.items()}
        self.requested: list[str] = []
        self.user_agents: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.requested.append(self.path)
                site.user_agents.append(self.headers.get("User-Agent", ""))
                reply = site.pages.get(self.path, Reply(b"not found", 404))
                body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                if reply.gzip:
                    body = gzip.compress(body)
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                if not reply.endless:
                    self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    while reply.endless:
                        self.wfile.write(body)
                    if reply.drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                except OSError:  # the client gave up: that is what some tests want
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

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
