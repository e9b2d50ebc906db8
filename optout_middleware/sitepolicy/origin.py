"""Origin keys and site-file locations: which URL's policy lives where, and how much of it we read.

A site file belongs to an origin (RFC 6454: scheme, host, port): ``http://a.example`` and
``https://a.example`` are different sites with different robots.txt files (RFC 9309 section 2.3).
Keys spell the port out, so ``https://a.example`` and ``https://a.example:443`` share one entry,
and hosts are lower-cased and IDNA-encoded the way Scrapy (w3lib) encodes request URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from optout_middleware.memo import Memo

__all__ = [
    "DEFAULT_PORTS",
    "MAX_REDIRECTS",
    "SITE_FILE_PATHS",
    "SIZE_CAPS",
    "origin_of",
    "origin_or_none",
    "site_file_url",
]

SITE_FILE_PATHS: dict[str, str] = {
    "robots": "/robots.txt",
    "aitxt": "/ai.txt",
    "tdmrep": "/.well-known/tdmrep.json",
}

# Bytes read at most. RFC 9309 section 2.5 sets a floor of 500 KiB for robots.txt; Google reads
# exactly that and ignores the rest. tdmrep.json is JSON and useless when cut, so it gets more room.
SIZE_CAPS: dict[str, int] = {
    "robots": 500 * 1024,
    "aitxt": 500 * 1024,
    "tdmrep": 1024 * 1024,
    "rsl": 512 * 1024,  # RSL licence documents (sitepolicy/rsl.py), fetched by URL
}

MAX_REDIRECTS = 5  # RFC 9309 section 2.3.1.2: follow at least five consecutive redirects

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


def _host_key(host: str) -> str:
    """Lower-case ``host`` and IDNA-encode non-ASCII labels (IDNA 2003, as w3lib does)."""
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or over-long label: keep it readable rather than fail
        return host


def origin_of(url: str) -> str:
    """The origin key of ``url``: ``scheme://host:port`` with host lower-cased and port explicit.

    Raises ``ValueError`` for a URL without a scheme or host, an invalid port, or a scheme with no
    known default port and none given.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname  # already lower-cased by urlsplit, userinfo and brackets removed
    if not scheme or not host:
        raise ValueError(f"not an absolute URL with a host: {url!r}")
    port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    if port is None:
        port = DEFAULT_PORTS.get(scheme)
        if port is None:
            raise ValueError(f"no default port for scheme {scheme!r} in {url!r}")
    key = _host_key(host)
    if ":" in key:  # IPv6 literal: brackets keep the port unambiguous
        key = f"[{key}]"
    return f"{scheme}://{key}:{port}"


_ORIGINS: Memo[str, str | None] = Memo(4096)  # "scheme://authority" -> origin_or_none


def origin_or_none(url: str) -> str | None:
    """``origin_of(url)``, or None where it raises ``ValueError``; remembered per process.

    Runs for every request of a crawl and every record of an archive. The memo is keyed by the
    URL up to its third ``/`` (``scheme://authority``, or more when the authority is followed
    by ``?`` or ``#``): every part of the URL that ``origin_of`` reads, so pages of a site share
    one entry.
    """
    prefix = "/".join(url.split("/", 3)[:3])
    try:
        return _ORIGINS[prefix]
    except KeyError:
        pass
    try:
        origin: str | None = origin_of(url)
    except ValueError:
        origin = None
    return _ORIGINS.put(prefix, origin)


def site_file_url(origin: str, kind: str) -> str:
    """The URL of site file ``kind`` (a key of :data:`SITE_FILE_PATHS`) on ``origin``.

    The default port is left out, as a browser would write the URL.
    """
    try:
        path = SITE_FILE_PATHS[kind]
    except KeyError:
        raise ValueError(
            f"unknown site file kind {kind!r}; expected one of: {', '.join(SITE_FILE_PATHS)}"
        ) from None
    scheme, _, authority = origin.partition("://")
    host, _, port = authority.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not an origin key like 'https://example.com:443': {origin!r}")
    if DEFAULT_PORTS.get(scheme) == int(port):
        return f"{scheme}://{host}{path}"
    return f"{scheme}://{host}:{port}{path}"
