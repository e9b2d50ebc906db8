"""The shared policy cache's parts: entries, keys, TTLs, the breaker (pure), and the lease
protocol and Redis store against a real redis-server (tests/redis_server.py)."""

from __future__ import annotations

import asyncio
import functools
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from optout_middleware.formats.robotstxt import parse
from optout_middleware.inputs import FileState, SiteFile, SiteFiles
from optout_middleware.middlewares.redis_cache import RedisStore
from optout_middleware.sitepolicy import FetchResult, LruPolicyCache, read_site_file
from optout_middleware.sitepolicy.entries import (
    COMPRESS_ABOVE,
    KeySchema,
    StoredFetch,
    decode_entry,
    encode_entry,
    short_lived,
    ttl_secs,
)
from optout_middleware.sitepolicy.shared import (
    Breaker,
    LeaseSettings,
    SharedFiles,
    SharedPolicyCache,
    StoreError,
)

from .conftest import crawl_test
from .redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from .redis_server import RedisServer

ORIGIN = "http://a.example:80"
ROBOTS = b"User-agent: *\nDisallow: /private\n"


def entry(body: bytes = ROBOTS, status: int | None = 200, kind: str = "robots") -> StoredFetch:
    result = FetchResult(
        "http://a.example/robots.txt", status, body, final_url="http://a.example/robots.txt"
    )
    return StoredFetch(kind, ORIGIN, result, 1_700_000_000.5, "host:1")


# --- entries ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", ROBOTS, b"x" * (COMPRESS_ABOVE + 1), bytes(range(256)) * 20])
def test_entry_round_trips_what_was_downloaded(body: bytes) -> None:
    """Status, URLs, body, error, fetch time and worker come back exactly."""
    stored = entry(body)
    assert (
        decode_entry(encode_entry(stored), kind="robots", subject=ORIGIN, max_body=10**6) == stored
    )


def test_entry_round_trips_a_failed_fetch() -> None:
    result = FetchResult("http://a.example/robots.txt", None, error="TimeoutError: took too long")
    stored = StoredFetch("robots", ORIGIN, result, 5.0, "w")
    assert decode_entry(encode_entry(stored), kind="robots", subject=ORIGIN, max_body=10) == stored


def test_entry_compresses_bodies_over_1_kib() -> None:
    big = encode_entry(entry(b"a" * 100_000))
    assert len(big) < 2000
    assert b'"zlib":false' in encode_entry(entry(b"a" * COMPRESS_ABOVE))


def test_entry_is_not_pickle() -> None:
    """No code can ride in an entry: a JSON header and raw bytes."""
    data = encode_entry(entry())
    assert data.startswith(b'O1{"kind":"robots"')
    assert data.endswith(ROBOTS)


@pytest.mark.parametrize(
    ("kind", "subject"), [("aitxt", ORIGIN), ("robots", "http://b.example:80")]
)
def test_entry_of_another_file_is_refused(kind: str, subject: str) -> None:
    """A hash collision or a mixed-up key never hands one file's bytes to another."""
    with pytest.raises(ValueError, match="another file"):
        decode_entry(encode_entry(entry()), kind=kind, subject=subject, max_body=10**6)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"O0{}\n",
        b"O1{not json\n",
        b"O1[1]\n",
        b"O1" + b"{}" + b"\n",
        encode_entry(entry())[:-3] + b"xyz",  # body changed: digest mismatch
    ],
)
def test_damaged_entry_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (any message: the caller treats it as a miss)
        decode_entry(data, kind="robots", subject=ORIGIN, max_body=10**6)


def test_entry_over_the_size_cap_is_refused_before_inflating_it_all() -> None:
    """A zlib bomb in the store inflates at most to the cap plus one byte."""
    bomb = encode_entry(entry(b"\0" * 5_000_000))
    assert len(bomb) < 10_000
    with pytest.raises(ValueError, match="size cap"):
        decode_entry(bomb, kind="robots", subject=ORIGIN, max_body=1024 * 1024)
    assert zlib.decompress(bomb[bomb.index(b"\n") + 1 :])  # it was a valid stream


# --- keys and TTLs ----------------------------------------------------------------------


def test_keys_of_one_subject_share_a_cluster_hash_tag() -> None:
    keys = KeySchema("optout:v1")
    tag = "{" + KeySchema.subject_hash(ORIGIN) + "}"
    names = [keys.file_key(k, ORIGIN) for k in ("robots", "aitxt", "tdmrep")] + [
        keys.lease_key(ORIGIN)
    ]
    assert all(tag in name and name.startswith("optout:v1:") for name in names)
    assert len(set(names)) == 4
    assert keys.file_key("robots", "http://b.example:80") != keys.file_key("robots", ORIGIN)
    assert KeySchema("bot2").file_key("robots", ORIGIN).startswith("bot2:file:")


@pytest.mark.parametrize("status", [None, 100, 200, 204, 301, 403, 404, 410, 429, 500, 503, 599])
def test_short_ttl_exactly_for_what_robots_reads_as_unreachable(status: int | None) -> None:
    """The error TTL (OPTOUT_UNREACHABLE_RETRY_SECS) goes to the results the status rules read as
    UNREACHABLE for robots.txt (RFC 9309 2.3.1.4), so the cluster shares one retry window."""
    result = FetchResult("http://a.example/robots.txt", status, ROBOTS)
    unreachable = read_site_file("robots", result).state is FileState.UNREACHABLE
    assert short_lived(result) is unreachable
    assert ttl_secs(result, ok_secs=86_400, error_secs=600) == (600 if unreachable else 86_400)


# --- breaker ----------------------------------------------------------------------------


def test_breaker_opens_after_three_failures_and_half_opens_after_its_time() -> None:
    now = [0.0]
    breaker = Breaker(3, 30.0, clock=lambda: now[0])
    for _ in range(2):
        breaker.failure()
        assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    now[0] = 29.9
    assert not breaker.allow()
    now[0] = 30.0
    assert breaker.allow()  # one trial
    assert not breaker.allow()  # the others still skip it
    breaker.failure()  # the trial failed: open again
    now[0] = 59.0
    assert not breaker.allow()
    now[0] = 60.0
    assert breaker.allow()
    breaker.success()
    assert breaker.allow()
    assert not breaker.is_open


# --- the Redis store --------------------------------------------------------------------


@crawl_test
async def test_store_lease_is_set_nx_with_expiry(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    try:
        assert await store.acquire("lease", "a", 10_000)
        assert not await store.acquire("lease", "b", 10_000)
        assert 0 < redis_server.client().pttl("lease") <= 10_000
    finally:
        await store.aclose()


@crawl_test
async def test_store_release_and_extend_check_the_token(redis_server: RedisServer) -> None:
    """Lua: a holder whose lease expired and was taken never deletes or extends the new one."""
    store = RedisStore(redis_server.url)
    client = redis_server.client()
    try:
        assert await store.acquire("lease", "a", 1000)
        assert not await store.release("lease", "b")
        assert client.get("lease") == b"a"
        assert not await store.extend("lease", "b", 60_000)
        assert client.pttl("lease") <= 1000
        assert await store.extend("lease", "a", 60_000)
        assert client.pttl("lease") > 1000
        client.script_flush()  # as after a restart: the scripts are loaded again (NOSCRIPT)
        assert await store.release("lease", "a")
        assert client.get("lease") is None
    finally:
        await store.aclose()


@crawl_test
async def test_store_writes_values_with_their_ttl(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    try:
        await store.put_many([("k1", b"v1", 5000), ("k2", b"\0v2", 100_000)])
        assert await store.get_many(["k1", "k2", "k3"]) == [b"v1", b"\0v2", None]
        assert redis_server.client().pttl("k1") <= 5000
    finally:
        await store.aclose()


@crawl_test
async def test_store_down_is_a_store_error_within_the_timeout() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout_secs=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StoreError):
        await store.get_many(["k"])
    assert loop.time() - started < 2
    await store.aclose()


# --- the lease protocol on a real server -----------------------------------------------


class Downloads:
    """A download callable that counts calls, optionally slow."""

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.delay = delay
        self.status = status

    async def __call__(self, kinds: tuple[str, ...]) -> Mapping[str, FetchResult]:
        self.calls.append(kinds)
        await asyncio.sleep(self.delay)
        return {k: FetchResult(f"http://a.example/{k}", self.status, ROBOTS) for k in kinds}


OPEN: list[RedisStore] = []


async def close_stores() -> None:
    """Close every store the test opened (redis.asyncio warns about unclosed connections)."""
    while OPEN:
        await OPEN.pop().aclose()


def worker(server_url: str, name: str, events: list[str], **settings: float) -> SharedFiles:
    lease = LeaseSettings(**{"poll_min_secs": 0.01, "poll_max_secs": 0.1, **settings})  # type: ignore[arg-type]
    OPEN.append(RedisStore(server_url))
    return SharedFiles(OPEN[-1], lease, worker=name, on_event=events.append)


KINDS = ("robots", "aitxt", "tdmrep")


def closing(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Close the test's stores however it ends."""

    @functools.wraps(test)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            await test(*args, **kwargs)
        finally:
            await close_stores()

    return wrapper


@crawl_test
@closing
async def test_three_workers_fetch_an_origin_once(redis_server: RedisServer) -> None:
    """Concurrent misses in three workers: one holds the lease and downloads, the others wait
    and read its bytes; a later worker reads them at once."""
    events: list[str] = []
    download = Downloads(delay=0.3)
    workers = [worker(redis_server.url, f"w{i}", events) for i in range(3)]
    loaded = await asyncio.gather(*(w.load(ORIGIN, KINDS, download) for w in workers))
    assert download.calls == [KINDS]
    assert sorted(x.source for x in loaded) == ["fetch", "shared-wait", "shared-wait"]
    assert events.count("lease_acquired") == 1
    assert events.count("lease_wait") == 2
    fetch_times = {e.fetched_at for x in loaded for e in x.entries.values()}
    assert len(fetch_times) == 1  # every worker reads the same fetch
    later = await worker(redis_server.url, "w3", events).load(ORIGIN, KINDS, download)
    assert later.source == "shared"
    assert download.calls == [KINDS]
    assert redis_server.client().keys("optout:v1:lease:*") == []  # released


@crawl_test
@closing
async def test_a_dead_holders_lease_expires_and_is_taken_over(redis_server: RedisServer) -> None:
    """A lease nobody extends (its worker died) blocks the others only until it expires."""
    client = redis_server.client()
    client.set(KeySchema().lease_key(ORIGIN), "dead:0", px=400)
    events: list[str] = []
    download = Downloads()
    loop = asyncio.get_running_loop()
    started = loop.time()
    loaded = await worker(redis_server.url, "w1", events).load(ORIGIN, KINDS, download)
    assert loaded.source == "fetch"
    assert loop.time() - started >= 0.35
    assert events.count("lease_takeover") == 1
    assert download.calls == [KINDS]


@crawl_test
@closing
async def test_the_holder_extends_its_lease_while_downloading(redis_server: RedisServer) -> None:
    """A download longer than the lease keeps it (heartbeat), so nobody fetches twice."""
    events: list[str] = []
    download = Downloads(delay=2.5)  # more than twice the lease
    one = worker(redis_server.url, "w1", events, lease_secs=1.0)
    two = worker(redis_server.url, "w2", events, lease_secs=1.0)
    first = asyncio.ensure_future(one.load(ORIGIN, KINDS, download))
    await asyncio.sleep(0.1)
    second = await two.load(ORIGIN, KINDS, download)
    assert (await first).source == "fetch"
    assert second.source == "shared-wait"
    assert download.calls == [KINDS]


@crawl_test
@closing
async def test_a_waiter_fetches_itself_after_the_wait_timeout(redis_server: RedisServer) -> None:
    redis_server.client().set(KeySchema().lease_key(ORIGIN), "stuck:0", px=60_000)
    events: list[str] = []
    download = Downloads()
    loaded = await worker(redis_server.url, "w1", events, wait_secs=0.3).load(
        ORIGIN, KINDS, download
    )
    assert loaded.source == "wait-timeout"
    assert "wait_timeout" in events
    assert download.calls == [KINDS]


@crawl_test
@closing
async def test_files_get_ttls_by_status(redis_server: RedisServer) -> None:
    """A 5xx is kept for the error TTL, a 200 for the cache TTL (minus at most 10% jitter)."""
    events: list[str] = []
    client = redis_server.client()
    keys = KeySchema()
    ok = worker(redis_server.url, "w", events, ok_ttl_secs=1000, error_ttl_secs=10)
    await ok.load(ORIGIN, ("robots",), Downloads(status=200))
    await ok.load("http://b.example:80", ("robots",), Downloads(status=503))
    assert 900_000 <= client.pttl(keys.file_key("robots", ORIGIN)) <= 1_000_000
    assert 9000 <= client.pttl(keys.file_key("robots", "http://b.example:80")) <= 10_000


@crawl_test
@closing
async def test_a_damaged_entry_is_a_miss_and_is_replaced(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.set(KeySchema().file_key("robots", ORIGIN), b"garbage")
    events: list[str] = []
    download = Downloads()
    loaded = await worker(redis_server.url, "w", events).load(ORIGIN, ("robots",), download)
    assert loaded.source == "fetch"
    assert "corrupt" in events
    assert client.get(KeySchema().file_key("robots", ORIGIN)).startswith(b"O1")  # type: ignore[union-attr]


@crawl_test
@closing
async def test_store_down_falls_back_to_a_local_fetch_and_opens_the_breaker() -> None:
    events: list[str] = []
    download = Downloads()
    files = worker(f"redis://127.0.0.1:{free_port()}/0", "w", events)
    for _ in range(4):
        assert (await files.load(ORIGIN, KINDS, download)).source == "fallback"
    assert len(download.calls) == 4  # a policy is never skipped
    assert events.count("error") == 3  # then the breaker skips Redis
    assert events.count("fallback") == 4
    assert files.breaker.is_open


@crawl_test
@closing
async def test_store_down_raises_when_fallback_is_off() -> None:
    OPEN.append(RedisStore(f"redis://127.0.0.1:{free_port()}/0"))
    files = SharedFiles(
        OPEN[-1],
        LeaseSettings(fallback=False),
        worker="w",
    )
    download = Downloads()
    with pytest.raises(StoreError):
        await files.load(ORIGIN, KINDS, download)
    assert download.calls == []


# --- the cache in front -----------------------------------------------------------------


def test_shared_cache_drops_a_local_copy_older_than_the_ttl() -> None:
    """Files read from the store keep their fetch time: no worker keeps them past the TTL."""
    now = [1000.0]
    files = SharedFiles(RedisStore("redis://127.0.0.1:1/0"), LeaseSettings(), worker="w")
    cache = SharedPolicyCache(LruPolicyCache(), files, ttl_secs=100, clock=lambda: now[0])
    site = SiteFiles(ORIGIN, robots=SiteFile(FileState.ABSENT, fetched_at=950.0))
    cache.put(ORIGIN, site)
    assert cache.get(ORIGIN) is site
    now[0] = 1049.9
    assert cache.get(ORIGIN) is site
    now[0] = 1050.0
    assert cache.get(ORIGIN) is None


@crawl_test
@closing
async def test_any_document_shares_the_same_way_by_its_url(redis_server: RedisServer) -> None:
    """The plug point for documents fetched once for many pages (an RSL licence): kind "rsl",
    subject its URL; one download for the cluster, raw bytes for everyone."""
    events: list[str] = []
    licence = "https://a.example/licence.xml"
    calls: list[tuple[str, ...]] = []

    async def download(kinds: tuple[str, ...]) -> Mapping[str, FetchResult]:
        calls.append(kinds)
        await asyncio.sleep(0.2)
        return {"rsl": FetchResult(licence, 200, b"<rsl/>", final_url=licence)}

    workers = [worker(redis_server.url, f"w{i}", events) for i in range(2)]
    loaded = await asyncio.gather(*(w.load(licence, ("rsl",), download) for w in workers))
    assert calls == [("rsl",)]
    assert [x.entries["rsl"].result.body for x in loaded] == [b"<rsl/>", b"<rsl/>"]
    assert redis_server.client().exists(KeySchema().file_key("rsl", licence))


def test_cluster_cache_keeps_the_workers_last_good_robots_txt() -> None:
    """A worker of a cluster reuses the last good robots.txt its own cache kept (issue 12 x 14)."""
    files = SharedFiles(RedisStore("redis://127.0.0.1:1/0"), LeaseSettings(), worker="w")
    local = LruPolicyCache()
    cache = SharedPolicyCache(local, files, ttl_secs=100)
    good = SiteFiles(
        ORIGIN, robots=SiteFile(FileState.PARSED, parsed=parse(b"User-agent: *\n"), fetched_at=1.0)
    )
    cache.put(ORIGIN, good)
    assert cache.last_good(ORIGIN) is local.last_good(ORIGIN)
    assert cache.last_good(ORIGIN) is not None
    assert cache.last_good("https://elsewhere.example") is None
