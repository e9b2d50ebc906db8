"""The robots.txt signal family: what a site's robots.txt says about AI uses of a URL.

Three kinds of evidence, all from the origin's ``/robots.txt`` (specs.md sections 6 and 7):

1. An unreachable robots.txt (5xx or network error) is a complete disallow (RFC 9309
   section 2.3.1.4), so it reserves every use (``tdm``) unless the context switches that off.
   When the site-policy layer put the last good copy in its place (``SiteFile.last_good_at``),
   that copy is read instead, with a piece of evidence (no stance) saying so.
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

from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from optout_middleware.agents import find_agent
from optout_middleware.formats.pathindex import ROBOTS_TXT, URL_INDEPENDENT, PathTests
from optout_middleware.formats.patterns import request_target
from optout_middleware.formats.robotsrules import Rule, RuleSet, make_rule
from optout_middleware.formats.robotstxt import Record, crawler_key
from optout_middleware.inputs import FileState
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, allows, disallows

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.formats.robotstxt import RobotsTxt
    from optout_middleware.inputs import Context, SiteFile, SiteFiles

__all__ = ["RobotsSignal"]

FAMILY = "robotstxt"
SOURCE = "robots.txt"
_AI_TRAINING_FIELDS = ("disallowaitraining", "allowaitraining")
_UNREACHABLE_NOTE = (
    "RFC 9309 section 2.3.1.4: an unreachable robots.txt (5xx or network error) means "
    "complete disallow"
)
_LAST_GOOD_NOTE = (
    "RFC 9309 section 2.4: robots.txt is unreachable, so the last copy read successfully is "
    "used in its place (at most OPTOUT_ROBOTSTXT_LAST_GOOD_SECS old)"
)
# specs.md section 0: a Disallow for an AI token refuses that operator's use; an Allow maps to
# nothing ("acquisition, not usage"), so it is recorded without a stance (review F6).
_CRAWL_PERMISSION = (
    "crawl permission for this token, not a permission to use (specs.md 0): no stance"
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

    def __init__(self) -> None:
        # (id(robots), id(context)) -> the per-file work done once; checked by identity on use.
        self._plans: Memo[tuple[int, int], _Plan] = Memo(_PLAN_LIMIT)
        self._last_reused: tuple[SiteFile[RobotsTxt], Evidence] | None = None

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
        plan = self._plan(robots, context, robots_file.url)
        target = request_target(url)
        found = plan.agent_evidence(target) if plan.groups else []
        if plan.training is not None:
            training = plan.training.evidence(target)
            if training is not None:
                found.append(training)
        if robots_file.last_good_at is not None:  # unreachable now: the last good copy speaks
            found.insert(0, self._reused(robots_file))
        return tuple(found)

    def _reused(self, robots_file: SiteFile[RobotsTxt]) -> Evidence:
        """Evidence (no stance) that robots.txt is unreachable and its last good copy is used;
        built once per reused file."""
        last = self._last_reused
        if last is not None and last[0] is robots_file:
            return last[1]
        read_at = robots_file.last_good_at or 0.0
        age = max(0.0, (robots_file.fetched_at or read_at) - read_at)
        stamp = datetime.fromtimestamp(read_at, timezone.utc).isoformat(timespec="seconds")
        evidence = Evidence(
            family=FAMILY,
            source=SOURCE,
            value=robots_file.error or "unreachable; the last good copy is used",
            url=robots_file.url,
            note=f"{_LAST_GOOD_NOTE}; copy read {stamp} ({age / 3600:.1f} h before this attempt)",
        )
        self._last_reused = (robots_file, evidence)
        return evidence

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """The line of the deciding rule of each named group and of the AI-training rules."""
        robots_file = site.robots
        robots = robots_file.parsed
        if robots_file.state is not FileState.PARSED or robots is None:
            return robots_file.state  # the evidence depends on the file alone
        plan = self._plan(robots, context, robots_file.url)
        target = request_target(url)
        lines = tuple(r.line if r is not None else 0 for r in plan.winners(target))
        training = plan.training.rules.best(target) if plan.training is not None else None
        return lines, training.line if training is not None else 0

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests:
        """Every pattern the evidence consults: the named groups' rules, the AI-training rules
        and the /robots.txt exemption (formats.pathindex: the evaluator's one walk per URL)."""
        robots_file = site.robots
        robots = robots_file.parsed
        if robots_file.state is not FileState.PARSED or robots is None:
            return URL_INDEPENDENT
        plan = self._plan(robots, context, robots_file.url)
        patterns = list(ROBOTS_TXT)
        for rules in plan.groups:
            if isinstance(rules, Rule):
                patterns.append(rules.pattern)
            elif rules is not None:
                patterns.extend(rule.pattern for rule in rules.rules)
        if plan.training is not None:
            patterns.extend(rule.pattern for rule in plan.training.rules.rules)
        return PathTests(tuple(patterns))

    def _plan(self, robots: RobotsTxt, context: Context, robots_url: str) -> _Plan:
        key = (id(robots), id(context))
        plan = self._plans.get(key)
        if (
            plan is None
            or plan.robots is not robots
            or plan.context is not context
            or plan.url != robots_url
        ):
            plan = self._plans.put(key, _Plan(robots, context, robots_url))
        return plan


_PLAN_LIMIT = 1024  # (robots.txt, context) pairs remembered; holds the files alive, so bounded


class _AgentPlan:
    """One named AI token: its purpose, its group's index in the plan, its evidence by rule."""

    __slots__ = ("_evidence", "group", "how", "known", "line", "purpose", "token", "url")

    def __init__(self, token: str, group: int, line: int, url: str) -> None:
        known = find_agent(token)
        self.token = token
        self.known = known is not None
        name = group_name(token)
        self.how = "" if name == token else f"group found under {name!r}, the token's first word"
        self.purpose = known.use.purpose if known is not None else Purpose.TRAIN_AI
        self.group = group
        self.line = line
        self.url = url
        # id(rule) (the plan's rule sets keep the rules alive; id(None) for "none matches")
        self._evidence: dict[int, Evidence] = {}

    def evidence(self, rule: Rule | None) -> Evidence:
        """The (frozen, shared) evidence for the deciding rule, built on first use."""
        found = self._evidence.get(id(rule))
        if found is None:
            found = self._evidence[id(rule)] = self._build(rule)
        return found

    def _build(self, rule: Rule | None) -> Evidence:
        if rule is None:
            return Evidence(
                family=FAMILY,
                source=SOURCE,
                value=f"User-agent: {self.token}",
                stances=(),
                location=f"line {self.line}",
                agent=self.token,
                url=self.url,
                note=_notes(
                    "a group names this agent and none of its rules matches: " + _CRAWL_PERMISSION,
                    self.how,
                ),
            )
        field = "Allow" if rule.allow else "Disallow"
        return Evidence(
            family=FAMILY,
            source=SOURCE,
            value=f"{field}: {rule.raw}",
            stances=() if rule.allow else disallows(self.purpose),
            location=f"line {rule.line}",
            agent=self.token,
            path=rule.raw,
            url=self.url,
            note=_notes(
                _CRAWL_PERMISSION if rule.allow else "",
                "" if self.known else "token not in the agent table: read as train-ai",
                self.how,
            ),
        )


def _notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


class _TrainingPlan:
    """The AI-training rule set for our crawler, and its evidence by rule."""

    __slots__ = ("_evidence", "agent", "rules", "url")

    def __init__(self, rules: RuleSet, agent: str | None, url: str) -> None:
        self.rules = rules
        self.agent = agent
        self.url = url
        self._evidence: dict[int, Evidence] = {}

    def evidence(self, target: str) -> Evidence | None:
        rule = self.rules.best(target)
        if rule is None:
            return None
        found = self._evidence.get(id(rule))
        if found is None:
            found = self._evidence[id(rule)] = Evidence(
                family=FAMILY,
                source=SOURCE,
                value=f"{'AllowAITraining' if rule.allow else 'DisallowAITraining'}: {rule.raw}",
                stances=allows(Purpose.TRAIN_GENAI)
                if rule.allow
                else disallows(Purpose.TRAIN_GENAI),
                location=f"line {rule.line}",
                agent=self.agent,
                path=rule.raw,
                url=self.url,
                note=_AI_TRAINING_NOTE,
            )
        return found


class _Plan:
    """What one robots.txt says for one context, worked out once: the AI tokens it names (in
    context order, one per agent key), the distinct groups they select, the training rules."""

    __slots__ = ("agents", "context", "groups", "robots", "training", "url")

    def __init__(self, robots: RobotsTxt, context: Context, robots_url: str) -> None:
        self.robots = robots
        self.context = context
        self.url = robots_url
        agents: list[_AgentPlan] = []
        groups: list[RuleSet | Rule | None] = []  # a rule set; the lone rule "Disallow: /"; None
        by_group: dict[int, int] = {}
        seen: set[str] = set()
        for token in context.ai_agents:
            name = group_name(token)
            key = crawler_key(name)
            if key in seen or key == "*" or not robots.names_agent(name):
                continue
            seen.add(key)
            group = robots.group_for(name)
            if group is None:  # cannot happen for a named agent; keeps the old reading
                index = len(groups)
                groups.append(RuleSet(()))
                agents.append(_AgentPlan(token, index, 0, robots_url))
                continue
            index = by_group.get(id(group), -1)
            if index < 0:
                index = by_group[id(group)] = len(groups)
                groups.append(_group_rules(group.rules))
            agents.append(_AgentPlan(token, index, group.line, robots_url))
        self.agents = tuple(agents)
        self.groups = tuple(groups)
        self.training = _training_plan(robots, context, robots_url)

    def agent_evidence(self, target: str) -> list[Evidence]:
        """One piece of evidence per AI token that a group names explicitly."""
        rules = self.winners(target)
        return [agent.evidence(rules[agent.group]) for agent in self.agents]

    def winners(self, target: str) -> list[Rule | None]:
        """The deciding rule of each distinct group for ``target`` (None: no rule matches)."""
        # RobotsTxt.match normalises its argument again; do the same, once per URL.
        inner = request_target(target)
        if inner == "/robots.txt" or inner.startswith("/robots.txt?"):
            return [None] * len(self.groups)  # RFC 9309 2.2.2: allowed
        rules: list[Rule | None] = []
        for rule_set in self.groups:
            if rule_set is None:
                rules.append(None)
            elif isinstance(rule_set, Rule):  # "Disallow: /" alone matches any path
                rules.append(rule_set if inner[:1] == "/" else None)
            else:
                rules.append(rule_set.best(inner))
        return rules


def group_name(token: str) -> str:
    """The name a group for ``token`` is found under: its first word. A ``User-agent`` value is
    read up to its first space (Google), so the group a publisher writes for a documented name
    with a space (``User-agent: ChatGPT Agent``) addresses ``ChatGPT``; looking the token up
    whole would never find it."""
    words = token.split()
    return words[0] if len(words) > 1 else token


def _group_rules(rules: tuple[Rule, ...]) -> RuleSet | Rule | None:
    """A group's rules ready for matching: None when it has none, the rule itself when its only
    rule is ``Disallow: /`` (it decides every path), else a rule set."""
    if not rules:
        return None
    if len(rules) == 1 and not rules[0].allow and rules[0].pattern.text == "/":
        return rules[0]
    return RuleSet(rules)


def _training_plan(robots: RobotsTxt, context: Context, robots_url: str) -> _TrainingPlan | None:
    """The DisallowAITraining/AllowAITraining records that apply to our crawler, if any."""
    records = robots.extension_records(
        context.user_agent, _AI_TRAINING_FIELDS, wildcard_fallback=context.wildcard_group_signals
    )
    if not records:
        return None
    return _TrainingPlan(_training_rules(records), _scope(robots, records, context), robots_url)


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
