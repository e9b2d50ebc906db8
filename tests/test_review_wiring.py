"""The Scrapy wiring and settings the review found untested (issue 17, review.md Part B).

One test per surviving mutation (M6-M10, M13, M15, M26: each fails with its mutation applied,
see ``python -m tests.mutate``) and one per documented but untested behaviour: the
``dont_obey_robotstxt`` meta key, the errback's ``OptOutReserved.response`` after download, a
crawl for another purpose, a crawl with ``OPTOUT_SIGNALS``, and HTML served without a
Content-Type. Real crawls against loopback servers, as everywhere in the middleware tests.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
import scrapy
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from optout_middleware import OptOutDownloaderMiddleware, OptOutReserved
from optout_middleware.errors import ConfigError
from optout_middleware.plugin import SignalParser
from optout_middleware.signals.aitxt import AiTxtSignal
from optout_middleware.signals.robotsai import RobotsSignal
from optout_middleware.testing import make_site, verdict_for
from optout_middleware.verdict import Evidence, Purpose, disallows

from .conftest import BASE_SETTINGS, crawl, crawl_test
from .site import JSON, TEXT, Site, html

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.http import Response
    from twisted.python.failure import Failure

    from optout_middleware.inputs import Context, ResponseView


# --- pure-API rules whose mutations survived ------------------------------------------------


def test_aitxt_signal_default_allow_wins_ties() -> None:
    """M10, README "Spawning ai.txt": longest pattern wins and Allow wins ties, for the signal
    the crawl uses (``AiTxtSignal()``), not only for ``AiTxt.match``."""
    site = make_site(aitxt="User-agent: *\nDisallow: *.ts\nAllow: *.ts\n")
    verdict = verdict_for(AiTxtSignal(), url="https://example.com/v/a.ts", site=site)
    assert verdict.reserved is False
    strict = verdict_for(
        AiTxtSignal(allow_wins_ties=False), url="https://example.com/a.ts", site=site
    )
    assert strict.reserved is True


@pytest.mark.parametrize("path", ["/robots.txt", "/robots.txt?x=1"])
def test_ai_group_never_reserves_robots_txt_itself(path: str) -> None:
    """M9, RFC 9309 2.2.2: ``/robots.txt`` is always allowed, even under ``GPTBot: Disallow: /``;
    any other path of that group is reserved."""
    site = make_site(robots="User-agent: GPTBot\nDisallow: /\n")
    assert verdict_for(RobotsSignal(), url="https://example.com" + path, site=site).reserved is None
    assert verdict_for(RobotsSignal(), url="https://example.com/robots.txt.bak", site=site).reserved


# --- settings that must reach the crawl ------------------------------------------------------


class RobotsMetaReplacement(SignalParser):
    """A custom parser named like a built-in family: ``X-House: 1`` reserves, nothing else."""

    family: ClassVar[str] = "robots-meta"

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        if "1" in response.header("X-House"):
            return (Evidence(self.family, "header", "1", disallows(Purpose.TRAIN_AI), "X-House"),)
        return ()


@crawl_test
async def test_custom_parser_with_a_builtin_family_name_replaces_the_builtin() -> None:
    """M8, README ``OPTOUT_SIGNALS``: a custom parser whose family is a built-in's replaces it:
    ``noai`` (read by the built-in only) no longer drops, ``X-House: 1`` does."""
    pages = {"/noai": html(X_Robots_Tag="noai"), "/house": html(X_House="1")}
    with Site(pages) as site:
        result = await crawl(
            [site.url("/noai"), site.url("/house")],
            OPTOUT_SIGNALS=[f"{__name__}.RobotsMetaReplacement"],
        )
    assert result.urls() == [site.url("/noai")]
    assert result.stats["optout/response_dropped"] == 1


def test_bad_optout_signals_path_is_a_startup_error_naming_the_setting() -> None:
    """README ``OPTOUT_SIGNALS``: an import path that does not load stops the crawl at start-up
    with a ConfigError that names the setting and the path."""
    crawler = get_crawler(settings_dict={"OPTOUT_SIGNALS": ["no_such_module.Parser"]})
    with pytest.raises(ConfigError, match=r"OPTOUT_SIGNALS=.*no_such_module\.Parser"):
        OptOutDownloaderMiddleware(crawler)


def test_unreachable_retry_default_is_the_documented_600_seconds() -> None:
    """M6, README settings table: ``OPTOUT_UNREACHABLE_RETRY_SECS`` defaults to 600."""
    mw = OptOutDownloaderMiddleware(get_crawler())
    assert mw.config.unreachable_retry_secs == 600
    assert mw.fetcher.unreachable_retry_secs == 600
    with open_readme() as readme:
        assert "| `OPTOUT_UNREACHABLE_RETRY_SECS` | `600` |" in readme.read()


def open_readme() -> Any:
    from pathlib import Path  # noqa: PLC0415

    return (Path(__file__).parent.parent / "README.md").open(encoding="utf-8")


class ChainSpider(scrapy.Spider):
    """Requests ``urls`` strictly one after another (each from the previous callback)."""

    name = "chain"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chain = list(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.chain[0], cb_kwargs={"index": 0}, dont_filter=True)

    def parse(self, response: Response, index: int) -> Iterator[Any]:
        yield {"url": response.url}
        if index + 1 < len(self.chain):
            url = self.chain[index + 1]
            yield scrapy.Request(url, cb_kwargs={"index": index + 1}, dont_filter=True)


async def _chain(urls: list[str], **settings: Any) -> None:
    runner = AsyncCrawlerRunner({**BASE_SETTINGS, **settings})
    await runner.crawl(runner.create_crawler(ChainSpider), urls=urls)


@pytest.mark.parametrize(("size", "fetches"), [(1, 2), (10, 1)])
@crawl_test
async def test_cache_size_setting_reaches_the_policy_cache(size: int, fetches: int) -> None:
    """M26, README ``OPTOUT_CACHE_SIZE``: with room for one origin, visiting A, B, A fetches
    A's robots.txt again (A was evicted); with room for ten, once. (Two servers on one host
    are two origins: the port is part of the origin.)"""
    pages = {"/robots.txt": (200, TEXT, b"User-agent: *\nAllow: /\n"), "/a": html(), "/b": html()}
    with Site(pages) as a, Site(pages) as b:
        await _chain([a.url("/a"), b.url("/a"), a.url("/b")], OPTOUT_CACHE_SIZE=size)
    assert a.count("/robots.txt") == fetches
    assert b.count("/robots.txt") == 1


@crawl_test
async def test_unreachable_robots_with_obey_and_fail_open_fetches_the_page() -> None:
    """M7, README ``OPTOUT_ROBOTSTXT_FAIL_CLOSED``: with ROBOTSTXT_OBEY on and the setting off,
    an unreachable robots.txt (503) is not a crawl ban; with it on (the default), it is."""
    pages = {"/robots.txt": (503, TEXT, b"down"), "/a": html()}
    with Site(pages) as site:
        result = await crawl(
            [site.url("/a")], ROBOTSTXT_OBEY=True, OPTOUT_ROBOTSTXT_FAIL_CLOSED=False
        )
    assert result.urls() == [site.url("/a")]
    assert "/a" in site.requested
    with Site(pages) as site:
        result = await crawl([site.url("/a")], ROBOTSTXT_OBEY=True)
    assert result.items == []
    assert "/a" not in site.requested


# --- the process_response fallback ------------------------------------------------------------


class AnswerFromDict:
    """A downloader middleware before ours (priority 50) answering some URLs itself, as an
    HTTP cache or a replay middleware does: our process_request never sees those requests."""

    pages: ClassVar[dict[str, tuple[dict[str, str], bytes]]] = {}

    def process_request(self, request: scrapy.Request) -> HtmlResponse | None:
        found = self.pages.get(request.url)
        if found is None:
            return None
        headers, body = found
        return HtmlResponse(request.url, headers=headers, body=body, request=request)


@crawl_test
async def test_response_answered_by_an_earlier_middleware_is_still_decided() -> None:
    """M13: a response produced before our process_request ran is still decided, in
    process_response, from its own headers."""
    with Site({"/robots.txt": (404, TEXT, b"")}) as site:
        AnswerFromDict.pages = {
            site.url("/replayed-noai"): ({"X-Robots-Tag": "noai"}, b"<p>x</p>"),
            site.url("/replayed-open"): ({}, b"<p>x</p>"),
        }
        result = await crawl(
            [site.url("/replayed-noai"), site.url("/replayed-open")],
            DOWNLOADER_MIDDLEWARES={AnswerFromDict: 50},
        )
    assert result.urls() == [site.url("/replayed-open")]
    assert result.stats["optout/response_dropped"] == 1
    assert "/replayed-noai" not in site.requested  # answered by the dict, not the server


@crawl_test
async def test_answered_response_uses_the_cached_site_files_of_its_origin() -> None:
    """M13: once the origin's site files are cached (an earlier page fetched them), a
    response an earlier middleware answers is reserved by them."""
    tdmrep = json.dumps([{"location": "/cached/", "tdm-reservation": 1}]).encode()
    pages = {"/.well-known/tdmrep.json": (200, JSON, tdmrep), "/first": html(), "/next": html()}
    with Site(pages) as site:
        AnswerFromDict.pages = {site.url("/cached/replayed"): ({}, b"<p>x</p>")}
        runner = AsyncCrawlerRunner(
            {**BASE_SETTINGS, "DOWNLOADER_MIDDLEWARES": {AnswerFromDict: 50}}
        )
        crawler = runner.create_crawler(ChainSpider)
        await runner.crawl(crawler, urls=[site.url("/first"), site.url("/cached/replayed")])
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    assert stats["optout/response_dropped"] == 1
    assert stats["item_scraped_count"] == 1


# --- documented behaviour without a test -----------------------------------------------------


@crawl_test
async def test_dropped_response_reaches_errback_with_the_response() -> None:
    """README "Errbacks receive OptOutReserved": after download the exception carries the
    verdict and the downloaded response."""
    failures: list[Failure] = []
    with Site({"/p": html(X_Robots_Tag="noai")}) as site:
        await crawl([site.url("/p")], errback=failures.append)
    (failure,) = failures
    assert isinstance(failure.value, OptOutReserved)
    assert failure.value.verdict.reserved is True
    assert failure.value.response is not None
    assert failure.value.response.url == site.url("/p")
    assert failure.value.response.status == 200
    assert b"<p>hello</p>" in failure.value.response.body


@crawl_test
async def test_dont_obey_robotstxt_skips_our_robots_rules_but_not_the_signals() -> None:
    """README "Request meta" ``dont_obey_robotstxt``: the crawler's own Disallow is skipped for
    that request; opt-out signals still apply."""
    robots = b"User-agent: *\nDisallow: /private/\n"
    pages = {
        "/robots.txt": (200, TEXT, robots),
        "/private/a": html(),
        "/private/noai": html(X_Robots_Tag="noai"),
    }
    urls = ["/private/a", "/private/noai"]
    with Site(pages) as site:
        result = await crawl(
            [site.url(u) for u in urls], meta={"dont_obey_robotstxt": True}, ROBOTSTXT_OBEY=True
        )
    assert result.urls() == [site.url("/private/a")]
    assert sorted(p for p in site.requested if p.startswith("/private")) == urls
    assert result.stats["optout/response_dropped"] == 1
    with Site(pages) as site:
        result = await crawl([site.url(u) for u in urls], ROBOTSTXT_OBEY=True)
    assert result.items == []
    assert [p for p in site.requested if p.startswith("/private")] == []


_PURPOSE_PAGES = {
    "/noai": html(X_Robots_Tag="noai"),
    "/search-n": html(Content_Usage="search=n"),
    "/noindex": html(X_Robots_Tag="noindex"),
    "/open": html(),
}


@pytest.mark.parametrize(
    ("settings", "kept"),
    [
        ({}, ["/noindex", "/open", "/search-n"]),
        ({"OPTOUT_PURPOSE": "search"}, ["/noai", "/noindex", "/open"]),
        ({"OPTOUT_PURPOSE": "ai-input"}, ["/noindex", "/open", "/search-n"]),
        ({"OPTOUT_EXTRA_ROBOTS_DIRECTIVES": ["noindex"]}, ["/open", "/search-n"]),
    ],
    ids=["train-ai", "search", "ai-input", "extra-noindex"],
)
@crawl_test
async def test_crawl_purpose_and_extra_directives_decide_what_is_kept(
    settings: dict[str, Any], kept: list[str]
) -> None:
    """README ``OPTOUT_PURPOSE`` / ``OPTOUT_EXTRA_ROBOTS_DIRECTIVES`` in a real crawl: ``noai``
    reserves train-ai and ai-input but not search; ``search=n`` only search; ``noindex`` only
    when listed."""
    with Site(_PURPOSE_PAGES) as site:
        result = await crawl([site.url(p) for p in _PURPOSE_PAGES], **settings)
    assert result.urls() == [site.url(p) for p in kept]


@crawl_test
async def test_drop_mode_keeps_items_of_an_explicitly_unreserved_response() -> None:
    """M15, README ``OPTOUT_ACTION``: drop mode drops only what is reserved; a response whose
    verdict is ``reserved: false`` (``Content-Signal: ai-train=yes``) keeps its items."""
    pages = {"/yes": html(Content_Signal="ai-train=yes"), "/no": html(Content_Signal="ai-train=no")}
    with Site(pages) as site:
        result = await crawl([site.url("/yes"), site.url("/no")])
    assert result.urls() == [site.url("/yes")]
    assert result.stats["optout/verdict_count/unreserved"] == 1
    assert "optout/item_dropped" not in result.stats


@crawl_test
async def test_html_without_content_type_is_read() -> None:
    """README "How the specifications are read": a page served with no Content-Type is sniffed;
    its ``noai`` meta drops it."""
    doc = b'<!doctype html><html><head><meta name="robots" content="noai"></head><p>x</p>'
    with Site({"/bare": (200, {}, doc), "/open": (200, {}, b"<!doctype html><p>x</p>")}) as site:
        result = await crawl([site.url("/bare"), site.url("/open")])
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/response_dropped"] == 1


def test_robots_txt_is_fetched_under_obey_even_with_its_family_off() -> None:
    """README ``ROBOTSTXT_OBEY``: our middleware enforces the crawler's own rules, so robots.txt
    is fetched even when the robotstxt family is not read; a custom family with site evidence
    gets all three files."""
    from scrapy.settings import Settings  # noqa: PLC0415

    from optout_middleware.middlewares.config import OptOutConfig  # noqa: PLC0415
    from optout_middleware.middlewares.parsers import build_signals, site_file_kinds  # noqa: PLC0415

    def kinds(**settings: Any) -> tuple[str, ...]:
        config = OptOutConfig.from_settings(Settings(settings))
        return site_file_kinds(config, build_signals(config))

    assert kinds(OPTOUT_SIGNAL_FAMILIES=["robots-meta"]) == ()
    assert kinds(OPTOUT_SIGNAL_FAMILIES=["robots-meta"], ROBOTSTXT_OBEY=True) == ("robots",)
    custom = {"OPTOUT_SIGNAL_FAMILIES": ["robots-meta"], "OPTOUT_SIGNALS": [f"{__name__}.SiteWide"]}
    assert set(kinds(**custom)) == {"robots", "tdmrep", "aitxt"}


class SiteWide(SignalParser):
    """A custom family that reads site files (which ones is not known in advance)."""

    family: ClassVar[str] = "house-site"

    def site_evidence(self, site: Any, url: str, context: Context) -> Iterable[Evidence]:
        return ()


@pytest.mark.parametrize("ctype", ["application/xhtml+xml", "text/html; charset=utf-8"])
def test_xhtml_and_html_content_types_are_read(ctype: str) -> None:
    """README "robots meta": the head of an HTML or XHTML response is read."""
    from optout_middleware.testing import make_response  # noqa: PLC0415

    body = b'<html><head><meta name="robots" content="noai"/></head><body/></html>'
    response = make_response(headers={"Content-Type": ctype}, body=body)
    assert verdict_for(response=response).reserved is True
