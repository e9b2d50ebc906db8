"""The crawl log: an opt-out line per LOGSTATS_INTERVAL and a summary at the end, in real crawls.

Pages answer slowly and two at a time, so the crawl spans several intervals; the lines are read
from the log records of the crawl (pytest's caplog) and checked against the crawl's stats.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from .conftest import crawl, crawl_test
from .site import TEXT, Site, html

if TYPE_CHECKING:
    import pytest

LOGGER = "optout_middleware.middlewares.logstats"
LINE = re.compile(
    r"Opt-out: decided (\d+) URLs in the last ([\d.]+) s \(reserved (\d+), dropped (\d+)\), "
    r"fetched (\d+) site files; total (\d+) decided, (\d+) reserved, (\d+) dropped"
)
SLOW = 0.12
ROBOTS = b"User-agent: GPTBot\nDisallow: /private/\n"


def pages() -> dict[
    str, tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float]
]:
    out: dict[str, tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float]]
    out = {"/robots.txt": (200, TEXT, ROBOTS)}
    for i in range(8):
        status, headers, body = html()
        out[f"/open/{i}"] = (status, headers, body, SLOW)
    for i in range(4):
        status, headers, body = html(X_Robots_Tag="noai")
        out[f"/noai/{i}"] = (status, headers, body, SLOW)
    for i in range(3):
        out[f"/private/{i}"] = html()
    return out


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


@crawl_test
async def test_crawl_logs_a_line_per_interval_and_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Like Scrapy's LogStats: each line counts what happened in its interval (the middleware's
    batched counts are flushed first, so they are current), and the summary equals the stats."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    with Site(pages()) as site:
        urls = [site.url(p) for p in pages() if p != "/robots.txt"]
        result = await crawl(
            urls, LOGSTATS_INTERVAL=0.25, CONCURRENT_REQUESTS=2, CONCURRENT_REQUESTS_PER_DOMAIN=2
        )
    messages = _messages(caplog)
    lines = [tuple(map(float, m.groups())) for m in map(LINE.fullmatch, messages) if m]
    assert len(lines) >= 2, messages
    assert all(line[1] == 0.25 for line in lines)
    assert any(0 < line[0] < 15 for line in lines)  # current mid-crawl, not one batch late
    for previous, line in zip([(0.0,) * 8, *lines], lines, strict=False):
        assert line[5] == previous[5] + line[0]  # totals are the running sum of intervals
        assert line[6] == previous[6] + line[2]
        assert line[7] == previous[7] + line[3]
    assert sum(line[4] for line in lines) <= 3  # robots.txt, ai.txt, tdmrep.json, once

    stats = result.stats
    (summary,) = [m for m in messages if m.startswith("Opt-out summary")]
    decided = sum(v for k, v in stats.items() if k.startswith("optout/verdict_count/"))
    assert decided == 15
    assert summary.splitlines()[0] == (
        f"Opt-out summary (purpose train-ai, action drop): {decided} URLs decided"
    )
    assert f"reserved {stats['optout/verdict_count/reserved']} " in summary
    assert (
        f"dropped 7: {stats['optout/request_dropped']} before download, "
        f"{stats['optout/response_dropped']} after download" in summary
    )
    assert "site files fetched: robots.txt 1 (parsed 1); ai.txt 1 (absent 1); " in summary


@crawl_test
async def test_logstats_interval_zero_keeps_only_the_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LOGSTATS_INTERVAL = 0 turns the periodic line off (as for Scrapy's); every crawl still
    ends with the summary."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    with Site({"/a": html()}) as site:
        await crawl([site.url("/a")], LOGSTATS_INTERVAL=0)
    messages = _messages(caplog)
    assert not any(LINE.fullmatch(m) for m in messages)
    assert [m.splitlines()[0] for m in messages] == [
        "Opt-out summary (purpose train-ai, action drop): 1 URLs decided"
    ]
