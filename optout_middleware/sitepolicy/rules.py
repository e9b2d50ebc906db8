"""How a site-file fetch becomes a :class:`~optout_middleware.inputs.SiteFile`: status rules.

Whoever fetches (the Scrapy middleware, the CLI with requests) reports what it saw in a
:class:`FetchResult`; :func:`read_site_file` applies one table for everyone (specs.md 6.1, 1.3A,
4.4; RFC 9309 section 2.3.1):

=====================  ===========================  =============  =============
outcome                robots.txt                   tdmrep.json    ai.txt
=====================  ===========================  =============  =============
2xx                    parse (the first 500 KiB)    parse JSON     parse
3xx left (> 5 hops)    ABSENT (allow all, Google)   ABSENT         ABSENT
4xx                    ABSENT (allow all)           ABSENT         ABSENT
429                    UNREACHABLE (as Google)      ABSENT         ABSENT
5xx, network error     UNREACHABLE                  UNREACHABLE    UNREACHABLE
other status (1xx)     UNREACHABLE                  UNREACHABLE    UNREACHABLE
=====================  ===========================  =============  =============

What UNREACHABLE means is the evaluator's business: for robots.txt it is a complete disallow
(RFC 9309 section 2.3.1.4) unless the crawl turns fail-closed off; for the others, no signal.
A cached origin with an UNREACHABLE file is fetched again after :data:`UNREACHABLE_RETRY_SECS`
(:func:`retry_due`), not only after the cache TTL. A body cut at its size cap loses its partial
last line before a line-based parser sees it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from optout_middleware.errors import ParseError
from optout_middleware.formats.aitxt import parse_aitxt
from optout_middleware.formats.robotstxt import parse as parse_robotstxt
from optout_middleware.formats.tdmrep import parse_tdmrep_json
from optout_middleware.inputs import FileState, SiteFile, SiteFiles

from .origin import MAX_REDIRECTS, SIZE_CAPS

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "TOO_MANY_REDIRECTS",
    "UNREACHABLE_RETRY_SECS",
    "FetchResult",
    "build_site_files",
    "no_response",
    "read_site_file",
    "retry_due",
]

logger = logging.getLogger(__name__)

TOO_MANY_REDIRECTS = "too many redirects"

# An unreachable file is asked for again after this long, not after the full cache TTL: with
# robots.txt failing closed, one 503 would otherwise shut an origin out for a day. Google keeps
# retrying an unreachable robots.txt while it stays away from the site.
UNREACHABLE_RETRY_SECS = 600.0

# Status classes (RFC 9110 section 15).
_SUCCESS, _REDIRECTION, _CLIENT_ERROR, _SERVER_ERROR = 200, 300, 400, 500
_TOO_MANY_REQUESTS = 429

_LINE_BASED = frozenset({"robots", "aitxt"})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetcher observed for one site file."""

    url: str  # the URL first requested
    status: int | None  # final status; None on network failure or timeout
    body: bytes = b""  # at most SIZE_CAPS[kind] bytes are used
    final_url: str = ""  # after redirects
    error: str | None = None  # "timeout", "connection refused", "too many redirects", ...
    redirects: int = 0
    truncated: bool = False  # the body was cut at the size cap


def _parse(kind: str, body: bytes, url: str) -> Any:
    """Run the file-format parser of ``kind``."""
    if kind == "robots":
        return parse_robotstxt(body)
    if kind == "tdmrep":
        parts = urlsplit(url)  # absolute-URL locations are resolved against the file's origin
        return parse_tdmrep_json(
            body, origin=f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
        )
    return parse_aitxt(body)


def _state_for_status(kind: str, status: int) -> FileState:
    if _REDIRECTION <= status < _SERVER_ERROR:
        if (
            status == _TOO_MANY_REQUESTS and kind == "robots"
        ):  # rate limited: Google treats it as 5xx
            return FileState.UNREACHABLE
        return FileState.ABSENT
    return FileState.UNREACHABLE  # 5xx, and statuses no server should send (1xx, 6xx...)


def no_response(result: FetchResult, fetched_at: float) -> SiteFile[Any]:
    """A fetch that got no HTTP response at all (timeout, reset, DNS): unreachable, with why."""
    return SiteFile(
        FileState.UNREACHABLE,
        url=result.url,
        error=result.error or "no response",
        fetched_at=fetched_at,
    )


def read_site_file(kind: str, result: FetchResult, *, now: float | None = None) -> SiteFile[Any]:
    """Apply the status rules to one fetch of site file ``kind`` and parse a 2xx body.

    Never raises for any fetch result; an unknown ``kind`` is a ``ValueError``.
    """
    try:
        cap = SIZE_CAPS[kind]
    except KeyError:
        raise ValueError(f"unknown site file kind {kind!r}") from None
    fetched_at = time.time() if now is None else now
    status = result.status
    if status is None:
        return no_response(result, fetched_at)
    body = result.body
    truncated = result.truncated or len(body) > cap
    if len(body) > cap:
        body = body[:cap]
    digest = hashlib.sha256(body).hexdigest()
    if not _SUCCESS <= status < _REDIRECTION:
        state = _state_for_status(kind, status)
        error = result.error
        if error is None and _REDIRECTION <= status < _CLIENT_ERROR:
            error = TOO_MANY_REDIRECTS if result.redirects >= MAX_REDIRECTS else "not followed"
        elif error is None and state is FileState.UNREACHABLE:
            error = f"HTTP {status}"
        return SiteFile(
            state,
            url=result.url,
            status=status,
            error=error,
            fetched_at=fetched_at,
            sha256=digest,
        )
    note = f"read the first {cap} bytes only" if truncated else result.error
    if truncated and kind in _LINE_BASED:  # a cut line could say less than it did: drop it
        body = body[: max(body.rfind(b"\n"), body.rfind(b"\r")) + 1]
    try:
        parsed = _parse(kind, body, result.url)
    except ParseError as exc:  # e.g. tdmrep.json that is not a JSON array: no policy
        return SiteFile(
            FileState.ABSENT,
            url=result.url,
            status=status,
            error=f"{exc}" + (f" ({note})" if note else ""),
            fetched_at=fetched_at,
            sha256=digest,
        )
    except Exception as exc:  # a parser bug must not stop the crawl; robots.txt fails closed
        logger.exception("parsing %(url)s failed", {"url": result.url})
        state = FileState.UNREACHABLE if kind == "robots" else FileState.ABSENT
        return SiteFile(
            state,
            url=result.url,
            status=status,
            error=f"parser error: {exc!r}",
            fetched_at=fetched_at,
            sha256=digest,
        )
    if parsed is None:  # the parser recognised no policy in the body (e.g. a foreign ai.txt)
        return SiteFile(
            FileState.ABSENT,
            url=result.url,
            status=status,
            error=note or "no policy found in the body",
            fetched_at=fetched_at,
            sha256=digest,
        )
    return SiteFile(
        FileState.PARSED,
        url=result.url,
        parsed=parsed,
        status=status,
        error=note,
        fetched_at=fetched_at,
        sha256=digest,
    )


def build_site_files(origin: str, files: Mapping[str, SiteFile[Any]]) -> SiteFiles:
    """Bundle the files of one origin; kinds not in ``files`` stay NOT_FETCHED."""
    unknown = set(files) - set(SIZE_CAPS)
    if unknown:
        raise ValueError(f"unknown site file kind(s): {', '.join(sorted(unknown))}")
    empty: SiteFile[Any] = SiteFile()
    return SiteFiles(
        origin=origin,
        robots=files.get("robots", empty),
        tdmrep=files.get("tdmrep", empty),
        aitxt=files.get("aitxt", empty),
    )


def retry_due(site: SiteFiles, *, now: float, after_secs: float = UNREACHABLE_RETRY_SECS) -> bool:
    """Whether a cached ``site`` has an UNREACHABLE file (or a last good copy reused in place of
    one, ``SiteFile.last_good_at``) fetched more than ``after_secs`` ago, or an RSL document that
    is unreadable since as long or past its ``max-age``."""
    for site_file in (site.robots, site.tdmrep, site.aitxt):
        if (
            (site_file.state is FileState.UNREACHABLE or site_file.last_good_at is not None)
            and site_file.fetched_at is not None
            and now - site_file.fetched_at >= after_secs
        ):
            return True
    for document in site.rsl:  # RSL documents: an unreadable one is retried, a read one expires
        if document.fetched_at is None:
            continue
        if document.parsed is None:
            if now - document.fetched_at >= after_secs:
                return True
        elif now - document.fetched_at >= document.parsed.max_age_days * 86_400:
            return True
    return False
