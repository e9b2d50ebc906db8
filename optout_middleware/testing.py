"""Helpers to unit-test a signal parser in a few lines of pytest, without Scrapy or a network.

    from optout_middleware.testing import make_response, verdict_for, assert_reserved

    def test_house_header_reserves():
        v = verdict_for(HouseHeaderSignal(), response=make_response(headers={"X-No-Train": "1"}))
        assert_reserved(v, family="house-header")

``make_site`` reads site files through the same status rules as the middleware, so a test can
say "robots.txt answered 503" as ``make_site(robots=503)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .inputs import Context, HeaderList, ResponseView, SiteFiles

if TYPE_CHECKING:
    from .plugin import SignalParser
    from .verdict import Purpose, Verdict

__all__ = [
    "assert_not_reserved",
    "assert_reserved",
    "assert_unknown",
    "make_response",
    "make_site",
    "verdict_for",
]

SiteFileSpec = None | bytes | str | int | tuple[int, bytes | str]
Headers = Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]]


def make_response(
    url: str = "https://example.com/",
    *,
    headers: Headers = (),
    body: bytes | str = b"",
    status: int = 200,
    html: str | None = None,
) -> ResponseView:
    """A response view; ``html=`` sets the body and an HTML Content-Type in one go."""
    pairs: list[tuple[str, str]] = []
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((name, v) for v in values)
    if html is not None:
        body = html
        if not any(name.lower() == "content-type" for name, _ in pairs):
            pairs.append(("Content-Type", "text/html; charset=utf-8"))
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return ResponseView(url, status=status, headers=HeaderList(pairs), body=raw)


def make_site(
    url: str = "https://example.com/",
    *,
    robots: SiteFileSpec = None,
    tdmrep: SiteFileSpec = None,
    aitxt: SiteFileSpec = None,
) -> SiteFiles:
    """Site files of ``url``'s origin; each file is None (not fetched), a body served with 200,
    a bare status (``404``, ``503``), or ``(status, body)``; ``0`` means a network failure."""
    from .sitepolicy import (  # noqa: PLC0415  (keeps this module importable on its own)
        FetchResult,
        build_site_files,
        origin_of,
        read_site_file,
        site_file_url,
    )

    origin = origin_of(url)
    files: dict[str, Any] = {}
    for kind, spec in (("robots", robots), ("tdmrep", tdmrep), ("aitxt", aitxt)):
        if spec is None:
            continue
        file_url = site_file_url(origin, kind)
        body: bytes | str
        if isinstance(spec, int):
            status, body = spec, b""
        elif isinstance(spec, tuple):
            status, body = spec
        else:
            status, body = 200, spec
        raw = body.encode("utf-8") if isinstance(body, str) else body
        result = FetchResult(
            url=file_url,
            status=status or None,
            body=raw,
            final_url=file_url,
            error="connection refused" if status == 0 else None,
        )
        files[kind] = read_site_file(kind, result)
    site: SiteFiles = build_site_files(origin, files)
    return site


def verdict_for(
    *signals: SignalParser,
    url: str | None = None,
    response: ResponseView | None = None,
    site: SiteFiles | None = None,
    purpose: Purpose | str = "train-ai",
    context: Context | None = None,
) -> Verdict:
    """The verdict ``signals`` (default: every built-in family) give a URL or a response."""
    from .evaluate import Evaluator, builtin_signals  # noqa: PLC0415

    evaluator = Evaluator(purpose, context or Context(), signals or builtin_signals())
    site = site if site is not None else SiteFiles()
    if response is not None:
        return evaluator.after_download(response, site)
    if url is None:
        raise TypeError("verdict_for() needs url= or response=")
    return evaluator.before_download(url, site)


def _describe(verdict: Verdict) -> str:
    found = "; ".join(
        f"{e.family}/{e.source} {e.value!r} { {p.value: s.value for p, s in e.stances} }"
        for e in verdict.evidence
    )
    return f"reserved={verdict.reserved} for {verdict.purpose.value}; evidence: {found or 'none'}"


def assert_reserved(verdict: Verdict, *, family: str | None = None) -> None:
    """Fail unless the verdict is reserved (and, given ``family``, decided by that family)."""
    if verdict.reserved is not True:
        raise AssertionError(f"expected a reservation, got {_describe(verdict)}")
    if family is not None and (verdict.decided_by is None or verdict.decided_by.family != family):
        raise AssertionError(f"expected a reservation decided by {family!r}: {_describe(verdict)}")


def assert_not_reserved(verdict: Verdict) -> None:
    """Fail if the verdict is reserved (allowed or nothing said both pass)."""
    if verdict.reserved is True:
        raise AssertionError(f"expected no reservation, got {_describe(verdict)}")


def assert_unknown(verdict: Verdict) -> None:
    """Fail unless nothing was said about the verdict's purpose."""
    if verdict.reserved is not None:
        raise AssertionError(f"expected no statement, got {_describe(verdict)}")
