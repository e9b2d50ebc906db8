"""Bounded extraction of the meta and link signals in an HTML document's <head>.

This runs on every HTML response, so it never parses more than the head. The end of the head is
found in the raw bytes (the first ``</head`` or ``<body``, case-insensitive, searched in the first
64 KiB and then on to :data:`MAX_HEAD_BYTES`) and only that prefix is handed to lxml, once. The
cost follows the size of the head, not of the page.

A head is read for an *interest* (:class:`HeadInterest`): the meta names and link rels that the
crawl's signal families read. lxml still parses the whole head (it decides where the head
ends), but only the tags of interest are read into objects, the costly part on pages whose
heads carry a dozen tags the families never look at. Without an interest every tag is read.

How the cut stays correct where that is cheap (the byte-level scans are in
:mod:`~optout_middleware.formats.headbounds`, the encodings in :mod:`.headcodec`; this module
owns the lxml parse and the collection of the tags):

* A ``</head>`` or ``<body>`` written inside a ``<script>``, ``<style>``, ``<title>``,
  ``<textarea>`` (or another raw-text element) or a comment is not the end of the head. lxml
  parses the prefix with the HTML tokenizer and closes what is open at its end, so a cut inside
  such an element leaves it as the last node, its text running to the cut; this is checked in
  O(1) on the tree, and only then are the bytes re-scanned (skipping raw-text elements and
  comments, linearly) and the longer prefix parsed again.
* A cut inside a tag (``content="</head>"``) is detected from the bytes before it. A quoted
  value holding both ``>`` and ``</head>`` is not (the head is then cut short).
* HTML lets a document omit both ``</head>`` and ``<body>``. Without either, lxml parses growing
  windows (8 KiB, 32 KiB, 128 KiB, then the cap) until it opens a ``<body>``. Each window is
  moved on to the end of the tag, comment or raw-text element it would cut (a forward scan,
  linear over all windows), since lxml reads a cut-off ``<li`` as text and opens a ``<body>``.
* Whatever lxml places in ``<body>`` is not the head and is not returned: metas after stray text,
  after a body-only element, or in the body proper. specs.md 1.7 and 5.6 [inferred] would honour
  a ``noai`` / ``tdm-reservation: 1`` there; reading the body would break the cost budget.

Encodings, in the WHATWG order: a BOM, then the ``encoding`` argument (HTTP charset), then a
``charset=`` in the head (a ``utf-16`` declaration in an ASCII-compatible document means UTF-8),
else UTF-8. Unlike browsers, an HTTP ``utf-16``/``utf-32`` charset is believed only when the
bytes look wide (a BOM or a NUL in the first two bytes): on ASCII bytes it would turn the head
into CJK garbage and hide its metas. UTF-16/32 bodies (by BOM, argument, or a NUL byte pattern at the start) are decoded
first. Other non-UTF-8 heads are transcoded by Python; lxml only ever sees UTF-8 (libxml2's own
sniffing would obey a ``<meta charset=utf-16>`` and turn an ASCII page into garbage). Bad bytes
become U+FFFD; nothing here raises. The shared parser object serialises concurrent use (lxml
locks it), which is fine for Scrapy's single thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .headbounds import between_tags as _between_tags
from .headbounds import open_at_end as _open_at_end
from .headbounds import resume as _resume
from .headcodec import bom_codec, codec_for, meta_codec, transcode

__all__ = [
    "EMPTY_HEAD",
    "MAX_HEAD_BYTES",
    "NO_HEAD_TAGS",
    "HeadInterest",
    "HtmlHead",
    "LinkTag",
    "MetaTag",
    "extract_head",
]

MAX_HEAD_BYTES = 256 * 1024  # heads of real pages with inline CSS/JS reach ~100-200 KiB


@dataclass(frozen=True, slots=True)
class MetaTag:
    """``<meta name=... content=...>``; ``name`` is lower-cased, ``content`` as written (stripped)."""

    name: str
    content: str


@dataclass(frozen=True, slots=True)
class LinkTag:
    """``<link rel=... href=...>``; ``rels`` are the lower-cased tokens of the rel attribute."""

    rels: frozenset[str]
    href: str
    type: str = ""  # the type attribute, lower-cased and stripped ("" when absent)


@dataclass(frozen=True, slots=True)
class HeadInterest:
    """The head tags a reader needs: metas by name, links by rel token (both lower-case).

    A head read for an interest holds only the metas whose name is one of ``meta_names`` and the
    links with one of ``link_rels`` among their rels (plus the ``<base>`` and the inline RSL
    scripts, which are always read). Reading a tag into an object costs about 2.5 us; a typical
    head has a dozen tags (viewport, description, Open Graph, stylesheets, icons) that no signal
    family reads.
    """

    meta_names: frozenset[str] = frozenset()
    link_rels: frozenset[str] = frozenset()

    def __or__(self, other: HeadInterest) -> HeadInterest:
        return HeadInterest(self.meta_names | other.meta_names, self.link_rels | other.link_rels)


NO_HEAD_TAGS = HeadInterest()  # the interest of a family that reads no head tag


@dataclass(frozen=True, slots=True)
class HtmlHead:
    """The signals of one document head; ``truncated`` when the scan stopped at its byte cap.

    ``metas`` and ``links`` are every meta with a name and every link with a rel and an href, in
    document order, or only those of the :class:`HeadInterest` the head was read for.

    ``parsed_bytes`` is how many bytes were handed to the HTML parser (the head, not the page);
    ``encoding`` the codec the head was decoded with.
    """

    metas: tuple[MetaTag, ...] = ()
    links: tuple[LinkTag, ...] = ()
    base_href: str | None = None
    truncated: bool = False
    parsed_bytes: int = 0
    encoding: str = ""
    rsl_scripts: tuple[str, ...] = ()  # texts of <script type="application/rsl+xml">
    rsl_links: tuple[LinkTag, ...] = ()  # the links with rel license and that type

    def meta(self, name: str) -> tuple[str, ...]:
        """Contents of every meta whose (lower-case) name is ``name``."""
        return tuple(m.content for m in self.metas if m.name == name)


EMPTY_HEAD = HtmlHead()

# Comments are kept: a prefix ending inside one must be visible in the tree.
_PARSER = etree.HTMLParser(
    encoding="utf-8",
    remove_blank_text=True,
    remove_pis=True,
    no_network=True,
    collect_ids=False,
)

# HTML end of a tag name: whitespace, "/" or ">".
_HEAD_END = re.compile(rb"<(?:/head|body)(?=[\s/>])", re.IGNORECASE)
_MARKER_SCAN = 64 * 1024  # bytes searched for </head or <body before parsing without one
_FIRST_WINDOW = 8 * 1024  # parsed when there is no marker; then 32 KiB, 128 KiB, the cap

_ASCII_WS = " \t\n\f\r"
_ASCII_WS_RUN = re.compile(r"[ \t\n\f\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CACHE_MAX = 512  # distinct rel values / meta names remembered (they repeat across pages)
_CACHE_KEY_MAX = 64  # longer values are not remembered: hostile pages must not grow memory
_RSL_TYPE = "application/rsl+xml"  # inline RSL licences (read by signals/rsl.py)
_TAGS = ("meta", "link", "base", "body", "template")
_PLUS_XML = re.compile(rb"\+xml", re.IGNORECASE)
_TAGS_RSL = (*_TAGS, "script")


def _mentions_rsl(buf: bytes, end: int) -> bool:
    """Whether ``buf[:end]`` holds the RSL media type, in any case, without copying it.

    The scan looks for ``+xml`` (``+`` starts it, and is rare in a head: a fast skip loop), then
    checks the three bytes before; a search for ``rsl+xml`` stops at every ``r`` (30x slower).
    """
    for found in _PLUS_XML.finditer(buf, 0, end):
        start = found.start()
        if buf[max(start - 3, 0) : start].lower() == b"rsl":
            return True
    return False


_rels_cache: dict[str, frozenset[str]] = {}
_names_cache: dict[str, str] = {}


def extract_head(
    body: bytes,
    *,
    encoding: str | None = None,
    max_bytes: int = MAX_HEAD_BYTES,
    interest: HeadInterest | None = None,
) -> HtmlHead:
    """Return the meta and link tags of the document head, reading at most ``max_bytes``.

    ``encoding`` is the HTTP charset, if any; ``interest`` the tags to read (None: all of them).
    Never raises on any input.
    """
    if not body:
        return EMPTY_HEAD
    max_bytes = max(max_bytes, 0)
    codec = bom_codec(body) or (codec_for(encoding) if encoding else None)
    wide = len(body) > 1 and (body[0] == 0) != (body[1] == 0)  # "<\0" or "\0<"
    if (codec is None or codec == "utf-16") and wide:
        codec = "utf-16-be" if body[0] == 0 else "utf-16-le"  # without a BOM
    elif (
        codec is not None
        and codec.startswith(("utf-16", "utf-32"))
        and not wide
        and bom_codec(body) is None
    ):
        codec = None  # an HTTP UTF-16 label on ASCII bytes is wrong, as a meta one is (F9)
    buf = body
    if codec is not None and codec.startswith(("utf-16", "utf-32")):
        buf = transcode(body[:max_bytes], codec).lstrip("\ufeff").encode("utf-8")
        codec = "utf-8"
    limit = min(len(buf), max_bytes)
    capped = len(body) > max_bytes  # the cap, not the document, may end the scan
    scanned = min(limit, _MARKER_SCAN)
    match = _HEAD_END.search(buf, 0, scanned)
    if match is not None:
        return _parse_to_end(buf, match.start(), limit, codec, capped, interest=interest)
    # No marker: HTML allows omitting </head> and <body>, so let lxml say where the head ended,
    # parsing windows that grow until it opens a <body> or the cap is reached.
    # A window ends where the tokenizer is between tags (not inside a tag, a comment or a
    # raw-text element), else lxml reads the cut-off "<li" as text and opens a <body> there.
    nominal = min(limit, _FIRST_WINDOW)
    window = 0
    while True:
        window = _between_tags(buf, window, nominal, limit)
        codec = codec or meta_codec(buf, window)
        root = _parse(buf[:window], codec)
        ended = root is not None and root.find("body") is not None
        if ended or window == limit:
            return _collect(root, capped and not ended, window, codec, buf, interest=interest)
        nominal = min(limit, window * 4)
        if nominal > scanned:
            match = _HEAD_END.search(buf, scanned - 8, nominal)
            scanned = nominal
            if match is not None:
                return _parse_to_end(buf, match.start(), limit, codec, capped, interest=interest)


def _parse_to_end(
    buf: bytes,
    end: int,
    limit: int,
    codec: str | None,
    capped: bool,
    *,
    interest: HeadInterest | None,
) -> HtmlHead:
    """Parse up to a ``</head``/``<body`` marker, moving it on if it was inside something."""
    codec = codec or meta_codec(buf, end)
    prefix = buf[:end]
    root = _parse(prefix, codec)
    state = _open_at_end(root, prefix, codec)
    truncated = False
    if state is not None:
        new_end = _resume(buf, state, end, limit)
        if new_end is not None and new_end != end:
            end = new_end
            root = _parse(buf[:end], codec)
            truncated = capped and end == limit and (root is None or root.find("body") is None)
    return _collect(root, truncated, end, codec, buf, interest=interest)


def _collect(
    root: etree._Element | None,
    truncated: bool,
    parsed: int,
    codec: str,
    buf: bytes = b"",
    *,
    interest: HeadInterest | None = None,
) -> HtmlHead:
    """The head's tags in document order; anything from ``<body>`` on is not the head.

    With an ``interest``, a meta's name or a link's rel is looked at first and the tag is read
    only when it is of interest. ``<script>`` elements are visited only when the parsed bytes
    (``buf[:parsed]``) mention the RSL media type: a head holds dozens of scripts, and each one
    visited costs.
    """
    if root is None:
        return HtmlHead(truncated=truncated, parsed_bytes=parsed, encoding=codec)
    wanted = _TAGS_RSL if _mentions_rsl(buf, parsed) else _TAGS
    names = None if interest is None else interest.meta_names
    rel_tokens = None if interest is None else interest.link_rels
    metas: list[MetaTag] = []
    links: list[LinkTag] = []
    base: str | None = None
    scripts: list[str] = []
    rsl_links: list[LinkTag] = []
    templated = False  # a <template> was seen: check ancestors from there on (rare, costly)
    for el in root.iter(*wanted):
        tag = el.tag
        if tag == "template":
            templated = True
            continue
        if templated and tag != "body" and _in_template(el):
            continue
        if tag == "meta":
            name = el.get("name")
            if name is not None:
                name = _name(name)
                if names is None or name in names:
                    metas.append(MetaTag(name, (el.get("content") or "").strip(_ASCII_WS)))
        elif tag == "link":
            rel = el.get("rel")
            if rel is None:
                continue
            rels = _rels(rel)
            href = el.get("href")
            if href is None or (rel_tokens is not None and rels.isdisjoint(rel_tokens)):
                continue
            kind = el.get("type")
            link = LinkTag(rels, href.strip(_ASCII_WS), _name(kind) if kind else "")
            links.append(link)
            if link.type == _RSL_TYPE and "license" in rels:  # an RSL licence (signals/rsl.py)
                rsl_links.append(link)
        elif tag == "body":
            break
        elif tag == "script":
            kind = el.get("type")
            if kind is not None and _name(kind) == _RSL_TYPE:
                scripts.append(el.text or "")
        elif base is None:  # HTML: the first <base> with an href is the base
            href = el.get("href")
            base = None if href is None else href.strip(_ASCII_WS)
    return HtmlHead(
        tuple(metas), tuple(links), base, truncated, parsed, codec, tuple(scripts), tuple(rsl_links)
    )


def _in_template(el: etree._Element) -> bool:
    """HTML: ``<template>`` content is inert (never part of the document), so not the head's."""
    parent = el.getparent()
    while parent is not None:
        if parent.tag == "template":
            return True
        parent = parent.getparent()
    return False


def _ascii_lower(value: str) -> str:
    # str.lower() maps e.g. KELVIN SIGN to "k"; HTML compares with ASCII case-folding only.
    return value.lower() if value.isascii() else value.translate(_ASCII_LOWER)


def _name(raw: str) -> str:
    name = _names_cache.get(raw)
    if name is None:
        name = _ascii_lower(raw.strip(_ASCII_WS))
        if len(_names_cache) < _CACHE_MAX and len(raw) <= _CACHE_KEY_MAX:
            _names_cache[raw] = name
    return name


def _rels(raw: str) -> frozenset[str]:
    rels = _rels_cache.get(raw)
    if rels is None:
        low = _ascii_lower(raw)
        # isprintable(): the only whitespace is " ", so str.split() is the ASCII split HTML wants.
        tokens = low.split() if low.isprintable() else _ASCII_WS_RUN.split(low)
        rels = frozenset(t for t in tokens if t)
        if len(_rels_cache) < _CACHE_MAX and len(raw) <= _CACHE_KEY_MAX:
            _rels_cache[raw] = rels
    return rels


def _parse(prefix: bytes, codec: str) -> etree._Element | None:
    if codec != "utf-8":
        prefix = transcode(prefix, codec).encode("utf-8")
    try:
        return etree.fromstring(prefix, _PARSER)
    except (etree.LxmlError, ValueError):  # e.g. "Document is empty"
        return None
