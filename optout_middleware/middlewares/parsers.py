"""Which signal parsers a crawl runs, and which site files they need fetched.

Built once per crawl from :class:`~optout_middleware.middlewares.config.OptOutConfig`: the
enabled built-in families, then custom parsers (``OPTOUT_SIGNALS`` and entry points), a custom
parser with a built-in family's name replacing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optout_middleware.errors import ConfigError
from optout_middleware.evaluate import builtin_signals
from optout_middleware.plugin import SignalParser, load_signals
from optout_middleware.sitepolicy import SITE_FILE_PATHS

if TYPE_CHECKING:
    from .config import OptOutConfig

__all__ = ["build_signals", "site_file_kinds"]

# The site files each built-in family reads; a custom site family gets every file.
_FAMILY_FILES: dict[str, tuple[str, ...]] = {
    "robotstxt": ("robots",),
    "aipref": ("robots",),  # Content-Usage records
    "content-signal": ("robots",),  # Content-Signal records
    "tdmrep": ("tdmrep",),
    "aitxt": ("aitxt",),
    "rsl": ("robots",),  # License: lines name the RSL documents
}


def build_signals(config: OptOutConfig) -> list[SignalParser]:
    """Built-in parsers of the enabled families, then custom ones (a custom parser with a
    built-in family name replaces the built-in one)."""
    try:
        custom = load_signals(config.signals)
    except ConfigError as exc:
        raise ConfigError(f"setting OPTOUT_SIGNALS={list(config.signals)!r}: {exc}") from exc
    replaced = {s.family for s in custom}
    builtin = [s for s in builtin_signals(config.signal_families) if s.family not in replaced]
    return [*builtin, *custom]


def site_file_kinds(config: OptOutConfig, parsers: list[SignalParser]) -> tuple[str, ...]:
    """The site files this crawl needs, in fetch order."""
    wanted = {"robots"} if config.robotstxt_obey else set()
    for parser in parsers:
        if type(parser).site_evidence is not SignalParser.site_evidence:
            wanted.update(_FAMILY_FILES.get(parser.family, tuple(SITE_FILE_PATHS)))
    return tuple(kind for kind in SITE_FILE_PATHS if kind in wanted)
