"""The image URLs an HTML page presents: ``<img src|srcset|data-src>``, ``<picture><source
srcset>``, ``og:image``/``twitter:image`` metas and ``<link rel=image_src|preload as=image>``.

Used only for pages that reserve their images (``noai``/``noimageai``), so that an image is
known to be covered even when the spider never yields a request for it from that page (the
dupefilter dropped it, an ``ImagesPipeline`` downloads it, or the page itself was dropped).
A tag scan, not an HTML parser: bounded (the first :data:`MAX_SCAN_BYTES` of the body, at most
:data:`MAX_LINKS` URLs, tags of at most 4 KiB), linear in the body size, and blind to images
added by scripts or CSS ``background-image``.

It runs on every such page (a quarter of the pages of some sites), so the scan does the least
Python work per tag that keeps the results of a plain reading (``tests/test_imagelinks.py``
checks them against it on generated pages): a ``<meta>`` or ``<link>`` whose bytes do not
say ``image`` (nor hold an ``&`` that could spell it) is skipped unparsed, an ``<img>`` or
``<source>`` looks only at the attributes it reads, and the common URLs (absolute http(s), and
paths under a plain base) are resolved by concatenation where ``urljoin`` would give the same.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

__all__ = ["MAX_LINKS", "MAX_SCAN_BYTES", "image_links"]

MAX_SCAN_BYTES = 2 << 20
MAX_LINKS = 1000

_TAG = re.compile(rb"<(img|source|meta|link|base)\b([^<>]{0,4096})>", re.IGNORECASE)
_ATTR = re.compile(
    rb"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
)
_IMAGE_METAS = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
# The attributes each image tag reads (lower-cased names), in the order their URLs are listed.
_IMG_ATTRS = (b"src", b"data-src", b"srcset", b"data-srcset")
_SOURCE_ATTRS = (b"src", b"srcset")

# URLs that urljoin + urlsplit + dropping the fragment return unchanged (absolute) or as a plain
# concatenation (relative): no dot segments, empty segments, params, fragments, empty queries,
# colons in relative paths or characters urlsplit removes. Anything else takes urljoin. Every
# pattern is unambiguous (segments exclude "/"), so a hostile URL costs a linear match.
_SEG = r"(?:[A-Za-z0-9_~!$&'()*+,=@%-]|\.(?=[^/.?]|\.[^/?]))+"  # no "." or ".." segment
_QUERY = r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@%/?-]+)?"
_ORIGIN = r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?"
_ABSOLUTE = re.compile(_ORIGIN + r"(?:/[A-Za-z0-9._~!$&'()*+,=:@%-]+)*/?" + _QUERY)
_ROOTED = re.compile(rf"(?:/{_SEG})+/?{_QUERY}")  # "/img/a.png"
_RELATIVE = re.compile(rf"{_SEG}(?:/{_SEG})*/?{_QUERY}")  # "img/a.png"
# A base whose directory urljoin keeps as written; its last segment, query and fragment are
# never read for a path.
_FAST_MAX = 1024  # longer URLs (hostile ones run to 4 KiB, a tag's cap) take urljoin
_PLAIN_BASE = re.compile(rf"({_ORIGIN})(?:((?:/{_SEG})*)/[^/?#]*)?(?:\?[^#]*)?(?:#.*)?")


def _attrs(raw: bytes) -> dict[str, str]:
    """Every attribute of a tag, the first of each name, unescaped (rare tags only)."""
    found: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        name = match.group(1).decode("ascii", "replace").lower()
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if value is None:
            value = match.group(4)
        found.setdefault(name, _text(value))
    return found


def _wanted(raw: bytes, names: tuple[bytes, ...]) -> list[str]:
    """The values of ``names`` in ``raw`` (first occurrence each, "" when absent), in order."""
    values: dict[bytes, bytes] = {}
    for name, dq, sq, bare in _ATTR.findall(raw):
        key = name.lower()
        if key in names and key not in values:
            values[key] = dq or sq or bare  # findall gives b"" for a group that did not match
    return [_text(values[n]) if n in values else "" for n in names]


def _text(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text


def _srcset(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.split()]


def image_links(body: bytes, base_url: str) -> tuple[str, ...]:
    """Absolute http(s) URLs of the images ``body`` presents, in order, without fragments."""
    base = base_url
    plain = _plain(base)
    seen: dict[str, None] = {}
    for name, raw in _TAG.findall(body, 0, MAX_SCAN_BYTES):
        tag = name.lower()
        if tag == b"img":
            src, data_src, srcset, data_srcset = _wanted(raw, _IMG_ATTRS)
            candidates = [src, data_src, *_srcset(srcset), *_srcset(data_srcset)]
        elif tag == b"source":
            src, srcset = _wanted(raw, _SOURCE_ATTRS)
            candidates = [src, *_srcset(srcset)]
        elif tag == b"base":
            attrs = _attrs(raw)
            if "href" in attrs and base is base_url:
                try:
                    base = urljoin(base_url, attrs["href"].strip())
                except ValueError:  # e.g. "http://[": HTML falls back to the document's URL
                    continue
                plain = _plain(base)
            continue
        else:  # meta or link: most are skipped unparsed
            if b"&" not in raw:  # else a character reference may spell anything
                low = raw.lower()
                if tag == b"meta":  # not "summary_large_image" in a twitter:card
                    if b"og:image" not in low and b"twitter:image" not in low:
                        continue
                elif b"image" not in low:  # rel image_src, or as=image
                    continue
            attrs = _attrs(raw)
            if tag == b"meta":
                key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
                if key not in _IMAGE_METAS:
                    continue
                candidates = [attrs.get("content", "")]
            else:
                rel = attrs.get("rel", "").lower().split()
                if "image_src" not in rel and (
                    "preload" not in rel or attrs.get("as", "").lower() != "image"
                ):
                    continue
                candidates = [attrs.get("href", "")]
        for candidate in candidates:
            url = _absolute(base, candidate, plain)
            if url is not None and url not in seen:
                seen[url] = None
                if len(seen) >= MAX_LINKS:
                    return tuple(seen)
    return tuple(seen)


def _plain(base: str) -> tuple[str, str] | None:
    """(scheme://host[:port], directory path) of a base ``urljoin`` resolves paths under by
    concatenation, or None."""
    match = _PLAIN_BASE.fullmatch(base) if len(base) <= _FAST_MAX else None
    if match is None:
        return None
    return match.group(1), (match.group(2) or "") + "/"


def _absolute(base: str, link: str, plain: tuple[str, str] | None = None) -> str | None:
    link = link.strip()
    if not link or link.startswith(("data:", "javascript:", "#")):
        return None
    if len(link) > _FAST_MAX:  # the patterns are linear but slower per byte than urljoin
        plain = None
    elif link[0] == "h" and _ABSOLUTE.fullmatch(link):
        return link
    if plain is not None:
        if link[0] == "/":
            if _ROOTED.fullmatch(link):
                return plain[0] + link
        elif _RELATIVE.fullmatch(link):
            return plain[0] + plain[1] + link
    try:
        url = urljoin(base, link)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts._replace(fragment="").geturl()
