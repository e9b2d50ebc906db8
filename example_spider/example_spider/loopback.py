"""A multi-origin web server on loopback: one ThreadingHTTPServer per origin, in threads.

Scrapy keys download slots by host name and the opt-out middleware keys site files by origin, so
each origin gets its own loopback address (127.0.0.2, 127.0.0.3, ...: Linux routes all of
127.0.0.0/8 to loopback) on its own port. Where only 127.0.0.1 exists (macOS), every origin
falls back to 127.0.0.1 with its own port: still distinct origins, one download slot.

Standard library only, so the benchmark and the tests can import it without Scrapy.
"""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from string import Template
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["Expect", "LoopbackSites", "Origin", "Page"]

_FALLBACK_HOST = "127.0.0.1"
_NO_ADDRESS = frozenset({errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})


class Expect:
    """What an opt-out-aware crawl for ``train-ai`` should do with a page (plain strings)."""

    KEEP = "keep"  # downloaded and given to the spider; nothing reserves it
    KEEP_RESERVED = "keep (reserved)"  # tag mode: given to the spider, tagged reserved
    DROP_BEFORE = "drop-before"  # never downloaded (reserved by a site file, or forbidden)
    DROP_AFTER = "drop-after"  # reserved by the response itself: downloaded, never parsed
    NONE = ""  # a site file or asset, not a page the spider yields


@dataclass(frozen=True, slots=True)
class Page:
    """One resource of an origin. ``str`` bodies are templates: ``${origin-name}`` is replaced
    by that origin's base URL and ``${self}`` by the serving origin's own."""

    path: str
    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    title: str = ""  # listed on the index when set
    expect: str = Expect.NONE
    why: str = ""  # the signal expected to decide, in words (shown on the index)
    expect_tagged: str | None = None  # in tag mode, when not what ``expect`` implies

    @property
    def expect_when_tagged(self) -> str:
        """What a tag-mode crawl should do: keep it, tagged reserved where drop mode drops."""
        if self.expect_tagged is not None:
            return self.expect_tagged
        if self.expect in {Expect.DROP_BEFORE, Expect.DROP_AFTER}:
            return Expect.KEEP_RESERVED
        return self.expect


@dataclass(frozen=True, slots=True)
class Origin:
    """One scheme-host-port with its resources; ``host`` is the preferred loopback address."""

    name: str
    host: str
    about: str
    pages: tuple[Page, ...] = ()

    def page(self, path: str) -> Page | None:
        """The page served at ``path`` (query ignored), if any."""
        for page in self.pages:
            if page.path == path:
                return page
        return None


class _Template(Template):
    braceidpattern = r"[a-z][a-z0-9-]*"  # ${origin-name}: hyphens allowed in braces


@dataclass(slots=True)
class _Served:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    """Serves one origin's pre-rendered resources; unknown paths get a 404 page."""

    server_version = "optout-demo"
    sys_version = ""
    resources: ClassVar[dict[str, _Served]] = {}
    origin_name: ClassVar[str] = ""
    log: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        self.log.append((self.origin_name, self.path))  # list.append is atomic
        served = self.resources.get(path) or _NOT_FOUND
        self.send_response(served.status)
        for name, value in served.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(served.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(served.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the crawl's own output is the point of the demo."""


_NOT_FOUND = _Served(
    404,
    [("Content-Type", "text/html; charset=utf-8")],
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1></body></html>",
)


@dataclass(eq=False)
class LoopbackSites:
    """Serves ``origins`` on loopback until stopped; a context manager.

    ``port=0`` picks a free port per origin. ``requested`` logs every request as
    ``(origin name, path and query)``, in arrival order.
    """

    origins: tuple[Origin, ...]
    port: int = 0
    single_host: bool = False  # force 127.0.0.1 for every origin
    bases: dict[str, str] = field(default_factory=dict, init=False)
    requested: list[tuple[str, str]] = field(default_factory=list, init=False)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list, init=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False)

    def start(self) -> dict[str, str]:
        """Bind and start every origin; return ``{origin name: base URL}``."""
        if self._servers:
            return self.bases
        try:
            bound = [(origin, self._bind(origin)) for origin in self.origins]
        except BaseException:
            self.stop()
            raise
        for origin, server in bound:
            host, port = server.server_address[:2]
            self.bases[origin.name] = f"http://{host!s}:{port}"
        for origin, server in bound:
            server.RequestHandlerClass = type(
                f"Handler_{origin.name}",
                (_Handler,),
                {
                    "resources": self._render(origin),
                    "origin_name": origin.name,
                    "log": self.requested,
                },
            )
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"demo-{origin.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self.bases

    def stop(self) -> None:
        """Stop every server and free its port; safe to call twice."""
        servers, self._servers = self._servers, []
        threads, self._threads = self._threads, []
        for server, thread in zip(servers, threads, strict=False):
            server.shutdown()  # returns once serve_forever has seen the request
            thread.join()
        for server in servers:
            server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, origin: str, path: str = "/") -> str:
        """The absolute URL of ``path`` on the origin named ``origin``."""
        return self.bases[origin] + path

    def origin_of(self, url: str) -> str | None:
        """The name of the demo origin serving ``url``, or None for any other URL."""
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        for name, known in self.bases.items():
            if known == base:
                return name
        return None

    def expectations(self) -> list[tuple[str, Page]]:
        """``(absolute URL, page)`` for every page with an expected outcome."""
        return [
            (self.url(origin.name, page.path), page)
            for origin in self.origins
            for page in origin.pages
            if page.expect
        ]

    def _bind(self, origin: Origin) -> ThreadingHTTPServer:
        hosts = [_FALLBACK_HOST] if self.single_host else [origin.host, _FALLBACK_HOST]
        for host in hosts:
            try:
                server = _Server((host, self.port), _Handler)
            except OSError as exc:
                if exc.errno not in _NO_ADDRESS or host == _FALLBACK_HOST:
                    raise
                continue
            self._servers.append(server)
            return server
        raise OSError(errno.EADDRNOTAVAIL, "no loopback address available")  # pragma: no cover

    def _render(self, origin: Origin) -> dict[str, _Served]:
        mapping = {**self.bases, "self": self.bases[origin.name]}
        rendered = {}
        for page in origin.pages:
            body = page.body
            if isinstance(body, str):
                body = _Template(body).safe_substitute(mapping).encode("utf-8")
            headers = [("Content-Type", page.content_type)] if page.content_type else []
            headers.extend(
                (name, _Template(value).safe_substitute(mapping)) for name, value in page.headers
            )
            rendered[page.path] = _Served(page.status, headers, body)
        return rendered


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never blocks stop()
    allow_reuse_address = True
