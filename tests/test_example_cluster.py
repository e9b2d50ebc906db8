"""The example project as two scrapy-redis workers against a real redis-server, as README's
"Running on a cluster" runs it: one demo site, one shared queue, dupefilter and policy cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from .redis_server import free_port
from .test_example_spider import LISTED, PROJECT, ROOT

from example_spider.demosite import DemoSite  # isort: skip  (path set by test_example_spider)

if TYPE_CHECKING:
    from pathlib import Path

    from .redis_server import RedisServer

pytestmark = pytest.mark.integration

SITE_FILES = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")


def worker(name: str, port: int, redis_url: str, out: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)  # the project's settings set it
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["SCRAPY_SETTINGS_MODULE"] = "example_spider.cluster_settings"
    env["REDIS_URL"] = redis_url
    args = [
        sys.executable, "-m", "scrapy", "crawl", "optout_demo",
        "-a", f"demo_port={port}", "-a", "idle_secs=2",
        "-s", f"OPTOUT_WORKER_ID={name}",
        "-s", f"OPTOUT_AUDIT_FILE={out}/optout-audit-%(worker)s.jsonl",
        "-s", "FEEDS={}",
    ]  # fmt: skip
    return subprocess.Popen(
        args,
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_example_runs_as_two_workers_sharing_site_files(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    with DemoSite(port=port) as site:
        workers = [worker(f"w{i}", port, redis_server.url, tmp_path) for i in (1, 2)]
        runs = [(w, *w.communicate(timeout=180)) for w in workers]
        requested = list(site.requested)
    for process, out, err in runs:
        assert process.returncode == 0, err[-3000:]
        assert "Traceback" not in out + err
        assert "Demo check: not here, this worker crawled its share" in out
    counts = Counter(requested)
    for origin in site.bases:
        for path in SITE_FILES:
            assert counts[(origin, path)] == 1, (origin, path)
    twice = {k: n for k, n in counts.items() if k[1] not in SITE_FILES and n > 1}
    assert twice == {}
    audits = sorted(str(p) for p in tmp_path.glob("optout-audit-*.jsonl"))
    assert [p.rsplit("-", 1)[1] for p in audits] == ["w1.jsonl", "w2.jsonl"]
    summary = subprocess.run(
        [sys.executable, "-m", "example_spider.clustersummary", "--demo-port", str(port), *audits],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # Which worker crawled what is up to the shared queue (one may have drained it alone).
    assert "Cluster: 2 audit files, workers w" in summary
    assert f"Demo check: all {len(LISTED)} pages went as the demo index says." in summary
