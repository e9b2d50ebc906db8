"""Helpers shared by the tests of families that read robots.txt extension lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optout_middleware.formats.robotstxt import parse
from optout_middleware.inputs import (
    Context,
    FileState,
    HeaderList,
    ResponseView,
    SiteFile,
    SiteFiles,
)
from optout_middleware.verdict import Evidence, Purpose, Stance, combine

if TYPE_CHECKING:
    from optout_middleware.plugin import SignalParser

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


def header_evidence(
    signal: SignalParser, name: str, *values: str, context: Context | None = None
) -> tuple[Evidence, ...]:
    """What ``signal`` reads from https://example.com/page sent with one ``name`` header per value."""
    response = ResponseView(
        "https://example.com/page", headers=HeaderList([(name, value) for value in values])
    )
    return tuple(signal.response_evidence(response, context or Context()))


def robots_evidence(
    signal: SignalParser,
    body: str,
    path: str = "/",
    context: Context | None = None,
    state: FileState = FileState.PARSED,
) -> tuple[Evidence, ...]:
    """What ``signal`` reads for https://example.com``path`` when robots.txt is ``body``."""
    url = "https://example.com" + path
    return tuple(signal.site_evidence(site(body, state), url, context or Context()))
