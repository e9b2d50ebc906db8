"""Runs the enabled signal parsers over a URL or a response and combines their evidence.

The one code path from signals to a verdict, shared by the middlewares, the CLI and the tests.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .formats.htmlhead import NO_HEAD_TAGS
from .memo import Memo
from .pathclasses import SiteClasses
from .verdict import Evidence, Purpose, Verdict, combine, extend

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .formats.htmlhead import HeadInterest
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
    the parsers' own. Site-wide evidence is decided once per origin and path class: parsers
    that implement ``site_key`` say which of their rules decide a URL (the built-in ones state
    their path tests once per origin, and one index names the class: pathclasses.py), and the
    combined site verdict is kept per (site files, keys) and shared; a response adds its own
    evidence to it (:func:`~optout_middleware.verdict.extend`), so nothing is combined twice.

    ``head_interest`` is the union of the response parsers' head interests: build the
    :class:`~optout_middleware.inputs.ResponseView` passed to :meth:`after_download` with it,
    so that only the ``<head>`` tags some parser reads are read.
    """

    __slots__ = (
        "_decisions",
        "_keyed",
        "_per_url",
        "_response_signals",
        "_site_signals",
        "context",
        "head_interest",
        "purpose",
        "signals",
    )

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
        self.head_interest = _head_interest(self._response_signals, context)
        # Path classes: the site parsers up to the first one that cannot name its rules (a
        # custom parser without site_key) share one verdict per class; that one and those
        # after it are asked per URL and added in order, so the evidence order never changes.
        keyed: list[SignalParser] = []
        for signal in self._site_signals:
            if type(signal).site_key is SignalParser.site_key:
                break
            keyed.append(signal)
        self._keyed = tuple(keyed)
        self._per_url = self._site_signals[len(keyed) :]
        # id(site) -> its path classes and their verdicts (pathclasses.py); the entry keeps
        # its site alive, so no other SiteFiles can take its id while it is remembered.
        self._decisions: Memo[int, SiteClasses] = Memo(_SITES_REMEMBERED)

    def site_evidence(self, url: str, site: SiteFiles) -> tuple[Evidence, ...]:
        """Evidence from the origin's site files for ``url`` (known before download)."""
        return self._evidence(self._site_signals, url, site)

    def _evidence(
        self, signals: tuple[SignalParser, ...], url: str, site: SiteFiles
    ) -> tuple[Evidence, ...]:
        found: list[Evidence] = []
        for signal in signals:
            found.extend(
                _run(signal, "site_evidence", signal.site_evidence, site, url, self.context)
            )
        return tuple(found)

    def before_download(self, url: str, site: SiteFiles) -> Verdict:
        """The verdict that site-wide signals alone give ``url`` (shared by its path class)."""
        entry = self._decisions.get(id(site))
        if entry is None or entry.site is not site:
            entry = self._decisions.put(id(site), SiteClasses(site, self._keyed, self.context))
        shared, key = entry.classify(url)
        verdicts = entry.verdicts
        verdict = verdicts.get(key)
        if verdict is None:
            keyed = self._keyed if shared == len(self._keyed) else self._keyed[:shared]
            verdict = verdicts.put(key, combine(self.purpose, self._evidence(keyed, url, site)))
        if shared < len(self._keyed):  # a family could not name its class for this URL
            return extend(verdict, self._evidence(self._keyed[shared:] + self._per_url, url, site))
        if self._per_url:
            return extend(verdict, self._evidence(self._per_url, url, site))
        return verdict

    def after_download(
        self,
        response: ResponseView,
        site: SiteFiles,
        site_evidence: Verdict | tuple[Evidence, ...] | None = None,
    ) -> Verdict:
        """The verdict for a downloaded response: site-wide evidence plus the response's own.

        Pass the site verdict of :meth:`before_download` (or its evidence) to avoid computing
        it twice. Without response evidence the result is that site verdict itself.
        """
        if site_evidence is None:
            base = self.before_download(response.url, site)
        elif isinstance(site_evidence, Verdict):
            base = site_evidence
        else:
            base = combine(self.purpose, site_evidence)
        found: list[Evidence] = []
        context = self.context
        for signal in self._response_signals:  # _run, inlined: this loop runs per response
            try:
                got = signal.response_evidence(response, context)
                if got:  # () from a family without signals here: nothing to copy
                    found.extend(got if type(got) in _SEQUENCES else tuple(got))
            except Exception as exc:  # noqa: BLE001, PERF203  (a try costs ~nothing)
                found.extend(_failed(signal, "response_evidence", exc))
        return extend(base, found)


def _head_interest(signals: Sequence[SignalParser], context: Context) -> HeadInterest | None:
    """The ``<head>`` tags some response parser reads (None: any, some parser cannot say)."""
    interest = NO_HEAD_TAGS
    for signal in signals:
        wanted = signal.head_interest(context)
        if wanted is None:
            return None
        interest |= wanted
    return interest


_SITES_REMEMBERED = 1024  # origins whose path-class verdicts are kept (each holds its files)


_SEQUENCES = (tuple, list)  # results taken as they are; anything else is iterated inside the try


def _run(signal: SignalParser, hook: str, func: object, *args: object) -> Iterable[Evidence]:
    """Call a parser hook; a parser bug is logged and recorded, never raised mid-crawl."""
    try:
        return tuple(func(*args))  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001  (a custom parser must not take the crawl down)
        return _failed(signal, hook, exc)


def _failed(signal: SignalParser, hook: str, exc: Exception) -> tuple[Evidence, ...]:
    """Log a parser's exception and record it as evidence with no stance."""
    logger.error(
        "signal parser %(family)s failed in %(hook)s",
        {"family": signal.family, "hook": hook},
        exc_info=exc,  # what logger.exception logged: the parser's traceback
    )
    return (
        Evidence(
            family=signal.family,
            source="parser",
            value=repr(exc),
            note=f"parser error in {hook}; no stance taken",
        ),
    )
