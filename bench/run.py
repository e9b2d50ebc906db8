"""The benchmark's entry point: ``python -m bench [--quick] [--json PATH]``.

Runs the four parts (crawl overhead, parsers, policy-cache memory, image metadata), prints one Markdown report
on stdout (progress goes to stderr) and, with ``--json``, writes every figure to a file. Targets
are checked and marked PASS or MISS; the exit status is 0 unless ``--strict`` is given and a
target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.report import render

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
_PARTS = ("crawl", "parsers", "memory", "images")


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    dists = ("scrapy", "protego", "robotexclusionrulesparser", "lxml", "twisted")
    versions = {dist: _version(dist) for dist in dists}
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "versions": versions,
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the selected parts, print the report, and write JSON when asked."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and fast")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every figure here")
    parser.add_argument("--only", default=",".join(_PARTS), help="comma-separated parts to run")
    parser.add_argument("--pairs", type=int, help="alternated crawl pairs (default 5; quick 1)")
    parser.add_argument("--origins", type=int, help="crawl origins (default 60; quick 50)")
    parser.add_argument("--pages", type=int, help="pages per origin (default 80; quick 3)")
    parser.add_argument("--concurrency", type=int, default=64, help="CONCURRENT_REQUESTS")
    parser.add_argument("--cache-origins", type=int, help="memory: origins (default 10,000)")
    parser.add_argument(
        "--spider-parse",
        action="store_true",
        help="crawl: only the crawl where the spider parses title and links (default: both "
        "crawls, parsing and not; --quick: only the one without parsing)",
    )
    parser.add_argument(
        "--no-parse-row",
        action="store_true",
        help="crawl: only the crawl where the spider parses nothing (skip the second row)",
    )
    parser.add_argument(
        "--follow-row",
        action="store_true",
        help="crawl: also the crawl where the spider parses and follows every link (a third row)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="crawl: also profile one crawl of each mode"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also measure an older source tree (e.g. a `git worktree` of 7f912cc) in the same run",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(_PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {_PARTS}")
    quick = args.quick

    results: dict[str, Any] = {
        "quick": quick,
        "machine": _machine(),
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
    }
    started = time.perf_counter()
    if "crawl" in parts:
        from bench.crawlbench import crawl_overhead  # noqa: PLC0415

        variants = [("crawl", True)] if args.spider_parse else [("crawl", False)]
        if not quick and not args.spider_parse and not args.no_parse_row:
            variants.append(("crawl_parse", True))
        if args.follow_row:
            variants.append(("crawl_follow", True))
        for key, parse in variants:
            follow = key == "crawl_follow"
            doing = " (the spider parses and follows links)" if follow else " (the spider parses)"
            _log(f"1. crawl overhead{doing if parse else ''}")
            results[key] = crawl_overhead(
                root=ROOT,
                origins=args.origins or (50 if quick else 60),
                pages=args.pages or (3 if quick else 80),
                pairs=args.pairs or (1 if quick else 5),
                concurrency=args.concurrency,
                warmup=not quick,
                parse=parse,
                follow=follow,
                profile=args.profile and key == "crawl",
                log=_log,
                baseline=args.baseline,
            )
    if "parsers" in parts:
        from bench.parsers import adversarial, robots_comparison  # noqa: PLC0415
        from bench.perpage import (  # noqa: PLC0415
            evaluation,
            head_extraction,
            head_prescan_ablation,
        )

        _log("2. parsers")
        results["robots"] = robots_comparison(quick=quick, log=_log)
        limit, rows = adversarial(quick=quick, root=ROOT, log=_log)
        results["adversarial"] = {"limit_secs": limit, "rows": rows}
        results["head"] = head_extraction(quick=quick, log=_log)
        results["head_prescan"] = head_prescan_ablation(quick=quick, log=_log)
        if args.baseline is not None:
            from bench.baseline import load_baseline  # noqa: PLC0415
            from bench.perpage import evaluation_vs_baseline  # noqa: PLC0415

            both = evaluation_vs_baseline(
                quick=quick, log=_log, baseline=load_baseline(args.baseline)
            )
            results["evaluation"] = both["current"]
            results["evaluation_baseline"] = both["baseline"]
        else:
            results["evaluation"] = evaluation(quick=quick, log=_log)
    if "memory" in parts:
        from bench.memory import policy_cache_memory  # noqa: PLC0415

        _log("3. memory")
        origins = args.cache_origins or (500 if quick else 10_000)
        results["memory"] = policy_cache_memory(origins=origins, log=_log)
        if args.baseline is not None:
            from bench.baseline import load_baseline  # noqa: PLC0415

            results["memory_baseline"] = policy_cache_memory(
                origins=origins, log=_log, package=load_baseline(args.baseline)
            )
    if "images" in parts:
        from bench.images import image_crawl, scan_costs  # noqa: PLC0415

        _log("4. image metadata")
        results["images"] = {"scan": scan_costs(quick=quick, log=_log)}
        results["images"]["crawl"] = image_crawl(
            root=ROOT,
            quick=quick,
            pairs=args.pairs or (1 if quick else 3),
            concurrency=args.concurrency,
            log=_log,
        )
    results["elapsed_secs"] = time.perf_counter() - started

    text, targets = render(results)
    results["targets"] = targets
    print(text, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        _log(f"results written to {args.json}")
    missed = [t for t in targets if t["result"] == "MISS"]
    return 1 if args.strict and missed else 0
