"""The last good robots.txt of an origin, reused while robots.txt is unreachable (RFC 9309 2.4).

RFC 9309 section 2.3.1.4 makes an unreachable robots.txt (5xx, network error) a complete
disallow, and section 2.4 lets a crawler keep using a cached copy while the file is unreachable.
The last copy that parsed says what the publisher wants far better than "everything is reserved",
so :func:`with_last_good` puts it in place of the unreachable file, marked
(``SiteFile.last_good_at``) so the evidence and the audit trail say so, for at most
``max_age_secs`` after that copy was read (:data:`LAST_GOOD_SECS`, 30 days: the RFC's own example
of "a long time", after which a copy says little about today's wishes). Without such a copy,
unreachable stays a complete disallow. The cache keeps the copy (``LastGoodCache``); an origin
using one is fetched again after the unreachable-retry interval, like any unreachable file.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from optout_middleware.inputs import FileState, SiteFile

if TYPE_CHECKING:
    from optout_middleware.formats.robotstxt import RobotsTxt
    from optout_middleware.inputs import SiteFiles

__all__ = ["LAST_GOOD_SECS", "is_good_copy", "with_last_good"]

LAST_GOOD_SECS = 30 * 86_400.0


def is_good_copy(robots: SiteFile[RobotsTxt]) -> bool:
    """Whether ``robots`` was itself fetched and parsed (not a reused copy): worth keeping."""
    return (
        robots.state is FileState.PARSED
        and robots.parsed is not None
        and robots.fetched_at is not None
        and robots.last_good_at is None
    )


def with_last_good(
    site: SiteFiles,
    last_good: SiteFiles | None,
    *,
    now: float,
    max_age_secs: float = LAST_GOOD_SECS,
) -> SiteFiles:
    """``site``, with an unreachable robots.txt replaced by ``last_good``'s copy when that copy
    was read at most ``max_age_secs`` before ``now``; otherwise ``site`` unchanged.

    The reused file keeps the copy's URL, status, rules and digest; ``fetched_at`` is this
    (failed) attempt, ``last_good_at`` when the copy was read, ``error`` why it is reused.
    """
    fresh = site.robots
    if fresh.state is not FileState.UNREACHABLE or last_good is None or max_age_secs <= 0:
        return site
    good = last_good.robots
    if not is_good_copy(good) or good.fetched_at is None:
        return site
    if now - good.fetched_at > max_age_secs:
        return site
    why = fresh.error or (f"HTTP {fresh.status}" if fresh.status is not None else "no response")
    reused: SiteFile[RobotsTxt] = SiteFile(
        FileState.PARSED,
        url=good.url,
        parsed=good.parsed,
        status=good.status,
        error=f"unreachable ({why}); the last good copy is used",
        fetched_at=fresh.fetched_at if fresh.fetched_at is not None else now,
        sha256=good.sha256,
        last_good_at=good.fetched_at,
    )
    return dataclasses.replace(site, robots=reused)
