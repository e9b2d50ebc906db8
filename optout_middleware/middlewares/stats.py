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

    __slots__ = ("__weakref__", "_crawler", "_every", "_left", "_pending", "_sets")

    def __init__(self, crawler: Crawler, *, every: int = FLUSH_EVERY) -> None:
        self._crawler = crawler
        self._pending: dict[str, int] = {}
        self._sets: dict[tuple[str, ...], int] = {}  # keys counted together, times seen
        self._every = self._left = max(every, 1)
        crawler.signals.connect(self.flush, signal=signals.spider_closed)
        crawler.signals.connect(self.flush, signal=optout_stats_requested)

    def inc_each(self, keys: tuple[str, ...]) -> None:
        """``inc(key)`` for each of ``keys`` (repeats count twice): one dict update per call.

        A decision counts its verdict and each evidence family; decisions with the same
        verdict repeat the same tuple, so it is counted as a whole and expanded on flush.
        """
        sets = self._sets
        sets[keys] = sets.get(keys, 0) + 1
        self._left -= 1
        if not self._left:
            self.flush()

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
        sets, self._sets = self._sets, {}
        for keys, times in sets.items():
            for key in keys:
                pending[key] = pending.get(key, 0) + times
        stats = self._crawler.stats
        if stats is not None:
            for key, count in pending.items():
                stats.inc_value(key, count)
