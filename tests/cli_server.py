"""A loopback HTTP server for the command-line tests: serves a dict of paths, logs every request.

Each origin is one :class:`tests.loopback.LoopbackServer` (on 127.0.0.1, 127.0.0.2, ...) whose
``requested`` is the access log; the replies can drip, repeat forever or be gzipped.
"""

from __future__ import annotations

import gzip
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .loopback import LoopbackServer

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from http.server import BaseHTTPRequestHandler


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


class Site(LoopbackServer):
    """Serves ``pages`` (path with query -> reply); any other path is a 404. HTTP/1.1, and the
    ``User-Agent`` of each request is kept in ``user_agents``."""

    protocol_version = "HTTP/1.1"

    def __init__(self, pages: Mapping[str, Spec], host: str = "127.0.0.1") -> None:
        self.pages = {path: _reply(spec) for path, spec in pages.items()}
        self.user_agents: list[str] = []
        super().__init__(host)

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        self.user_agents.append(handler.headers.get("User-Agent", ""))
        reply = self.pages.get(handler.path, Reply(b"not found", 404))
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        if reply.gzip:
            body = gzip.compress(body)
        handler.send_response(reply.status)
        for name, value in reply.headers:
            handler.send_header(name, value)
        if reply.gzip:
            handler.send_header("Content-Encoding", "gzip")
        if not reply.endless:
            handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            while reply.endless:
                handler.wfile.write(body)
            if reply.drip:
                for i in range(len(body)):
                    handler.wfile.write(body[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(reply.drip)
            else:
                handler.wfile.write(body)
        except OSError:  # the client gave up: that is what some tests want
            pass
