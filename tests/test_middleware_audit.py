"""AuditWriter: JSON Lines, one record per decision, each line on disk as soon as written."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

from optout_middleware.middlewares.audit import AuditWriter
from optout_middleware.middlewares.config import DEFAULTS, OptOutConfig
from optout_middleware.middlewares.crawlinfo import verdict_settings
from optout_middleware.verdict import Evidence, Purpose, Verdict, disallows

if TYPE_CHECKING:
    from pathlib import Path

EVIDENCE = Evidence("tdmrep", "header", "1", disallows(Purpose.TDM), location="TDM-Reservation")
VERDICT = Verdict(Purpose.TRAIN_AI, True, EVIDENCE, (EVIDENCE,))


def test_each_record_is_on_disk_before_close(tmp_path: Path) -> None:
    """Flushed per line: a hard kill after a write leaves that line intact."""
    path = tmp_path / "nested" / "audit.jsonl"
    writer = AuditWriter(path)
    writer.write("https://e.com/a", VERDICT, action="dropped", stage="response", status=200)
    (line,) = path.read_text(encoding="utf-8").splitlines()  # read while still open
    record = json.loads(line)
    assert record["url"] == "https://e.com/a"
    assert record["reserved"] is True
    assert record["decided_by"] == EVIDENCE.to_dict()
    assert Verdict.from_dict(record["verdict"]) == VERDICT
    writer.close()


def test_hard_kill_leaves_complete_lines(tmp_path: Path) -> None:
    """A process killed (os._exit, no cleanup) after writing keeps every written line."""
    path = tmp_path / "audit.jsonl"
    code = (
        "import os, sys\n"
        "from optout_middleware.middlewares.audit import AuditWriter\n"
        "from optout_middleware.verdict import Purpose, Verdict\n"
        f"w = AuditWriter(__import__('pathlib').Path({str(path)!r}))\n"
        "for i in range(3):\n"
        "    w.write(f'https://e.com/{i}', Verdict(Purpose.TDM, None), action='passed',"
        " stage='response')\n"
        "os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == 9
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["url"] for x in lines] == [f"https://e.com/{i}" for i in range(3)]


def test_records_are_appended_across_crawls(tmp_path: Path) -> None:
    """An existing audit file is appended to, never truncated."""
    path = tmp_path / "audit.jsonl"
    for url in ("https://e.com/1", "https://e.com/2"):
        writer = AuditWriter(path)
        writer.write(url, VERDICT, action="dropped", stage="request")
        writer.close()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_writes_after_close_are_ignored(tmp_path: Path) -> None:
    """Late decisions after spider_closed do not raise."""
    writer = AuditWriter(tmp_path / "audit.jsonl")
    writer.close()
    writer.write("https://e.com/late", VERDICT, action="dropped", stage="request")
    assert (tmp_path / "audit.jsonl").read_text(encoding="utf-8") == ""


def test_core_imports_without_scrapy() -> None:
    """The pure core never imports Scrapy; the Scrapy classes load on first access."""
    code = (
        "import sys, optout_middleware as o\n"
        "assert 'scrapy' not in sys.modules, 'scrapy imported by the core'\n"
        "assert 'OptOutAddon' in dir(o)\n"
        "o.OptOutAddon\n"
        "assert 'scrapy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_crawl_header_names_every_verdict_setting_by_its_setting_name() -> None:
    """The crawl header's settings are OptOutConfig's fields under their real setting names
    (a field added later is recorded without a change), as JSON values."""
    settings = verdict_settings(OptOutConfig())
    not_verdict = {"OPTOUT_ENABLED", "OPTOUT_AUDIT_FILE", "OPTOUT_ITEM_FIELD", "OPTOUT_CACHE_SIZE"}
    # Where a cluster keeps its shared cache changes no verdict (every worker reads the same bytes).
    cluster = {name for name in DEFAULTS if name.startswith("OPTOUT_REDIS_")} | {"OPTOUT_WORKER_ID"}
    assert set(settings) == (set(DEFAULTS) - not_verdict - cluster) | {"ROBOTSTXT_OBEY"}
    assert settings["OPTOUT_PURPOSE"] == "train-ai"
    assert settings["OPTOUT_EXTRA_ROBOTS_DIRECTIVES"] == []
    assert json.loads(json.dumps(settings)) == settings


def test_header_record_has_a_type_and_decisions_do_not(tmp_path: Path) -> None:
    """Readers tell the crawl header from decisions by ``type``."""
    path = tmp_path / "audit.jsonl"
    writer = AuditWriter(path)
    writer.write_header({"time": "t", "settings": {"OPTOUT_PURPOSE": "tdm"}})
    writer.write("https://e.com/a", VERDICT, action="dropped", stage="request")
    writer.close()
    header, decision = (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines())
    assert header == {
        "time": "t",
        "worker": "",
        "type": "crawl",
        "settings": {"OPTOUT_PURPOSE": "tdm"},
    }
    assert next(iter(header)) == "time"  # first, as in decisions: `sort -m` keeps it first
    assert "type" not in decision
