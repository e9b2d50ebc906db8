"""Fetching RSL licence documents through the Scrapy engine, once per URL per lifetime.

A document is downloaded the way site files are (:class:`~.fetch.SiteFileFetcher`: through the
downloader middlewares, at most five redirects counted here, the body cut at 512 KiB, never
retried, never in Scrapy's HTTP cache) but cached by URL for the whole crawl in an
:class:`~optout_middleware.sitepolicy.RslDocumentCache` (by default the in-process
:class:`~optout_middleware.sitepolicy.RslDocumentStore`): a licence collective's document named by
a thousand origins is read once. Requests for a URL already in flight wait for that download.

In a cluster (``OPTOUT_REDIS_URL``) the in-process store stays in front, and on its miss the
document comes through the shared store like the site files
(:class:`~optout_middleware.sitepolicy.shared.SharedFiles`, kind ``"rsl"``, the URL as subject):
one worker of the cluster downloads it under a lease of its own while the others wait, and
Redis keeps it for the document's own lifetime (its ``max-age``, capped by
``OPTOUT_CACHE_TTL_SECS``; an unreadable one for ``OPTOUT_UNREACHABLE_RETRY_SECS``). Where it came
from is counted in ``optout/redis/rsl_source/<source>``; leases, waits and fallbacks in the
same ``optout/redis/...`` counters as the site files'.

Two moments need documents (rsl.md 2.7: locate and comply before processing):

* the documents named by an origin's robots.txt ``License:`` lines are fetched with the site
  files, before any page of the origin is requested, and travel in ``SiteFiles.rsl``;
* those a response links to (``Link`` header, ``<link>``) are fetched in ``process_response``,
  before the response reaches the spider, and handed to the evaluator in
  ``ResponseView.rsl_documents``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING

from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from optout_middleware.inputs import FileState, SiteFile
from optout_middleware.signals.rsl import NO_DOCUMENT, site_associations
from optout_middleware.sitepolicy import RSL_KIND, FetchResult, StoredFetch
from optout_middleware.sitepolicy.shared import SharedPolicyCache

from .fetch import _describe

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.crawler import Crawler

    from optout_middleware.formats.rsl import RslDocument
    from optout_middleware.inputs import Context, SiteFiles
    from optout_middleware.sitepolicy import RslDocumentCache
    from optout_middleware.sitepolicy.shared import SharedFiles

    from .fetch import SiteFileFetcher

__all__ = ["RslDocumentFetcher"]

logger = logging.getLogger(__name__)


class RslDocumentFetcher:
    """Gets RSL documents by URL: from the store, an in-flight download, or the web."""

    def __init__(
        self,
        crawler: Crawler,
        downloads: SiteFileFetcher,
        store: RslDocumentCache,
        context: Context,
    ) -> None:
        self.crawler = crawler
        self.downloads = downloads
        self.store = store
        self.context = context
        # The cluster's shared store when the site files go through one (OPTOUT_REDIS_URL).
        cache = downloads.cache
        self.shared: SharedFiles | None = (
            cache.files if isinstance(cache, SharedPolicyCache) else None
        )
        self._waiting: dict[str, list[Deferred[SiteFile[RslDocument]]]] = {}

    async def get(self, url: str) -> SiteFile[RslDocument]:
        """The document at ``url``; never raises (a failure is an unreadable document)."""
        cached = self.store.get(url)
        if cached is not None:
            return cached
        waiting = self._waiting.get(url)
        if waiting is not None:
            waiter: Deferred[SiteFile[RslDocument]] = Deferred()
            waiting.append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[url] = []
        document: SiteFile[RslDocument] | None = None
        try:
            document = self.store.put(await self._stored(url))
            self._inc(f"optout/rsl/document_count/{document.state.value}")
            if document.state is not FileState.PARSED:
                logger.info(
                    "RSL document %(url)s is unreadable (%(error)s)",
                    {"url": url, "error": document.error},
                    extra={"spider": self.crawler.spider},
                )
            return document
        finally:  # wake the waiters even when this coroutine is cancelled (shutdown)
            outcome = document or SiteFile(
                FileState.UNREACHABLE, url=url, error="fetch interrupted", fetched_at=time.time()
            )
            for waiter in self._waiting.pop(url, ()):
                waiter.callback(outcome)

    async def _stored(self, url: str) -> StoredFetch:
        """The fetch of ``url``: downloaded here, or in a cluster by whichever worker holds
        the document's lease (a Redis failure costs a download here, as for site files)."""
        shared = self.shared
        if shared is None:
            return StoredFetch(RSL_KIND, url, await self._fetch_result(url), time.time())

        async def download(kinds: tuple[str, ...]) -> dict[str, FetchResult]:
            return {kind: await self._fetch_result(url) for kind in kinds}

        try:
            loaded = await shared.load(url, (RSL_KIND,), download, ttl=self.store.lifetime)
        except Exception as exc:  # noqa: BLE001  (StoreError with fallback off: unreadable)
            failed = FetchResult(url, None, error=_describe(exc))
            return StoredFetch(RSL_KIND, url, failed, time.time())
        self._inc(f"optout/redis/rsl_source/{loaded.source}")
        return loaded.entries[RSL_KIND]

    async def _fetch_result(self, url: str) -> FetchResult:
        try:
            return await self.downloads._download(url, RSL_KIND)
        except Exception as exc:  # noqa: BLE001  (belt and braces: _download reports its own)
            return FetchResult(url, None, error=_describe(exc))

    async def get_many(self, urls: Iterable[str]) -> dict[str, SiteFile[RslDocument]]:
        """Several documents, downloaded in parallel; keyed by URL, in first-seen order."""
        unique = list(dict.fromkeys(urls))
        found: dict[str, SiteFile[RslDocument]] = {}
        missing = []
        for url in unique:
            cached = self.store.get(url)
            if cached is not None:
                found[url] = cached
            else:
                missing.append(url)
        started = [(url, deferred_from_coro(self.get(url))) for url in missing]
        for url, pending in started:
            found[url] = await maybe_deferred_to_future(pending)
        return {url: found[url] for url in unique}

    async def attach_site_documents(self, site: SiteFiles) -> SiteFiles:
        """``site`` with the documents its robots.txt ``License:`` lines name for our crawler."""
        associations = site_associations(site, self.context)
        if not associations:
            return site
        documents = await self.get_many(a.url for a in associations if a.url)
        return dataclasses.replace(site, rsl=tuple(documents.values()) or (NO_DOCUMENT,))

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
