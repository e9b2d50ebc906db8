"""The IETF aipref vocabulary (draft-ietf-aipref-vocab-08): one preference value read into stances.

This module owns what an aipref value means, wherever it is attached: the labels and their
purposes, the legacy labels of earlier drafts, and the split of a robots.txt ``Content-Usage``
value into its path and preference (attach-05). :mod:`~optout_middleware.signals.aipref` owns
where the values come from (the HTTP field, the robots.txt group) and which rule applies to a URL.

Values are RFC 9651 Dictionaries (parsed by :mod:`~optout_middleware.formats.sfv`); a member
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

CC signals (spec 9.2) put ``exceptions=<signal>`` on an ``n``. Parameters are ignored, as the
vocabulary requires, so the category stays disallowed (the safe failure mode); the parameter is
kept in :attr:`UsagePreferences.exceptions` and in the evidence note.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from optout_middleware.errors import ParseError
from optout_middleware.formats.patterns import PathPattern
from optout_middleware.formats.sfv import InnerList, Item, Token, parse_dictionary
from optout_middleware.verdict import Purpose, Stance

if TYPE_CHECKING:
    from optout_middleware.formats.sfv import BareItem, Member
    from optout_middleware.verdict import Stances

__all__ = [
    "LABELS",
    "LEGACY_LABELS",
    "UsagePreferences",
    "UsageRule",
    "join_notes",
    "parse_rule",
    "parse_usage",
    "read_rule",
    "read_usage",
    "stances_for",
]

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


def read_usage(value: str) -> UsagePreferences:
    """:func:`parse_usage`, remembered for values short enough to keep."""
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
    return tuple(found.items()), join_notes(*notes)


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
        return UsageRule(None, None, read_usage(value), 1)
    end = len(value)
    for sep in " \t":
        found = value.find(sep)
        if 0 <= found < end:
            end = found
    path = value[:end]
    pattern = PathPattern(path)
    return UsageRule(path, pattern, read_usage(value[end:].lstrip(" \t")), pattern.length)


_rule_cached = lru_cache(maxsize=1024)(parse_rule)  # compiled once per distinct line


def read_rule(value: str) -> UsageRule:
    """:func:`parse_rule`, remembered for values short enough to keep."""
    return _rule_cached(value) if len(value) <= _CACHE_MAX_CHARS else parse_rule(value)


def join_notes(*parts: str) -> str:
    """The non-empty notes, joined with ``"; "``."""
    return "; ".join(p for p in parts if p)
