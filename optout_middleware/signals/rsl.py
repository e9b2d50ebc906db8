"""RSL 1.0 licences (``../shared/rsl.md``): where a page's licence documents are, what they say.

This module owns the ``rsl`` family: finding the associations (robots.txt ``License:`` lines,
``Link: <...>; rel="license"; type="application/rsl+xml"``, the same ``<link>`` in the head, and
inline ``<script type="application/rsl+xml">``), and reading the documents they name
(:mod:`optout_middleware.formats.rsl`, fetched by the site-policy layer and the middleware) into
evidence for one URL. The readings, decided for this library:

* ``<content url>`` is an RFC 9309 path pattern (our matcher); the longest matching pattern of a
  document governs and equal lengths all apply (most restrictive); an absolute URL counts only on
  the origin it names, which must be the one holding the association.
* Token coverage follows rsl.md 5.1: ``all`` covers every purpose, ``ai-all`` the AI ones,
  ``ai-train`` training, ``ai-input`` (and ``ai-index``) AI input. Legacy tokens (``train-ai``,
  ``train-genai``, ``ai-use``, ``ai-summarize``, ``tdm``) count when prohibited, never when
  permitted. Inside one licence a prohibition beats a permission it covers; a ``<permits>`` list
  is closed. A purpose no list names, in a licence without ``permits`` of that type, is granted.
* A purpose is granted by some licence of the matching content when no licence prohibits it: a
  free (or ``attribution``) licence with no ``server``, no ``encrypted="true"``, no
  ``<reporting>`` and no user or geo restriction grants it; anything else is "licence required",
  a reservation unless the crawl holds the licence (``Context.rsl_licenses`` names licence
  servers, content URLs or document URLs). Attribution is kept in the evidence.
* A document that cannot be read makes the content unlicensed: the AI purposes are reserved
  (``search`` never), with the reason; ``Context.rsl_unreadable_reserves`` off reads it as
  unknown. A content with no ``<license>`` is read the same way.
* ``tdm`` (generic mining) is stated only when ``all`` decides it and ``search`` agrees, as the
  verdict model's hierarchy would otherwise let a "no" on generic mining reserve search.

Page-level associations supersede robots.txt ``License:`` for their page (rsl.md 2.7): they
carry ``precedence`` 1, site-level ones 0 and ``overridable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin, urlsplit

from optout_middleware.errors import ParseError
from optout_middleware.formats.patterns import PathPattern, request_target
from optout_middleware.formats.rsl import RslContent, RslDocument, RslLicense, parse_rsl
from optout_middleware.inputs import FileState, SiteFile, decode_header
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, Stance

from .licence import parse_link_header

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from optout_middleware.inputs import Context, ResponseView, SiteFiles

__all__ = [
    "FAMILY",
    "NO_DOCUMENT",
    "RSL_MEDIA_TYPE",
    "Association",
    "RslSignal",
    "content_evidence",
    "matching_contents",
    "page_associations",
    "site_associations",
]

FAMILY = "rsl"
RSL_MEDIA_TYPE = "application/rsl+xml"
SITE, PAGE = 0, 1  # precedence of robots.txt License: lines and of page-level associations

_AI = (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT)
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


# Stands in ``SiteFiles.rsl`` when robots.txt names no fetchable document (only ``ftp:`` or
# garbage values): the fetchers store it so that ``site_evidence`` still reads those lines.
NO_DOCUMENT: SiteFile[RslDocument] = SiteFile(FileState.ABSENT, error="no http(s) document URL")


@dataclass(frozen=True, slots=True)
class Association:
    """One pointer to an RSL document: where it was found and the document URL it names.

    ``url`` is "" when the value could not be resolved to an http(s) URL (``error`` says why);
    ``inline`` holds the text of an inline script instead of a URL.
    """

    source: str  # "robots.txt", "header", "link", "script"
    location: str  # "License: line 3", "Link", '<link rel="license">', "<script>"
    url: str
    raw: str  # as written
    note: str = ""
    inline: str | None = None
    error: str | None = None

    @property
    def precedence(self) -> int:
        return SITE if self.source == "robots.txt" else PAGE


def _resolve(base: str, raw: str, source: str, location: str) -> Association:
    value = raw.strip()
    try:
        url = urljoin(base, value)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return Association(source, location, "", raw, error="not a URL")
    if scheme not in ("http", "https") or not value:
        return Association(source, location, "", raw, error="not an http(s) URL")
    notes = []
    if not value.lower().startswith(("http://", "https://")):
        notes.append(f"relative URL resolved to {url} (RSL wants an absolute URL)")
    if scheme == "http":
        notes.append("http: URL (RSL wants https)")
    return Association(source, location, url, raw, "; ".join(notes))


def site_associations(site: SiteFiles, context: Context) -> tuple[Association, ...]:
    """The robots.txt ``License:`` lines for our crawler: its own group's, else the global
    lines, else the ``*`` group's (rsl.md 2.1)."""
    robots = site.robots
    if robots.state is not FileState.PARSED or robots.parsed is None:
        return ()
    records = robots.parsed.extension_records(
        context.user_agent, "license", wildcard_fallback=True, preamble_first=True
    )
    if not records:
        return ()
    base = robots.url or (site.origin + "/robots.txt")
    return tuple(_resolve(base, r.value, "robots.txt", f"License: line {r.line}") for r in records)


def page_associations(response: ResponseView) -> tuple[Association, ...]:
    """RSL associations of one response: ``Link`` headers, then ``<link>`` and ``<script>``.

    Cheap when there are none: a substring test per ``Link`` header, and a look at the head
    only for HTML whose head is already extracted for the other families. The middleware asks
    first (to fetch the documents), then the evaluator: the second call is a memo hit.
    """
    global _last_page  # noqa: PLW0603  (a one-entry memo, like patterns.request_target)
    last = _last_page
    if last[0] is response:
        return last[1]
    found: list[Association] = []
    for raw in response.headers.getlist("Link"):
        if b"rsl+xml" not in raw.lower():  # preload, preconnect, a Creative Commons licence
            continue
        for target, params in parse_link_header(decode_header(raw)):
            if "license" not in params.get("rel", "").lower().split():
                continue
            if params.get("type", "").strip().lower() != RSL_MEDIA_TYPE:
                continue
            found.append(_resolve(response.url, target, "header", "Link"))
    if response.is_html:
        head = response.head
        if head.rsl_links:
            base = urljoin(response.url, head.base_href) if head.base_href else response.url
            found.extend(
                _resolve(base, link.href, "link", '<link rel="license">') for link in head.rsl_links
            )
        found.extend(
            Association("script", "<script>", response.url, text[:200], inline=text)
            for text in head.rsl_scripts
        )
    result = tuple(found) if found else ()
    _last_page = (response, result)
    return result


_last_page: tuple[ResponseView | None, tuple[Association, ...]] = (None, ())


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
        if purpose in _AI:
            return UNLICENSED, "content has no <license>: unlicensed", None
        return "", "", None
    outcomes = [(*_licence_outcome(lic, content, purpose, held), lic) for lic in content.licenses]
    prohibited = [o for o in outcomes if o[0] == PROHIBITED]
    if prohibited:
        return prohibited[0]
    return max(outcomes, key=lambda o: _RANK[o[0]])


def content_evidence(
    content: RslContent,
    assoc: Association,
    doc_url: str,
    held: frozenset[str],
) -> tuple[Evidence, ...]:
    """Evidence of one matching content, one per distinct outcome (purposes grouped)."""
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
    location = f"{assoc.location}; content {content.index} url={content.url!r}"
    found = []
    for (outcome, why), purposes in groups.items():
        stance = Stance.ALLOWED if outcome in (ALLOWED, ATTRIBUTION) else Stance.DISALLOWED
        note = f"{outcome}: {why}" + (f"; {assoc.note}" if assoc.note else "")
        found.append(
            Evidence(
                FAMILY,
                assoc.source,
                f"{outcome} ({', '.join(p.value for p in purposes)})",
                tuple((p, stance) for p in purposes),
                location=location,
                path=content.url,
                url=doc_url or None,
                precedence=assoc.precedence,
                note=note,
                overridable=assoc.precedence == SITE,
            )
        )
    return tuple(found)


def _reserves(outcome: str) -> bool:
    return bool(outcome) and _RANK[outcome] <= _RANK[LICENCE_REQUIRED]


def _unreadable(assoc: Association, error: str, context: Context, doc_url: str) -> Evidence:
    reserves = context.rsl_unreadable_reserves
    reading = (
        "unlicensed (rsl.md 4.3): AI uses reserved, search not"
        if reserves
        else "read as unknown (OPTOUT_RSL_UNREADABLE)"
    )
    note = f"{reading}" + (f"; {assoc.note}" if assoc.note else "")
    return Evidence(
        FAMILY,
        assoc.source,
        f"unreadable RSL document: {error}",
        tuple((p, Stance.DISALLOWED) for p in _AI) if reserves else (),
        location=assoc.location,
        url=doc_url or None,
        precedence=assoc.precedence,
        note=note,
        overridable=assoc.precedence == SITE,
    )


def document_evidence(
    assoc: Association,
    document: SiteFile[RslDocument] | None,
    url: str,
    context: Context,
) -> tuple[Evidence, ...]:
    """Evidence for ``url`` from one association and its fetched document (None: not fetched)."""
    if assoc.error is not None:
        return (_unreadable(assoc, f"{assoc.error}: {assoc.raw[:200]!r}", context, ""),)
    doc_url = assoc.url
    if assoc.inline is not None:
        try:
            doc = _inline(assoc.inline)
        except ParseError as exc:
            return (_unreadable(assoc, str(exc), context, ""),)
        doc_url = ""
    elif document is None or document.state is FileState.NOT_FETCHED:
        return (
            Evidence(
                FAMILY,
                assoc.source,
                assoc.url,
                location=assoc.location,
                url=assoc.url,
                precedence=assoc.precedence,
                note="RSL document not fetched; no stance taken",
            ),
        )
    elif document.state is not FileState.PARSED or document.parsed is None:
        return (_unreadable(assoc, document.error or document.state.value, context, doc_url),)
    else:
        doc = document.parsed
    contents = matching_contents(doc, url, inline=assoc.inline is not None)
    if not contents:
        return (
            Evidence(
                FAMILY,
                assoc.source,
                "no <content> matches",
                location=assoc.location,
                url=doc_url or None,
                precedence=assoc.precedence,
                note="the RSL document says nothing about this URL",
            ),
        )
    found: list[Evidence] = []
    held = context.rsl_licenses
    for content in contents:
        key = (id(content), assoc, doc_url, held)
        memo = _evidence_memo.get(key)
        if memo is None or memo[0] is not content:  # built once per content, not per page
            memo = _evidence_memo.put(
                key, (content, content_evidence(content, assoc, doc_url, held))
            )
        found.extend(memo[1])
    return tuple(found)


_evidence_memo: Memo[
    tuple[int, Association, str, frozenset[str]], tuple[RslContent, tuple[Evidence, ...]]
] = Memo(1024)


_INLINE_MEMO_MAX = 4096  # characters; longer scripts are parsed on each page that holds them
_inline_docs: Memo[str, RslDocument | ParseError] = Memo(64)


def _inline(text: str) -> RslDocument:
    cached = _inline_docs.get(text)
    if cached is None:
        try:
            cached = parse_rsl(text.strip(), inline=True)
        except ParseError as exc:
            cached = exc
        if len(text) <= _INLINE_MEMO_MAX:
            _inline_docs.put(text, cached)
    if isinstance(cached, ParseError):
        raise cached
    return cached


_site_memo: Memo[
    int,
    tuple[SiteFiles, Context, tuple[Association, ...], Mapping[str, SiteFile[RslDocument]]],
] = Memo(256)


def _documents(files: Iterable[SiteFile[RslDocument]]) -> Mapping[str, SiteFile[RslDocument]]:
    return {f.url: f for f in files}


class RslSignal(SignalParser):
    """RSL licences from robots.txt ``License:`` (site) and from the response (page)."""

    family: ClassVar[str] = FAMILY

    def site_evidence(self, site: SiteFiles, url: str, context: Context) -> Iterable[Evidence]:
        """Evidence from the documents robots.txt ``License:`` lines name (fetched already)."""
        if not site.rsl:  # no License: line (the common case); else documents or NO_DOCUMENT
            return ()
        memo = _site_memo.get(id(site))
        if memo is None or memo[0] is not site or memo[1] is not context:
            memo = _site_memo.put(
                id(site), (site, context, site_associations(site, context), _documents(site.rsl))
            )
        _, _, associations, documents = memo
        found: list[Evidence] = []
        for assoc in associations:
            found.extend(document_evidence(assoc, documents.get(assoc.url), url, context))
        return found

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """Evidence from the page's own associations (documents in ``response.rsl_documents``)."""
        associations = page_associations(response)
        if not associations:
            return ()
        documents = response.rsl_documents
        found: list[Evidence] = []
        for assoc in associations:
            found.extend(document_evidence(assoc, documents.get(assoc.url), response.url, context))
        return found
