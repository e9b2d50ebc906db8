"""A scrapy-redis cluster: three real Scrapy processes share one queue, one dupefilter and the
policy cache in a real redis-server, and crawl nine loopback origins whose site files answer
slowly. The servers' access logs must show each site file requested once per origin across the
whole cluster, each page once, and no reserved page. One origin has RSL licences (issue 10): a
robots.txt ``License:`` line and pages with a page-level ``Link`` to a document on another host;
each document must be requested once across the cluster too, and no RSL-reserved page yield an
item.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from optout_middleware.sitepolicy import origin_of
from optout_middleware.sitepolicy.entries import KeySchema

from .cluster.workers import SCRAPY_REDIS, Worker, run_workers
from .site import HTML, TEXT, Page, Site

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from .redis_server import RedisServer

pytestmark = pytest.mark.integration

SLOW = 1.0  # seconds each site file takes: concurrent misses for one origin are the norm
PAGES = 4
SITE_FILES = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
AITXT_ALL_RESERVED = b"User-agent: *\nDisallow: /\n"
RSL_XML = {"Content-Type": "application/rsl+xml"}
RSL_NS = 'xmlns="https://rslstandard.org/rsl"'
SITE_LICENCE = (  # robots.txt License: all permitted, but ai-train prohibited under /rsl/
    f'<rsl {RSL_NS}><content url="/"><license><permits type="usage">all</permits></license>'
    f'</content><content url="/rsl/"><license><prohibits type="usage">ai-train</prohibits>'
    f"</license></content></rsl>"
).encode()
PAGE_LICENCE = (  # a page-level Link: ai-all prohibited
    f'<rsl {RSL_NS}><content url="/"><license><prohibits type="usage">ai-all</prohibits>'
    f"</license></content></rsl>"
).encode()
RSL_RESERVED = ("/rsl/1", "/rsl/2", *(f"/linked/{n}" for n in range(1, PAGES + 1)))


def _pages(host_index: int, next_host: str) -> dict[str, Page]:
    links = "".join(f'<a href="/page/{n}">p{n}</a>' for n in range(1, PAGES + 1))
    links += f'<a href="/private/x">private</a><a href="{next_host}/page/1">next</a>'
    body = (
        f"<!doctype html><html><head><title>{host_index}</title></head><body>{links}</body></html>"
    )
    pages: dict[str, Page] = {f"/page/{n}": (200, HTML, body.encode()) for n in range(1, PAGES + 1)}
    pages["/private/x"] = (200, HTML, b"<p>reserved</p>")
    return pages


def _rsl_pages(page_licence: str) -> dict[str, Page]:
    """/page/n open; /rsl/n reserved by the robots.txt License: document (overridable, so
    fetched and dropped after download); /linked/n reserved by their own Link header."""
    paths = [f"/page/{n}" for n in range(1, PAGES + 1)] + list(RSL_RESERVED)
    links = "".join(f'<a href="{path}">{path}</a>' for path in paths)
    body = f"<!doctype html><html><head><title>rsl</title></head><body>{links}</body></html>"
    page: Page = (200, HTML, body.encode())
    linked: Page = (
        200,
        {**HTML, "Link": f'<{page_licence}>; rel="license"; type="application/rsl+xml"'},
        body.encode(),
    )
    pages = {path: linked if path.startswith("/linked/") else page for path in paths}
    pages["/robots.txt"] = (200, TEXT, b"User-agent: *\nAllow: /\nLicense: /license.xml\n", SLOW)
    pages["/ai.txt"] = (404, TEXT, b"not found", SLOW)
    pages["/.well-known/tdmrep.json"] = (404, TEXT, b"not found", SLOW)
    pages["/license.xml"] = (200, RSL_XML, SITE_LICENCE, SLOW)
    return pages


class Origins:
    """Nine origins on 127.0.0.2 ... 127.0.0.10: six open but for /private/ (robots.txt), one
    reserved by ai.txt, one whose robots.txt answers 503 (complete disallow): reservations that
    drop a request before download (a tdmrep.json one would not: the page may lift it); and one
    with RSL licences (``rsl``), whose page-level document lives on 127.0.0.11 (``licences``)."""

    def __init__(self) -> None:
        self.sites = [Site({}, host=f"127.0.0.{i}") for i in range(2, 10)]
        for index, site in enumerate(self.sites):
            following = self.sites[(index + 1) % len(self.sites)]
            site.pages.update(_pages(index, following.origin))
            site.pages["/robots.txt"] = (200, TEXT, ROBOTS, SLOW)
            site.pages["/ai.txt"] = (404, TEXT, b"not found", SLOW)
            site.pages["/.well-known/tdmrep.json"] = (404, TEXT, b"not found", SLOW)
        self.sites[6].pages["/ai.txt"] = (200, TEXT, AITXT_ALL_RESERVED, SLOW)
        self.sites[7].pages["/robots.txt"] = (503, TEXT, b"busy", SLOW)
        self.open_sites = self.sites[:6]
        self.licences = Site({"/page.xml": (200, RSL_XML, PAGE_LICENCE, SLOW)}, host="127.0.0.11")
        self.rsl = Site(_rsl_pages(self.licences.url("/page.xml")), host="127.0.0.10")
        self.sites.append(self.rsl)

    @property
    def seeds(self) -> list[str]:
        """Every page: a cold origin is asked for by several workers at once."""
        pages = [site.url(f"/page/{n}") for site in self.sites for n in range(1, PAGES + 1)]
        return pages + [self.rsl.url(path) for path in RSL_RESERVED]

    def clear(self) -> None:
        for site in (*self.sites, self.licences):
            site.requested.clear()

    def rsl_document_requests(self) -> int:
        return self.rsl.count("/license.xml") + self.licences.count("/page.xml")

    def site_file_requests(self) -> int:
        return sum(site.count(path) for site in self.sites for path in SITE_FILES)


@pytest.fixture(scope="module")
def origins() -> Iterator[Origins]:
    made = Origins()
    for site in (*made.sites, made.licences):
        site.__enter__()
    try:
        yield made
    finally:
        for site in (*made.sites, made.licences):
            site.__exit__(None, None, None)


def cluster_settings(redis_url: str, **extra: str) -> dict[str, str]:
    # Four requests at a time: the first worker up does not take every seed off the queue.
    return {"REDIS_URL": redis_url, "CONCURRENT_REQUESTS": "4", **SCRAPY_REDIS, **extra}


def assert_clean_exit(workers: list[Worker]) -> None:
    for worker in workers:
        assert worker.returncode == 0, worker.output[-3000:]
        assert "Traceback" not in worker.log + worker.output, worker.name
        assert "] ERROR:" not in worker.log, worker.name


@pytest.fixture(scope="module")
def shared_run(
    origins: Origins, redis_session: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Worker], dict[str, float]]:
    """Three workers with OPTOUT_REDIS_URL; Redis's state measured at the end."""
    client = redis_session.client()
    client.flushall()
    origins.clear()
    settings = cluster_settings(redis_session.url, OPTOUT_REDIS_URL=redis_session.url)
    workers = run_workers(3, tmp_path_factory.mktemp("cluster"), origins.seeds, settings, barrier=3)
    keys = KeySchema()
    measured: dict[str, float] = {}
    for site in origins.sites:
        origin = origin_of(site.origin)
        names = [keys.file_key(kind, origin) for kind in ("robots", "aitxt", "tdmrep")]
        measured[origin] = sum(client.memory_usage(name) or 0 for name in names)
        measured[f"pttl {origin}"] = min(client.pttl(name) for name in names)
    measured["leases"] = len(client.keys("optout:v1:lease:*"))
    documents = (origins.rsl.url("/license.xml"), origins.licences.url("/page.xml"))
    for document in documents:
        measured[f"rsl {document}"] = client.memory_usage(keys.file_key("rsl", document)) or 0
    client.close()
    return workers, measured


def test_cluster_fetches_each_site_file_once_per_origin(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    """The core property: 9 origins x 3 files = 27 requests for the whole cluster."""
    workers, _ = shared_run
    assert_clean_exit(workers)
    for site in origins.sites:
        for path in SITE_FILES:
            assert site.count(path) == 1, (site.origin, path, site.requested)


def test_cluster_workers_really_contended_for_the_leases(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    """Several workers met the same cold origin (else the run proves nothing): some waited and
    read another worker's fetch; every origin was fetched by exactly one lease holder."""
    workers, _ = shared_run
    assert sum(w.stat("optout/redis/lease_wait") for w in workers) > 0
    assert sum(w.stat("optout/redis/source/shared-wait") for w in workers) > 0
    assert sum(w.stat("optout/redis/source/fetch") for w in workers) == len(origins.sites)
    assert sum(w.stat("optout/redis/fallback") for w in workers) == 0
    assert sum(1 for w in workers if w.stat("optout/redis/source/fetch")) >= 2, "one worker did all"


def test_cluster_fetches_each_page_once_and_no_reserved_page(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    workers, _ = shared_run
    for site in origins.open_sites:
        pages = [p for p in site.requested if p not in SITE_FILES]
        assert sorted(pages) == [f"/page/{n}" for n in range(1, PAGES + 1)], site.origin
    for site in origins.sites[6:8]:  # reserved by ai.txt; robots.txt 503
        assert [p for p in site.requested if p not in SITE_FILES] == [], site.origin
    items = sum(w.stat("item_scraped_count") for w in workers)
    assert items == (len(origins.open_sites) + 1) * PAGES  # the RSL origin's /page/n too


def test_cluster_fetches_each_rsl_document_once_and_yields_no_rsl_reserved_page(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    """Issue 14 for RSL (issue 10): the robots.txt License: document and the page-level one
    are each requested once for the whole cluster (their own leases in Redis), every page of
    the origin once, and the pages they reserve are dropped after download in every worker."""
    workers, _ = shared_run
    rsl = origins.rsl
    assert rsl.count("/license.xml") == 1, rsl.requested
    assert origins.licences.count("/page.xml") == 1, origins.licences.requested
    pages = [p for p in rsl.requested if p not in (*SITE_FILES, "/license.xml")]
    expected = [f"/page/{n}" for n in range(1, PAGES + 1)] + list(RSL_RESERVED)
    assert sorted(pages) == sorted(expected)
    sources = {
        source: sum(w.stat(f"optout/redis/rsl_source/{source}") for w in workers)
        for source in ("fetch", "shared", "shared-wait", "fallback", "wait-timeout")
    }
    _, measured = shared_run
    usage = [
        measured[f"rsl {d}"] for d in (rsl.url("/license.xml"), origins.licences.url("/page.xml"))
    ]
    print(f"\nRSL documents by source across the cluster: {sources}; MEMORY USAGE {usage} bytes")
    assert all(0 < u < 2048 for u in usage)  # stored, small: one entry per document URL
    assert sources["fetch"] == 2  # one lease holder per document
    assert sources["shared"] + sources["shared-wait"] > 0  # some worker read another's fetch
    assert sources["fallback"] == sources["wait-timeout"] == 0
    records = [r for w in workers for r in w.audit_records() if r.get("type") != "crawl"]
    reserved = {rsl.url(path) for path in RSL_RESERVED}
    decided = [r for r in records if r["url"] in reserved]
    assert sorted(r["url"] for r in decided) == sorted(reserved)  # one decision each
    for record in decided:
        assert record["action"] == "dropped", record
        assert record["stage"] == "response", record
        assert record["decided_by"]["family"] == "rsl", record
    by_source = {r["url"].rsplit("/", 2)[1]: r["decided_by"]["source"] for r in decided}
    assert by_source == {"rsl": "robots.txt", "linked": "header"}


def test_cluster_audit_names_each_worker_and_merges_with_sort(
    shared_run: tuple[list[Worker], dict[str, float]], tmp_path: Path
) -> None:
    """Every record names its worker; ``LC_ALL=C sort -m`` merges the files in time order, each
    worker's crawl header included (it leads with ``time`` too)."""
    workers, _ = shared_run
    records = {w.name: w.audit_records() for w in workers}
    assert all(r["worker"] == name for name, rs in records.items() for r in rs)
    merged = subprocess.run(
        ["sort", "-m", "-s", *(str(w.audit) for w in workers)],
        capture_output=True,
        check=True,
        env={"LC_ALL": "C"},
    ).stdout.decode()
    every = [json.loads(line) for line in merged.splitlines()]
    times = [r["time"] for r in every]
    assert times == sorted(times)
    headers = [r for r in every if r.get("type") == "crawl"]
    assert sorted(r["worker"] for r in headers) == sorted(w.name for w in workers)
    lines = [r for r in every if r.get("type") != "crawl"]
    assert len(lines) == sum(len(rs) for rs in records.values())
    dropped = {r["url"] for r in lines if r["action"] == "dropped" or r["action"] == "forbidden"}
    assert any(url.endswith("/private/x") for url in dropped)


def test_cluster_leaves_no_lease_and_ttls_by_status(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    """Leases are released; the 503 origin's entries live for the error TTL (600 s)."""
    _, measured = shared_run
    assert measured["leases"] == 0
    busy = origin_of(origins.sites[7].origin)
    assert 0 < measured[f"pttl {busy}"] <= 600_000
    assert measured[f"pttl {origin_of(origins.sites[0].origin)}"] > 600_000


def test_cluster_memory_per_origin_in_redis(
    origins: Origins, shared_run: tuple[list[Worker], dict[str, float]]
) -> None:
    """MEMORY USAGE of an origin's three entries (README "Running on a cluster")."""
    _, measured = shared_run
    usage = [measured[origin_of(site.origin)] for site in origins.sites]
    print(f"\nRedis MEMORY USAGE per origin (3 entries): {sorted(usage)} bytes")
    assert all(0 < u < 2048 for u in usage)


def test_cluster_without_the_shared_cache_fetches_site_files_per_worker(
    origins: Origins,
    redis_server: RedisServer,
    shared_run: tuple[list[Worker], dict[str, float]],
    tmp_path: Path,
) -> None:
    """The control: the same cluster without OPTOUT_REDIS_URL behaves as before this feature,
    each worker fetching the site files of every origin it meets (more than 24 requests)."""
    origins.clear()
    workers = run_workers(3, tmp_path, origins.seeds, cluster_settings(redis_server.url), barrier=3)
    assert_clean_exit(workers)
    print(
        f"\nWithout OPTOUT_REDIS_URL: {origins.site_file_requests()} site-file requests, "
        f"{origins.rsl_document_requests()} RSL document requests"
    )
    assert origins.site_file_requests() > 3 * len(origins.sites)
    assert sum(w.stat("optout/redis/source/fetch") for w in workers) == 0
