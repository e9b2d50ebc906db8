"""The robots.txt signal family: what a site's robots.txt says about AI uses of a URL.

Three kinds of evidence, all from the origin's ``/robots.txt`` (specs.md sections 6 and 7):

1. An unreachable robots.txt (5xx or network error) is a complete disallow (RFC 9309
   section 2.3.1.4), so it reserves every use (``tdm``) unless the context switches that off.
2. A group that names an AI crawler's token (GPTBot, CCBot, Google-Extended, ...) expresses the
   publisher's wish for that operator's purpose: the token's Allow/Disallow verdict for the URL
   becomes evidence for the token's purpose (agents.py; unknown tokens count as ``train-ai``).
   Only groups that name the token count: the ``*`` group is addressed to every crawler and is
   acquisition policy, not an AI opt-out, so its rules never stand in for a missing token group.
3. ``DisallowAITraining`` / ``AllowAITraining`` (draft-canel-robots-ai-control, specs.md 7.1,
   [inferred] reading) in the group selected for the crawler: a rule set of their own, matched
   like Allow/Disallow (longest wins, Allow wins ties, empty value matches nothing); the winner
   allows or disallows ``train-genai``.

The crawler's own Allow/Disallow (may it fetch the URL at all) is acquisition, not usage: the
middleware enforces it separately with :meth:`RobotsTxt.allowed`, and it is not evidence here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from .agents import find_agent
from .inputs import FileState
from .patterns import request_target
from .plugin import SignalParser
from .robotstxt import Record, RuleSet, agent_key, make_rule
from .verdict import Evidence, Purpose, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .inputs import Context, SiteFile, SiteFiles
    from .robotstxt import RobotsTxt

__all__ = ["RobotsSignal"]

FAMILY = "robotstxt"
SOURCE = "robots.txt"
_AI_TRAINING_FIELDS = ("disallowaitraining", "allowaitraining")
_UNREACHABLE_NOTE = (
    "RFC 9309 section 2.3.1.4: an unreachable robots.txt (5xx or network error) means "
    "complete disallow"
)
_AI_TRAINING_NOTE = (
    "draft-canel-robots-ai-control (expired): longest matching DisallowAITraining/"
    "AllowAITraining rule, Allow wins ties"
)


@lru_cache(maxsize=256)
def _training_rules(records: tuple[Record, ...]) -> RuleSet:
    """The AI-training records of one group as a rule set (built once per distinct group)."""
    return RuleSet(make_rule(r.field == "allowaitraining", r.value, r.line) for r in records)


class RobotsSignal(SignalParser):
    """AI opt-outs expressed in robots.txt (module docstring)."""

    family: ClassVar[str] = FAMILY

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """Evidence from the origin's robots.txt for ``url``."""
        robots_file = site.robots
        if robots_file.state is FileState.UNREACHABLE:
            if context.robots_unreachable_reserves:
                return (_unreachable(robots_file),)
            return ()
        robots = robots_file.parsed
        if robots_file.state is not FileState.PARSED or robots is None:
            return ()
        target = request_target(url)
        found = _agent_evidence(robots, target, context, robots_file.url)
        training = _training_evidence(robots, target, context, robots_file.url)
        if training is not None:
            found.append(training)
        return tuple(found)


def _unreachable(robots_file: SiteFile[RobotsTxt]) -> Evidence:
    if robots_file.status is not None:
        why = f"status {robots_file.status}"
    else:
        why = robots_file.error or "network error"
    return Evidence(
        family=FAMILY,
        source=SOURCE,
        value=f"unreachable ({why})",
        stances=disallows(Purpose.TDM),
        url=robots_file.url,
        note=_UNREACHABLE_NOTE,
    )


def _agent_evidence(
    robots: RobotsTxt, target: str, context: Context, robots_url: str
) -> list[Evidence]:
    """One piece of evidence per AI token that a group names explicitly."""
    found: list[Evidence] = []
    seen: set[str] = set()
    for token in context.ai_agents:
        key = agent_key(token)
        if key in seen or key == "*" or not robots.names_agent(token):
            continue
        seen.add(key)
        known = find_agent(token)
        purpose = known.use.purpose if known is not None else Purpose.TRAIN_AI
        rule = robots.match(target, token)
        if rule is None:
            group = robots.group_for(token)
            line = group.line if group is not None else 0
            found.append(
                Evidence(
                    family=FAMILY,
                    source=SOURCE,
                    value=f"User-agent: {token}",
                    stances=allows(purpose),
                    location=f"line {line}",
                    agent=token,
                    url=robots_url,
                    note="a group names this agent and none of its rules matches: allowed",
                )
            )
            continue
        field = "Allow" if rule.allow else "Disallow"
        found.append(
            Evidence(
                family=FAMILY,
                source=SOURCE,
                value=f"{field}: {rule.raw}",
                stances=allows(purpose) if rule.allow else disallows(purpose),
                location=f"line {rule.line}",
                agent=token,
                path=rule.raw,
                url=robots_url,
                note="" if known is not None else "token not in the agent table: read as train-ai",
            )
        )
    return found


def _training_evidence(
    robots: RobotsTxt, target: str, context: Context, robots_url: str
) -> Evidence | None:
    """The winning DisallowAITraining/AllowAITraining record for ``target``, if any."""
    records = robots.extension_records(
        context.user_agent, _AI_TRAINING_FIELDS, wildcard_fallback=context.wildcard_group_signals
    )
    if not records:
        return None
    rule = _training_rules(records).best(target)
    if rule is None:
        return None
    return Evidence(
        family=FAMILY,
        source=SOURCE,
        value=f"{'AllowAITraining' if rule.allow else 'DisallowAITraining'}: {rule.raw}",
        stances=allows(Purpose.TRAIN_GENAI) if rule.allow else disallows(Purpose.TRAIN_GENAI),
        location=f"line {rule.line}",
        agent=_scope(robots, records, context),
        path=rule.raw,
        url=robots_url,
        note=_AI_TRAINING_NOTE,
    )


def _scope(robots: RobotsTxt, records: tuple[Record, ...], context: Context) -> str | None:
    """Which user-agent the records were addressed to: ours, ``*``, or none (before any group)."""
    if records[0] in robots.preamble:
        return None
    group = robots.group_for(context.user_agent)
    if (
        robots.names_agent(context.user_agent)
        and group is not None
        and (records[0] in group.records)
    ):
        return context.user_agent
    return "*"
