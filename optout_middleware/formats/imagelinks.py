"""The image URLs an HTML page presents: ``<img src|srcset|data-src>``, ``<picture><source
srcset>``, ``og:image``/``twitter:image`` metas and ``<link rel=image_src|preload as=image>``.

Used only for pages that reserve their images (``noai``/``noimageai``), so that an image is
known to be covered even when the spider never yields a request for it from that page (the
dupefilter dropped it, an ``ImagesPipeline`` downloads it, or the page itself was dropped).
A tag scan, not an HTML parser: bounded (the first :data:`MAX_SCAN_BYTES` of the body, at most
:data:`MAX_LINKS` URLs, tags of at most 4 KiB), linear in the body size, and blind to images
added by scripts or CSS ``background-image``.
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


def _attrs(raw: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        name = match.group(1).decode("ascii", "replace").lower()
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if value is None:
            value = match.group(4)
        found.setdefault(name, html.unescape(value.decode("utf-8", "replace")))
    return found


def _srcset(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.split()]


def image_links(body: bytes, base_url: str) -> tuple[str, ...]:
    """Absolute http(s) URLs of the images ``body`` presents, in order, without fragments."""
    base = base_url
    seen: dict[str, None] = {}
    for match in _TAG.finditer(body, 0, MAX_SCAN_BYTES):
        tag = match.group(1).lower()
        attrs = _attrs(match.group(2))
        candidates: list[str] = []
        if tag == b"base":
            if "href" in attrs and base is base_url:
                base = urljoin(base_url, attrs["href"].strip())
            continue
        if tag == b"img":
            candidates = [attrs.get("src", ""), attrs.get("data-src", "")]
            candidates += _srcset(attrs.get("srcset", "")) + _srcset(attrs.get("data-srcset", ""))
        elif tag == b"source":
            candidates = [attrs.get("src", ""), *_srcset(attrs.get("srcset", ""))]
        elif tag == b"meta":
            key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
            if key in _IMAGE_METAS:
                candidates = [attrs.get("content", "")]
        else:  # link
            rel = attrs.get("rel", "").lower().split()
            if "image_src" in rel or ("preload" in rel and attrs.get("as", "").lower() == "image"):
                candidates = [attrs.get("href", "")]
        for candidate in candidates:
            url = _absolute(base, candidate)
            if url is not None and url not in seen:
                seen[url] = None
                if len(seen) >= MAX_LINKS:
                    return tuple(seen)
    return tuple(seen)


def _absolute(base: str, link: str) -> str | None:
    link = link.strip()
    if not link or link.startswith(("data:", "javascript:", "#")):
        return None
    try:
        url = urljoin(base, link)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts._replace(fragment="").geturl()
