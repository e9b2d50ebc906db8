"""A bounded memo: results derived from a parsed site file or from a value many pages repeat.

Parsers remember per-file work (keyed by the file's identity and the crawl context) and per-value
work (a header line, a meta content). Hostile or very wide crawls must not grow memory without
bound, and least-recently-used bookkeeping would cost more on every hit than recomputing costs
on a miss, so a full memo is simply emptied and refilled.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """A dict whose :meth:`put` empties it first when it holds ``limit`` entries."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
