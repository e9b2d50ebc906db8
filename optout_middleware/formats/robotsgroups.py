"""A parsed robots.txt (RFC 9309): its groups and records, and the per-agent lookups over them.

This module owns what :func:`~optout_middleware.formats.robotstxt.parse` returns, and the
questions a crawl asks of it: which group applies to a crawler (:meth:`RobotsTxt.group_for`),
whether it may fetch a URL (:meth:`RobotsTxt.allowed`, acquisition) and which extension records
(``Content-Usage``, ``Content-Signal``, ...) apply to it (:meth:`RobotsTxt.extension_records`).
Answers are memoised per file, since every URL of a crawl asks them again. Reading the bytes is
:mod:`~optout_middleware.formats.robotstxt`'s; the public names are imported from there.

User-agent matching, as Google's reference parser reads it: a ``User-agent`` value is its first
word (up to the first space or tab), and of that word the leading run of letters, digits, ``-``,
``_`` and ``.``, lower-cased (:func:`agent_key`: ``GPTBot OpenAI``, ``GPTBot/1.1`` and
``gptbot*`` all name ``gptbot``). The crawler's name is compared whole, case-insensitively
(:func:`crawler_key`), so a ``Foo`` group never applies to ``FooBot``, and a name that is not a
product token (``Foo Bar``) matches no group. Google keeps only letters, ``-`` and ``_``; digits and
dots are kept here because real agent names have them (``img2dataset``, ``Ai2Bot-Dolma``,
``bigsur.ai``; specs.md 6.2), where Google would read ``AI2Bot`` as ``AI``.
``*`` alone (or followed by a space, comment or other non-name character) is the wildcard;
``*bot`` names nobody.

Matching (RFC 9309 sections 2.2.2-2.2.3, in :mod:`~optout_middleware.formats.robotsrules`): the longest
pattern in octets of its normal form wins, Allow wins ties, an empty pattern matches nothing;
here, ``/robots.txt`` is always allowed, and with no group for the agent and no ``*`` group
everything is allowed. Patterns and URLs are compared in the percent-normal form of
:mod:`~optout_middleware.formats.patterns`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from optout_middleware.memo import Memo

from .patterns import PathPattern, request_target
from .robotsrules import Rule, RuleSet, make_rule

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Group", "Record", "RobotsTxt", "agent_key", "crawler_key"]

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# A value's name: one character class (linear, no backtracking) that stops at the first space or
# tab, so it reads the first word only.
_AGENT_PREFIX = re.compile(r"[A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class Record:
    """Any other line inside (or before) a group: ``field`` lower-cased, ``value`` comment-free."""

    field: str
    value: str
    line: int


# An Allow/Disallow line not compiled yet: (allow, value as written, line). Tuples of atoms are
# left alone by the garbage collector, and most groups (search engines' bots) are never asked for.
_RawRule = tuple[bool, str, int]


class Group:
    """One group (or several merged for one agent): its agents, rules and extension records.

    The rules of a parsed group are compiled (:func:`make_rule`) on first use of ``rules``: a
    crawl asks for its own group, ``*`` and the AI tokens' groups, so the others stay as
    compact tuples that cost the garbage collector nothing.
    """

    __slots__ = ("_patterns", "_raw", "_rules", "agents", "line", "records")

    def __init__(
        self,
        agents: tuple[str, ...],
        rules: tuple[Rule, ...] = (),
        records: tuple[Record, ...] = (),
        line: int = 0,
        *,
        raw: tuple[_RawRule, ...] = (),
        patterns: dict[str, PathPattern] | None = None,
    ) -> None:
        self.agents = agents
        self.records = records
        self.line = line
        self._rules: tuple[Rule, ...] | None = None if raw else tuple(rules)
        self._raw = raw
        self._patterns = patterns  # shared by the groups of one file: equal patterns built once

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The group's Allow/Disallow rules, in file order."""
        rules = self._rules
        if rules is None:
            patterns = self._patterns
            rules = self._rules = tuple(make_rule(a, v, n, patterns) for a, v, n in self._raw)
            self._raw = ()
        return rules

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Group):
            return NotImplemented
        return (self.agents, self.rules, self.records, self.line) == (
            other.agents,
            other.rules,
            other.records,
            other.line,
        )

    def __hash__(self) -> int:
        return hash((self.agents, self.line))

    def __repr__(self) -> str:
        return (
            f"Group(agents={self.agents!r}, rules={self.rules!r}, records={self.records!r}, "
            f"line={self.line!r})"
        )


def agent_key(value: str) -> str:
    """The name a ``User-agent`` value addresses: its first word's leading name, lower-cased.

    ``"GPTBot OpenAI"`` and ``"GPTBot/1.1"`` give ``"gptbot"``; ``"*"`` (alone or followed by a
    non-name character) gives ``"*"``; ``""`` means the value names nobody (``*bot``, ``/x``).
    """
    value = value.strip()
    if value[:1] == "*":  # "*", "* all", "*/1.0": the wildcard; "*bot" names nobody
        return "" if value[1:2] in _NAME_CHARS else "*"
    token = _AGENT_PREFIX.match(value)
    return token.group().lower() if token else ""


def crawler_key(user_agent: str) -> str:
    """The key a crawler's name is looked up by: the whole name, lower-cased, as Google's
    matcher compares it with :func:`agent_key` of each value. A name with a space, a slash or
    other non-token characters matches no group (only the ``*`` group applies to it)."""
    name = user_agent.strip()
    if name[:1] == "*":
        return "*" if name[1:2] not in _NAME_CHARS else ""
    return " ".join(name.lower().split())


class _Selected:
    """The merged group an agent key selects, and whether the agent was named (not ``*``)."""

    __slots__ = ("_ruleset", "group", "named")

    def __init__(self, group: Group, named: bool) -> None:
        self.group = group
        self.named = named
        self._ruleset: RuleSet | None = None

    @property
    def ruleset(self) -> RuleSet:
        if self._ruleset is None:
            self._ruleset = RuleSet(self.group.rules)
        return self._ruleset


_CACHE_LIMIT = 256  # distinct agent strings remembered per file; a crawl asks for a handful


class RobotsTxt:
    """A parsed robots.txt: groups as written, plus per-agent lookups (memoised)."""

    __slots__ = (
        "_by_key",
        "_last_match",
        "_merged",
        "_records",
        "_selected",
        "groups",
        "ignored_rules",
        "preamble",
        "sitemaps",
        "size",
        "truncated",
    )

    def __init__(
        self,
        groups: Iterable[Group] = (),
        preamble: Iterable[Record] = (),
        sitemaps: Iterable[str] = (),
        *,
        ignored_rules: Iterable[Rule] = (),
        size: int = 0,
        truncated: bool = False,
    ) -> None:
        self.groups = tuple(groups)
        self.preamble = tuple(preamble)  # records before the first User-agent line
        self.sitemaps = tuple(sitemaps)
        self.ignored_rules = tuple(ignored_rules)  # Allow/Disallow outside any group
        self.size = size  # bytes received, before the MAX_BYTES cut
        self.truncated = truncated
        by_key: dict[str, list[int]] = {}
        for index, group in enumerate(self.groups):
            for agent in group.agents:
                indexes = by_key.setdefault(agent_key(agent), [])
                if not indexes or indexes[-1] != index:
                    indexes.append(index)
        by_key.pop("", None)  # an empty or unusable value names nobody
        self._by_key = by_key
        self._merged: dict[str, _Selected | None] = {}
        self._selected: Memo[str, _Selected | None] = Memo(_CACHE_LIMIT)
        # (agent, fields, fallback) -> records: every URL asks, the group is scanned once.
        self._records: Memo[tuple[str, tuple[str, ...], bool, bool], tuple[Record, ...]] = Memo(
            _CACHE_LIMIT
        )
        # The last (url, user_agent, rule): a URL is asked about by several families in turn.
        self._last_match: tuple[str | None, str | None, Rule | None] = (None, None, None)

    def __repr__(self) -> str:
        return (
            f"<RobotsTxt groups={len(self.groups)} sitemaps={len(self.sitemaps)} "
            f"size={self.size}{' truncated' if self.truncated else ''}>"
        )

    def _merge(self, key: str) -> _Selected | None:
        if key in self._merged:
            return self._merged[key]
        indexes = self._by_key.get(key)
        selected = None
        if indexes:
            parts = [self.groups[i] for i in indexes]
            agents = tuple(dict.fromkeys(a for g in parts for a in g.agents))
            rules = tuple(r for g in parts for r in g.rules)
            records = tuple(r for g in parts for r in g.records)
            group = parts[0] if len(parts) == 1 else Group(agents, rules, records, parts[0].line)
            selected = _Selected(group, key != "*")
        self._merged[key] = selected
        return selected

    def _select(self, user_agent: str) -> _Selected | None:
        try:
            return self._selected[user_agent]
        except KeyError:
            pass
        if not isinstance(user_agent, str):
            raise TypeError(f"user_agent must be str, not {type(user_agent).__name__}")
        key = crawler_key(user_agent)
        selected = self._merge(key) if key else None
        if selected is None:
            selected = self._merge("*")
        return self._selected.put(user_agent, selected)

    def group_for(self, user_agent: str) -> Group | None:
        """The merged group naming ``user_agent``, else the ``*`` group, else None."""
        selected = self._select(user_agent)
        return selected.group if selected is not None else None

    def names_agent(self, user_agent: str) -> bool:
        """Whether a group names ``user_agent`` itself (``*`` only counts for ``*``)."""
        selected = self._select(user_agent)
        return selected is not None and (selected.named or crawler_key(user_agent) == "*")

    def match(self, url: str, user_agent: str) -> Rule | None:
        """The rule deciding ``url`` (absolute, or a path) for ``user_agent``; None: allowed."""
        if not isinstance(url, str):
            raise TypeError(f"url must be str, not {type(url).__name__}")
        last = self._last_match
        if url == last[0] and user_agent == last[1]:
            return last[2]
        target = request_target(url)
        if target == "/robots.txt" or target.startswith("/robots.txt?"):
            rule = None  # RFC 9309 section 2.2.2: implicitly allowed
        else:
            selected = self._select(user_agent)
            rule = selected.ruleset.best(target) if selected is not None else None
        self._last_match = (url, user_agent, rule)
        return rule

    def allowed(self, url: str, user_agent: str) -> bool:
        """Whether ``user_agent`` may fetch ``url`` (acquisition, RFC 9309)."""
        rule = self.match(url, user_agent)
        return rule is None or rule.allow

    def extension_records(
        self,
        user_agent: str,
        field: str | tuple[str, ...],
        *,
        wildcard_fallback: bool = True,
        preamble_first: bool = False,
    ) -> tuple[Record, ...]:
        """Records named ``field`` (or any of several) that apply to ``user_agent``.

        Those of the group RFC 9309 selects (the agent's own, else ``*``); when the agent's own
        group has none and ``wildcard_fallback`` is on, those of the ``*`` group; when still
        none, those before the first group (the preamble). Fields are canonical lower-case.
        ``preamble_first`` puts the preamble before the ``*`` group's (RSL ``License:``: the
        global lines, else the ``*`` group's).
        """
        fields = (field,) if isinstance(field, str) else field
        key = (user_agent, fields, wildcard_fallback, preamble_first)
        found = self._records.get(key)
        if found is None:
            found = self._records.put(key, self._extension_records(*key))
        return found

    def _extension_records(
        self,
        user_agent: str,
        fields: tuple[str, ...],
        wildcard_fallback: bool,
        preamble_first: bool,
    ) -> tuple[Record, ...]:
        selected = self._select(user_agent)
        if selected is not None:
            found = tuple(r for r in selected.group.records if r.field in fields)
            if found:
                return found
            if preamble_first:
                found = tuple(r for r in self.preamble if r.field in fields)
                if found:
                    return found
            if selected.named and wildcard_fallback:
                star = self._merge("*")
                if star is not None:
                    found = tuple(r for r in star.group.records if r.field in fields)
                    if found:
                        return found
        return tuple(r for r in self.preamble if r.field in fields)
