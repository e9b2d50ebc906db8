"""Stored crawls: the verdict for every HTTP response in WARC archives, and a filtered copy.

:func:`check_warc` yields one :class:`WarcResult` per HTTP response (and revisit) record, decided
by the middleware's :class:`~optout_middleware.evaluate.Evaluator` with the origin's site files as
the archives captured them. ``optout warc`` is the command line over the same functions.

Layers, each a module: :mod:`.records` reads WARC files (FastWARC; corrupt records reported and
skipped); :mod:`.scan` is pass 1 (site-file captures, origins, record groups); :mod:`.sitefiles`
answers site-file lookups from the captures with the middleware's status rules; :mod:`.check` is
pass 2 (decisions); :mod:`.keep` copies the records that are not reserved.

Needs the ``warc`` extra: ``pip install 'optout-middleware[warc]'``.

Plugging in families that fetch more documents (RSL): a family that reads a document by URL can
look it up in the archives with ``CaptureIndex.fetch(url, at=record_date)``, which follows
redirects between records and answers like a fetcher (a :class:`FetchResult` whose ``error``
starts with ``NOT_CAPTURED`` when no archive holds it). Ask for such URLs with
``CaptureIndex.want(urls)`` before pass 1 (or run :func:`index_archives`, which re-scans for
wanted URLs that are missing).
"""

from __future__ import annotations

from .check import WarcResult, check_warc, decide_archive, index_archives
from .records import Record, RecordError, iter_records
from .scan import Scan, scan_archive
from .sitefiles import NOT_CAPTURED, Capture, CaptureIndex, SiteFileSource

__all__ = [
    "NOT_CAPTURED",
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
