"""Site files from the archives: captured robots.txt, ai.txt and tdmrep.json, read by the same rules.

Pass 1 of ``optout warc`` keeps every response record whose URL is a site file
(:data:`~optout_middleware.sitepolicy.SITE_FILE_PATHS`) or a URL asked for with
:meth:`CaptureIndex.want` (a redirect target, an RSL document a robots.txt names), with its body
up to the size cap. :meth:`CaptureIndex.fetch` then answers like a fetcher would, from the
captures: it follows 3xx captures from record to record (at most
:data:`~optout_middleware.sitepolicy.MAX_REDIRECTS` hops, across origins, the rules applying to
the first origin) and returns a :class:`~optout_middleware.sitepolicy.FetchResult` that
:func:`~optout_middleware.sitepolicy.read_site_file` reads with the middleware's status rules: a
captured 503 robots.txt is unreachable, a 404 absent.

A file that no archive holds is :data:`NOT_CAPTURED`: unknown, never taken as absent. Its
origin's :class:`~optout_middleware.inputs.SiteFiles` has it in state
``FileState.NOT_CAPTURED``, and :func:`not_captured_evidence` says so in every verdict.

Time of crawl: an URL captured several times (a robots.txt fetched every day of a long crawl)
answers with the latest capture made at or before the page (by WARC-Date), else the earliest.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from optout_middleware.inputs import Context, FileState, SiteFile, SiteFiles
from optout_middleware.memo import Memo
from optout_middleware.signals.rsl import NO_DOCUMENT, site_associations
from optout_middleware.sitepolicy import (
    MAX_REDIRECTS,
    SITE_FILE_PATHS,
    SIZE_CAPS,
    FetchResult,
    build_site_files,
    origin_of,
    read_site_file,
    site_file_url,
)
from optout_middleware.verdict import Evidence

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from optout_middleware.formats.rsl import RslDocument

    from .records import Record

    # (urls, at) -> each URL's RSL document: from the archives, or fetched live.
    Documents = Callable[[Sequence[str], str], Mapping[str, SiteFile[RslDocument]]]

__all__ = [
    "FAMILY_OF_FILE",
    "NOT_CAPTURED",
    "Capture",
    "CaptureIndex",
    "SiteFileSource",
    "host_key",
    "not_captured_evidence",
    "url_key",
]

NOT_CAPTURED = "not captured: no response record for it in the archives"
ORIGIN_LIMIT = 16384  # origins whose parsed site files are kept at once
MAX_CAPTURE_BYTES = max(SIZE_CAPS.values())  # bodies kept per capture (RSL documents fit too)
_SITE_PATHS = frozenset(SITE_FILE_PATHS.values())
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
FAMILY_OF_FILE: dict[str, tuple[str, str]] = {  # site-file kind -> (signal family, source name)
    "robots": ("robotstxt", "robots.txt"),
    "tdmrep": ("tdmrep", "tdmrep.json"),
    "aitxt": ("aitxt", "ai.txt"),
}


def url_key(url: str) -> str | None:
    """The lookup key of ``url``: its origin key, path and query; None if it has no origin."""
    try:
        parts = urlsplit(url.strip())
        origin = origin_of(url)
    except ValueError:
        return None
    path = parts.path or "/"
    return f"{origin}{path}?{parts.query}" if parts.query else f"{origin}{path}"


def host_key(url: str) -> str:
    """The host of ``url``, lower-cased, without port, user info or a leading ``www.``.

    Coarser than an origin on purpose: ``http://a.example`` redirecting its robots.txt to
    ``https://www.a.example`` is one host here.
    """
    authority = url.split("/", 3)[2] if url.count("/") >= 2 else ""  # noqa: PLR2004
    host = authority.rpartition("@")[2]
    host = host.rpartition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    host = host.lower()
    return host.removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Capture:
    """One captured HTTP response for a site file (or a wanted URL)."""

    url: str
    date: str  # WARC-Date
    status: int | None
    location: str = ""  # the Location header of a redirect
    body: bytes = b""  # at most MAX_CAPTURE_BYTES
    truncated: bool = False
    record_id: str = ""
    source: str = ""  # "file@offset", for the audit trail


class CaptureIndex:
    """Captures by URL, several per URL ordered by date; picklable, mergeable across files."""

    __slots__ = ("_by_key", "_hosts", "_wanted")

    def __init__(self, *, hosts: Iterable[str] | None = None) -> None:
        self._by_key: dict[str, list[Capture]] = {}
        self._wanted: set[str] = set()
        self._hosts: frozenset[str] | None = None if hosts is None else frozenset(hosts)

    def restrict_hosts(self, hosts: Iterable[str] | None) -> None:
        """From now on keep site files only of these hosts (see :func:`host_key`).

        For ``--site-files`` archives (Common Crawl's robots.txt WARCs hold every host of a
        crawl): only the hosts of the decided pages matter, and memory stays bounded by them.
        """
        self._hosts = None if hosts is None else frozenset(hosts)

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_key.values())

    def want(self, urls: Iterable[str]) -> None:
        """Also keep captures of ``urls`` in the next pass (redirect targets, RSL documents)."""
        self._wanted.update(k for k in map(url_key, urls) if k is not None)

    def wants(self, url: str) -> bool:
        """Whether a response for ``url`` belongs in the index (cheap: called on every record)."""
        if self._wanted and url_key(url) in self._wanted:
            return True
        if "robots.txt" not in url and "ai.txt" not in url and "tdmrep.json" not in url:
            return False  # most records: no URL parsing at all
        if self._hosts is not None and host_key(url) not in self._hosts:
            return False
        return urlsplit(url).path in _SITE_PATHS

    def add_record(self, record: Record, source: str) -> None:
        """Index a response (or revisit) record read with its body."""
        location = ""
        if record.headers is not None:
            values = record.headers.getlist("Location")
            location = values[0].decode("latin-1").strip() if values else ""
        body = record.body or b""
        if record.type == "revisit":  # same payload as an earlier capture: take its body
            key = url_key(record.target_uri)
            earlier = [
                c for c in self._by_key.get(key or "", ()) if c.record_id == record.refers_to
            ]
            if not earlier or not record.refers_to:
                return  # the original is not here: the revisit alone says nothing of the body
            body = earlier[0].body
        self.add(
            Capture(
                url=record.target_uri,
                date=record.date,
                status=record.status,
                location=location,
                body=body[:MAX_CAPTURE_BYTES],
                truncated=len(body) > MAX_CAPTURE_BYTES or bool(record.warc_truncated),
                record_id=record.record_id,
                source=source,
            )
        )

    def add(self, capture: Capture) -> None:
        key = url_key(capture.url)
        if key is None:
            return
        captures = self._by_key.setdefault(key, [])
        captures.append(capture)
        if len(captures) > 1:
            captures.sort(key=_date)

    def merge(self, other: CaptureIndex) -> None:
        """Add every capture of ``other`` (pass 1 of several files, in parallel)."""
        for captures in other._by_key.values():
            for capture in captures:
                self.add(capture)
        self._wanted |= other._wanted

    def captured(self, url: str) -> bool:
        key = url_key(url)
        return key is not None and key in self._by_key

    def capture_count(self, url: str) -> int:
        key = url_key(url)
        return len(self._by_key.get(key, ())) if key is not None else 0

    def capture(self, url: str, at: str = "") -> Capture | None:
        """The capture of ``url`` for a page captured at ``at`` (module docstring), or None."""
        key = url_key(url)
        captures = self._by_key.get(key) if key is not None else None
        if not captures:
            return None
        if len(captures) == 1 or not at:
            return captures[-1] if at else captures[0]
        index = bisect_right([c.date for c in captures], at)
        return captures[index - 1] if index else captures[0]

    def missing_targets(self) -> set[str]:
        """Redirect targets of indexed captures that no capture answers yet."""
        missing = set()
        for captures in self._by_key.values():
            for capture in captures:
                if capture.status in _REDIRECTS and capture.location:
                    target = urljoin(capture.url, capture.location)
                    if not self.captured(target):
                        missing.add(target)
        return missing

    def fetch(self, url: str, *, at: str = "", max_bytes: int = MAX_CAPTURE_BYTES) -> FetchResult:
        """What fetching ``url`` at time ``at`` gave, from the captures; redirects followed.

        A URL (or redirect target) with no capture gives ``status=None`` and ``error`` starting
        with :data:`NOT_CAPTURED`.
        """
        current = url
        hops = 0
        while True:
            capture = self.capture(current, at)
            if capture is None:
                where = "" if current == url else f" (redirect target {current})"
                return FetchResult(
                    url=url, status=None, final_url=current, error=NOT_CAPTURED + where,
                    redirects=hops,
                )  # fmt: skip
            if capture.status in _REDIRECTS and capture.location and hops < MAX_REDIRECTS:
                hops += 1
                current = urljoin(current, capture.location)
                continue
            body = capture.body[:max_bytes]
            return FetchResult(
                url=url,
                status=capture.status,
                body=body,
                final_url=current,
                redirects=hops,
                truncated=capture.truncated or len(capture.body) > max_bytes,
            )


def _date(capture: Capture) -> str:
    return capture.date


def not_captured_evidence(site: SiteFiles, families: frozenset[str]) -> tuple[Evidence, ...]:
    """Informational evidence (no stance) for each site file of ``site`` that was not captured."""
    found = []
    for kind, site_file in (
        ("robots", site.robots),
        ("tdmrep", site.tdmrep),
        ("aitxt", site.aitxt),
    ):
        if site_file.state is FileState.NOT_CAPTURED:
            family, source = FAMILY_OF_FILE[kind]
            if family in families:
                found.append(
                    Evidence(
                        family=family,
                        source=source,
                        value="",
                        url=site_file.url or None,
                        note=(site_file.error or NOT_CAPTURED)
                        + "; its rules are unknown, not taken as absent",
                    )
                )
    return tuple(found)


class SiteFileSource:
    """An origin's :class:`SiteFiles` for a page, built once per origin (and capture choice).

    ``fetch(url, at)`` is :meth:`CaptureIndex.fetch` for archives, or a live fetcher's (the
    command line's ``--live-site-files``). The files are read by
    :func:`~optout_middleware.sitepolicy.read_site_file`: the middleware's rules.

    ``documents(urls, at)`` gives RSL documents by URL (:mod:`.documents` for archives, the
    command line's fetcher live); with it and the ``rsl`` family on, ``SiteFiles.rsl`` holds
    the documents robots.txt ``License:`` lines name for ``context``'s crawler, as the
    middleware's site-file fetch fills it, and :meth:`page_documents` serves a page's own.
    """

    __slots__ = (
        "_cache", "_context", "_dated", "_documents", "_families", "_fetch", "_index",
        "_preloaded", "_rsl_dated",
    )  # fmt: skip

    def __init__(
        self,
        fetch: Callable[[str, str], FetchResult],
        *,
        families: frozenset[str],
        index: CaptureIndex | None = None,
        documents: Documents | None = None,
        context: Context | None = None,
    ) -> None:
        self._fetch = fetch
        self._index = index
        self._families = families
        self._documents = documents if "rsl" in families else None
        self._context = context or Context()
        # License: document URLs of the origins (and capture choices) where one was captured
        # several times: the capture for the page's date is part of the cache key
        self._rsl_dated: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        # Parsed files are rebuilt from the captures on a miss: bounded, unlike the origins of a
        # long run (Common Crawl: tens of thousands per file).
        self._cache: Memo[tuple[str, tuple[str, ...]], tuple[SiteFiles, tuple[Evidence, ...]]] = (
            Memo(ORIGIN_LIMIT)
        )
        self._dated: dict[str, bool] = {}
        self._preloaded: dict[str, Mapping[str, FetchResult]] = {}

    @classmethod
    def from_index(
        cls,
        index: CaptureIndex,
        *,
        families: frozenset[str],
        documents: Documents | None = None,
        context: Context | None = None,
    ) -> SiteFileSource:
        return cls(
            lambda url, at: index.fetch(url, at=at),
            families=families, index=index, documents=documents, context=context,
        )  # fmt: skip

    @property
    def reads_rsl(self) -> bool:
        """Whether pages' RSL documents are looked up (:meth:`page_documents`)."""
        return self._documents is not None

    def page_documents(self, urls: Sequence[str], at: str = "") -> Mapping[str, SiteFile[Any]]:
        """The RSL documents a page links to, for ``ResponseView.rsl_documents``."""
        return self._documents(urls, at) if self._documents is not None else {}

    def get(self, origin: str, at: str = "") -> tuple[SiteFiles, tuple[Evidence, ...]]:
        """The site files of ``origin`` for a page captured at ``at``, and the not-captured notes."""
        choice: tuple[str, ...] = ()
        if self._index is not None and self._is_dated(origin):
            choice = self._captures([site_file_url(origin, kind) for kind in SITE_FILE_PATHS], at)
        key = (origin, choice)
        dated = self._rsl_dated.get(key)
        if dated is not None:  # its License: documents were captured several times
            key = (origin, (*choice, *self._captures(dated, at)))
        found = self._cache.get(key)
        if found is None:
            fetched = self._preloaded.get(origin, {})
            files: dict[str, SiteFile[Any]] = {}
            for kind in SITE_FILE_PATHS:
                url = site_file_url(origin, kind)
                result = fetched.get(kind) or self._fetch(url, at)
                files[kind] = _read(kind, url, result)
            site = self._with_documents(build_site_files(origin, files), key, at)
            found = self._cache.put(key, (site, not_captured_evidence(site, self._families)))
        return found

    def _with_documents(
        self, site: SiteFiles, key: tuple[str, tuple[str, ...]], at: str
    ) -> SiteFiles:
        """``site`` with the RSL documents its robots.txt ``License:`` lines name (the
        middleware's ``RslDocumentFetcher.attach_site_documents``)."""
        if self._documents is None:
            return site
        associations = site_associations(site, self._context)
        if not associations:
            return site
        urls = [a.url for a in associations if a.url]
        documents = self._documents(urls, at)
        index = self._index
        if index is not None and any(index.capture_count(u) > 1 for u in urls):
            self._rsl_dated[key] = urls
        return dataclasses.replace(site, rsl=tuple(documents.values()) or (NO_DOCUMENT,))

    def _captures(self, urls: Iterable[str], at: str) -> tuple[str, ...]:
        """Which capture of each of ``urls`` a page captured at ``at`` is judged with."""
        index = self._index
        assert index is not None  # noqa: S101  (dated only with an index)
        return tuple(
            c.source if c is not None else "" for c in (index.capture(u, at) for u in urls)
        )

    def _is_dated(self, origin: str) -> bool:
        """Whether any site file of ``origin`` was captured more than once (choice by date)."""
        dated = self._dated.get(origin)
        if dated is None:
            index = self._index
            assert index is not None  # noqa: S101  (only called with an index)
            dated = self._dated[origin] = any(
                index.capture_count(site_file_url(origin, kind)) > 1 for kind in SITE_FILE_PATHS
            )
        return dated

    def preload(self, results: Mapping[str, Mapping[str, FetchResult]]) -> None:
        """Use already fetched files (``{origin: {kind: result}}``) instead of fetching."""
        self._preloaded.update(results)


def _read(kind: str, url: str, result: FetchResult) -> SiteFile[Any]:
    if result.status is None and (result.error or "").startswith(NOT_CAPTURED):
        return SiteFile(FileState.NOT_CAPTURED, url=url, error=result.error)
    return read_site_file(kind, result)
