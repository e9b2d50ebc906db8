"""What the licences of an RSL ``<content>`` say for each purpose (``../shared/rsl.md`` 4-5).

The reading rules listed in :mod:`optout_middleware.signals.rsl`, as code: which ``<content>``
governs a URL, the token coverage tables, the outcome of each licence and of a content for one
purpose, and the evidence that states them. No discovery, no fetching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from optout_middleware.formats.patterns import PathPattern, request_target
from optout_middleware.memo import Memo
from optout_middleware.verdict import Evidence, Purpose, Stance

if TYPE_CHECKING:
    from optout_middleware.formats.rsl import RslContent, RslDocument, RslLicense

__all__ = [
    "AI_PURPOSES",
    "ALLOWED",
    "ATTRIBUTION",
    "FAMILY",
    "LICENCE_REQUIRED",
    "NOT_PERMITTED",
    "PAGE",
    "PROHIBITED",
    "RSL_MEDIA_TYPE",
    "SITE",
    "UNLICENSED",
    "content_evidence",
    "matching_contents",
]

FAMILY = "rsl"
RSL_MEDIA_TYPE = "application/rsl+xml"
SITE, PAGE = 0, 1  # precedence of robots.txt License: lines and of page-level associations

AI_PURPOSES = (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT)
_ORDER = (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT, Purpose.SEARCH, Purpose.TDM)
# Tokens whose prohibition covers a purpose (1.0 and legacy), and whose permission grants it.
_PROHIBITED_BY: dict[Purpose, frozenset[str]] = {
    Purpose.TDM: frozenset({"all", "tdm"}),
    Purpose.TRAIN_AI: frozenset({"all", "ai-all", "ai-train", "train-ai", "tdm"}),
    Purpose.TRAIN_GENAI: frozenset({"all", "ai-all", "ai-train", "train-ai", "train-genai", "tdm"}),
    Purpose.AI_INPUT: frozenset(
        {"all", "ai-all", "ai-input", "ai-index", "ai-use", "ai-summarize", "tdm"}
    ),
    Purpose.SEARCH: frozenset({"all", "search", "tdm"}),
}
_GRANTED_BY: dict[Purpose, frozenset[str]] = {
    Purpose.TDM: frozenset({"all"}),
    Purpose.TRAIN_AI: frozenset({"all", "ai-all", "ai-train"}),
    Purpose.TRAIN_GENAI: frozenset({"all", "ai-all", "ai-train"}),
    Purpose.AI_INPUT: frozenset({"all", "ai-all", "ai-input"}),
    Purpose.SEARCH: frozenset({"all", "search"}),
}
_FREE = frozenset({"free"})
# Outcomes for one purpose, most restrictive first; the first four reserve.
PROHIBITED, NOT_PERMITTED, UNLICENSED, LICENCE_REQUIRED = (
    "prohibited",
    "not permitted",
    "unlicensed",
    "licence required",
)
ATTRIBUTION, ALLOWED = "allowed with attribution", "allowed"
_RANK = {
    PROHIBITED: 0,
    NOT_PERMITTED: 1,
    UNLICENSED: 2,
    LICENCE_REQUIRED: 3,
    ATTRIBUTION: 4,
    ALLOWED: 5,
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


_compiled: Memo[int, tuple[RslDocument, tuple[tuple[RslContent, PathPattern | None, str], ...]]]
_compiled = Memo(256)


def _patterns(doc: RslDocument) -> tuple[tuple[RslContent, PathPattern | None, str], ...]:
    """(content, its path pattern or None for url="", the origin of an absolute url or "")."""
    entry = _compiled.get(id(doc))
    if entry is not None and entry[0] is doc:
        return entry[1]
    out: list[tuple[RslContent, PathPattern | None, str]] = []
    for content in doc.contents:
        url = content.url
        if not url:
            out.append((content, None, ""))
        elif url.lower().startswith(("http://", "https://")):
            try:
                parts = urlsplit(url)
                origin = _origin(url)
            except ValueError:
                continue
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            out.append((content, PathPattern(path), origin))
        else:
            out.append((content, PathPattern(url if url[0] in "/*" else "/" + url), ""))
    compiled = tuple(out)
    _compiled.put(id(doc), (doc, compiled))
    return compiled


def matching_contents(doc: RslDocument, url: str, *, inline: bool = False) -> list[RslContent]:
    """The ``<content>`` elements that govern ``url``: the longest matching pattern (ties: all).

    ``url=""`` matches only in an inline script. An inline script's one ``<content>`` governs
    the page holding it whatever its ``url`` says (``""``, or the canonical URL of a syndicated
    copy: an identifier, not a scope).
    """
    if inline:
        return list(doc.contents)
    best: list[RslContent] = []
    best_length = -1
    target = request_target(url)
    origin: str | None = None
    for content, pattern, pattern_origin in _patterns(doc):
        if pattern is None:
            continue
        if pattern_origin:
            if origin is None:
                try:
                    origin = _origin(url)
                except ValueError:
                    origin = ""
            if pattern_origin != origin:
                continue
        if not pattern.matches(target):
            continue
        length = pattern.length
        if length > best_length:
            best, best_length = [content], length
        elif length == best_length:
            best.append(content)
    return best


def _held(content: RslContent, doc_url: str, held: frozenset[str]) -> bool:
    if not held:
        return False
    candidates = {doc_url, content.url, content.server or ""}
    if content.url.startswith("/") and doc_url:
        candidates.add(urljoin(doc_url, content.url))
    return any(c and (c in held or c.rstrip("/") in held) for c in candidates)


def _licence_outcome(
    lic: RslLicense, content: RslContent, purpose: Purpose, held: bool
) -> tuple[str, str]:
    """(outcome, why) of one licence for one purpose."""
    prohibited = [t for t in lic.prohibited("usage") if t in _PROHIBITED_BY[purpose]]
    if prohibited:
        return PROHIBITED, f'licence {lic.index} prohibits usage "{" ".join(prohibited)}"'
    permits = lic.permitted("usage")
    if permits is not None and not _GRANTED_BY[purpose].intersection(permits):
        listed = " ".join(permits) or "nothing"
        return NOT_PERMITTED, f'licence {lic.index} permits usage "{listed}" only'
    needs: list[str] = []
    for kind in ("user", "geo"):
        limited = lic.permitted(kind)
        if limited is not None:
            needs.append(f'permits {kind} "{" ".join(limited)}" only')
        if lic.prohibited(kind):
            needs.append(f'prohibits {kind} "{" ".join(lic.prohibited(kind))}"')
    if content.server:
        needs.append(f"licence server {content.server}")
    if content.encrypted:
        needs.append("encrypted content")
    needs.extend(f"reporting {r.type or ''} {r.profile or ''}".rstrip() for r in lic.reporting)
    attribution = False
    for payment in lic.payments:
        if payment.type == "attribution":
            attribution = True
        elif payment.type not in _FREE:
            needs.append(f"payment {payment.describe()}")
    granted = f"licence {lic.index}" + (
        f' permits usage "{" ".join(permits)}"' if permits is not None else " (no usage limits)"
    )
    if needs and not held:
        return LICENCE_REQUIRED, f"{granted}; requires {'; '.join(needs)}"
    if needs:
        return ALLOWED, f"{granted}; licence held ({'; '.join(needs)})"
    if attribution:
        credit = [p.standard or p.custom for p in lic.payments if p.type == "attribution"]
        extra = f" ({', '.join(c for c in credit if c)})" if any(credit) else ""
        return ATTRIBUTION, f"{granted}; attribution required{extra}"
    return ALLOWED, f"{granted}; free"


def _content_outcome(
    content: RslContent, purpose: Purpose, held: bool
) -> tuple[str, str, RslLicense | None]:
    if not content.licenses:
        if purpose in AI_PURPOSES:
            return UNLICENSED, "content has no <license>: unlicensed", None
        return "", "", None
    outcomes = [(*_licence_outcome(lic, content, purpose, held), lic) for lic in content.licenses]
    prohibited = [o for o in outcomes if o[0] == PROHIBITED]
    if prohibited:
        return prohibited[0]
    return max(outcomes, key=lambda o: _RANK[o[0]])


def content_evidence(
    content: RslContent,
    *,
    source: str,
    location: str,
    precedence: int,
    note: str = "",
    doc_url: str = "",
    held: frozenset[str] = frozenset(),
) -> tuple[Evidence, ...]:
    """Evidence of one matching content, one per distinct outcome (purposes grouped).

    ``source``, ``location``, ``precedence`` and ``note`` describe the pointer that led to the
    document; ``doc_url`` is the document (empty inline); ``held`` the crawl's licences.
    """
    is_held = _held(content, doc_url, held)
    results = {p: _content_outcome(content, p, is_held) for p in _ORDER}
    tdm, search = results[Purpose.TDM][0], results[Purpose.SEARCH][0]
    tdm_says = tdm in (ALLOWED, ATTRIBUTION) or (_reserves(tdm) and _reserves(search))
    groups: dict[tuple[str, str], list[Purpose]] = {}
    for purpose in _ORDER:
        outcome, why, _ = results[purpose]
        if not outcome or (purpose is Purpose.TDM and not tdm_says):
            continue
        groups.setdefault((outcome, why), []).append(purpose)
    where = f"{location}; content {content.index}"
    found = []
    for (outcome, why), purposes in groups.items():
        stance = Stance.ALLOWED if outcome in (ALLOWED, ATTRIBUTION) else Stance.DISALLOWED
        said = f"{outcome}: {why}" + (f"; {note}" if note else "")
        found.append(
            Evidence(
                FAMILY,
                source,
                f"{outcome} ({', '.join(p.value for p in purposes)})",
                tuple((p, stance) for p in purposes),
                location=where,
                path=content.url,
                url=doc_url or None,
                precedence=precedence,
                note=said,
                overridable=precedence == SITE,
            )
        )
    return tuple(found)


def _reserves(outcome: str) -> bool:
    return bool(outcome) and _RANK[outcome] <= _RANK[LICENCE_REQUIRED]
