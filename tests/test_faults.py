"""Faults against a loopback server in real crawls: never crash, never hang, never lose a decision.

GitHub issue 6. Each test runs a real crawl against servers that misbehave (time out, reset the
connection, loop, drip, fail then recover) and checks the documented outcome (README "Failure
behaviour"), that the crawl goes on, and that the audit file and the stats record it. The
servers' own access logs are the ground truth for what was fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals as scrapy_signals
from scrapy.crawler import AsyncCrawlerRunner

from .conftest import BASE_SETTINGS, crawl, crawl_test, needs_loopback_hosts
from .loopback import LoopbackServer
from .site import HTML, JSON, TEXT, Site, html

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping

    from scrapy.http import Response

Handler = BaseHTTPRequestHandler

PACKAGE = Path(__file__).resolve().parent.parent / "optout_middleware"


# --- a server whose pages are actions: answer, sleep, reset, drip ---------------------------


def answer(
    status: int = 200,
    headers: list[tuple[str, str]] | Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    delay: float = 0.0,
) -> Callable[[Handler], None]:
    """An action that answers (after ``delay``); ``headers`` may repeat a name."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])

    def act(h: Handler) -> None:
        if delay:
            time.sleep(delay)
        h.send_response(status)
        for name, value in pairs:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return act


def reset(h: Handler) -> None:
    """Close the socket with a TCP RST (SO_LINGER 0) before answering anything."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def drip(body: bytes, every: float, headers: Mapping[str, str] = TEXT) -> Callable[[Handler], None]:
    """Send ``body`` one byte every ``every`` seconds (a slow-loris answer)."""

    def act(h: Handler) -> None:
        h.send_response(200)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for i in range(len(body)):
                h.wfile.write(body[i : i + 1])
                h.wfile.flush()
                time.sleep(every)
        except OSError:  # the client gave up: that is the point
            pass

    return act


class FaultSite(LoopbackServer):
    """Like :class:`tests.site.Site`, but each path maps to an action on the raw handler."""

    def __init__(self, actions: Mapping[str, Callable[[Handler], None]], host: str = "127.0.0.1"):
        self.actions = dict(actions)
        super().__init__(host)

    def respond(self, handler: Handler) -> None:
        act = self.actions.get(handler.path, answer(404, TEXT, b"not found"))
        with contextlib.suppress(OSError):  # the client hung up first
            act(handler)


def audit_records(path: Path) -> list[dict[str, Any]]:
    """Every decision record of an audit file (each line must be one JSON object); the crawl
    header (``"type": "crawl"``) left out."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in records if "type" not in r]


def site_pages(robots: Callable[[Handler], None]) -> dict[str, Callable[[Handler], None]]:
    return {"/robots.txt": robots, "/open": answer(200, HTML, b"<html><head></head></html>")}


# --- 2. faults: timeouts, resets, redirects, drips, recovery ------------------------------


@needs_loopback_hosts
@crawl_test
async def test_robots_timeout_blocks_the_origin_and_the_crawl_goes_on(tmp_path: Path) -> None:
    """specs.md 6.1: a robots.txt that does not answer within DOWNLOAD_TIMEOUT is unreachable,
    a complete disallow; another origin is crawled meanwhile; audit and stats say why."""
    audit = tmp_path / "audit.jsonl"
    with (
        FaultSite(site_pages(answer(200, TEXT, b"", delay=60))) as slow,
        Site({"/open": html()}, host="127.0.0.2") as fine,
    ):
        started = time.monotonic()
        result = await crawl(
            [slow.url("/open"), fine.url("/open")], DOWNLOAD_TIMEOUT=1, OPTOUT_AUDIT_FILE=str(audit)
        )
        elapsed = time.monotonic() - started
    assert elapsed < 30  # the 1 s timeout fired: nobody waited the server's 60 s
    assert "/open" not in slow.requested
    assert result.urls() == [fine.url("/open")]
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1
    assert (
        result.stats[
            "optout/sitefile/robots/exception_count/scrapy.exceptions.DownloadTimeoutError"
        ]
        == 1
    )
    (dropped,) = [r for r in audit_records(audit) if r["url"] == slow.url("/open")]
    assert dropped["action"] == "dropped"
    assert dropped["reserved"] is True
    assert dropped["decided_by"]["family"] == "robotstxt"


@crawl_test
async def test_robots_connection_reset_blocks_the_origin(tmp_path: Path) -> None:
    """specs.md 6.1: a network error on robots.txt is unreachable, a complete disallow."""
    audit = tmp_path / "audit.jsonl"
    with FaultSite(site_pages(reset)) as site:
        result = await crawl([site.url("/open")], OPTOUT_AUDIT_FILE=str(audit))
    assert "/open" not in site.requested
    assert result.items == []
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1
    exceptions = [
        k for k in result.stats if k.startswith("optout/sitefile/robots/exception_count/")
    ]
    assert len(exceptions) == 1
    (record,) = audit_records(audit)
    assert (record["url"], record["action"], record["reserved"]) == (
        site.url("/open"),
        "dropped",
        True,
    )


@crawl_test
async def test_tdmrep_connection_reset_is_no_reservation() -> None:
    """README: tdmrep.json or ai.txt that fails gives no reservation; the page is crawled."""
    actions = {
        "/.well-known/tdmrep.json": reset,
        "/ai.txt": reset,
        "/open": answer(200, HTML, b"<html><head></head></html>"),
    }
    with FaultSite(actions) as site:
        result = await crawl([site.url("/open")])
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/sitefile/tdmrep/state_count/unreachable"] == 1
    assert result.stats["optout/sitefile/aitxt/state_count/unreachable"] == 1


@crawl_test
async def test_robots_redirect_loop_counts_as_absent() -> None:
    """specs.md 6.1 (Google): a robots.txt redirecting to itself forever is absent after five
    hops (allow all), fetched 1 + 5 times, and the page is crawled."""
    loop = answer(302, {"Location": "/robots.txt"})
    with FaultSite(site_pages(loop)) as site:
        result = await crawl([site.url("/open")])
    assert site.count("/robots.txt") == 6
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/sitefile/robots/state_count/absent"] == 1


@needs_loopback_hosts
@crawl_test
async def test_robots_cross_origin_redirect_rules_apply_to_the_first_origin() -> None:
    """RFC 9309 2.3.1.2: robots.txt redirected to another host is followed; its rules govern the
    origin first asked, not the host that served them."""
    gptbot_private = b"User-agent: GPTBot\nDisallow: /private\n"
    with Site(
        {"/elsewhere/robots.txt": (200, TEXT, gptbot_private), "/private/x": html()},
        host="127.0.0.2",
    ) as other:
        moved = answer(301, {"Location": other.url("/elsewhere/robots.txt")})
        actions = {**site_pages(moved), "/private/x": answer(200, HTML, b"<html></html>")}
        with FaultSite(actions) as site:
            result = await crawl(
                [site.url("/open"), site.url("/private/x"), other.url("/private/x")]
            )
    assert "/private/x" not in site.requested  # reserved by the rules fetched from `other`
    assert other.count("/elsewhere/robots.txt") == 1
    assert other.count("/private/x") == 1  # other's own robots.txt is a 404: allow
    assert other.count("/robots.txt") == 1
    assert result.urls() == sorted([site.url("/open"), other.url("/private/x")])


@needs_loopback_hosts
@crawl_test
async def test_slow_drip_robots_is_cut_by_download_timeout() -> None:
    """A robots.txt sent one byte a second never completes within DOWNLOAD_TIMEOUT: it is a
    timeout (unreachable, complete disallow), not a hang."""
    with (
        FaultSite(site_pages(drip(b"User-agent: *\nAllow: /\n" * 5, every=0.5))) as site,
        Site({"/open": html()}, host="127.0.0.2") as fine,
    ):
        started = time.monotonic()
        result = await crawl([site.url("/open"), fine.url("/open")], DOWNLOAD_TIMEOUT=1)
        elapsed = time.monotonic() - started
    assert elapsed < 30  # the whole drip takes about 60 s
    assert "/open" not in site.requested
    assert result.urls() == [fine.url("/open")]
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1


@crawl_test
async def test_slow_drip_page_response_is_cut_and_the_crawl_goes_on(tmp_path: Path) -> None:
    """A page dripping its body past DOWNLOAD_TIMEOUT fails as a download error (Scrapy's
    business): no verdict is invented for it, and the other pages are decided and audited."""
    audit = tmp_path / "audit.jsonl"
    actions = {
        "/slow": drip(b"<html><head></head>" + b" " * 20 + b"</html>", every=0.3, headers=HTML),
        "/open": answer(200, HTML, b"<html><head></head></html>"),
    }
    with FaultSite(actions) as site:
        result = await crawl(
            [site.url("/slow"), site.url("/open")], DOWNLOAD_TIMEOUT=1, OPTOUT_AUDIT_FILE=str(audit)
        )
    assert result.urls() == [site.url("/open")]
    records = audit_records(audit)
    assert [r["url"] for r in records] == [site.url("/open")]
    assert (
        result.stats["downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"] == 1
    )


class _LaterSpider(scrapy.Spider):
    """Requests each URL of ``schedule`` after its delay (seconds from the start)."""

    name = "later"

    def __init__(
        self,
        schedule: list[tuple[float, str]],
        on_start: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.schedule = schedule
        self.on_start = on_start

    async def start(self) -> AsyncIterator[scrapy.Request]:
        began = time.monotonic()
        for at, url in self.schedule:
            wait = at - (time.monotonic() - began)
            if wait > 0:
                await asyncio.sleep(wait)
            if self.on_start is not None:
                self.on_start(at)
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response: Response) -> Iterator[dict[str, Any]]:
        yield {"url": response.url}


async def _crawl_later(
    schedule: list[tuple[float, str]], on_start: Callable[[float], None], **settings: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    runner = AsyncCrawlerRunner({**BASE_SETTINGS, **settings})
    crawler = runner.create_crawler(_LaterSpider)
    items: list[dict[str, Any]] = []

    def on_item(item: dict[str, Any]) -> None:
        items.append(item)

    crawler.signals.connect(on_item, signal=scrapy_signals.item_scraped)
    await runner.crawl(crawler, schedule=schedule, on_start=on_start)
    assert crawler.stats is not None
    return items, dict(crawler.stats.get_stats())


@crawl_test
async def test_robots_5xx_then_recovery_is_fetched_again_after_the_ttl(tmp_path: Path) -> None:
    """RFC 9309 2.3.1.4 / 2.4: an unreachable robots.txt blocks the origin only until it is
    fetched again; once it answers 200 the origin is crawled. OPTOUT_CACHE_TTL_SECS=1 makes the
    re-fetch due within the test."""
    audit = tmp_path / "audit.jsonl"
    with Site({"/robots.txt": (503, TEXT, b"down"), "/a": html(), "/b": html()}) as site:

        def on_start(at: float) -> None:
            if at > 0:  # the server recovers before the second request
                site.pages["/robots.txt"] = (200, TEXT, b"User-agent: *\nAllow: /\n")

        items, stats = await _crawl_later(
            # /b comes 2 s after the TTL ends, however slowly the first fetch was cached
            [(0, site.url("/a")), (3.0, site.url("/b"))],
            on_start,
            OPTOUT_CACHE_TTL_SECS=1,
            OPTOUT_AUDIT_FILE=str(audit),
        )
    assert site.requested.count("/robots.txt") == 2
    assert "/a" not in site.requested
    assert [i["url"] for i in items] == [site.url("/b")]
    assert stats["optout/sitefile/robots/status_count/503"] == 1
    assert stats["optout/sitefile/robots/status_count/200"] == 1
    actions = {r["url"]: r["action"] for r in audit_records(audit)}
    assert actions == {site.url("/a"): "dropped", site.url("/b"): "passed"}


@crawl_test
async def test_unreachable_robots_is_fetched_again_after_the_retry_interval() -> None:
    """README: an unreachable file is fetched again after OPTOUT_UNREACHABLE_RETRY_SECS (600 by
    default), long before the cache TTL; until then the origin stays blocked without re-asking."""
    with Site(
        {"/robots.txt": (503, TEXT, b"down"), "/a": html(), "/b": html(), "/c": html()}
    ) as site:

        def on_start(at: float) -> None:
            if at > 1:  # the server recovers before the last request
                site.pages["/robots.txt"] = (200, TEXT, b"User-agent: *\nAllow: /\n")

        items, stats = await _crawl_later(
            # /b well inside the retry interval, /c 3 s after it ends: a slow first fetch
            # (up to ~1.5 s on a loaded machine) changes neither
            [(0, site.url("/a")), (0.3, site.url("/b")), (5.0, site.url("/c"))],
            on_start,
            OPTOUT_UNREACHABLE_RETRY_SECS=2,
        )
    assert site.requested.count("/robots.txt") == 2  # /b reused the cached failure
    assert "/a" not in site.requested
    assert "/b" not in site.requested
    assert [i["url"] for i in items] == [site.url("/c")]
    assert stats["optout/request_dropped"] == 2


# --- 3. nothing lost ---------------------------------------------------------------------------


def _mixed_site(n: int, delay: float = 0.0) -> dict[str, Any]:
    """``n`` pages, every third one reserved by an X-Robots-Tag, every fifth by robots.txt."""
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"User-agent: GPTBot\nDisallow: /p/5\n"),
    }
    for i in range(n):
        headers = {**HTML, "X-Robots-Tag": "noai"} if i % 3 == 0 else HTML
        page = (200, headers, b"<html><head></head><body>x</body></html>")
        pages[f"/p/{i}"] = (*page, delay) if delay else page
    return pages


@crawl_test
async def test_tag_mode_every_response_and_item_reaches_the_spider(tmp_path: Path) -> None:
    """Tag mode keeps everything: one item per page the server served, each tagged, and one
    audit record per URL, whatever the verdict."""
    audit = tmp_path / "audit.jsonl"
    with Site(_mixed_site(60)) as site:
        urls = [site.url(f"/p/{i}") for i in range(60)]
        result = await crawl(urls, OPTOUT_ACTION="tag", OPTOUT_AUDIT_FILE=str(audit))
    served = [p for p in site.requested if p.startswith("/p/")]
    assert sorted(served) == sorted(f"/p/{i}" for i in range(60))  # nothing dropped before
    assert result.urls() == sorted(urls)
    assert all("optout" in item for item in result.items)
    assert result.stats["optout/item_tagged"] == 60
    records = audit_records(audit)
    assert sorted(r["url"] for r in records) == sorted(urls)
    assert {r["action"] for r in records} == {"tagged"}
    assert sum(r["reserved"] is True for r in records) == len(
        [i for i in range(60) if i % 3 == 0 or str(i).startswith("5")]
    )


@crawl_test
async def test_drop_mode_every_dropped_url_is_audited_with_its_reason(tmp_path: Path) -> None:
    """Drop mode: every URL requested is either an item or an audit record `dropped` naming the
    evidence that decided it; nothing disappears silently."""
    audit = tmp_path / "audit.jsonl"
    with Site(_mixed_site(60)) as site:
        urls = [site.url(f"/p/{i}") for i in range(60)]
        result = await crawl(urls, OPTOUT_AUDIT_FILE=str(audit))
    records = audit_records(audit)
    dropped = {r["url"]: r for r in records if r["action"] == "dropped"}
    kept = set(result.urls())
    assert kept.isdisjoint(dropped)
    assert kept | set(dropped) == set(urls)
    for url, record in dropped.items():
        assert record["reserved"] is True
        assert record["decided_by"]["family"] in {"robots-meta", "robotstxt"}
        path = url.removeprefix(site.origin)
        if record["stage"] == "request":  # dropped before download: never asked for
            assert path not in site.requested
        else:
            assert site.requested.count(path) == 1
    assert result.stats["optout/request_dropped"] + result.stats["optout/response_dropped"] == len(
        dropped
    )


SPIDER = """
import scrapy
from scrapy import signals as scrapy_signals
from scrapy.crawler import AsyncCrawlerRunner

class Slow(scrapy.Spider):
    name = "slow"
    custom_settings = {{
        "ADDONS": {{"optout_middleware.OptOutAddon": 0}},
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "CONCURRENT_REQUESTS": 4,
        "OPTOUT_AUDIT_FILE": {audit!r},
        "LOG_LEVEL": "INFO",
    }}

    async def start(self):
        for i in range({n}):
            yield scrapy.Request("{origin}/p/%d" % i)

    def parse(self, response):
        yield {{"url": response.url}}
"""


def _start_crawl(tmp_path: Path, site: Site, n: int) -> tuple[subprocess.Popen[bytes], Path]:
    audit = tmp_path / "audit.jsonl"
    spider = tmp_path / "slow_spider.py"
    spider.write_text(SPIDER.format(audit=str(audit), n=n, origin=site.origin), encoding="utf-8")
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "runspider", str(spider)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, audit


def _wait_for_lines(path: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {count} lines")


def test_graceful_shutdown_leaves_a_complete_audit_file(tmp_path: Path) -> None:
    """One SIGINT mid-crawl: Scrapy finishes what is in flight and stops; every line is valid
    JSON, and every page the server answered has its record (nothing decided is lost)."""
    with Site(_mixed_site(200, delay=0.3)) as site:
        proc, audit = _start_crawl(tmp_path, site, 200)
        try:
            _wait_for_lines(audit, 4)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        served = {p for p in site.requested if p.startswith("/p/")}
    records = audit_records(audit)
    assert len(served) < 150  # really stopped mid-way
    audited = {r["url"].removeprefix(site.origin) for r in records}
    assert served <= audited
    responses = {r["url"].removeprefix(site.origin) for r in records if r["stage"] == "response"}
    assert responses == served


def test_hard_kill_leaves_every_written_audit_line_intact(tmp_path: Path) -> None:
    """SIGKILL mid-crawl: every line on disk before the kill is one complete JSON object."""
    with Site(_mixed_site(200, delay=0.3)) as site:
        proc, audit = _start_crawl(tmp_path, site, 200)
        try:
            _wait_for_lines(audit, 6)
        finally:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    raw = audit.read_bytes()
    complete = raw[: raw.rfind(b"\n") + 1].decode("utf-8").splitlines()
    assert len(complete) >= 6
    assert all(isinstance(json.loads(line), dict) for line in complete)


# --- 4. no reach beyond the origin -------------------------------------------------------------


@needs_loopback_hosts
@crawl_test
async def test_crawl_never_fetches_policy_or_licence_urls_nor_foreign_site_files() -> None:
    """tdm-policy and licence URLs are evidence, never fetched; only the crawled origins' site
    files (and their redirect targets) are requested, never those of origins merely named."""
    with Site({"/policy.json": (200, JSON, b"{}"), "/licence": html()}, host="127.0.0.3") as named:
        head = (
            f'<meta name="tdm-policy" content="{named.url("/policy.json")}">'
            f'<link rel="license" href="{named.url("/licence")}">'
        )
        page = html(
            head=head,
            tdm_policy=named.url("/policy.json"),
            Link=f'<{named.url("/licence")}>; rel="license"',
        )
        with Site({"/page": page}) as site:
            result = await crawl([site.url("/page")], OPTOUT_ACTION="tag")
    assert named.requested == []
    assert sorted(site.requested) == ["/.well-known/tdmrep.json", "/ai.txt", "/page", "/robots.txt"]
    assert result.urls() == [site.url("/page")]


_FORBIDDEN = re.compile(r"\beval\(|\bexec\(|\bpickle\b|shell\s*=\s*True|\bos\.system\b")


def test_package_source_has_no_code_execution_or_unpickling() -> None:
    """Nothing a site sends may run as code: the package never calls eval, exec, pickle,
    os.system, or a shell."""
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _FORBIDDEN.search(line)
    ]
    assert len(list(PACKAGE.rglob("*.py"))) > 10
    assert found == []
