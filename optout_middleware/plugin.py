"""The protocol every signal family implements, built-in or custom, and how custom ones load.

A signal parser turns what it can see into :class:`~optout_middleware.verdict.Evidence`:
``site_evidence`` before a request is downloaded (from the origin's site files and the URL), and
``response_evidence`` after (from headers and the HTML head). The evaluator calls every enabled
parser and combines the evidence; a parser never decides a verdict on its own.

Custom parsers are registered by import path (setting ``OPTOUT_SIGNALS``) or by a Python entry
point in the group ``optout_middleware.signals``, like itemadapter's ``ADAPTER_CLASSES``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, ClassVar

from .errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from .formats.htmlhead import HeadInterest
    from .inputs import Context, ResponseView, SiteFiles
    from .verdict import Evidence

__all__ = ["ENTRY_POINT_GROUP", "SignalParser", "load_signal", "load_signals"]

ENTRY_POINT_GROUP = "optout_middleware.signals"


class SignalParser:
    """Base class for one signal family; override one or both hooks.

    Subclasses set ``family`` (a stable, lower-case name used in evidence, stats and settings).
    Hooks must not raise on bad input: skip what cannot be read, or record it as evidence with
    no stances and a ``note``. They run on every request or response, so keep them cheap.
    """

    family: ClassVar[str] = ""

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """Evidence known before download, from the origin's site files and the URL."""
        return ()

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """Evidence from one downloaded response (headers, and ``response.head`` for HTML)."""
        return ()

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """Optional: which of the site files' rules decide ``url`` (its "path class").

        Two URLs of one origin with equal keys must get equal ``site_evidence`` (same site
        files, same context): the evaluator then combines the site evidence once per key and
        shares the verdict. Build keys from values (rule line numbers, indexes), never from
        ``id()``. ``None`` (the default) means "cannot say": ``site_evidence`` is called for
        this URL, as for any parser that does not override this hook.
        """
        return None

    def head_interest(self, context: Context) -> HeadInterest | None:
        """Optional: the ``<head>`` tags ``response_evidence`` reads, by meta name and link rel.

        None (the default) means "any": the head is read whole for every HTML page. When every
        enabled parser states its interest, ``response.head`` holds only the tags some parser
        named (lxml still parses the whole head; reading the dozen tags no family looks at is
        what is saved). A parser that never reads ``response.head`` returns ``HeadInterest()``;
        one that does not override ``response_evidence`` needs nothing here.
        """
        return None


def load_signal(path: str) -> SignalParser:
    """Import ``package.module.ClassName`` (or ``package.module:ClassName``) and instantiate it."""
    module_name, sep, attr = path.replace(":", ".").rpartition(".")
    if not sep or not module_name:
        raise ConfigError(f"signal parser {path!r} is not an import path like 'pkg.mod.Class'")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import signal parser {path!r}: {exc}") from exc
    return _instantiate(obj, path)


def _instantiate(obj: object, name: str) -> SignalParser:
    parser = obj() if isinstance(obj, type) else obj
    if not isinstance(parser, SignalParser) or not parser.family:
        raise ConfigError(
            f"signal parser {name!r} must be a SignalParser subclass with a 'family' name"
        )
    return parser


def load_signals(paths: Iterable[str] = (), *, use_entry_points: bool = True) -> list[SignalParser]:
    """Custom parsers from import paths, then from installed entry points (each family once)."""
    parsers = [load_signal(p) for p in paths]
    if use_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
            except Exception as exc:  # a broken third-party package must say which one
                raise ConfigError(f"cannot load signal entry point {ep.name!r}: {exc}") from exc
            parsers.append(_instantiate(obj, ep.name))
    seen: set[str] = set()
    unique = []
    for parser in parsers:
        if parser.family not in seen:
            seen.add(parser.family)
            unique.append(parser)
    return unique
