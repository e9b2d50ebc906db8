"""One index over every path test an origin's site files make, so a URL's path class is one walk.

Each site family's evidence for a URL depends on the URL only through a few tests on its request
target: which of its robots-style patterns match (:mod:`~optout_middleware.formats.patterns`),
and for ai.txt which file extensions the path ends with. A family states those tests once per
origin and crawl (:class:`PathTests`); :class:`PathIndex` answers all of them for a target at
once, and two targets with equal :meth:`PathIndex.key` pass and fail exactly the same tests, so
they get the same evidence from every family that stated its tests. The evaluator keys its
shared site verdicts by it, instead of asking each family for its own key per URL (several
longest-match lookups per family, each normalising the URL again).

How one walk decides every test: a pattern without ``*`` or ``$`` matches iff the target starts
with its text, and the literals that start a target form a chain (each a prefix of the next), so
the deepest one (found with one ``bisect`` in the sorted literals and a short walk up the chain)
tells them all. A pattern with ``*`` or ``$`` can only match a target that starts with its text
up to the first ``*``; it hangs on that literal and is tried, with a C string method for the
usual shapes, only when its literal is on the target's chain. The key is (deepest literal,
results of the patterns tried, extensions found).

Bounds (hostile files): building is O(n log n) in the number of distinct patterns, and a lookup
costs one bisect plus the chain below the deepest literal and the patterns hanging on it; an index
with more than :data:`MAX_TRIED` such patterns or literals nested deeper than :data:`MAX_DEPTH` is
not built (:meth:`PathIndex.build` returns None) and the families' own keys are used instead.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .patterns import PathPattern

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

__all__ = ["MAX_DEPTH", "MAX_TRIED", "ROBOTS_TXT", "URL_INDEPENDENT", "PathIndex", "PathTests"]

MAX_TRIED = 512  # patterns with "*" or "$" in one index; each may be tried on every URL
MAX_DEPTH = 64  # literals nested in one another; a lookup may walk that chain


@dataclass(frozen=True, slots=True)
class PathTests:
    """Everything one family's site evidence for a URL depends on, for one origin and crawl.

    ``patterns`` are matched against the URL's request target (``request_target``) as
    :meth:`PathPattern.matches` does; ``extensions`` (lower-case, normalised) are suffix tests
    on the target's path without its query, lower-cased (ai.txt ``*.ext``). Stating a test the
    evidence does not depend on only splits path classes; omitting one it depends on would
    share a verdict between URLs that differ, so families list every pattern they consult.
    """

    patterns: tuple[PathPattern, ...] = ()
    extensions: tuple[str, ...] = ()


URL_INDEPENDENT = PathTests()  # the evidence is the same for every URL of the origin

# RFC 9309 2.2.2: /robots.txt is always allowed; the families that apply it test for it.
ROBOTS_TXT = (PathPattern("/robots.txt$"), PathPattern("/robots.txt?"))

# How a pattern hanging on a literal (known to start the target) is tried.
_EXACT, _ENDS, _CONTAINS, _SEQUENCE, _GENERAL = range(5)
# (how, a length, a text, pieces, the pattern itself when no cheaper test fits)
_Tried = tuple[int, int, str, tuple[str, ...], PathPattern | None]


def _tried(pattern: PathPattern, anchored: bool, pieces: list[str]) -> _Tried:
    """The cheapest test equal to ``pattern.matches`` once ``pieces[0]`` starts the target."""
    first = len(pieces[0])
    if not anchored:
        while len(pieces) > 1 and not pieces[-1]:  # "/a/*": a final "*" adds nothing
            pieces = pieces[:-1]
    if len(pieces) == 1:  # "/a$": nothing after the literal
        return _EXACT, first, "", (), None
    if len(pieces) == 2:  # noqa: PLR2004  ("/*.pdf$", "/a/*/b")
        last = pieces[1]
        if anchored:
            return _ENDS, first + len(last), last, (), None
        return _CONTAINS, first, last, (), None
    if not anchored:  # "/*?*q=": each piece found after the one before (leftmost is safe)
        return _SEQUENCE, first, "", tuple(pieces[1:]), None
    return _GENERAL, 0, "", (), pattern


class PathIndex:
    """The path tests of several families over one origin, answered by one walk per URL."""

    __slots__ = ("_extensions", "_literals", "_parents", "_tried")

    def __init__(
        self,
        literals: tuple[str, ...],
        parents: tuple[int, ...],
        tried: tuple[tuple[_Tried, ...], ...],
        extensions: tuple[tuple[int, frozenset[str]], ...],
    ) -> None:
        self._literals = literals  # sorted; literals[0] == ""
        self._parents = parents  # index of the longest other literal that starts each; -1
        self._tried = tried  # per literal: the patterns with "*" or "$" that start with it
        self._extensions = extensions  # (length, extensions of that length)

    @classmethod
    def build(cls, tests: Iterable[PathTests]) -> PathIndex | None:
        """The index over every test in ``tests``; None when it would exceed the bounds."""
        patterns: dict[str, PathPattern] = {}
        extensions: set[str] = set()
        for found in tests:
            for pattern in found.patterns:
                patterns.setdefault(pattern.text, pattern)
            extensions.update(found.extensions)
        literals = {""}
        hanging: dict[str, list[_Tried]] = {}
        count = 0
        for text, pattern in patterns.items():
            if "*" not in text and "$" not in text:  # most rules: a plain prefix
                literals.add(text)
                continue
            anchored = text.endswith("$")
            pieces = (text[:-1] if anchored else text).split("*")
            literals.add(pieces[0])
            if not anchored and not any(pieces[1:]):  # "/a", and "/a*" which means the same
                continue
            count += 1
            if count > MAX_TRIED:
                return None
            hanging.setdefault(pieces[0], []).append(_tried(pattern, anchored, pieces))
        ordered = tuple(sorted(literals))
        parents: list[int] = []
        chain: list[int] = []  # the literals that start the current one, shortest first
        for index, literal in enumerate(ordered):
            while chain and not literal.startswith(ordered[chain[-1]]):
                chain.pop()
            parents.append(chain[-1] if chain else -1)
            chain.append(index)
            if len(chain) > MAX_DEPTH:
                return None
        by_length: dict[int, set[str]] = {}
        for extension in extensions:
            by_length.setdefault(len(extension), set()).add(extension)
        return cls(
            ordered,
            tuple(parents),
            tuple(tuple(hanging.get(literal, ())) for literal in ordered),
            tuple((n, frozenset(names)) for n, names in sorted(by_length.items())),
        )

    def key(self, target: str) -> Hashable:
        """A value equal for two normalised targets iff they pass and fail the same tests."""
        literals = self._literals
        parents = self._parents
        # The greatest literal <= target starts with every literal that starts the target
        # (any string between a prefix of the target and the target starts with that prefix).
        node = bisect_right(literals, target) - 1
        while not target.startswith(literals[node]):
            node = parents[node]
        bits = 1
        size = len(target)
        tried = self._tried
        at = node
        while at >= 0:
            for kind, length, text, pieces, pattern in tried[at]:
                if kind == _CONTAINS:
                    hit = target.find(text, length) >= 0
                elif kind == _ENDS:
                    hit = size >= length and target.endswith(text)
                elif kind == _EXACT:
                    hit = size == length
                elif kind == _SEQUENCE:
                    pos = length
                    for piece in pieces:
                        pos = target.find(piece, pos)
                        if pos < 0:
                            break
                        pos += len(piece)
                    hit = pos >= 0
                else:
                    hit = pattern is not None and pattern.matches(target)
                bits = bits << 1 | hit
            at = parents[at]
        if not self._extensions:
            return node, bits
        path = target.partition("?")[0].lower()
        return (
            node,
            bits,
            tuple(tail for n, names in self._extensions if (tail := path[-n:]) in names),
        )
