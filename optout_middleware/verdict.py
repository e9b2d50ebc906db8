"""The verdict model: purposes, evidence, and the one rule that combines evidence into a verdict.

Every signal parser speaks the same language: an :class:`Evidence` says, for some purposes, that a
use is allowed or disallowed, and records where it came from. :func:`combine` turns the evidence
for one resource into one :class:`Verdict` for the crawl's purpose:

1. inside each signal family, for each purpose, the evidence with the highest ``precedence`` wins
   and a disallow wins ties (TDMRep's "more embedded supersedes" is file 0 < header 1 < meta 2;
   families without an override rule leave every precedence at 0, i.e. most restrictive);
2. across families, any disallow wins, then any allow, else nothing was said (``None``).

Evidence that response-level evidence of its own family may still supersede is ``overridable``
(a ``tdmrep.json`` rule: the page's header or meta wins, TDMRep 1.4). A reservation that rests
only on such evidence is not final before download (:attr:`Verdict.overridable`): drop mode
fetches the page and decides with its own signals instead of dropping the request.

Purposes form the hierarchy of specs.md section 0: ``tdm`` contains ``train-ai`` (which contains
``train-genai``), ``ai-input`` and ``search``. A crawl for purpose P is reserved by a disallow on
P, on anything containing P, or on any use P contains (a crawl that trains any model also trains
generative ones, so ``train-genai=n`` reserves a ``train-ai`` crawl). An allow counts only on P or
on something containing P; an allow of a narrower use says nothing about P.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

__all__ = [
    "Evidence",
    "Purpose",
    "Stance",
    "Verdict",
    "allows",
    "combine",
    "disallows",
    "extend",
]


class Purpose(str, Enum):
    """What a crawl will use content for (specs.md section 0)."""

    TDM = "tdm"
    TRAIN_AI = "train-ai"
    TRAIN_GENAI = "train-genai"
    AI_INPUT = "ai-input"
    SEARCH = "search"

    @classmethod
    def parse(cls, value: str | Purpose) -> Purpose:
        """Return the purpose named by ``value``; a ``ValueError`` lists the valid names."""
        if isinstance(value, Purpose):
            return value
        try:
            return cls(value.strip().lower().replace("_", "-"))
        except ValueError:
            names = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown purpose {value!r}; expected one of: {names}") from None


_PARENT: dict[Purpose, Purpose | None] = {
    Purpose.TDM: None,
    Purpose.TRAIN_AI: Purpose.TDM,
    Purpose.TRAIN_GENAI: Purpose.TRAIN_AI,
    Purpose.AI_INPUT: Purpose.TDM,
    Purpose.SEARCH: Purpose.TDM,
}


def _lineage(purpose: Purpose) -> tuple[Purpose, ...]:
    chain = [purpose]
    while (parent := _PARENT[chain[-1]]) is not None:
        chain.append(parent)
    return tuple(chain)


# Built once: for each purpose, what can allow it and what can reserve it.
_ALLOWED_BY = {p: frozenset(_lineage(p)) for p in Purpose}
_RESERVED_BY = {
    p: frozenset(_lineage(p)) | {q for q in Purpose if p in _lineage(q)} for p in Purpose
}


class Stance(str, Enum):
    """What one piece of evidence says about one purpose; silence is the third state."""

    ALLOWED = "allowed"
    DISALLOWED = "disallowed"


Stances = tuple[tuple[Purpose, Stance], ...]


@lru_cache(maxsize=64)  # one shared tuple per combination: evidence of every origin keeps one
def disallows(*purposes: Purpose) -> Stances:
    """Stances that disallow each of ``purposes``."""
    return tuple((p, Stance.DISALLOWED) for p in purposes)


@lru_cache(maxsize=64)
def allows(*purposes: Purpose) -> Stances:
    """Stances that allow each of ``purposes``."""
    return tuple((p, Stance.ALLOWED) for p in purposes)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One signal found for a resource, kept verbatim so a verdict can be re-derived later.

    ``stances`` may be empty: such evidence is informational (a licence link, an invalid value
    that was ignored, a ``noimageai`` on a page that is not an image) and never decides.
    """

    family: str  # signal family, e.g. "tdmrep", "robots-meta"
    source: str  # "robots.txt", "tdmrep.json", "ai.txt", "header", "meta", "link"
    value: str  # the raw value as found
    stances: Stances = ()
    location: str = ""  # "line 12", "X-Robots-Tag", "<meta name=robots>", "rule 2"
    agent: str | None = None  # user-agent scope; None applies to every agent
    path: str | None = None  # path-pattern scope, as written
    url: str | None = None  # the document it came from, when that is not the response itself
    precedence: int = 0  # within a family a higher precedence supersedes a lower one
    note: str = ""  # how it was read, when that is not obvious (leniency, ignored value)
    # Site-level evidence that response-level evidence of the same family may supersede
    # (TDMRep's tdmrep.json under a page's header or meta; an RSL robots.txt License line under a
    # page's own Link): it cannot settle a verdict alone, so drop mode decides after download.
    overridable: bool = False

    def stance(self, purpose: Purpose) -> Stance | None:
        """What this evidence says about exactly ``purpose`` (no hierarchy applied)."""
        for p, s in self.stances:
            if p is purpose:
                return s
        return None

    # to_dict() built once: site-file evidence is shared by every URL of an origin.
    _dict: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, stable keys: users keep this as proof. A fresh dict every call."""
        built = self.shared_dict()
        copy = built.copy()
        copy["stances"] = built["stances"].copy()
        return copy

    def shared_dict(self) -> dict[str, Any]:
        """:meth:`to_dict`, built once and shared by every caller: read-only."""
        built = self._dict
        if built is None:
            built = {
                "family": self.family,
                "source": self.source,
                "value": self.value,
                "stances": {p.value: s.value for p, s in self.stances},
                "location": self.location,
                "agent": self.agent,
                "path": self.path,
                "url": self.url,
                "precedence": self.precedence,
                "note": self.note,
                "overridable": self.overridable,
            }
            object.__setattr__(self, "_dict", built)
        return built

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """Inverse of :meth:`to_dict`."""
        stances = tuple((Purpose(p), Stance(s)) for p, s in data.get("stances", {}).items())
        return cls(
            family=data["family"],
            source=data["source"],
            value=data["value"],
            stances=stances,
            location=data.get("location", ""),
            agent=data.get("agent"),
            path=data.get("path"),
            url=data.get("url"),
            precedence=data.get("precedence", 0),
            note=data.get("note", ""),
            overridable=bool(data.get("overridable", False)),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one resource and one purpose, with the evidence behind it."""

    purpose: Purpose
    reserved: bool | None  # None: no signal said anything about this purpose
    decided_by: Evidence | None = None
    evidence: tuple[Evidence, ...] = field(default=())
    # combine()'s per-(family, purpose) state, so that more evidence can be added (extend()).
    _fold: _Fold | None = field(default=None, init=False, repr=False, compare=False)
    # shared_dict() built once: a verdict shared by many responses is serialised once.
    _dict: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def overridable(self) -> bool:
        """Whether this reservation could still be lifted by the response's own signals.

        True when the resource is reserved and the evidence that is not ``overridable`` does
        not reserve it by itself: e.g. a ``tdmrep.json`` ``1`` that the page's ``tdm-reservation``
        header or meta may supersede (TDMRep 1.4). False for every other verdict, so a
        reservation that nothing on the page can lift (a robots.txt AI group, ai.txt, an
        unreachable robots.txt) stays final before download.
        """
        if not self.reserved or not any(e.overridable for e in self.evidence):
            return False
        firm = [e for e in self.evidence if not e.overridable]
        return combine(self.purpose, firm).reserved is not True

    @property
    def licences(self) -> tuple[Evidence, ...]:
        """Licence evidence (never a reservation; kept for downstream policy)."""
        return tuple(e for e in self.evidence if e.family == "licence")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: safe for ``response.meta``, disk queues and audit files."""
        return {
            "purpose": self.purpose.value,
            "reserved": self.reserved,
            "decided_by": self.decided_by.to_dict() if self.decided_by else None,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    def shared_dict(self) -> dict[str, Any]:
        """:meth:`to_dict`, built once per verdict and returned to every caller: read-only.

        The middleware puts it in ``response.meta["optout"]``; responses decided by the same
        site-wide evidence share one verdict, hence one dict (and evidence dicts), so the hot
        path builds nothing per page. Copy it (``copy.deepcopy``) before changing it.
        """
        built = self._dict
        if built is None:
            decided = self.decided_by
            built = {
                "purpose": self.purpose.value,
                "reserved": self.reserved,
                "decided_by": decided.shared_dict() if decided is not None else None,
                "evidence": [e.shared_dict() for e in self.evidence],
            }
            object.__setattr__(self, "_dict", built)
        return built

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """Inverse of :meth:`to_dict`."""
        decided = data.get("decided_by")
        return cls(
            purpose=Purpose(data["purpose"]),
            reserved=data["reserved"],
            decided_by=Evidence.from_dict(decided) if decided else None,
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
        )


# For each crawl purpose: what each purpose's stance means for it, (counts as a reservation,
# counts as an allow). Purposes missing from the map cannot change that crawl's verdict.
_WEIGHT: dict[Purpose, dict[Purpose, tuple[bool, bool]]] = {
    crawl: {
        p: (p in _RESERVED_BY[crawl], p in _ALLOWED_BY[crawl])
        for p in Purpose
        if p in _RESERVED_BY[crawl] or p in _ALLOWED_BY[crawl]
    }
    for crawl in Purpose
}


# combine()'s state: (family, purpose) -> (highest precedence seen, first disallowing
# (index, evidence) at it, first allowing at it).
_Slot = tuple[int, "tuple[int, Evidence] | None", "tuple[int, Evidence] | None"]
_Fold = dict[tuple[str, Purpose], _Slot]
# One key object per (family, purpose): a crawl keeps the state of every path class's verdict,
# and a key per entry was one more object for each full collection of the collector to visit.
_FOLD_KEYS: dict[tuple[str, Purpose], tuple[str, Purpose]] = {}
_FOLD_KEYS_MAX = 4096  # families are a handful; a parser inventing names must not grow it


def combine(purpose: Purpose, evidence: tuple[Evidence, ...] | list[Evidence]) -> Verdict:
    """Combine all evidence for one resource into the verdict for ``purpose``.

    One pass, in evidence order: per (family, purpose) only the stances at the highest
    precedence seen so far survive, and for each the first disallowing and the first allowing
    evidence is kept, so ``decided_by`` is the earliest winning evidence.
    """
    evidence = tuple(evidence)
    return _decide(purpose, _fold({}, _WEIGHT[purpose], evidence, 0), evidence)


def extend(verdict: Verdict, more: tuple[Evidence, ...] | list[Evidence]) -> Verdict:
    """``combine(verdict.purpose, verdict.evidence + more)``, without reading the first part
    again: the site-wide verdict is combined once per origin and path class, and each
    response only adds its own evidence. With nothing more, ``verdict`` itself (shared)."""
    if not more:
        return verdict
    evidence = verdict.evidence + tuple(more)
    state = verdict._fold
    if state is None:  # a Verdict built by hand, not by combine()
        return combine(verdict.purpose, evidence)
    weight = _WEIGHT[verdict.purpose]
    start = len(verdict.evidence)
    return _decide(verdict.purpose, _fold(dict(state), weight, evidence, start), evidence)


def _fold(
    best: _Fold,
    weight: dict[Purpose, tuple[bool, bool]],
    evidence: tuple[Evidence, ...],
    start: int,
) -> _Fold:
    """Add ``evidence[start:]`` to ``best`` (entries are replaced, never changed in place)."""
    for index in range(start, len(evidence)):
        ev = evidence[index]
        for p, stance in ev.stances:
            if p not in weight:
                continue
            key = (ev.family, p)
            key = _FOLD_KEYS.get(key) or _interned(key)
            current = best.get(key)
            if current is None or ev.precedence > current[0]:
                current = (ev.precedence, None, None)
            elif ev.precedence < current[0]:
                continue
            if stance is Stance.DISALLOWED:
                if current[1] is None:
                    best[key] = (current[0], (index, ev), current[2])
            elif current[2] is None:
                best[key] = (current[0], current[1], (index, ev))
    return best


def _interned(key: tuple[str, Purpose]) -> tuple[str, Purpose]:
    if len(_FOLD_KEYS) < _FOLD_KEYS_MAX:
        _FOLD_KEYS[key] = key
    return key


def _decide(purpose: Purpose, best: _Fold, evidence: tuple[Evidence, ...]) -> Verdict:
    weight = _WEIGHT[purpose]
    if not best:  # the common case: nothing to weigh
        verdict = Verdict(purpose, None, None, evidence)
    else:
        reserving = [cur[1] for (_, p), cur in best.items() if cur[1] is not None and weight[p][0]]
        allowing = [cur[2] for (_, p), cur in best.items() if cur[2] is not None and weight[p][1]]
        if reserving:
            verdict = Verdict(purpose, True, min(reserving, key=_first)[1], evidence)
        elif allowing:
            verdict = Verdict(purpose, False, min(allowing, key=_first)[1], evidence)
        else:
            verdict = Verdict(purpose, None, None, evidence)
    object.__setattr__(verdict, "_fold", best)
    return verdict


def _first(found: tuple[int, Evidence]) -> int:
    return found[0]
