"""The OPTOUT_* settings, read and validated once per crawl into a frozen :class:`OptOutConfig`.

A bad value fails the crawl at startup with a ``ValueError`` (:class:`ConfigError`) that names
the setting and the value, instead of surfacing as odd behaviour hours into a crawl.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optout_middleware import agents
from optout_middleware.agents import DEFAULT_AGENT_TOKENS
from optout_middleware.errors import ConfigError
from optout_middleware.evaluate import FAMILIES
from optout_middleware.formats.robotstxt import agent_key
from optout_middleware.inputs import Context
from optout_middleware.verdict import Purpose

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["ACTIONS", "DEFAULTS", "OptOutConfig", "product_token"]

ACTIONS = ("drop", "tag")

# Defaults of every setting, in README order. OPTOUT_USER_AGENT's default is derived (below).
DEFAULTS: dict[str, Any] = {
    "OPTOUT_ENABLED": True,
    "OPTOUT_PURPOSE": Purpose.TRAIN_AI.value,
    "OPTOUT_ACTION": "drop",
    "OPTOUT_USER_AGENT": None,
    "OPTOUT_AI_USER_AGENTS": list(DEFAULT_AGENT_TOKENS),
    "OPTOUT_SIGNAL_FAMILIES": list(FAMILIES),
    "OPTOUT_SIGNALS": [],
    "OPTOUT_EXTRA_ROBOTS_DIRECTIVES": [],
    "OPTOUT_AIPREF_LEGACY_LABELS": True,
    "OPTOUT_WILDCARD_GROUP_SIGNALS": True,
    "OPTOUT_ROBOTSTXT_FAIL_CLOSED": True,
    "OPTOUT_CACHE_SIZE": 10_000,
    "OPTOUT_CACHE_TTL_SECS": 86_400,
    "OPTOUT_UNREACHABLE_RETRY_SECS": 600,
    "OPTOUT_ROBOTSTXT_LAST_GOOD_SECS": 30 * 86_400,
    "OPTOUT_RSL_LICENSES": [],
    "OPTOUT_RSL_UNREADABLE": "reserve",
    "OPTOUT_AUDIT_FILE": None,
    "OPTOUT_ITEM_FIELD": "optout",
    # A cluster (middlewares/redis_cache.py): the shared policy cache is off without a URL.
    "OPTOUT_REDIS_URL": None,
    "OPTOUT_REDIS_REQUIRED": False,
    "OPTOUT_REDIS_KEY_PREFIX": "optout:v1",
    "OPTOUT_REDIS_LEASE_SECS": 30,
    "OPTOUT_REDIS_WAIT_SECS": 60,
    "OPTOUT_REDIS_TIMEOUT_SECS": 2,
    "OPTOUT_WORKER_ID": None,  # hostname:pid
}


def product_token(user_agent: str) -> str:
    """The first product token of a User-Agent string, or ``"*"`` (the ``*`` group then applies)."""
    return agents.product_token(user_agent) or "*"


def _fail(name: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"setting {name}={value!r} is invalid: expected {expected}")


def _bool(settings: BaseSettings, name: str) -> bool:
    try:
        return settings.getbool(name, DEFAULTS[name])
    except ValueError:
        raise _fail(name, settings.get(name), "a boolean (True/False, 1/0)") from None


def _number(settings: BaseSettings, name: str, *, minimum: float, integer: bool) -> float:
    raw = settings.get(name, DEFAULTS[name])
    if isinstance(raw, bool):
        raise _fail(name, raw, "a number")
    try:
        value = int(raw) if integer else float(raw)
    except (TypeError, ValueError):
        raise _fail(name, raw, "an integer" if integer else "a number") from None
    if value < minimum or value != value:  # noqa: PLR0124  (NaN)
        raise _fail(name, raw, f"a number of at least {minimum:g}")
    return value


def _strings(settings: BaseSettings, name: str) -> tuple[str, ...]:
    raw = settings.get(name, DEFAULTS[name])
    if raw is None:
        return ()
    try:
        values = settings.getlist(name, DEFAULTS[name])
    except (TypeError, ValueError):
        raise _fail(name, raw, "a list of strings") from None
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise _fail(name, raw, "a list of non-empty strings")
    return tuple(v.strip() for v in values)


def _ai_agents(settings: BaseSettings) -> tuple[str, ...]:
    """OPTOUT_AI_USER_AGENTS: tokens, and paths ending in ``.json`` to a local copy of
    ai.robots.txt's robots.json, whose training entries are read (``agents.read_robots_json``)."""
    name = "OPTOUT_AI_USER_AGENTS"
    raw = settings.get(name, DEFAULTS[name])
    values = (os.fspath(raw),) if isinstance(raw, os.PathLike) else _strings(settings, name)
    tokens: list[str] = []
    for value in values:
        if not value.lower().endswith(".json"):
            tokens.append(value)
            continue
        try:
            tokens.extend(agents.read_robots_json(value))
        except ConfigError as exc:
            raise ConfigError(f"setting {name}={raw!r} is invalid: {exc}") from None
    return tuple(dict.fromkeys(tokens))


def _text(settings: BaseSettings, name: str) -> str | None:
    raw = settings.get(name, DEFAULTS[name])
    if raw is None or (isinstance(raw, str) and raw.strip()):
        return None if raw is None else str(raw).strip()
    raise _fail(name, raw, "a non-empty string")


@dataclass(frozen=True, slots=True)
class OptOutConfig:
    """Every OPTOUT_* setting, plus the Scrapy settings the middlewares depend on."""

    enabled: bool = True
    purpose: Purpose = Purpose.TRAIN_AI
    action: Literal["drop", "tag"] = "drop"
    user_agent: str = "*"
    ai_user_agents: tuple[str, ...] = DEFAULT_AGENT_TOKENS
    signal_families: tuple[str, ...] = FAMILIES
    signals: tuple[str, ...] = ()
    extra_robots_directives: frozenset[str] = frozenset()
    aipref_legacy_labels: bool = True
    wildcard_group_signals: bool = True
    robotstxt_fail_closed: bool = True
    cache_size: int = 10_000
    cache_ttl_secs: float = 86_400.0
    unreachable_retry_secs: float = 600.0
    robotstxt_last_good_secs: float = 30 * 86_400.0  # 0: never reuse a last good robots.txt
    rsl_licenses: frozenset[str] = frozenset()
    rsl_unreadable: Literal["reserve", "unknown"] = "reserve"
    audit_file: Path | None = None
    item_field: str = "optout"
    robotstxt_obey: bool = False  # ROBOTSTXT_OBEY: also enforce our own agent's robots rules

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> OptOutConfig:
        """Read and validate the settings; raises :class:`ConfigError` (a ``ValueError``)."""
        purpose_raw = settings.get("OPTOUT_PURPOSE", DEFAULTS["OPTOUT_PURPOSE"])
        try:
            purpose = Purpose.parse(str(purpose_raw))
        except ValueError:
            names = ", ".join(p.value for p in Purpose)
            raise _fail("OPTOUT_PURPOSE", purpose_raw, f"one of {names}") from None
        action_raw = settings.get("OPTOUT_ACTION", DEFAULTS["OPTOUT_ACTION"])
        action = str(action_raw).strip().lower()
        if action not in ACTIONS:
            raise _fail("OPTOUT_ACTION", action_raw, '"drop" or "tag"')
        families = _strings(settings, "OPTOUT_SIGNAL_FAMILIES")
        unknown = [f for f in families if f not in FAMILIES]
        if unknown:
            raise _fail(
                "OPTOUT_SIGNAL_FAMILIES",
                settings.get("OPTOUT_SIGNAL_FAMILIES"),
                f"built-in family names among {', '.join(FAMILIES)} (custom parsers from "
                f"OPTOUT_SIGNALS and entry points always run); unknown: {', '.join(unknown)}",
            )
        audit_raw = settings.get("OPTOUT_AUDIT_FILE")
        audit = (  # a pathlib.Path is a path too (Scrapy's FEEDS take them)
            os.fspath(audit_raw)
            if isinstance(audit_raw, os.PathLike)
            else _text(settings, "OPTOUT_AUDIT_FILE")
        )
        unreadable = str(settings.get("OPTOUT_RSL_UNREADABLE", "reserve")).strip().lower()
        if unreadable not in ("reserve", "unknown"):
            raise _fail(
                "OPTOUT_RSL_UNREADABLE",
                settings.get("OPTOUT_RSL_UNREADABLE"),
                '"reserve" or "unknown"',
            )
        item_field = _text(settings, "OPTOUT_ITEM_FIELD")
        if item_field is None:
            raise _fail("OPTOUT_ITEM_FIELD", None, "a non-empty string")
        return cls(
            enabled=_bool(settings, "OPTOUT_ENABLED"),
            purpose=purpose,
            action="tag" if action == "tag" else "drop",
            user_agent=_user_agent(settings),
            ai_user_agents=_ai_agents(settings),
            signal_families=families,
            signals=_strings(settings, "OPTOUT_SIGNALS"),
            extra_robots_directives=frozenset(
                d.lower() for d in _strings(settings, "OPTOUT_EXTRA_ROBOTS_DIRECTIVES")
            ),
            aipref_legacy_labels=_bool(settings, "OPTOUT_AIPREF_LEGACY_LABELS"),
            wildcard_group_signals=_bool(settings, "OPTOUT_WILDCARD_GROUP_SIGNALS"),
            robotstxt_fail_closed=_bool(settings, "OPTOUT_ROBOTSTXT_FAIL_CLOSED"),
            cache_size=int(_number(settings, "OPTOUT_CACHE_SIZE", minimum=1, integer=True)),
            cache_ttl_secs=_number(settings, "OPTOUT_CACHE_TTL_SECS", minimum=1, integer=False),
            unreachable_retry_secs=_number(
                settings, "OPTOUT_UNREACHABLE_RETRY_SECS", minimum=1, integer=False
            ),
            robotstxt_last_good_secs=_number(
                settings, "OPTOUT_ROBOTSTXT_LAST_GOOD_SECS", minimum=0, integer=False
            ),
            rsl_licenses=frozenset(_strings(settings, "OPTOUT_RSL_LICENSES")),
            rsl_unreadable="unknown" if unreadable == "unknown" else "reserve",
            audit_file=Path(audit) if audit is not None else None,
            item_field=item_field,
            robotstxt_obey=settings.getbool("ROBOTSTXT_OBEY"),
        )

    def context(self) -> Context:
        """The parsers' view of this crawl (built once per crawl)."""
        return Context(
            user_agent=self.user_agent,
            ai_agents=self.ai_user_agents,
            extra_robots_directives=self.extra_robots_directives,
            aipref_legacy_labels=self.aipref_legacy_labels,
            wildcard_group_signals=self.wildcard_group_signals,
            robots_unreachable_reserves=self.robotstxt_fail_closed,
            rsl_licenses=self.rsl_licenses,
            rsl_unreadable_reserves=self.rsl_unreadable == "reserve",
        )


def _user_agent(settings: BaseSettings) -> str:
    """OPTOUT_USER_AGENT, else ROBOTSTXT_USER_AGENT, else USER_AGENT's first product token."""
    own = _text(settings, "OPTOUT_USER_AGENT")
    if own is not None:
        # A User-agent value is its first word (issue 12), so a name with a space or a
        # character no group can hold would never read its own group: refuse it.
        if own != "*" and agent_key(own) != own.strip().lower():
            raise _fail(
                "OPTOUT_USER_AGENT",
                own,
                "a robots.txt user-agent token (letters, digits, '.', '-', '_'; no spaces)",
            )
        return own
    robots_ua = settings.get("ROBOTSTXT_USER_AGENT")
    if isinstance(robots_ua, str) and robots_ua.strip():
        return product_token(robots_ua)
    return product_token(str(settings.get("USER_AGENT") or ""))
