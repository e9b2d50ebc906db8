"""Pass 2: every HTTP response record decided by the middleware's evaluator; the public entry point.

Each response (and revisit) record becomes a :class:`~optout_middleware.inputs.ResponseView`
(every header line, the decoded body) and is judged by
:meth:`Evaluator.after_download <optout_middleware.evaluate.Evaluator.after_download>` with its
origin's :class:`~optout_middleware.inputs.SiteFiles`: every enabled family runs, built-in or
plugged in, so a family added to the evaluator is applied to archives with no change here. Site
evidence is the evaluator's, plus a stance-less note for each site file that was not captured.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, ResponseView, SiteFile, SiteFiles
from optout_middleware.memo import Memo
from optout_middleware.signals.rsl import page_associations
from optout_middleware.sitepolicy import MAX_REDIRECTS, origin_or_none
from optout_middleware.verdict import Evidence, Purpose, Verdict

from .documents import ArchiveDocuments
from .keep import KeepWriter, RecordCopier
from .records import DEFAULT_MAX_BODY, HTTP_RESPONSE_TYPES, RecordError, is_gzip, iter_records
from .scan import Scan, scan_archive
from .sitefiles import CaptureIndex, SiteFileSource

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from optout_middleware.plugin import SignalParser

    from .records import Record

__all__ = ["WarcResult", "check_warc", "decide_archive", "index_archives"]

_NO_SITE = SiteFiles()
_NO_DOCUMENTS: Mapping[str, SiteFile[Any]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class WarcResult:
    """The verdict for one HTTP response record of an archive."""

    file: str
    offset: int  # of the record in the file
    url: str  # WARC-Target-URI
    record_id: str
    date: str  # WARC-Date: when it was captured
    type: str  # "response" or "revisit"
    status: int | None
    content_type: str
    verdict: Verdict
    site: SiteFiles
    note: str = ""  # how the record was read, when not as stored (cut, coding not decoded)
    # RSL documents the record itself links to (Link header, <link>), by URL, as read
    rsl_documents: Mapping[str, SiteFile[Any]] = field(default_factory=lambda: _NO_DOCUMENTS)

    @property
    def reserved(self) -> bool | None:
        return self.verdict.reserved

    def to_dict(self) -> dict[str, Any]:
        """One JSON line of ``optout warc``: plain JSON types, verdict as ``Verdict.to_dict()``."""
        verdict = self.verdict.to_dict()
        return {
            "url": self.url,
            "record_id": self.record_id,
            "date": self.date,
            "reserved": self.verdict.reserved,
            "decided_by": verdict["decided_by"],
            "file": self.file,
            "offset": self.offset,
            "type": self.type,
            "status": self.status,
            "content_type": self.content_type,
            "note": self.note,
            "site_files": site_files_dict(self.site),
            "rsl_documents": [_file_dict(f) for f in self.rsl_documents.values()],
            "verdict": verdict,
        }

    def to_json(self) -> str:
        """``json.dumps(self.to_dict())``, built faster: the JSON of each evidence (site-file
        evidence is shared by every page of an origin) and of each origin's site files is
        encoded once and reused."""
        verdict = self.verdict
        decided = "null" if verdict.decided_by is None else _evidence_json(verdict.decided_by)
        evidence = ", ".join([_evidence_json(e) for e in verdict.evidence])
        reserved = json.dumps(verdict.reserved)
        documents = (
            json.dumps([_file_dict(f) for f in self.rsl_documents.values()])
            if self.rsl_documents
            else "[]"
        )
        head = json.dumps({"url": self.url, "record_id": self.record_id, "date": self.date})
        rest = json.dumps(
            {
                "file": self.file,
                "offset": self.offset,
                "type": self.type,
                "status": self.status,
                "content_type": self.content_type,
                "note": self.note,
            }
        )
        return (
            f'{head[:-1]}, "reserved": {reserved}, "decided_by": {decided}, {rest[1:-1]}, '
            f'"site_files": {_site_json(self.site)}, "rsl_documents": {documents}, '
            f'"verdict": {{"purpose": '
            f'"{verdict.purpose.value}", "reserved": {reserved}, "decided_by": {decided}, '
            f'"evidence": [{evidence}]}}}}'
        )


_JSON_MEMO_LIMIT = 65536
_evidence_memo: Memo[int, tuple[Evidence, str]] = Memo(_JSON_MEMO_LIMIT)
_site_memo: Memo[int, tuple[SiteFiles, str]] = Memo(_JSON_MEMO_LIMIT)


def _evidence_json(evidence: Evidence) -> str:
    """The JSON of one evidence, remembered by identity (the entry keeps the object alive)."""
    hit = _evidence_memo.get(id(evidence))
    if hit is not None and hit[0] is evidence:
        return hit[1]
    return _evidence_memo.put(id(evidence), (evidence, json.dumps(evidence.to_dict())))[1]


def _site_json(site: SiteFiles) -> str:
    hit = _site_memo.get(id(site))
    if hit is not None and hit[0] is site:
        return hit[1]
    return _site_memo.put(id(site), (site, json.dumps(site_files_dict(site))))[1]


def site_files_dict(site: SiteFiles) -> dict[str, Any]:
    """Where each site file of the record's origin came from and how it was read."""
    return {
        "origin": site.origin,
        **{
            name: _file_dict(f)
            for name, f in (("robots", site.robots), ("tdmrep", site.tdmrep), ("aitxt", site.aitxt))
        },
        "rsl": [_file_dict(f) for f in site.rsl],  # the documents robots.txt License: names
    }


def _file_dict(f: SiteFile[Any]) -> dict[str, Any]:
    return {"url": f.url, "state": f.state.value, "status": f.status, "error": f.error,
            "sha256": f.sha256}  # fmt: skip


def index_archives(
    paths: Iterable[str],
    *,
    site_files: Iterable[str] = (),
    on_error: Callable[[str, RecordError], None] | None = None,
    groups: bool = True,
) -> tuple[CaptureIndex, list[Scan]]:
    """Pass 1 (one process): the merged site-file captures and a scan per archive.

    ``paths`` are the archives to decide; ``site_files`` archives are read for the site files of
    the hosts those hold only (a Common Crawl robots.txt WARC holds every host of a crawl).
    Redirect targets outside the site-file paths are looked for in one more pass per hop.
    ``groups``: also work out which records go together (only ``--keep`` needs it).
    """
    paths = list(paths)
    apart = list(site_files)
    index = CaptureIndex()
    scans = [
        scan_archive(path, captures=index, groups=groups, on_error=_bind(on_error, path))
        for path in paths
    ]
    if apart:
        index.restrict_hosts(set().union(*(s.hosts for s in scans)))
        scans += [
            scan_archive(path, captures=index, groups=False, on_error=_bind(on_error, path))
            for path in apart
        ]
    for _ in range(MAX_REDIRECTS):
        missing = index.missing_targets()
        if not missing:
            break
        index.want(missing)
        before = len(index)
        for path in [*paths, *apart]:
            scan_archive(path, captures=index, groups=False)
        if len(index) == before:
            break
    return index, scans


def decide_archive(
    path: str,
    *,
    evaluator: Evaluator,
    source: SiteFileSource,
    scan: Scan | None = None,
    keep: KeepWriter | None = None,
    on_error: Callable[[RecordError], None] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    label: str | None = None,
) -> Iterator[WarcResult]:
    """Pass 2 over one archive: a :class:`WarcResult` per HTTP response record, in file order.

    With ``keep``, the records whose group is not reserved are copied to it as they are decided
    (``scan`` must then be this file's pass-1 scan, for the groups). ``label``: the file name
    the results carry (default ``path``).
    """
    name = path if label is None else label
    with open(path, "rb") as stream, open(path, "rb") as copy_source:
        copier = None
        group_of: dict[str, str] = {}
        scan_orphans: set[str] = set()
        if keep is not None:
            if scan is None or scan.single_stream:
                raise ValueError(
                    f"{path}: --keep needs each record gzipped on its own (the WARC standard's "
                    "recommendation) or no compression; this file is one gzip stream"
                    if scan is not None
                    else "decide_archive(keep=...) needs the file's scan"
                )
            group_of = scan.group_of
            scan_orphans = scan.orphans
            copier = RecordCopier(
                keep, copy_source, gzipped=is_gzip(stream), responses=scan.responses
            )

        records = iter_records(
            stream,
            want_body=lambda kind, uri: kind in HTTP_RESPONSE_TYPES,
            on_error=on_error or (lambda error: None),
            on_bad=None if copier is None else copier.bad,
            max_body=max_body,
            types=HTTP_RESPONSE_TYPES if copier is None else None,  # --keep needs them all
        )
        for record in records:
            is_response = record.type in HTTP_RESPONSE_TYPES and record.http
            if copier is not None:
                group = group_of.get(record.record_id)
                if group is None and is_response:
                    group = record.record_id
                copier.record(record.offset, group, drop=record.record_id in scan_orphans)
            if not is_response:
                continue
            result = decide_record(record, name, evaluator, source)
            if copier is not None and group is not None:
                copier.decided(group, keep=result.verdict.reserved is not True)
            yield result
        if copier is not None:
            copier.finish(os.fstat(stream.fileno()).st_size)


def decide_record(
    record: Record, file: str, evaluator: Evaluator, source: SiteFileSource
) -> WarcResult:
    """The verdict for one HTTP response record."""
    url = record.target_uri
    origin = origin_or_none(url)
    notes: tuple[Evidence, ...] = ()
    if origin is None:  # no origin (a relative or odd URI): header and body signals only
        site = _NO_SITE
    else:
        site, notes = source.get(origin, record.date)
    site_evidence = evaluator.site_evidence(url, site)
    if notes:
        site_evidence += notes
    view = ResponseView(
        url,
        status=record.status or 0,
        headers=record.headers,
        body=record.body or b"",
        head_interest=evaluator.head_interest,
    )
    if source.reads_rsl:  # the documents the page links to, as the middleware reads them
        linked = [a.url for a in page_associations(view) if a.url and a.inline is None]
        if linked:
            view.rsl_documents = source.page_documents(linked, record.date)
    verdict = evaluator.after_download(view, site, site_evidence=site_evidence)
    note = record.body_note
    if record.warc_truncated:
        cut = f"payload cut by the crawler (WARC-Truncated: {record.warc_truncated})"
        note = f"{note}; {cut}" if note else cut
    return WarcResult(
        file=file,
        offset=record.offset,
        url=url,
        record_id=record.record_id,
        date=record.date,
        type=record.type,
        status=record.status,
        content_type=view.content_type,
        verdict=verdict,
        site=site,
        note=note,
        rsl_documents=view.rsl_documents,
    )


def check_warc(
    files: Sequence[str],
    *,
    purpose: Purpose | str = Purpose.TRAIN_AI,
    context: Context | None = None,
    signals: Sequence[SignalParser] | None = None,
    site_files: Sequence[str] = (),
    keep: str | None = None,
    on_error: Callable[[str, RecordError], None] | None = None,
) -> Iterator[WarcResult]:
    """Yield the verdict of every HTTP response record in the WARC ``files``, in order.

    Site files come from the archives themselves and from the ``site_files`` archives (which are
    not decided); a file that none holds is reported as not captured. ``signals`` defaults to
    every built-in family (pass the middleware's list, e.g. with plugins, to match a crawl).
    ``keep``: path of a WARC (``.gz``: gzipped per record) to receive every record whose group
    is not reserved. ``on_error(file, error)`` hears of each unreadable record, which is skipped.

    Example::

        from optout_middleware.warc import check_warc

        for result in check_warc(["crawl.warc.gz"], purpose="train-ai"):
            if not result.reserved:
                use(result.url)
    """
    evaluator = Evaluator(
        purpose, context or Context(), builtin_signals() if signals is None else signals
    )
    apart = [f for f in site_files if f not in files]  # pass 1 only: report their errors there

    def pass_one_error(path: str, error: RecordError) -> None:
        if on_error is not None and path in apart:
            on_error(path, error)

    index, scans = index_archives(
        files, site_files=apart, on_error=pass_one_error, groups=keep is not None
    )
    source = SiteFileSource.from_index(
        index,
        families=frozenset(s.family for s in evaluator.signals),
        documents=ArchiveDocuments(index, scans),
        context=evaluator.context,
    )
    writer = KeepWriter(keep) if keep is not None else None
    try:
        for path, scan in zip(files, scans, strict=False):
            yield from decide_archive(
                path,
                evaluator=evaluator,
                source=source,
                scan=scan,
                keep=writer,
                on_error=_bind(on_error, path),
            )
    finally:
        if writer is not None:
            writer.close()


def _bind(
    on_error: Callable[[str, RecordError], None] | None, path: str
) -> Callable[[RecordError], None] | None:
    """``on_error`` with the file name filled in."""
    if on_error is None:
        return None
    report = on_error
    return lambda error: report(path, error)
