"""Documents named by URL (RSL licences), read from the archives on demand, by the middleware's rules.

A robots.txt ``License:`` line, a ``Link`` header or a head ``<link>`` names an RSL document by
URL, anywhere. Pass 1 cannot know those URLs (the head is read only in pass 2) and keeping every
body would cost a second copy of the archives, so pass 1 only notes where each HTTP response is
(:attr:`Scan.locations <optout_middleware.warc.scan.Scan.locations>`), and a document is read from
its record(s) the first time a decision needs it: :class:`ArchiveDocuments` adds the captures to
the :class:`~.sitefiles.CaptureIndex`, whose :meth:`~.sitefiles.CaptureIndex.fetch` follows 3xx
captures from record to record (each hop read on demand too), and
:func:`~optout_middleware.sitepolicy.read_rsl_document` applies the middleware's status rules
(2xx only, at most 5 redirects, 512 KiB, no https-to-http downgrade).

A document (or redirect target) that no archive holds is ``FileState.NOT_CAPTURED``: its terms
are unknown. The ``rsl`` family then takes no stance and says so in the evidence (neither
"absent" nor "unreadable", which would reserve); ``--live-site-files`` fetches it instead.

URLs are matched as the crawler wrote them in ``WARC-Target-URI`` (after resolving the
association against its base), then checked by :func:`~.sitefiles.url_key`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from optout_middleware.inputs import FileState, SiteFile
from optout_middleware.memo import Memo
from optout_middleware.sitepolicy import MAX_REDIRECTS, RSL_MAX_BYTES, read_rsl_document

from .records import HTTP_RESPONSE_TYPES, iter_records
from .scan import scan_archive
from .sitefiles import NOT_CAPTURED, url_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from optout_middleware.formats.rsl import RslDocument
    from optout_middleware.sitepolicy import FetchResult

    from .scan import Scan
    from .sitefiles import CaptureIndex

__all__ = ["ArchiveDocuments", "document_from_fetch"]


def document_from_fetch(result: FetchResult) -> SiteFile[RslDocument]:
    """An RSL document as :func:`read_rsl_document` reads it; not captured stays so."""
    if result.status is None and (result.error or "").startswith(NOT_CAPTURED):
        return SiteFile(FileState.NOT_CAPTURED, url=result.url, error=result.error)
    return read_rsl_document(result)


class ArchiveDocuments:
    """RSL documents by URL from the archives, each read once (per capture chosen by date).

    ``scans`` are the pass-1 scans of every archive (decided ones and ``--site-files`` ones),
    whose ``locations`` say where each response is. Usable in forked workers: each reads what
    it needs from the files itself.
    """

    __slots__ = ("_cache", "_files", "_index", "_looked")

    def __init__(self, index: CaptureIndex, scans: Iterable[Scan]) -> None:
        self._index = index
        self._files = [(s.path, s.locations, s.single_stream) for s in scans]
        self._looked: set[str] = set()  # url keys already looked for in every archive
        self._cache: Memo[tuple[str, str], SiteFile[RslDocument]] = Memo(4096)

    def __call__(self, urls: Sequence[str], at: str = "") -> dict[str, SiteFile[RslDocument]]:
        """The documents at ``urls`` for a page captured at ``at``."""
        return {url: self.get(url, at) for url in dict.fromkeys(urls)}

    def get(self, url: str, at: str = "") -> SiteFile[RslDocument]:
        self._load(url)
        # One read per URL, or per capture when it was captured several times (by ``at``).
        choice = ""
        if self._index.capture_count(url) > 1:
            capture = self._index.capture(url, at)
            choice = capture.source if capture is not None else ""
        key = (url, choice)
        found = self._cache.get(key)
        if found is None:
            found = self._cache.put(key, document_from_fetch(self.fetch(url, at)))
        return found

    def fetch(self, url: str, at: str = "") -> FetchResult:
        """``CaptureIndex.fetch`` with each URL of the redirect chain read from the archives."""
        for _ in range(MAX_REDIRECTS + 1):
            result = self._index.fetch(url, at=at, max_bytes=RSL_MAX_BYTES)
            missing = result.status is None and (result.error or "").startswith(NOT_CAPTURED)
            if not missing or not self._load(result.final_url or url):
                break
        return result

    def _load(self, url: str) -> bool:
        """Add the captures of ``url`` to the index; whether any was found (first look only)."""
        key = url_key(url)
        if key is None or key in self._looked:
            return False
        self._looked.add(key)
        before = self._index.capture_count(url)
        wanted = hash(url.partition("#")[0])  # a crawler requests (and records) no fragment
        for path, locations, single_stream in self._files:
            found = locations.get(wanted)
            if found is None:  # not in this file (its offsets are noted even for one stream)
                continue
            if single_stream:  # one gzip stream: no offset to seek to, so read it all for url
                self._index.want([url])
                scan_archive(path, captures=self._index, groups=False)
                continue
            for offset in [found] if isinstance(found, int) else found:
                self._read_at(path, offset, key)
        return self._index.capture_count(url) > before

    def _read_at(self, path: str, offset: int, key: str) -> None:
        with open(path, "rb") as stream:
            stream.seek(offset)
            records = iter_records(
                stream,
                want_body=lambda kind, uri: True,
                on_error=lambda error: None,
                types=HTTP_RESPONSE_TYPES,
            )
            for record in records:
                if record.offset == offset and url_key(record.target_uri) == key:
                    self._index.add_record(record, f"{os.path.basename(path)}@{offset}")
                break  # the one record there (a hash collision is checked by url_key)
