"""The path classes of one origin for one evaluator: which URLs share one site verdict.

The site families' evidence for a URL depends on the URL only through tests on its path, so
the evaluator combines it once per class of URLs that pass the same tests and shares the
verdict (``Evaluator.before_download``). A built-in family states its tests once per origin
(``site_tests``, returning :class:`~optout_middleware.formats.pathindex.PathTests`), and one
:class:`~optout_middleware.formats.pathindex.PathIndex` over all of them gives a URL's class in
one walk: one request-target normalisation and one bisect per URL, instead of each family's own
lookups. A family that cannot state its tests (a custom parser with ``site_key``, RSL with
licence documents) is asked for its key per URL as before; when one answers None, the families
before it still share their verdict and it and those after it are evaluated per URL, so the
evidence keeps its order.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .formats.pathindex import PathIndex, PathTests
from .formats.patterns import request_target
from .memo import Memo

if TYPE_CHECKING:
    from collections.abc import Hashable

    from .inputs import Context, SiteFiles
    from .plugin import SignalParser
    from .verdict import Verdict

__all__ = ["CLASSES_PER_SITE", "INDEX_AFTER_URLS", "SiteClasses"]

logger = logging.getLogger(__name__)

CLASSES_PER_SITE = 512  # distinct path classes kept per origin; a real file has a handful
# The index costs about as much to build as a few URLs cost without it (~1 us per pattern):
# an origin's first URLs use the families' own keys, and the index is built on this one.
INDEX_AFTER_URLS = 4


class SiteClasses:
    """One origin's index, the families asked per URL, and the shared verdict per class."""

    __slots__ = (
        "_asked",
        "_context",
        "_index",
        "_keyed",
        "_signals",
        "_until_index",
        "site",
        "verdicts",
    )

    def __init__(self, site: SiteFiles, keyed: tuple[SignalParser, ...], context: Context) -> None:
        self.site = site  # kept alive: the evaluator remembers this entry under id(site)
        self.verdicts: Memo[Hashable, Verdict] = Memo(CLASSES_PER_SITE)
        self._context = context
        self._signals = keyed
        self._keyed = len(keyed)
        self._index: PathIndex | None = None
        self._asked = tuple(enumerate(keyed))  # until the index is built: every family's key
        self._until_index = INDEX_AFTER_URLS

    def _build(self) -> None:
        """Gather the families' path tests and index them (once the origin has earned it)."""
        tests: list[PathTests] = []
        asked: list[tuple[int, SignalParser]] = []
        for position, signal in enumerate(self._signals):
            found = _site_tests(signal, self.site, self._context)
            if found is None:
                asked.append((position, signal))
            else:
                tests.append(found)
        index = PathIndex.build(tests) if tests else None
        if index is not None:  # else over the index's bounds (hostile file): keep the keys
            self._index = index
            self._asked = tuple(asked)

    def classify(self, url: str) -> tuple[int, Hashable]:
        """How many of the keyed families (in order) share a verdict for ``url``, and the key
        of its class among the URLs for which that many share."""
        keys: list[Hashable] = []
        index = self._index
        if index is not None:
            keys += (_BY_INDEX, index.key(request_target(url)))
        elif self._until_index:
            self._until_index -= 1
            if not self._until_index:
                self._build()
                return self.classify(url)
        for position, signal in self._asked:
            try:
                key = signal.site_key(self.site, url, self._context)
            except Exception:  # noqa: BLE001  (site_evidence records the failure per URL)
                key = None
            if key is None:
                return position, (position, *keys)
            keys.append(key)
        return self._keyed, (self._keyed, *keys)


# Marks the keys made with the index, so that no tuple of the families' own keys (used for an
# origin's first URLs) can equal one.
_BY_INDEX = object()


def _site_tests(signal: SignalParser, site: SiteFiles, context: Context) -> PathTests | None:
    """The family's path tests, when it states them for the evidence it gives (a subclass that
    overrides ``site_evidence`` or ``site_key`` but inherits ``site_tests`` is asked per URL)."""
    cls = type(signal)
    owner = next((k for k in cls.__mro__ if "site_tests" in vars(k)), None)
    if owner is None:
        return None
    for hook in ("site_evidence", "site_key"):
        if getattr(cls, hook) is not vars(owner).get(hook, getattr(owner, hook)):
            return None
    try:
        found = signal.site_tests(site, context)  # type: ignore[attr-defined]
    except Exception:
        logger.exception("signal parser %(family)s failed in site_tests", {"family": signal.family})
        return None
    return found if isinstance(found, PathTests) else None
