"""The benchmark still runs: ``python -m bench --quick`` end to end, as a subprocess.

A smoke test, not a performance test: it checks that every part runs against the current code
and reports, so the benchmark cannot rot. The figures of a quick run are not asserted on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest  # noqa: F401

from .conftest import needs_loopback_hosts

ROOT = Path(__file__).resolve().parents[1]
HEADINGS = ("## 1. Crawl overhead", "## 2. Parsers", "## 3. Memory", "## Targets")
LIMIT_SECS = 240  # a quick run takes ~30 s alone; a shared 2-core machine can be 4x slower


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` from the repository root; it must exit 0 within LIMIT_SECS."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=LIMIT_SECS,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@needs_loopback_hosts
def test_bench_quick_run_reports_every_part(tmp_path: Path) -> None:
    """``python -m bench --quick`` exits 0 within a few minutes and prints every table."""
    out = tmp_path / "bench.json"
    started = time.monotonic()
    done = _run("bench", "--quick", "--json", str(out))
    elapsed = time.monotonic() - started
    assert elapsed < LIMIT_SECS
    for heading in HEADINGS:
        assert heading in done.stdout
    results = json.loads(out.read_text())
    assert {"crawl", "robots", "adversarial", "head", "evaluation", "memory"} <= results.keys()
    assert {"scan", "crawl"} <= results["images"].keys()
    assert "## 4. Image metadata" in done.stdout
    # Ours never more: Scrapy's own RobotsTxtMiddleware can let a disallowed page through (the
    # Scrapy 2.19 bug test_middleware_sitefiles.py pins), which the bench then reports.
    assert results["crawl"]["optout"]["pages"] <= results["crawl"]["scrapy"]["pages"]
    assert all(target["result"] in ("PASS", "MISS") for target in results["targets"])
    assert len(results["targets"]) >= 6


@needs_loopback_hosts
def test_ceilings_run_and_their_head_stub_knows_every_page() -> None:
    """``python -m bench.ceilings`` on a tiny site: every step is reported, and the head stub
    found a precomputed head for every page (else the "free head" step would be too cheap)."""
    done = _run("bench.ceilings", "--rounds", "1", "--origins", "2", "--pages", "4")
    for step in ("| scrapy |", "| add-on |", "| free head |", "| + free site decision |"):
        assert step in done.stdout
    stub_lines = [line for line in done.stderr.splitlines() if line.startswith("head stub:")]
    assert stub_lines
    for line in stub_lines:
        found, _, total = line.removeprefix("head stub: ").removesuffix(" found").partition(" of ")
        assert found == total != "0", line


@needs_loopback_hosts
def test_the_follow_row_downloads_each_url_once_as_the_plain_crawl_does(tmp_path: Path) -> None:
    """``--follow-row``: the spider yields a request per link; the dupefilter drops the links
    already seen, so each URL is still downloaded once."""
    out = tmp_path / "bench.json"
    done = _run(
        *("bench", "--quick", "--only", "crawl", "--follow-row"),
        *("--origins", "3", "--pages", "8", "--json", str(out)),
    )
    assert "the spider following links (`--follow-row`)" in done.stdout
    results = json.loads(out.read_text())
    plain, follow = results["crawl"], results["crawl_follow"]
    assert follow["spider_follows"] is True
    assert plain["spider_follows"] is False
    # Each URL is downloaded at most once (a start request that bypassed the dupefilter would
    # download every linked page again), and the add-on's two crawls download the same pages.
    # Not Scrapy's against ours: its RobotsTxtMiddleware let the /private/ pages through in
    # about 1 quick run of 8 (the requests that wait for a robots.txt after the first get no
    # parser: the Scrapy 2.19 bug test_middleware_sitefiles.py pins).
    counts = [
        (k, run["mode"], run["pages"])
        for k in ("crawl", "crawl_follow")
        for run in results[k]["runs"]
    ]
    assert all(pages <= plain["start_urls"] for *_, pages in counts), counts
    assert len({pages for _, mode, pages in counts if mode == "optout"}) == 1, counts
    pages = min(pages for *_, pages in counts)
    for run in follow["runs"]:  # links were yielded, and the dupefilter dropped the seen ones
        assert run["stats"].get("dupefilter/filtered", 0) > pages, run["mode"]
    for run in plain["runs"]:
        assert "dupefilter/filtered" not in run["stats"], run["mode"]
