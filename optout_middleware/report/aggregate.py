"""Streaming aggregation of audit files: any number of JSON Lines files in, one summary out.

Records are read one line at a time and folded into counters. Memory depends on how varied the
records are, never on how many there are, and even that is capped, since an audit file may come
from anywhere: origins (:data:`MAX_ORIGINS`), kinds of deciding evidence (:data:`MAX_KINDS`),
other keys (:data:`MAX_KEYS`), every text used as a key (:data:`MAX_TEXT`), and the bytes of
records kept whole as examples and crawl headers (:data:`MAX_KEPT_BYTES`). What comes past a cap
is still counted, under an "other" key, and the page says so. Time buckets coarsen as a crawl gets
longer (10 ms, ..., one month) to stay under :data:`MAX_BUCKETS`. A line that is not an audit
record is counted and located, never fatal.

Two kinds of record (README "Audit file"): decision records (``url``, ``verdict``, ...) and, from
0.2, one crawl header per crawl (``"type": "crawl"``) with the library version and the settings
that shape verdicts. Files written before 0.2 have no header; the report says so.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import (
    BUCKET_PREFIXES,
    OTHER,
    OTHER_ORIGINS,
    AuditSummary,
    Example,
    FileSummary,
    KindCount,
    OriginCount,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["MAX_BUCKETS", "MAX_KINDS", "MAX_ORIGINS", "coarsen", "summarize"]

MAX_ORIGINS = 100_000  # origins counted one by one; later ones go to OTHER_ORIGINS
MAX_KINDS = 2_000  # kinds of deciding evidence counted one by one; later ones in other_kinds
MAX_KEYS = 1_000  # action/stage/purpose triples, deciding families, workers
MAX_FAMILIES_PER_ORIGIN = 32
MAX_TEXT = 200  # characters of any text used as a key
MAX_KEPT_BYTES = 32 << 20  # record bytes kept whole (example verdicts, crawl headers)
MAX_BUCKETS = 2_000  # time buckets before they coarsen
EXAMPLES_PER_KIND = 3
MAX_LINE_BYTES = 8 << 20  # a longer line is malformed (and skipped in pieces, not held)
MALFORMED_SHOWN = 10  # malformed lines located per file
_SECONDS = 19  # "2026-01-05T09:00:00": the shortest time a record may carry
_LOCATED = ("line ", "rule ")  # positions inside a file: equal evidence groups across files
_DROPPING = frozenset({"dropped", "forbidden"})


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


def _text(value: object) -> str:
    """``value`` as a key: a string (a record from elsewhere may hold any JSON there), cut."""
    text = value if type(value) is str else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\u2026"


def _count(counts: dict[Any, int], key: Any, other: Any) -> None:
    """``counts[key] += 1``, or ``counts[other]`` once MAX_KEYS keys exist."""
    if key not in counts and len(counts) >= MAX_KEYS:
        key = other
    counts[key] = counts.get(key, 0) + 1


class _Folder:
    """Folds records into an :class:`AuditSummary`; the per-record code is kept flat for speed."""

    __slots__ = ("_by_raw", "s")

    def __init__(self, summary: AuditSummary) -> None:
        self.s = summary
        # Kinds by the evidence fields as recorded (line numbers and all): most records repeat
        # a few, so most lookups skip normalising five texts.
        self._by_raw: dict[tuple[object, ...], KindCount] = {}

    def read(
        self, fh: Any, info: FileSummary, done: int, progress: Callable[[int], None] | None
    ) -> int:
        readline = fh.readline
        # The C scanner json.loads ends in, without its per-call encoding detection and
        # wrapping: about a third of the time per record.
        scan: Callable[[str, int], tuple[object, int]]
        scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        limit = MAX_LINE_BYTES
        number = 0
        while True:
            line = readline(limit)
            if not line:
                break
            number += 1
            done += len(line)
            if progress is not None and not number & 0x1FFF:
                progress(done)
            if len(line) == limit and not line.endswith(b"\n"):
                done += _skip_rest(fh, limit)
                self._bad(info, number, f"longer than {limit:,} bytes")
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
                self._header(record, info, len(line))
                continue
            wrong = self._decision(record, info, number, len(line))
            if wrong is not None:
                self._bad(info, number, wrong)
        if progress is not None:
            progress(done)
        return done

    def _bad(self, info: FileSummary, number: int, why: str) -> None:
        info.malformed += 1
        if len(info.malformed_lines) < MALFORMED_SHOWN:
            info.malformed_lines.append((number, why))

    def _keep(self, size: int) -> bool:
        """Whether a record of ``size`` bytes may still be kept whole (MAX_KEPT_BYTES)."""
        if self.s.kept_bytes + size > MAX_KEPT_BYTES:
            return False
        self.s.kept_bytes += size
        return True

    def _header(self, record: dict[str, Any], info: FileSummary, size: int) -> None:
        s = self.s
        if record["type"] != "crawl":
            s.unknown_types += 1
            return
        info.crawls += 1
        s.crawls_seen += 1
        if self._keep(size):
            s.crawls.append({**record, "_file": info.path})

    def _decision(
        self, record: dict[str, Any], info: FileSummary, number: int, size: int
    ) -> str | None:
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
        purpose = record["purpose"] if "purpose" in record else verdict.get("purpose")
        shape = (record.get("action"), record.get("stage"), purpose)
        shapes = s.shapes
        try:  # fast path: a triple already counted (normal values are their own keys)
            shapes[shape] += 1  # type: ignore[index]
        except (KeyError, TypeError):
            shape = (_text(shape[0]), _text(shape[1]), _text(purpose))
            _count(shapes, shape, (OTHER, OTHER, OTHER))
        self._time(record.get("time"), reserved)

        evidence = verdict.get("evidence")
        families: set[str] = set()
        if type(evidence) is list:
            for e in evidence:
                if type(e) is dict:
                    family = e.get("family")
                    families.add(family if type(family) is str else _text(family))
        decided = record["decided_by"] if "decided_by" in record else verdict.get("decided_by")
        if type(decided) is dict:
            self._kind(decided, reserved, record, info, (number, size))
        else:
            _count(s.deciding, ("", None), ("", None))

        self._origin(url, reserved, shape[0] in _DROPPING, families)
        worker = record.get("worker")
        if worker is not None:
            name = _text(worker)
            if name not in s.workers and len(s.workers) >= MAX_KEYS:
                name = OTHER
            counts = s.workers.setdefault(name, [0, 0])
            counts[0] += 1
            counts[1] += reserved is True
        return None

    def _time(self, time: object, reserved: bool | None) -> None:
        s = self.s
        if type(time) is not str or len(time) < _SECONDS or time[10:11] != "T":
            s.untimed += 1
            return
        if s.first_time is None or time < s.first_time:
            s.first_time = _text(time)
        if s.last_time is None or time > s.last_time:
            s.last_time = _text(time)
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
        record: dict[str, Any],
        info: FileSummary,
        where: tuple[int, int],
    ) -> None:
        s = self.s
        get = decided.get
        raw = (get("family"), get("source"), get("value"), get("agent"), get("location"))
        try:  # fast path: the same evidence, line number and all, seen before
            kind = self._by_raw.get(raw)
        except TypeError:  # a list or object where text belongs
            kind = None
        if kind is None:
            kind = self._kind_of(raw)
            if kind is None:
                s.other_kinds += 1
                _count(s.deciding, (OTHER, reserved), (OTHER, reserved))
                return
        family = kind.family
        _count(s.deciding, (family, reserved), (OTHER, reserved))
        if reserved:
            kind.reserved += 1
        else:
            kind.not_reserved += 1
        if len(kind.examples) < EXAMPLES_PER_KIND:
            number, size = where
            kind.examples.append(
                Example(
                    url=_text(record["url"]) if size > MAX_TEXT else record["url"],
                    time=_text(record.get("time", "")),
                    action=_text(record.get("action", "")),
                    stage=_text(record.get("stage", "")),
                    status=record.get("status") if type(record.get("status")) is int else None,
                    verdict=record["verdict"] if self._keep(size) else None,
                    file=info.path,
                    line=number,
                )
            )

    def _kind_of(self, raw: tuple[object, ...]) -> KindCount | None:
        """The kind of deciding evidence ``raw`` is (family, source, value, agent, location),
        made or found; None past MAX_KINDS."""
        family, source, value, agent, location = map(_text, raw)
        if raw[3] is None:
            agent = ""
        if raw[4] is None or location.startswith(_LOCATED):
            location = ""
        key = (family, source, value, agent, location)
        s = self.s
        kind = s.kinds.get(key)
        if kind is None:
            if len(s.kinds) >= MAX_KINDS:
                return None
            kind = s.kinds[key] = KindCount(*key)
        if len(self._by_raw) < 4 * MAX_KINDS:
            with contextlib.suppress(TypeError):  # unhashable: found the slow way each time
                self._by_raw[raw] = kind
        return kind

    def _origin(self, url: str, reserved: bool | None, dropped: bool, families: set[str]) -> None:
        s = self.s
        parts = url.split("/", 3)
        origin = _text(f"{parts[0]}//{parts[2]}".lower()) if parts[2:] and not parts[1] else "?"
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
        if families and not families <= counts.families:
            for family in families:
                if len(counts.families) < MAX_FAMILIES_PER_ORIGIN:
                    counts.families.add(family)


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


def _skip_rest(fh: Any, limit: int) -> int:
    """Read past the rest of an over-long line, in pieces; returns the bytes skipped."""
    skipped = 0
    while True:
        piece = fh.readline(limit)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped
