"""Fetching the site files of an origin through the Scrapy engine, once per origin per TTL.

The first request for an origin starts one fetch of each needed file (robots.txt, ai.txt,
tdmrep.json) in parallel; every other request for that origin waits for the same result, so a
file is downloaded once however many requests arrive together. The result is cached by origin
(:mod:`optout_middleware.sitepolicy`) and read with the status rules there.

Site-file requests go through the downloader middlewares (user agent, retries, proxies, cache)
with meta that keeps them out of our own middleware and out of Scrapy's robots.txt middleware
(``dont_obey_optout``, ``dont_obey_robotstxt``, and the private ``_optout_sitefile``): a request
that waited for its own robots.txt would deadlock. Redirects are followed here, not by
``RedirectMiddleware``, to count hops exactly (RFC 9309: at least five) and keep the rules bound
to the first origin. Bodies stop downloading at the size cap (``StopDownload`` from
``bytes_received``), so a huge robots.txt yields its first 500 KiB, as Google reads it, instead
of failing. Nothing here raises: a failed fetch is an UNREACHABLE file that carries the error.
An unreachable robots.txt is replaced by the origin's last good copy when the cache keeps one
(``LastGoodCache``) and it is young enough (``OPTOUT_ROBOTSTXT_LAST_GOOD_SECS``; RFC 9309 2.4).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.exceptions import StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.python import global_object_name
from twisted.internet.defer import Deferred
from w3lib.url import safe_url_string

from optout_middleware.inputs import FileState, SiteFile, SiteFiles
from optout_middleware.sitepolicy import (
    LAST_GOOD_SECS,
    MAX_REDIRECTS,
    SIZE_CAPS,
    TOO_MANY_REDIRECTS,
    UNREACHABLE_RETRY_SECS,
    FetchResult,
    LastGoodCache,
    build_site_files,
    read_site_file,
    retry_due,
    site_file_url,
    with_last_good,
)
from optout_middleware.sitepolicy.shared import SharedPolicyCache

from .signals import site_policy_fetched

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from optout_middleware.sitepolicy import PolicyCache

__all__ = ["SITEFILE_MAXSIZE", "SITEFILE_META_KEY", "SITEFILE_PRIORITY", "SiteFileFetcher"]

logger = logging.getLogger(__name__)

SITEFILE_META_KEY = "_optout_sitefile"  # its value is the kind: "robots", "aitxt", "tdmrep"
SITEFILE_PRIORITY = 1000  # like Scrapy's robots.txt requests: before the pages waiting on them
# Hard ceiling for download_maxsize (also bounds decompression): far above the caps, because
# Scrapy aborts a response that announces more, where we want its first SIZE_CAPS bytes.
SITEFILE_MAXSIZE = 10 * 1024 * 1024
_RECEIVED_KEY = "_optout_received"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERROR_MAX = 300  # characters of an exception message kept in the SiteFile


class SiteFileFetcher:
    """Gets the :class:`SiteFiles` of an origin: from the cache, an in-flight fetch, or the web."""

    def __init__(
        self,
        crawler: Crawler,
        cache: PolicyCache,
        kinds: Sequence[str],
        *,
        unreachable_retry_secs: float = UNREACHABLE_RETRY_SECS,
        last_good_secs: float = LAST_GOOD_SECS,
    ) -> None:
        self.crawler = crawler
        self.cache = cache
        self.kinds = tuple(kinds)
        self.unreachable_retry_secs = unreachable_retry_secs
        self.last_good_secs = last_good_secs
        # Caches that keep each origin's last good robots.txt let it stand in while robots.txt
        # is unreachable; any other PolicyCache works as before.
        self._last_good = cache.last_good if isinstance(cache, LastGoodCache) else None
        self._waiting: dict[str, list[Deferred[SiteFiles]]] = {}
        self._downloading = 0  # site-file downloads in flight
        # Completes a fetched origin before it is cached (the RSL documents robots.txt names).
        self.extend: Callable[[SiteFiles], Awaitable[SiteFiles]] | None = None

    async def get(self, origin: str) -> SiteFiles:
        """The site files of ``origin`` (a key from ``origin_of``); never raises."""
        site = self.cache.get(origin)
        if site is not None and not retry_due(
            site, now=time.time(), after_secs=self.unreachable_retry_secs
        ):
            return site
        if not self.kinds:  # no family reads a site file
            return SiteFiles(origin=origin)
        waiting = self._waiting.get(origin)
        if waiting is not None:  # a fetch is in flight: wait for its result
            waiter: Deferred[SiteFiles] = Deferred()
            waiting.append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[origin] = []
        fetched: SiteFiles | None = None
        try:
            fetched = await self._fetch(origin)
            self.cache.put(origin, fetched)
            return fetched
        finally:  # wake the waiters even when this coroutine is cancelled (shutdown)
            result = fetched if fetched is not None else self._interrupted(origin)
            for waiter in self._waiting.pop(origin, ()):
                waiter.callback(result)

    def _interrupted(self, origin: str) -> SiteFiles:
        """What waiters get when the fetch never finished: unreachable, and not cached."""
        files: dict[str, SiteFile[Any]] = {
            kind: SiteFile(
                FileState.UNREACHABLE, url=site_file_url(origin, kind), error="fetch interrupted"
            )
            for kind in self.kinds
        }
        return build_site_files(origin, files)

    async def _fetch(self, origin: str) -> SiteFiles:
        if isinstance(self.cache, SharedPolicyCache):  # a cluster: one worker fetches for all
            files = await self._fetch_shared(origin, self.cache)
        else:
            # Start every file first, then collect: the downloads run in parallel.
            started = [deferred_from_coro(self._fetch_file(origin, kind)) for kind in self.kinds]
            files = {
                kind: await maybe_deferred_to_future(d)
                for kind, d in zip(self.kinds, started, strict=True)
            }
        site = self._with_last_good(origin, build_site_files(origin, files))
        if self.extend is not None:
            site = await self.extend(site)
        await self.crawler.signals.send_catch_log_async(
            signal=site_policy_fetched, origin=origin, site=site
        )
        return site

    def _with_last_good(self, origin: str, site: SiteFiles) -> SiteFiles:
        """An unreachable robots.txt replaced by the origin's last good copy, if young enough."""
        if site.robots.state is not FileState.UNREACHABLE or self._last_good is None:
            return site
        reused = with_last_good(
            site, self._last_good(origin), now=time.time(), max_age_secs=self.last_good_secs
        )
        if reused is not site:
            self._inc("optout/sitefile/robots/last_good_reused")
            logger.info(
                "%(url)s is unreachable; its last good copy, read %(age).0f s ago, is used",
                {"url": reused.robots.url, "age": time.time() - (reused.robots.last_good_at or 0)},
                extra={"spider": self.crawler.spider},
            )
        return reused

    async def _fetch_shared(self, origin: str, cache: SharedPolicyCache) -> dict[str, Any]:
        """The files as fetched by one worker of the cluster (OPTOUT_REDIS_URL), each read
        here with its original fetch time."""

        async def download(kinds: tuple[str, ...]) -> dict[str, FetchResult]:
            started = [deferred_from_coro(self._fetch_result(origin, kind)) for kind in kinds]
            return {
                kind: await maybe_deferred_to_future(d)
                for kind, d in zip(kinds, started, strict=True)
            }

        loaded = await cache.load(origin, self.kinds, download)
        self._inc(f"optout/redis/source/{loaded.source}")
        return {
            kind: self._read(kind, entry.result, now=entry.fetched_at)
            for kind, entry in loaded.entries.items()
        }

    async def _fetch_file(self, origin: str, kind: str) -> SiteFile[Any]:
        return self._read(kind, await self._fetch_result(origin, kind))

    async def _fetch_result(self, origin: str, kind: str) -> FetchResult:
        url = site_file_url(origin, kind)
        try:
            return await self._download(url, kind)
        except Exception as exc:  # noqa: BLE001  (belt and braces: _download reports its own)
            return FetchResult(url, None, error=_describe(exc))

    def _read(self, kind: str, result: FetchResult, *, now: float | None = None) -> SiteFile[Any]:
        site_file = read_site_file(kind, result, now=now)
        url = result.url
        self._inc(f"optout/sitefile/{kind}/state_count/{site_file.state.value}")
        if site_file.state is FileState.UNREACHABLE:
            logger.info(
                "%(url)s is unreachable (%(error)s)",
                {"url": url, "error": site_file.error},
                extra={"spider": self.crawler.spider},
            )
        return site_file

    async def _download(self, url: str, kind: str) -> FetchResult:
        """Download ``url``, following up to MAX_REDIRECTS redirects; report what happened."""
        current, hops = url, 0
        while True:
            request = Request(
                current,
                priority=SITEFILE_PRIORITY,
                callback=NO_CALLBACK,
                dont_filter=True,
                meta={
                    SITEFILE_META_KEY: kind,
                    "dont_obey_optout": True,
                    "dont_obey_robotstxt": True,
                    "dont_redirect": True,
                    "handle_httpstatus_all": True,
                    "allow_offsite": True,  # RFC 9309: redirects may cross authorities
                    "download_maxsize": SITEFILE_MAXSIZE,
                    # An unreachable file is fetched again after OPTOUT_UNREACHABLE_RETRY_SECS: retries
                    # here would only hold every waiting request longer, and log ERROR lines.
                    "dont_retry": True,
                    "dont_cache": True,  # our PolicyCache owns the lifetime (RFC 9309: 24 h)
                },
            )
            try:
                response = await self._download_capped(request)
            except Exception as exc:  # noqa: BLE001  (DNS, timeout, refused, IgnoreRequest...)
                self._inc(f"optout/sitefile/{kind}/exception_count/{global_object_name(type(exc))}")
                return FetchResult(
                    url, None, final_url=current, error=_describe(exc), redirects=hops
                )
            status = response.status
            self._inc(f"optout/sitefile/{kind}/status_count/{status}")
            location = response.headers.get(b"Location") if status in _REDIRECTS else None
            if location:
                if hops >= MAX_REDIRECTS:
                    return FetchResult(
                        url, status, final_url=current, redirects=hops, error=TOO_MANY_REDIRECTS
                    )
                target = urljoin(current, safe_url_string(location.decode("latin-1")))
                if urlsplit(target).scheme not in ("http", "https"):
                    return FetchResult(
                        url,
                        status,
                        final_url=current,
                        redirects=hops,
                        error=f"redirect to a non-HTTP URL: {target[:_ERROR_MAX]}",
                    )
                current, hops = target, hops + 1
                continue
            body = response.body
            cap = SIZE_CAPS[kind]
            return FetchResult(
                url,
                status,
                body[:cap],
                final_url=response.url,
                redirects=hops,
                truncated=len(body) > cap or "download_stopped" in response.flags,
            )

    async def _download_capped(self, request: Request) -> Response:
        """Download with the size cap watching; the watcher is only connected while a site
        file is downloading, as Scrapy sends ``bytes_received`` for every chunk of every page."""
        assert self.crawler.engine is not None  # noqa: S101  (only called while crawling)
        if not self._downloading:
            self.crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        self._downloading += 1
        try:
            return await self.crawler.engine.download_async(request)
        finally:
            self._downloading -= 1
            if not self._downloading:
                self.crawler.signals.disconnect(self._bytes_received, signal=signals.bytes_received)

    def _bytes_received(self, data: bytes, request: Request) -> None:
        """Stop a site-file download once it passes its size cap (the response is kept)."""
        kind = request.meta.get(SITEFILE_META_KEY)
        if kind is None:
            return
        received = request.meta.get(_RECEIVED_KEY, 0) + len(data)
        request.meta[_RECEIVED_KEY] = received
        if received > SIZE_CAPS.get(kind, SITEFILE_MAXSIZE):
            raise StopDownload(fail=False)

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _describe(exc: BaseException) -> str:
    """A short, stable description of a download failure for the SiteFile and the audit."""
    message = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {message[:_ERROR_MAX]}" if message else name
