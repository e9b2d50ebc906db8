"""Small inline-SVG charts: stacked horizontal bars and a line over time, nothing else.

Charts are text in the page (no images, scripts or fonts to load), so they print sharply, can be
searched and read by screen readers, and open offline years later. Colours are Okabe and Ito's
colour-blind-safe palette, and each series also has its own fill pattern and a text label, so
that nothing depends on telling colours apart (in grey-scale print either).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["OTHER", "RESERVED", "UNKNOWN", "UNRESERVED", "Series", "bar_chart", "line_chart"]

FONT = "font-family=\"system-ui, 'Segoe UI', Helvetica, Arial, sans-serif\""


@dataclass(frozen=True, slots=True)
class Series:
    """One kind of bar segment: its name in the legend, colour and fill pattern."""

    name: str
    colour: str
    pattern: str  # "hatch", "dots" or "solid"


# Okabe-Ito: vermillion, blue, grey. Reserved is hatched, nothing said dotted, allowed solid.
RESERVED = Series("reserved", "#D55E00", "hatch")
UNRESERVED = Series("not reserved", "#0072B2", "solid")
UNKNOWN = Series("nothing said", "#999999", "dots")
OTHER = Series("not reserved or nothing said", "#0072B2", "solid")


def _defs(chart_id: str, series: Sequence[Series]) -> str:
    out = []
    for i, s in enumerate(series):
        pid = f"{chart_id}-p{i}"
        if s.pattern == "hatch":
            out.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{s.colour}"/>'
                '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
            )
        elif s.pattern == "dots":
            out.append(
                f'<pattern id="{pid}" width="5" height="5" patternUnits="userSpaceOnUse">'
                f'<rect width="5" height="5" fill="{s.colour}"/>'
                '<circle cx="2.5" cy="2.5" r="1.1" fill="#fff"/></pattern>'
            )
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _fill(chart_id: str, index: int, s: Series) -> str:
    return s.colour if s.pattern == "solid" else f"url(#{chart_id}-p{index})"


def _legend(chart_id: str, series: Sequence[Series], x: float, y: float) -> str:
    out = []
    for i, s in enumerate(series):
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="12" '
            f'fill="{_fill(chart_id, i, s)}" stroke="#333" stroke-width="0.5"/>'
            f'<text x="{x + 19:.1f}" y="{y:.1f}" class="legend">{escape(s.name)}</text>'
        )
        x += 30 + 7.2 * len(s.name)
    return "".join(out)


def _fmt(n: int) -> str:
    return f"{n:,}"


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[Series],
    *,
    width: int = 760,
    label_chars: int = 34,
) -> str:
    """Horizontal bars, one per row, each stacked from ``series``; the total is printed at the
    end of each bar and every segment's count is in its tooltip (``<title>``)."""
    label_w = min(7.0 * label_chars, width * 0.45)
    bar_h, gap, top = 20, 8, 44
    height = top + max(len(rows), 1) * (bar_h + gap) + 10
    plot_w = width - label_w - 70
    biggest = max((sum(v) for _, v in rows), default=0) or 1
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{chart_id}-title" {FONT}>'
        ),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        _defs(chart_id, series),
        _legend(chart_id, series, label_w, 18),
    ]
    if not rows:
        out.append(f'<text x="{label_w:.1f}" y="{top + 14}" class="empty">no decisions</text>')
    for r, (label, values) in enumerate(rows):
        y = top + r * (bar_h + gap)
        out.append(
            f'<g class="bar" data-label="{escape(label)}" data-total="{sum(values)}">'
            f'<text x="{label_w - 8:.1f}" y="{y + 14}" text-anchor="end" class="label">'
            f"<title>{escape(label)}</title>{escape(_cut(label, label_chars))}</text>"
        )
        x = label_w
        for i, (value, s) in enumerate(zip(values, series, strict=False)):
            if not value:
                continue
            w = max(plot_w * value / biggest, 1.5)
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{_fill(chart_id, i, s)}" stroke="#333" stroke-width="0.5" '
                f'data-series="{escape(s.name)}" data-value="{value}">'
                f"<title>{escape(label)}: {_fmt(value)} {escape(s.name)}</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + 14}" class="value">{_fmt(sum(values))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float, float, int]],
    *,
    y_label: str,
    width: int = 760,
    height: int = 260,
) -> str:
    """A line of ``(x label, x position 0-1, percentage 0-100, decisions)`` points with square
    markers; the percentage and the count behind it are in each marker's tooltip."""
    left, right, top, bottom = 52, 16, 20, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="{chart_id}-title" {FONT}>'
        ),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick}%</text>'
        )
    out.append(
        f'<text transform="translate(12 {top + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" class="tick">{escape(y_label)}</text>'
    )
    if not points:
        out.append(f'<text x="{left + 10}" y="{top + 30}" class="empty">no timed decisions</text>')
    n = len(points)
    coords = [(left + plot_w * at, top + plot_h * (1 - share / 100)) for _, at, share, _ in points]
    if n > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="#D55E00" stroke-width="2"/>')
    labelled = -1e9  # x of the last axis label: labels keep 140 px apart
    for (label, _, pct, count), (x, y) in zip(points, coords, strict=True):
        out.append(
            f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="#D55E00" '
            f'stroke="#000" stroke-width="0.6" class="point" data-x="{escape(label)}" '
            f'data-percent="{pct:.1f}" data-count="{count}">'
            f"<title>{escape(label)}: {pct:.1f}% of {_fmt(count)} decisions reserved</title></rect>"
        )
        if x - labelled >= 140:  # noqa: PLR2004
            labelled = x
            # Labels near either end are anchored inward so they stay inside the chart.
            near_left, near_right = x < left + 60, x > left + plot_w - 60
            anchor = "start" if near_left else "end" if near_right else "middle"
            out.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" class="tick">'
                f"{escape(label)}</text>"
            )
    out.append("</svg>")
    return "".join(out)
