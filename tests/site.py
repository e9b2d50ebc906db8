"""A loopback web site for the middleware tests: a dict of pages, and a log of every request.

``ThreadingHTTPServer`` on port 0 in a thread (the scrapy-playwright mock-server shape). Several
origins are several sites on 127.0.0.1, 127.0.0.2, ... (all of 127/8 is loopback on Linux).
A page is ``(status, headers, body)``, optionally with a fourth item: seconds to wait before
answering (to hold a site file in flight while other requests pile up).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from typing_extensions import Self

Page = tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float]

HTML = {"Content-Type": "text/html; charset=utf-8"}
TEXT = {"Content-Type": "text/plain"}
JSON = {"Content-Type": "application/json"}


def html(body: str = "<p>hello</p>", head: str = "", **headers: str) -> Page:
    """A 200 HTML page with ``head`` markup and extra headers (``X_Robots_Tag="noai"``)."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    doc = f"<!doctype html><html><head><title>t</title>{head}</head><body>{body}</body></html>"
    return (200, {**HTML, **extra}, doc.encode())


class Site:
    """Serves ``pages`` (path, with query if any, to page); any other path is a 404."""

    def __init__(self, pages: Mapping[str, Page], host: str = "127.0.0.1") -> None:
        self.pages = dict(pages)
        self.host = host
        self.requested: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requested.append(self.path)
                page = site.pages.get(self.path, (404, TEXT, b"not found"))
                if len(page) == 4:
                    time.sleep(page[3])
                status, headers, body = page[0], page[1], page[2]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the access log is site.requested

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this site."""
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
