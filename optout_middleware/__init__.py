"""optout_middleware: honour machine-readable AI-training opt-outs in Scrapy crawls.

The core (signal parsers, the verdict model, the evaluator, site-file rules) is pure Python and
imports without Scrapy; the Scrapy classes (:class:`OptOutAddon`, the two middlewares,
:class:`OptOutReserved`) load on first access, so ``import optout_middleware`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, OptOutError, ParseError
from .evaluate import FAMILIES, Evaluator, builtin_signals
from .formats.htmlhead import HeadInterest
from .inputs import Context, FileState, HeaderList, ResponseView, SiteFile, SiteFiles
from .plugin import SignalParser, load_signals
from .verdict import Evidence, Purpose, Stance, Verdict, combine

if TYPE_CHECKING:
    from .middlewares import (
        OptOutAddon,
        OptOutDownloaderMiddleware,
        OptOutReserved,
        OptOutSpiderMiddleware,
    )

__all__ = [
    "FAMILIES",
    "ConfigError",
    "Context",
    "Evaluator",
    "Evidence",
    "FileState",
    "HeadInterest",
    "HeaderList",
    "OptOutAddon",
    "OptOutDownloaderMiddleware",
    "OptOutError",
    "OptOutReserved",
    "OptOutSpiderMiddleware",
    "ParseError",
    "Purpose",
    "ResponseView",
    "SignalParser",
    "SiteFile",
    "SiteFiles",
    "Stance",
    "Verdict",
    "builtin_signals",
    "combine",
    "load_signals",
]

_SCRAPY_NAMES = frozenset(
    {"OptOutAddon", "OptOutDownloaderMiddleware", "OptOutReserved", "OptOutSpiderMiddleware"}
)


def __getattr__(name: str) -> Any:
    """Load the Scrapy classes on first use (they need Scrapy; the core does not)."""
    if name in _SCRAPY_NAMES:
        value = getattr(importlib.import_module(".middlewares", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SCRAPY_NAMES)
