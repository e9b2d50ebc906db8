"""Real crawls: site files (robots.txt, ai.txt, tdmrep.json) decide before download.

Each test asserts on the server's own access log: a page the site reserves is never requested.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from optout_middleware.middlewares import site_policy_fetched

from .conftest import crawl, crawl_test, needs_loopback_hosts
from .site import JSON, TEXT, Site, html

if TYPE_CHECKING:
    import pytest

GPTBOT_PRIVATE = b"User-agent: GPTBot\nDisallow: /private\n"
TDMREP_PRIVATE = json.dumps([{"location": "/private", "tdm-reservation": 1}]).encode()


def pages(
    **files: tuple[int, dict[str, str], bytes] | tuple[int, dict[str, str], bytes, float],
) -> dict[str, Any]:
    paths = {"robots": "/robots.txt", "aitxt": "/ai.txt", "tdmrep": "/.well-known/tdmrep.json"}
    return {"/open": html(), "/private/page": html(), **{paths[k]: v for k, v in files.items()}}


@crawl_test
async def test_robots_gptbot_disallow_page_is_never_requested() -> None:
    """specs.md 6.3: a Disallow for a training agent reserves train-ai; drop mode never asks."""
    with Site(pages(robots=(200, TEXT, GPTBOT_PRIVATE))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert "/private/page" not in site.requested
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/request_dropped"] == 1
    assert result.stats["optout/evidence_count/robotstxt"] >= 1


@crawl_test
async def test_tdmrep_json_reserved_page_is_fetched_then_dropped_after_download() -> None:
    """specs.md 1.3A + 1.4: tdm-reservation 1 for the path reserves it, but a page-level value
    could supersede it, so drop mode fetches the page, finds none, and drops it after download:
    the spider never sees it."""
    with Site(pages(tdmrep=(200, JSON, TDMREP_PRIVATE))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert site.count("/private/page") == 1
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/request_deferred"] == 1
    assert result.stats["optout/response_dropped"] == 1
    assert "optout/request_dropped" not in result.stats


@crawl_test
async def test_aitxt_disallowed_page_is_never_requested() -> None:
    """specs.md 4.4: a matching ai.txt Disallow reserves training for that URL."""
    aitxt = b"# Spawning AI\nUser-agent: *\nDisallow: /private\nAllow: /\n"
    with Site(pages(aitxt=(200, TEXT, aitxt))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert "/private/page" not in site.requested
    assert result.urls() == [site.url("/open")]


@crawl_test
async def test_site_files_are_requested_once_per_origin_under_concurrency() -> None:
    """One in-flight fetch per origin: every waiting request shares it (Scrapy's robots
    middleware shares one Deferred the same way; ours also covers ai.txt and tdmrep.json)."""
    slow = (200, TEXT, GPTBOT_PRIVATE, 0.3)  # still in flight when the other requests arrive
    many = {f"/page/{i}": html() for i in range(20)}
    with Site({**many, "/robots.txt": slow}) as site:
        result = await crawl([site.url(p) for p in many])
    assert site.count("/robots.txt") == 1
    assert site.count("/ai.txt") == 1
    assert site.count("/.well-known/tdmrep.json") == 1
    assert len(result.items) == 20


@needs_loopback_hosts
@crawl_test
async def test_each_origin_gets_its_own_site_files() -> None:
    """RFC 9309 2.3: site files belong to an origin; another host has its own."""
    with (
        Site(pages(robots=(200, TEXT, GPTBOT_PRIVATE)), host="127.0.0.1") as one,
        Site(pages(), host="127.0.0.2") as two,
    ):
        result = await crawl([one.url("/private/page"), two.url("/private/page")])
    assert "/private/page" not in one.requested
    assert two.count("/private/page") == 1
    assert one.count("/robots.txt") == two.count("/robots.txt") == 1
    assert result.urls() == [two.url("/private/page")]


@crawl_test
async def test_robots_5xx_blocks_the_origin() -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.4: unreachable robots.txt = complete disallow."""
    with Site(pages(robots=(503, TEXT, b"down"))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert "/open" not in site.requested
    assert "/private/page" not in site.requested
    assert result.items == []
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1
    assert result.stats["optout/sitefile/robots/status_count/503"] == 1


@crawl_test
async def test_robots_404_does_not_block() -> None:
    """specs.md 6.1 / RFC 9309 2.3.1.3: a 4xx robots.txt allows everything, whatever its body."""
    with Site(pages(robots=(404, TEXT, b"User-agent: *\nDisallow: /\n"))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert result.urls() == [site.url("/open"), site.url("/private/page")]


@crawl_test
async def test_robots_5xx_does_not_block_when_fail_open() -> None:
    """OPTOUT_ROBOTSTXT_FAIL_CLOSED=False: an unreachable robots.txt is no signal."""
    with Site(pages(robots=(503, TEXT, b"down"))) as site:
        result = await crawl([site.url("/open")], OPTOUT_ROBOTSTXT_FAIL_CLOSED=False)
    assert result.urls() == [site.url("/open")]


@crawl_test
async def test_unreachable_origin_is_blocked_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A network failure is an UNREACHABLE site file carrying the error, never a traceback."""
    with Site({}) as site:
        dead = site.url("/")
    # The server is gone: connection refused for the site files (and the page).
    result = await crawl([dead + "page"])
    assert result.items == []
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1
    assert result.stats["optout/request_dropped"] == 1
    ours = [r for r in caplog.records if r.name.startswith("optout_middleware")]
    assert not [r for r in ours if r.exc_info or r.levelno >= logging.ERROR]


@crawl_test
async def test_robotstxt_obey_with_addon_fetches_robots_once() -> None:
    """The add-on replaces Scrapy's RobotsTxtMiddleware: one robots.txt download serves both
    the crawler's own Allow/Disallow and the AI signals."""
    robots = b"User-agent: *\nDisallow: /nope\n\nUser-agent: GPTBot\nDisallow: /private\n"
    with Site({**pages(robots=(200, TEXT, robots)), "/nope": html()}) as site:
        result = await crawl(
            [site.url("/open"), site.url("/nope"), site.url("/private/page")],
            ROBOTSTXT_OBEY=True,
        )
    assert site.count("/robots.txt") == 1
    assert "/nope" not in site.requested  # the crawler's own rules ("*" group)
    assert "/private/page" not in site.requested  # the AI rules (GPTBot group)
    assert result.urls() == [site.url("/open")]
    assert result.stats["robotstxt/forbidden"] == 1
    assert "robotstxt/request_count" not in result.stats  # Scrapy's middleware is gone
    actions = {d["request"].url: d["action"] for d in result.decisions}
    assert actions == {
        site.url("/open"): "passed",
        site.url("/nope"): "forbidden",
        site.url("/private/page"): "dropped",
    }


@crawl_test
async def test_robotstxt_obey_holds_concurrent_requests_until_robots_is_read() -> None:
    """RFC 9309: a disallowed URL is not fetched, even by requests racing the first robots.txt.

    Scrapy 2.19's RobotsTxtMiddleware lets them through under the asyncio reactor: every
    request awaiting its shared Deferred after the first gets None (allow all). Seen with
    ADDONS={} here: 8 of these 10 pages were requested.
    """
    many = {f"/nope/{i}": html() for i in range(10)}
    robots = (200, TEXT, b"User-agent: *\nDisallow: /nope\n", 0.3)
    with Site({**many, "/robots.txt": robots}) as site:
        result = await crawl([site.url(p) for p in many], ROBOTSTXT_OBEY=True)
    assert site.requested.count("/robots.txt") == 1
    assert not [p for p in site.requested if p.startswith("/nope")]
    assert result.stats["robotstxt/forbidden"] == 10


@crawl_test
async def test_robotstxt_obey_uses_the_crawlers_own_agent_group() -> None:
    """OPTOUT_USER_AGENT picks the crawler's group (RFC 9309 2.2.1, case-insensitive)."""
    robots = b"User-agent: ourbot\nDisallow: /open\n"
    with Site(pages(robots=(200, TEXT, robots))) as site:
        result = await crawl(
            [site.url("/open"), site.url("/private/page")],
            ROBOTSTXT_OBEY=True,
            OPTOUT_USER_AGENT="OurBot",
        )
    assert "/open" not in site.requested
    assert result.urls() == [site.url("/private/page")]


@crawl_test
async def test_tag_mode_downloads_site_reserved_page_and_tags_it() -> None:
    """OPTOUT_ACTION=tag: nothing is dropped; the item carries the reserving verdict."""
    with Site(pages(tdmrep=(200, JSON, TDMREP_PRIVATE))) as site:
        result = await crawl([site.url("/private/page")], OPTOUT_ACTION="tag")
    assert site.count("/private/page") == 1
    (item,) = result.items
    assert item["optout"]["reserved"] is True
    assert item["optout"]["decided_by"]["family"] == "tdmrep"


@crawl_test
async def test_dont_obey_optout_exempts_a_request() -> None:
    """meta dont_obey_optout: not evaluated, counted in optout/exempt."""
    with Site(pages(tdmrep=(200, JSON, TDMREP_PRIVATE))) as site:
        result = await crawl([site.url("/private/page")], meta={"dont_obey_optout": True})
    assert site.count("/private/page") == 1
    assert result.stats["optout/exempt"] == 1
    assert "optout" not in result.items[0]
    assert "/.well-known/tdmrep.json" not in site.requested  # nothing to decide, nothing fetched


@crawl_test
async def test_site_file_redirects_are_followed() -> None:
    """RFC 9309 2.3.1.2: follow redirects; the rules apply to the first origin."""
    moved = (301, {"Location": "/real-robots.txt"}, b"")
    with Site({**pages(robots=moved), "/real-robots.txt": (200, TEXT, GPTBOT_PRIVATE)}) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert "/private/page" not in site.requested
    assert result.urls() == [site.url("/open")]


@crawl_test
async def test_site_file_redirect_loop_is_absent_after_five_hops() -> None:
    """specs.md 6.1: more than five redirects may be treated as unavailable (allow)."""
    loop = {f"/r{i}": (302, {"Location": f"/r{i + 1}"}, b"") for i in range(10)}
    with Site({**pages(robots=(302, {"Location": "/r0"}, b"")), **loop}) as site:
        result = await crawl([site.url("/open")])
    assert result.urls() == [site.url("/open")]
    assert site.requested.count("/robots.txt") == 1
    assert [p for p in site.requested if p[2:].isdigit()] == [f"/r{i}" for i in range(5)]
    assert result.stats["optout/sitefile/robots/state_count/absent"] == 1


@crawl_test
async def test_huge_robots_is_read_up_to_the_cap() -> None:
    """RFC 9309 2.5 (Google): read the first 500 KiB and use them, not fail the file."""
    body = GPTBOT_PRIVATE + b"#" * (2 * 1024 * 1024) + b"\n"
    with Site(pages(robots=(200, TEXT, body))) as site:
        result = await crawl([site.url("/open"), site.url("/private/page")])
    assert "/private/page" not in site.requested
    assert result.stats["optout/sitefile/robots/state_count/parsed"] == 1
    # The download stopped near the cap instead of fetching all 2 MiB.
    assert result.stats["downloader/response_bytes"] < 1024 * 1024


@crawl_test
async def test_site_policy_fetched_is_sent_once_per_origin() -> None:
    """Signal site_policy_fetched(origin, site) once per origin per TTL."""
    seen: list[str] = []

    def fetched(origin: str) -> None:
        seen.append(origin)

    with Site(pages()) as site:
        await crawl([site.url("/open")] * 3, handlers={site_policy_fetched: fetched})
    assert seen == [site.origin]


@crawl_test
async def test_only_site_files_of_enabled_families_are_fetched() -> None:
    """OPTOUT_SIGNAL_FAMILIES: a family switched off costs no request."""
    with Site(pages(tdmrep=(200, JSON, TDMREP_PRIVATE))) as site:
        result = await crawl([site.url("/private/page")], OPTOUT_SIGNAL_FAMILIES=["aitxt"])
    assert site.requested == ["/ai.txt", "/private/page"]
    assert len(result.items) == 1


@crawl_test
async def test_disabled_middleware_fetches_nothing() -> None:
    """OPTOUT_ENABLED=False: the add-on's middlewares are not configured."""
    with Site(pages(tdmrep=(200, JSON, TDMREP_PRIVATE))) as site:
        result = await crawl([site.url("/private/page")], OPTOUT_ENABLED=False)
    assert site.requested == ["/private/page"]
    assert not [k for k in result.stats if k.startswith("optout/")]


@crawl_test
async def test_dont_obey_optout_still_obeys_the_crawlers_own_robots_rules() -> None:
    """dont_obey_optout exempts from opt-outs, not from ROBOTSTXT_OBEY (that needs
    dont_obey_robotstxt, as with Scrapy's middleware)."""
    robots = b"User-agent: *\nDisallow: /private\n"
    with Site(pages(robots=(200, TEXT, robots))) as site:
        result = await crawl(
            [site.url("/private/page")], meta={"dont_obey_optout": True}, ROBOTSTXT_OBEY=True
        )
    assert "/private/page" not in site.requested
    assert result.stats["robotstxt/forbidden"] == 1
    assert result.stats["optout/exempt"] == 1
