"""One measured crawl, in a fresh process: ``python -m bench.crawl MODE URLS_FILE``.

MODE ``scrapy``: Scrapy's own RobotsTxtMiddleware (``ROBOTSTXT_OBEY=True``), nothing else.
MODE ``optout`` (or ``baseline``: the same, run by bench.crawlbench with an older source tree
first on ``PYTHONPATH``): the optout add-on with every signal family; ``ROBOTSTXT_OBEY=True`` so it
replaces Scrapy's middleware and enforces robots.txt itself; ``OPTOUT_ACTION="tag"`` so that
reserved pages are still downloaded and parsed, and both modes process the same pages.

By default the spider yields one small item per page and parses nothing: Scrapy's own per-page
cost is then as low as it gets, which makes the measured overhead ratio a worst case. With
``--parse`` it also reads the title and every link of each HTML page with CSS selectors, as a
typical spider does (images among the URLs yield the plain item). With ``--follow`` it also
yields a request for every link, as a crawling spider does: the start requests go through the
dupefilter too, so each URL is still downloaded once, and Scrapy drops the links already seen
(in both modes); the add-on's own per-request work (the spider middleware, the page-to-image
directives carried from reserving pages) is then in the measure. The crawl window
(``spider_opened`` to ``spider_closed``) is timed in wall-clock and process CPU seconds, and the
result is printed as one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import TextResponse

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["MODES", "main", "settings_for"]

MODES = ("scrapy", "optout", "baseline")
USER_AGENT = "BenchBot/1.0 (+https://example.invalid/bench)"
_STAT_PREFIXES = (
    "robotstxt/",
    "optout/",
    "downloader/",
    "response_received",
    "item_",
    "log_count/",
    "dupefilter/",
)


def settings_for(mode: str, concurrency: int) -> dict[str, Any]:
    """The settings of one crawl; the two modes differ only in the add-on."""
    settings: dict[str, Any] = {
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": USER_AGENT,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_DELAY": 0,
        "COOKIES_ENABLED": False,  # the site sets none; also keeps tldextract off the network
        "TELNETCONSOLE_ENABLED": False,
        "STATS_DUMP": False,
    }
    if mode in ("optout", "baseline"):  # baseline: an older tree first on PYTHONPATH
        settings["ADDONS"] = {"optout_middleware.OptOutAddon": 0}
        settings["OPTOUT_ACTION"] = "tag"
    elif mode != "scrapy":
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    return settings


class BenchSpider(scrapy.Spider):
    """Requests a fixed URL list and yields one item per page, with no parsing."""

    name = "bench"

    def __init__(
        self, urls: list[str], parse_html: bool = False, follow: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.parse_html = parse_html or follow
        self.follow = follow

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:  # following: a link met first downloads the URL, not its start
            yield scrapy.Request(url, callback=self.parse, dont_filter=not self.follow)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any] | scrapy.Request]:
        item: dict[str, Any] = {"url": response.url, "status": response.status}
        links: list[str] = []
        if self.parse_html and isinstance(response, TextResponse):  # not the images
            item["title"] = response.css("title::text").get()
            links = response.css("a::attr(href)").getall()
            item["links"] = len(links)
        else:
            item["size"] = len(response.body)
        yield item
        if self.follow:
            for href in links:
                yield response.follow(href, callback=self.parse)


class _Clock:
    """Times the crawl window in wall-clock and process CPU seconds, and the garbage
    collector's share of it (a cost the add-on adds to without calling it)."""

    def __init__(self) -> None:
        self.wall = [0.0, 0.0]
        self.cpu = [0.0, 0.0]
        self.gc_secs = 0.0
        self.gc_runs = 0
        self._gc_started = 0.0
        self._open = False

    def opened(self) -> None:
        self._open = True
        gc.callbacks.append(self._gc)
        self.wall[0], self.cpu[0] = time.perf_counter(), time.process_time()

    def closed(self) -> None:
        self.wall[1], self.cpu[1] = time.perf_counter(), time.process_time()
        self._open = False

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._open:
            self.gc_secs += time.perf_counter() - self._gc_started
            self.gc_runs += 1


def _offline_tldextract() -> None:
    """Make Scrapy's cookie helper use tldextract's bundled suffix list (no network)."""
    try:
        import tldextract  # noqa: PLC0415
        from scrapy.downloadermiddlewares import cookies  # noqa: PLC0415
    except ImportError:
        return
    if hasattr(cookies, "_split_domain"):
        cookies._split_domain = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
        )


def main(argv: list[str] | None = None) -> int:
    """Run one crawl and print its measurements as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.crawl")
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("urls_file", type=Path)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--parse", action="store_true", help="the spider parses each page")
    parser.add_argument(
        "--follow", action="store_true", help="the spider parses and follows every link"
    )
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the crawl here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override one Scrapy setting (JSON value), e.g. OPTOUT_SIGNAL_FAMILIES='[]'",
    )
    args = parser.parse_args(argv)
    urls = json.loads(args.urls_file.read_text())
    _offline_tldextract()

    clock = _Clock()
    settings = settings_for(args.mode, args.concurrency)
    for override in args.set:
        name, sep, value = override.partition("=")
        if not sep:
            parser.error(f"--set {override!r}: expected NAME=JSON")
        try:
            settings[name] = json.loads(value)
        except json.JSONDecodeError as exc:
            parser.error(f"--set {name}: the value is not JSON ({exc.msg}): {value!r}")
    process = CrawlerProcess(settings)
    crawler: Crawler = process.create_crawler(BenchSpider)
    crawler.signals.connect(clock.opened, signal=signals.spider_opened)
    crawler.signals.connect(clock.closed, signal=signals.spider_closed)
    process.crawl(crawler, urls=urls, parse_html=args.parse, follow=args.follow)
    if args.profile:
        import cProfile  # noqa: PLC0415

        with cProfile.Profile() as profile:
            process.start()
        profile.dump_stats(args.profile)
    else:
        process.start()

    stats = crawler.stats.get_stats() if crawler.stats else {}
    package = sys.modules.get("optout_middleware")
    result = {
        "mode": args.mode,
        "package": getattr(package, "__file__", None),  # which tree's add-on ran
        "wall_secs": clock.wall[1] - clock.wall[0],
        "cpu_secs": clock.cpu[1] - clock.cpu[0],
        "pages": stats.get("item_scraped_count", 0),
        "gc_secs": clock.gc_secs,
        "gc_runs": clock.gc_runs,
        "stats": {
            k: v
            for k, v in sorted(stats.items())
            if k.startswith(_STAT_PREFIXES) and isinstance(v, (int, float))
        },
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
