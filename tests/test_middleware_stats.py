"""Batched stats: counts reach Scrapy's stats collector in batches and exactly at spider close."""

from __future__ import annotations

from scrapy import signals
from scrapy.utils.test import get_crawler

from optout_middleware.middlewares.stats import BatchedStats


def test_counts_reach_the_collector_every_batch() -> None:
    """A reader polling stats mid-crawl is at most one batch behind."""
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    stats = BatchedStats(crawler, every=3)
    stats.inc("optout/a")
    stats.inc("optout/b", 5)
    assert crawler.stats is not None
    assert crawler.stats.get_value("optout/a") is None  # still pending
    stats.inc("optout/a")
    assert crawler.stats.get_value("optout/a") == 2
    assert crawler.stats.get_value("optout/b") == 5


def test_spider_closed_flushes_what_is_pending() -> None:
    """Totals are exact in the stats Scrapy dumps at the end (spider_closed comes first)."""
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    stats = BatchedStats(crawler, every=1000)
    for _ in range(7):
        stats.inc("optout/a")
    crawler.signals.send_catch_log(signal=signals.spider_closed, spider=None, reason="finished")
    assert crawler.stats is not None
    assert crawler.stats.get_value("optout/a") == 7


def test_decision_key_sets_reach_the_collector_every_batch_each_key_counted() -> None:
    """``inc_each`` (one tuple per decision) flushes on the same batch count as ``inc``, and a
    key repeated in the tuple, or tuples seen several times, add up key by key."""
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    stats = BatchedStats(crawler, every=3)
    decision = ("optout/verdict_count/reserved", "optout/evidence_count/tdmrep")
    stats.inc_each(decision)
    stats.inc_each(("optout/evidence_count/tdmrep", "optout/evidence_count/tdmrep"))
    assert crawler.stats is not None
    assert crawler.stats.get_value("optout/verdict_count/reserved") is None  # still pending
    stats.inc_each(decision)
    assert crawler.stats.get_value("optout/verdict_count/reserved") == 2
    assert crawler.stats.get_value("optout/evidence_count/tdmrep") == 4
