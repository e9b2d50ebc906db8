"""Per-decision stats counted locally and handed to Scrapy's stats collector in batches.

A decision makes several increments, and each ``StatsCollector.inc_value`` call costs about a
microsecond (Scrapy wraps it to warn about a deprecated argument): a measurable share of the
per-page budget. Counts are summed in a dict and added to the collector every
:data:`FLUSH_EVERY` increments and when the spider closes, before Scrapy dumps its stats, so
totals are exact at the end; a reader polling stats mid-crawl may see them one batch late.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals

from .signals import optout_stats_requested

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["FLUSH_EVERY", "BatchedStats"]

FLUSH_EVERY = 1000


class BatchedStats:
    """``inc(key, count)`` like ``crawler.stats.inc_value``, added to it in batches."""

    __slots__ = ("__weakref__", "_crawler", "_every", "_left", "_pending")

    def __init__(self, crawler: Crawler, *, every: int = FLUSH_EVERY) -> None:
        self._crawler = crawler
        self._pending: dict[str, int] = {}
        self._every = self._left = max(every, 1)
        crawler.signals.connect(self.flush, signal=signals.spider_closed)
        crawler.signals.connect(self.flush, signal=optout_stats_requested)

    def inc(self, key: str, count: int = 1) -> None:
        pending = self._pending
        pending[key] = pending.get(key, 0) + count
        self._left -= 1
        if not self._left:
            self.flush()

    def flush(self) -> None:
        """Add every pending count to the crawler's stats collector."""
        self._left = self._every
        pending, self._pending = self._pending, {}
        stats = self._crawler.stats
        if stats is not None:
            for key, count in pending.items():
                stats.inc_value(key, count)
