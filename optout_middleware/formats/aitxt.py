"""Spawning ``ai.txt`` (specs.md section 4): which media an origin withholds from AI training.

This module owns the reading of an ``/ai.txt`` body in Spawning's robots.txt-like format and
its recommended interpretation (specs.md 4.4 [inferred]); fetching belongs to the site-policy
layer. Lines and groups are read by :mod:`~optout_middleware.formats.robotstxt` (one line parser for
both files); only the meaning of a rule's value differs here:

* ``*`` or ``/`` matches every path;
* ``*.ext`` is an extension test on the URL path with the query removed, in any case
  (``/*.ext$`` semantics), never an RFC 9309 prefix pattern, which would let ``*.c`` match
  ``/x.css``;
* an empty value matches nothing; anything else is an RFC 9309 path pattern, read with the
  robots.txt leniencies (a missing leading ``/`` is added).

The longest value in octets as written decides (``*.jpg``, 5, beats ``/``, 1) and Allow wins a
tie, as RFC 9309 says; ``AiTxtSignal(allow_wins_ties=False)`` is the conservative alternative.
A file without a ``User-agent`` line followed by Allow/Disallow lines is another "ai.txt"
dialect (Markdown, YAML, ad-hoc lines; specs.md 4.5) and says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from optout_middleware.memo import Memo

from .patterns import PathPattern, normalise_path, request_target
from .robotstxt import parse

if TYPE_CHECKING:
    from .robotstxt import RobotsTxt, Rule

__all__ = ["AiTxt", "AiTxtRule", "parse_aitxt"]

# "*.jpg" (a final "$" tolerated): a star, a dot, then no path, wildcard, query or anchor octets.
_EXTENSION = re.compile(r"\*(\.[^/*?$]+)\$?")
_EVERYTHING = frozenset({"*", "/"})
_CACHE_LIMIT = 64  # distinct agent strings remembered per file; a crawl asks for one or two

Kind = Literal["everything", "extension", "pattern", "nothing"]


@dataclass(frozen=True, slots=True)
class AiTxtRule:
    """One Allow/Disallow line as ai.txt reads it; ``length`` is octets of ``raw`` as written."""

    allow: bool
    raw: str
    line: int
    kind: Kind
    length: int
    extension: str = ""  # lower-cased and normalised, e.g. ".jpg", for kind "extension"
    pattern: PathPattern | None = field(default=None, compare=False)  # for kind "pattern"

    @classmethod
    def from_rule(cls, rule: Rule) -> AiTxtRule:
        """Classify a robots.txt rule's value by the ai.txt reading (module docstring)."""
        raw = rule.raw
        length = len(raw.encode("utf-8", "surrogatepass"))
        if not raw:
            return cls(rule.allow, raw, rule.line, "nothing", length)
        if raw in _EVERYTHING:
            return cls(rule.allow, raw, rule.line, "everything", length)
        ext = _EXTENSION.fullmatch(raw)
        if ext:
            extension = normalise_path(ext.group(1)).lower()
            return cls(rule.allow, raw, rule.line, "extension", length, extension)
        return cls(rule.allow, raw, rule.line, "pattern", length, pattern=rule.pattern)

    def matches(self, target: str, path_lower: str) -> bool:
        """Whether this rule matches a normalised request target (``path_lower``: its path part,
        lower-cased, for extension tests)."""
        kind = self.kind
        if kind == "extension":
            return path_lower.endswith(self.extension)
        if kind == "everything":
            return True
        if kind == "pattern" and self.pattern is not None:
            return self.pattern.matches(target)
        return False


class AiTxt:
    """A parsed ai.txt: the robots.txt reading of its lines and the ai.txt reading of its rules."""

    __slots__ = ("_by_agent", "_by_line", "is_spawning", "robots")

    def __init__(self, robots: RobotsTxt) -> None:
        self.robots = robots
        # Spawning format: a User-agent line with Allow/Disallow lines after it (specs.md 4.4.2).
        self.is_spawning = any(group.rules for group in robots.groups)
        self._by_line = {
            rule.line: AiTxtRule.from_rule(rule) for group in robots.groups for rule in group.rules
        }
        self._by_agent: Memo[str, tuple[AiTxtRule, ...]] = Memo(_CACHE_LIMIT)

    def __repr__(self) -> str:
        return f"<AiTxt spawning={self.is_spawning} rules={len(self._by_line)}>"

    def rules_for(self, user_agent: str) -> tuple[AiTxtRule, ...]:
        """The rules of the group RFC 9309 selects for ``user_agent`` (its own, else ``*``)."""
        found = self._by_agent.get(user_agent)
        if found is None:
            group = self.robots.group_for(user_agent) if self.is_spawning else None
            found = () if group is None else tuple(self._by_line[r.line] for r in group.rules)
            self._by_agent.put(user_agent, found)
        return found

    def match(
        self, url: str, user_agent: str = "*", *, allow_wins_ties: bool = True
    ) -> AiTxtRule | None:
        """The rule deciding ``url`` for ``user_agent``: longest value wins; None: no rule."""
        return self.decide(url, user_agent, allow_wins_ties=allow_wins_ties)[0]

    def decide(
        self, url: str, user_agent: str = "*", *, allow_wins_ties: bool = True
    ) -> tuple[AiTxtRule | None, AiTxtRule | None]:
        """The deciding rule and, when it won a tie against the opposite stance, the loser."""
        rules = self.rules_for(user_agent)
        if not rules:
            return None, None
        target = request_target(url)
        path_lower = target.partition("?")[0].lower()
        best: AiTxtRule | None = None
        tied: AiTxtRule | None = None
        for rule in rules:
            if not rule.matches(target, path_lower):
                continue
            if best is None or rule.length > best.length:
                best, tied = rule, None
            elif rule.length == best.length and rule.allow != best.allow:
                if rule.allow == allow_wins_ties:
                    best, tied = rule, best
                else:
                    tied = rule
        return best, tied


def parse_aitxt(body: bytes | str) -> AiTxt:
    """Parse any bytes as ai.txt; never raises on content (robots.txt line rules apply)."""
    return AiTxt(parse(body))
