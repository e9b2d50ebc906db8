"""Site-wide policy files of an origin: where they live, how a fetch is read, how they are cached.

Pure code: nothing here does I/O. A fetcher (the Scrapy middleware, the CLI) downloads
``site_file_url(origin, kind)``, reports what it saw as a :class:`FetchResult`, and
:func:`read_site_file` applies the status rules; :func:`build_site_files` bundles the three files
of an origin for the evaluator, and a :class:`PolicyCache` keeps them per origin;
:func:`with_last_good` lets the last good robots.txt stand in while robots.txt is unreachable, and
:func:`robots_forbids` is the crawler's own RFC 9309 permission (``ROBOTSTXT_OBEY``).
"""

from __future__ import annotations

from .cache import LastGoodCache, LruPolicyCache, PolicyCache
from .entries import StoredFetch
from .lastgood import LAST_GOOD_SECS, with_last_good
from .origin import (
    MAX_REDIRECTS,
    SITE_FILE_PATHS,
    SIZE_CAPS,
    origin_of,
    origin_or_none,
    site_file_url,
)
from .permission import robots_forbids
from .rsl import (
    RSL_KIND,
    RSL_MAX_BYTES,
    RslDocumentCache,
    RslDocumentStore,
    document_ttl,
    read_rsl_document,
)
from .rules import (
    TOO_MANY_REDIRECTS,
    UNREACHABLE_RETRY_SECS,
    FetchResult,
    build_site_files,
    read_site_file,
    retry_due,
)

__all__ = [
    "LAST_GOOD_SECS",
    "MAX_REDIRECTS",
    "RSL_KIND",
    "RSL_MAX_BYTES",
    "SITE_FILE_PATHS",
    "SIZE_CAPS",
    "TOO_MANY_REDIRECTS",
    "UNREACHABLE_RETRY_SECS",
    "FetchResult",
    "LastGoodCache",
    "LruPolicyCache",
    "PolicyCache",
    "RslDocumentCache",
    "RslDocumentStore",
    "StoredFetch",
    "build_site_files",
    "document_ttl",
    "origin_of",
    "origin_or_none",
    "read_rsl_document",
    "read_site_file",
    "retry_due",
    "robots_forbids",
    "site_file_url",
    "with_last_good",
]
