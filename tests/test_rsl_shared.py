"""RSL documents in a cluster (issues 10 x 14): real crawls with ``OPTOUT_REDIS_URL`` against a
real redis-server. Each document is fetched once for all workers (its own lease, kind "rsl",
subject its URL), Redis keeps it for the document's own lifetime, a Redis failure costs a local
fetch, and robots.txt ``License:`` evidence still reaches verdicts when robots.txt is read from
Redis rather than downloaded.

Two crawlers in one process stand for two workers: each has its own in-process caches and its
own Redis client, so all they share is Redis (the multi-process cluster is tests/test_cluster.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from optout_middleware.sitepolicy import RSL_MAX_BYTES, SIZE_CAPS, origin_of
from optout_middleware.sitepolicy.entries import KeySchema, decode_entry

from .conftest import crawl, crawl_test
from .redis_server import free_port
from .site import TEXT, Site, html

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .conftest import Crawl
    from .redis_server import RedisServer

NS = 'xmlns="https://rslstandard.org/rsl"'
XML = {"Content-Type": "application/rsl+xml"}
DAY = 86_400
SLOW = 0.5  # seconds a document takes: the other worker asks for it meanwhile


def rsl(*contents: tuple[str, str], max_age: int = 2) -> bytes:
    body = "".join(f'<content url="{u}"><license>{lic}</license></content>' for u, lic in contents)
    return f'<rsl {NS} max-age="{max_age}">{body}</rsl>'.encode()


SITE_DOC = rsl(
    ("/", '<permits type="usage">all</permits>'),
    ("/private/", '<prohibits type="usage">ai-train</prohibits>'),
)
PAGE_DOC = rsl(("/", '<prohibits type="usage">ai-all</prohibits>'))


def link(url: str) -> str:
    return f'<{url}>; rel="license"; type="application/rsl+xml"'


@pytest.fixture
def licences() -> Iterator[Site]:
    big = PAGE_DOC[:-6] + b"<!--" + b"x" * (RSL_MAX_BYTES + 100_000) + b"--></rsl>"
    pages = {
        "/page.xml": (200, XML, PAGE_DOC, SLOW),
        "/big.xml": (200, XML, big),
    }
    with Site(pages, host="127.0.0.2") as s:
        yield s


@pytest.fixture
def site(licences: Site) -> Iterator[Site]:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"User-agent: *\nAllow: /\nLicense: /license.xml\n"),
        "/license.xml": (200, XML, SITE_DOC, SLOW),
        "/open": html(),
        "/private/a": html(),
        "/linked": html(Link=link(licences.url("/page.xml"))),
        "/linked-big": html(Link=link(licences.url("/big.xml"))),
    }
    with Site(pages) as s:
        yield s


def tags(result: Crawl) -> dict[str, dict[str, Any]]:
    return {item["url"]: item["optout"] for item in result.items}


def worker_settings(redis_url: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"OPTOUT_REDIS_URL": redis_url, "OPTOUT_WORKER_ID": name, **extra}


@crawl_test
async def test_cluster_fetches_each_rsl_document_once_for_two_workers(
    site: Site, licences: Site, redis_server: RedisServer
) -> None:
    """Two workers meet the same origin and the same page-level document at once: one holds
    each document's lease and downloads it, the other waits and reads its bytes from Redis."""
    paths = ["/open", "/private/a", "/linked"]
    results = await asyncio.gather(
        *(
            crawl([site.url(p) for p in paths], **worker_settings(redis_server.url, f"w{i}"))
            for i in (1, 2)
        )
    )
    assert site.count("/robots.txt") == 1
    assert site.count("/license.xml") == 1
    assert licences.count("/page.xml") == 1
    for result in results:  # each worker reached the same decisions
        assert result.urls() == [site.url("/open")]
        assert result.stats["optout/response_dropped"] == 2
    sources = [
        (key.rsplit("/", 1)[1], value)
        for r in results
        for key, value in r.stats.items()
        if key.startswith("optout/redis/rsl_source/")
    ]
    assert sum(n for source, n in sources if source == "fetch") == 2  # one per document
    assert sum(n for source, n in sources if source in ("shared", "shared-wait")) == 2
    assert sum(n for source, n in sources) == 4
    assert not any(r.stats.get("optout/redis/fallback") for r in results)
    assert redis_server.client().keys("optout:v1:lease:*") == []


@crawl_test
async def test_license_line_evidence_reaches_verdicts_when_robots_txt_comes_from_redis(
    site: Site, licences: Site, redis_server: RedisServer
) -> None:
    """A worker that downloads nothing (robots.txt and the documents all come from Redis)
    rebuilds the origin's files through the fetcher's extend step: the robots.txt ``License:``
    evidence is there, and decides, exactly as for the worker that downloaded them."""
    paths = ["/open", "/private/a", "/linked"]
    urls = [site.url(p) for p in paths]
    first = await crawl(urls, OPTOUT_ACTION="tag", **worker_settings(redis_server.url, "w1"))
    requested = len(site.requested) + len(licences.requested)
    second = await crawl(urls, OPTOUT_ACTION="tag", **worker_settings(redis_server.url, "w2"))
    assert len(site.requested) + len(licences.requested) == requested + len(paths)  # pages only
    assert first.stats["optout/redis/source/fetch"] == 1
    assert first.stats["optout/redis/rsl_source/fetch"] == 2
    assert second.stats["optout/redis/source/shared"] == 1
    assert second.stats["optout/redis/rsl_source/shared"] == 2
    assert "optout/redis/rsl_source/fetch" not in second.stats
    for result in (first, second):
        tag = tags(result)
        private = tag[site.url("/private/a")]
        assert private["reserved"] is True
        assert private["decided_by"]["family"] == "rsl"
        assert private["decided_by"]["source"] == "robots.txt"
        assert "prohibited" in private["decided_by"]["value"]
        opened = tag[site.url("/open")]
        assert opened["reserved"] is False
        assert any(e["family"] == "rsl" and e["source"] == "robots.txt" for e in opened["evidence"])
        assert tag[site.url("/linked")]["decided_by"]["source"] == "header"
    assert tags(first) == tags(second)


@crawl_test
async def test_redis_keeps_an_rsl_document_for_its_own_lifetime(
    redis_server: RedisServer,
) -> None:
    """Not the site files' TTL: a readable document for its max-age (capped by
    OPTOUT_CACHE_TTL_SECS), an unreadable one (even a 404) for OPTOUT_UNREACHABLE_RETRY_SECS,
    as the worker's own store keeps them; robots.txt keeps the cache TTL."""
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"License: /license.xml\nLicense: /missing.xml\n"),
        "/license.xml": (200, XML, SITE_DOC),
        "/a": html(),
    }
    with Site(pages, host="127.0.0.3") as publisher:
        await crawl(
            [publisher.url("/a")],
            OPTOUT_CACHE_TTL_SECS=10 * DAY,
            **worker_settings(redis_server.url, "w1"),
        )
        origin = origin_of(publisher.url("/"))
        documents = {p: publisher.url(p) for p in ("/license.xml", "/missing.xml")}
    client = redis_server.client()
    keys = KeySchema()
    robots_ttl = client.pttl(keys.file_key("robots", origin))
    readable = client.pttl(keys.file_key("rsl", documents["/license.xml"]))
    missing = client.pttl(keys.file_key("rsl", documents["/missing.xml"]))
    assert 0.9 * 2 * DAY * 1000 <= readable <= 2 * DAY * 1000  # max-age="2", 10% jitter
    assert 0.9 * 600_000 <= missing <= 600_000
    assert robots_ttl > 9 * DAY * 1000
    client.close()


@crawl_test
async def test_an_oversized_document_is_stored_cut_at_512_kib_and_read_as_too_big(
    site: Site, licences: Site, redis_server: RedisServer
) -> None:
    """The largest RSL body Redis holds is the 512 KiB cap, within the cluster's body limit
    (the largest SIZE_CAPS value): a worker reading it from Redis decides as the downloader."""
    assert SIZE_CAPS["rsl"] == RSL_MAX_BYTES < max(SIZE_CAPS.values())
    urls = [site.url("/linked-big")]
    first = await crawl(urls, OPTOUT_ACTION="tag", **worker_settings(redis_server.url, "w1"))
    second = await crawl(urls, OPTOUT_ACTION="tag", **worker_settings(redis_server.url, "w2"))
    assert licences.count("/big.xml") == 1
    assert second.stats["optout/redis/rsl_source/shared"] >= 1
    for result in (first, second):
        decided = result.items[0]["optout"]["decided_by"]
        assert result.items[0]["optout"]["reserved"] is True
        assert "512 KiB" in decided["value"]
    document = licences.url("/big.xml")
    raw = redis_server.client().get(KeySchema().file_key("rsl", document))
    assert isinstance(raw, bytes)
    entry = decode_entry(raw, kind="rsl", subject=document, max_body=max(SIZE_CAPS.values()))
    assert len(entry.result.body) == RSL_MAX_BYTES
    assert entry.result.truncated


@crawl_test
async def test_redis_down_fetches_rsl_documents_locally_and_decides_the_same(
    site: Site, licences: Site
) -> None:
    """A policy is never skipped: without Redis the worker downloads the documents itself,
    once each, counted as fallbacks."""
    paths = ["/open", "/private/a", "/linked"]
    result = await crawl(
        [site.url(p) for p in paths],
        **worker_settings(f"redis://127.0.0.1:{free_port()}/0", "w1"),
    )
    assert result.urls() == [site.url("/open")]
    assert site.count("/license.xml") == 1
    assert licences.count("/page.xml") == 1
    assert result.stats["optout/redis/rsl_source/fallback"] == 2
    assert result.stats["optout/redis/fallback"] >= 3  # robots.txt's origin and two documents
