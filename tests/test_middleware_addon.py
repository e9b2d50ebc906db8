"""OptOutAddon: the exact settings it changes, and what a project setting keeps."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from optout_middleware import OptOutAddon, OptOutDownloaderMiddleware, OptOutSpiderMiddleware
from optout_middleware.middlewares.logstats import OptOutLogStats


def settings_diff(**project: Any) -> dict[str, Any]:
    """Every setting whose value the add-on changed: name -> (before, after)."""
    settings = Settings()
    settings.setdict(project, priority="project")
    before = snapshot(settings)
    OptOutAddon().update_settings(settings)
    after = snapshot(settings)
    return {k: (before.get(k), after[k]) for k in after if before.get(k) != after[k]}


def snapshot(settings: BaseSettings) -> dict[str, Any]:
    """Every setting; component dicts with their class keys as they are (not stringified)."""
    return {
        name: settings.getdict(name) if isinstance(settings[name], BaseSettings) else settings[name]
        for name in settings
    }


def test_addon_installs_both_middlewares_at_100() -> None:
    """Both middlewares at 100 and the log extension; nothing else changes."""
    assert settings_diff() == {
        "DOWNLOADER_MIDDLEWARES": ({}, {OptOutDownloaderMiddleware: 100}),
        "SPIDER_MIDDLEWARES": ({}, {OptOutSpiderMiddleware: 100}),
        "EXTENSIONS": ({}, {OptOutLogStats: 0}),
    }


def test_addon_replaces_scrapy_robots_middleware_when_obeying() -> None:
    """ROBOTSTXT_OBEY: ours enforces the crawler's own rules, robots.txt is fetched once."""
    assert settings_diff(ROBOTSTXT_OBEY=True) == {
        "DOWNLOADER_MIDDLEWARES": (
            {},
            {OptOutDownloaderMiddleware: 100, RobotsTxtMiddleware: None},
        ),
        "SPIDER_MIDDLEWARES": ({}, {OptOutSpiderMiddleware: 100}),
        "EXTENSIONS": ({}, {OptOutLogStats: 0}),
    }


def test_addon_keeps_project_priorities() -> None:
    """A middleware the project lists (as an import path) keeps the project's priority."""
    path = "optout_middleware.OptOutDownloaderMiddleware"
    diff = settings_diff(DOWNLOADER_MIDDLEWARES={path: 543})
    assert "DOWNLOADER_MIDDLEWARES" not in diff
    assert diff["SPIDER_MIDDLEWARES"] == ({}, {OptOutSpiderMiddleware: 100})


@pytest.mark.parametrize(
    "project",
    [
        {"OPTOUT_ENABLED": False},
        {"DOWNLOADER_MIDDLEWARES": {"optout_middleware.OptOutDownloaderMiddleware": None}},
    ],
)
def test_addon_keeps_scrapy_robots_middleware_when_ours_is_off(project: dict[str, Any]) -> None:
    """Never leave a crawl with ROBOTSTXT_OBEY on and no robots.txt enforcement at all."""
    diff = settings_diff(ROBOTSTXT_OBEY=True, **project)
    after = diff.get("DOWNLOADER_MIDDLEWARES", (None, {}))[1]
    assert RobotsTxtMiddleware not in after
    # and in the list Scrapy builds from the final settings, whatever key form disables it
    settings = Settings({"ROBOTSTXT_OBEY": True, **project})
    OptOutAddon().update_settings(settings)
    enabled = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    assert RobotsTxtMiddleware in [load_object(c) if isinstance(c, str) else c for c in enabled]
