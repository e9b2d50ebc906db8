"""Real crawls of image pages: embedded metadata and a page's noai/noimageai reach the images."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner

from optout_middleware.errors import ConfigError
from optout_middleware.middlewares.embedded import EmbeddedImages, map_size
from optout_middleware.verdict import Verdict

from . import imagebuild as b
from .conftest import BASE_SETTINGS, crawl_test
from .site import Site, html

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.http import Response

JPEG = {"Content-Type": "image/jpeg"}
PLAIN = b.jpeg()
IPTC = b.jpeg(b.app1_xmp(b.xmp("DMI-PROHIBITED-AIMLTRAINING")))


class ImagesSpider(scrapy.Spider):
    """Yields an item per page and follows every <img src> to an item per image."""

    name = "images"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url)

    def parse(self, response: Response) -> Iterator[Any]:
        yield {"url": response.url, "kind": "page"}
        for src in response.css("img::attr(src)").getall():
            yield response.follow(src, callback=self.parse_image)
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)

    def parse_image(self, response: Response) -> Iterator[Any]:
        yield {"url": response.url, "kind": "image"}


async def crawl_images(
    urls: list[str], **settings: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    runner = AsyncCrawlerRunner({**BASE_SETTINGS, "CONCURRENT_REQUESTS": 4, **settings})
    crawler = runner.create_crawler(ImagesSpider)
    items: list[dict[str, Any]] = []

    def on_item(item: dict[str, Any]) -> None:  # a named function: signals keep weak references
        items.append(item)

    crawler.signals.connect(on_item, signal=signals.item_scraped)
    await runner.crawl(crawler, urls=urls)
    assert crawler.stats is not None
    return items, dict(crawler.stats.get_stats())


def paths(items: list[dict[str, Any]], kind: str) -> list[str]:
    return sorted(i["url"].split("/", 3)[3] for i in items if i["kind"] == kind)


def page(img: str, head: str = "", **headers: str) -> Any:
    return html(f'<img src="{img}">', head=head, **headers)


SITE = {
    "/art": page("/a.jpg", '<meta name="robots" content="noimageai">'),
    "/header-art": page("/h.jpg", X_Robots_Tag="noimageai"),
    "/noai-art": page("/n.jpg", '<meta name="robots" content="noai">'),
    "/ours": page("/o.jpg", '<meta name="GPTBot" content="noimageai">'),
    "/other-bot": page("/x.jpg", X_Robots_Tag="otherbot: noimageai"),
    "/plain": page("/p.jpg"),
    "/iptc": page("/i.jpg"),
    "/links": html('<a href="/plain">a page</a>', head='<meta name="robots" content="noimageai">'),
    "/untyped": page("/u.bin"),
    "/a.jpg": (200, JPEG, PLAIN),
    "/h.jpg": (200, JPEG, PLAIN),
    "/n.jpg": (200, JPEG, PLAIN),
    "/o.jpg": (200, JPEG, PLAIN),
    "/x.jpg": (200, JPEG, PLAIN),
    "/p.jpg": (200, JPEG, PLAIN),
    "/i.jpg": (200, JPEG, IPTC),
    "/u.bin": (
        200,
        {"Content-Type": "application/octet-stream", "X-Robots-Tag": "noimageai"},
        PLAIN,
    ),
}


@pytest.fixture(scope="module")
def site() -> Any:
    with Site(SITE) as s:
        yield s


@pytest.mark.parametrize(
    ("start", "image"),
    [
        ("/art", "a.jpg"),
        ("/header-art", "h.jpg"),
        ("/ours", "o.jpg"),
    ],
)
@crawl_test
async def test_drop_mode_image_from_a_noimageai_page_yields_no_item(
    site: Site, start: str, image: str
) -> None:
    """The page itself is kept: noimageai speaks about its images, not its text."""
    items, stats = await crawl_images([site.url(start)])
    assert paths(items, "page") == [start[1:]]
    assert paths(items, "image") == []
    assert site.count("/" + image) == 1
    assert stats["optout/response_dropped"] == 1


@crawl_test
async def test_tag_mode_tags_the_image_with_evidence_naming_the_page(site: Site) -> None:
    items, _ = await crawl_images([site.url("/art")], OPTOUT_ACTION="tag")
    (image,) = [i for i in items if i["kind"] == "image"]
    verdict = Verdict.from_dict(image["optout"])
    assert verdict.reserved is True
    by = verdict.decided_by
    assert by is not None
    assert (by.family, by.source, by.url) == ("robots-meta", "page", site.url("/art"))
    assert "noimageai" in by.note
    (page_item,) = [i for i in items if i["kind"] == "page"]
    assert page_item["optout"]["reserved"] is None


@crawl_test
async def test_image_without_metadata_on_a_page_without_directives_is_untouched(site: Site) -> None:
    items, _ = await crawl_images([site.url("/plain")], OPTOUT_ACTION="tag")
    (image,) = [i for i in items if i["kind"] == "image"]
    assert image["optout"]["reserved"] is None
    assert image["optout"]["evidence"] == []


@crawl_test
async def test_directive_scoped_to_another_crawler_does_not_reach_the_image(site: Site) -> None:
    items, _ = await crawl_images([site.url("/other-bot")])
    assert paths(items, "image") == ["x.jpg"]


@crawl_test
async def test_embedded_iptc_metadata_drops_the_image(site: Site) -> None:
    items, stats = await crawl_images([site.url("/iptc")])
    assert paths(items, "image") == []
    assert stats["optout/evidence_count/iptc"] == 1


@crawl_test
async def test_untyped_image_with_noimageai_is_reserved(site: Site) -> None:
    """Review F7 in a crawl: application/octet-stream, JPEG magic bytes, X-Robots-Tag."""
    items, _ = await crawl_images([site.url("/untyped")])
    assert paths(items, "image") == []


@crawl_test
async def test_a_page_linked_from_a_noimageai_page_is_not_reserved(site: Site) -> None:
    items, _ = await crawl_images([site.url("/links")])
    assert paths(items, "page") == ["links", "plain"]
    assert paths(items, "image") == ["p.jpg"]


@crawl_test
async def test_second_page_counts_after_the_dupefilter_dropped_its_request() -> None:
    """/first (no directive) and /second (noimageai) present the same slow image: the request
    from /second is filtered as a duplicate, yet the map still carries /second to it."""
    pages = {
        "/first": page("/shared.jpg"),
        "/second": page("/shared.jpg", '<meta name="robots" content="noimageai">'),
        "/shared.jpg": (200, JPEG, PLAIN, 1.0),
    }
    with Site(pages, host="127.0.0.2") as s:
        items, stats = await crawl_images([s.url("/first"), s.url("/second")], OPTOUT_ACTION="tag")
    (image,) = [i for i in items if i["kind"] == "image"]
    verdict = Verdict.from_dict(image["optout"])
    assert verdict.reserved is True
    assert {e.url for e in verdict.evidence if e.source == "page"} == {s.url("/second")}
    assert stats["dupefilter/filtered"] >= 1
    assert s.count("/shared.jpg") == 1


@crawl_test
async def test_an_image_only_linked_from_a_noimageai_page_carries_its_directive() -> None:
    """The page links the image (<a href>), it does not present it (<img>): the image-link scan
    never sees it, so the request the spider yields is what carries the page's noimageai."""
    pages = {
        "/gallery": html(
            '<a href="/linked.jpg">full size</a><a href="/other">next</a>',
            head='<meta name="robots" content="noimageai">',
        ),
        "/other": html("<p>no directive here</p>"),
        "/linked.jpg": (200, JPEG, PLAIN),
    }
    with Site(pages, host="127.0.0.3") as s:
        items, _ = await crawl_images([s.url("/gallery")], OPTOUT_ACTION="tag")
    by_url = {i["url"]: Verdict.from_dict(i["optout"]) for i in items}
    linked = by_url[s.url("/linked.jpg")]
    assert linked.reserved is True
    assert {e.url for e in linked.evidence if e.source == "page"} == {s.url("/gallery")}
    assert by_url[s.url("/other")].reserved is not True  # a page is not an image


@crawl_test
async def test_images_of_a_dropped_noai_page_are_reserved_when_reached_elsewhere() -> None:
    """Drop mode never shows /noai to the spider, but its HTML's images enter the map."""
    pages = {
        "/noai": page("/shared.jpg", '<meta name="robots" content="noai">'),
        "/later": page(
            "/shared.jpg",
            '<meta name="other" content="x">',
        ),
        "/shared.jpg": (200, JPEG, PLAIN),
        "/index": html('<a href="/later">later</a>'),
    }
    with Site(pages, host="127.0.0.3") as s:
        items, stats = await crawl_images(
            [s.url("/noai"), s.url("/index")], CONCURRENT_REQUESTS=1, DOWNLOAD_DELAY=0.2
        )
    assert paths(items, "page") == ["index", "later"]
    assert paths(items, "image") == []
    assert stats["optout/response_dropped"] == 2


@crawl_test
async def test_robots_meta_family_off_switches_page_to_image_off(site: Site) -> None:
    items, _ = await crawl_images([site.url("/art")], OPTOUT_SIGNAL_FAMILIES=["iptc", "c2pa"])
    assert paths(items, "image") == ["a.jpg"]


def test_the_map_is_bounded_oldest_out_first() -> None:
    images = EmbeddedImages(limit=3)
    for n in range(5):
        images.add(f"https://x/{n}.jpg", ())
    assert len(images) == 3
    assert images.get("https://x/0.jpg") == ()


def test_map_size_default_is_the_documented_one() -> None:
    """README settings table: OPTOUT_EMBEDDED_MAP_SIZE defaults to 100000."""
    assert map_size({}) == 100_000
    assert map_size({"OPTOUT_EMBEDDED_MAP_SIZE": "5"}) == 5


@pytest.mark.parametrize("value", [0, -1, "many", True, 1.5])
def test_map_size_setting_is_validated(value: object) -> None:
    with pytest.raises(ConfigError, match="OPTOUT_EMBEDDED_MAP_SIZE"):
        map_size({"OPTOUT_EMBEDDED_MAP_SIZE": value})
