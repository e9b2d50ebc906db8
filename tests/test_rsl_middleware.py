"""Real crawls with RSL licences: documents fetched through the engine, once, before they decide.

The publisher is 127.0.0.1 (robots.txt ``License:`` and pages); a licence host on 127.0.0.2
serves cross-origin documents linked from ``Link`` headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .conftest import crawl, crawl_test
from .site import TEXT, Site, html

if TYPE_CHECKING:
    from collections.abc import Iterator

NS = 'xmlns="https://rslstandard.org/rsl"'
XML = {"Content-Type": "application/rsl+xml"}


def rsl(*contents: tuple[str, str]) -> bytes:
    body = "".join(f'<content url="{u}"><license>{lic}</license></content>' for u, lic in contents)
    return f"<rsl {NS}>{body}</rsl>".encode()


SITE_DOC = rsl(
    ("/", '<permits type="usage">all</permits>'),
    ("/private/", '<prohibits type="usage">ai-train</prohibits>'),
    ("/paid/", '<permits type="usage">all</permits><payment type="training"/>'),
)
PAGE_DOC = rsl(("/", '<prohibits type="usage">ai-all</prohibits>'))
FREE_DOC = rsl(("/", '<permits type="usage">all</permits><payment type="free"/>'))


@pytest.fixture
def licences() -> Iterator[Site]:
    pages = {
        "/page.xml": (200, XML, PAGE_DOC),
        "/free.xml": (200, XML, FREE_DOC),
        "/big.xml": (200, XML, PAGE_DOC[:-6] + b"<!--" + b"x" * 600_000 + b"--></rsl>"),
        "/moved.xml": (302, {"Location": "/page.xml"}, b""),
    }
    with Site(pages, host="127.0.0.2") as s:
        yield s


def link(url: str) -> str:
    return f'<{url}>; rel="license"; type="application/rsl+xml"'


@pytest.fixture
def site(licences: Site) -> Iterator[Site]:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"User-agent: *\nAllow: /\nLicense: /license.xml\n"),
        "/license.xml": (200, XML, SITE_DOC),
        "/open": html(),
        "/private/a": html(),
        "/paid/b": html(),
        "/linked": html(Link=link(licences.url("/page.xml"))),
        "/linked-free": html(Link=link(licences.url("/free.xml"))),
        "/linked-big": html(Link=link(licences.url("/big.xml"))),
        "/linked-moved": html(Link=link(licences.url("/moved.xml"))),
        "/head-link": html(
            head=f'<link rel="license" type="application/rsl+xml" href="{licences.url("/page.xml")}">'
        ),
    }
    with Site(pages) as s:
        yield s


@crawl_test
async def test_drop_mode_never_hands_the_spider_an_rsl_reserved_page(
    site: Site, licences: Site
) -> None:
    paths = ["/open", "/private/a", "/paid/b", "/linked", "/head-link", "/linked-free"]
    result = await crawl([site.url(p) for p in paths])
    assert result.urls() == sorted([site.url("/open"), site.url("/linked-free")])
    # A page's own Link supersedes robots.txt License: (RSL 2.7), so drop mode fetches the pages
    # a site-level document reserves and decides them with their own signals (issue 12).
    assert site.count("/private/a") == 1
    assert site.count("/paid/b") == 1
    assert result.stats["optout/request_deferred"] == 2
    assert "optout/request_dropped" not in result.stats
    # Page-level documents decide before the response reaches the spider.
    assert site.count("/linked") == 1
    assert result.stats["optout/response_dropped"] == 4
    assert site.count("/license.xml") == 1
    assert licences.count("/page.xml") == 1  # two pages link it: fetched once
    first_page = min(site.requested.index(site.url(p)[len(site.origin) :]) for p in ("/open",))
    assert site.requested.index("/license.xml") < first_page  # before any page of the origin


@crawl_test
async def test_tag_mode_tags_pages_with_the_rsl_evidence(site: Site) -> None:
    paths = ["/open", "/private/a", "/paid/b", "/linked"]
    result = await crawl([site.url(p) for p in paths], OPTOUT_ACTION="tag")
    tags = {item["url"]: item["optout"] for item in result.items}
    assert set(tags) == {site.url(p) for p in paths}
    assert tags[site.url("/open")]["reserved"] is False
    for path, words in (("/private/a", "prohibited"), ("/paid/b", "licence required"),
                        ("/linked", "prohibited")):  # fmt: skip
        tag = tags[site.url(path)]
        assert tag["reserved"] is True, path
        assert tag["decided_by"]["family"] == "rsl"
        assert words in tag["decided_by"]["value"]
    assert "training" in tags[site.url("/paid/b")]["decided_by"]["note"]
    assert tags[site.url("/linked")]["decided_by"]["source"] == "header"


@crawl_test
async def test_page_level_link_supersedes_robots_license(site: Site, licences: Site) -> None:
    """rsl.md 2.7: /linked-free's own (free) licence wins over robots.txt's for the page."""
    site.pages["/private/linked-free"] = html(Link=link(licences.url("/free.xml")))
    result = await crawl([site.url("/private/linked-free")], OPTOUT_ACTION="tag")
    tag = result.items[0]["optout"]
    assert tag["reserved"] is False
    assert tag["decided_by"]["source"] == "header"
    site_level = [e for e in tag["evidence"] if e["source"] == "robots.txt"]
    assert site_level
    assert all(e["overridable"] for e in site_level)


@crawl_test
async def test_a_free_all_licence_loses_nothing(licences: Site) -> None:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, f"License: {licences.url('/free.xml')}\n".encode()),
        **{f"/p{i}": html(Link=link(licences.url("/free.xml"))) for i in range(20)},
    }
    with Site(pages, host="127.0.0.3") as free:
        result = await crawl([free.url(f"/p{i}") for i in range(20)])
    assert len(result.items) == 20
    assert result.stats.get("optout/verdict_count/reserved", 0) == 0
    assert result.stats["optout/verdict_count/unreserved"] == 20
    assert licences.count("/free.xml") == 1  # one document for the site and its 20 pages


@crawl_test
async def test_unreadable_document_reserves_ai_and_can_be_read_as_unknown(licences: Site) -> None:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"License: /missing.xml\n"),
        "/a": html(),
        "/b": html(),
    }
    with Site(pages, host="127.0.0.4") as gone:
        dropped = await crawl([gone.url("/a"), gone.url("/b")])
        assert dropped.items == []
        assert gone.count("/missing.xml") == 1
        assert gone.count("/a") == 1  # fetched: a page's own RSL Link could still license it
        unknown = await crawl([gone.url("/a")], OPTOUT_RSL_UNREADABLE="unknown")
        search = await crawl([gone.url("/a")], OPTOUT_PURPOSE="search")
    assert len(unknown.items) == 1
    assert len(search.items) == 1  # never reserves search


@crawl_test
async def test_oversized_document_is_unreadable(site: Site, licences: Site) -> None:
    result = await crawl([site.url("/linked-big")], OPTOUT_ACTION="tag")
    tag = result.items[0]["optout"]
    assert tag["reserved"] is True
    assert "512 KiB" in tag["decided_by"]["value"]


@crawl_test
async def test_redirected_document_is_followed(site: Site, licences: Site) -> None:
    result = await crawl([site.url("/linked-moved")], OPTOUT_ACTION="tag")
    tag = result.items[0]["optout"]
    assert tag["reserved"] is True
    assert "prohibited" in tag["decided_by"]["value"]
    assert licences.count("/moved.xml") == 1
    assert licences.count("/page.xml") == 1


@crawl_test
async def test_held_licence_setting_lifts_a_licence_required_reservation(site: Site) -> None:
    result = await crawl([site.url("/paid/b")], OPTOUT_RSL_LICENSES=[site.url("/license.xml")])
    assert result.urls() == [site.url("/paid/b")]


@crawl_test
async def test_rsl_family_off_fetches_no_document(site: Site, licences: Site) -> None:
    families = ["robotstxt", "aipref", "content-signal", "tdmrep", "aitxt", "robots-meta"]
    result = await crawl(
        [site.url("/private/a"), site.url("/linked")], OPTOUT_SIGNAL_FAMILIES=families
    )
    assert len(result.items) == 2
    assert site.count("/license.xml") == 0
    assert licences.count("/page.xml") == 0


@crawl_test
async def test_xxe_and_billion_laughs_documents_fetch_nothing_and_reserve(licences: Site) -> None:
    """A DTD makes a document invalid: the external entity is never requested, nothing expands."""
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY x SYSTEM "{licences.url("/secret")}">]>'
        f'<rsl {NS}><content url="/">&x;</content></rsl>'
    ).encode()
    laughs = (
        b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(f'<!ENTITY a{i} "{("&a;" if i == 1 else f"&a{i - 1};") * 10}">'.encode()
                   for i in range(1, 10))
        + b']><rsl xmlns="https://rslstandard.org/rsl"><content url="/">&a9;</content></rsl>'
    )  # fmt: skip
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"License: /xxe.xml\n"),
        "/xxe.xml": (200, XML, xxe),
        "/laughs.xml": (200, XML, laughs),
        "/a": html(),
        "/b": html(Link=link("/laughs.xml")),
    }
    with Site(pages, host="127.0.0.5") as hostile:
        result = await crawl([hostile.url("/a"), hostile.url("/b")], OPTOUT_ACTION="tag")
    assert licences.count("/secret") == 0
    tags = {item["url"]: item["optout"] for item in result.items}
    for path in ("/a", "/b"):
        tag = tags[hostile.url(path)]
        assert tag["reserved"] is True
        assert "DOCTYPE" in tag["decided_by"]["value"]


@crawl_test
async def test_redirect_loop_document_is_unreadable_after_five_hops() -> None:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"License: /loop0.xml\n"),
        **{f"/loop{i}.xml": (302, {"Location": f"/loop{i + 1}.xml"}, b"") for i in range(10)},
        "/a": html(),
    }
    with Site(pages, host="127.0.0.6") as looping:
        result = await crawl([looping.url("/a")], OPTOUT_ACTION="tag")
        hops = [p for p in looping.requested if p.startswith("/loop")]
    assert len(hops) == 6  # the first request and five redirects
    assert "too many redirects" in result.items[0]["optout"]["decided_by"]["value"]


@crawl_test
async def test_license_line_without_an_http_url_is_an_unreadable_association() -> None:
    pages: dict[str, Any] = {
        "/robots.txt": (200, TEXT, b"License: ftp://x.example/l.xml\n"),
        "/a": html(),
    }
    with Site(pages, host="127.0.0.7") as odd:
        dropped = await crawl([odd.url("/a")])
        kept = await crawl([odd.url("/a")], OPTOUT_PURPOSE="search")
    assert dropped.items == []
    assert len(kept.items) == 1


def test_rsl_settings_are_read_and_a_bad_value_names_the_setting() -> None:
    from scrapy.settings import Settings  # noqa: PLC0415

    from optout_middleware.errors import ConfigError  # noqa: PLC0415
    from optout_middleware.middlewares.config import OptOutConfig  # noqa: PLC0415

    config = OptOutConfig.from_settings(
        Settings({"OPTOUT_RSL_LICENSES": "https://ls.example/, https://b.example/",
                  "OPTOUT_RSL_UNREADABLE": "Unknown"})
    )  # fmt: skip
    assert config.rsl_licenses == frozenset({"https://ls.example/", "https://b.example/"})
    context = config.context()
    assert context.rsl_unreadable_reserves is False
    assert context.rsl_licenses == config.rsl_licenses
    assert OptOutConfig.from_settings(Settings()).context().rsl_unreadable_reserves is True
    with pytest.raises(ConfigError, match="OPTOUT_RSL_UNREADABLE"):
        OptOutConfig.from_settings(Settings({"OPTOUT_RSL_UNREADABLE": "maybe"}))
    with pytest.raises(ConfigError, match="OPTOUT_RSL_LICENSES"):
        OptOutConfig.from_settings(Settings({"OPTOUT_RSL_LICENSES": [1]}))


@crawl_test
async def test_page_documents_download_with_one_request_slot() -> None:
    """A response waiting for its RSL document does not hold the slot the document needs."""
    doc = rsl(("/", '<prohibits type="usage">ai-train</prohibits>'))
    pages: dict[str, Any] = {
        **{f"/l{i}.xml": (200, XML, doc) for i in range(4)},
        **{f"/p{i}": html(Link=link(f"/l{i}.xml")) for i in range(4)},
    }
    with Site(pages, host="127.0.0.8") as one:
        result = await crawl(
            [one.url(f"/p{i}") for i in range(4)],
            OPTOUT_ACTION="tag",
            CONCURRENT_REQUESTS=1,
            CONCURRENT_REQUESTS_PER_DOMAIN=1,
        )
    assert len(result.items) == 4
    assert all(item["optout"]["reserved"] for item in result.items)
