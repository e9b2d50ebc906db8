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
from optout_middleware.formats.htmlhead import HeadInterest
from optout_middleware.formats.pathindex import URL_INDEPENDENT, PathTests
from optout_middleware.formats.rsl import RslContent, RslDocument, parse_rsl
from optout_middleware.inputs import FileState, SiteFile, decode_header, header_values
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Stance

from .licence import parse_link_header
from .rslterms import (
    AI_PURPOSES,
    FAMILY,
    PAGE,
    RSL_MEDIA_TYPE,
    SITE,
    content_evidence,
    matching_contents,
)

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Mapping

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
    for raw in header_values(response.headers, "Link"):
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
        tuple((p, Stance.DISALLOWED) for p in AI_PURPOSES) if reserves else (),
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
    elif document is None or document.state in _UNSEEN:
        return (
            Evidence(
                FAMILY,
                assoc.source,
                assoc.url,
                location=assoc.location,
                url=assoc.url,
                precedence=assoc.precedence,
                note=_UNSEEN.get(document.state if document else FileState.NOT_FETCHED, "").format(
                    error=document.error if document else ""
                ),
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
            built = content_evidence(
                content,
                source=assoc.source,
                location=assoc.location,
                precedence=assoc.precedence,
                note=assoc.note,
                doc_url=doc_url,
                held=held,
            )
            memo = _evidence_memo.put(key, (content, built))
        found.extend(memo[1])
    return tuple(found)


# A document never read says nothing (no stance): not fetched (RSL off), or in a stored crawl
# (``optout warc``) not captured by any archive: its terms are unknown, neither absent nor
# unreadable (an archive's gap is not the publisher's failure to serve it).
_UNSEEN = {
    FileState.NOT_FETCHED: "RSL document not fetched; no stance taken",
    FileState.NOT_CAPTURED: "{error}; its terms are unknown, not taken as absent or unreadable",
}


_evidence_memo: Memo[
    tuple[int, Association, str, frozenset[str]], tuple[RslContent, tuple[Evidence, ...]]
] = Memo(1024)


_INLINE_MEMO_MAX = 4096  # characters; longer scripts are parsed on each page that holds them
_inline_docs: Memo[str, RslDocument | str] = Memo(64)  # the document, or why it is invalid


def _inline(text: str) -> RslDocument:
    cached = _inline_docs.get(text)
    if cached is None:
        try:
            cached = parse_rsl(text.strip(), inline=True)
        except ParseError as exc:
            cached = str(exc)
        if len(text) <= _INLINE_MEMO_MAX:
            _inline_docs.put(text, cached)
    if isinstance(cached, str):  # a fresh error each time: a re-raised one grows its traceback
        raise ParseError(cached)
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

    def site_key(self, site: SiteFiles, url: str, context: Context) -> Hashable | None:
        """``()`` for an origin whose robots.txt names no licence (every URL gets no evidence),
        so the site verdict stays shared; else None: the matching ``<content>`` is found per URL."""
        return None if site.rsl else ()

    def site_tests(self, site: SiteFiles, context: Context) -> PathTests | None:
        """None for an origin whose robots.txt names a licence (its ``<content>`` URLs are not
        robots patterns: :meth:`site_key` says so per URL), else nothing to test."""
        return None if site.rsl else URL_INDEPENDENT

    def head_interest(self, context: Context) -> HeadInterest:
        """``<link rel="license" type="application/rsl+xml">`` (inline RSL scripts are always
        read)."""
        return HeadInterest(link_rels=frozenset({"license"}))

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
