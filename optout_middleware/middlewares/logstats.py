"""Opt-out progress in the crawl log: a line per LOGSTATS_INTERVAL and a summary at the end.

Like Scrapy's LogStats, from the counters the middlewares already keep (no work per page): at
each tick the batched counters are flushed (the ``optout_stats_requested`` signal) and read from
Scrapy's stats collector. ``LOGSTATS_INTERVAL = 0`` turns the periodic line off; the summary is
logged for every crawl. Installed by the add-on; ``EXTENSIONS = {"optout_middleware.middlewares.
logstats.OptOutLogStats": None}`` turns both off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from optout_middleware.sitepolicy import SITE_FILE_PATHS

from .config import OptOutConfig
from .signals import optout_stats_requested

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.crawler import Crawler
    from typing_extensions import Self

__all__ = ["OptOutLogStats", "ProgressCounts", "format_summary"]

logger = logging.getLogger(__name__)

_VERDICT = "optout/verdict_count/"
_SITEFILE = "optout/sitefile/"


@dataclass(frozen=True, slots=True)
class ProgressCounts:
    """The running totals one log line compares: URLs decided, reserved, dropped, site files."""

    decided: int = 0
    reserved: int = 0
    dropped: int = 0
    site_files: int = 0

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> ProgressCounts:
        decided = site_files = 0
        for key, value in stats.items():
            if key.startswith(_VERDICT):
                decided += value
            elif key.startswith(_SITEFILE) and "/state_count/" in key:
                site_files += value
        return cls(
            decided=decided,
            reserved=stats.get(_VERDICT + "reserved", 0),
            dropped=stats.get("optout/request_dropped", 0)
            + stats.get("optout/response_dropped", 0),
            site_files=site_files,
        )


class OptOutLogStats:
    """The extension: ``Opt-out: decided N URLs in the last 60 s ...`` lines, then a summary."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("OPTOUT_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.config = OptOutConfig.from_settings(crawler.settings)
        self.interval = crawler.settings.getfloat("LOGSTATS_INTERVAL", 60.0)
        self._previous = ProgressCounts()
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        if self.interval > 0:
            self._task = create_looping_call(self.log_interval)
            self._task.start(self.interval, now=False)

    def _counts(self) -> ProgressCounts:
        self.crawler.signals.send_catch_log(signal=optout_stats_requested)
        stats = self.crawler.stats
        return ProgressCounts.from_stats(stats.get_stats() if stats is not None else {})

    def log_interval(self) -> None:
        """One line: what happened since the last one, and the totals so far."""
        now = self._counts()
        before, self._previous = self._previous, now
        logger.info(
            "Opt-out: decided %(decided)d URLs in the last %(secs)g s (reserved %(reserved)d, "
            "dropped %(dropped)d), fetched %(site_files)d site files; total %(total)d decided, "
            "%(total_reserved)d reserved, %(total_dropped)d dropped",
            {
                "decided": now.decided - before.decided,
                "secs": self.interval,
                "reserved": now.reserved - before.reserved,
                "dropped": now.dropped - before.dropped,
                "site_files": now.site_files - before.site_files,
                "total": now.decided,
                "total_reserved": now.reserved,
                "total_dropped": now.dropped,
            },
            extra={"spider": self.crawler.spider},
        )

    def spider_closed(self) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        self.crawler.signals.send_catch_log(signal=optout_stats_requested)
        stats = self.crawler.stats.get_stats() if self.crawler.stats is not None else {}
        audit = str(self.config.audit_file) if self.config.audit_file is not None else None
        logger.info(
            "%(summary)s",
            {
                "summary": format_summary(
                    stats, self.config.purpose.value, self.config.action, audit
                )
            },
            extra={"spider": self.crawler.spider},
        )


def _pct(part: int, whole: int) -> str:
    return f" ({100 * part / whole:.1f}%)" if whole else ""


def format_summary(
    stats: Mapping[str, Any], purpose: str, action: str, audit_file: str | None
) -> str:
    """The end-of-crawl summary, from the ``optout/...`` stats (Scrapy-free, for tests)."""
    counts = ProgressCounts.from_stats(stats)
    get = stats.get
    unknown = get(_VERDICT + "unknown", 0)
    lines = [
        f"Opt-out summary (purpose {purpose}, action {action}): {counts.decided} URLs decided",
        (
            f"  reserved {counts.reserved}{_pct(counts.reserved, counts.decided)}, "
            f"not reserved {get(_VERDICT + 'unreserved', 0)}, nothing said {unknown}"
        ),
        (
            f"  dropped {counts.dropped}: {get('optout/request_dropped', 0)} before download, "
            f"{get('optout/response_dropped', 0)} after download; forbidden by robots.txt "
            f"{get('robotstxt/forbidden', 0)}"
        ),
        (
            f"  items tagged {get('optout/item_tagged', 0)}, dropped "
            f"{get('optout/item_dropped', 0)}; exempt requests {get('optout/exempt', 0)}"
        ),
    ]
    evidence = sorted(
        (
            (k.rsplit("/", 1)[1], v)
            for k, v in stats.items()
            if k.startswith("optout/evidence_count/")
        ),
        key=lambda kv: (-kv[1], kv[0]),
    )
    lines.append("  evidence seen: " + (", ".join(f"{f} {n}" for f, n in evidence) or "none"))
    files = []
    for kind, path in SITE_FILE_PATHS.items():
        prefix = f"{_SITEFILE}{kind}/state_count/"
        states = {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}
        if states:
            detail = ", ".join(f"{s} {n}" for s, n in sorted(states.items()))
            files.append(f"{path.rsplit('/', 1)[1]} {sum(states.values())} ({detail})")
    lines.append("  site files fetched: " + ("; ".join(files) or "none"))
    if audit_file:
        lines.append(
            f"  audit file: {audit_file} (report: optout report {audit_file} -o report.html)"
        )
    return "\n".join(lines)
