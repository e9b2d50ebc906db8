"""What a report shows, as plain mutable counters filled by :mod:`.aggregate` and drawn by
:mod:`.page`. Sizes are bounded by the caps in :mod:`.aggregate`, never by the record count."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BUCKET_PREFIXES",
    "OTHER",
    "OTHER_ORIGINS",
    "AuditSummary",
    "Example",
    "FileSummary",
    "KindCount",
    "OriginCount",
]

OTHER = "(other)"  # what a key past its cap is counted as
OTHER_ORIGINS = "(other origins)"
# A time bucket is a prefix of the ISO 8601 time: 10 ms, 100 ms, 1 s, 10 s, 1 min, 10 min, 1 h,
# 1 day, 1 month. A short crawl still gets a curve; a long one coarsens as it goes.
BUCKET_PREFIXES = (22, 21, 19, 18, 16, 15, 13, 10, 7)


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
    """One decision kept to illustrate a kind of evidence."""

    url: str
    time: str
    action: str
    stage: str
    status: object
    verdict: object  # the record's "verdict" as recorded; None once the memory budget is spent
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
    # (action, stage, purpose) -> decisions: one dict update per record for all three
    shapes: dict[tuple[str, str, str], int] = field(default_factory=dict)
    first_time: str | None = None
    last_time: str | None = None
    untimed: int = 0  # records without a usable time (not in the time chart)
    buckets: dict[str, list[int]] = field(default_factory=dict)  # time prefix -> [decided, res.]
    bucket_prefix: int = BUCKET_PREFIXES[0]
    deciding: dict[tuple[str, bool | None], int] = field(default_factory=dict)  # (family, res.)
    kinds: dict[tuple[str, str, str, str, str], KindCount] = field(default_factory=dict)
    other_kinds: int = 0  # decisions whose kind came after the cap
    origins: dict[str, OriginCount] = field(default_factory=dict)
    workers: dict[str, list[int]] = field(default_factory=dict)  # worker -> [decided, reserved]
    crawls: list[dict[str, Any]] = field(default_factory=list)  # crawl headers kept
    crawls_seen: int = 0
    unknown_types: int = 0  # records of a type this version does not know (skipped)
    kept_bytes: int = 0  # record bytes kept whole (examples, crawl headers)

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
