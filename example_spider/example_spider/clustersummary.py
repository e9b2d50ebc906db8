"""The summary of a whole cluster crawl, from its workers' audit files.

``python -m example_spider.clustersummary [--demo-port N] output/optout-audit-*.jsonl`` merges
the files by time (as ``LC_ALL=C sort -m`` does: each file is in time order and every record
starts with its UTC time) and prints the summary of the crawl, with the demo check when the
demo site was served on port N. A page counts as kept when its response was passed or tagged.
"""

from __future__ import annotations

import argparse
import heapq
import json
import tempfile
from pathlib import Path

from .demosite import DemoSite
from .summary import CrawlFacts, render_summary

_KEPT = frozenset({"passed", "tagged"})


def merge(paths: list[str], out: Path) -> int:
    """Merge the JSON Lines files ``paths`` into ``out`` by record time; the record count."""
    files = [Path(p).open(encoding="utf-8") for p in paths]  # noqa: SIM115  (closed below)
    try:
        count = 0
        with out.open("w", encoding="utf-8") as merged:
            for line in heapq.merge(*files, key=lambda line: json.loads(line).get("time", "")):
                merged.write(line if line.endswith("\n") else line + "\n")
                count += 1
        return count
    finally:
        for fh in files:
            fh.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m example_spider.clustersummary")
    parser.add_argument("audit", nargs="+", help="the workers' audit files")
    parser.add_argument("--demo-port", type=int, default=0, help="the demo site's port")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / "audit.jsonl"
        merge(args.audit, merged)
        records = [json.loads(line) for line in merged.read_text(encoding="utf-8").splitlines()]
        kept = tuple(
            r["url"] for r in records if r.get("stage") == "response" and r.get("action") in _KEPT
        )
        workers = sorted({str(r.get("worker", "")) for r in records})
        tagged = any(r.get("action") == "tagged" for r in records)
        facts = CrawlFacts(
            purpose=records[0]["purpose"] if records else "train-ai",
            action="tag" if tagged else "drop",
            audit_file=str(merged),
            stats={},
            kept=kept,
            demo=DemoSite.served_at(args.demo_port) if args.demo_port else None,
        )
        print(f"Cluster: {len(args.audit)} audit files, workers {', '.join(workers)}")
        print(render_summary(facts), flush=True)


if __name__ == "__main__":
    main()
