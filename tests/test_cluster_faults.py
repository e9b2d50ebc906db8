"""Redis trouble in real crawls, against a real redis-server: down at start, killed mid-crawl,
paused (slow), and a lease holder killed mid-fetch. A policy is never skipped: the worker
fetches the site files itself (counted in ``optout/redis/fallback``), and every decision is
in the audit file; ``OPTOUT_REDIS_REQUIRED`` stops the worker instead.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.crawler import AsyncCrawlerRunner

from optout_middleware.middlewares import site_policy_fetched
from optout_middleware.sitepolicy import origin_of
from optout_middleware.sitepolicy.entries import KeySchema

from .cluster.spider import ClusterSpider
from .cluster.workers import start_worker
from .conftest import BASE_SETTINGS, crawl_test
from .redis_server import RedisServer, free_port, require_binary
from .site import HTML, TEXT, Site

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from http.server import BaseHTTPRequestHandler
    from pathlib import Path

    from scrapy.crawler import Crawler
    from typing_extensions import Self

pytestmark = pytest.mark.integration

ROBOTS = (200, TEXT, b"User-agent: *\nDisallow: /private/\n")


def page(*links: str) -> tuple[int, dict[str, str], bytes]:
    body = "".join(f'<a href="{link}">x</a>' for link in links)
    return (200, HTML, f"<html><head><title>t</title></head><body>{body}</body></html>".encode())


class ThreeOrigins:
    """A (open but /private/), B (open), C (robots.txt 503: complete disallow). A's page links
    to B and C, so B and C are only asked for once A's page is in."""

    def __init__(self) -> None:
        self.a = Site({"/robots.txt": ROBOTS}, host="127.0.0.2")
        self.b = Site({"/robots.txt": ROBOTS, "/": page("/private/x")}, host="127.0.0.3")
        self.c = Site({"/robots.txt": (503, TEXT, b"busy"), "/": page()}, host="127.0.0.4")
        self.a.pages["/"] = page("/private/x", self.b.url("/"), self.c.url("/"))
        self.sites = (self.a, self.b, self.c)

    def __enter__(self) -> Self:
        for site in self.sites:
            site.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for site in self.sites:
            site.__exit__(None, None, None)


@pytest.fixture
def origins() -> Iterator[ThreeOrigins]:
    with ThreeOrigins() as made:
        yield made


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, to kill or pause."""
    with RedisServer(require_binary(), tmp_path / "redis") as server:
        yield server


async def crawl_links(
    seeds: list[str], *, on_fetched: Callable[..., Any] | None = None, **settings: Any
) -> tuple[dict[str, Any], float]:
    """Crawl ``seeds`` in this process, following links; the stats and the time it took."""
    runner = AsyncCrawlerRunner({**BASE_SETTINGS, **settings})
    crawler: Crawler = runner.create_crawler(ClusterSpider)
    if on_fetched is not None:
        crawler.signals.connect(on_fetched, signal=site_policy_fetched)
    started = time.monotonic()
    await runner.crawl(crawler, seeds=",".join(seeds))
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats()), time.monotonic() - started


def assert_policies_applied(origins: ThreeOrigins, audit: Path) -> None:
    """Whatever Redis did: B crawled, /private/ and all of C never requested, and each request
    decided is in the audit file."""
    assert origins.a.count("/") == origins.b.count("/") == 1
    assert origins.a.count("/private/x") == origins.b.count("/private/x") == 0
    assert "/" not in origins.c.requested
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    records = [r for r in lines if r.get("type") != "crawl"]  # decisions, not crawl headers
    decided = {(r["url"], r["action"]) for r in records}
    assert (origins.c.url("/"), "dropped") in decided
    assert (origins.b.url("/private/x"), "forbidden") in decided
    assert {origins.a.url("/"), origins.b.url("/")} <= {r["url"] for r in records}


@crawl_test
async def test_redis_down_at_start_fetches_locally(origins: ThreeOrigins, tmp_path: Path) -> None:
    """Nothing listens at OPTOUT_REDIS_URL: the worker warns, fetches every origin's files
    itself, and decides exactly as without Redis."""
    audit = tmp_path / "audit.jsonl"
    stats, _ = await crawl_links(
        [origins.a.url("/")],
        OPTOUT_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        OPTOUT_REDIS_TIMEOUT_SECS=0.5,
        OPTOUT_AUDIT_FILE=str(audit),
    )
    assert stats["finish_reason"] == "finished"
    assert stats["optout/redis/fallback"] == 3  # one per origin
    assert stats.get("optout/redis/source/fallback") == 3
    assert_policies_applied(origins, audit)


@crawl_test
async def test_redis_required_and_down_at_start_crawls_nothing(
    origins: ThreeOrigins, tmp_path: Path
) -> None:
    """OPTOUT_REDIS_REQUIRED: no Redis, no crawl (finish reason optout_redis_unavailable)."""
    stats, _ = await crawl_links(
        [origins.a.url("/")],
        OPTOUT_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        OPTOUT_REDIS_TIMEOUT_SECS=0.5,
        OPTOUT_REDIS_REQUIRED=True,
    )
    assert stats["finish_reason"] == "optout_redis_unavailable"
    assert origins.a.requested == []


@crawl_test
async def test_redis_killed_mid_crawl_falls_back(
    origins: ThreeOrigins, own_redis: RedisServer, tmp_path: Path
) -> None:
    """Redis dies once A's files are shared: B and C are fetched locally, C still disallows."""
    audit = tmp_path / "audit.jsonl"

    def kill_after_first(origin: str) -> None:
        if origin.startswith(origins.a.origin):
            own_redis.kill()

    stats, _ = await crawl_links(
        [origins.a.url("/")],
        on_fetched=kill_after_first,
        OPTOUT_REDIS_URL=own_redis.url,
        OPTOUT_REDIS_TIMEOUT_SECS=0.5,
        OPTOUT_AUDIT_FILE=str(audit),
    )
    assert stats["finish_reason"] == "finished"
    assert stats["optout/redis/source/fetch"] >= 1  # A, before the kill
    assert stats["optout/redis/fallback"] >= 2  # B and C
    assert stats["optout/redis/error"] >= 2
    assert_policies_applied(origins, audit)


@crawl_test
async def test_redis_killed_mid_crawl_with_redis_required_stops(
    origins: ThreeOrigins, own_redis: RedisServer
) -> None:
    def kill_after_first(origin: str) -> None:
        if origin.startswith(origins.a.origin):
            own_redis.kill()

    stats, _ = await crawl_links(
        [origins.a.url("/")],
        on_fetched=kill_after_first,
        OPTOUT_REDIS_URL=own_redis.url,
        OPTOUT_REDIS_TIMEOUT_SECS=0.5,
        OPTOUT_REDIS_REQUIRED=True,
    )
    assert stats["finish_reason"] == "optout_redis_unavailable"
    assert "/" not in origins.c.requested


@crawl_test
async def test_slow_redis_costs_a_timeout_not_a_stall(
    origins: ThreeOrigins, own_redis: RedisServer, tmp_path: Path
) -> None:
    """Redis accepts but answers nothing for 10 s (CLIENT PAUSE): each origin waits at most
    OPTOUT_REDIS_TIMEOUT_SECS, then the breaker skips Redis; the crawl ends long before."""
    audit = tmp_path / "audit.jsonl"
    client = own_redis.client()
    client.execute_command("CLIENT", "PAUSE", 10_000, "ALL")  # no UNPAUSE: it would wait too
    client.close()
    stats, took = await crawl_links(
        [origins.a.url("/")],
        OPTOUT_REDIS_URL=own_redis.url,
        OPTOUT_REDIS_TIMEOUT_SECS=0.5,
        OPTOUT_AUDIT_FILE=str(audit),
    )
    assert stats["finish_reason"] == "finished"
    assert stats["optout/redis/fallback"] == 3
    assert took < 8
    assert_policies_applied(origins, audit)


class SlowFirstRobots(Site):
    """Its first robots.txt request hangs for 30 s (the holder is killed meanwhile)."""

    def __init__(self) -> None:
        super().__init__({"/robots.txt": ROBOTS, "/": page()}, host="127.0.0.5")
        self.hang = threading.Event()
        self.second_robots_at = 0.0  # time.monotonic() of the second robots.txt request

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path == "/robots.txt":
            if self.count("/robots.txt") == 1:
                self.hang.wait(30)
            else:
                self.second_robots_at = time.monotonic()
        super().respond(handler)


def test_lease_holder_killed_mid_fetch_is_taken_over(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """Two workers meet one cold origin at once: the lease holder is SIGKILLed while its
    robots.txt downloads, the other waits for the lease to expire (3 s once nobody extends it),
    takes it over and fetches. Two requests for robots.txt, one aborted and one complete: one
    fetch per live lease."""
    with SlowFirstRobots() as site:
        settings = {
            "OPTOUT_REDIS_URL": redis_server.url,
            "OPTOUT_REDIS_LEASE_SECS": "3",
            "REDIS_URL": redis_server.url,  # the spider's start barrier
        }
        workers = {
            name: start_worker(name, tmp_path / name, [site.url("/")], settings, barrier=2)
            for name in ("w1", "w2")
        }
        lease = KeySchema().lease_key(origin_of(site.origin))
        client = redis_server.client()
        try:
            deadline = time.monotonic() + 90
            while site.count("/robots.txt") < 1 or not client.exists(lease):
                assert time.monotonic() < deadline, [w.output[-2000:] for w in workers.values()]
                time.sleep(0.05)
            holder = workers[client.get(lease).decode().split(":")[0]]  # type: ignore[union-attr]
            time.sleep(0.3)  # the other worker is polling by now (both passed the barrier)
            holder.kill()
            killed_at = time.monotonic()
        finally:
            site.hang.set()
        (survivor,) = (w for w in workers.values() if w is not holder)
        assert survivor.wait(90) == 0, survivor.output[-2000:]
        for worker in workers.values():
            worker.kill()
    assert survivor.stat("optout/redis/lease_wait") == 1
    assert survivor.stat("optout/redis/lease_takeover") == 1
    assert survivor.stat("optout/redis/source/fetch") == 1
    # Not before the lease could expire: extended every second, it had 2 to 3 s left.
    assert site.second_robots_at - killed_at >= 1.9
    assert site.count("/robots.txt") == 2
    assert site.count("/") == 1  # the survivor's; the holder's waited for its policy
    for path in ("/ai.txt", "/.well-known/tdmrep.json"):
        assert site.count(path) in (1, 2)  # the holder may not have asked before it died
    records = holder.audit_records() + survivor.audit_records()  # every line whole
    decisions = [r for r in records if r.get("type") != "crawl"]  # not the crawl headers
    assert [r["url"] for r in decisions if r["worker"] == survivor.name] == [site.url("/")]


@crawl_test
async def test_shared_files_expire_with_the_cache_ttl(
    origins: ThreeOrigins, redis_server: RedisServer
) -> None:
    """A later worker reads the origin's files from Redis instead of fetching; once
    OPTOUT_CACHE_TTL_SECS has passed since the fetch, they are fetched again."""
    settings = {"OPTOUT_REDIS_URL": redis_server.url, "OPTOUT_CACHE_TTL_SECS": 3}
    first, _ = await crawl_links([origins.b.url("/")], **settings)
    second, _ = await crawl_links([origins.b.url("/")], **settings)
    assert origins.b.count("/robots.txt") == 1
    await asyncio.sleep(3.1)
    third, _ = await crawl_links([origins.b.url("/")], **settings)
    assert origins.b.count("/robots.txt") == 2
    assert first["optout/redis/source/fetch"] == 1
    assert second["optout/redis/source/shared"] == 1
    assert third["optout/redis/source/fetch"] == 1
