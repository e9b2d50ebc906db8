"""The spider middleware: puts the verdict on items (tag mode) or drops reserved items (drop).

It reads the verdict the downloader middleware left in ``response.meta["optout"]``; a response
without one (exempt, or not decided) leaves its items alone. It also puts a page's
``noai``/``noimageai`` on the requests the spider yields from that page (page to image,
:mod:`.embedded`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from .config import OptOutConfig
from .embedded import PAGE_META_KEY, EmbeddedImages
from .stats import BatchedStats

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["OptOutSpiderMiddleware"]

logger = logging.getLogger(__name__)


class OptOutSpiderMiddleware(BaseSpiderMiddleware):
    """Tag mode: every item from a decided response gets the verdict dict in ``OPTOUT_ITEM_FIELD``
    (dicts, ``scrapy.Item`` with the field declared, dataclass and attrs items with the field).
    An item that cannot take the field passes through unchanged, with one warning per type.

    Drop mode: items from a reserved response that reached the spider are dropped.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if not crawler.settings.getbool("OPTOUT_ENABLED", True):
            raise NotConfigured
        config = OptOutConfig.from_settings(crawler.settings)
        self._tag = config.action == "tag"
        self._field = config.item_field
        self._warned: set[type] = set()
        self._stats = BatchedStats(crawler)
        self._embedded = (
            EmbeddedImages.for_crawler(crawler) if "robots-meta" in config.signal_families else None
        )

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        """The base class's loop, with the page's directives looked up once per response, not
        once per request: a crawling spider yields dozens of requests per page. (Scrapy calls
        this method whenever it exists; the base class's synchronous loop, unused here, calls
        :meth:`get_processed_request` for each request.)"""
        carrier = self._carrier(response)
        async for o in result:
            if isinstance(o, Request):
                if carrier is not None:
                    carrier(o)
                yield o
            elif (o := self.get_processed_item(o, response)) is not None:
                yield o

    def _carrier(self, response: Response | None) -> Callable[[Request], None] | None:
        """What puts the page's ``noai``/``noimageai`` on a request it yields; None when the
        page has none (most pages): its requests then pass untouched."""
        page = getattr(response, "request", None)  # None for start requests
        if page is None or self._embedded is None or not page.meta.get(PAGE_META_KEY):
            return None
        return partial(self._embedded.request_yielded, page_meta=page.meta)

    def get_processed_request(self, request: Request, response: Response | None) -> Request:
        """Requests yielded from a page with ``noai``/``noimageai`` carry its directives."""
        carrier = self._carrier(response)
        if carrier is not None:
            carrier(request)
        return request

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        request = getattr(response, "request", None)  # None for start items
        verdict = request.meta.get("optout") if request is not None else None
        if not isinstance(verdict, dict):
            return item
        if not self._tag:
            if verdict.get("reserved"):
                self._inc("optout/item_dropped")
                logger.debug(
                    "Dropped an item from reserved %(response)s",
                    {"response": response},
                    extra={"spider": self.crawler.spider},
                )
                return None
            return item
        if type(item) is dict:  # the common case, without ItemAdapter's type dispatch
            item[self._field] = verdict
            self._inc("optout/item_tagged")
            return item
        try:
            ItemAdapter(item)[self._field] = verdict
        except (
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:  # undeclared field, frozen, not an item
            self._inc("optout/item_untaggable")
            kind = type(item)
            if kind not in self._warned:
                self._warned.add(kind)
                logger.warning(
                    "Cannot add the %(field)r field to %(type)s items (%(error)s); they pass "
                    "through without the verdict. Declare the field, or set OPTOUT_ITEM_FIELD.",
                    {"field": self._field, "type": kind.__qualname__, "error": exc},
                    extra={"spider": self.crawler.spider},
                )
            return item
        self._inc("optout/item_tagged")
        return item

    def _inc(self, key: str) -> None:
        self._stats.inc(key)
