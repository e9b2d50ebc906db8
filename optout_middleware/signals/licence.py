"""Licence links (specs.md section 9.1): recorded for downstream policy, never an opt-out.

This module owns the ``licence`` family. It reads ``<link rel="license">`` in the document head
and ``Link: <url>; rel="license"`` response headers (RFC 8288), and records each as evidence
with no stance: Creative Commons says its licences cannot be read as an EU DSM Art. 4(3)
reservation, so even NC or ND is not a "no" (spec 9.1). Creative Commons URLs are decomposed
by :func:`parse_cc_licence` and summarised in the evidence note; :func:`licence_flags` merges
the flags of several links, most restrictive first (spec 9.4 [inferred]).

Not read: ``<a rel="license">`` and plain licence links in ``<body>`` (where CC's licence
chooser puts them), and CC REL/RDFa; the head extraction stops at the body (htmlhead.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin, urlsplit

from optout_middleware.formats.htmlhead import HeadInterest
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence

if TYPE_CHECKING:
    from collections.abc import Iterable

    from optout_middleware.inputs import Context, ResponseView

__all__ = [
    "FAMILY",
    "FLAG_ORDER",
    "CcLicence",
    "LicenceSignal",
    "licence_flags",
    "parse_cc_licence",
    "parse_link_header",
]

FAMILY = "licence"

# Most restrictive first: the order flags are listed in notes.
FLAG_ORDER = ("NC", "ND", "SA", "BY")
_ELEMENTS = frozenset(f.lower() for f in FLAG_ORDER)
_VERSION = re.compile(r"\d{1,2}\.\d{1,2}")
_JURISDICTION = re.compile(r"[a-z]{2,12}(?:[-_][a-z]{2,8})?")
_CACHED_URL_MAX = 256  # longer URLs are described uncached: hostile pages must not grow memory
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)  # no resolution needed
_HOSTS = frozenset({"creativecommons.org", "www.creativecommons.org"})


@dataclass(frozen=True, slots=True)
class CcLicence:
    """A Creative Commons licence or public-domain tool, decomposed from its URL.

    ``code`` is the licence code (``by-nc-sa``) or ``cc0`` / ``pdm``; ``flags`` the licence
    elements it contains (``BY``, ``SA``, ``NC``, ``ND``; empty for CC0 and the PDM);
    ``jurisdiction`` the port (``de``) of a ported licence; ``url`` the canonical URL.
    """

    code: str
    version: str
    flags: frozenset[str]
    jurisdiction: str | None = None
    url: str = ""

    @property
    def label(self) -> str:
        """A human name: ``CC BY-NC 4.0``, ``CC BY-SA 3.0 DE``, ``CC0 1.0``."""
        if self.code == "cc0":
            return f"CC0 {self.version}"
        if self.code == "pdm":
            return f"Public Domain Mark {self.version}"
        port = f" {self.jurisdiction.upper()}" if self.jurisdiction else ""
        return f"CC {self.code.upper()} {self.version}{port}"

    @property
    def summary(self) -> str:
        """The label with its flags, most restrictive first: ``CC BY-NC 4.0 (NC, BY)``."""
        flags = ", ".join(f for f in FLAG_ORDER if f in self.flags)
        return f"{self.label} ({flags or 'no conditions'})"


def parse_cc_licence(url: str) -> CcLicence | None:
    """Decompose a creativecommons.org licence URL (spec 9.1 grammar); None for anything else.

    Accepts http/https, ``www.``, a missing scheme or trailing slash, a query or fragment, and
    a trailing ``deed.<lang>``, ``legalcode[.<lang>]`` or ``rdf`` segment. The licence code is
    any combination of ``by``, ``sa``, ``nc``, ``nd`` (version 1.0 licences had codes such as
    ``nc-sa`` and ``by-nd-nc``); CC0 is ``publicdomain/zero``, the PDM ``publicdomain/mark``.
    """
    text = url.strip().lower()
    if text.startswith("//"):
        text = "http:" + text
    elif "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if host not in _HOSTS or parts.scheme not in ("http", "https"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments and (
        segments[-1].startswith(("deed", "legalcode")) or segments[-1] in ("rdf", "index.html")
    ):
        segments.pop()
    match segments:
        case ["publicdomain", ("zero" | "mark") as kind, version]:
            if not _VERSION.fullmatch(version):
                return None
            code = "cc0" if kind == "zero" else "pdm"
            url = f"https://creativecommons.org/publicdomain/{kind}/{version}/"
            return CcLicence(code, version, frozenset(), url=url)
        case ["licenses", code, version, *port] if len(port) <= 1:
            jurisdiction = port[0] if port else None
        case _:
            return None
    elements = code.split("-")
    if (
        not _VERSION.fullmatch(version)
        or not set(elements) <= _ELEMENTS
        or len(set(elements)) != len(elements)
        or (jurisdiction is not None and not _JURISDICTION.fullmatch(jurisdiction))
    ):
        return None
    url = f"https://creativecommons.org/licenses/{code}/{version}/" + "".join(f"{p}/" for p in port)
    flags = frozenset(e.upper() for e in elements)
    return CcLicence(code, version, flags, jurisdiction, url=url)


def licence_flags(evidence: Iterable[Evidence]) -> frozenset[str]:
    """The union of the CC flags of licence evidence (several links: most restrictive wins)."""
    flags: set[str] = set()
    for ev in evidence:
        if ev.family == FAMILY and (cc := parse_cc_licence(ev.value)) is not None:
            flags |= cc.flags
    return frozenset(flags)


# RFC 8288 section 3: link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
_PARAM = re.compile(
    r"""[ \t]*;[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*"""
    r"""(?:=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^ \t;,<]*)))?"""
)
_UNESCAPE = re.compile(r"\\(.)")


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """The links of one ``Link`` header value: ``(target as written, {param: value})``.

    Parameter names are lower-cased; the first occurrence of a parameter wins (RFC 8288 3.3).
    Junk between links is skipped: parsing resumes at the next ``<``.
    """
    links: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while (start := value.find("<", pos)) >= 0:
        end = value.find(">", start + 1)
        if end < 0:
            break
        params: dict[str, str] = {}
        pos = end + 1
        while (param := _PARAM.match(value, pos)) is not None:
            name = param.group(1).lower()
            quoted = param.group(2)
            raw = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else param.group(3) or ""
            params.setdefault(name, raw)
            pos = param.end()
        links.append((value[start + 1 : end].strip(), params))
    return links


class LicenceSignal(SignalParser):
    """``rel="license"`` links in the head and in ``Link`` headers, as stance-less evidence."""

    family: ClassVar[str] = FAMILY

    def head_interest(self, context: Context) -> HeadInterest:
        """``<link rel="license">`` (the ``<base>`` is always read)."""
        return HeadInterest(link_rels=frozenset({"license"}))

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """One evidence per licence link; relative targets are resolved for the note."""
        found: list[Evidence] = []
        for header in response.header("Link"):
            if "license" not in header.lower():  # cheap skip of preload/preconnect headers
                continue
            for target, params in parse_link_header(header):
                if "license" not in params.get("rel", "").lower().split():
                    continue
                anchor = params.get("anchor")
                if anchor and not anchor.startswith("#"):  # about another resource
                    continue
                found.append(_evidence("header", "Link", target, response.url))
        head = response.head
        hrefs = [link.href for link in head.links if "license" in link.rels]
        if hrefs:
            base = _resolve(response.url, head.base_href) if head.base_href else response.url
            found.extend(_evidence("link", 'link rel="license"', href, base) for href in hrefs)
        return found


def _evidence(source: str, location: str, target: str, base: str) -> Evidence:
    if _ABSOLUTE.match(target) and len(target) <= _CACHED_URL_MAX:
        return _absolute_evidence(source, location, target)
    return _build_evidence(source, location, target, base)


def _build_evidence(source: str, location: str, target: str, base: str) -> Evidence:
    resolved = target if _ABSOLUTE.match(target) else _resolve(base, target)
    note = (
        _describe(resolved) if len(resolved) <= _CACHED_URL_MAX else _describe.__wrapped__(resolved)
    )
    if resolved != target:
        note += f"; resolved to {resolved}"
    return Evidence(FAMILY, source, target, location=location, note=note)


@lru_cache(maxsize=256)  # a site repeats its licence link on every page
def _absolute_evidence(source: str, location: str, target: str) -> Evidence:
    return _build_evidence(source, location, target, target)


def _resolve(base: str, target: str) -> str:
    try:
        return urljoin(base, target)
    except ValueError:  # e.g. an invalid IPv6 literal
        return target


@lru_cache(maxsize=256)  # a site repeats its licence link on every page
def _describe(url: str) -> str:
    cc = parse_cc_licence(url)
    what = cc.summary if cc is not None else "licence link (not Creative Commons)"
    return f"{what} - not an opt-out (specs.md 9.1)"
