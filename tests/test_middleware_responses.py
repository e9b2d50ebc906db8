"""Real crawls: response headers and the HTML head decide after download; items are tagged or
dropped; every decision is counted, signalled and audited."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from optout_middleware import OptOutDownloaderMiddleware, OptOutReserved
from optout_middleware.middlewares.listeners import debug_reaches_a_handler
from optout_middleware.verdict import Verdict

from .conftest import ITEM_KINDS, crawl, crawl_test
from .site import TEXT, Site, html

if TYPE_CHECKING:
    from pathlib import Path

PAGES = {
    "/open": html(),
    "/noai-header": html(X_Robots_Tag="noai"),
    "/tdm-header": html(TDM_Reservation="1"),
    "/aipref-header": html(Content_Usage="train-ai=n"),
    "/noai-meta": html(head='<meta name="robots" content="noai">'),
    "/tdm-meta": html(head='<meta name="tdm-reservation" content="1">'),
}
RESERVED = ["/noai-header", "/tdm-header", "/aipref-header", "/noai-meta", "/tdm-meta"]


@pytest.fixture
def site() -> Any:
    with Site(PAGES) as s:
        yield s


@pytest.mark.parametrize("path", RESERVED)
@crawl_test
async def test_reserved_response_produces_no_item_in_drop_mode(site: Site, path: str) -> None:
    """Drop mode: a response reserved by a header or a meta tag never reaches the spider."""
    result = await crawl([site.url("/open"), site.url(path)])
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/response_dropped"] == 1
    assert result.stats["optout/verdict_count/reserved"] == 1


@pytest.mark.parametrize("path", RESERVED)
@crawl_test
async def test_reserved_response_is_tagged_in_tag_mode(site: Site, path: str) -> None:
    """Tag mode: the item is kept and carries the reserving verdict as a plain dict."""
    result = await crawl([site.url(path)], OPTOUT_ACTION="tag")
    (item,) = result.items
    verdict = Verdict.from_dict(item["optout"])
    assert verdict.reserved is True
    assert verdict.decided_by is not None
    assert result.stats["optout/item_tagged"] == 1
    assert json.loads(json.dumps(item["optout"])) == item["optout"]  # plain JSON types


@crawl_test
async def test_unreserved_response_carries_verdict_in_meta(site: Site) -> None:
    """response.meta["optout"] is the verdict dict in both modes (here: nothing said)."""
    result = await crawl([site.url("/open")])
    assert result.decisions[0]["action"] == "passed"
    assert result.decisions[0]["response"].meta["optout"]["reserved"] is None
    assert result.stats["optout/verdict_count/unknown"] == 1
    assert "optout" not in result.items[0]  # drop mode does not tag items


@pytest.mark.parametrize("kind", ["scrapy", "dataclass", "attrs"])
@crawl_test
async def test_tag_mode_tags_every_item_type_with_the_field(site: Site, kind: str) -> None:
    """itemadapter: scrapy.Item with the field declared, dataclass and attrs items."""
    result = await crawl([site.url("/tdm-header")], OPTOUT_ACTION="tag", item_kind=kind)
    (item,) = result.items
    assert isinstance(item, type(ITEM_KINDS[kind]("x")))
    tagged = item["optout"] if kind == "scrapy" else item.optout
    assert tagged["reserved"] is True


@crawl_test
async def test_untaggable_item_passes_through_with_one_warning(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """An item type without the field is never lost: unchanged, one warning per type."""
    result = await crawl(
        [site.url("/open"), site.url("/tdm-header")], OPTOUT_ACTION="tag", item_kind="undeclared"
    )
    assert len(result.items) == 2
    assert all("optout" not in item for item in result.items)
    warnings = [r for r in caplog.records if "Cannot add the 'optout' field" in r.getMessage()]
    assert len(warnings) == 1
    assert result.stats["optout/item_untaggable"] == 2


@crawl_test
async def test_item_field_setting_names_the_field(site: Site) -> None:
    """OPTOUT_ITEM_FIELD chooses the item field."""
    result = await crawl([site.url("/open")], OPTOUT_ACTION="tag", OPTOUT_ITEM_FIELD="ai_verdict")
    assert result.items[0]["ai_verdict"]["purpose"] == "train-ai"


@crawl_test
async def test_drop_mode_spider_middleware_drops_items_of_reserved_responses(site: Site) -> None:
    """Items from a reserved response that reached the spider (here: a verdict put in meta
    with the downloader middleware off) are dropped and counted."""
    result = await crawl(
        [site.url("/open")],
        meta={"optout": {"reserved": True}},
        DOWNLOADER_MIDDLEWARES={OptOutDownloaderMiddleware: None},
    )
    assert result.items == []
    assert result.stats["optout/item_dropped"] == 1


@crawl_test
async def test_every_decision_is_signalled_once(site: Site) -> None:
    """optout_decided(verdict, request, response, action) once per URL decided."""
    result = await crawl([site.url("/open"), site.url("/tdm-header")])
    by_url = {d["request"].url: d for d in result.decisions}
    assert len(result.decisions) == 2
    assert by_url[site.url("/tdm-header")]["action"] == "dropped"
    assert isinstance(by_url[site.url("/tdm-header")]["verdict"], Verdict)
    assert by_url[site.url("/open")]["action"] == "passed"


@crawl_test
async def test_evidence_is_counted_per_family(site: Site) -> None:
    """Stats optout/evidence_count/<family>."""
    result = await crawl([site.url("/tdm-header"), site.url("/aipref-header")])
    assert result.stats["optout/evidence_count/tdmrep"] == 1
    assert result.stats["optout/evidence_count/aipref"] == 1


@crawl_test
async def test_dropped_request_reaches_errback_with_verdict() -> None:
    """OptOutReserved(IgnoreRequest) carries the verdict to the request's errback."""
    robots = b"User-agent: GPTBot\nDisallow: /\n"
    failures: list[Any] = []
    with Site({"/robots.txt": (200, TEXT, robots), "/a": html()}) as site:
        result = await crawl([site.url("/a")], errback=failures.append)
    (failure,) = failures
    assert isinstance(failure.value, OptOutReserved)
    assert failure.value.verdict.reserved is True
    assert result.stats["optout/request_dropped"] == 1


@crawl_test
async def test_redirect_to_a_reserved_page_is_not_followed() -> None:
    """process_request runs again for the redirect target: its site rules apply before it."""
    robots = b"User-agent: GPTBot\nDisallow: /private\n"
    pages = {
        "/robots.txt": (200, TEXT, robots),
        "/go": (302, {"Location": "/private/x"}, b""),
        "/private/x": html(),
    }
    with Site(pages) as site:
        result = await crawl([site.url("/go")])
    assert "/private/x" not in site.requested
    assert result.items == []
    assert [d["request"].url for d in result.decisions] == [site.url("/private/x")]


@crawl_test
async def test_a_redirect_to_a_site_file_does_not_carry_the_source_verdict() -> None:
    """A redirect's new request inherits its source's meta; when the target is a URL the
    middleware does not decide (a site file), the source's site verdict must not decide it:
    the robots.txt reached from a reserved /go is passed on undecided, not tagged reserved."""
    robots = b"User-agent: GPTBot\nDisallow: /go\n"
    pages = {
        "/robots.txt": (200, TEXT, robots),
        "/go": (302, {"Location": "/robots.txt"}, b""),
    }
    with Site(pages) as site:
        result = await crawl([site.url("/go")], OPTOUT_ACTION="tag")
    (item,) = result.items
    assert item["url"] == site.url("/robots.txt")
    assert "optout" not in item
    assert result.decisions == []


@crawl_test
async def test_only_the_final_response_of_a_redirect_is_decided(site: Site) -> None:
    """At priority 100, a followed 3xx never reaches process_response: one decision."""
    site.pages["/go"] = (301, {"Location": "/tdm-header"}, b"")
    result = await crawl([site.url("/go")])
    assert [d["request"].url for d in result.decisions] == [site.url("/tdm-header")]
    assert result.stats["optout/response_dropped"] == 1


@crawl_test
async def test_audit_file_has_one_record_per_url_decided(site: Site, tmp_path: Path) -> None:
    """JSON Lines: time, url, purpose, reserved, action, decided_by, full verdict; first, one
    crawl header with the versions and the settings that shape verdicts."""
    site.pages["/robots.txt"] = (200, TEXT, b"User-agent: GPTBot\nDisallow: /site-reserved\n")
    audit = tmp_path / "audit" / "optout.jsonl"
    urls = [site.url(p) for p in ("/open", "/tdm-header", "/site-reserved")]
    await crawl(urls, OPTOUT_AUDIT_FILE=str(audit))
    header, *records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert header["type"] == "crawl"
    assert header["settings"]["OPTOUT_PURPOSE"] == "train-ai"
    assert header["library"]["optout-middleware"]
    assert all("type" not in r for r in records)
    by_url = {r["url"]: r for r in records}
    assert sorted(by_url) == sorted(urls)
    assert by_url[site.url("/open")]["action"] == "passed"
    assert by_url[site.url("/tdm-header")]["action"] == "dropped"
    assert by_url[site.url("/tdm-header")]["stage"] == "response"
    assert by_url[site.url("/site-reserved")]["stage"] == "request"
    assert by_url[site.url("/site-reserved")]["decided_by"]["source"] == "robots.txt"
    for record in records:
        assert {"time", "url", "purpose", "reserved", "action", "decided_by", "verdict"} <= set(
            record
        )
        assert Verdict.from_dict(record["verdict"]).purpose.value == record["purpose"]


@crawl_test
async def test_decisions_are_logged_at_debug(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """A DEBUG line per decision."""
    caplog.set_level(logging.DEBUG, logger="optout_middleware")
    await crawl([site.url("/tdm-header")])
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("optout_middleware")]
    assert any("Dropped" in m and "/tdm-header" in m and "tdmrep" in m for m in lines)


def test_debug_lines_are_skipped_when_no_handler_takes_them() -> None:
    """Scrapy keeps the root logger at DEBUG and filters LOG_LEVEL on its handler: at
    LOG_LEVEL="INFO" no decision line may be built, at DEBUG (or with any DEBUG handler) all are."""
    log = logging.getLogger("optout_middleware.tests.debug_probe")
    log.propagate = False
    handler = logging.NullHandler()
    log.addHandler(handler)
    try:
        log.setLevel(logging.DEBUG)
        handler.setLevel(logging.INFO)
        assert not debug_reaches_a_handler(log)
        handler.setLevel(logging.DEBUG)
        assert debug_reaches_a_handler(log)
        log.setLevel(logging.INFO)
        assert not debug_reaches_a_handler(log)
    finally:
        log.removeHandler(handler)
