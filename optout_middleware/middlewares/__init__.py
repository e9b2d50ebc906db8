"""The Scrapy side: middlewares, add-on, signals. The only package that imports Scrapy."""

from __future__ import annotations

from .addon import OptOutAddon
from .config import OptOutConfig
from .downloader import OptOutDownloaderMiddleware, OptOutReserved
from .signals import optout_decided, optout_stats_requested, site_policy_fetched
from .spider import OptOutSpiderMiddleware

__all__ = [
    "OptOutAddon",
    "OptOutConfig",
    "OptOutDownloaderMiddleware",
    "OptOutReserved",
    "OptOutSpiderMiddleware",
    "optout_decided",
    "optout_stats_requested",
    "site_policy_fetched",
]
