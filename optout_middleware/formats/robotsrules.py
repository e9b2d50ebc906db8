"""robots.txt rules (RFC 9309 sections 2.2.2-2.2.3): one Allow or Disallow line, and the
longest-match lookup over a group's rules.

The longest pattern in octets of its normal form wins, Allow wins ties, and an empty pattern
matches nothing. A lookup runs on every crawled URL for every group it asks about, so the rules
are indexed once (:class:`RuleSet`) and a lookup only tries the rules that can match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from optout_middleware.memo import Memo

from .patterns import PathPattern

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Rule", "RuleSet", "make_rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """An Allow or Disallow line; ``raw`` is the value as written, ``pattern`` its compiled form."""

    allow: bool
    pattern: PathPattern
    line: int
    raw: str


# Compiled patterns shared by every file (a PathPattern never changes once built): sites repeat
# the same rules ("/wp-admin/", "/cart/", "/search"), and a crawl keeps every selected group's
# compiled rules, each pattern one more object for each full garbage collection to visit.
_SHARED_PATTERNS: Memo[str, PathPattern] = Memo(4096)


def make_rule(
    allow: bool, value: str, line: int, cache: dict[str, PathPattern] | None = None
) -> Rule:
    """A rule for ``value`` as written; a value without its leading ``/`` gets one (leniency).

    ``cache`` is the file's own (its patterns are compiled once however many groups repeat
    them); across files, patterns of the same text are one object too, while the shared table
    has room."""
    text = value if not value or value[0] in "/*" else "/" + value
    pattern = cache.get(text) if cache is not None else None
    if pattern is None:
        pattern = _SHARED_PATTERNS.get(text)
        if pattern is None:
            pattern = _SHARED_PATTERNS.put(text, PathPattern(text))
        if cache is not None:
            cache[text] = pattern
    return Rule(allow, pattern, line, value)


class RuleSet:
    """Rules indexed for RFC 9309 longest-match lookups.

    Rules are bucketed by the literal text before their first ``*`` (all of it for a plain
    prefix), so a lookup only tries buckets whose key is a prefix of the target, longest key
    first, each bucket longest rule first, and stops once nothing left can be longer.
    """

    __slots__ = ("_buckets", "_levels", "_ordered", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        # All matchable rules ("Disallow:" with no value matches nothing), grouped by key, and
        # in a group longest first, Allow first on ties, then file order. A bucket is the
        # (start, end) of its group: a pair of numbers, which the garbage collector does not
        # track (a tuple of rules per bucket was one more object per rule, and a crawl keeps
        # every selected group's index; a link-following crawl runs ~46 full collections).
        self._ordered = tuple(
            sorted(
                (rule for rule in self.rules if rule.pattern.text),
                key=lambda r: (r.pattern.literal_prefix, -r.pattern.length, not r.allow, r.line),
            )
        )
        self._buckets: dict[str, tuple[int, int]] = {}
        for index, rule in enumerate(self._ordered):
            key = rule.pattern.literal_prefix
            start = self._buckets.get(key, (index, index))[0]
            self._buckets[key] = (start, index + 1)
        # (key length, longest rule in any bucket whose key is at most that long), longest first.
        longest: dict[int, int] = {}
        for key, (start, _end) in self._buckets.items():
            longest[len(key)] = max(longest.get(len(key), -1), self._ordered[start].pattern.length)
        levels, ceiling = [], -1
        for size in sorted(longest):
            ceiling = max(ceiling, longest[size])
            levels.append((size, ceiling))
        self._levels = tuple(reversed(levels))

    def best(self, target: str) -> Rule | None:
        """The deciding rule for a normalised request target, or None when no rule matches."""
        best: Rule | None = None
        best_len, best_allow = -1, False
        size = len(target)
        buckets, ordered = self._buckets, self._ordered
        for key_len, ceiling in self._levels:
            if ceiling < best_len or (ceiling == best_len and best_allow):
                break
            if key_len > size:
                continue
            bucket = buckets.get(target[:key_len])
            if bucket is None:
                continue
            for index in range(*bucket):
                rule = ordered[index]
                pattern = rule.pattern
                length, allow = pattern.length, rule.allow
                if length < best_len or (length == best_len and (best_allow or not allow)):
                    break
                if pattern.plain or pattern.matches(target):  # the key matched: plain is done
                    best, best_len, best_allow = rule, length, allow
                    break
        return best
