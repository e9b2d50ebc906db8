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

from bench.imagegen import jpeg, png, store, xmp_packet
from bench.sitegen import ai_txt, html_page, robots_txt, rsl_document, tdmrep_json

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["SITE_FILES", "build_site", "main", "serve_site"]

SITE_FILES = {
    "robots": "/robots.txt",
    "tdmrep": "/.well-known/tdmrep.json",
    "aitxt": "/ai.txt",
    "rsl": "/rsl/license.xml",  # the document robots.txt License: names, where it does
}
_PAGE_RSL = "/rsl/page.xml"  # the document a page's Link header or <link> names
RSL_ORIGIN_EVERY = 9  # every 9th origin with a robots.txt names an RSL document in it
PAGE_RSL_LINK_SHARE = 0.02  # of pages: a Link: <...>; rel="license"; type="application/rsl+xml"
PAGE_RSL_HEAD_SHARE = 0.01  # of pages: the same as a <link> in the head
IMAGES_PER_ORIGIN_EVERY = 10  # one image URL in the crawl after every 10 pages (~9 % of URLs)
XMP_SHARE = 0.35  # of images: an IPTC-style packet (a third of them with DataMining)
C2PA_SHARE = 0.10  # of images: a C2PA store (training-mining notAllowed or allowed)
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
    """Responses by host and path, and the start URLs (origins interleaved, fixed order).

    Each origin has ``pages`` HTML pages and one image per 10 pages (at least one), which the
    start URLs list among the pages; every 9th origin with a robots.txt names an RSL document
    in it, and a few pages name one in a ``Link`` header or ``<link>`` (see the constants).
    """
    site: dict[str, dict[str, bytes]] = {}
    per_origin: list[list[str]] = []
    with_robots = 0
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
        # RSL and images draw from a random stream of their own, so the pages, robots.txt and
        # other site files stay byte for byte what they were before RSL and images were added.
        extra = random.Random(f"{seed}:extras:{i}")
        with_robots += "/robots.txt" in responses
        if "/robots.txt" in responses and with_robots % RSL_ORIGIN_EVERY == 1:
            _add_site_rsl(responses, origin, prohibit=with_robots % (2 * RSL_ORIGIN_EVERY) != 1)
        responses[_PAGE_RSL] = _response(
            200, rsl_document(prohibit_train="/articles/").encode(), "application/rsl+xml"
        )
        images = _images(extra, responses, max(1, pages // IMAGES_PER_ORIGIN_EVERY))
        for path in paths:
            size = int(math.exp(rng.uniform(math.log(10_000), math.log(100_000))))
            head, headers = _page_signals(rng)
            links = tuple(rng.sample(paths, min(40, len(paths))))
            body = html_page(rng, origin, path, size, signals=head, links=links)
            body, headers = _page_extras(extra, origin, body, headers, images)
            responses[path] = _response(200, body, "text/html; charset=utf-8", headers)
        site[host] = responses
        # Image j follows page 10 j + 9 (the last page on a small site), so images are spread
        # through the crawl as a spider meets them.
        slots = {
            min(pages - 1, (j + 1) * IMAGES_PER_ORIGIN_EVERY - 1): j for j in range(len(images))
        }
        crawl = []
        for k, path in enumerate(paths):
            crawl.append(origin + path)
            if k in slots:
                crawl.append(origin + images[slots[k]])
        per_origin.append(crawl)
    longest = max(len(u) for u in per_origin)
    urls = [urls[k] for k in range(longest) for urls in per_origin if k < len(urls)]
    return site, urls


def _add_site_rsl(responses: dict[str, bytes], origin: str, *, prohibit: bool) -> None:
    """A robots.txt ``License:`` line (before the first group) naming a same-origin document:
    free for everything, or (``prohibit``) ``ai-train`` prohibited under ``/news/``."""
    _, _, body = responses["/robots.txt"].partition(b"\r\n\r\n")
    text = body.decode()
    cut = text.index("User-agent:")
    line = f"License: {origin}{SITE_FILES['rsl']}\n\n"
    responses["/robots.txt"] = _response(
        200, (text[:cut] + line + text[cut:]).encode(), "text/plain"
    )
    document = rsl_document(prohibit_train="/news/" if prohibit else None)
    responses[SITE_FILES["rsl"]] = _response(200, document.encode(), "application/rsl+xml")


def _images(rng: random.Random, responses: dict[str, bytes], count: int) -> list[str]:
    """``count`` JPEG/PNG images of 10-500 KB (log-uniform), some with XMP or C2PA opt-outs."""
    paths = []
    for k in range(count):
        kind = rng.choice(("jpg", "png"))
        path = f"/img/{k}.{kind}"
        size = int(math.exp(rng.uniform(math.log(10_000), math.log(500_000))))
        roll = rng.random()
        xmp = c2pa = b""
        if roll < XMP_SHARE:
            value = "DMI-PROHIBITED-GENAIMLTRAINING" if rng.random() < 1 / 3 else None
            xmp = xmp_packet(value, rng)
        elif roll < XMP_SHARE + C2PA_SHARE:
            c2pa = store(rng.choice(["notAllowed", "allowed"]))
        make, ctype = (jpeg, "image/jpeg") if kind == "jpg" else (png, "image/png")
        responses[path] = _response(200, make(size, rng, xmp=xmp, c2pa=c2pa), ctype)
        paths.append(path)
    return paths


def _page_extras(
    rng: random.Random, origin: str, body: bytes, headers: tuple[str, ...], images: list[str]
) -> tuple[bytes, tuple[str, ...]]:
    """1-3 ``<img>`` in the body; on a few pages an RSL Link header or head ``<link>``."""
    imgs = "".join(
        f'<img src="{p}" alt="">' for p in rng.sample(images, min(len(images), rng.randint(1, 3)))
    )
    body = body.replace(b"<body>", b"<body>\n" + imgs.encode(), 1)
    href = origin + _PAGE_RSL
    if rng.random() < PAGE_RSL_LINK_SHARE:
        headers = (*headers, f'Link: <{href}>; rel="license"; type="application/rsl+xml"')
    if rng.random() < PAGE_RSL_HEAD_SHARE:
        link = f'<link rel="license" type="application/rsl+xml" href="{href}">\n</head>'
        body = body.replace(b"</head>", link.encode(), 1)
    return body, headers


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
