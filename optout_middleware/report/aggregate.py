"""Streaming aggregation of audit files: any number of JSON Lines files in, one summary out.

Records are read one line at a time and folded into counters, so memory depends on the number of
origins, kinds of deciding evidence and crawls (each capped: :data:`MAX_ORIGINS`,
:data:`MAX_KINDS`, :data:`MAX_CRAWLS`), never on the number of records. Time buckets coarsen as
a crawl gets longer (one second, ten seconds, one minute, ... one month) to stay under
:data:`MAX_BUCKETS`. A line that is not an audit record is counted and located, never fatal.

Two kinds of record (README "Audit file"): decision records (``url``, ``verdict``, ...) and, from
0.2, one crawl header per crawl (``"type": "crawl"``) with the library version and the settings
that shape verdicts. Files written before 0.2 have no header; the report says so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "MAX_BUCKETS",
    "MAX_CRAWLS",
    "MAX_KINDS",
    "MAX_ORIGINS",
    "AuditSummary",
    "Example",
    "FileSummary",
    "KindCount",
    "OriginCount",
    "summarize",
]

MAX_ORIGINS = 100_000  # origins counted one by one; later ones go to OTHER_ORIGINS
MAX_KINDS = 2_000  # kinds of deciding evidence counted one by one; later ones go to OTHER_KIND
MAX_CRAWLS = 1_000  # crawl headers kept
MAX_BUCKETS = 2_000  # time buckets before they coarsen
EXAMPLES_PER_KIND = 3
MAX_LINE_BYTES = 8 << 20  # a longer line is malformed (and skipped in pieces, not held)
MALFORMED_SHOWN = 10  # malformed lines located per file
OTHER_ORIGINS = "(other origins)"
# A time bucket is a prefix of the ISO 8601 time: 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h,
# 1 day, 1 month. A short crawl still gets a curve; a long one coarsens as it goes.
BUCKET_PREFIXES = (22, 21, 19, 18, 16, 15, 13, 10, 7)
_SECONDS = 19  # "2026-01-05T09:00:00": the shortest time a record may carry
_LOCATED = ("line ", "rule ")  # positions inside a file: equal evidence groups across files
_VALUE_CHARS = 200


@dataclass(slots=True)
class FileSummary:
    """One audit file as read: what it held and where it was malformed."""

    path: str
    size: int = 0
    records: int = 0  # decision records
    crawls: int = 0  # crawl header records
    malformed: int = 0
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, why), first few
    error: str | None = None  # the file could not be read (missing, a directory)


@dataclass(slots=True)
class Example:
    """One decision kept in full to illustrate a kind of evidence."""

    url: str
    time: str
    action: str
    stage: str
    status: object
    verdict: object  # the record's "verdict", as recorded
    file: str
    line: int


@dataclass(slots=True)
class KindCount:
    """A kind of deciding evidence: family, source, value, agent and where (not which line)."""

    family: str
    source: str
    value: str
    agent: str
    location: str
    reserved: int = 0
    not_reserved: int = 0  # decided by an allow
    examples: list[Example] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.reserved + self.not_reserved


@dataclass(slots=True)
class OriginCount:
    """Decisions on one origin (scheme://host:port as in the URLs)."""

    origin: str
    decided: int = 0
    reserved: int = 0
    dropped: int = 0  # dropped before or after download, or forbidden
    families: set[str] = field(default_factory=set)  # signal families seen in any evidence


@dataclass(slots=True)
class AuditSummary:
    """Everything the report shows, folded from any number of audit files."""

    files: list[FileSummary] = field(default_factory=list)
    decided: int = 0
    reserved: int = 0
    not_reserved: int = 0
    unknown: int = 0  # nothing said about the purpose
    shapes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (action, stage,
    # purpose) -> decisions
    first_time: str | None = None
    last_time: str | None = None
    untimed: int = 0  # records without a usable time (not in the time chart)
    buckets: dict[str, list[int]] = field(default_factory=dict)  # time prefix -> [decided, res.]
    bucket_prefix: int = BUCKET_PREFIXES[0]
    deciding: dict[tuple[str, bool | None], int] = field(default_factory=dict)  # (family, res.)
    kinds: dict[tuple[str, str, str, str, str], KindCount] = field(default_factory=dict)
    other_kinds: int = 0  # decisions whose kind came after MAX_KINDS
    origins: dict[str, OriginCount] = field(default_factory=dict)
    workers: dict[str, list[int]] = field(default_factory=dict)  # worker -> [decided, reserved]
    crawls: list[dict[str, Any]] = field(default_factory=list)  # crawl headers, first MAX_CRAWLS
    crawls_seen: int = 0
    unknown_types: int = 0  # records of a type this version does not know (skipped)

    @property
    def malformed(self) -> int:
        return sum(f.malformed for f in self.files)

    @property
    def purposes(self) -> dict[str, int]:
        """Decisions per purpose."""
        out: dict[str, int] = {}
        for (_, _, purpose), n in self.shapes.items():
            out[purpose] = out.get(purpose, 0) + n
        return out

    def action_count(self, action: str, stage: str | None = None) -> int:
        """Decisions with ``action`` (and ``stage``: "request" or "response", or any)."""
        return sum(n for (a, s, _), n in self.shapes.items() if a == action and stage in (None, s))


def summarize(
    paths: Iterable[str | os.PathLike[str]],
    progress: Callable[[int], None] | None = None,
) -> AuditSummary:
    """Read every audit file in ``paths`` and fold it into one :class:`AuditSummary`.

    ``progress`` is called now and then with the bytes read so far (all files together). A path
    given twice (the same file by another name too) is read once: its records would count twice.
    """
    summary = AuditSummary()
    folder = _Folder(summary)
    seen: set[tuple[int, int]] = set()
    done = 0
    for path in paths:
        name = os.fspath(path)
        info = FileSummary(name)
        summary.files.append(info)
        try:
            stat = Path(name).stat()
            identity = (stat.st_dev, stat.st_ino)
            if identity in seen:
                info.error = "the same file is listed twice: read once"
                continue
            seen.add(identity)
            info.size = stat.st_size
            with Path(name).open("rb") as fh:
                done = folder.read(fh, info, done, progress)
        except OSError as exc:
            info.error = exc.strerror or type(exc).__name__
    return summary


class _Folder:
    """Folds records into an :class:`AuditSummary`; the per-record code is kept flat for speed."""

    __slots__ = ("s",)

    def __init__(self, summary: AuditSummary) -> None:
        self.s = summary

    def read(
        self, fh: Any, info: FileSummary, done: int, progress: Callable[[int], None] | None
    ) -> int:
        readline = fh.readline
        # The C scanner json.loads ends in, without its per-call encoding detection and
        # wrapping: about a third of the time per record.
        scan: Callable[[str, int], tuple[object, int]]
        scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        number = 0
        while True:
            line = readline(MAX_LINE_BYTES)
            if not line:
                break
            number += 1
            done += len(line)
            if progress is not None and not number & 0x1FFF:
                progress(done)
            if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                done += _skip_rest(fh)
                self._bad(info, number, f"longer than {MAX_LINE_BYTES:,} bytes")
                continue
            try:
                text = line.decode("utf-8").strip()
            except UnicodeDecodeError:
                self._bad(info, number, "not UTF-8")
                continue
            if not text:
                continue  # blank lines are not records (and not an error)
            try:
                record, end = scan(text, 0)
            except (StopIteration, ValueError):
                end = -1
            if end != len(text):
                why = "not JSON" if line.endswith(b"\n") else "cut short (no newline at the end)"
                self._bad(info, number, why)
                continue
            if type(record) is not dict:
                self._bad(info, number, "not a JSON object")
                continue
            if "type" in record:
                self._header(record, info)
                continue
            wrong = self._decision(record, info, number)
            if wrong is not None:
                self._bad(info, number, wrong)
        if progress is not None:
            progress(done)
        return done

    def _bad(self, info: FileSummary, number: int, why: str) -> None:
        info.malformed += 1
        if len(info.malformed_lines) < MALFORMED_SHOWN:
            info.malformed_lines.append((number, why))

    def _header(self, record: dict[str, Any], info: FileSummary) -> None:
        s = self.s
        if record["type"] != "crawl":
            s.unknown_types += 1
            return
        info.crawls += 1
        s.crawls_seen += 1
        if len(s.crawls) < MAX_CRAWLS:
            s.crawls.append({**record, "_file": info.path})

    def _decision(self, record: dict[str, Any], info: FileSummary, number: int) -> str | None:
        """Fold one decision record; returns why it is malformed, or None."""
        url = record.get("url")
        verdict = record.get("verdict")
        if type(url) is not str or type(verdict) is not dict:
            return "not an audit record (no url or verdict)"
        reserved = record["reserved"] if "reserved" in record else verdict.get("reserved")
        if reserved is not None and type(reserved) is not bool:
            return "reserved is not true, false or null"
        s = self.s
        info.records += 1
        s.decided += 1
        if reserved:
            s.reserved += 1
        elif reserved is None:
            s.unknown += 1
        else:
            s.not_reserved += 1
        action = record.get("action")
        purpose = record["purpose"] if "purpose" in record else verdict.get("purpose")
        # One counter for action, stage and purpose: a single dict update per record.
        key = (_text(action), _text(record.get("stage")), _text(purpose))
        s.shapes[key] = s.shapes.get(key, 0) + 1
        self._time(record.get("time"), reserved)

        evidence = verdict.get("evidence")
        families: set[str] = set()
        if type(evidence) is list:
            for e in evidence:
                if type(e) is dict:
                    families.add(_text(e.get("family")))
        decided = record["decided_by"] if "decided_by" in record else verdict.get("decided_by")
        family = _text(decided.get("family")) if type(decided) is dict else ""
        dkey = (family, reserved if family else None)
        s.deciding[dkey] = s.deciding.get(dkey, 0) + 1
        if type(decided) is dict:
            self._kind(decided, reserved, record=record, verdict=verdict, info=info, number=number)

        dropped = key[0] in _DROPPING
        self._origin(url, reserved, dropped, families)
        worker = record.get("worker")
        if worker is not None:
            counts = s.workers.get(str(worker))
            if counts is None:
                counts = s.workers[str(worker)] = [0, 0]
            counts[0] += 1
            counts[1] += reserved is True
        return None

    def _time(self, time: object, reserved: bool | None) -> None:
        s = self.s
        if type(time) is not str or len(time) < _SECONDS or time[10:11] != "T":
            s.untimed += 1
            return
        if s.first_time is None or time < s.first_time:
            s.first_time = time
        if s.last_time is None or time > s.last_time:
            s.last_time = time
        if time[19:20] != ".":  # no fraction of a second: bucket it at .000
            time = time[:_SECONDS] + ".000"
        key = time[: s.bucket_prefix]
        counts = s.buckets.get(key)
        if counts is None:
            if len(s.buckets) >= MAX_BUCKETS:
                coarsen(s)
                key = time[: s.bucket_prefix]
                counts = s.buckets.get(key)
            if counts is None:
                counts = s.buckets[key] = [0, 0]
        counts[0] += 1
        counts[1] += reserved is True

    def _kind(
        self,
        decided: dict[str, Any],
        reserved: bool | None,
        *,
        record: dict[str, Any],
        verdict: dict[str, Any],
        info: FileSummary,
        number: int,
    ) -> None:
        s = self.s
        location = _text(decided.get("location") or "")
        if location.startswith(_LOCATED):
            location = ""
        key = (
            _text(decided.get("family")),
            _text(decided.get("source")),
            _text(decided.get("value"))[:_VALUE_CHARS],
            _text(decided.get("agent") or ""),
            location,
        )
        kind = s.kinds.get(key)
        if kind is None:
            if len(s.kinds) >= MAX_KINDS:
                s.other_kinds += 1
                return
            kind = s.kinds[key] = KindCount(*key)
        if reserved:
            kind.reserved += 1
        else:
            kind.not_reserved += 1
        if len(kind.examples) < EXAMPLES_PER_KIND:
            kind.examples.append(
                Example(
                    url=str(record["url"]),
                    time=str(record.get("time", "")),
                    action=str(record.get("action", "")),
                    stage=str(record.get("stage", "")),
                    status=record.get("status"),
                    verdict=verdict,
                    file=info.path,
                    line=number,
                )
            )

    def _origin(self, url: str, reserved: bool | None, dropped: bool, families: set[str]) -> None:
        s = self.s
        parts = url.split("/", 3)
        origin = f"{parts[0]}//{parts[2]}".lower() if parts[2:] and not parts[1] else "?"
        counts = s.origins.get(origin)
        if counts is None:
            if len(s.origins) >= MAX_ORIGINS:
                origin = OTHER_ORIGINS
                counts = s.origins.get(origin)
            if counts is None:
                counts = s.origins[origin] = OriginCount(origin)
        counts.decided += 1
        counts.reserved += reserved is True
        counts.dropped += dropped
        if families:
            counts.families |= families


_DROPPING = frozenset({"dropped", "forbidden"})


def _text(value: object) -> str:
    """``value`` as a string (a record from elsewhere may hold any JSON there)."""
    return value if type(value) is str else str(value)


def coarsen(summary: AuditSummary) -> None:
    """Merge the time buckets into the next coarser size (10 s, 1 min, 10 min, 1 h, ...)."""
    prefixes = BUCKET_PREFIXES
    index = prefixes.index(summary.bucket_prefix)
    if index + 1 >= len(prefixes):
        return
    size = summary.bucket_prefix = prefixes[index + 1]
    merged: dict[str, list[int]] = {}
    for key, (decided, reserved) in summary.buckets.items():
        counts = merged.setdefault(key[:size], [0, 0])
        counts[0] += decided
        counts[1] += reserved
    summary.buckets = merged


def _skip_rest(fh: Any) -> int:
    """Read past the rest of an over-long line, in pieces; returns the bytes skipped."""
    skipped = 0
    while True:
        piece = fh.readline(MAX_LINE_BYTES)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped
