"""Site-wide policy files of an origin: where they live, how a fetch is read, how they are cached.

Pure code: nothing here does I/O. A fetcher (the Scrapy middleware, the CLI) downloads
``site_file_url(origin, kind)``, reports what it saw as a :class:`FetchResult`, and
:func:`read_site_file` applies the status rules; :func:`build_site_files` bundles the three files
of an origin for the evaluator, and a :class:`PolicyCache` keeps them per origin.
"""

from __future__ import annotations

from .cache import LruPolicyCache, PolicyCache
from .origin import MAX_REDIRECTS, SITE_FILE_PATHS, SIZE_CAPS, origin_of, site_file_url
from .rsl import (
    RSL_MAX_BYTES,
    RslDocumentCache,
    RslDocumentStore,
    StoredFetch,
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
    "MAX_REDIRECTS",
    "RSL_MAX_BYTES",
    "SITE_FILE_PATHS",
    "SIZE_CAPS",
    "TOO_MANY_REDIRECTS",
    "UNREACHABLE_RETRY_SECS",
    "FetchResult",
    "LruPolicyCache",
    "PolicyCache",
    "RslDocumentCache",
    "RslDocumentStore",
    "StoredFetch",
    "build_site_files",
    "document_ttl",
    "origin_of",
    "read_rsl_document",
    "read_site_file",
    "retry_due",
    "site_file_url",
]
