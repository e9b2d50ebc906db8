"""Page to image: carries a page's ``noai``/``noimageai`` to the images it presents.

The rule is :mod:`optout_middleware.signals.pageimages`'; this module is its crawl state:

* after a page is downloaded (:meth:`EmbeddedImages.page_seen`, called by the downloader
  middleware, in both modes and before a reserved page is dropped), its reserving directives
  are put on ``response.meta`` and every image URL its HTML presents
  (:func:`~optout_middleware.formats.imagelinks.image_links`) is entered in a map;
* every request the spider yields from such a page (:meth:`EmbeddedImages.request_yielded`,
  called by the spider middleware) gets them in ``request.meta["optout_embedded_in"]`` and is
  entered in the map too, so a second page presenting the same image still counts after the
  dupefilter has dropped its request;
* when an image response arrives (:meth:`EmbeddedImages.evidence`), the directives carried in
  its meta and those the map holds for its URL (and the URLs it was redirected from) become
  ``robots-meta`` evidence naming each page.

The map holds at most ``OPTOUT_EMBEDDED_MAP_SIZE`` image URLs (default 100,000), oldest out
first, and as many URLs of requests yielded from reserving pages, apart (a page's links must
not push out the images entered before them). Per image each map lists the first
:data:`PAGES_LISTED` distinct page directives: a site-wide image (a logo) is presented by every
reserving page, and listing them all would make its verdict, audit record and item field grow
with the site. One listed page reserves the image as well as ten thousand; further
presentations are counted, in one evidence item without a stance. An image downloaded before a
later page presenting it was parsed is decided without that page: the map cannot recall an
item already passed on.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from optout_middleware.errors import ConfigError
from optout_middleware.formats.imagelinks import image_links
from optout_middleware.signals.pageimages import PageDirective, embedded_evidence, page_directives
from optout_middleware.signals.robotsmeta import FAMILY
from optout_middleware.verdict import Evidence

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Request
    from scrapy.crawler import Crawler

    from optout_middleware.inputs import Context, ResponseView

__all__ = ["EMBEDDED_META_KEY", "PAGES_LISTED", "EmbeddedImages", "map_size"]

EMBEDDED_META_KEY = "optout_embedded_in"  # list of PageDirective dicts, on yielded requests
PAGE_META_KEY = "_optout_page_directives"  # the same, on the page's own response.meta
DEFAULT_MAP_SIZE = 100_000
PAGES_LISTED = 32  # distinct page directives kept per image; the rest are counted
_NAMES_A_DIRECTIVE = re.compile("noai|noimageai", re.IGNORECASE).search

_BY_CRAWLER: weakref.WeakKeyDictionary[Crawler, EmbeddedImages] = weakref.WeakKeyDictionary()


def map_size(settings: Any) -> int:
    """``OPTOUT_EMBEDDED_MAP_SIZE``: an integer of at least 1 (0 is not a way to switch off:
    leave ``robots-meta`` out of ``OPTOUT_SIGNAL_FAMILIES`` for that)."""
    raw = settings.get("OPTOUT_EMBEDDED_MAP_SIZE", DEFAULT_MAP_SIZE)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if isinstance(raw, bool) or value < 1 or (isinstance(raw, float) and raw != value):
        raise ConfigError(
            f"setting OPTOUT_EMBEDDED_MAP_SIZE={raw!r} is invalid: expected an integer of at "
            "least 1"
        )
    return value


# A directive as the maps keep it: PageDirective's fields in order, strings (and None). Tuples
# of atoms are not tracked by CPython's garbage collector; a link-following crawl keeps an entry
# for every link of every reserving page, and as objects (an entry, its dict, the directives)
# they made each full collection of such a crawl about a third dearer.
_Atoms = tuple[str, str, str, str, str, "str | None"]
# An entry: (presentations counted but not listed, the first PAGES_LISTED distinct directives).
_Entry = tuple[int, tuple[_Atoms, ...]]


def _atoms(directive: PageDirective) -> _Atoms:
    d = directive
    return (d.page, d.directive, d.source, d.location, d.value, d.agent)


def _merged(entry: _Entry, added: tuple[_Atoms, ...]) -> _Entry:
    """``entry`` with ``added``: a new distinct directive is listed while fewer than
    :data:`PAGES_LISTED` are, else counted (not kept: a page seen twice counts twice)."""
    more, listed = entry
    grown: list[_Atoms] = []
    for directive in added:
        if directive in listed or directive in grown:
            continue
        if len(listed) + len(grown) < PAGES_LISTED:
            grown.append(directive)
        else:
            more += 1
    return (more, (*listed, *grown)) if grown else (more, listed)


class _Page:
    """One page's directives as atoms, and the entry of a URL that this page alone presents
    (built once per page, shared by every URL the page enters)."""

    __slots__ = ("atoms", "entry")

    def __init__(self, directives: Iterable[PageDirective]) -> None:
        self.atoms = tuple(map(_atoms, directives))
        self.entry = _merged((0, ()), self.atoms)


class EmbeddedImages:
    """Image URL -> the reserving directives of the pages presenting it, for one crawl.

    Two maps of ``limit`` URLs each: the images a page's HTML presents, and the requests the
    spider yields from such a page. A reserving page yields dozens of links that are not
    images; in one map they would push out the images entered before them, for which the map
    may be the only link to their page (an ``ImagesPipeline`` download). A page's own entry is
    built once and shared by every URL it presents or yields.
    """

    __slots__ = ("_carried", "_presented", "_yielded", "limit")

    def __init__(self, limit: int = DEFAULT_MAP_SIZE) -> None:
        self.limit = limit
        self._presented: dict[str, _Entry] = {}
        self._yielded: dict[str, _Entry] = {}
        # The last page's carried dicts with its entry: a page's requests are yielded one
        # after another, and each would rebuild it.
        self._carried: tuple[list[Any], _Page] | None = None

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> EmbeddedImages:
        """The crawl's one map, shared by the downloader and spider middlewares."""
        found = _BY_CRAWLER.get(crawler)
        if found is None:
            found = _BY_CRAWLER[crawler] = cls(map_size(crawler.settings))
        return found

    def __len__(self) -> int:
        return len(self._presented) + len(self._yielded)

    def add(self, url: str, directives: tuple[PageDirective, ...]) -> None:
        """Record that the pages behind ``directives`` present ``url`` (in their HTML)."""
        self._enter(self._presented, url, _Page(directives))

    def _enter(self, mapped: dict[str, _Entry], url: str, page: _Page) -> None:
        """Enter ``url`` as presented by ``page``."""
        url = url.partition("#")[0]
        known = mapped.pop(url, None)
        known = page.entry if known is None else _merged(known, page.atoms)
        mapped[url] = known  # re-inserted: the most recently seen image leaves last
        if len(mapped) > self.limit:
            del mapped[next(iter(mapped))]

    def _entries(self, url: str) -> list[_Entry]:
        key = url.partition("#")[0]
        return [m[key] for m in (self._presented, self._yielded) if key in m]

    def get(self, url: str) -> tuple[PageDirective, ...]:
        """The directives listed for ``url`` (fragment ignored), first recorded first."""
        listed: dict[_Atoms, None] = {}
        for _more, atoms in self._entries(url):
            listed.update(dict.fromkeys(atoms))
        return tuple(PageDirective(*atoms) for atoms in listed)

    def unlisted(self, url: str) -> int:
        """How many more presentations of ``url`` were seen beyond those listed."""
        return sum(more for more, _listed in self._entries(url))

    def page_seen(
        self,
        meta: dict[str, Any],
        view: ResponseView,
        context: Context,
        evidence: tuple[Evidence, ...] = (),
    ) -> None:
        """After a page is decided: note its directives and the images its HTML presents.

        ``evidence`` is the page's verdict evidence: a page without ``robots-meta`` evidence
        naming ``noai`` or ``noimageai`` has no directive to carry, and costs one pass over that tuple.
        """
        for found in evidence:  # a loop, not any(genexpr): this runs on every response
            if found.family == FAMILY and _NAMES_A_DIRECTIVE(found.value):
                break
        else:
            return
        directives = page_directives(view, context)
        if not directives:
            return
        meta[PAGE_META_KEY] = [d.to_dict() for d in directives]
        page = _Page(directives)
        for url in image_links(view.body, view.url):
            self._enter(self._presented, url, page)

    def request_yielded(self, request: Request, page_meta: dict[str, Any]) -> None:
        """A request the spider yielded from a page: carry the page's directives on it."""
        carried = page_meta.get(PAGE_META_KEY)
        if not carried:
            return
        meta = request.meta
        existing = meta.get(EMBEDDED_META_KEY)
        if existing is None:
            meta[EMBEDDED_META_KEY] = list(carried)
        else:
            listed = list(existing) if isinstance(existing, list) else []
            listed.extend(d for d in carried if d not in listed)
            meta[EMBEDDED_META_KEY] = listed
        last = self._carried
        if last is None or last[0] is not carried:  # held here, so its id is not reused
            page = _Page(d for d in map(PageDirective.from_dict, carried) if d is not None)
            last = self._carried = (carried, page)
        self._enter(self._yielded, request.url, last[1])

    def evidence(self, request: Request, view: ResponseView) -> tuple[Evidence, ...]:
        """Evidence for a downloaded response from the pages presenting it (images only).

        Runs on every response: a response that nothing carries to and that the map does not
        hold costs a dict lookup, and one that is not an image stops there (pageimages gives
        evidence to images only), before any directive is rebuilt from its dict.
        """
        meta = request.meta
        carried = meta.get(EMBEDDED_META_KEY)
        presented, yielded = self._presented, self._yielded
        mapped = bool(presented or yielded)
        if not carried and not mapped:
            return ()
        # The common miss allocates nothing (in a crawl, allocations are paid again in GC).
        url = request.url
        cut = url.find("#")
        key = url if cut < 0 else url[:cut]
        first = presented.get(key) if presented else None
        second = yielded.get(key) if yielded else None
        redirects = meta.get("redirect_urls") if mapped else None
        if not (carried or first or second or redirects) or not view.is_image:
            return ()
        hits = [hit for hit in (first, second) if hit is not None]
        for earlier in redirects or ():
            hits.extend(self._entries(earlier))
        directives: list[PageDirective] = []
        if isinstance(carried, list):
            directives.extend(d for d in map(PageDirective.from_dict, carried) if d is not None)
        for _more, listed in hits:
            directives.extend(PageDirective(*atoms) for atoms in listed)
        found = embedded_evidence(view, directives) if directives else ()
        more = sum(more for more, _listed in hits)
        if more and found:
            found = (*found, _unlisted(more))
        return found


def _unlisted(count: int) -> Evidence:
    """An evidence item without a stance, counting the presenting pages not listed."""
    return Evidence(
        FAMILY,
        "page",
        f"{count} more",
        location="pages presenting this image",
        note=f"{count} more presentations of this image by pages with a reserving directive "
        f"were seen; the first {PAGES_LISTED} pages presenting it in their HTML and the first "
        f"{PAGES_LISTED} yielding a request for it are listed (one decides as well as all)",
    )
