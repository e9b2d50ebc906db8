"""The report's Charts section: what each chart shows, chosen and shaped from the summary.

This module owns the choice of data: decisions by deciding signal family, the origins with the
most reserved URLs (top :data:`TOP_ORIGINS_CHART`), and the reserved share over time, whose
buckets are merged to coarser times until at most :data:`MAX_TIME_POINTS` remain and placed on
the time axis by their start. Drawing is :mod:`.svg`'s; the rest of the page is :mod:`.page`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .model import BUCKET_PREFIXES, OTHER_ORIGINS
from .svg import OTHER, RESERVED, UNKNOWN, UNRESERVED, bar_chart, line_chart

if TYPE_CHECKING:
    from .model import AuditSummary

__all__ = ["MAX_TIME_POINTS", "TOP_ORIGINS_CHART", "charts_section", "parse_time"]

MAX_TIME_POINTS = 120
TOP_ORIGINS_CHART = 15
_NO_SIGNAL = "(no deciding signal)"


def charts_section(s: AuditSummary) -> str:
    """The Charts section: decisions by deciding family, reserved share over time, top origins."""
    fams: dict[str, list[int]] = {}
    for (family, reserved), n in s.deciding.items():
        counts = fams.setdefault(family or _NO_SIGNAL, [0, 0, 0])
        counts[0 if reserved else (2 if reserved is None else 1)] += n
    family_rows = sorted(fams.items(), key=lambda kv: (kv[0] == _NO_SIGNAL, -sum(kv[1]), kv[0]))
    origins = sorted(
        (o for o in s.origins.values() if o.reserved and o.origin != OTHER_ORIGINS),
        key=lambda o: (-o.reserved, o.origin),
    )[:TOP_ORIGINS_CHART]
    origin_rows = [(o.origin, [o.reserved, o.decided - o.reserved]) for o in origins]
    points = _time_points(s)
    return (
        '<section id="charts"><h2>Charts</h2>'
        "<figure><figcaption>Decisions by deciding signal family</figcaption>"
        + bar_chart(
            "chart-families",
            "Decisions by deciding signal family",
            family_rows,
            (RESERVED, UNRESERVED, UNKNOWN),
        )
        + "</figure><figure><figcaption>Reserved share of decisions over time (UTC)"
        "</figcaption>"
        + line_chart(
            "chart-share",
            "Reserved share of decisions over time",
            points,
            y_label="reserved",
        )
        + f"</figure><figure><figcaption>Origins with the most reserved URLs (top "
        f"{TOP_ORIGINS_CHART})</figcaption>"
        + bar_chart(
            "chart-origins",
            "Origins with the most reserved URLs",
            origin_rows,
            (RESERVED, OTHER),
            label_chars=40,
        )
        + "</figure></section>"
    )


def _time_points(s: AuditSummary) -> list[tuple[str, float, float, int]]:
    """``(label, position 0-1 along the time axis, reserved %, decisions)`` per time bucket,
    buckets merged until there are at most MAX_TIME_POINTS."""
    buckets, prefix = s.buckets, s.bucket_prefix
    while len(buckets) > MAX_TIME_POINTS and prefix != BUCKET_PREFIXES[-1]:
        prefix = BUCKET_PREFIXES[BUCKET_PREFIXES.index(prefix) + 1]
        merged: dict[str, list[int]] = {}
        for key, (decided, reserved) in buckets.items():
            counts = merged.setdefault(key[:prefix], [0, 0])
            counts[0] += decided
            counts[1] += reserved
        buckets = merged
    keys = sorted(buckets)
    starts = [parse_time(key + _PAD.get(prefix, "")) for key in keys]
    known = [t for t in starts if t is not None]
    first, last = (min(known), max(known)) if known else (None, None)
    one_day = len({k[:10] for k in keys}) == 1
    points = []
    for i, (key, start) in enumerate(zip(keys, starts, strict=True)):
        decided, reserved = buckets[key]
        label = (key + _PAD.get(prefix, "")).replace("T", " ")
        if one_day and prefix > 10:  # noqa: PLR2004  (longer than a date: a time is in it)
            label = label[11:]
        if start is not None and first is not None and last is not None and last > first:
            position = (start - first) / (last - first)
        else:
            position = i / (len(keys) - 1) if len(keys) > 1 else 0.5
        points.append((label, position, 100 * reserved / decided if decided else 0.0, decided))
    return points


_PAD = {22: "0", 21: "00", 18: "0", 15: "0", 7: "-01"}  # a bucket key made a whole time


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of an ISO 8601 time from an audit file; None if it is not one."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
