"""middlewares.embedded: the page-to-image map, as pageimages' rule reads it (images.md section 7).

The crawl tests (test_images_crawl.py) run the rule end to end; these pin what the map's cheap
paths must keep: evidence for images only, every page's directive once in first-seen order
however many pages present one image, and carried directives before mapped ones.
"""

from __future__ import annotations

import gc
import time

from scrapy import Request

from optout_middleware.inputs import HeaderList, ResponseView
from optout_middleware.middlewares.embedded import (
    EMBEDDED_META_KEY,
    PAGE_META_KEY,
    PAGES_LISTED,
    EmbeddedImages,
)
from optout_middleware.signals.pageimages import PageDirective
from optout_middleware.verdict import Purpose, combine

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _directive(n: int) -> PageDirective:
    return PageDirective(f"https://x/page{n}", "noai", "meta", 'meta name="robots"', "noai")


def _image(url: str) -> ResponseView:
    return ResponseView(url, headers=HeaderList([("Content-Type", "image/jpeg")]), body=JPEG)


def test_only_images_get_embedded_evidence_a_mapped_page_gets_none() -> None:
    """pageimages: a page linked from a noai page is not reserved by it."""
    images = EmbeddedImages()
    images.add("https://x/linked.html", (_directive(1),))
    images.add("https://x/a.jpg", (_directive(1),))
    page = ResponseView(
        "https://x/linked.html", headers=HeaderList([("Content-Type", "text/html")]), body=b"<p>"
    )
    assert images.evidence(Request("https://x/linked.html"), page) == ()
    found = images.evidence(Request("https://x/a.jpg"), _image("https://x/a.jpg"))
    assert [e.url for e in found] == ["https://x/page1"]


def test_an_image_sniffed_by_magic_bytes_gets_evidence_without_an_image_type() -> None:
    images = EmbeddedImages()
    images.add("https://x/a.bin", (_directive(1),))
    view = ResponseView("https://x/a.bin", body=JPEG)
    assert len(images.evidence(Request("https://x/a.bin"), view)) == 1


def test_every_presenting_page_counts_once_in_first_seen_order() -> None:
    images = EmbeddedImages()
    for n in (1, 2, 1, 3, 2):
        images.add("https://x/logo.png#top", (_directive(n),))
    assert images.get("https://x/logo.png") == (_directive(1), _directive(2), _directive(3))
    found = images.evidence(Request("https://x/logo.png"), _image("https://x/logo.png"))
    assert [e.url for e in found] == ["https://x/page1", "https://x/page2", "https://x/page3"]


def test_carried_directives_come_first_then_the_url_then_its_redirects() -> None:
    images = EmbeddedImages()
    images.add("https://x/final.jpg", (_directive(2),))
    images.add("https://x/old.jpg", (_directive(3),))
    request = Request(
        "https://x/final.jpg",
        meta={
            EMBEDDED_META_KEY: [_directive(1).to_dict(), {"bad": 1}],
            "redirect_urls": ["https://x/old.jpg"],
        },
    )
    found = images.evidence(request, _image("https://x/final.jpg"))
    assert [e.url for e in found] == ["https://x/page1", "https://x/page2", "https://x/page3"]


def test_a_site_wide_image_costs_linear_time_in_its_pages() -> None:
    """A logo on every reserving page: each page adds its directive without rescanning the
    others (6,000 pages took 3 s when every add compared against all earlier ones)."""
    images = EmbeddedImages()
    start = time.perf_counter()
    for n in range(6000):
        images.add("https://x/logo.png", (_directive(n),))
    assert time.perf_counter() - start < 1.0  # 3 ms here; 3.3 s with a merge per page
    assert len(images.get("https://x/logo.png")) == PAGES_LISTED


def test_a_site_wide_image_lists_its_first_pages_and_counts_the_rest() -> None:
    """A logo on 10,000 reserving pages: its evidence lists the first PAGES_LISTED pages and
    one stance-less item counting the other presentations, not 10,000 items; the verdict is
    the same (one reserving page decides as well as all)."""
    images = EmbeddedImages()
    for n in range(10_000):
        images.add("https://x/logo.png", (_directive(n % 9_000),))  # 1,000 pages seen twice
    assert images.get("https://x/logo.png") == tuple(_directive(n) for n in range(PAGES_LISTED))
    # Counted: every presentation but the listed pages' (which were seen twice each).
    assert images.unlisted("https://x/logo.png") == 10_000 - 2 * PAGES_LISTED
    found = images.evidence(Request("https://x/logo.png"), _image("https://x/logo.png"))
    assert len(found) == PAGES_LISTED + 1
    assert [e.url for e in found[:PAGES_LISTED]] == [
        f"https://x/page{n}" for n in range(PAGES_LISTED)
    ]
    assert found[-1].stances == ()
    assert found[-1].value == f"{10_000 - 2 * PAGES_LISTED} more"
    verdict, first_page_only = (
        combine(Purpose.TRAIN_AI, found),
        combine(Purpose.TRAIN_AI, found[:1]),
    )
    assert (verdict.reserved, verdict.decided_by) == (True, found[0])
    assert (first_page_only.reserved, first_page_only.decided_by) == (True, found[0])


def test_a_listed_page_presenting_again_is_not_counted() -> None:
    images = EmbeddedImages()
    for _ in range(3):
        images.add("https://x/logo.png", (_directive(1),))
    assert images.unlisted("https://x/logo.png") == 0
    found = images.evidence(Request("https://x/logo.png"), _image("https://x/logo.png"))
    assert len(found) == 1


def test_links_yielded_from_reserving_pages_cannot_push_presented_images_out() -> None:
    """A reserving page yields dozens of links: they are bounded apart from the images pages
    present, for which the map may be the only link to their page (an ImagesPipeline download
    carries no directives); both kinds still reach an image response."""
    images = EmbeddedImages(limit=3)
    images.add("https://x/logo.png", (_directive(1),))
    page_meta = {PAGE_META_KEY: [_directive(2).to_dict()]}
    for n in range(10):
        images.request_yielded(Request(f"https://x/page{n}.html"), page_meta)
    images.request_yielded(Request("https://x/logo.png"), page_meta)
    assert len(images) == 1 + 3
    assert images.get("https://x/logo.png") == (_directive(1), _directive(2))
    pipeline_request = Request("https://x/logo.png")  # no directives in its meta
    found = images.evidence(pipeline_request, _image("https://x/logo.png"))
    assert [e.url for e in found] == ["https://x/page1", "https://x/page2"]
    assert images.get("https://x/page0.html") == ()  # the oldest yielded link left first


def test_a_pages_listing_is_shared_by_its_urls_and_a_second_page_adds_to_one_url() -> None:
    """A page's requests share one entry (built once, not per request); a second page
    yielding one of those URLs adds to that URL alone, not to its page-mates."""
    images = EmbeddedImages()
    page_a = {PAGE_META_KEY: [_directive(1).to_dict()]}
    page_b = {PAGE_META_KEY: [_directive(2).to_dict()]}
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        images.request_yielded(Request(f"https://x/{name}"), page_a)
    images.request_yielded(Request("https://x/b.jpg"), page_b)
    images.request_yielded(Request("https://x/d.jpg"), page_b)
    assert images.get("https://x/a.jpg") == (_directive(1),)
    assert images.get("https://x/b.jpg") == (_directive(1), _directive(2))
    assert images.get("https://x/c.jpg") == (_directive(1),)
    assert images.get("https://x/d.jpg") == (_directive(2),)
    images.add("https://x/e.jpg", (_directive(3),))
    images.add("https://x/e.jpg", (_directive(4),))
    images.add("https://x/f.jpg", (_directive(3),))
    assert images.get("https://x/f.jpg") == (_directive(3),)


def test_a_yielded_request_carries_its_pages_directives_once() -> None:
    """The meta list a request carries names each page once, first page first."""
    images = EmbeddedImages()
    page_a = {PAGE_META_KEY: [_directive(1).to_dict()]}
    page_b = {PAGE_META_KEY: [_directive(2).to_dict(), _directive(1).to_dict()]}
    request = Request("https://x/a.jpg")
    images.request_yielded(request, page_a)
    carried = request.meta[EMBEDDED_META_KEY]
    assert carried == [_directive(1).to_dict()]
    assert carried is not page_a[PAGE_META_KEY]  # a list of its own, the user's to change
    images.request_yielded(request, page_b)
    assert request.meta[EMBEDDED_META_KEY] == [_directive(1).to_dict(), _directive(2).to_dict()]


def test_the_maps_keep_no_object_the_garbage_collector_tracks() -> None:
    """A link-following crawl enters every link of every reserving page: as objects the entries
    made each full collection dearer (a third of the crawl's collector time). The maps keep
    tuples of strings and numbers, which CPython stops tracking."""
    images = EmbeddedImages()
    pages = [
        {PAGE_META_KEY: [_directive(n).to_dict(), _directive(n + 100).to_dict()]} for n in range(20)
    ]
    # links shared by the pages: entries merge, not only share
    links = [
        [Request(f"https://x/p{(n * 37 + k) % 300}.html") for k in range(100)] for n in range(20)
    ]
    directives = [(_directive(n),) for n in range(20)]
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    for n, page in enumerate(pages):
        for request in links[n]:
            images.request_yielded(request, page)
        images.add(f"https://x/img{n}.jpg", directives[n])
    assert len(images) == 300 + 20
    links.clear()  # the requests and what they carry are not the map's
    for _ in range(3):  # a tuple is untracked once what it holds is: a nest takes a pass a level
        gc.collect()
    kept = [type(o).__name__ for o in gc.get_objects() if id(o) not in before]
    assert len(kept) < 20, f"{len(kept)} tracked objects kept for 320 entries: {set(kept)}"
    assert len(images.get("https://x/p0.html")) >= 2
