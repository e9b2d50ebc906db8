"""The downloader middleware: decides every request before download and every response after.

Before download, the origin's site files give a site-level verdict (and, with ROBOTSTXT_OBEY,
the crawler's own robots.txt Allow/Disallow): a reserved URL in drop mode is never requested,
unless only evidence the page itself may supersede reserves it (``Verdict.overridable``, e.g. a
``tdmrep.json`` ``1`` under TDMRep's "more embedded wins"): that page is fetched, decided with its
own signals, and dropped after download if still reserved.
After download, the response's headers and HTML head are added; a reserved response in drop mode
never reaches spider code. Every decision is counted, logged at DEBUG, signalled and audited.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from optout_middleware.evaluate import Evaluator
from optout_middleware.inputs import ResponseView, SiteFiles
from optout_middleware.memo import Memo
from optout_middleware.signals.rsl import RslSignal, page_associations
from optout_middleware.sitepolicy import (
    SITE_FILE_PATHS,
    RslDocumentStore,
    origin_or_none,
    robots_forbids,
)
from optout_middleware.verdict import Verdict, extend

from .audit import AuditWriter
from .config import OptOutConfig
from .crawlinfo import crawl_header
from .embedded import EmbeddedImages
from .fetch import SITEFILE_META_KEY, SiteFileFetcher
from .listeners import debug_reaches_a_handler, has_receivers
from .parsers import build_signals, site_file_kinds
from .redis_cache import ClusterConfig, build_policy_cache
from .rslfetch import RslDocumentFetcher
from .signals import optout_decided
from .stats import BatchedStats

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self


__all__ = ["OptOutDownloaderMiddleware", "OptOutReserved"]

logger = logging.getLogger(__name__)

SITE_EVIDENCE_KEY = "_optout_site_evidence"  # the site-level verdict, extended after download
DEFERRED_KEY = "_optout_deferred"  # drop mode: reserved before download, but the page may lift it
_DEFERRED_DROPPED = (
    "reserved before download by evidence the page could supersede; fetched to decide, and "
    "the page did not lift it"
)
_DEFERRED_LIFTED = (
    "reserved before download by evidence the page could supersede; fetched to decide, and "
    "the page's own signals lifted it"
)
_SITE_FILE_PATHS = frozenset(SITE_FILE_PATHS.values())
_HTTP = frozenset({"http", "https"})
# Site files each built-in family reads; a custom family may read any of them.


class OptOutReserved(IgnoreRequest):
    """A request or response dropped because its content is reserved for the crawl's purpose.

    ``verdict`` says why; ``response`` is set when the decision was made after download.
    """

    def __init__(self, verdict: Verdict, response: Response | None = None) -> None:
        by = verdict.decided_by
        reason = f" by {by.family} ({by.source}: {by.value})" if by is not None else ""
        super().__init__(f"{verdict.purpose.value} reserved{reason}")
        self.verdict = verdict
        self.response = response


class OptOutDownloaderMiddleware:
    """Drops (or tags) requests and responses whose content is reserved for the crawl's purpose.

    Request meta keys:

    * ``dont_obey_optout`` (bool): no opt-out decision for this request (counted as
      ``optout/exempt``); with ROBOTSTXT_OBEY the crawler's own robots.txt rules still apply;
    * ``dont_obey_robotstxt`` (bool): skip the crawler's own robots.txt rules (Scrapy's key);
      opt-out signals, robots.txt AI groups included, still apply;
    * ``optout`` (dict, set after download): the verdict, ``Verdict.shared_dict()`` (the
      ``to_dict()`` shared by every response with the same verdict: copy before changing);
    * ``_optout_sitefile``, ``_optout_site_evidence``, ``_optout_received``,
      ``_optout_deferred``: private.
    """

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("OPTOUT_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.config = config = OptOutConfig.from_settings(crawler.settings)
        parsers = build_signals(config)
        self.evaluator = Evaluator(config.purpose, config.context(), parsers)
        self.cluster = ClusterConfig.from_settings(crawler.settings)
        self.cache = build_policy_cache(crawler, config, self.cluster)
        self.fetcher = SiteFileFetcher(
            crawler,
            self.cache,
            site_file_kinds(config, parsers),
            unreachable_retry_secs=config.unreachable_retry_secs,
            last_good_secs=config.robotstxt_last_good_secs,
        )
        self.rsl: RslDocumentFetcher | None = None
        if any(isinstance(p, RslSignal) for p in parsers):  # documents are fetched by URL
            store = RslDocumentStore(
                cache_ttl=config.cache_ttl_secs,
                retry=config.unreachable_retry_secs,
                max_entries=config.cache_size,
            )
            self.rsl = RslDocumentFetcher(crawler, self.fetcher, store, self.evaluator.context)
            self.fetcher.extend = self.rsl.attach_site_documents
        self.stats = BatchedStats(crawler)
        self.audit = (
            AuditWriter(config.audit_file, worker=self.cluster.worker_id)
            if config.audit_file is not None
            else None
        )
        if self.audit is not None:
            self.audit.write_header(crawl_header(crawler, config, parsers))
        self._log_decisions = debug_reaches_a_handler(logger)
        self._drop = config.action == "drop"
        self._verdict_stats: Memo[int, tuple[Verdict, tuple[str, ...]]] = Memo(_STAT_MEMO)
        self._action_kept = "tagged" if config.action == "tag" else "passed"
        self.embedded = (  # page to image: a page's noai/noimageai reaches its images
            EmbeddedImages.for_crawler(crawler) if "robots-meta" in config.signal_families else None
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self) -> None:
        self._log_decisions = debug_reaches_a_handler(logger)  # logging is configured by now

    def spider_closed(self) -> None:
        if self.audit is not None:
            self.audit.close()

    async def process_request(self, request: Request) -> None:
        meta = request.meta
        if SITEFILE_META_KEY in meta:  # our own site-file fetch
            return
        # A redirect's new request inherits its source's meta: the source's site verdict must
        # not decide a target this method does not decide (a site file, an exempt request).
        meta.pop(SITE_EVIDENCE_KEY, None)
        meta.pop(DEFERRED_KEY, None)
        exempt = bool(meta.get("dont_obey_optout"))
        obey = self.config.robotstxt_obey and not meta.get("dont_obey_robotstxt")
        if exempt:
            self._inc("optout/exempt")
            if not obey:
                return
        parsed = urlparse_cached(request)
        if parsed.scheme not in _HTTP or parsed.path in _SITE_FILE_PATHS:
            return  # policy files are read, not used (RFC 9309: /robots.txt is always allowed)
        origin = origin_or_none(request.url)
        if origin is None:  # e.g. an out-of-range port: the download will fail on its own
            return
        site = await self.fetcher.get(origin)
        if exempt:  # exempt from opt-outs, not from ROBOTSTXT_OBEY
            verdict = Verdict(self.config.purpose, None)
        else:
            verdict = self.evaluator.before_download(request.url, site)
            meta[SITE_EVIDENCE_KEY] = verdict
            if verdict.reserved and self._drop:
                if verdict.overridable:  # the page's own signals may lift it: fetch, then decide
                    meta[DEFERRED_KEY] = True
                    self._inc("optout/request_deferred")
                else:
                    self._decided(verdict, request, None, "dropped", shared=True)
                    self._inc("optout/request_dropped")
                    raise OptOutReserved(verdict)
        if obey:
            forbidden = self._robots_forbid(site, request.url)
            if forbidden is not None:
                self._decided(verdict, request, None, "forbidden", reason=forbidden, shared=True)
                self._inc("robotstxt/forbidden")
                raise IgnoreRequest(f"Forbidden by robots.txt: {forbidden}")

    def _robots_forbid(self, site: SiteFiles, url: str) -> str | None:
        """Why our own agent may not fetch ``url`` under RFC 9309, or None when it may."""
        return robots_forbids(
            site.robots,
            url,
            self.config.user_agent,
            fail_closed=self.config.robotstxt_fail_closed,
        )

    def process_response(
        self, request: Request, response: Response
    ) -> Response | Coroutine[Any, Any, Response]:
        # At priority 100, retries, decompression and redirects (550-600) are done: this is the
        # final response, and a followed 3xx never gets here.
        meta = request.meta
        if SITEFILE_META_KEY in meta or meta.get("dont_obey_optout"):
            return response
        site_evidence = meta.pop(SITE_EVIDENCE_KEY, None)
        site = _NO_SITE
        if site_evidence is None:  # not seen by process_request: an earlier middleware answered
            parsed = urlparse_cached(request)
            if parsed.scheme not in _HTTP or parsed.path in _SITE_FILE_PATHS:
                return response
            origin = origin_or_none(request.url)
            if origin is None:
                return response
            site = self.cache.get(origin) or _NO_SITE
        view = ResponseView(
            response.url,
            status=response.status,
            headers=response.headers,
            body=response.body,
            head_interest=self.evaluator.head_interest,
        )
        embedded = self.embedded
        if embedded is not None and (extra := embedded.evidence(request, view)):
            if site_evidence is None:
                site_evidence = self.evaluator.before_download(view.url, site)
            site_evidence = extend(site_evidence, extra)
        if self.rsl is not None:  # a page that links RSL documents waits for them (rare)
            urls = [a.url for a in page_associations(view) if a.url and a.inline is None]
            if urls:
                return self._after_rsl(request, response, view, site, site_evidence, urls=urls)
        return self._after_download(request, response, view, site, site_evidence)

    async def _after_rsl(
        self,
        request: Request,
        response: Response,
        view: ResponseView,
        site: SiteFiles,
        site_evidence: Verdict | None,
        *,
        urls: list[str],
    ) -> Response:
        assert self.rsl is not None  # noqa: S101  (only called with RSL on)
        view.rsl_documents = await self.rsl.get_many(urls)
        return self._after_download(request, response, view, site, site_evidence)

    def _after_download(
        self,
        request: Request,
        response: Response,
        view: ResponseView,
        site: SiteFiles,
        site_evidence: Verdict | None,
    ) -> Response:
        meta = request.meta
        verdict = self.evaluator.after_download(view, site, site_evidence)
        meta["optout"] = verdict.shared_dict()  # built once per verdict, shared: read-only
        embedded = self.embedded
        if embedded is not None:
            embedded.page_seen(meta, view, self.evaluator.context, verdict.evidence)
        deferred = meta.pop(DEFERRED_KEY, False)
        if verdict.reserved and self._drop:
            self._decided(
                verdict,
                request,
                response,
                "dropped",
                reason=_DEFERRED_DROPPED if deferred else None,
            )
            self._inc("optout/response_dropped")
            raise OptOutReserved(verdict, response)
        if deferred:
            self._inc("optout/deferred_lifted")
        self._decided(
            verdict,
            request,
            response,
            self._action_kept,
            reason=_DEFERRED_LIFTED if deferred else None,
            shared=verdict is site_evidence,
        )
        return response

    def _decided(
        self,
        verdict: Verdict,
        request: Request,
        response: Response | None,
        action: str,
        *,
        reason: str | None = None,
        shared: bool = False,
    ) -> None:
        """Count, log, signal and audit one decision (``shared``: a site verdict)."""
        state = (
            "unknown"
            if verdict.reserved is None
            else ("reserved" if verdict.reserved else "unreserved")
        )
        self.stats.inc_each(self._stat_keys(verdict, shared))
        if self._log_decisions:
            by = verdict.decided_by
            logger.debug(
                "%(action)s %(request)s: %(purpose)s %(state)s%(by)s%(reason)s",
                {
                    "action": action.capitalize(),
                    "request": request,
                    "purpose": verdict.purpose.value,
                    "state": state,
                    "by": f" by {by.family} {by.source} {by.value!r}" if by else "",
                    "reason": f" ({reason})" if reason else "",
                },
                extra={"spider": self.crawler.spider},
            )
        if has_receivers(self.crawler.signals.sender, optout_decided):
            self.crawler.signals.send_catch_log(
                signal=optout_decided,
                verdict=verdict,
                request=request,
                response=response,
                action=action,
            )
        if self.audit is not None:
            self.audit.write(
                request.url,
                verdict,
                action=action,
                stage="request" if response is None else "response",
                status=None if response is None else response.status,
                reason=reason,
            )

    def _stat_keys(self, verdict: Verdict, shared: bool) -> tuple[str, ...]:
        """The stats one decision counts: its verdict, and each evidence's family. Remembered
        for a ``shared`` verdict (a site verdict, the same object for its whole path class)."""
        found = self._verdict_stats.get(id(verdict))
        if found is not None and found[0] is verdict:
            return found[1]
        keys = [_VERDICT_KEYS[verdict.reserved]]
        for evidence in verdict.evidence:
            family = evidence.family
            key = _EVIDENCE_KEYS.get(family)
            if key is None:
                key = _EVIDENCE_KEYS[family] = f"optout/evidence_count/{family}"
            keys.append(key)
        built = tuple(keys)
        if shared and len(verdict.evidence) <= _STAT_KEYS_MAX:
            self._verdict_stats.put(id(verdict), (verdict, built))  # keeps the verdict alive
        return built

    def _inc(self, key: str, count: int = 1) -> None:
        self.stats.inc(key, count)


_NO_SITE = SiteFiles()
_VERDICT_KEYS = {
    None: "optout/verdict_count/unknown",
    True: "optout/verdict_count/reserved",
    False: "optout/verdict_count/unreserved",
}
_EVIDENCE_KEYS: dict[str, str] = {}  # family -> its stats key, built once per family
_STAT_MEMO = 2048  # verdicts whose stats keys are remembered
_STAT_KEYS_MAX = 64  # evidence items beyond which a verdict's keys are not remembered
