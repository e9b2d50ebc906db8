"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing to load.

A strict Content-Security-Policy (``default-src 'none'``) makes the browser refuse any outside
resource, should one ever slip in: the page opens the same offline, from a USB stick, years later.
Every text from an audit file (URLs, values, file names) is escaped. The tables carry
``data-*`` attributes with the exact numbers, which the browser test reads next to the text.
The Charts section is :mod:`.charts`'s.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from .charts import charts_section, parse_time

if TYPE_CHECKING:
    from .model import AuditSummary, Example, FileSummary, KindCount

__all__ = ["CSP", "render_page"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

_CSS = """
body{font:15px/1.45 system-ui,'Segoe UI',Helvetica,Arial,sans-serif;color:#111;margin:0 auto;
max-width:1100px;padding:1.2em 1.5em}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;
border-bottom:2px solid #333}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #ccc;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#444}.warning{border-left:5px solid #D55E00;background:#fff3e8;padding:.5em .8em;
margin:.6em 0}.chart{max-width:100%;height:auto;display:block;margin:.4em 0 1.2em}
.chart .label,.chart .value,.chart .legend,.chart .tick{font-size:12px;fill:#111}
.chart .grid{stroke:#ccc;stroke-width:1}.chart .empty{font-size:13px;fill:#555}
figure{margin:0;break-inside:avoid}figcaption{font-weight:600}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.5em;margin:.3em 0}
details{margin:.2em 0}summary{cursor:pointer}.url{word-break:break-all}
@media print{body{max-width:none;padding:0;font-size:11pt}h2{break-after:avoid}
tr,figure{break-inside:avoid}.warning{background:none}}
"""


def _n(value: int) -> str:
    return f"{value:,}"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def render_page(summary: AuditSummary, *, version: str, generated: str, top_origins: int) -> str:
    """The whole report page for ``summary``."""
    s = summary
    body = [
        "<header><h1>Opt-out compliance report</h1>",
        (
            f'<p class="meta">Generated {_e(generated)} by optout-middleware {_e(version)} '
            f"from {_n(len(s.files))} audit file{'s' if len(s.files) != 1 else ''}.</p></header>"
        ),
        _warnings(s),
        _totals(s),
        charts_section(s),
        _kinds(s),
        _origins(s, top_origins),
        _workers(s),
        _crawls(s),
        _files(s),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Opt-out compliance report</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _warnings(s: AuditSummary) -> str:
    out = []
    if s.malformed:
        out.append(
            f'<p class="warning" id="malformed-warning">{_n(s.malformed)} malformed line'
            f"{'s' if s.malformed != 1 else ''} skipped (see Audit files).</p>"
        )
    out.extend(f'<p class="warning">{_e(f.path)}: {_e(f.error)}.</p>' for f in s.files if f.error)
    if len(s.purposes) > 1:
        out.append(
            '<p class="warning">These audits mix purposes: '
            + ", ".join(f"{_e(p)} ({_n(n)})" for p, n in sorted(s.purposes.items()))
            + ". Each verdict is for its own crawl's purpose.</p>"
        )
    if s.decided and not s.crawls_seen:
        out.append(
            '<p class="warning">No crawl header in these audits (written before '
            "optout-middleware 0.2): the settings that shaped the verdicts are not known.</p>"
        )
    if s.unknown_types:
        out.append(
            f'<p class="warning">{_n(s.unknown_types)} records of a type this version does '
            "not know were skipped (written by a newer version?).</p>"
        )
    if not s.decided:
        out.append('<p class="warning" id="empty-warning">No decisions in these audits.</p>')
    return "".join(out)


def _totals(s: AuditSummary) -> str:
    before = s.action_count("dropped", "request")
    after = s.action_count("dropped", "response")
    rows = [
        ("decided", "URLs decided", s.decided, ""),
        ("reserved", "reserved for the purpose", s.reserved, _pct(s.reserved, s.decided)),
        ("not-reserved", "not reserved (allowed)", s.not_reserved, _pct(s.not_reserved, s.decided)),
        ("unknown", "nothing said", s.unknown, _pct(s.unknown, s.decided)),
        ("dropped-before", "dropped before download", before, "never requested"),
        ("dropped-after", "dropped after download", after, "never reached the spider"),
        ("forbidden", "forbidden by our own robots.txt rules", s.action_count("forbidden"), ""),
        ("tagged", "kept and tagged", s.action_count("tagged"), ""),
        ("passed", "kept", s.action_count("passed"), ""),
    ]
    table = "".join(
        f'<tr data-total="{key}" data-value="{value}"><th>{label}</th>'
        f'<td class="n">{_n(value)}</td><td class="meta">{_e(note)}</td></tr>'
        for key, label, value, note in rows
    )
    purposes = ", ".join(_e(p) for p in sorted(s.purposes)) or "-"
    span = (
        f"{_e(s.first_time)} to {_e(s.last_time)}{_duration(s.first_time, s.last_time)}"
        if s.first_time and s.last_time
        else "-"
    )
    return (
        '<section id="totals"><h2>Totals</h2>'
        f'<p>Purpose: <strong id="purpose">{purposes}</strong>. '
        f'Time span (UTC): <span id="span">{span}</span>.</p>'
        f"<table>{table}</table></section>"
    )


def _duration(first: str, last: str) -> str:
    """`` (1 h 4 min)``: how long the span is, or nothing when the times do not parse."""
    start, end = parse_time(first), parse_time(last)
    if start is None or end is None:
        return ""
    secs = end - start
    if secs < 60:  # noqa: PLR2004
        return f" ({secs:.1f} s)"
    minutes, secs = divmod(round(secs), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    parts += [f"{minutes} min"] if not days else []
    return f" ({' '.join(parts)})" if hours or days else f" ({minutes} min {secs} s)"


def _kinds(s: AuditSummary) -> str:
    kinds = sorted(s.kinds.values(), key=lambda k: (-k.total, k.family, k.value))
    rows = "".join(_kind_row(i, k) for i, k in enumerate(kinds))
    no_signal = sum(n for (family, _), n in s.deciding.items() if not family)
    other = (
        f'<p class="warning">{_n(s.other_kinds)} decisions by further kinds of evidence '
        "are counted in the totals but not listed.</p>"
        if s.other_kinds
        else ""
    )
    return (
        '<section id="evidence"><h2>Deciding evidence</h2>'
        "<p>Each kind of evidence that decided a verdict (family, source, value, agent and "
        "where it was found; line numbers aside), how many decisions it settled, and the first "
        "decisions it settled with their full verdicts as recorded.</p>"
        '<table class="kinds"><thead><tr><th>family</th><th>source</th><th>evidence</th>'
        '<th class="n">reserved</th><th class="n">allowed</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        f'<p>Decisions with no deciding evidence (nothing said): <span id="no-signal">'
        f"{_n(no_signal)}</span>.</p>{other}</section>"
    )


def _kind_row(index: int, k: KindCount) -> str:
    scope = []
    if k.agent:
        scope.append(f"for {_e(k.agent)}")
    if k.location:
        scope.append(_e(k.location))
    where = f' <span class="meta">({", ".join(scope)})</span>' if scope else ""
    examples = "".join(_example(e) for e in k.examples)
    return (
        f'<tr class="kind" data-family="{_e(k.family)}" data-count="{k.total}">'
        f"<td>{_e(k.family)}</td><td>{_e(k.source)}</td><td><code>{_e(k.value)}</code>{where}"
        f"<details><summary>{len(k.examples)} example{'s' if len(k.examples) != 1 else ''}"
        f"</summary>{examples}</details></td>"
        f'<td class="n">{_n(k.reserved)}</td><td class="n">{_n(k.not_reserved)}</td></tr>'
    )


def _example(e: Example) -> str:
    status = f", status {_e(e.status)}" if e.status is not None else ""
    if e.verdict is None:
        verdict = (
            "(verdict not kept: the report keeps at most 32 MiB of records whole; see the file)"
        )
    else:
        verdict = json.dumps(e.verdict, indent=1, ensure_ascii=False)
    return (
        f'<div class="example"><p class="url">{_e(e.url)}</p><p class="meta">{_e(e.action)} '
        f"at {_e(e.stage)}{status}, {_e(e.time)}; {_e(e.file)} line {e.line}</p>"
        f"<pre>{_e(verdict)}</pre></div>"
    )


def _origins(s: AuditSummary, top: int) -> str:
    origins = sorted(s.origins.values(), key=lambda o: (-o.reserved, -o.decided, o.origin))
    shown = origins[:top]
    rows = "".join(
        f'<tr class="origin" data-origin="{_e(o.origin)}" data-decided="{o.decided}" '
        f'data-reserved="{o.reserved}"><td class="url">{_e(o.origin)}</td>'
        f'<td class="n">{_n(o.decided)}</td><td class="n">{_n(o.reserved)}</td>'
        f'<td class="n">{_n(o.dropped)}</td><td>{_e(", ".join(sorted(o.families)) or "-")}</td>'
        "</tr>"
        for o in shown
    )
    more = (
        f"<p>{_n(len(origins) - top)} more origins not shown (<code>--origins N</code> shows "
        "more).</p>"
        if len(origins) > top
        else ""
    )
    return (
        f'<section id="origins"><h2>Origins ({_n(len(origins))})</h2>'
        '<table><thead><tr><th>origin</th><th class="n">decided</th>'
        '<th class="n">reserved</th><th class="n">dropped</th><th>signals seen</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{more}</section>"
    )


def _workers(s: AuditSummary) -> str:
    if not s.workers:
        return ""
    rows = "".join(
        f'<tr class="worker" data-worker="{_e(w)}" data-decided="{c[0]}"><td>{_e(w)}</td>'
        f'<td class="n">{_n(c[0])}</td><td class="n">{_n(c[1])}</td></tr>'
        for w, c in sorted(s.workers.items())
    )
    return (
        '<section id="workers"><h2>Workers</h2><table><thead><tr><th>worker</th>'
        '<th class="n">decided</th><th class="n">reserved</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _crawls(s: AuditSummary) -> str:
    groups: dict[str, list[dict[str, Any]]] = {}
    for crawl in s.crawls:
        shape = {k: crawl.get(k) for k in ("library", "settings", "signals")}
        groups.setdefault(json.dumps(shape, sort_keys=True, default=str), []).append(crawl)
    parts = []
    for crawls in groups.values():
        first = crawls[0]
        library = _mapping(first.get("library"))
        settings = _mapping(first.get("settings"))
        rows = "".join(
            f'<tr class="setting" data-setting="{_e(k)}"><th>{_e(k)}</th>'
            f"<td><code>{_e(json.dumps(v, ensure_ascii=False))}</code></td></tr>"
            for k, v in settings.items()
        )
        versions = ", ".join(f"{_e(k)} {_e(v)}" for k, v in library.items())
        signals = first.get("signals")
        plugin = (
            f"<p>Signal parsers: {_e(', '.join(map(str, signals)))}</p>"
            if isinstance(signals, list)
            else ""
        )
        starts = ", ".join(
            f"{_e(c.get('time', '?'))} ({_e(c.get('_file', ''))})" for c in crawls[:10]
        )
        more = f" and {_n(len(crawls) - 10)} more" if len(crawls) > 10 else ""  # noqa: PLR2004
        parts.append(
            f'<div class="crawl-settings"><p>{_n(len(crawls))} crawl'
            f"{'s' if len(crawls) != 1 else ''} started {starts}{more}.</p>"
            f'<p>Versions: <span class="versions">{versions or "-"}</span></p>{plugin}'
            f"<details open><summary>Settings that shape verdicts</summary><table>{rows}"
            "</table></details></div>"
        )
    if not parts:
        parts.append("<p>No crawl header: settings unknown.</p>")
    extra = (
        f"<p>{_n(s.crawls_seen - len(s.crawls))} further crawl headers not shown.</p>"
        if s.crawls_seen > len(s.crawls)
        else ""
    )
    return f'<section id="crawls"><h2>Crawls and settings</h2>{"".join(parts)}{extra}</section>'


def _mapping(value: object) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _files(s: AuditSummary) -> str:
    rows = "".join(_file_row(f) for f in s.files)
    return (
        '<section id="files"><h2>Audit files</h2><table><thead><tr><th>file</th>'
        '<th class="n">bytes</th><th class="n">decisions</th><th class="n">crawls</th>'
        '<th class="n">malformed lines</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _file_row(f: FileSummary) -> str:
    where = "; ".join(f"line {n}: {_e(why)}" for n, why in f.malformed_lines)
    if f.malformed > len(f.malformed_lines):
        where += f"; {_n(f.malformed - len(f.malformed_lines))} more"
    note = f'<div class="meta">{where}</div>' if where else ""
    error = f'<div class="meta">{_e(f.error)}</div>' if f.error else ""
    return (
        f'<tr class="file" data-records="{f.records}" data-malformed="{f.malformed}">'
        f'<td class="url">{_e(f.path)}{error}</td><td class="n">{_n(f.size)}</td>'
        f'<td class="n">{_n(f.records)}</td><td class="n">{_n(f.crawls)}</td>'
        f'<td class="n">{_n(f.malformed)}{note}</td></tr>'
    )
