"""The crawl header of the audit file: once per crawl, what a report needs to reproduce verdicts.

The library and Scrapy versions, the spider, the signal parsers in use and every setting that
shapes a verdict, as JSON. Written when the downloader middleware starts, before any decision,
so it costs nothing per page. Settings are read from :class:`OptOutConfig` field by field, so a
setting added later is recorded without a change here.
"""

from __future__ import annotations

import dataclasses
import platform
from datetime import datetime, timezone
from enum import Enum
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import scrapy

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from optout_middleware.plugin import SignalParser

    from .config import OptOutConfig

__all__ = ["crawl_header", "verdict_settings"]

# Fields of OptOutConfig that do not change any verdict (where it is written, not what).
_NOT_VERDICT = frozenset({"enabled", "audit_file", "item_field", "cache_size"})
_SCRAPY_NAMES = {"robotstxt_obey": "ROBOTSTXT_OBEY"}


def _library_version() -> str:
    try:
        return version("optout-middleware")
    except PackageNotFoundError:
        return "unknown"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (frozenset, set)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def verdict_settings(config: OptOutConfig) -> dict[str, Any]:
    """``{"OPTOUT_PURPOSE": "train-ai", ...}``: the settings that shape verdicts, as used."""
    return {
        _SCRAPY_NAMES.get(f.name, f"OPTOUT_{f.name.upper()}"): _jsonable(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in _NOT_VERDICT
    }


def crawl_header(
    crawler: Crawler, config: OptOutConfig, parsers: list[SignalParser]
) -> dict[str, Any]:
    """The crawl header's fields (``AuditWriter.write_header`` adds ``"type": "crawl"``)."""
    spider = getattr(crawler, "spidercls", None)
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "spider": getattr(spider, "name", None),
        "library": {
            "optout-middleware": _library_version(),
            "scrapy": scrapy.__version__,
            "python": platform.python_version(),
        },
        "purpose": config.purpose.value,
        "action": config.action,
        "settings": verdict_settings(config),
        "signals": [f"{p.family} ({type(p).__module__}.{type(p).__qualname__})" for p in parsers],
    }
