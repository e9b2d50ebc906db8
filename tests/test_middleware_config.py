"""OptOutConfig.from_settings: defaults, derivations, and a named ValueError for each bad value."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.settings import Settings

from optout_middleware.agents import DEFAULT_AGENT_TOKENS
from optout_middleware.evaluate import FAMILIES
from optout_middleware.middlewares.config import OptOutConfig, product_token
from optout_middleware.verdict import Purpose


def config(**values: Any) -> OptOutConfig:
    return OptOutConfig.from_settings(Settings(values))


def test_defaults_match_documented_values() -> None:
    """README settings table: every default as documented."""
    c = config()
    assert c.enabled is True
    assert c.purpose is Purpose.TRAIN_AI
    assert c.action == "drop"
    assert c.ai_user_agents == DEFAULT_AGENT_TOKENS
    assert c.signal_families == FAMILIES
    assert c.signals == ()
    assert c.extra_robots_directives == frozenset()
    assert c.aipref_legacy_labels is True
    assert c.wildcard_group_signals is True
    assert c.robotstxt_fail_closed is True
    assert c.cache_size == 10_000
    assert c.cache_ttl_secs == 86_400
    assert c.unreachable_retry_secs == 600
    assert c.audit_file is None
    assert c.item_field == "optout"
    assert c.robotstxt_obey is False


def test_user_agent_defaults_to_first_product_token_of_user_agent() -> None:
    """OPTOUT_USER_AGENT default: USER_AGENT's first product token (Scrapy's is "Scrapy")."""
    assert config().user_agent == "Scrapy"
    assert config(USER_AGENT="MyBot/2.1 (+https://example.com/bot)").user_agent == "MyBot"


def test_user_agent_prefers_robotstxt_user_agent() -> None:
    """ROBOTSTXT_USER_AGENT (Scrapy's robots.txt agent) comes before USER_AGENT."""
    assert config(ROBOTSTXT_USER_AGENT="Research-Bot", USER_AGENT="Other/1").user_agent == (
        "Research-Bot"
    )


def test_user_agent_setting_wins() -> None:
    """An explicit OPTOUT_USER_AGENT is used as given."""
    assert config(OPTOUT_USER_AGENT="OurBot", ROBOTSTXT_USER_AGENT="X").user_agent == "OurBot"


@pytest.mark.parametrize(
    ("ua", "token"),
    [
        ("", "*"),
        ("  Foo_Bar-baz/1", "Foo_Bar-baz"),
        ("1Bot", "1Bot"),
        ("Bot2000", "Bot2000"),
        ("AI2Bot/1.0 (+https://example.org/bot)", "AI2Bot"),
        ("img2dataset/1.4", "img2dataset"),
        ("bigsur.ai (compatible)", "bigsur.ai"),
        ("(compatible; x)", "*"),
    ],
)
def test_product_token_keeps_every_character_a_robots_group_matches(ua: str, token: str) -> None:
    """Review F4, specs.md 6.5: the crawler's token is the User-Agent's leading product name
    with the digits and dots robots.txt groups are matched with (``AI2Bot``, not ``AI``); a
    User-Agent with no name gives "*"."""
    assert product_token(ua) == token


def test_string_lists_accept_comma_separated_values() -> None:
    """Like Scrapy's getlist: "a,b" from the command line (-s) is a list."""
    c = config(OPTOUT_AI_USER_AGENTS="GPTBot, CCBot", OPTOUT_SIGNAL_FAMILIES="tdmrep,aitxt")
    assert c.ai_user_agents == ("GPTBot", "CCBot")
    assert c.signal_families == ("tdmrep", "aitxt")


def test_values_from_command_line_strings_are_parsed() -> None:
    """-s OPTOUT_CACHE_SIZE=5 arrives as a string."""
    c = config(
        OPTOUT_CACHE_SIZE="5",
        OPTOUT_CACHE_TTL_SECS="60.5",
        OPTOUT_ENABLED="False",
        OPTOUT_PURPOSE="TRAIN_GENAI",
        OPTOUT_ACTION="Tag",
    )
    assert (c.cache_size, c.cache_ttl_secs, c.enabled) == (5, 60.5, False)
    assert c.purpose is Purpose.TRAIN_GENAI
    assert c.action == "tag"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OPTOUT_PURPOSE", "training"),
        ("OPTOUT_ACTION", "delete"),
        ("OPTOUT_ENABLED", "maybe"),
        ("OPTOUT_CACHE_SIZE", 0),
        ("OPTOUT_CACHE_SIZE", "many"),
        ("OPTOUT_CACHE_SIZE", True),
        ("OPTOUT_CACHE_TTL_SECS", -1),
        ("OPTOUT_CACHE_TTL_SECS", "nan"),
        ("OPTOUT_SIGNAL_FAMILIES", ["robots"]),
        ("OPTOUT_AI_USER_AGENTS", ["GPTBot", ""]),
        ("OPTOUT_USER_AGENT", "My Bot/1.0"),
        ("OPTOUT_ITEM_FIELD", ""),
        ("OPTOUT_AUDIT_FILE", 42),
        ("OPTOUT_ROBOTSTXT_FAIL_CLOSED", "sometimes"),
    ],
)
def test_bad_value_raises_value_error_naming_setting_and_value(name: str, value: object) -> None:
    """style.md: a bad value raises ValueError at startup naming setting and value."""
    with pytest.raises(ValueError, match=name) as info:
        config(**{name: value})
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_context_carries_the_readings() -> None:
    """One Context per crawl, built from the settings."""
    c = config(
        OPTOUT_USER_AGENT="OurBot",
        OPTOUT_AI_USER_AGENTS=["GPTBot"],
        OPTOUT_EXTRA_ROBOTS_DIRECTIVES=["NoIndex"],
        OPTOUT_AIPREF_LEGACY_LABELS=False,
        OPTOUT_WILDCARD_GROUP_SIGNALS=False,
        OPTOUT_ROBOTSTXT_FAIL_CLOSED=False,
    )
    ctx = c.context()
    assert ctx.user_agent == "OurBot"
    assert ctx.ai_agents == ("GPTBot",)
    assert ctx.extra_robots_directives == frozenset({"noindex"})
    assert ctx.aipref_legacy_labels is False
    assert ctx.wildcard_group_signals is False
    assert ctx.robots_unreachable_reserves is False
