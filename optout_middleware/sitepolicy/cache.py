"""Where the site files of each origin are kept between requests: a bounded, expiring LRU.

RFC 9309 section 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours; TDMRep asks
agents to keep tdmrep.json cached without giving a lifetime, so the same TTL applies to all three
files of an origin. :class:`PolicyCache` is the seam for a shared backend (Redis and the like) in
distributed crawls; :class:`LruPolicyCache` is the in-process default.

A cache that also implements :class:`LastGoodCache` (one more method, ``last_good``) keeps each
origin's last successfully parsed robots.txt beyond the TTL of the fresh entry, so that it can
stand in while robots.txt is unreachable (:mod:`~optout_middleware.sitepolicy.lastgood`). The
fetcher checks for the method: a cache without it works as before, reusing no copy.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from optout_middleware.inputs import SiteFiles

from .lastgood import is_good_copy

if TYPE_CHECKING:
    from collections.abc import Callable

_EMPTY = SiteFiles()

__all__ = ["LastGoodCache", "LruPolicyCache", "PolicyCache"]


class PolicyCache(Protocol):
    """Stores the site files of origins; ``get`` returns None for unknown or expired origins."""

    def get(self, origin: str) -> SiteFiles | None: ...

    def put(self, origin: str, site: SiteFiles) -> None: ...


@runtime_checkable
class LastGoodCache(PolicyCache, Protocol):
    """A :class:`PolicyCache` that also keeps the last good robots.txt of each origin.

    ``last_good`` returns the origin's last entry ``put`` whose robots.txt was fetched and
    parsed (``lastgood.is_good_copy``), even after ``get`` has expired it; None if there is none.
    """

    def last_good(self, origin: str) -> SiteFiles | None: ...


class LruPolicyCache:
    """An in-memory :class:`LastGoodCache` holding at most ``max_origins`` for ``ttl_secs`` each,
    and, apart, the last good robots.txt of at most ``max_origins`` origins with no expiry (the
    copies are shared with the fresh entries while those live).

    ``clock`` is any monotonic seconds counter; tests pass a fake one.
    """

    __slots__ = ("_clock", "_entries", "_good", "max_origins", "ttl_secs")

    def __init__(
        self,
        max_origins: int = 10_000,
        ttl_secs: float = 86_400,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_origins < 1:
            raise ValueError(f"max_origins must be at least 1, got {max_origins!r}")
        if ttl_secs <= 0:
            raise ValueError(f"ttl_secs must be positive, got {ttl_secs!r}")
        self.max_origins = max_origins
        self.ttl_secs = ttl_secs
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, SiteFiles]] = OrderedDict()
        self._good: OrderedDict[str, SiteFiles] = OrderedDict()  # origin -> its robots.txt only

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, origin: object) -> bool:
        return origin in self._entries

    def get(self, origin: str) -> SiteFiles | None:
        """The live entry for ``origin`` (now the most recently used), else None."""
        entry = self._entries.get(origin)
        if entry is None:
            return None
        expires, site = entry
        if self._clock() >= expires:
            del self._entries[origin]
            return None
        self._entries.move_to_end(origin)
        return site

    def put(self, origin: str, site: SiteFiles) -> None:
        """Store ``site`` for ``origin``, evicting the least recently used origins when full."""
        self._entries[origin] = (self._clock() + self.ttl_secs, site)
        self._entries.move_to_end(origin)
        while len(self._entries) > self.max_origins:
            self._entries.popitem(last=False)
        if is_good_copy(site.robots):
            self._good[origin] = replace(_EMPTY, origin=site.origin, robots=site.robots)
            self._good.move_to_end(origin)
            while len(self._good) > self.max_origins:
                self._good.popitem(last=False)

    def last_good(self, origin: str) -> SiteFiles | None:
        """The last robots.txt of ``origin`` that was fetched and parsed, however old."""
        return self._good.get(origin)

    def clear(self) -> None:
        """Forget every origin."""
        self._entries.clear()
        self._good.clear()
