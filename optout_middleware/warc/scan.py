"""Pass 1 over an archive: its site-file captures, its origins, and which records go together.

Site files can come after the pages they govern (a crawler fetches robots.txt when it first meets a
host, but archives are split, sorted and merged), so every archive is scanned once before any
record is decided. The scan reads WARC and HTTP headers only, plus the bodies of site-file
captures, so it costs about a tenth of the deciding pass.

Records belong together (a response with its request and metadata records, which ``--keep`` must
keep or drop with it) through ``WARC-Concurrent-To`` (either direction), ``WARC-Refers-To`` (from a
metadata, resource or conversion record), and, for a request or metadata record that names
nothing, the response with the same ``WARC-Target-URI`` nearest to it in the file.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from optout_middleware.sitepolicy import SITE_FILE_PATHS, origin_of

from .records import HTTP_RESPONSE_TYPES, RecordError, iter_records
from .sitefiles import CaptureIndex, host_key

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Scan", "scan_archive"]

_SITE_PATHS = frozenset(SITE_FILE_PATHS.values())
_REFERRING = frozenset({"metadata", "resource", "conversion"})
_BY_URI = frozenset({"request", "metadata"})


@dataclass(slots=True)
class Scan:
    """What pass 1 learnt about one archive."""

    path: str
    captures: CaptureIndex = field(default_factory=CaptureIndex)
    origins: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)  # host_key() of each response
    records: int = 0
    # record id -> id of its group's response (only records that belong to one)
    group_of: dict[str, str] = field(default_factory=dict)
    # group -> how many HTTP responses it holds (a response alone is its own group)
    responses: dict[str, int] = field(default_factory=dict)
    # request records with no readable response: --keep drops them (nothing to keep them for)
    orphans: set[str] = field(default_factory=set)
    # one gzip stream for the whole file: record offsets are not member boundaries
    single_stream: bool = False
    errors: list[RecordError] = field(default_factory=list)
    # hash(WARC-Target-URI) -> offset(s) of its HTTP responses, site files left out: where a
    # document named by URL (an RSL licence) is read from on demand (warc.documents). Python's
    # string hash: valid in this process and its forked workers, like the rest of the scan.
    locations: dict[int, int | list[int]] = field(default_factory=dict)


def scan_archive(
    path: str,
    *,
    captures: CaptureIndex | None = None,
    groups: bool = True,
    on_error: Callable[[RecordError], None] | None = None,
) -> Scan:
    """Pass 1 over the WARC file at ``path`` (module docstring).

    ``captures``: an index whose :meth:`~CaptureIndex.want` list says which other URLs to keep.
    """
    index = captures if captures is not None else CaptureIndex()
    scan = Scan(path, captures=index)
    errors = scan.errors

    def record_error(error: RecordError) -> None:
        errors.append(error)
        if on_error is not None:
            on_error(error)

    source = path.rsplit("/", 1)[-1]
    links: dict[str, set[str]] = {}
    responses_by_uri: dict[str, list[tuple[int, str]]] = {}
    unlinked: list[tuple[int, str, str]] = []
    response_ids: list[str] = []
    prefixes: set[str] = set()  # scheme://authority of each response: origins, computed once
    request_ids: list[str] = []
    previous_offset = -1
    with open(path, "rb") as stream:
        records = iter_records(
            stream, want_body=lambda kind, uri: kind in HTTP_RESPONSE_TYPES and index.wants(uri),
            on_error=record_error, parse_http=False,
            types=None if groups else HTTP_RESPONSE_TYPES,  # FastWARC skips the rest unread
            lean=not groups,
        )  # fmt: skip
        for record in records:
            scan.records += 1
            if record.offset == previous_offset:
                scan.single_stream = True
            previous_offset = record.offset
            if record.type in HTTP_RESPONSE_TYPES and record.http:
                if record.body is not None:
                    index.add_record(record, f"{source}@{record.offset}")
                elif not is_site_file_url(record.target_uri):
                    _locate(scan.locations, record.target_uri, record.offset)
                prefixes.add(_prefix(record.target_uri))
                if groups and record.record_id:
                    response_ids.append(record.record_id)
                    responses_by_uri.setdefault(record.target_uri, []).append(
                        (record.offset, record.record_id)
                    )
            if not groups or not record.record_id:
                continue
            if record.type == "request":
                request_ids.append(record.record_id)
            named = list(record.concurrent_to)
            if record.refers_to and record.type in _REFERRING:
                named.append(record.refers_to)
            for other in named:
                links.setdefault(record.record_id, set()).add(other)
                links.setdefault(other, set()).add(record.record_id)
            if not named and record.type in _BY_URI:
                unlinked.append((record.offset, record.record_id, record.target_uri))
    for prefix in prefixes:
        scan.hosts.add(host_key(prefix))
        with suppress(ValueError):  # a URI without a host has no site files
            scan.origins.add(origin_of(prefix))
    if groups:
        for offset, record_id, uri in unlinked:
            nearest = min(
                responses_by_uri.get(uri, ()), key=lambda r: abs(r[0] - offset), default=None
            )
            if nearest is not None:
                links.setdefault(record_id, set()).add(nearest[1])
                links.setdefault(nearest[1], set()).add(record_id)
        scan.group_of = group_of = _groups(links)
        for record_id in response_ids:
            group = group_of.get(record_id, record_id)
            scan.responses[group] = scan.responses.get(group, 0) + 1
        scan.orphans = {r for r in request_ids if group_of.get(r, r) not in scan.responses}
    return scan


def is_site_file_url(url: str) -> bool:
    """Whether ``url`` is a robots.txt, ai.txt or tdmrep.json (cheap for other URLs)."""
    if "robots.txt" not in url and "ai.txt" not in url and "tdmrep.json" not in url:
        return False
    try:
        return urlsplit(url).path in _SITE_PATHS
    except ValueError:
        return False


def _locate(locations: dict[int, int | list[int]], uri: str, offset: int) -> None:
    key = hash(uri)
    found = locations.get(key)
    if found is None:
        locations[key] = offset
    elif isinstance(found, int):
        locations[key] = [found, offset]
    else:
        found.append(offset)


def _groups(links: dict[str, set[str]]) -> dict[str, str]:
    """Connected record ids -> one representative id per group."""
    group_of: dict[str, str] = {}
    for start in links:
        if start in group_of:
            continue
        stack = [start]
        group_of[start] = start
        while stack:
            for other in links.get(stack.pop(), ()):
                if other not in group_of:
                    group_of[other] = start
                    stack.append(other)
    return group_of


def _prefix(url: str) -> str:
    """``url`` up to its path: everything its origin depends on (``scheme://authority``)."""
    return "/".join(url.split("/", 3)[:3])
