"""The AI crawler token table and ai.robots.txt's robots.json as a source of training tokens."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from optout_middleware.agents import (
    AI_AGENTS,
    DEFAULT_AGENT_TOKENS,
    NOT_COUNTED,
    AgentUse,
    read_robots_json,
    training_tokens,
)
from optout_middleware.errors import ConfigError, ParseError
from optout_middleware.formats.robotsjson import CrawlerEntry, parse_robots_json
from optout_middleware.inputs import Context
from optout_middleware.middlewares.config import OptOutConfig
from optout_middleware.testing import make_site, verdict_for

SAMPLE = Path(__file__).parent / "data" / "agents" / "robots.json"
AGENTS_SOURCE = Path(__file__).resolve().parents[1] / "optout_middleware" / "agents.py"


# --- the table ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "AI2Bot",
        "Ai2Bot-Dolma",
        "PanguBot",
        "Cotoyogi",
        "ICC-Crawler",
        "laion-huggingface-processor",
        "Webzio-Extended",
        "Factset_spyderbot",
    ],
)
def test_documented_training_crawlers_are_counted_by_default(token: str) -> None:
    """Issue 12: crawlers whose operators document training use count, so their group in a
    robots.txt reserves a train-ai crawl."""
    assert token in DEFAULT_AGENT_TOKENS
    site = make_site(robots=f"User-agent: {token}\nDisallow: /\n")
    verdict = verdict_for(url="https://example.com/a", site=site)
    assert verdict.reserved is True
    assert verdict.decided_by is not None
    assert verdict.decided_by.agent == token


def test_every_training_token_names_the_source_of_that_fact() -> None:
    """Each training entry of the table carries a comment with its source (on its line, or the
    comment lines just above it)."""
    lines = AGENTS_SOURCE.read_text().splitlines()
    missing, seen = [], 0
    for i, line in enumerate(lines):
        match = re.match(r'\s*AgentToken\("([^"]+)", "[^"]*", _T\)', line)
        if match is None:
            continue
        seen += 1
        above = lines[i - 1].strip() if i else ""
        if "#" not in line and not above.startswith("#"):
            missing.append(match.group(1))
    assert missing == []
    assert seen == sum(a.use is AgentUse.TRAINING for a in AI_AGENTS)  # every entry was seen


def test_tokens_with_a_non_ai_history_stay_out_with_a_reason() -> None:
    """ExaBot blocks in old files are about a 2010 search engine: not counted, and the table
    says why; a robots.txt group for it reserves nothing."""
    assert "ExaBot" not in DEFAULT_AGENT_TOKENS
    assert "search engine" in NOT_COUNTED["ExaBot"]
    assert all(reason for reason in NOT_COUNTED.values())
    assert not {n.lower() for n in NOT_COUNTED} & {t.lower() for t in DEFAULT_AGENT_TOKENS}
    site = make_site(robots="User-agent: ExaBot\nDisallow: /\n")
    assert verdict_for(url="https://example.com/a", site=site).reserved is None


# --- robots.json ----------------------------------------------------------------------------


def test_robots_json_training_entries_are_read() -> None:
    """Training entries: the table's reading for known names, 'train' in the text for others;
    assistants, search crawlers and NOT_COUNTED names are left out."""
    assert read_robots_json(SAMPLE) == ("AI2Bot", "NewTrainerBot")


def test_robots_json_table_reading_wins_over_the_text() -> None:
    """A name the table knows is counted as the table says, whatever the entry's wording."""
    entries = [CrawlerEntry("ChatGPT-User", description="used to train models")]
    assert training_tokens(entries) == ()
    assert training_tokens([CrawlerEntry("GPTBot", function="AI Agents")]) == ("GPTBot",)


def test_robots_json_case_variants_count_once() -> None:
    """Case-only duplicates (Webzio-Extended / webzio-extended) are one token."""
    entries = [CrawlerEntry("Webzio-Extended"), CrawlerEntry("webzio-extended")]
    assert training_tokens(entries) == ("Webzio-Extended",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"A": "x"}', "entry 'A': expected an object"),
        (b'{"A": {"function": 3}}', "field 'function' is a int"),
        (b'{" ": {}}', "empty user-agent name"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_robots_json_bad_file_is_a_parse_error(body: bytes, message: str) -> None:
    """Hostile or wrong input: a typed error that says what is wrong, never a traceback."""
    with pytest.raises(ParseError, match=message):
        parse_robots_json(body)


def test_robots_json_unreadable_or_useless_file_is_a_config_error(tmp_path: Path) -> None:
    """read_robots_json names the file: missing, not a robots.json, or no training crawler."""
    with pytest.raises(ConfigError, match="cannot read"):
        read_robots_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match=r"is not an ai\.robots\.txt robots\.json"):
        read_robots_json(bad)
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"SearchOnly": {"function": "AI Search Crawlers"}}))
    with pytest.raises(ConfigError, match="names no training crawler"):
        read_robots_json(empty)


def config(**values: Any) -> OptOutConfig:
    return OptOutConfig.from_settings(Settings(values))


def test_setting_may_name_a_robots_json(tmp_path: Path) -> None:
    """OPTOUT_AI_USER_AGENTS: an item ending in .json is a local robots.json (a path, a string,
    or an item of a list with plain tokens)."""
    assert config(OPTOUT_AI_USER_AGENTS=str(SAMPLE)).ai_user_agents == ("AI2Bot", "NewTrainerBot")
    assert config(OPTOUT_AI_USER_AGENTS=SAMPLE).ai_user_agents == ("AI2Bot", "NewTrainerBot")
    mixed = config(OPTOUT_AI_USER_AGENTS=["OurAIBot", str(SAMPLE), "AI2Bot"]).ai_user_agents
    assert mixed == ("OurAIBot", "AI2Bot", "NewTrainerBot")
    context = Context(ai_agents=mixed)
    site = make_site(robots="User-agent: NewTrainerBot\nDisallow: /\n")
    assert verdict_for(url="https://example.com/a", site=site, context=context).reserved


def test_setting_with_a_bad_robots_json_names_setting_and_file(tmp_path: Path) -> None:
    """A clear ConfigError at startup: the setting, its value, the file and what is wrong."""
    bad = tmp_path / "robots.json"
    bad.write_text("{")
    with pytest.raises(ConfigError) as caught:
        config(OPTOUT_AI_USER_AGENTS=str(bad))
    message = str(caught.value)
    assert "OPTOUT_AI_USER_AGENTS" in message
    assert str(bad) in message
    assert "not JSON" in message


def test_cli_agents_may_name_a_robots_json(tmp_path: Path) -> None:
    """optout check --agents PATH.json reads the training entries; a bad file is a usage error
    (exit 2) with one line saying why."""
    bad = tmp_path / "robots.json"
    bad.write_text("[]")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "optout_middleware",
            "check",
            "http://127.0.0.1:9/",
            "--agents",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "is not an ai.robots.txt robots.json" in proc.stderr
    assert "Traceback" not in proc.stderr
