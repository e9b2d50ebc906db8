"""Generated audit files: realistic decision records in any number, written fast.

Records are built from a few templates (a robots.txt AI group, a TDMRep header, a noai meta, an
ai.txt allow, nothing said) shaped like the middleware's own (``AuditWriter.write``), with
URLs spread over ``origins`` origins and times one millisecond apart. :func:`expected_totals`
says what a report of such a file must count, computed from the same choices.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _evidence(family: str, source: str, value: str, stances: dict[str, str], **more: Any) -> dict:
    return {
        "family": family,
        "source": source,
        "value": value,
        "stances": stances,
        "location": more.get("location", ""),
        "agent": more.get("agent"),
        "path": more.get("path"),
        "url": more.get("url"),
        "precedence": more.get("precedence", 0),
        "note": more.get("note", ""),
    }


ROBOTS = _evidence(
    "robotstxt",
    "robots.txt",
    "Disallow: /",
    {"train-ai": "disallowed"},
    location="line 3",
    agent="GPTBot",
    path="/",
)
TDM = _evidence("tdmrep", "header", "1", {"tdm": "disallowed"}, location="tdm-reservation")
NOAI = _evidence(
    "robots-meta",
    "meta",
    "noai",
    {"train-ai": "disallowed", "ai-input": "disallowed"},
    location='meta name="robots"',
)
AITXT = _evidence("aitxt", "ai.txt", "Allow: /", {"train-ai": "allowed"}, location="line 2")
LICENCE = _evidence(
    "licence",
    "link",
    "https://creativecommons.org/licenses/by/4.0/",
    {},
    location='link rel="license"',
    note="CC BY 4.0 - not an opt-out",
)

# (decided_by, evidence, reserved, action, stage, status): one in five of each.
TEMPLATES: list[tuple[dict | None, list[dict], bool | None, str, str, int | None]] = [
    (ROBOTS, [ROBOTS, LICENCE], True, "dropped", "request", None),
    (TDM, [TDM], True, "dropped", "response", 200),
    (NOAI, [NOAI, LICENCE], True, "tagged", "response", 200),
    (AITXT, [AITXT], False, "passed", "response", 200),
    (None, [LICENCE], None, "passed", "response", 200),
]


def record(i: int, origins: int, *, worker: str | None = None) -> dict[str, Any]:
    """The ``i``-th generated decision record."""
    decided, evidence, reserved, action, stage, status = TEMPLATES[i % len(TEMPLATES)]
    time = (START + timedelta(milliseconds=i)).isoformat(timespec="milliseconds")
    verdict = {
        "purpose": "train-ai",
        "reserved": reserved,
        "decided_by": decided,
        "evidence": evidence,
    }
    rec: dict[str, Any] = {
        "time": time,
        "url": f"https://site{i % origins}.example/articles/{i}.html",
        "purpose": "train-ai",
        "reserved": reserved,
        "action": action,
        "stage": stage,
        "status": status,
        "decided_by": decided,
        "verdict": verdict,
    }
    if worker is not None:
        rec["worker"] = worker
    return rec


_URL, _TIME = "\u0000URL\u0000", "\u0000TIME\u0000"


def _templates(worker: str | None) -> list[list[str]]:
    """Each template's JSON line, split where the URL and the time go (about 10x faster than
    one ``json.dumps`` per record, so a million records take seconds)."""
    out = []
    for t in range(len(TEMPLATES)):
        rec = record(t, 1, worker=worker)
        rec["url"], rec["time"] = _URL, _TIME
        line = json.dumps(rec, separators=(",", ":")).replace('"\\u0000URL\\u0000"', _URL)
        line = line.replace('"\\u0000TIME\\u0000"', _TIME)
        out.append(line.replace(_URL, "\x00").replace(_TIME, "\x01").split("\x00"))
    return out


def write_audit(
    path: Path, count: int, *, origins: int = 1000, start: int = 0, worker: str | None = None
) -> Path:
    """Write ``count`` records (numbered from ``start``) to ``path``, after a crawl header."""
    header = {
        "type": "crawl",
        "time": START.isoformat(),
        "library": {"optout-middleware": "generated"},
        "purpose": "train-ai",
        "action": "drop",
        "settings": {"OPTOUT_PURPOSE": "train-ai"},
    }
    templates = _templates(worker)
    n = len(templates)
    second, stamp = -1, ""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        batch = []
        for i in range(start, start + count):
            if i // 1000 != second:
                second = i // 1000
                stamp = (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S")
            before, after = templates[i % n]
            time = f'"{stamp}.{i % 1000:03d}+00:00"'
            url = f'"https://site{i % origins}.example/articles/{i}.html"'
            batch.append(before.replace("\x01", time) + url + after.replace("\x01", time))
            if len(batch) == 10_000:
                fh.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            fh.write("\n".join(batch) + "\n")
    return path


def expected_totals(count: int, start: int = 0) -> dict[str, int]:
    """What a report of ``write_audit(path, count, start=start)`` must count."""
    per = [0] * len(TEMPLATES)
    for i in range(start, start + count):
        per[i % len(TEMPLATES)] += 1
    return {
        "decided": count,
        "reserved": per[0] + per[1] + per[2],
        "not-reserved": per[3],
        "unknown": per[4],
        "dropped-before": per[0],
        "dropped-after": per[1],
        "tagged": per[2],
        "passed": per[3] + per[4],
        "forbidden": 0,
    }
