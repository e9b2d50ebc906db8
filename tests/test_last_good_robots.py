"""The last good robots.txt, reused while robots.txt is unreachable (RFC 9309 2.4), for at most
OPTOUT_ROBOTSTXT_LAST_GOOD_SECS; without a good copy, unreachable stays a complete disallow."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings

from optout_middleware.errors import ConfigError
from optout_middleware.inputs import Context, FileState, SiteFiles
from optout_middleware.middlewares import optout_decided
from optout_middleware.middlewares.config import OptOutConfig
from optout_middleware.signals.robotsai import RobotsSignal
from optout_middleware.sitepolicy import (
    LAST_GOOD_SECS,
    LastGoodCache,
    LruPolicyCache,
    PolicyCache,
    retry_due,
    with_last_good,
)
from optout_middleware.testing import make_site, verdict_for
from optout_middleware.verdict import combine

from .conftest import BASE_SETTINGS, crawl_test
from .site import TEXT, Site, html

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

GPTBOT_PRIVATE = "User-agent: GPTBot\nDisallow: /private\n"
URL = "https://example.com/"
T0 = 1_000_000.0


def good(at: float = T0) -> SiteFiles:
    """A site whose robots.txt was fetched and parsed at ``at``."""
    site = make_site(URL, robots=GPTBOT_PRIVATE)
    return dataclasses.replace(site, robots=dataclasses.replace(site.robots, fetched_at=at))


def down(at: float) -> SiteFiles:
    """The same origin a while later: robots.txt answers 503."""
    site = make_site(URL, robots=503)
    return dataclasses.replace(site, robots=dataclasses.replace(site.robots, fetched_at=at))


# --- sitepolicy.with_last_good ---------------------------------------------------------------


def test_unreachable_robots_reuses_the_last_good_copy_within_the_limit() -> None:
    """RFC 9309 2.4: while robots.txt is unreachable, the last good copy speaks, marked."""
    site = with_last_good(down(T0 + 3600), good(), now=T0 + 3600)
    robots = site.robots
    assert robots.state is FileState.PARSED
    assert robots.parsed is not None
    assert robots.parsed.allowed("/open", "GPTBot")
    assert not robots.parsed.allowed("/private/x", "GPTBot")
    assert robots.last_good_at == T0
    assert robots.fetched_at == T0 + 3600
    assert robots.error is not None
    assert "HTTP 503" in robots.error


def test_last_good_copy_older_than_the_limit_is_not_used() -> None:
    """A copy read more than max_age_secs ago says little of today's wishes: unreachable."""
    late = T0 + LAST_GOOD_SECS + 1
    assert with_last_good(down(late), good(), now=late).robots.state is FileState.UNREACHABLE
    edge = T0 + LAST_GOOD_SECS
    assert with_last_good(down(edge), good(), now=edge).robots.state is FileState.PARSED


def test_zero_limit_never_reuses_a_copy() -> None:
    """OPTOUT_ROBOTSTXT_LAST_GOOD_SECS = 0 switches reuse off."""
    site = with_last_good(down(T0 + 1), good(), now=T0 + 1, max_age_secs=0)
    assert site.robots.state is FileState.UNREACHABLE


def test_without_a_good_copy_unreachable_stays_a_complete_disallow() -> None:
    """No copy (or only an unreachable one): RFC 9309 2.3.1.4, everything reserved."""
    for previous in (None, down(T0)):
        site = with_last_good(down(T0 + 1), previous, now=T0 + 1)
        assert site.robots.state is FileState.UNREACHABLE
        verdict = verdict_for(url=URL + "open", site=site)
        assert verdict.reserved is True
        assert verdict.decided_by is not None
        assert verdict.decided_by.value.startswith("unreachable")


def test_only_an_unreachable_robots_txt_is_replaced() -> None:
    """A 404 (no restrictions) or a fresh 200 is the publisher's current word: kept as is."""
    absent = make_site(URL, robots=404)
    assert with_last_good(absent, good(), now=T0 + 1) is absent
    fresh = good(T0 + 5)
    assert with_last_good(fresh, good(), now=T0 + 5) is fresh


def test_reused_copy_is_asked_for_again_after_the_retry_interval() -> None:
    """A reused copy is an unreachable file in disguise: retried like one."""
    site = with_last_good(down(T0 + 100), good(), now=T0 + 100)
    assert not retry_due(site, now=T0 + 100 + 599, after_secs=600)
    assert retry_due(site, now=T0 + 100 + 600, after_secs=600)


def test_reused_copy_evidence_says_so_and_the_copy_decides() -> None:
    """The copy's GPTBot group still reserves /private; a stance-less piece of evidence says
    robots.txt is unreachable and which copy was used, and when it was read."""
    site = with_last_good(down(T0 + 7200), good(), now=T0 + 7200)
    found = list(RobotsSignal().site_evidence(site, URL + "private/x", Context()))
    assert found[0].stances == ()
    assert "unreachable (HTTP 503)" in found[0].value
    assert "last copy read successfully" in found[0].note
    assert "2.0 h" in found[0].note
    verdict = combine(OptOutConfig().purpose, found)
    assert verdict.reserved is True
    assert verdict.decided_by is found[1]
    # Not a complete disallow: an Allow in an AI group is crawl permission with no stance (F6).
    assert verdict_for(url=URL + "open", site=site).reserved is None


# --- the cache ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_the_last_good_copy_beyond_the_ttl() -> None:
    """LruPolicyCache: the fresh entry expires after ttl_secs; the last good copy stays."""
    clock = Clock()
    cache = LruPolicyCache(10, ttl_secs=60, clock=clock)
    cache.put("o", good())
    clock.now = 61
    assert cache.get("o") is None
    kept = cache.last_good("o")
    assert kept is not None
    assert kept.robots.state is FileState.PARSED
    assert kept.robots.fetched_at == T0


def test_cache_keeps_only_copies_that_were_fetched_and_parsed() -> None:
    """An unreachable put, or a reused copy put back, leaves the original good copy in place."""
    cache = LruPolicyCache(10, ttl_secs=60)
    cache.put("o", good(T0))
    cache.put("o", down(T0 + 1))
    cache.put("o", with_last_good(down(T0 + 2), good(T0), now=T0 + 2))
    kept = cache.last_good("o")
    assert kept is not None
    assert kept.robots.fetched_at == T0
    assert kept.robots.last_good_at is None
    cache.put("o", good(T0 + 3))
    assert cache.last_good("o").robots.fetched_at == T0 + 3  # type: ignore[union-attr]


def test_cache_last_good_copies_are_bounded_by_max_origins() -> None:
    """At most max_origins copies, least recently stored first out."""
    cache = LruPolicyCache(2, ttl_secs=60)
    for origin in ("a", "b", "c"):
        cache.put(origin, good())
    assert cache.last_good("a") is None
    assert cache.last_good("c") is not None
    cache.clear()
    assert cache.last_good("c") is None


def test_a_cache_without_last_good_is_still_a_policy_cache() -> None:
    """The protocol change is one optional method: a get/put cache still works (no reuse)."""

    class Minimal:
        def get(self, origin: str) -> SiteFiles | None:
            return None

        def put(self, origin: str, site: SiteFiles) -> None:
            pass

    plain: PolicyCache = Minimal()
    assert not isinstance(plain, LastGoodCache)
    assert isinstance(LruPolicyCache(), LastGoodCache)


# --- the setting ----------------------------------------------------------------------------


def test_last_good_setting_defaults_to_thirty_days_and_rejects_negatives() -> None:
    """OPTOUT_ROBOTSTXT_LAST_GOOD_SECS: 30 days by default, 0 allowed (never), < 0 an error."""
    assert OptOutConfig.from_settings(Settings()).robotstxt_last_good_secs == 30 * 86_400
    zero = Settings({"OPTOUT_ROBOTSTXT_LAST_GOOD_SECS": 0})
    assert OptOutConfig.from_settings(zero).robotstxt_last_good_secs == 0
    with pytest.raises(ConfigError, match="OPTOUT_ROBOTSTXT_LAST_GOOD_SECS"):
        OptOutConfig.from_settings(Settings({"OPTOUT_ROBOTSTXT_LAST_GOOD_SECS": -1}))


# --- real crawls ----------------------------------------------------------------------------


class OutageSpider(scrapy.Spider):
    """Requests /first; then robots.txt goes down, the cache entry expires, and it requests
    /private/page and /open."""

    name = "outage"

    def __init__(self, site: Site, wait: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.wait = wait

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.site.url("/first"), callback=self.first)

    async def first(self, response: scrapy.http.Response) -> AsyncIterator[Any]:
        yield {"url": response.url}
        self.site.pages["/robots.txt"] = (503, TEXT, b"down for maintenance")
        await asyncio.sleep(self.wait)  # past OPTOUT_CACHE_TTL_SECS
        for path in ("/private/page", "/open"):
            yield scrapy.Request(self.site.url(path), callback=self.page)

    def page(self, response: scrapy.http.Response) -> Iterator[Any]:
        yield {"url": response.url}


async def outage_crawl(site: Site, **settings: Any) -> tuple[list[str], dict[str, Any], list[Any]]:
    runner = AsyncCrawlerRunner(
        {**BASE_SETTINGS, "OPTOUT_CACHE_TTL_SECS": 1, "ROBOTSTXT_OBEY": True, **settings}
    )
    crawler = runner.create_crawler(OutageSpider)
    items: list[str] = []
    decisions: list[Any] = []

    def on_item(item: Any) -> None:  # named: signal handlers are held by weak reference
        items.append(item["url"])

    def on_decided(**kwargs: Any) -> None:
        decisions.append(kwargs)

    crawler.signals.connect(on_item, signal=signals.item_scraped)
    crawler.signals.connect(on_decided, signal=optout_decided)
    await runner.crawl(crawler, site=site, wait=1.3)
    assert crawler.stats is not None
    return sorted(items), dict(crawler.stats.get_stats()), decisions


def outage_site() -> Site:
    return Site(
        {
            "/robots.txt": (200, TEXT, GPTBOT_PRIVATE.encode()),
            "/first": html(),
            "/private/page": html(),
            "/open": html(),
        }
    )


@crawl_test
async def test_crawl_reuses_the_last_good_robots_txt_while_it_is_unreachable() -> None:
    """robots.txt read once, then 503: its last good copy still reserves /private for GPTBot
    and leaves /open crawlable, instead of a complete disallow; the evidence says so."""
    with outage_site() as site:
        items, stats, decisions = await outage_crawl(site)
    assert site.count("/robots.txt") == 2
    assert items == [site.url("/first"), site.url("/open")]
    assert "/private/page" not in site.requested
    assert stats["optout/sitefile/robots/last_good_reused"] == 1
    (open_decision,) = [d for d in decisions if d["request"].url == site.url("/open")]
    notes = [e.note for e in open_decision["verdict"].evidence if e.family == "robotstxt"]
    assert any("last copy read successfully" in n for n in notes)


@crawl_test
async def test_crawl_with_a_last_good_copy_too_old_blocks_the_origin() -> None:
    """OPTOUT_ROBOTSTXT_LAST_GOOD_SECS shorter than the outage: complete disallow again."""
    with outage_site() as site:
        items, stats, _ = await outage_crawl(site, OPTOUT_ROBOTSTXT_LAST_GOOD_SECS=1)
    assert items == [site.url("/first")]
    assert "/open" not in site.requested
    assert "optout/sitefile/robots/last_good_reused" not in stats
