"""The crawl benchmark's web site: many loopback origins, served from a process of its own.

``python -m bench.server --origins 60 --pages 80`` binds 127.0.0.2, 127.0.0.3, ... (one host
per origin, so Scrapy gives each its own download slot) on one port, pre-generates every
response in memory from fixed seeds, and prints one JSON line when it is ready:
``{"port": ..., "control": "http://127.0.0.1:..."}``. The control host answers ``/urls`` (the
crawl's start URLs, origins interleaved), ``/reset`` and ``/counts`` (requests per site file
per origin, as the server saw them, and the server's own CPU time). Running it apart keeps the
server's CPU out of the crawler process that is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

from bench.sitegen import ai_txt, html_page, robots_txt, tdmrep_json

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SITE_FILES", "build_site", "main", "serve_site"]

SITE_FILES = {
    "robots": "/robots.txt",
    "tdmrep": "/.well-known/tdmrep.json",
    "aitxt": "/ai.txt",
}
_SECTIONS = ("articles", "news", "products", "guides")
_CC = "https://creativecommons.org/licenses/by-nc/4.0/"


def _response(status: int, body: bytes, ctype: str, extra: tuple[str, ...] = ()) -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {ctype}",
        f"Content-Length: {len(body)}",
        "Cache-Control: max-age=600",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


NOT_FOUND = _response(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")


def _page_signals(rng: random.Random) -> tuple[dict[str, str], tuple[str, ...]]:
    """The opt-out signals of one page: HTML head tags and response headers, each on some."""
    head: dict[str, str] = {}
    if rng.random() < 0.12:
        head["robots"] = '<meta name="robots" content="index, follow, noai, noimageai">'
    if rng.random() < 0.08:
        head["tdm"] = (
            '<meta name="tdm-reservation" content="1">\n'
            '<meta name="tdm-policy" content="https://www.example.com/tdm/policy.json">'
        )
    if rng.random() < 0.2:
        head["license"] = f'<link rel="license" href="{_CC}">'
    if rng.random() < 0.05:
        head["ccbot"] = '<meta name="CCBot" content="noai">'
    headers: list[str] = []
    if rng.random() < 0.08:
        headers.append("X-Robots-Tag: noai")
    if rng.random() < 0.05:
        headers.append("tdm-reservation: 1")
    if rng.random() < 0.1:
        headers.append("Content-Usage: train-ai=n, search=y")
    if rng.random() < 0.05:
        headers.append(f'Link: <{_CC}>; rel="license"')
    return head, tuple(headers)


def build_site(
    origins: int, pages: int, port: int, seed: str = "bench"
) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """Responses by host and path, and the start URLs (origins interleaved, fixed order)."""
    site: dict[str, dict[str, bytes]] = {}
    per_origin: list[list[str]] = []
    for i in range(origins):
        host = f"127.0.0.{i + 2}"
        origin = f"http://{host}:{port}"
        rng = random.Random(f"{seed}:origin:{i}")
        responses: dict[str, bytes] = {}
        if rng.random() < 0.85:
            text = robots_txt(rng, rules=rng.randint(20, 200), wildcard_share=0.3, crawl_safe=True)
            responses["/robots.txt"] = _response(200, text.encode(), "text/plain")
        if rng.random() < 0.35:
            responses[SITE_FILES["tdmrep"]] = _response(
                200, tdmrep_json(rng).encode(), "application/json"
            )
        if rng.random() < 0.3:
            responses["/ai.txt"] = _response(200, ai_txt(rng).encode(), "text/plain")
        paths = [
            f"/{rng.choice(_SECTIONS)}/page-{k}-{rng.randrange(10_000)}.html" for k in range(pages)
        ]
        paths[len(paths) // 2] = "/private/members.html"  # robots.txt disallows it, where present
        for path in paths:
            size = int(math.exp(rng.uniform(math.log(10_000), math.log(100_000))))
            head, headers = _page_signals(rng)
            links = tuple(rng.sample(paths, min(40, len(paths))))
            body = html_page(rng, origin, path, size, signals=head, links=links)
            responses[path] = _response(200, body, "text/html; charset=utf-8", headers)
        site[host] = responses
        per_origin.append([origin + path for path in paths])
    urls = [urls[k] for k in range(pages) for urls in per_origin]
    return site, urls


class _Server:
    def __init__(self, site: dict[str, dict[str, bytes]], urls: list[str]) -> None:
        self.site = site
        self.urls = urls
        self.counts: Counter[tuple[str, str]] = Counter()
        self.requests = 0
        self.cpu_at_reset = time.process_time()
        self.listeners: list[asyncio.Server] = []

    def handler(self, host: str):  # type: ignore[no-untyped-def]
        pages = self.site[host]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    target = head[: head.find(b"\r\n")].split(b" ")
                    path = target[1].decode("latin-1") if len(target) > 1 else "/"
                    self.counts[host, path] += 1
                    self.requests += 1
                    writer.write(pages.get(path, NOT_FOUND))
                    await writer.drain()
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                pass
            finally:
                writer.close()

        return serve

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ")[1].decode()
        if path == "/reset":
            self.counts.clear()
            self.requests = 0
            self.cpu_at_reset = time.process_time()
            payload: object = {"ok": True}
        elif path == "/urls":
            payload = self.urls
        else:
            files = {
                kind: {host: self.counts[host, file] for host in self.site}
                for kind, file in SITE_FILES.items()
            }
            payload = {
                "files": files,
                "requests": self.requests,
                "cpu_secs": time.process_time() - self.cpu_at_reset,
            }
        body = json.dumps(payload).encode()
        writer.write(_response(200, body, "application/json", ("Connection: close",)))
        await writer.drain()
        writer.close()


async def _bind_all(server: _Server, port: int) -> bool:
    """Listen on ``port`` on every host; False (and nothing left open) if one is taken."""
    servers: list[asyncio.Server] = []
    try:
        for host in server.site:
            servers.append(  # noqa: PERF401  (a loop: what is open must be closed on failure)
                await asyncio.start_server(server.handler(host), host, port, backlog=512)
            )
    except OSError:
        for s in servers:
            s.close()
        return False
    server.listeners = servers
    return True


async def serve_site(build: Callable[[int], tuple[dict[str, dict[str, bytes]], list[str]]]) -> None:
    """Serve the site ``build(port)`` makes on every loopback host, and the control host; print
    both ports as one JSON line, then serve until the parent terminates us."""
    # One port for every host: take a free one on the first host, retry if another is taken.
    for _attempt in range(20):
        first = await asyncio.start_server(lambda r, w: None, "127.0.0.2", 0)
        port = first.sockets[0].getsockname()[1]
        first.close()
        await first.wait_closed()
        site, urls = build(port)
        server = _Server(site, urls)
        if await _bind_all(server, port):
            break
    else:
        raise SystemExit("no free port shared by every loopback host")
    control = await asyncio.start_server(server.control, "127.0.0.1", 0)
    control_port = control.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "control": f"http://127.0.0.1:{control_port}"}), flush=True)
    await asyncio.Event().wait()  # until the parent terminates us


async def _serve(origins: int, pages: int, seed: str) -> None:
    await serve_site(lambda port: build_site(origins, pages, port, seed))


def main(argv: list[str] | None = None) -> int:
    """Serve the site until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--origins", type=int, default=60)
    parser.add_argument("--pages", type=int, default=80, help="pages per origin")
    parser.add_argument("--seed", default="bench")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # the parent stops us with SIGTERM anyway
        asyncio.run(_serve(args.origins, args.pages, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
