"""The spider each cluster worker runs (``scrapy runspider tests/cluster/spider.py``).

With ``-a barrier=N`` each worker waits until N workers are up. Every worker yields the same
seeds (in its own order); scrapy-redis's shared dupefilter hands each URL to one
worker. Links are followed within the test site. At the end the worker's stats go to the JSON
file named by ``-a stats_file=...`` (written on ``engine_stopped``, after every counter is in).
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import TYPE_CHECKING, Any

import redis.asyncio
import scrapy
from scrapy import signals

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self


class ClusterSpider(scrapy.Spider):
    name = "cluster"
    custom_settings = {  # noqa: RUF012  (Scrapy's own annotation)
        "ADDONS": {"optout_middleware.OptOutAddon": 0},
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,  # one request per failure, so the access log counts exactly
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "INFO",
        "DOWNLOAD_TIMEOUT": 20,
    }

    def __init__(
        self, seeds: str = "", stats_file: str = "", barrier: str = "0", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.seeds = [s for s in seeds.split(",") if s]
        random.shuffle(self.seeds)  # each worker offers them in its own order
        self.stats_file = stats_file
        self.barrier = int(barrier)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.engine_stopped, signal=signals.engine_stopped)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.barrier:
            await self._all_started()
        for url in self.seeds:
            yield scrapy.Request(url)  # filtered by the cluster's dupefilter

    async def _all_started(self) -> None:
        """Wait until ``barrier`` workers are up: the first to start would take every seed."""
        client = redis.asyncio.Redis.from_url(self.settings["REDIS_URL"])
        try:
            await client.incr("cluster:barrier")
            deadline = asyncio.get_running_loop().time() + 60
            while int(await client.get("cluster:barrier") or 0) < self.barrier:
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError("the other workers did not start")
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def parse(self, response: Response) -> Iterator[Any]:
        yield {"url": response.url}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)

    def engine_stopped(self) -> None:
        if self.stats_file:
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            with open(self.stats_file, "w", encoding="utf-8") as out:
                json.dump(stats, out, default=str)
