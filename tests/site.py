"""A loopback web site for the middleware tests: a dict of pages, and a log of every request.

Each origin is one :class:`tests.loopback.LoopbackServer` (on 127.0.0.1, 127.0.0.2, ...) whose
``requested`` is the access log.
A page is ``(status, headers, body)``, optionally with a fourth item: seconds to wait before
answering (to hold a site file in flight while other requests pile up).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .loopback import LoopbackServer

if TYPE_CHECKING:
    from collections.abc import Mapping
    from http.server import BaseHTTPRequestHandler

Page = tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float]

HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
JSON = {"Content-Type": "application/json"}


def html(body: str = "<p>hello</p>", head: str = "", **headers: str) -> Page:
    """A 200 HTML page with ``head`` markup and extra headers (``X_Robots_Tag="noai"``)."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    doc = f"<!doctype html><html><head><title>t</title>{head}</head><body>{body}</body></html>"
    return (200, {**HTML, **extra}, doc.encode())


class Site(LoopbackServer):
    """Serves ``pages`` (path, with query if any, to page); any other path is a 404."""

    def __init__(self, pages: Mapping[str, Page], host: str = "127.0.0.1") -> None:
        self.pages = dict(pages)
        super().__init__(host)

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        page = self.pages.get(handler.path, (404, TEXT, b"not found"))
        if len(page) == 4:
            time.sleep(page[3])
        status, headers, body = page[0], page[1], page[2]
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
