"""The demo spider: crawls the bundled demo site (or one real site) and explains the opt-outs.

Without arguments it starts the demo site on loopback (see ``example_spider.demosite``), crawls
it from its index page and stops it at the end. ``-a start_url=https://example.com/`` crawls
that site instead, staying on its domain, for at most ``-a max_pages=20`` pages.
``-a demo_port=N`` crawls the demo site served by ``python -m example_spider.demosite --port N``
(a cluster's workers share it; see ``cluster_settings.py``).

Either way it yields one item per page that reaches it and, when the engine stops, prints a
summary of what was kept, dropped and tagged, and which signal decided each page.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import TextResponse

from example_spider.demosite import DemoSite
from example_spider.summary import CrawlFacts, render_summary
from optout_middleware.middlewares.redis_cache import default_worker_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self


class OptOutDemoSpider(scrapy.Spider):
    """Follows ``<a href>`` and ``<img src>`` links within the demo site or the given site."""

    name = "optout_demo"

    def __init__(
        self,
        start_url: str | None = None,
        max_pages: int | str = 20,
        demo_port: int | str | None = None,
        idle_secs: float | str = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.max_pages = int(max_pages)
        # A cluster: the demo site is served by `python -m example_spider.demosite --port N`,
        # and a worker waits `idle_secs` for more work in the shared queue before closing.
        self.demo_port = int(demo_port) if demo_port else None
        self.idle_secs = float(idle_secs)
        self._last_active = time.monotonic()
        self.worker = default_worker_id()  # FEEDS may name files after it: %(worker)s
        self.demo: DemoSite | None = None
        self.kept: list[str] = []  # URLs whose response reached the spider
        self._scheduled: set[str] = set()
        self._domain = ""
        self.audit_offset = 0
        self.audit_file: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.worker = crawler.settings.get("OPTOUT_WORKER_ID") or spider.worker
        audit = crawler.settings.get("OPTOUT_AUDIT_FILE")
        if audit:  # one file per worker in a cluster: "%(worker)s" as the library fills it in
            audit = str(audit).replace("%(worker)s", spider.worker.replace(os.sep, "_"))
            spider.audit_file = audit  # the summary reads only what this crawl appends
            path = Path(audit)
            path.parent.mkdir(parents=True, exist_ok=True)
            spider.audit_offset = path.stat().st_size if path.exists() else 0
        crawler.signals.connect(spider.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.start_url:
            url = self.start_url
            self._domain = (urlsplit(url).hostname or "").removeprefix("www.")
            self.allowed_domains = [self._domain]
        elif self.demo_port:
            self.demo = DemoSite.served_at(self.demo_port)
            url = self.demo.start_url
        else:
            self.demo = DemoSite()
            self.demo.start()
            url = self.demo.start_url
        self._scheduled.add(url)
        yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[dict[str, Any] | scrapy.Request]:
        """One item per page; then the page's links that stay in scope."""
        self._last_active = time.monotonic()
        self.kept.append(response.url)
        is_text = isinstance(response, TextResponse)
        title = response.css("title::text").get() if is_text else None
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        yield {
            "url": response.url,
            "status": response.status,
            "content_type": content_type.split(";")[0].strip(),
            "title": title.strip() if title else None,
            "origin": self._origin_label(response.url),
        }
        if not is_text or not content_type.startswith("text/html"):
            return
        links = response.css("a::attr(href), img::attr(src)").getall()
        for href in links:
            url = urldefrag(response.urljoin(href.strip())).url
            if url not in self._scheduled and self._in_scope(url):
                self._scheduled.add(url)
                yield scrapy.Request(url, callback=self.parse)

    def _in_scope(self, url: str) -> bool:
        if self.demo is not None:
            return self.demo.origin_of(url) is not None
        if len(self._scheduled) >= self.max_pages:
            return False
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme in {"http", "https"} and (
            host == self._domain or host.endswith("." + self._domain)
        )

    def _origin_label(self, url: str) -> str:
        if self.demo is not None:
            return self.demo.origin_of(url) or ""
        return urlsplit(url).netloc

    def spider_idle(self) -> None:
        """Nothing to do here now; in a cluster another worker may still add pages to the
        shared queue, so wait up to ``idle_secs`` (like scrapy-redis's RedisSpider)."""
        if time.monotonic() - self._last_active < self.idle_secs:
            raise DontCloseSpider

    def engine_stopped(self) -> None:
        """Print the summary (stats and audit file are final now), then stop the demo site."""
        try:
            settings = self.crawler.settings
            facts = CrawlFacts(
                purpose=settings.get("OPTOUT_PURPOSE", "train-ai"),
                action=settings.get("OPTOUT_ACTION", "drop"),
                audit_file=self.audit_file,
                stats=self.crawler.stats.get_stats(),
                kept=tuple(self.kept),
                demo=self.demo,
                audit_offset=self.audit_offset,
                site=f"{self.start_url} (at most {self.max_pages} pages)" if self.start_url else "",
                partial=str(settings.get("SCHEDULER", "")).startswith("scrapy_redis"),
            )
            print(render_summary(facts), flush=True)
        finally:
            if self.demo is not None:
                self.demo.stop()
