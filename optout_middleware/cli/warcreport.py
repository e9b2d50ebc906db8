"""What ``optout warc`` tells a person while it runs and when it ends: progress and summary.

The progress line (stderr, redrawn at most every 0.2 s) shows the HTTP responses decided, the
megabytes read, the reserved share and the rate; the summary counts verdicts, the families that
decided them, the origins whose robots.txt no archive holds, unreadable records and the kept copy.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from optout_middleware.inputs import FileState

if TYPE_CHECKING:
    import argparse

    from optout_middleware.warc import WarcResult

__all__ = ["Progress", "Totals", "outcome", "summary"]

_PROG = "optout warc"
PROGRESS_SECS = 0.2


@dataclass(slots=True)
class Totals:
    """What the summary reports."""

    responses: int = 0
    reserved: int = 0
    unreserved: int = 0
    silent: int = 0
    unreadable: int = 0
    decided_by: Counter[str] = field(default_factory=Counter)
    origins: set[str] = field(default_factory=set)
    no_robots: set[str] = field(default_factory=set)  # origins whose robots.txt is not captured
    no_rsl: set[str] = field(default_factory=set)  # RSL documents not captured (URLs)
    rsl_pages: int = 0  # responses with an RSL document not captured

    def add(
        self,
        reserved: bool | None,
        family: str | None,
        origin: str,
        uncaptured: bool,
        no_rsl: tuple[str, ...] = (),
    ) -> None:
        self.responses += 1
        if reserved:
            self.reserved += 1
            self.decided_by[family or "?"] += 1
        elif reserved is None:
            self.silent += 1
        else:
            self.unreserved += 1
        self.origins.add(origin)
        if uncaptured:
            self.no_robots.add(origin)
        if no_rsl:
            self.rsl_pages += 1
            self.no_rsl.update(no_rsl)


def outcome(result: WarcResult) -> tuple[bool | None, str | None, str, bool, tuple[str, ...]]:
    """What the summary counts of one result (sent by workers with each line)."""
    decided = result.verdict.decided_by
    robots = result.site.robots
    no_rsl: tuple[str, ...] = ()
    if result.site.rsl or result.rsl_documents:  # rare: only pages with RSL associations
        no_rsl = tuple(
            d.url
            for d in (*result.site.rsl, *result.rsl_documents.values())
            if d.state is FileState.NOT_CAPTURED
        )
    return (
        result.reserved,
        decided.family if decided is not None else None,
        result.site.origin,
        robots.state is FileState.NOT_CAPTURED,
        no_rsl,
    )


class Progress:
    """One line on stderr, redrawn at most every 0.2 s: files, records, MB, reserved share."""

    __slots__ = ("_done_bytes", "_enabled", "_last", "_started", "_total_bytes", "records")

    def __init__(self, enabled: bool, total_bytes: int) -> None:
        self._enabled = enabled
        self._total_bytes = max(total_bytes, 1)
        self._done_bytes = 0
        self._last = 0.0
        self._started = time.monotonic()
        self.records = 0

    def update(self, totals: Totals, position: int, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_SECS:
            return
        self._last = now
        done = min(position, self._total_bytes)
        share = totals.reserved / totals.responses if totals.responses else 0.0
        rate = totals.responses / max(now - self._started, 1e-9)
        width = 24
        filled = int(width * done / self._total_bytes)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(
            f"\r[{bar}] {totals.responses:,} responses  {done / 1e6:,.1f}/"
            f"{self._total_bytes / 1e6:,.1f} MB  reserved {share:.1%}  {rate:,.0f}/s "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self._enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def summary(totals: Totals, files: list[str], args: argparse.Namespace, secs: float) -> None:
    share = totals.reserved / totals.responses if totals.responses else 0.0
    by = ", ".join(f"{family} {count:,}" for family, count in totals.decided_by.most_common())
    rate = totals.responses / max(secs, 1e-9)
    lines = [
        f"{_PROG}: {totals.responses:,} HTTP responses in {len(files)} file(s), {secs:.1f} s "
        + f"({rate:,.0f}/s), purpose {args.purpose.value}",
        f"  reserved      {totals.reserved:,} ({share:.1%})" + (f"  decided by {by}" if by else ""),
        f"  not reserved  {totals.unreserved:,} allowed by a signal, {totals.silent:,} with none",
    ]
    if totals.no_robots:
        lines.append(
            f"  robots.txt    not captured for {len(totals.no_robots):,} of "
            f"{len(totals.origins):,} origins (rules unknown: see --site-files, "
            "--live-site-files)"
        )
    if totals.no_rsl:
        lines.append(
            f"  RSL           {len(totals.no_rsl):,} licence document(s) not captured, named for "
            f"{totals.rsl_pages:,} response(s) (terms unknown, no stance: see --site-files, "
            "--live-site-files)"
        )
    if totals.unreadable:
        lines.append(f"  unreadable    {totals.unreadable:,} record(s) skipped (see warnings)")
    if args.keep:
        lines.append(f"  kept          in {args.keep}")
    print("\n".join(lines), file=sys.stderr)
