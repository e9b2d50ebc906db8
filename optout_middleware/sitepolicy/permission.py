"""The crawler's own robots.txt permission (RFC 9309), as ``ROBOTSTXT_OBEY`` enforces it.

Acquisition, not usage: may our own agent fetch a URL at all. One rule for the middleware (which
refuses such requests under ``ROBOTSTXT_OBEY``) and for ``optout check`` (which reports it), so
the two cannot disagree. A parsed robots.txt decides by its longest matching rule for our agent's
group (else the ``*`` group); an unreachable one forbids everything when failing closed (RFC 9309
2.3.1.4); an absent one (4xx) forbids nothing. A last good copy reused during an outage
(:mod:`~optout_middleware.sitepolicy.lastgood`) decides like a fresh one, and the reason says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optout_middleware.inputs import FileState

if TYPE_CHECKING:
    from optout_middleware.formats.robotstxt import RobotsTxt
    from optout_middleware.inputs import SiteFile

__all__ = ["robots_forbids"]


def robots_forbids(
    robots: SiteFile[RobotsTxt], url: str, user_agent: str, *, fail_closed: bool = True
) -> str | None:
    """Why ``user_agent`` may not fetch ``url`` under RFC 9309, or None when it may."""
    if robots.state is FileState.PARSED and robots.parsed is not None:
        rule = robots.parsed.match(url, user_agent)
        if rule is not None and not rule.allow:
            reused = f" ({robots.error})" if robots.last_good_at is not None else ""
            return f"line {rule.line} {rule.raw!r} for {user_agent!r}{reused}"
        return None
    if robots.state is FileState.UNREACHABLE and fail_closed:
        return f"unreachable ({robots.error}); RFC 9309 assumes complete disallow"
    return None
