"""The cluster settings (ClusterConfig), the worker id in the audit file, and that nothing
changes without OPTOUT_REDIS_URL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from optout_middleware.errors import ConfigError
from optout_middleware.middlewares.audit import AuditWriter
from optout_middleware.middlewares.downloader import OptOutDownloaderMiddleware
from optout_middleware.middlewares.redis_cache import ClusterConfig, _redacted
from optout_middleware.sitepolicy import LruPolicyCache
from optout_middleware.sitepolicy.shared import SharedPolicyCache
from optout_middleware.verdict import Purpose, Verdict

if TYPE_CHECKING:
    from pathlib import Path


def cluster(**values: Any) -> ClusterConfig:
    return ClusterConfig.from_settings(Settings(values))


def test_cluster_defaults_match_documented_values() -> None:
    """README settings table: off, hostname:pid, 30 s lease, 60 s wait, 2 s timeout."""
    c = cluster()
    assert c.redis_url is None
    assert c.worker_id == f"{socket.gethostname()}:{os.getpid()}"
    assert (c.key_prefix, c.lease_secs, c.wait_secs, c.timeout_secs) == ("optout:v1", 30, 60, 2)
    assert c.required is False


def test_cluster_values_from_command_line_strings() -> None:
    c = cluster(
        OPTOUT_REDIS_URL=" redis://h:1/2 ",
        OPTOUT_REDIS_REQUIRED="True",
        OPTOUT_REDIS_LEASE_SECS="3",
        OPTOUT_WORKER_ID="w7",
    )
    assert (c.redis_url, c.required, c.lease_secs, c.worker_id) == ("redis://h:1/2", True, 3, "w7")


@pytest.mark.parametrize(
    ("name", "value", "extra"),
    [
        ("OPTOUT_REDIS_URL", "http://localhost:6379", {}),
        ("OPTOUT_REDIS_URL", "", {}),
        ("OPTOUT_REDIS_REQUIRED", "maybe", {"OPTOUT_REDIS_URL": "redis://h"}),
        ("OPTOUT_REDIS_REQUIRED", True, {}),  # required, but no Redis to require
        ("OPTOUT_REDIS_LEASE_SECS", "soon", {}),
        ("OPTOUT_REDIS_LEASE_SECS", 0, {}),
        ("OPTOUT_REDIS_WAIT_SECS", -1, {}),
        ("OPTOUT_REDIS_TIMEOUT_SECS", 0, {}),
        ("OPTOUT_WORKER_ID", "  ", {}),
    ],
)
def test_bad_cluster_value_names_the_setting(
    name: str, value: object, extra: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError, match=name):
        cluster(**{name: value, **extra})


def test_redis_password_never_reaches_the_log() -> None:
    assert _redacted("redis://user:s3cret@h:6379/0") == "redis://user:***@h:6379/0"
    assert _redacted("redis://h:6379/0") == "redis://h:6379/0"


def test_without_redis_url_the_cache_is_the_in_process_lru() -> None:
    """OPTOUT_REDIS_URL unset: the same cache as before clusters, nothing connects anywhere."""
    mw = OptOutDownloaderMiddleware.from_crawler(get_crawler(settings_dict={}))
    assert type(mw.cache) is LruPolicyCache


def test_with_redis_url_the_lru_stays_in_front() -> None:
    crawler = get_crawler(settings_dict={"OPTOUT_REDIS_URL": "redis://127.0.0.1:1/0"})
    mw = OptOutDownloaderMiddleware.from_crawler(crawler)
    assert isinstance(mw.cache, SharedPolicyCache)
    assert type(mw.cache.local) is LruPolicyCache


def test_audit_record_names_its_worker_and_starts_with_time(tmp_path: Path) -> None:
    """``%(worker)s`` in the path gives each worker its own file; ``time`` first, then
    ``worker``, so ``sort -m`` merges files by time."""
    writer = AuditWriter(tmp_path / "audit-%(worker)s.jsonl", worker="host/a:12")
    writer.write("http://a/", Verdict(Purpose.TRAIN_AI, False), action="passed", stage="response")
    writer.close()
    path = tmp_path / "audit-host_a:12.jsonl"
    line = path.read_text()
    assert line.startswith('{"time":"')
    record = json.loads(line)
    assert list(record)[:2] == ["time", "worker"]
    assert record["worker"] == "host/a:12"


def test_redis_url_needs_the_asyncio_reactor(tmp_path: Path) -> None:
    """Another reactor cannot await redis.asyncio, and a sync client would block the reactor:
    the crawl stops at startup naming the setting."""
    spider = tmp_path / "spider.py"
    spider.write_text(
        "import scrapy\n"
        "class S(scrapy.Spider):\n"
        "    name = 's'\n"
        "    async def start(self):\n"
        "        return\n"
        "        yield\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(spider),
            "-s",
            'ADDONS={"optout_middleware.OptOutAddon": 0}',
            "-s",
            "TWISTED_REACTOR=twisted.internet.selectreactor.SelectReactor",
            "-s",
            "OPTOUT_REDIS_URL=redis://127.0.0.1:1/0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": ""},
    )
    assert run.returncode != 0
    assert "OPTOUT_REDIS_URL" in run.stderr
    assert "asyncio reactor" in run.stderr
