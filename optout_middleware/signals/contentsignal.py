"""Cloudflare Content Signals (specs.md section 3): ``Content-Signal`` in robots.txt and headers.

This module owns the ``Content-Signal`` robots.txt line and HTTP header. There is no normative
grammar, so values are read per spec 3.5 [inferred]: split on ``,``, trim, split each item on
its first ``=``, lower-case key and value. Keys map to purposes (spec 3.4): ``search`` is
:attr:`Purpose.SEARCH`, ``ai-input`` :attr:`Purpose.AI_INPUT`, ``ai-train``
:attr:`Purpose.TRAIN_AI` (Cloudflare: any model training, not only generative).

Values: ``yes`` allows; ``no`` and the negative-looking values in :data:`NO_VALUES` (emitted
by some frameworks) disallow; anything else, including ``allow`` or ``true``, is unknown: a
reading may be lenient only towards "no". One pair of surrounding double quotes is dropped.
An item the reading above ignores is searched for a "no" written with ``;`` or spaces between
pairs, ``:`` for ``=``, single quotes or a non-ASCII space (review F8); its "yes" stays unread.
Repeated keys, in one line or across the lines of a group or header, merge with "no" winning.

``use`` (2026: ``immediate`` < ``reference`` < ``full``, least to most permissive) says how AI
systems may consume content; it maps to none of our purposes, so it is recorded in
:attr:`ContentSignals.use` and the evidence note only (repeats keep the least permissive).

Scope in robots.txt (spec 3.5 step 5, 3.7): the lines of the group selected for our product
token; when that group has none and ``Context.wildcard_group_signals`` is on, those of the
``*`` group. Lines before the first ``User-agent`` are a site-wide default with lower
priority: they count for each purpose that the applicable group's lines do not set. Content
signals do not change crawl permission, so they are read whether or not the URL is crawlable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from optout_middleware.formats.htmlhead import NO_HEAD_TAGS, HeadInterest
from optout_middleware.formats.pathindex import URL_INDEPENDENT, PathTests
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, Stance

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.formats.robotstxt import Record, RobotsTxt
    from optout_middleware.inputs import Context, ResponseView, SiteFiles
    from optout_middleware.verdict import Stances

__all__ = [
    "FAMILY",
    "HEADER",
    "KEYS",
    "NO_VALUES",
    "USE_LEVELS",
    "ContentSignal",
    "ContentSignals",
    "parse_content_signal",
]

FAMILY = "content-signal"
HEADER = "Content-Signal"
ROBOTS_FIELD = "content-signal"

KEYS: dict[str, Purpose] = {
    "search": Purpose.SEARCH,
    "ai-input": Purpose.AI_INPUT,
    "ai-train": Purpose.TRAIN_AI,
}
# Values read as "no" (spec 3.7 [inferred]): Cloudflare's "no" plus the negative spellings seen
# from frameworks and config files. Only ever widened towards "no", never towards "yes".
NO_VALUES = frozenset({"no", "n", "false", "0", "off", "disallow", "disallowed", "deny", "denied"})
YES_VALUE = "yes"
USE_LEVELS: tuple[str, ...] = ("immediate", "reference", "full")  # least to most permissive
_USE_RANK = {level: rank for rank, level in enumerate(USE_LEVELS)}
_OWS = " \t"


@dataclass(frozen=True, slots=True)
class ContentSignals:
    """One or more ``Content-Signal`` values as read; ``None`` is "no signal" (unknown).

    ``ignored`` lists the items that set nothing (unknown keys, unknown values, items without
    ``=``), as written; ``lenient`` the negative values other than ``no`` that were read as no.
    """

    raw: str
    search: Stance | None = None
    ai_input: Stance | None = None
    ai_train: Stance | None = None
    use: str | None = None
    ignored: tuple[str, ...] = ()
    lenient: tuple[str, ...] = ()

    def get(self, key: str) -> Stance | None:
        """The stance for ``key`` (``search``, ``ai-input`` or ``ai-train``)."""
        if key == "search":
            return self.search
        if key == "ai-input":
            return self.ai_input
        if key == "ai-train":
            return self.ai_train
        return None

    @property
    def stances(self) -> Stances:
        """The purposes these signals set."""
        return tuple(
            (purpose, stance)
            for key, purpose in KEYS.items()
            if (stance := self.get(key)) is not None
        )


def _merge_stance(old: Stance | None, new: Stance | None) -> Stance | None:
    if old is Stance.DISALLOWED or new is None:
        return old
    return new


def _merge_use(old: str | None, new: str | None) -> str | None:
    if old is None or new is None:
        return old or new
    return old if _USE_RANK[old] <= _USE_RANK[new] else new


def parse_content_signal(value: str | bytes) -> ContentSignals:
    """Read one ``Content-Signal`` value (spec 3.5 [inferred]); never raises."""
    raw = value.decode("latin-1") if isinstance(value, bytes) else value
    found: dict[str, Stance] = {}
    use: str | None = None
    ignored: list[str] = []
    lenient: list[str] = []
    for item in raw.split(","):
        text = item.strip(_OWS)
        if not text:
            continue
        key, eq, val = text.partition("=")
        key, val = key.strip(_OWS).lower(), val.strip(_OWS).lower()
        if len(val) > 1 and val[0] == val[-1] == '"':
            val = val[1:-1].strip(_OWS)
        if not eq:
            ignored.append(text)
            _lenient_no(text, found, lenient)
        elif key in KEYS:
            if val == YES_VALUE:
                stance = Stance.ALLOWED
            elif val in NO_VALUES:
                stance = Stance.DISALLOWED
                if val != "no":
                    lenient.append(text)
            else:
                ignored.append(text)
                _lenient_no(text, found, lenient)
                continue
            merged = _merge_stance(found.get(key), stance)
            if merged is not None:
                found[key] = merged
        elif key == "use" and val in _USE_RANK:
            use = _merge_use(use, val)
        else:
            ignored.append(text)
            _lenient_no(text, found, lenient)
    return ContentSignals(
        raw=raw,
        search=found.get("search"),
        ai_input=found.get("ai-input"),
        ai_train=found.get("ai-train"),
        use=use,
        ignored=tuple(ignored),
        lenient=tuple(lenient),
    )


def _lenient_no(text: str, found: dict[str, Stance], lenient: list[str]) -> None:
    """A "no" in an item the standard reading ignored (review F8): ``;`` or spaces between
    pairs, ``:`` for ``=``, quotes, any Unicode space. Only towards "no": a "yes" read this way
    would be a guess. Linear: the item is split into words once."""
    words: list[str] = []
    for word in text.replace(";", " ").split():  # str.split(): every Unicode space
        if words and (word[0] in "=:" or words[-1][-1] in "=:"):
            words[-1] += word  # "ai-train = no", "ai-train: no"
        else:
            words.append(word)
    for word in words:
        sep = "=" if "=" in word else ":"
        key, found_sep, val = word.partition(sep)
        key, val = key.lower(), val.strip("\"'").lower()
        if found_sep and key in KEYS and val in NO_VALUES:
            found[key] = Stance.DISALLOWED
            lenient.append(f"{key}={val} (in {text!r})")


_CACHE_MAX_CHARS = 2048  # longer values are parsed each time rather than pinned in a cache
_parse_cached = lru_cache(maxsize=512)(parse_content_signal)  # a site repeats a few values


def _read(value: str) -> ContentSignals:
    return _parse_cached(value) if len(value) <= _CACHE_MAX_CHARS else parse_content_signal(value)


def _note(signals: ContentSignals, *extra: str) -> str:
    parts = list(extra)
    if signals.use is not None:
        parts.append(f"use={signals.use} recorded (how AI may consume content; no stance)")
    if signals.lenient:
        parts.append("non-standard negative values read as no: " + ", ".join(signals.lenient))
    if signals.ignored:
        parts.append("ignored: " + ", ".join(signals.ignored))
    if not signals.stances and not parts:
        parts.append("no search, ai-input or ai-train value: all unknown")
    return "; ".join(p for p in parts if p)


_BUILT_LIMIT = 1024  # cached evidence tuples; they hold their files alive, so bounded
_Built = tuple["RobotsTxt", "Context", tuple[Evidence, ...]]


class ContentSignal(SignalParser):
    """Content Signals from robots.txt groups and the ``Content-Signal`` header."""

    family: ClassVar[str] = FAMILY

    def __init__(self) -> None:
        # (id(robots.txt), id(context), its URL) -> (robots.txt, context, its evidence): the
        # entry keeps alive the objects whose ids key it, so no other object can take those ids
        self._built: Memo[tuple[int, int, str], _Built] = Memo(_BUILT_LIMIT)

    def head_interest(self, context: Context) -> HeadInterest:
        """Nothing: Content-Signal is read from headers, not the head."""
        return NO_HEAD_TAGS

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """All header lines read as one value; repeated keys merge, "no" winning."""
        lines = response.header(HEADER)
        if not lines:
            return ()
        value = ", ".join(t for line in lines if (t := line.strip(_OWS)))
        signals = _read(value)
        how = f"{len(lines)} header lines merged" if len(lines) > 1 else ""
        return (
            Evidence(
                family=FAMILY,
                source="header",
                value=value,
                stances=signals.stances,
                location=HEADER,
                note=_note(signals, how),
            ),
        )

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """One evidence per ``Content-Signal`` line that applies to our crawler (module doc)."""
        robots = site.robots
        parsed = robots.parsed
        records = site.robots_records(ROBOTS_FIELD, context)
        if not records or parsed is None:
            return ()
        # The lines apply to the whole site, not to a path: read once per file and context.
        key = (id(parsed), id(context), robots.url)
        cached = self._built.get(key)
        if cached is not None:
            return cached[2]
        evidence = self._read_robots(parsed, records, robots.url, context)
        return self._built.put(key, (parsed, context, evidence))[2]

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """Always the same: the lines apply to the whole site, not to a path."""
        return ()

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests:
        """None: the lines apply to the whole site, not to a path."""
        return URL_INDEPENDENT

    def _read_robots(
        self, parsed: RobotsTxt, records: tuple[Record, ...], url: str, context: Context
    ) -> tuple[Evidence, ...]:
        agent = context.user_agent
        preamble = tuple(r for r in parsed.preamble if r.field == ROBOTS_FIELD)
        first = records[0]
        found: list[Evidence] = []
        if not any(r is first for r in preamble):  # else the group set nothing: defaults only
            group = parsed.group_for(agent)
            named = group is not None and any(r is first for r in group.records)
            scope = agent if named and parsed.names_agent(agent) else "*"
            how = "" if named else "from the '*' group: ours has none (wildcard_group_signals)"
            for record in records:
                signals = _read(record.value)
                found.append(
                    _robots_evidence(record, url, scope, signals.stances, _note(signals, how))
                )
        covered = {p for ev in found for p, _ in ev.stances}
        for record in preamble:
            signals = _read(record.value)
            kept = tuple((p, s) for p, s in signals.stances if p not in covered)
            how = "before the first User-agent line: site-wide default"
            if len(kept) < len(signals.stances):
                names = ", ".join(p.value for p, _ in signals.stances if p in covered)
                how += f", superseded by group lines for {names}"
            found.append(_robots_evidence(record, url, None, kept, _note(signals, how)))
        return tuple(found)


def _robots_evidence(
    record: Record, url: str, scope: str | None, stances: Stances, note: str
) -> Evidence:
    return Evidence(
        family=FAMILY,
        source="robots.txt",
        value=record.value,
        stances=stances,
        location=f"line {record.line}",
        agent=scope,
        url=url,
        note=note,
    )
