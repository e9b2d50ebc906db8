"""Runs the enabled signal parsers over a URL or a response and combines their evidence.

The one code path from signals to a verdict, shared by the middlewares, the CLI and the tests.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .verdict import Evidence, Purpose, Verdict, combine

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .inputs import Context, ResponseView, SiteFiles
    from .plugin import SignalParser

__all__ = ["FAMILIES", "Evaluator", "builtin_signals"]

logger = logging.getLogger(__name__)

# Built-in families, in evaluation order (site files first, then headers, then the head).
FAMILIES: tuple[str, ...] = (
    "robotstxt",
    "aipref",
    "content-signal",
    "tdmrep",
    "aitxt",
    "robots-meta",
    "licence",
    "iptc",
    "c2pa",
    "rsl",
)


def builtin_signals(families: Iterable[str] | None = None) -> list[SignalParser]:
    """Instances of the built-in parsers, restricted to ``families`` when given."""
    from .signals.aipref import AiprefSignal  # noqa: PLC0415  (keeps import of this module cheap)
    from .signals.aitxt import AiTxtSignal  # noqa: PLC0415
    from .signals.c2pa import C2paSignal  # noqa: PLC0415
    from .signals.contentsignal import ContentSignal  # noqa: PLC0415
    from .signals.iptc import IptcSignal  # noqa: PLC0415
    from .signals.licence import LicenceSignal  # noqa: PLC0415
    from .signals.robotsai import RobotsSignal  # noqa: PLC0415
    from .signals.robotsmeta import RobotsMetaSignal  # noqa: PLC0415
    from .signals.rsl import RslSignal  # noqa: PLC0415
    from .signals.tdmrep import TdmRepSignal  # noqa: PLC0415

    every: list[SignalParser] = [
        RobotsSignal(),
        AiprefSignal(),
        ContentSignal(),
        TdmRepSignal(),
        AiTxtSignal(),
        RobotsMetaSignal(),
        LicenceSignal(),
        IptcSignal(),
        C2paSignal(),
        RslSignal(),
    ]
    if families is None:
        return every
    wanted = set(families)
    return [s for s in every if s.family in wanted]


class Evaluator:
    """Evaluates URLs and responses for one purpose with a fixed set of parsers.

    Build one per crawl: everything per-crawl is hoisted here, so the per-response work is only
    the parsers' own.
    """

    __slots__ = ("_response_signals", "_site_signals", "context", "purpose", "signals")

    def __init__(
        self, purpose: Purpose | str, context: Context, signals: Sequence[SignalParser]
    ) -> None:
        self.purpose = Purpose.parse(purpose)
        self.context = context
        self.signals = tuple(signals)
        # Only call hooks a parser overrides: most families work on one side only.
        from .plugin import SignalParser  # noqa: PLC0415

        self._site_signals = tuple(
            s for s in self.signals if type(s).site_evidence is not SignalParser.site_evidence
        )
        self._response_signals = tuple(
            s
            for s in self.signals
            if type(s).response_evidence is not SignalParser.response_evidence
        )

    def site_evidence(self, url: str, site: SiteFiles) -> tuple[Evidence, ...]:
        """Evidence from the origin's site files for ``url`` (known before download)."""
        found: list[Evidence] = []
        for signal in self._site_signals:
            found.extend(
                _run(signal, "site_evidence", signal.site_evidence, site, url, self.context)
            )
        return tuple(found)

    def before_download(self, url: str, site: SiteFiles) -> Verdict:
        """The verdict that site-wide signals alone give ``url``."""
        return combine(self.purpose, self.site_evidence(url, site))

    def after_download(
        self,
        response: ResponseView,
        site: SiteFiles,
        site_evidence: tuple[Evidence, ...] | None = None,
    ) -> Verdict:
        """The verdict for a downloaded response: site-wide evidence plus the response's own.

        Pass the ``site_evidence`` computed before download to avoid computing it twice.
        """
        found = list(
            self.site_evidence(response.url, site) if site_evidence is None else site_evidence
        )
        for signal in self._response_signals:
            found.extend(
                _run(signal, "response_evidence", signal.response_evidence, response, self.context)
            )
        return combine(self.purpose, found)


def _run(signal: SignalParser, hook: str, func: object, *args: object) -> Iterable[Evidence]:
    """Call a parser hook; a parser bug is logged and recorded, never raised mid-crawl."""
    try:
        return tuple(func(*args))  # type: ignore[operator]
    except Exception as exc:  # a custom parser must not take the crawl down
        logger.exception(
            "signal parser %(family)s failed in %(hook)s", {"family": signal.family, "hook": hook}
        )
        return (
            Evidence(
                family=signal.family,
                source="parser",
                value=repr(exc),
                note=f"parser error in {hook}; no stance taken",
            ),
        )
