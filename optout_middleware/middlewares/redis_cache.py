"""The shared policy cache on Redis (or Valkey) for a crawl spread over several Scrapy processes.

Off unless ``OPTOUT_REDIS_URL`` is set; then :func:`build_policy_cache` puts a
:class:`~optout_middleware.sitepolicy.shared.SharedPolicyCache` behind the worker's own LRU, and
the site files of an origin (and each RSL document, :mod:`.rslfetch`) are fetched by one
worker of the cluster while the others wait (the lease protocol is
:mod:`optout_middleware.sitepolicy.shared`). :class:`RedisStore` is ``redis.asyncio``, awaited on Scrapy's asyncio reactor: nothing blocks it. Timeouts are short
and redis-py's own retries are off, so a slow or dead Redis costs a local fetch after
``OPTOUT_REDIS_TIMEOUT_SECS``, not a stalled crawl; three failures in a row open a breaker that
skips Redis for 30 s. ``OPTOUT_REDIS_REQUIRED`` stops the worker instead: it does not start
without Redis and closes (``optout_redis_unavailable``) at the first failure, the requests
already in flight still getting their policy by a local fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.asyncio import is_asyncio_available

from optout_middleware.errors import ConfigError
from optout_middleware.sitepolicy import SIZE_CAPS, LruPolicyCache
from optout_middleware.sitepolicy.entries import DEFAULT_PREFIX, KeySchema
from optout_middleware.sitepolicy.shared import (
    LeaseSettings,
    SharedFiles,
    SharedPolicyCache,
    StoreError,
)

from .config import _bool, _fail, _number, _text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from optout_middleware.sitepolicy import PolicyCache

    from .config import OptOutConfig

__all__ = ["CLOSE_REASON", "ClusterConfig", "RedisStore", "build_policy_cache"]

logger = logging.getLogger(__name__)

CLOSE_REASON = "optout_redis_unavailable"

# Only while the token matches: a holder whose lease expired must not touch its successor's.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


def default_worker_id() -> str:
    """``hostname:pid``: unique among live workers, and says where to look."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """The cluster settings (README "Running on a cluster")."""

    worker_id: str
    redis_url: str | None = None
    key_prefix: str = DEFAULT_PREFIX
    lease_secs: float = 30.0
    wait_secs: float = 60.0
    timeout_secs: float = 2.0
    required: bool = False

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ClusterConfig:
        url = _text(settings, "OPTOUT_REDIS_URL")
        if url is not None and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise _fail("OPTOUT_REDIS_URL", url, "a redis://, rediss:// or unix:// URL")
        required = _bool(settings, "OPTOUT_REDIS_REQUIRED")
        if required and url is None:
            raise _fail("OPTOUT_REDIS_REQUIRED", True, "OPTOUT_REDIS_URL set as well")
        return cls(
            worker_id=_text(settings, "OPTOUT_WORKER_ID") or default_worker_id(),
            redis_url=url,
            key_prefix=_text(settings, "OPTOUT_REDIS_KEY_PREFIX") or DEFAULT_PREFIX,
            lease_secs=_number(settings, "OPTOUT_REDIS_LEASE_SECS", minimum=0.1, integer=False),
            wait_secs=_number(settings, "OPTOUT_REDIS_WAIT_SECS", minimum=0, integer=False),
            timeout_secs=_number(
                settings, "OPTOUT_REDIS_TIMEOUT_SECS", minimum=0.01, integer=False
            ),
            required=required,
        )


def _asyncio_available() -> bool:
    """Whether redis.asyncio can be awaited here (never a sync client on the reactor)."""
    try:
        return is_asyncio_available()
    except RuntimeError:  # no reactor yet: Scrapy installs the asyncio one by default
        return True


def _redacted(url: str) -> str:
    """``url`` without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{netloc}").geturl()


class RedisStore:
    """:class:`~optout_middleware.sitepolicy.shared.SharedStore` on ``redis.asyncio``.

    The client connects lazily, on the running loop, at the first command.
    """

    def __init__(self, url: str, *, timeout_secs: float = 2.0) -> None:
        try:
            from redis.asyncio import Redis  # noqa: PLC0415  (an optional extra)
            from redis.asyncio.retry import Retry  # noqa: PLC0415
            from redis.backoff import NoBackoff  # noqa: PLC0415
            from redis.exceptions import RedisError  # noqa: PLC0415
        except ImportError:
            raise ConfigError(
                "setting OPTOUT_REDIS_URL needs the redis package: "
                "pip install 'optout-middleware[redis]'"
            ) from None
        self.url = _redacted(url)
        self.client: Any = Redis.from_url(
            url,
            socket_timeout=timeout_secs,
            socket_connect_timeout=timeout_secs,
            retry=Retry(NoBackoff(), 0),  # a failure is a local fetch, not a stall
        )
        # Any failure of a command means "no shared answer", never a traceback in the crawl:
        # redis-py's own errors, sockets, timeouts, and whatever else a broken reply raises.
        # (RedisError, OSError and asyncio.TimeoutError are the expected ones.)
        self._errors: tuple[type[BaseException], ...] = (RedisError, Exception)
        self._release = self.client.register_script(_RELEASE)
        self._extend = self.client.register_script(_EXTEND)
        self._failing = False

    def _failed(self, exc: BaseException) -> StoreError:
        if not self._failing:
            self._failing = True
            logger.warning(
                "Redis at %(url)s failed (%(error)s): site files and RSL documents are "
                "fetched by this worker until it answers again",
                {"url": self.url, "error": f"{type(exc).__name__}: {exc}"},
            )
        return StoreError(f"{type(exc).__name__}: {exc}")

    def _ok(self) -> None:
        if self._failing:
            self._failing = False
            logger.info("Redis at %(url)s answers again", {"url": self.url})

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        try:
            values: list[bytes | None] = await self.client.mget(keys)
        except self._errors as exc:
            raise self._failed(exc) from exc
        self._ok()
        return values

    async def put_many(self, items: Sequence[tuple[str, bytes, int]]) -> None:
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, value, ttl_ms in items:
                    pipe.set(key, value, px=ttl_ms)
                await pipe.execute()
        except self._errors as exc:
            raise self._failed(exc) from exc
        self._ok()

    async def acquire(self, key: str, token: str, ttl_ms: int) -> bool:
        try:
            won = await self.client.set(key, token, nx=True, px=ttl_ms)
        except self._errors as exc:
            raise self._failed(exc) from exc
        self._ok()
        return bool(won)

    async def extend(self, key: str, token: str, ttl_ms: int) -> bool:
        try:
            return bool(await self._extend(keys=[key], args=[token, ttl_ms]))
        except self._errors as exc:
            raise self._failed(exc) from exc

    async def release(self, key: str, token: str) -> bool:
        try:
            return bool(await self._release(keys=[key], args=[token]))
        except self._errors as exc:
            raise self._failed(exc) from exc

    async def ping(self) -> None:
        try:
            await self.client.ping()
        except self._errors as exc:
            raise self._failed(exc) from exc
        self._ok()

    async def aclose(self) -> None:
        with contextlib.suppress(*self._errors):  # a broken connection: nothing left to close
            await self.client.aclose()


class _ClusterHooks:
    """Stats, the start-up check and the stop of OPTOUT_REDIS_REQUIRED, for one crawl."""

    def __init__(self, crawler: Crawler, store: RedisStore, cluster: ClusterConfig) -> None:
        self.crawler = crawler
        self.store = store
        self.cluster = cluster
        self._closing = False
        self._close_task: asyncio.Future[None] | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def on_event(self, name: str) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"optout/redis/{name}")
        if name == "fallback" and self.cluster.required and not self._closing:
            self._closing = True
            logger.error(
                "Redis at %(url)s is unavailable and OPTOUT_REDIS_REQUIRED is set: stopping",
                {"url": self.store.url},
            )
            engine = self.crawler.engine
            if engine is not None:
                self._close_task = asyncio.ensure_future(
                    engine.close_spider_async(reason=CLOSE_REASON)
                )

    async def spider_opened(self) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("optout/redis/worker", self.cluster.worker_id)
        try:
            await self.store.ping()
        except StoreError as exc:
            if self.cluster.required:
                self._closing = True
                logger.error(
                    "Redis at %(url)s is unavailable (%(error)s) and OPTOUT_REDIS_REQUIRED is "
                    "set: not crawling",
                    {"url": self.store.url, "error": exc},
                )
                raise CloseSpider(CLOSE_REASON) from exc

    async def spider_closed(self) -> None:
        await self.store.aclose()


def build_policy_cache(
    crawler: Crawler, config: OptOutConfig, cluster: ClusterConfig
) -> PolicyCache:
    """The worker's LRU, with the shared Redis cache behind it when OPTOUT_REDIS_URL is set."""
    local = LruPolicyCache(config.cache_size, config.cache_ttl_secs)
    if cluster.redis_url is None:
        return local
    if not _asyncio_available():
        raise ConfigError(
            f"setting OPTOUT_REDIS_URL={_redacted(cluster.redis_url)!r} needs Scrapy's asyncio "
            "reactor (TWISTED_REACTOR = "
            '"twisted.internet.asyncioreactor.AsyncioSelectorReactor", the default)'
        )
    store = RedisStore(cluster.redis_url, timeout_secs=cluster.timeout_secs)
    hooks = _ClusterHooks(crawler, store, cluster)
    settings = LeaseSettings(
        ok_ttl_secs=config.cache_ttl_secs,
        error_ttl_secs=config.unreachable_retry_secs,
        lease_secs=cluster.lease_secs,
        wait_secs=cluster.wait_secs,
        max_body=max(SIZE_CAPS.values()),
    )
    files = SharedFiles(
        store,
        settings,
        worker=cluster.worker_id,
        keys=KeySchema(cluster.key_prefix),
        on_event=hooks.on_event,
    )
    return SharedPolicyCache(local, files, ttl_secs=config.cache_ttl_secs)
