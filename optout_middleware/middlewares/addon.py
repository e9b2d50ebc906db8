"""The Scrapy add-on: ``ADDONS = {"optout_middleware.OptOutAddon": 0}`` installs everything.

It adds both middlewares at priority 100 unless the project already lists them (a project
entry, even ``None``, wins). With ROBOTSTXT_OBEY on it also removes Scrapy's
RobotsTxtMiddleware: ours enforces the crawler's own robots.txt rules from the same parsed file
(with RFC 9309 status handling), so robots.txt is downloaded once per origin, not twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.misc import load_object

from .downloader import OptOutDownloaderMiddleware
from .logstats import OptOutLogStats
from .spider import OptOutSpiderMiddleware

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["OptOutAddon"]

PRIORITY = 100  # downloader: after retry/decompression/redirect (550-600) in process_response


class OptOutAddon:
    """Installs :class:`OptOutDownloaderMiddleware`, :class:`OptOutSpiderMiddleware` and the
    :class:`~optout_middleware.middlewares.logstats.OptOutLogStats` extension."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.setdefault_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", OptOutDownloaderMiddleware, PRIORITY
        )
        settings.setdefault_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", OptOutSpiderMiddleware, PRIORITY
        )
        settings.setdefault_in_component_priority_dict("EXTENSIONS", OptOutLogStats, 0)
        if (
            settings.getbool("ROBOTSTXT_OBEY")
            and settings.getbool("OPTOUT_ENABLED", True)
            and _enabled(settings, OptOutDownloaderMiddleware)
        ):
            settings.set_in_component_priority_dict(
                "DOWNLOADER_MIDDLEWARES", RobotsTxtMiddleware, None
            )


def _enabled(settings: BaseSettings, cls: type) -> bool:
    """Whether ``cls`` ends up enabled in DOWNLOADER_MIDDLEWARES (the project may disable it)."""
    for key, priority in settings.getdict("DOWNLOADER_MIDDLEWARES").items():
        if (load_object(key) if isinstance(key, str) else key) is cls:
            return priority is not None
    return False
