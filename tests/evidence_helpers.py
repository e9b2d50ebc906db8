"""Helpers shared by the tests of families that read robots.txt extension lines."""

from __future__ import annotations

from optout_middleware.inputs import FileState, SiteFile, SiteFiles
from optout_middleware.robotstxt import parse
from optout_middleware.verdict import Evidence, Purpose, Stance, combine

ROBOTS_URL = "https://example.com/robots.txt"


def site(body: str | bytes, state: FileState = FileState.PARSED) -> SiteFiles:
    """Site files of https://example.com whose robots.txt is ``body`` (parsed when ``state`` is)."""
    return SiteFiles(
        "https://example.com",
        robots=SiteFile(state, ROBOTS_URL, parse(body) if state is FileState.PARSED else None),
    )


def stances(evidence: tuple[Evidence, ...]) -> dict[Purpose, Stance]:
    """The combined stance per purpose named directly (disallow wins, as combine does)."""
    out: dict[Purpose, Stance] = {}
    for ev in evidence:
        for purpose, stance in ev.stances:
            if out.get(purpose) is not Stance.DISALLOWED:
                out[purpose] = stance
    return out


def reserved(purpose: Purpose, evidence: tuple[Evidence, ...]) -> bool | None:
    return combine(purpose, evidence).reserved
