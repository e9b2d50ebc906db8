"""Downloads for the command line, with requests, bounded the way the middleware bounds them.

The only module that imports requests. It follows redirects itself (``allow_redirects=False``) so
it can count hops and record each one, reads bodies in small pieces so that a size cap and a
total deadline hold even for a server that drips one byte at a time, and reports every failure
as a short string instead of raising: a site file that cannot be fetched is an outcome, not an
error. Reading what was fetched (status rules, parsing) is :mod:`optout_middleware.sitepolicy`'s
job, never this module's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from optout_middleware.sitepolicy import TOO_MANY_REDIRECTS, FetchResult

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_TIMEOUT_SECS",
    "DEFAULT_USER_AGENT",
    "PAGE_MAX_BYTES",
    "PAGE_MAX_REDIRECTS",
    "Fetched",
    "Fetcher",
]

DEFAULT_USER_AGENT = "optout-middleware/0.1 (+https://pypi.org/project/optout-middleware/)"
DEFAULT_TIMEOUT_SECS = 10.0
PAGE_MAX_BYTES = 1024 * 1024  # >= htmlhead.MAX_HEAD_BYTES (256 KiB): the head scan needs no more
PAGE_MAX_REDIRECTS = 20  # Scrapy's REDIRECT_MAX_TIMES default
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Scrapy's default Accept headers: the page is asked for as a crawl would ask for it.
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one download observed, after redirects; ``status`` is None when nothing came back."""

    url: str  # as first requested
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()  # every header line, duplicates kept, in order
    body: bytes = b""  # decoded (gzip, deflate, ...), at most the cap
    final_url: str = ""
    error: str | None = None
    hops: tuple[str, ...] = ()  # every URL requested before final_url, in order
    truncated: bool = False

    @property
    def redirects(self) -> int:
        """How many redirects were followed."""
        return len(self.hops)

    def as_fetch_result(self) -> FetchResult:
        """The same observation in the shape :func:`sitepolicy.read_site_file` reads."""
        return FetchResult(
            url=self.url,
            status=self.status,
            body=self.body,
            final_url=self.final_url or self.url,
            error=self.error,
            redirects=self.redirects,
            truncated=self.truncated,
        )


class Fetcher:
    """GETs URLs with one User-Agent and timeout; safe to share between threads.

    ``timeout`` bounds connecting, each read, and each whole download (one redirect hop): a body
    still arriving after ``timeout`` seconds is abandoned and the fetch reported as a timeout,
    as Scrapy's ``DOWNLOAD_TIMEOUT`` does.
    """

    __slots__ = ("headers", "timeout")

    def __init__(
        self, *, user_agent: str = DEFAULT_USER_AGENT, timeout: float = DEFAULT_TIMEOUT_SECS
    ) -> None:
        self.headers: Mapping[str, str] = {
            "User-Agent": user_agent,
            "Accept": _ACCEPT,
            "Accept-Language": "en",
        }
        self.timeout = timeout

    def fetch(self, url: str, *, max_bytes: int, max_redirects: int) -> Fetched:
        """GET ``url``, following at most ``max_redirects`` redirects, reading ``max_bytes``."""
        hops: list[str] = []
        current = url
        with requests.Session() as session:  # one per fetch: sessions are not thread-safe
            while True:
                try:
                    response = session.get(
                        current,
                        headers=self.headers,
                        stream=True,
                        allow_redirects=False,
                        timeout=(self.timeout, self.timeout),
                    )
                except (
                    requests.RequestException,
                    urllib3.exceptions.HTTPError,
                    ValueError,
                    OSError,
                ) as exc:  # requests lets a few of these through
                    return Fetched(
                        url, None, final_url=current, error=_describe(exc), hops=tuple(hops)
                    )
                with response:
                    status = response.status_code
                    headers = tuple(response.raw.headers.items())
                    location = response.headers.get("Location")
                    if status in _REDIRECTS and location:
                        target, problem = _redirect_target(current, location)
                        if problem is None and len(hops) < max_redirects:
                            hops.append(current)
                            current = target
                            continue
                        return Fetched(
                            url,
                            status,
                            headers,
                            final_url=current,
                            error=problem or TOO_MANY_REDIRECTS,
                            hops=tuple(hops),
                        )
                    body, truncated, error = self._read(response, max_bytes)
                if error is not None:
                    return Fetched(
                        url, None, headers, final_url=current, error=error, hops=tuple(hops)
                    )
                return Fetched(url, status, headers, body, current, None, tuple(hops), truncated)

    def _read(self, response: requests.Response, max_bytes: int) -> tuple[bytes, bool, str | None]:
        """Read the decoded body up to ``max_bytes``; stop at the deadline (slow drips)."""
        deadline = time.monotonic() + self.timeout
        raw = response.raw
        body = bytearray()
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return bytes(body), False, "timeout"
                connection = raw.connection
                sock = getattr(connection, "sock", None) if connection is not None else None
                if sock is not None:  # each read may only wait for what is left of the deadline
                    sock.settimeout(min(remaining, self.timeout))
                chunk = raw.read1(min(_CHUNK, max_bytes + 1 - len(body)), decode_content=True)
                if not chunk:
                    return bytes(body), False, None
                body += chunk
                if len(body) > max_bytes:  # one octet past the cap proves there was more
                    return bytes(body[:max_bytes]), True, None
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            return bytes(body), False, "timeout"
        except urllib3.exceptions.DecodeError as exc:
            return bytes(body), False, f"bad content-encoding: {_first_line(exc)}"
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            return bytes(body), False, f"connection error: {_first_line(exc)}"


def _redirect_target(current: str, location: str) -> tuple[str, str | None]:
    """The absolute redirect target, or why it cannot be followed."""
    try:
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
    except ValueError:
        return "", f"bad redirect location {location[:200]!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "", f"redirect to unsupported URL {location[:200]!r}"
    return parts._replace(fragment="").geturl(), None


def _describe(exc: Exception) -> str:
    """A short, stable description of a failed request."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_first_line(exc)}"
    if isinstance(exc, requests.ConnectionError):
        if "refused" in text.lower():
            return "connection refused"
        if "resolve" in text.lower() or "name or service not known" in text.lower():
            return "host name not resolved"
        return f"connection error: {_first_line(exc)}"
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ),
    ):
        return f"invalid URL: {_first_line(exc)}"
    return f"request failed: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
