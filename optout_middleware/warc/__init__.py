"""Stored crawls: the verdict for every HTTP response in WARC archives, and a filtered copy.

:func:`check_warc` yields one :class:`WarcResult` per HTTP response (and revisit) record, decided
by the middleware's :class:`~optout_middleware.evaluate.Evaluator` with the origin's site files as
the archives captured them. ``optout warc`` is the command line over the same functions.

Layers, each a module: :mod:`.records` reads WARC files (FastWARC; corrupt records reported and
skipped); :mod:`.scan` is pass 1 (site-file captures, origins, record groups); :mod:`.sitefiles`
answers site-file lookups from the captures with the middleware's status rules; :mod:`.check` is
pass 2 (decisions); :mod:`.documents` reads documents named by URL (RSL licences) from their
records on demand; :mod:`.keep` copies the records that are not reserved.

Needs the ``warc`` extra: ``pip install 'optout-middleware[warc]'``.

Families that fetch more documents: RSL licence documents (named by robots.txt ``License:`` lines
and by a record's ``Link`` header or ``<link>``) are read on demand by :mod:`.documents` from the
records where pass 1 saw them, and fill ``SiteFiles.rsl`` and ``ResponseView.rsl_documents`` as
the middleware's fetchers do. Another family that reads a document by URL can look it up the same
way, ``ArchiveDocuments(index, scans).fetch(url, at=record_date)``, or with
``CaptureIndex.fetch(url, at=record_date)`` after asking for it with ``CaptureIndex.want(urls)``
before pass 1; both follow redirects between records and answer like a fetcher (a
:class:`FetchResult` whose ``error`` starts with ``NOT_CAPTURED`` when no archive holds it).
"""

from __future__ import annotations

from .check import WarcResult, check_warc, decide_archive, index_archives
from .documents import ArchiveDocuments
from .records import Record, RecordError, iter_records
from .scan import Scan, scan_archive
from .sitefiles import NOT_CAPTURED, Capture, CaptureIndex, SiteFileSource

__all__ = [
    "NOT_CAPTURED",
    "ArchiveDocuments",
    "Capture",
    "CaptureIndex",
    "Record",
    "RecordError",
    "Scan",
    "SiteFileSource",
    "WarcResult",
    "check_warc",
    "decide_archive",
    "index_archives",
    "iter_records",
    "scan_archive",
]
