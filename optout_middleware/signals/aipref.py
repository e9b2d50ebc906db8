"""IETF AI preferences (specs.md section 2): the ``Content-Usage`` header and robots.txt rule.

This module owns the aipref vocabulary (draft-ietf-aipref-vocab-08) and both attachments of
draft-ietf-aipref-attach-05: the HTTP ``Content-Usage`` field and the robots.txt
``Content-Usage`` rule. Values are RFC 9651 Dictionaries (parsed by :mod:`~optout_middleware.formats.sfv`); a member
counts only when it is the Token ``y`` or ``n``, anything else leaves its category unknown, and
a value that is not a Dictionary at all leaves every category unknown.

Labels map to purposes (spec section 0): ``train-ai`` is :attr:`Purpose.TRAIN_GENAI` (vocab-08
limits it to generative models; a ``train-ai=n`` still reserves a ``train-ai`` crawl through the
hierarchy in :mod:`~optout_middleware.verdict`), ``ai-use`` is :attr:`Purpose.AI_INPUT`, ``search`` is
:attr:`Purpose.SEARCH`.

vocab-08 also says an allowed ``search`` overrides the other categories for processing inside
the search application (including training and running models used only there). None of our
purposes is "inside a search application", so the override changes no stance here: a search
crawl reads ``search``, a training crawl reads ``train-ai``. It is left to the crawl operator.

Legacy labels (spec 2.4 [inferred], on by default, ``Context.aipref_legacy_labels``): vocab-08
ignores labels of earlier drafts, but their ``n`` was written as a "no", so it is honoured as a
disallow of the nearest current purpose; their ``y`` never is. See :data:`LEGACY_LABELS`.

robots.txt scope: the rules of the group RFC 9309 selects for ``Context.user_agent``; when that
group has none and ``Context.wildcard_group_signals`` is on (the default), those of the ``*``
group (attach-05 itself has no such inheritance: turn the option off for the strict reading).
Rules before the first ``User-agent`` line belong to no group and attach-05 gives them no
meaning; when no group rule applies they are read as a site-wide default, the policy spec 3.7
recommends for ``Content-Signal``, so a "no" written there is not lost.

CC signals (spec 9.2) put ``exceptions=<signal>`` on an ``n``. Parameters are ignored, as the
vocabulary requires, so the category stays disallowed (the safe failure mode); the parameter is
kept in :attr:`UsagePreferences.exceptions` and in the evidence note.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from optout_middleware.errors import ParseError
from optout_middleware.formats.patterns import PathPattern, request_target
from optout_middleware.formats.sfv import InnerList, Item, Token, parse_dictionary
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, Stance

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

    from optout_middleware.formats.robotstxt import Record, RobotsTxt
    from optout_middleware.formats.sfv import BareItem, Member
    from optout_middleware.inputs import Context, ResponseView, SiteFiles
    from optout_middleware.verdict import Stances

__all__ = [
    "FAMILY",
    "HEADER",
    "LABELS",
    "LEGACY_LABELS",
    "AiprefSignal",
    "UsagePreferences",
    "UsageRule",
    "parse_rule",
    "parse_usage",
    "stances_for",
]

FAMILY = "aipref"
HEADER = "Content-Usage"
ROBOTS_FIELD = "content-usage"  # robots.txt field names are compared lower-cased

# vocab-08 categories (spec 2.2): the one table to edit when the draft moves.
LABELS: dict[str, Purpose] = {
    "train-ai": Purpose.TRAIN_GENAI,
    "ai-use": Purpose.AI_INPUT,
    "search": Purpose.SEARCH,
}

# Labels of earlier drafts (spec 2.4) -> (nearest current purpose, the drafts that defined them).
# Only their "n" is honoured. "Everything" labels map to tdm; "ai" (vocab-01: any AI training)
# to train-ai; the generative-training labels to train-genai; inference/output labels to ai-input.
LEGACY_LABELS: dict[str, tuple[Purpose, str]] = {
    "all": (Purpose.TDM, "vocab-02"),
    "bots": (Purpose.TDM, "vocab-03/-04"),
    "tdm": (Purpose.TDM, "vocab-01"),
    "ai": (Purpose.TRAIN_AI, "vocab-01"),
    "genai": (Purpose.TRAIN_GENAI, "vocab-01"),
    "train-genai": (Purpose.TRAIN_GENAI, "vocab-02/-03"),
    "ai-output": (Purpose.AI_INPUT, "vocab-04"),
    "inference": (Purpose.AI_INPUT, "vocab-01"),
}

# In every draft that had an "everything" label, an explicit value on a narrower label beat it
# (fallback to the parent only when unset). So an "everything" n is spread over the purposes
# whose current label is not explicitly "y", instead of reserving tdm as a whole.
_TDM_PARTS: tuple[tuple[str, Purpose], ...] = (
    ("train-ai", Purpose.TRAIN_AI),
    ("ai-use", Purpose.AI_INPUT),
    ("search", Purpose.SEARCH),
)
_TDM_PART_LABELS = frozenset(label for label, _ in _TDM_PARTS)

_YES, _NO = Token("y"), Token("n")
_EXCEPTIONS = "exceptions"  # CC signals parameter (spec 9.2)


@dataclass(frozen=True, slots=True)
class UsagePreferences:
    """One aipref statement as read: per label, allowed / disallowed / absent (unknown).

    ``values`` holds every member that is the Token ``y`` or ``n``, whatever its label (current,
    legacy or unknown), in dictionary order; ``invalid`` names current labels whose value is
    anything else; ``error`` says why the value is not a Dictionary (then all is unknown).
    """

    raw: str
    values: tuple[tuple[str, Stance], ...] = ()
    invalid: tuple[str, ...] = ()
    exceptions: tuple[tuple[str, str], ...] = ()  # label -> CC signals `exceptions`, as written
    error: str | None = None

    def get(self, label: str) -> Stance | None:
        """The stance for ``label``; ``None`` is unknown."""
        for name, stance in self.values:
            if name == label:
                return stance
        return None

    @property
    def train_ai(self) -> Stance | None:
        """The ``train-ai`` category (vocab-08: generative-model training)."""
        return self.get("train-ai")

    @property
    def ai_use(self) -> Stance | None:
        """The ``ai-use`` category (vocab-08: input to a generative model)."""
        return self.get("ai-use")

    @property
    def search(self) -> Stance | None:
        """The ``search`` category."""
        return self.get("search")


def _render(value: BareItem | InnerList) -> str:
    """A parameter value as text for notes (Token and String alike: it is only shown)."""
    if isinstance(value, InnerList):
        return "(" + " ".join(_render(i.value) for i in value.items) + ")"
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, Token):
        return value.value
    return str(value)


def parse_usage(value: str | bytes) -> UsagePreferences:
    """Read an aipref value (a ``Content-Usage`` field or robots.txt preference); never raises."""
    raw = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        members = parse_dictionary(value)
    except ParseError as exc:
        return UsagePreferences(raw=raw, error=str(exc))
    values: list[tuple[str, Stance]] = []
    invalid: list[str] = []
    exceptions: list[tuple[str, str]] = []
    for label, member in members.items():
        stance = _stance(member)
        if stance is not None:
            values.append((label, stance))
        elif label in LABELS:
            invalid.append(label)
        exception = member.param(_EXCEPTIONS)
        if exception is not None:
            exceptions.append((label, _render(exception)))
    return UsagePreferences(raw, tuple(values), tuple(invalid), tuple(exceptions))


def _stance(member: Member) -> Stance | None:
    if isinstance(member, Item):  # parameters ignored (vocab: unknown parameters MUST be)
        if member.value == _YES:
            return Stance.ALLOWED
        if member.value == _NO:
            return Stance.DISALLOWED
    return None


_CACHE_MAX_CHARS = 2048  # longer values are parsed each time rather than pinned in a cache
_parse_cached = lru_cache(maxsize=512)(parse_usage)  # one site repeats the same few values


def _read(value: str) -> UsagePreferences:
    return _parse_cached(value) if len(value) <= _CACHE_MAX_CHARS else parse_usage(value)


def stances_for(prefs: UsagePreferences, *, legacy: bool) -> tuple[Stances, str]:
    """The purposes' stances of one statement, and a note on how it was read."""
    if prefs.error is not None:
        return (), f"not an RFC 9651 dictionary ({prefs.error}): all categories unknown"
    found: dict[Purpose, Stance] = {}
    notes: list[str] = []
    for label, stance in prefs.values:
        purpose = LABELS.get(label)
        if purpose is not None:
            found[purpose] = stance
    if prefs.train_ai is not None:
        notes.append("train-ai read as generative-model training (vocab-08)")
    notes.extend(f"{label}: value is not the token y or n, unknown" for label in prefs.invalid)
    legacy_seen = [(label, stance) for label, stance in prefs.values if label in LEGACY_LABELS]
    if legacy_seen and not legacy:
        notes.append("legacy labels ignored: " + ", ".join(label for label, _ in legacy_seen))
    elif legacy_seen:
        explicit_yes = {label for label, s in prefs.values if s is Stance.ALLOWED}
        for label, stance in legacy_seen:
            purpose, era = LEGACY_LABELS[label]
            if stance is Stance.ALLOWED:
                notes.append(f"legacy {label}=y ({era}) ignored: a legacy y is never honoured")
                continue
            targets: tuple[Purpose, ...] = (purpose,)
            if purpose is Purpose.TDM and not explicit_yes.isdisjoint(_TDM_PART_LABELS):
                targets = tuple(p for name, p in _TDM_PARTS if name not in explicit_yes)
            for target in targets:
                found[target] = Stance.DISALLOWED  # a legacy n beats a current y on one purpose
            names = ", ".join(t.value for t in targets)
            kept = " (explicit y labels keep their value)" if len(targets) > 1 else ""
            notes.append(f"legacy {label}=n ({era}) read as purpose {names} disallowed{kept}")
    for label, exception in prefs.exceptions:
        notes.append(
            f"{label};exceptions={exception} (CC signals) not applied: the stance stands as written"
        )
    if not found and not notes:
        notes.append("no known category with the token y or n: all categories unknown")
    return tuple(found.items()), _join(*notes)


@dataclass(frozen=True, slots=True)
class UsageRule:
    """A robots.txt ``Content-Usage`` value split per attach-05: optional path, then preference.

    ``rank`` orders rules by specificity: the octet length of the path's normal form; an absent
    path ranks with ``/`` (see :meth:`AiprefSignal.site_evidence`).
    """

    path: str | None
    pattern: PathPattern | None
    preference: UsagePreferences
    rank: int


def parse_rule(value: str) -> UsageRule:
    """Split a robots.txt ``Content-Usage`` value; the path ends at the first SP or HTAB."""
    if not value.startswith("/"):
        return UsageRule(None, None, _read(value), 1)
    end = len(value)
    for sep in " \t":
        found = value.find(sep)
        if 0 <= found < end:
            end = found
    path = value[:end]
    pattern = PathPattern(path)
    return UsageRule(path, pattern, _read(value[end:].lstrip(" \t")), pattern.length)


_rule_cached = lru_cache(maxsize=1024)(parse_rule)  # compiled once per distinct line


_BUILT_LIMIT = 4096  # cached evidence tuples; they hold their files alive, so bounded
_Built = tuple["RobotsTxt", "Context", tuple[Evidence, ...]]
_COMPILED_LIMIT = 64  # (robots.txt, context) pairs; they hold their files alive, so keep small
_Compiled = tuple["RobotsTxt", "Context", "_Rules"]


class AiprefSignal(SignalParser):
    """aipref preferences from the ``Content-Usage`` header and robots.txt rules."""

    family: ClassVar[str] = FAMILY

    def __init__(self) -> None:
        # (id(robots.txt), id(context), its URL, ids of the winning records) -> (robots.txt,
        # context, evidence): the entry keeps alive the objects whose ids key it
        self._built: Memo[tuple[int, int, str, tuple[int, ...]], _Built] = Memo(_BUILT_LIMIT)
        # (id(robots.txt), id(context)) -> (robots.txt, context, its rules, most specific first)
        self._compiled: Memo[tuple[int, int], _Compiled] = Memo(_COMPILED_LIMIT)

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """One statement per response: every header line joined with ", " (RFC 9651 4.2).

        Each line is trimmed of SP/HTAB first (RFC 9110: field values exclude them), and empty
        lines are dropped: they add no member, and joining them would make a trailing comma.
        """
        lines = response.header(HEADER)
        if not lines:
            return ()
        value = ", ".join(t for line in lines if (t := line.strip(" \t")))
        prefs = _read(value)
        stances, note = stances_for(prefs, legacy=context.aipref_legacy_labels)
        if len(lines) > 1:
            note = _join(f"{len(lines)} header lines combined into one field", note)
        return (
            Evidence(
                family=FAMILY,
                source="header",
                value=value,
                stances=stances,
                location=HEADER,
                note=note,
            ),
        )

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """The robots.txt ``Content-Usage`` rule(s) that apply to ``url`` for our crawler.

        Preferences attach only to crawlable resources, so a URL robots.txt disallows gets
        none. Among the rules of the selected group, the longest matching path wins; rules of
        equal length all apply and combine most restrictively (attach-05: identical paths,
        vocab section 5.1). A rule without a path matches everything with length 0, but it
        combines with a competing ``/`` rule instead of losing to it (spec 2.7 [inferred]): so
        it ranks as ``/`` does.
        """
        robots = site.robots
        parsed = robots.parsed
        winners = self._winners(site, url, context)
        if not winners or parsed is None:
            return ()
        # The evidence depends on the winning rules, not on the URL: built once per file.
        key = (id(parsed), id(context), robots.url, tuple(id(r) for r, _ in winners))
        cached = self._built.get(key)
        if cached is not None:
            return cached[2]
        # Every applicable record comes from one place (a group or the preamble): any tells it.
        scope, how = _scope(parsed, context.user_agent, winners[0][0])
        tie = ""
        if len(winners) > 1:
            lines = ", ".join(str(r.line) for r, _ in winners)
            tie = f"equally specific rules on lines {lines} combine most restrictively"
            paths = {rule.path for _, rule in winners}
            if None in paths and len(paths) > 1:
                tie += " (a rule without a path ranks with '/', spec 2.7)"
        found = []
        for record, rule in winners:
            stances, note = stances_for(rule.preference, legacy=context.aipref_legacy_labels)
            found.append(
                Evidence(
                    family=FAMILY,
                    source="robots.txt",
                    value=record.value,
                    stances=stances,
                    location=f"line {record.line}",
                    agent=scope,
                    path=rule.path,
                    url=robots.url,
                    note=_join(how, tie, note),
                )
            )
        evidence = tuple(found)
        return self._built.put(key, (parsed, context, evidence))[2]

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """The lines of the winning ``Content-Usage`` rules (none for an uncrawlable URL)."""
        return tuple(record.line for record, _ in self._winners(site, url, context))

    def _winners(
        self, site: SiteFiles, url: str, context: Context
    ) -> list[tuple[Record, UsageRule]]:
        """The ``Content-Usage`` records that apply to ``url``: the longest matching path wins,
        equally long ones all apply (:meth:`site_evidence`); none for an uncrawlable URL."""
        parsed = site.robots.parsed
        records = site.robots_records(ROBOTS_FIELD, context)
        if not records or parsed is None or not parsed.allowed(url, context.user_agent):
            return []
        return self._rules(parsed, context, records).winners(request_target(url))

    def _rules(self, parsed: RobotsTxt, context: Context, records: tuple[Record, ...]) -> _Rules:
        """The group's rules parsed and indexed once per file and context (review F5: parsing
        them again for every URL made each URL cost as much as the whole file)."""
        key = (id(parsed), id(context))
        entry = self._compiled.get(key)
        if entry is not None and entry[0] is parsed and entry[1] is context:
            return entry[2]
        return self._compiled.put(key, (parsed, context, _Rules(records)))[2]


class _Rules:
    """One group's ``Content-Usage`` rules, indexed by the literal start of their path.

    A pattern can only match a target that starts with its text up to the first ``*`` or
    ``$``, so a URL looks up each of its own prefixes of a length some pattern starts with:
    the work per URL follows the URL's length and the rules that could match it, not the
    number of lines in the file.
    """

    __slots__ = ("_by_prefix", "_lengths", "_pathless")

    def __init__(self, records: tuple[Record, ...]) -> None:
        self._pathless: list[tuple[Record, UsageRule]] = []
        self._by_prefix: dict[str, list[tuple[Record, UsageRule]]] = {}
        for record in records:
            value = record.value
            rule = _rule_cached(value) if len(value) <= _CACHE_MAX_CHARS else parse_rule(value)
            if rule.pattern is None:
                self._pathless.append((record, rule))
            else:
                self._by_prefix.setdefault(rule.pattern.literal_prefix, []).append((record, rule))
        self._lengths = sorted({len(p) for p in self._by_prefix})

    def winners(self, target: str) -> list[tuple[Record, UsageRule]]:
        """The matching rules of the highest rank, in file order (all of them combine)."""
        best = -1
        found: list[tuple[Record, UsageRule]] = []
        candidates = [self._pathless]
        for length in self._lengths:
            if length > len(target):
                break
            rules = self._by_prefix.get(target[:length])
            if rules is not None:
                candidates.append(rules)
        for rules in candidates:
            for record, rule in rules:
                if rule.rank < best or (
                    rule.pattern is not None and not rule.pattern.matches(target)
                ):
                    continue
                if rule.rank > best:
                    best, found = rule.rank, []
                found.append((record, rule))
        found.sort(key=lambda pair: pair[0].line)
        return found


def _scope(parsed: RobotsTxt, agent: str, first: Record) -> tuple[str | None, str]:
    """Which group the records came from: (agent scope, note on how it was chosen)."""
    group = parsed.group_for(agent)
    if group is not None and any(r is first for r in group.records):
        return (agent if parsed.names_agent(agent) else "*"), ""
    if any(r is first for r in parsed.preamble):
        return None, "before the first User-agent line: read as a site-wide default"
    return "*", "from the '*' group: our group has no Content-Usage (wildcard_group_signals)"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
