"""RSL licence documents: how a fetch is read (status rules) and how long it is kept, by URL.

An RSL document is not a site file of one origin: many origins may name one document (a licence
collective's), and one origin several. Documents are therefore fetched and cached by URL, for the
whole crawl. What is kept is what was observed, raw (status, bytes, final URL, fetch time: a
:class:`~.entries.StoredFetch` of kind ``"rsl"`` whose subject is the document URL, the same
record a cluster shares through Redis), and the parsed document is derived from it once per
process.

Status rules (``../shared/rsl.md`` 5.3 and the decisions of issue 10): a document is readable
only from a 2xx answer whose body is a valid RSL document of at most 512 KiB reached over at
most five redirects without a downgrade from https to http. Anything else is *unreadable* and
carries the reason: 4xx, a redirect left over, an invalid or oversized body are ABSENT; 5xx and
network errors UNREACHABLE. What unreadable means for a crawl is the signal's business.

Lifetime: a readable document for its ``max-age`` (days), capped by ``OPTOUT_CACHE_TTL_SECS``;
an unreadable one for ``OPTOUT_UNREACHABLE_RETRY_SECS``, so a transient failure is retried.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from optout_middleware.errors import ParseError
from optout_middleware.formats.rsl import MAX_BYTES, RslDocument, parse_rsl
from optout_middleware.inputs import FileState, SiteFile

from .origin import MAX_REDIRECTS
from .rules import no_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from .entries import StoredFetch
    from .rules import FetchResult

__all__ = [
    "RSL_KIND",
    "RSL_MAX_BYTES",
    "RslDocumentCache",
    "RslDocumentStore",
    "document_ttl",
    "read_rsl_document",
]

RSL_KIND = "rsl"  # the kind of a StoredFetch of an RSL document (its subject is the URL)
RSL_MAX_BYTES = MAX_BYTES  # 512 KiB
_DAY = 86_400.0


def read_rsl_document(result: FetchResult, *, now: float | None = None) -> SiteFile[RslDocument]:
    """Apply the status rules to one fetch of an RSL document; never raises."""
    fetched_at = time.time() if now is None else now
    status = result.status
    if status is None:
        return no_response(result, fetched_at)
    body = result.body
    digest = hashlib.sha256(body).hexdigest()

    def failed(state: FileState, error: str) -> SiteFile[RslDocument]:
        return SiteFile(
            state, url=result.url, status=status, error=error, fetched_at=fetched_at, sha256=digest
        )

    if (
        result.final_url
        and urlsplit(result.url).scheme == "https"
        and urlsplit(result.final_url).scheme == "http"
    ):
        return failed(FileState.ABSENT, f"redirected from https to http ({result.final_url})")
    if not 200 <= status < 300:  # noqa: PLR2004
        if 300 <= status < 400:  # noqa: PLR2004
            moved = "too many redirects" if result.redirects >= MAX_REDIRECTS else "not followed"
            return failed(FileState.ABSENT, result.error or f"HTTP {status}: {moved}")
        if 400 <= status < 500:  # noqa: PLR2004
            return failed(FileState.ABSENT, f"HTTP {status}")
        return failed(FileState.UNREACHABLE, f"HTTP {status}")
    if result.truncated or len(body) > RSL_MAX_BYTES:
        return failed(FileState.ABSENT, f"larger than {RSL_MAX_BYTES // 1024} KiB")
    try:
        document = parse_rsl(body)
    except ParseError as exc:
        return failed(FileState.ABSENT, f"invalid RSL: {exc}")
    return SiteFile(
        FileState.PARSED,
        url=result.url,
        parsed=document,
        status=status,
        fetched_at=fetched_at,
        sha256=digest,
    )


def document_ttl(document: SiteFile[RslDocument], *, cache_ttl: float, retry: float) -> float:
    """Seconds a read document stays usable: its max-age capped by the cache TTL, or ``retry``
    (also capped) when it could not be read."""
    if document.state is FileState.PARSED and document.parsed is not None:
        return min(document.parsed.max_age_days * _DAY, cache_ttl)
    return min(retry, cache_ttl)


class RslDocumentCache(Protocol):
    """Where a process keeps RSL documents by URL, each read from a
    :class:`~.entries.StoredFetch` with :func:`read_rsl_document`; :class:`RslDocumentStore` is
    the default. A cluster keeps this in front and shares the raw fetches behind it
    (:class:`~.shared.SharedFiles`, kind ``"rsl"``, subject the URL)."""

    def get(self, url: str) -> SiteFile[RslDocument] | None: ...

    def put(self, stored: StoredFetch) -> SiteFile[RslDocument]: ...

    def lifetime(self, stored: StoredFetch) -> float: ...


class RslDocumentStore:
    """RSL documents by URL, each for its own lifetime; the least recently used go first.

    Holds the raw :class:`~.entries.StoredFetch` (what a cluster shares) and the document read
    from it; a document's lifetime runs from the fetch time, so one read from a cluster's store
    expires when the cluster's copy does. ``clock`` is Unix time; tests pass a fake one.
    """

    __slots__ = ("_clock", "_entries", "cache_ttl", "max_entries", "retry")

    def __init__(
        self,
        *,
        cache_ttl: float = _DAY,
        retry: float = 600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache_ttl = cache_ttl
        self.retry = retry
        self.max_entries = max(1, max_entries)
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, StoredFetch, SiteFile[RslDocument]]] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, url: str) -> SiteFile[RslDocument] | None:
        """The live document for ``url``, else None (unknown or expired)."""
        entry = self._entries.get(url)
        if entry is None:
            return None
        if self._clock() >= entry[0]:
            del self._entries[url]
            return None
        self._entries.move_to_end(url)
        return entry[2]

    def raw(self, url: str) -> StoredFetch | None:
        """The stored fetch behind :meth:`get` (for a shared cache or an audit)."""
        entry = self._entries.get(url)
        return entry[1] if entry is not None else None

    def lifetime(self, stored: StoredFetch) -> float:
        """Seconds ``stored`` is usable from its fetch time (what a cluster keeps it for too)."""
        document = read_rsl_document(stored.result, now=stored.fetched_at)
        return document_ttl(document, cache_ttl=self.cache_ttl, retry=self.retry)

    def put(self, stored: StoredFetch) -> SiteFile[RslDocument]:
        """Read ``stored`` (kind ``"rsl"``) and keep it under its URL for the document's
        lifetime."""
        if stored.kind != RSL_KIND:
            raise ValueError(f"not an RSL document fetch: kind {stored.kind!r}")
        document = read_rsl_document(stored.result, now=stored.fetched_at)
        ttl = document_ttl(document, cache_ttl=self.cache_ttl, retry=self.retry)
        url = stored.subject
        self._entries[url] = (stored.fetched_at + ttl, stored, document)
        self._entries.move_to_end(url)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return document
