"""What ``optout check`` prints: a readable table, or one JSON object, from one verdict.

Formatting only: the verdict and the site-file outcomes arrive decided. Text taken from the site
(values, URLs, notes quoting it) is escaped before it reaches a terminal, so a hostile page cannot
move the cursor or rewrite earlier lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optout_middleware.signals.rsl import matching_contents
from optout_middleware.sitepolicy import SITE_FILE_PATHS
from optout_middleware.verdict import Stance

from .images import embedded_lines, image_dict, image_lines

if TYPE_CHECKING:
    from collections.abc import Mapping

    from optout_middleware.formats.images import ImageScan
    from optout_middleware.formats.rsl import RslContent
    from optout_middleware.inputs import SiteFile, SiteFiles
    from optout_middleware.verdict import Evidence, Verdict

    from .fetch import Fetched
    from .images import EmbeddingPage

__all__ = [
    "AFTER_DOWNLOAD",
    "DROPPED_AFTER",
    "DROPPED_BEFORE",
    "KEPT",
    "KEPT_RESERVED",
    "REFUSED",
    "Report",
    "printable",
    "render_json",
    "render_text",
    "to_dict",
]

_VALUE_WIDTH = 48  # table cells are cut here; --json has every value whole
_WHERE_WIDTH = 36
_LONGEST = 240  # any other text from the site (a robots.txt line can be 500 KiB long)
_HEADLINE = {True: "RESERVED", False: "NOT RESERVED", None: "NOTHING SAID"}


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one check found, for one purpose."""

    url: str  # as given
    verdict: Verdict
    site: SiteFiles  # the files of the origin whose rules the verdict used
    fetches: Mapping[str, Fetched] = field(default_factory=dict)  # by kind, for that origin
    page: Fetched | None = None  # None with --no-page
    decided_at: str = ""  # the URL the verdict is for (a redirect hop, or the final URL)
    user_agent: str = ""
    robots_agent: str = ""
    image: ImageScan | None = None  # the page is an image: its embedded metadata
    embedded_in: EmbeddingPage | None = None  # --embedded-in: that page's directives
    # ROBOTSTXT_OBEY's answer for our own agent: agent, url, allowed, reason (None: not checked)
    robots: Mapping[str, Any] | None = None
    crawl: Mapping[str, str] = field(default_factory=dict)  # "drop"/"tag" -> outcome
    rsl_documents: Mapping[str, SiteFile[Any]] = field(default_factory=dict)  # by URL, as read


# What a crawl with ROBOTSTXT_OBEY does with the URL (Report.crawl values).
KEPT = "kept"
KEPT_RESERVED = "kept, tagged reserved"
DROPPED_BEFORE = "dropped before download"
DROPPED_AFTER = "dropped after download"
REFUSED = "refused by robots.txt"
AFTER_DOWNLOAD = "decided after download"


def to_dict(report: Report) -> dict[str, Any]:
    """Plain JSON types; ``purpose``/``reserved``/``decided_by``/``evidence`` are
    :meth:`Verdict.to_dict`'s, so :meth:`Verdict.from_dict` reads the object back."""
    page = report.page
    return {
        "url": report.url,
        **report.verdict.to_dict(),
        "decided_at": report.decided_at or report.url,
        "user_agent": report.user_agent,
        "robots_agent": report.robots_agent,
        "robotstxt_obey": dict(report.robots) if report.robots is not None else None,
        "crawl": dict(report.crawl),
        "page": None
        if page is None
        else {
            "final_url": page.final_url,
            "status": page.status,
            "redirects": list(page.hops),
            "content_type": _content_type(page),
            "bytes": len(page.body),
            "truncated": page.truncated,
        },
        "site_files": {
            "origin": report.site.origin,
            **{kind: _site_file_dict(report, kind) for kind in SITE_FILE_PATHS},
        },
        "image": None if report.image is None else image_dict(report.image),
        "embedded_in": None if report.embedded_in is None else report.embedded_in.to_dict(),
        "rsl_documents": [
            _rsl_dict(entry, report.decided_at or report.url)
            for entry in report.rsl_documents.values()
        ],
    }


def _rsl_dict(entry: SiteFile[Any], url: str) -> dict[str, Any]:
    doc = entry.parsed
    matching = matching_contents(doc, url) if doc is not None else []
    return {
        "url": entry.url,
        "state": entry.state.value,
        "status": entry.status,
        "error": entry.error,
        "sha256": entry.sha256,
        "max_age_days": doc.max_age_days if doc is not None else None,
        "contents": [_content_dict(c) for c in doc.contents] if doc is not None else [],
        "matching": [c.index for c in matching],
    }


def _content_dict(content: RslContent) -> dict[str, Any]:
    return {
        "index": content.index,
        "url": content.url,
        "server": content.server,
        "encrypted": content.encrypted,
        "licenses": [
            {
                "permits": {kind: list(tokens) for kind, tokens in lic.permits},
                "prohibits": {kind: list(tokens) for kind, tokens in lic.prohibits},
                "payment": [p.describe() for p in lic.payments],
                "reporting": [r.profile or r.type or "" for r in lic.reporting],
            }
            for lic in content.licenses
        ],
    }


def _rsl_lines(report: Report) -> list[str]:
    """One block per RSL document read: its state, and the <content> that governs the URL."""
    url = report.decided_at or report.url
    lines = ["", f"RSL licence documents ({len(report.rsl_documents)})"]
    for entry in report.rsl_documents.values():
        status = "-" if entry.status is None else str(entry.status)
        doc = entry.parsed
        if doc is None:
            lines.append(
                f"  {printable(entry.url)}  {status} unreadable: {printable(entry.error or '')}"
            )
            continue
        lines.append(
            f"  {printable(entry.url)}  {status} read, {len(doc.contents)} content(s), "
            f"max-age {doc.max_age_days} days"
        )
        matching = matching_contents(doc, url)
        if not matching:
            lines.append("    no <content> matches this URL")
        for content in matching:
            extra = f", server {printable(content.server)}" if content.server else ""
            extra += ", encrypted" if content.encrypted else ""
            lines.append(
                f"    matching content {content.index}: url={printable(repr(content.url))}{extra}"
            )
            for lic in content.licenses:
                terms = [
                    f'{verb} {kind} "{printable(" ".join(tokens))}"'
                    for verb, lists in (("permits", lic.permits), ("prohibits", lic.prohibits))
                    for kind, tokens in lists
                ]
                terms += [f"payment {printable(p.describe())}" for p in lic.payments]
                terms += [
                    f"reporting {printable(r.profile or r.type or '')}" for r in lic.reporting
                ]
                lines.append(f"      licence {lic.index}: {'; '.join(terms) or 'no terms'}")
            if not content.licenses:
                lines.append("      no <license>: unlicensed")
    return lines


def render_json(report: Report) -> str:
    """One JSON object, indented, ending in a newline; ASCII only (no raw C1 controls)."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=True) + "\n"


def render_text(report: Report) -> str:
    """The human-readable report: verdict, signals, licences, site files, page."""
    verdict = report.verdict
    purpose = verdict.purpose.value
    lines = [
        f"{_HEADLINE[verdict.reserved]} for {purpose}: {printable(report.decided_at or report.url)}"
    ]
    if verdict.decided_by is not None:
        ev = verdict.decided_by
        lines.append(
            f"  decided by {ev.family}: {ev.source} {_where(ev)}: {printable(ev.value)!s}"
            f" ({_says(ev)})"
        )
    else:
        lines.append(f"  no signal says anything about {purpose}")
    if report.page is not None and report.decided_at and report.decided_at != report.page.final_url:
        lines.append(
            "  (reserved before download by its site files: the middleware would not request it)"
        )
    robots = report.robots
    if robots is not None:
        agent = printable(str(robots["agent"]))
        if robots["allowed"]:
            lines.append(f"  robots.txt lets {agent} fetch it (ROBOTSTXT_OBEY)")
        else:
            lines.append(
                f"  robots.txt FORBIDS {agent} to fetch {printable(str(robots['url']))}: "
                f"{printable(str(robots['reason']))} (ROBOTSTXT_OBEY refuses it)"
            )
    if report.crawl:
        lines.append(
            f"  in a crawl with ROBOTSTXT_OBEY: drop mode {report.crawl.get('drop', '-')}; "
            f"tag mode {report.crawl.get('tag', '-')}"
        )

    signals = [e for e in verdict.evidence if e.family != "licence"]
    lines += ["", f"Signals ({len(signals)})"]
    if signals:
        lines += _table(
            ["", "FAMILY", "SOURCE", "WHERE", "VALUE", "SAYS"],
            [
                [
                    "*" if e is verdict.decided_by else "",
                    e.family,
                    e.source,
                    _cut(_where(e), _WHERE_WIDTH),
                    printable(e.value, _VALUE_WIDTH),
                    _says(e),
                ]
                for e in signals
            ],
            notes=[printable(e.note) for e in signals],
        )
    else:
        lines.append("  none found")

    lines += ["", "Licences (never a reservation)"]
    for ev in verdict.licences:
        lines.append(f"  {printable(ev.value)}  ({_where(ev) or ev.source})")
        if ev.note:
            lines.append(f"    note: {printable(ev.note)}")
    if not verdict.licences:
        lines.append("  none found")

    if report.rsl_documents:
        lines += _rsl_lines(report)

    lines += ["", f"Site files of {printable(report.site.origin)}"]
    lines += _table(
        ["FILE", "STATUS", "STATE", "DETAIL"],
        [_site_file_row(report, kind) for kind in SITE_FILE_PATHS],
    )

    page = report.page
    if page is not None:
        lines += ["", "Page"]
        detail = f"{len(page.body)} bytes" + (" (cut at the size cap)" if page.truncated else "")
        lines.append(
            f"  {page.status}  {printable(_content_type(page)) or 'no Content-Type'}, {detail}"
        )
        lines += [f"  redirected from {printable(hop)}" for hop in page.hops]
    if report.image is not None:
        lines += image_lines(report.image, printable)
    if report.embedded_in is not None:
        lines += embedded_lines(report.embedded_in, printable)
    return "\n".join(lines) + "\n"


def _site_file_dict(report: Report, kind: str) -> dict[str, Any]:
    entry: SiteFile[Any] = getattr(report.site, kind)
    fetched = report.fetches.get(kind)
    return {
        "url": entry.url,
        "state": entry.state.value,
        "status": entry.status,
        "error": entry.error,
        "final_url": fetched.final_url if fetched else None,
        "redirects": fetched.redirects if fetched else 0,
        "truncated": fetched.truncated if fetched else False,
        "sha256": entry.sha256,
    }


def _site_file_row(report: Report, kind: str) -> list[str]:
    entry: SiteFile[Any] = getattr(report.site, kind)
    fetched = report.fetches.get(kind)
    detail = [printable(entry.error)] if entry.error else []
    if fetched is not None and fetched.redirects:
        detail.append(f"after {fetched.redirects} redirect(s) to {printable(fetched.final_url)}")
    if fetched is not None and fetched.truncated:
        detail.append(f"read the first {len(fetched.body)} bytes only")
    return [
        SITE_FILE_PATHS[kind].rsplit("/", 1)[-1],
        "-" if entry.status is None else str(entry.status),
        entry.state.value,
        "; ".join(detail),
    ]


def _table(header: list[str], rows: list[list[str]], notes: list[str] | None = None) -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    out = []
    for i, row in enumerate((header, *rows)):
        out.append(
            ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
        )
        if notes and i > 0 and notes[i - 1]:
            out.append(" " * (4 + widths[0]) + f"note: {notes[i - 1]}")
    return out


def _where(ev: Evidence) -> str:
    parts = [printable(ev.location)] if ev.location else []
    if ev.agent is not None:
        parts.append(f"agent {printable(ev.agent)}")
    if ev.path is not None:
        parts.append(f"path {printable(ev.path)}")
    return ", ".join(parts)


def _says(ev: Evidence) -> str:
    if not ev.stances:
        return "nothing (ignored)"
    said = []
    for stance, verb in ((Stance.DISALLOWED, "disallows"), (Stance.ALLOWED, "allows")):
        purposes = [p.value for p, s in ev.stances if s is stance]
        if purposes:
            said.append(f"{verb} {', '.join(purposes)}")
    return "; ".join(said)


def _content_type(page: Fetched) -> str:
    for name, value in page.headers:
        if name.lower() == "content-type":
            return value
    return ""


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def printable(text: str, width: int = _LONGEST) -> str:
    """Escape what a terminal would act on (control characters, bidi overrides); cut long text."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return _cut(text, width)
