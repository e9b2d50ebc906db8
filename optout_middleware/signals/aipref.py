"""IETF AI preferences (specs.md section 2): the ``Content-Usage`` header and robots.txt rule.

This module owns both attachments of draft-ietf-aipref-attach-05: the HTTP ``Content-Usage``
field and the robots.txt ``Content-Usage`` rule, and which rule applies to a URL. What a value
means (the vocab-08 labels, legacy labels, CC signals parameters) is read by
:mod:`~optout_middleware.signals.aiprefvocab`; its names are re-exported here.

robots.txt scope: the rules of the group RFC 9309 selects for ``Context.user_agent``; when that
group has none and ``Context.wildcard_group_signals`` is on (the default), those of the ``*``
group (attach-05 itself has no such inheritance: turn the option off for the strict reading).
Rules before the first ``User-agent`` line belong to no group and attach-05 gives them no
meaning; when no group rule applies they are read as a site-wide default, the policy spec 3.7
recommends for ``Content-Signal``, so a "no" written there is not lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from optout_middleware.formats.htmlhead import NO_HEAD_TAGS, HeadInterest
from optout_middleware.formats.pathindex import ROBOTS_TXT, URL_INDEPENDENT, PathTests
from optout_middleware.formats.patterns import request_target
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence

from .aiprefvocab import (
    LABELS,
    LEGACY_LABELS,
    UsagePreferences,
    UsageRule,
    parse_rule,
    parse_usage,
    stances_for,
)
from .aiprefvocab import join_notes as _join
from .aiprefvocab import read_rule as _read_rule
from .aiprefvocab import read_usage as _read

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.formats.patterns import PathPattern
    from optout_middleware.formats.robotstxt import Record, RobotsTxt
    from optout_middleware.inputs import Context, ResponseView, SiteFiles

__all__ = [
    "FAMILY",
    "HEADER",
    "LABELS",
    "LEGACY_LABELS",
    "AiprefSignal",
    "UsagePreferences",
    "UsageRule",
    "parse_rule",
    "parse_usage",
    "stances_for",
]

FAMILY = "aipref"
HEADER = "Content-Usage"
ROBOTS_FIELD = "content-usage"  # robots.txt field names are compared lower-cased

_BUILT_LIMIT = 4096  # cached evidence tuples; they hold their files alive, so bounded
_Built = tuple["RobotsTxt", "Context", tuple[Evidence, ...]]
_COMPILED_LIMIT = 64  # (robots.txt, context) pairs; they hold their files alive, so keep small
_Compiled = tuple["RobotsTxt", "Context", "_Rules"]


class AiprefSignal(SignalParser):
    """aipref preferences from the ``Content-Usage`` header and robots.txt rules."""

    family: ClassVar[str] = FAMILY

    def __init__(self) -> None:
        # (id(robots.txt), id(context), its URL, ids of the winning records) -> (robots.txt,
        # context, evidence): the entry keeps alive the objects whose ids key it
        self._built: Memo[tuple[int, int, str, tuple[int, ...]], _Built] = Memo(_BUILT_LIMIT)
        # (id(robots.txt), id(context)) -> (robots.txt, context, its rules, most specific first)
        self._compiled: Memo[tuple[int, int], _Compiled] = Memo(_COMPILED_LIMIT)

    def head_interest(self, context: Context) -> HeadInterest:
        """Nothing: Content-Usage is read from headers, not the head."""
        return NO_HEAD_TAGS

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """One statement per response: every header line joined with ", " (RFC 9651 4.2).

        Each line is trimmed of SP/HTAB first (RFC 9110: field values exclude them), and empty
        lines are dropped: they add no member, and joining them would make a trailing comma.
        """
        lines = response.header(HEADER)
        if not lines:
            return ()
        value = ", ".join(t for line in lines if (t := line.strip(" \t")))
        prefs = _read(value)
        stances, note = stances_for(prefs, legacy=context.aipref_legacy_labels)
        if len(lines) > 1:
            note = _join(f"{len(lines)} header lines combined into one field", note)
        return (
            Evidence(
                family=FAMILY,
                source="header",
                value=value,
                stances=stances,
                location=HEADER,
                note=note,
            ),
        )

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """The robots.txt ``Content-Usage`` rule(s) that apply to ``url`` for our crawler.

        Preferences attach only to crawlable resources, so a URL robots.txt disallows gets
        none. Among the rules of the selected group, the longest matching path wins; rules of
        equal length all apply and combine most restrictively (attach-05: identical paths,
        vocab section 5.1). A rule without a path matches everything with length 0, but it
        combines with a competing ``/`` rule instead of losing to it (spec 2.7 [inferred]): so
        it ranks as ``/`` does.
        """
        robots = site.robots
        parsed = robots.parsed
        winners = self._winners(site, url, context)
        if not winners or parsed is None:
            return ()
        # The evidence depends on the winning rules, not on the URL: built once per file.
        key = (id(parsed), id(context), robots.url, tuple(id(r) for r, _ in winners))
        cached = self._built.get(key)
        if cached is not None:
            return cached[2]
        # Every applicable record comes from one place (a group or the preamble): any tells it.
        scope, how = _scope(parsed, context.user_agent, winners[0][0])
        tie = ""
        if len(winners) > 1:
            lines = ", ".join(str(r.line) for r, _ in winners)
            tie = f"equally specific rules on lines {lines} combine most restrictively"
            paths = {rule.path for _, rule in winners}
            if None in paths and len(paths) > 1:
                tie += " (a rule without a path ranks with '/', spec 2.7)"
        found = []
        for record, rule in winners:
            stances, note = stances_for(rule.preference, legacy=context.aipref_legacy_labels)
            found.append(
                Evidence(
                    family=FAMILY,
                    source="robots.txt",
                    value=record.value,
                    stances=stances,
                    location=f"line {record.line}",
                    agent=scope,
                    path=rule.path,
                    url=robots.url,
                    note=_join(how, tie, note),
                )
            )
        evidence = tuple(found)
        return self._built.put(key, (parsed, context, evidence))[2]

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """The lines of the winning ``Content-Usage`` rules (none for an uncrawlable URL)."""
        return tuple(record.line for record, _ in self._winners(site, url, context))

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests:
        """Every pattern :meth:`_winners` consults: the ``Content-Usage`` paths, and our own
        group's Allow/Disallow rules with the /robots.txt exemption (is the URL crawlable)."""
        parsed = site.robots.parsed
        records = site.robots_records(ROBOTS_FIELD, context)
        if not records or parsed is None:
            return URL_INDEPENDENT
        group = parsed.group_for(context.user_agent)
        crawl = tuple(rule.pattern for rule in group.rules) if group is not None else ()
        usage = self._rules(parsed, context, records).patterns()
        return PathTests((*ROBOTS_TXT, *crawl, *usage))

    def _winners(
        self, site: SiteFiles, url: str, context: Context
    ) -> list[tuple[Record, UsageRule]]:
        """The ``Content-Usage`` records that apply to ``url``: the longest matching path wins,
        equally long ones all apply (:meth:`site_evidence`); none for an uncrawlable URL."""
        parsed = site.robots.parsed
        records = site.robots_records(ROBOTS_FIELD, context)
        if not records or parsed is None or not parsed.allowed(url, context.user_agent):
            return []
        return self._rules(parsed, context, records).winners(request_target(url))

    def _rules(self, parsed: RobotsTxt, context: Context, records: tuple[Record, ...]) -> _Rules:
        """The group's rules parsed and indexed once per file and context (review F5: parsing
        them again for every URL made each URL cost as much as the whole file)."""
        key = (id(parsed), id(context))
        entry = self._compiled.get(key)
        if entry is not None and entry[0] is parsed and entry[1] is context:
            return entry[2]
        return self._compiled.put(key, (parsed, context, _Rules(records)))[2]


class _Rules:
    """One group's ``Content-Usage`` rules, indexed by the literal start of their path.

    A pattern can only match a target that starts with its text up to the first ``*`` or
    ``$``, so a URL looks up each of its own prefixes of a length some pattern starts with:
    the work per URL follows the URL's length and the rules that could match it, not the
    number of lines in the file.
    """

    __slots__ = ("_by_prefix", "_lengths", "_pathless")

    def __init__(self, records: tuple[Record, ...]) -> None:
        self._pathless: list[tuple[Record, UsageRule]] = []
        self._by_prefix: dict[str, list[tuple[Record, UsageRule]]] = {}
        for record in records:
            rule = _read_rule(record.value)
            if rule.pattern is None:
                self._pathless.append((record, rule))
            else:
                self._by_prefix.setdefault(rule.pattern.literal_prefix, []).append((record, rule))
        self._lengths = sorted({len(p) for p in self._by_prefix})

    def patterns(self) -> tuple[PathPattern, ...]:
        """The path of every rule that has one (the others match every URL)."""
        return tuple(
            rule.pattern
            for rules in self._by_prefix.values()
            for _, rule in rules
            if rule.pattern is not None
        )

    def winners(self, target: str) -> list[tuple[Record, UsageRule]]:
        """The matching rules of the highest rank, in file order (all of them combine)."""
        best = -1
        found: list[tuple[Record, UsageRule]] = []
        candidates = [self._pathless]
        for length in self._lengths:
            if length > len(target):
                break
            rules = self._by_prefix.get(target[:length])
            if rules is not None:
                candidates.append(rules)
        for rules in candidates:
            for record, rule in rules:
                if rule.rank < best or (
                    rule.pattern is not None and not rule.pattern.matches(target)
                ):
                    continue
                if rule.rank > best:
                    best, found = rule.rank, []
                found.append((record, rule))
        found.sort(key=lambda pair: pair[0].line)
        return found


def _scope(parsed: RobotsTxt, agent: str, first: Record) -> tuple[str | None, str]:
    """Which group the records came from: (agent scope, note on how it was chosen)."""
    group = parsed.group_for(agent)
    if group is not None and any(r is first for r in group.records):
        return (agent if parsed.names_agent(agent) else "*"), ""
    if any(r is first for r in parsed.preamble):
        return None, "before the first User-agent line: read as a site-wide default"
    return "*", "from the '*' group: our group has no Content-Usage (wildcard_group_signals)"
