"""What a cluster shares per fetched file, and under which key for how long (no I/O here).

An entry is what was downloaded, never a parsed object: the fetcher's
:class:`~optout_middleware.sitepolicy.FetchResult` (status, final URL, body, error, redirects),
when, and by which worker, as ``MAGIC + JSON header + "\\n" + body`` (zlib above 1 KiB; the body's
SHA-256 in the header). A compromised store therefore cannot run code on a worker, and every
worker reads the bytes through the same status rules. Keys carry the subject's hash as a Redis
Cluster hash tag, so one subject's files and lease live in one slot (MGET stays legal).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass

from .rules import FetchResult

__all__ = [
    "COMPRESS_ABOVE",
    "DEFAULT_PREFIX",
    "MAGIC",
    "KeySchema",
    "StoredFetch",
    "decode_entry",
    "encode_entry",
    "short_lived",
    "ttl_secs",
]

DEFAULT_PREFIX = "optout:v1"
MAGIC = b"O1"  # envelope version: a change of layout gets a new magic, old entries read as misses
COMPRESS_ABOVE = 1024  # bytes; most site files are small or empty 404 pages
_SHORT_LIVED_STATUSES = frozenset({429})


@dataclass(frozen=True, slots=True)
class StoredFetch:
    """One fetched file as shared: the fetcher's observation, when, and by which worker."""

    kind: str
    subject: str  # the origin of a site file, the URL of a document
    result: FetchResult
    fetched_at: float  # Unix time the download ended
    worker: str = ""


def encode_entry(entry: StoredFetch) -> bytes:
    """``MAGIC + JSON header + "\\n" + body``, the body zlib-compressed above 1 KiB."""
    result = entry.result
    body = result.body
    compressed = len(body) > COMPRESS_ABOVE
    header = {
        "kind": entry.kind,
        "subject": entry.subject,
        "url": result.url,
        "status": result.status,
        "final_url": result.final_url,
        "error": result.error,
        "redirects": result.redirects,
        "truncated": result.truncated,
        "fetched_at": entry.fetched_at,
        "worker": entry.worker,
        "zlib": compressed,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    text = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return MAGIC + text + b"\n" + (zlib.compress(body, 6) if compressed else body)


def decode_entry(data: bytes, *, kind: str, subject: str, max_body: int) -> StoredFetch:
    """The entry stored under the key of (``kind``, ``subject``); ``ValueError`` for anything
    else: another version, a hash collision, a damaged or oversized body, a bad header."""
    if not data.startswith(MAGIC):
        raise ValueError("not a v1 entry")
    newline = data.find(b"\n")
    if newline < 0:
        raise ValueError("no header")
    try:
        header = json.loads(data[len(MAGIC) : newline])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"bad header: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError("bad header")  # noqa: TRY004  (ValueError: any damage is a miss)
    if header.get("kind") != kind or header.get("subject") != subject:
        raise ValueError("entry of another file")
    body = data[newline + 1 :]
    if header.get("zlib") is True:
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, max_body + 1)
        except zlib.error as exc:
            raise ValueError(f"bad body: {exc}") from None
    if len(body) > max_body:
        raise ValueError("body over the size cap")
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise ValueError("body does not match its digest")
    try:
        status = header["status"]
        result = FetchResult(
            url=str(header["url"]),
            status=None if status is None else int(status),
            body=body,
            final_url=str(header["final_url"]),
            error=None if header["error"] is None else str(header["error"]),
            redirects=int(header["redirects"]),
            truncated=bool(header["truncated"]),
        )
        return StoredFetch(
            kind, subject, result, float(header["fetched_at"]), str(header.get("worker", ""))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"bad header field: {exc}") from None


@dataclass(frozen=True, slots=True)
class KeySchema:
    """Key names. ``{h}`` is a Redis Cluster hash tag: one subject's keys share a slot."""

    prefix: str = DEFAULT_PREFIX

    @staticmethod
    def subject_hash(subject: str) -> str:
        return hashlib.sha1(subject.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]

    def file_key(self, kind: str, subject: str) -> str:
        return f"{self.prefix}:file:{{{self.subject_hash(subject)}}}:{kind}"

    def lease_key(self, subject: str) -> str:
        return f"{self.prefix}:lease:{{{self.subject_hash(subject)}}}"


def short_lived(result: FetchResult) -> bool:
    """Whether ``result`` is an error worth asking again soon: no response, 1xx, 429 or 5xx
    (RFC 9309 "unreachable" for robots.txt; a rate limit passes too)."""
    status = result.status
    return status is None or status < 200 or status >= 500 or status in _SHORT_LIVED_STATUSES  # noqa: PLR2004


def ttl_secs(result: FetchResult, *, ok_secs: float, error_secs: float) -> float:
    """How long the cluster keeps ``result``: the error TTL for :func:`short_lived` results
    (the cluster then shares one "unreachable" window), else the cache TTL."""
    return error_secs if short_lived(result) else ok_secs
