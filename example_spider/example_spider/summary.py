"""The end-of-crawl summary: what was kept, dropped and tagged, and which signal decided it.

Built from the crawl's stats (``optout/...`` counters), its audit file (one JSON record per URL
decided) and the URLs that reached the spider. On the demo site it also checks every page
against what the site definition expects and lists any page that went otherwise.
Scrapy-free, so it can be tested on its own.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .loopback import Expect

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .demosite import DemoSite

__all__ = ["CrawlFacts", "Decision", "read_audit", "render_summary"]

_BEFORE, _AFTER = "before download", "after download"
_DROPPING = frozenset({"dropped", "forbidden"})  # "forbidden": robots.txt bars our own agent
_SEEN_SHOWN = 2  # evidence shown for a URL nothing decided
_STATS_SHOWN = (
    ("optout/request_dropped", "robotstxt/forbidden"),
    ("optout/response_dropped", "optout/request_deferred", "optout/deferred_lifted"),
    ("optout/item_tagged",),
)


@dataclass(frozen=True, slots=True)
class CrawlFacts:
    """Everything the summary reads, gathered when the engine stops."""

    purpose: str
    action: str
    audit_file: str | None
    stats: Mapping[str, Any]
    kept: tuple[str, ...]  # URLs whose response reached the spider, in arrival order
    demo: DemoSite | None = None
    audit_offset: int = 0  # bytes of the audit file written before this crawl
    site: str = ""  # what was crawled, when not the demo site
    partial: bool = False  # one worker of a cluster: it saw only its share of the site


@dataclass(frozen=True, slots=True)
class Decision:
    """One audit record, reduced to what the summary shows."""

    url: str
    stage: str  # _BEFORE or _AFTER
    reserved: bool | None
    dropped: bool  # never reached the spider
    action: str = ""  # as recorded: "dropped", "forbidden", "tagged", "passed"
    decided_by: Mapping[str, Any] | None = None
    evidence: tuple[Mapping[str, Any], ...] = field(default=())


def read_audit(path: str | None, offset: int = 0) -> list[Decision]:
    """The decisions recorded in the JSON Lines audit file from ``offset`` on."""
    if not path:
        return []
    try:
        with Path(path).open("rb") as fh:
            fh.seek(offset)
            lines = fh.read().splitlines()
    except OSError:
        return []
    decisions = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and (decision := _decision(record)) is not None:
            decisions.append(decision)
    return decisions


def _decision(record: Mapping[str, Any]) -> Decision | None:
    verdict = record.get("verdict", record)
    url = record.get("url")
    if not isinstance(url, str) or not isinstance(verdict, dict):
        return None
    stage = str(record.get("stage", ""))
    action = str(record.get("action", ""))
    decided = verdict.get("decided_by")
    return Decision(
        url=url,
        stage=_BEFORE if stage == "request" else _AFTER,
        reserved=verdict.get("reserved"),
        dropped=action in _DROPPING,
        action=action,
        decided_by=decided if isinstance(decided, dict) else None,
        evidence=tuple(e for e in verdict.get("evidence", ()) if isinstance(e, dict)),
    )


def clean(text: object, width: int = 60) -> str:
    """Site text made safe for a terminal (no control characters) and cut to ``width``."""
    out = "".join(
        ch if unicodedata.category(ch)[0] != "C" else f"\\x{ord(ch):02x}" for ch in str(text)
    )
    return out if len(out) <= width else out[: width - 1] + "\u2026"


def describe(evidence: Mapping[str, Any]) -> str:
    """``family: source 'value'`` plus what scopes it: the agent, the header or meta name.

    Line and rule numbers are left out, so equal signals from different files group together.
    """
    value = evidence.get("value")
    shown = repr(clean(value, 50)) if value else f"({clean(evidence.get('note', ''), 70)})"
    text = f"{evidence.get('family', '?')}: {evidence.get('source', '?')} {shown}"
    extras = []
    if evidence.get("agent"):
        extras.append(f"for {clean(evidence['agent'], 30)}")
    where = str(evidence.get("location") or "")
    if where and not where.startswith(("line ", "rule ")):
        extras.append(clean(where, 30))
    return text + (f"  ({', '.join(extras)})" if extras else "")


def reason(decision: Decision) -> str:
    """Why a URL went the way it did: the deciding evidence, else whatever was seen."""
    if decision.decided_by:
        why = describe(decision.decided_by)
    elif decision.evidence:
        seen = list(dict.fromkeys(describe(e) for e in decision.evidence))
        more = "; ..." if len(seen) > _SEEN_SHOWN else ""
        why = "no stance; seen " + "; ".join(seen[:_SEEN_SHOWN]) + more
    else:
        why = "no signal"
    if decision.action == "forbidden":
        why = f"forbidden to our crawler: {why}"
    return why


def _label(url: str, demo: DemoSite | None) -> str:
    """``origin-name /path`` on the demo site, the URL elsewhere."""
    if demo is not None and (name := demo.origin_of(url)) is not None:
        return f"{name:17} {clean(url[len(demo.bases[name]) :], 50)}"
    return clean(url, 90)


def _order(urls: Iterable[str], demo: DemoSite | None) -> list[str]:
    if demo is None:
        return sorted(urls)
    rank = {url: i for i, (url, _) in enumerate(demo.expectations())}
    return sorted(urls, key=lambda u: (rank.get(u, len(rank)), u))


def _grouped(
    title: str, decisions: Iterable[Decision], demo: DemoSite | None, *, stat: str = ""
) -> list[str]:
    groups: dict[str, list[str]] = defaultdict(list)
    for d in decisions:
        groups[reason(d)].append(d.url)
    count = sum(len(urls) for urls in groups.values())
    lines = [f"{title}: {count}" + (f"   [stats {stat}]" if stat else "")]
    for why in sorted(groups, key=lambda w: _order(groups[w], demo)[0] if demo else w):
        lines.append(f"  {why}")
        lines.extend(f"      {_label(url, demo)}" for url in _order(groups[why], demo))
    return lines


def render_summary(facts: CrawlFacts) -> str:
    """The summary as printed at the end of the crawl."""
    decisions = read_audit(facts.audit_file, facts.audit_offset)
    last: dict[str, Decision] = {}
    for d in decisions:
        last[d.url] = d
    dropped_before = [d for d in decisions if d.dropped and d.stage == _BEFORE]
    dropped_after = [d for d in decisions if d.dropped and d.stage == _AFTER]
    stats = facts.stats
    lines = [
        "",
        f"=== optout_demo: purpose {facts.purpose}, action {facts.action} ===",
    ]
    if facts.demo is not None:
        lines.append(
            f"demo site: {len(facts.demo.bases)} origins on loopback, index {facts.demo.start_url}"
        )
    elif facts.site:
        lines.append(f"site: {clean(facts.site, 100)}")
    lines.append(
        f"audit file: {facts.audit_file or '(none: set OPTOUT_AUDIT_FILE)'}"
        f" ({len(decisions)} records)"
    )
    kept_urls = list(dict.fromkeys(facts.kept))
    lines.append(
        f"kept {len(kept_urls)}, dropped before download {len(dropped_before)}, "
        f"dropped after download {len(dropped_after)}, "
        f"items tagged {stats.get('optout/item_tagged', 0)}"
    )
    lines.append("")

    kept_reserved: list[Decision] = []
    kept_allowed: list[Decision] = []
    kept_silent: list[Decision] = []
    for url in kept_urls:
        d = last.get(url) or Decision(url, _AFTER, None, dropped=False)
        if d.reserved is None:
            kept_silent.append(d)
        else:
            (kept_reserved if d.reserved else kept_allowed).append(d)
    tagged = f"   [stats {_stat(stats, 2)}]" if facts.action == "tag" else ""
    lines.append(f"Kept: {len(kept_urls)} pages reached the spider{tagged}")
    if kept_reserved:
        lines.extend(
            "  " + line for line in _grouped("reserved, kept and tagged", kept_reserved, facts.demo)
        )
    if kept_allowed:
        lines.extend("  " + line for line in _grouped("allowed", kept_allowed, facts.demo))
    if kept_silent:
        lines.extend("  " + line for line in _grouped("nothing said", kept_silent, facts.demo))
    lines.append("")
    lines.extend(
        _grouped("Dropped before download", dropped_before, facts.demo, stat=_stat(stats, 0))
    )
    lines.append("")
    lines.extend(
        _grouped("Dropped after download", dropped_after, facts.demo, stat=_stat(stats, 1))
    )
    lines.append("")
    counters = {k: v for k, v in sorted(stats.items()) if k.startswith("optout/verdict_count/")}
    if counters:
        lines.append(
            "Verdicts: " + ", ".join(f"{k.rsplit('/', 1)[1]} {v}" for k, v in counters.items())
        )
    if facts.demo is not None and facts.partial:
        lines.append(
            "Demo check: not here, this worker crawled its share of the site; for the whole "
            "cluster run: python -m example_spider.clustersummary output/optout-audit-*.jsonl"
        )
    elif facts.demo is not None:
        lines.extend(_demo_check(facts, last, dropped_before, dropped_after))
    return "\n".join(lines) + "\n"


def _stat(stats: Mapping[str, Any], index: int) -> str:
    first, *others = _STATS_SHOWN[index]
    shown = [first, *(key for key in others if key in stats)]
    return ", ".join(f"{key} = {stats.get(key, 0)}" for key in shown)


def _demo_check(
    facts: CrawlFacts,
    last: Mapping[str, Decision],
    dropped_before: list[Decision],
    dropped_after: list[Decision],
) -> list[str]:
    """Compare every demo page with its ``Page.expect``; list the ones that went otherwise."""
    assert facts.demo is not None  # noqa: S101  (caller checks)
    before = {d.url for d in dropped_before}
    after = {d.url for d in dropped_after}
    kept = set(facts.kept)
    tagging = facts.action == "tag"
    wrong = []
    pages = facts.demo.expectations()
    for url, page in pages:
        if url in before:
            got = Expect.DROP_BEFORE
        elif url in after:
            got = Expect.DROP_AFTER
        elif url in kept:
            reserved = last[url].reserved if url in last else None
            got = Expect.KEEP_RESERVED if reserved else Expect.KEEP
        else:
            got = "never requested"
        want = page.expect_when_tagged if tagging else page.expect
        if got != want:
            wrong.append(f"  {_label(url, facts.demo)}  expected {want}, got {got} ({page.why})")
    if not wrong:
        return [f"Demo check: all {len(pages)} pages went as the demo index says."]
    return [f"Demo check: {len(wrong)} of {len(pages)} pages went otherwise:", *wrong]
