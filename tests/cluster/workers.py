"""Start Scrapy worker processes for the cluster tests and collect what each left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SPIDER = Path(__file__).resolve().parent / "spider.py"

# The scrapy-redis settings a cluster must have (README "Running on a cluster").
SCRAPY_REDIS = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": "True",
}


@dataclass
class Worker:
    """One ``scrapy runspider`` process; ``directory`` holds its log, stats and audit file."""

    name: str
    directory: Path
    process: subprocess.Popen[bytes]
    returncode: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def log(self) -> str:
        path = self.directory / "scrapy.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    @property
    def output(self) -> str:
        path = self.directory / "output.txt"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    @property
    def audit(self) -> Path:
        return self.directory / "audit.jsonl"

    def audit_records(self) -> list[dict[str, Any]]:
        """The decisions in this worker's audit file (its crawl header left out)."""
        if not self.audit.exists():
            return []
        lines = self.audit.read_text(encoding="utf-8").splitlines()
        return [r for r in map(json.loads, lines) if r.get("type") != "crawl"]

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    def wait(self, timeout: float) -> int:
        try:
            self.returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        stats_file = self.directory / "stats.json"
        if stats_file.exists():
            self.stats = json.loads(stats_file.read_text(encoding="utf-8"))
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the worker's process group: no clean-up at all, as a machine dying."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def start_worker(
    name: str, directory: Path, seeds: list[str], settings: dict[str, str], *, barrier: int = 0
) -> Worker:
    """``python -m scrapy runspider tests/cluster/spider.py`` with ``-s`` ``settings``."""
    directory.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable, "-m", "scrapy", "runspider", str(SPIDER),
        "-a", f"seeds={','.join(seeds)}",
        "-a", f"stats_file={directory / 'stats.json'}",
        "-a", f"barrier={barrier}",
    ]  # fmt: skip
    all_settings = {
        "OPTOUT_WORKER_ID": name,
        "OPTOUT_AUDIT_FILE": str(directory / "audit.jsonl"),
        "LOG_FILE": str(directory / "scrapy.log"),
        **settings,
    }
    for key, value in all_settings.items():
        args += ["-s", f"{key}={value}"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    env["PYTHONWARNINGS"] = "default"
    with (directory / "output.txt").open("wb") as out:
        process = subprocess.Popen(
            args,
            cwd=directory,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(name, directory, process)


def run_workers(
    count: int,
    base: Path,
    seeds: list[str],
    settings: dict[str, str],
    *,
    barrier: int = 0,
    timeout: float = 120,
) -> list[Worker]:
    """Start ``count`` workers together and wait for all of them."""
    workers = [
        start_worker(f"w{i}", base / f"w{i}", seeds, settings, barrier=barrier)
        for i in range(1, count + 1)
    ]
    try:
        for worker in workers:
            worker.wait(timeout)
    finally:
        for worker in workers:
            worker.kill()
    return workers
