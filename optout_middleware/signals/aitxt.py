"""Spawning ``ai.txt`` as a signal family: the deciding ai.txt rule for a URL, as evidence.

The file format (lines, rules, the ``*.ext`` reading, longest match) lives in
:mod:`optout_middleware.formats.aitxt`; this module turns its answer into evidence for the crawl's
own user agent. Allow wins a tie, as RFC 9309 says; ``AiTxtSignal(allow_wins_ties=False)`` is the
conservative alternative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from optout_middleware.formats.pathindex import URL_INDEPENDENT, PathTests
from optout_middleware.formats.robotstxt import crawler_key
from optout_middleware.inputs import FileState
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.inputs import Context, SiteFiles

__all__ = ["FAMILY", "AiTxtSignal"]

FAMILY = "aitxt"


class AiTxtSignal(SignalParser):
    """Spawning ai.txt: a matching Disallow reserves training, a matching Allow permits it."""

    family: ClassVar[str] = FAMILY

    def __init__(self, *, allow_wins_ties: bool = True) -> None:
        self.allow_wins_ties = allow_wins_ties  # False: a Disallow wins a tie (conservative)

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """The lines of the deciding rule and of the rule it won a tie against (0: none)."""
        sitefile = site.aitxt
        aitxt = sitefile.parsed
        if sitefile.state is not FileState.PARSED or aitxt is None or not aitxt.is_spawning:
            return ()
        rule, tied = aitxt.decide(url, context.user_agent, allow_wins_ties=self.allow_wins_ties)
        return (rule.line if rule else 0), (tied.line if tied else 0)

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests:
        """The patterns and the ``*.ext`` extension tests of the rules for our crawler."""
        sitefile = site.aitxt
        aitxt = sitefile.parsed
        if sitefile.state is not FileState.PARSED or aitxt is None or not aitxt.is_spawning:
            return URL_INDEPENDENT
        rules = aitxt.rules_for(context.user_agent)
        return PathTests(
            tuple(r.pattern for r in rules if r.kind == "pattern" and r.pattern is not None),
            tuple(r.extension for r in rules if r.kind == "extension"),
        )

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """The deciding ai.txt rule for ``url``; nothing without a Spawning-format file."""
        sitefile = site.aitxt
        aitxt = sitefile.parsed
        if sitefile.state is not FileState.PARSED or aitxt is None or not aitxt.is_spawning:
            return ()
        user_agent = context.user_agent
        rule, tied = aitxt.decide(url, user_agent, allow_wins_ties=self.allow_wins_ties)
        if rule is None:
            return ()
        named = crawler_key(user_agent) not in ("*", "") and aitxt.robots.names_agent(user_agent)
        notes = []
        if rule.kind == "extension":
            notes.append("extension test on the path, query removed, any case (specs.md 4.4)")
        if tied is not None:
            winner = "Allow" if rule.allow else "Disallow"
            notes.append(
                f"tie with line {tied.line} at {rule.length} octets; {winner} wins "
                + ("(RFC 9309)" if self.allow_wins_ties else "(conservative setting)")
            )
        field_name = "Allow" if rule.allow else "Disallow"
        return (
            Evidence(
                FAMILY,
                "ai.txt",
                f"{field_name}: {rule.raw}",
                allows(Purpose.TRAIN_AI) if rule.allow else disallows(Purpose.TRAIN_AI),
                location=f"line {rule.line}",
                agent=user_agent if named else None,
                path=rule.raw,
                url=sitefile.url or None,
                note="; ".join(notes),
            ),
        )
