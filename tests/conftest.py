"""Shared test helpers: offline tldextract, async crawl tests, and a crawl-and-collect helper."""

from __future__ import annotations

import os

# Scrapy's CookiesMiddleware builds a tldextract extractor at import time, and on first use
# tldextract downloads the Public Suffix List, printing tracebacks when offline. An empty URL
# list (tldextract >= 5.4 reads it from this variable) makes it use its bundled snapshot.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import dataclasses
import functools
import socket
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pytest
import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.utils.defer import deferred_from_coro

from optout_middleware.middlewares import optout_decided

from .cli_server import Site
from .redis_server import RedisServer, require_binary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred
    from twisted.python.failure import Failure

    from .cli_server import Spec

T = TypeVar("T")

BASE_SETTINGS: dict[str, Any] = {
    "ADDONS": {"optout_middleware.OptOutAddon": 0},
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "DEBUG",
    "DOWNLOAD_TIMEOUT": 10,
    "RETRY_ENABLED": False,  # one request per failure, so access logs count exactly
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
}


def loopback_hosts_usable() -> bool:
    """Whether 127.0.0.2 can be bound: Linux routes all of 127/8 to loopback, macOS only
    127.0.0.1 (tests that need separate hosts, as Scrapy's download slots are per host, skip)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.2", 0))
        except OSError:
            return False
    return True


needs_loopback_hosts = pytest.mark.skipif(
    not loopback_hosts_usable(), reason="needs 127.0.0.2 and up; only 127.0.0.1 exists here"
)


def crawl_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Deferred[None]]:
    """Run an ``async def`` test on the Twisted reactor (pytest-twisted awaits the Deferred)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Deferred[None]:
        return deferred_from_coro(test(*args, **kwargs))

    return wrapper


class DeclaredItem(scrapy.Item):
    url = scrapy.Field()
    optout = scrapy.Field()


class UndeclaredItem(scrapy.Item):
    url = scrapy.Field()


@dataclasses.dataclass
class DataclassItem:
    url: str
    optout: dict[str, Any] | None = None


@attrs.define
class AttrsItem:
    url: str
    optout: dict[str, Any] | None = None


ITEM_KINDS: dict[str, Callable[[str], Any]] = {
    "dict": lambda url: {"url": url},
    "scrapy": lambda url: DeclaredItem(url=url),
    "undeclared": lambda url: UndeclaredItem(url=url),
    "dataclass": DataclassItem,
    "attrs": AttrsItem,
}


class PagesSpider(scrapy.Spider):
    """Requests ``urls`` (with ``meta``) and yields one item of ``item_kind`` per response."""

    name = "pages"

    def __init__(
        self,
        urls: Iterable[str] = (),
        item_kind: str = "dict",
        meta: dict[str, Any] | None = None,
        errback: Callable[[Failure], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls)
        self.item_kind = item_kind
        self.request_meta = meta or {}
        self.request_errback = errback

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url, meta=dict(self.request_meta), dont_filter=True, errback=self.request_errback
            )

    def parse(self, response: Response) -> Iterator[Any]:
        yield ITEM_KINDS[self.item_kind](response.url)


@dataclasses.dataclass
class Crawl:
    """What a test crawl produced."""

    crawler: Crawler
    items: list[Any]
    stats: dict[str, Any]
    decisions: list[dict[str, Any]]  # optout_decided keywords, in order

    def urls(self) -> list[str]:
        """URLs of the items, sorted."""
        return sorted(_item_url(i) for i in self.items)


def _item_url(item: Any) -> str:
    return str(item["url"] if isinstance(item, (dict, scrapy.Item)) else item.url)


async def crawl(
    urls: Iterable[str],
    *,
    item_kind: str = "dict",
    meta: dict[str, Any] | None = None,
    handlers: Mapping[object, Callable[..., Any]] | None = None,
    errback: Callable[[Failure], Any] | None = None,
    **settings: Any,
) -> Crawl:
    """Crawl ``urls`` with BASE_SETTINGS updated by ``settings``; collect items and stats."""
    runner = AsyncCrawlerRunner({**BASE_SETTINGS, **settings})
    crawler = runner.create_crawler(PagesSpider)
    items: list[Any] = []
    decisions: list[dict[str, Any]] = []

    def on_item(item: Any) -> None:
        items.append(item)

    def on_decided(**kwargs: Any) -> None:
        decisions.append(kwargs)

    crawler.signals.connect(on_item, signal=signals.item_scraped)
    crawler.signals.connect(on_decided, signal=optout_decided)
    for signal, handler in (handlers or {}).items():
        crawler.signals.connect(handler, signal=signal)
    await runner.crawl(crawler, urls=list(urls), item_kind=item_kind, meta=meta, errback=errback)
    assert crawler.stats is not None
    return Crawl(crawler, items, dict(crawler.stats.get_stats()), decisions)


# --- a real redis-server (tests/redis_server.py) ------------------------------------------


@pytest.fixture(scope="session")
def redis_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session; tests that kill or pause one start their own."""
    binary = require_binary()
    with RedisServer(binary, tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_server(redis_session: RedisServer) -> RedisServer:
    """The session's redis-server, emptied for this test."""
    client = redis_session.client()
    client.flushall()
    client.close()
    return redis_session


# --- loopback sites for the command-line tests (tests/cli_server.py) --------------------------


@pytest.fixture
def serve() -> Iterator[Callable[..., Site]]:
    """``serve(pages, host=...)`` starts a loopback site that stops after the test."""
    sites: list[Site] = []

    def start(pages: Mapping[str, Spec], host: str = "127.0.0.1") -> Site:
        site = Site(pages, host).__enter__()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.__exit__(None, None, None)
