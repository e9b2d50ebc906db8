"""formats.imagelinks: which URLs a page presents as images, and the fast scan against a plain one.

The rule tests name the tag rules of the module docstring; the differential test runs the scan
and the plain reading it replaced (kept here as the oracle: every tag's attributes parsed and
unescaped, every URL through ``urljoin`` + ``urlsplit``) on generated pages and base URLs.
"""

from __future__ import annotations

import contextlib
import html
import re
from urllib.parse import urljoin, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from optout_middleware.formats.imagelinks import MAX_LINKS, image_links

BASE = "http://example.com/gallery/page.html"


# --- the oracle: the implementation before the fast scan, verbatim --------------------------

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


def oracle_image_links(body: bytes, base_url: str) -> tuple[str, ...]:
    base = base_url
    seen: dict[str, None] = {}
    for match in _TAG.finditer(body, 0, 2 << 20):
        tag = match.group(1).lower()
        attrs = _attrs(match.group(2))
        candidates: list[str] = []
        if tag == b"base":
            if "href" in attrs and base is base_url:
                # The one change to the old scan: it raised on an unparsable base.
                with contextlib.suppress(ValueError):
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
        else:
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


# --- rules ------------------------------------------------------------------------------------


def test_img_src_data_src_and_both_srcsets_are_images_in_order() -> None:
    body = (
        b'<img data-srcset="/d1.png 1x" srcset="/s1.png 1x, /s2.png 2x" data-src="/d.png" '
        b'src="/a.png">'
    )
    assert image_links(body, BASE) == tuple(
        f"http://example.com{p}" for p in ("/a.png", "/d.png", "/s1.png", "/s2.png", "/d1.png")
    )


def test_picture_source_srcset_is_an_image() -> None:
    body = b'<picture><source srcset="a.webp 1x, b.webp 2x"><img src="c.jpg"></picture>'
    assert image_links(body, BASE) == (
        "http://example.com/gallery/a.webp",
        "http://example.com/gallery/b.webp",
        "http://example.com/gallery/c.jpg",
    )


def test_og_and_twitter_image_metas_count_other_metas_do_not() -> None:
    body = (
        b'<meta property="og:image" content="https://cdn.example.net/og.jpg">'
        b'<meta name="TWITTER:IMAGE" content="/tw.jpg">'
        b'<meta name="twitter:card" content="summary_large_image">'
        b'<meta property="og:title" content="/not-an-image.jpg">'
    )
    assert image_links(body, BASE) == (
        "https://cdn.example.net/og.jpg",
        "http://example.com/tw.jpg",
    )


def test_a_meta_name_spelled_with_a_character_reference_still_counts() -> None:
    body = b'<meta property="og:&#105;mage" content="/ref.jpg">'
    assert image_links(body, BASE) == ("http://example.com/ref.jpg",)


def test_link_image_src_and_preload_as_image_count_other_links_do_not() -> None:
    body = (
        b'<link rel="image_src" href="/i.jpg"><link rel="preload" as="image" href="/p.jpg">'
        b'<link rel="preload" as="style" href="/s.css"><link rel="stylesheet" href="/x.css">'
    )
    assert image_links(body, BASE) == ("http://example.com/i.jpg", "http://example.com/p.jpg")


def test_the_first_base_href_resolves_relative_urls() -> None:
    body = b'<base href="https://img.example.org/root/"><base href="/ignored/"><img src="a.png">'
    assert image_links(body, BASE) == ("https://img.example.org/root/a.png",)


def test_an_unparsable_base_href_is_ignored_not_raised() -> None:
    """HTML: a base URL that fails to parse leaves the document's URL as the base; a hostile
    ``<base href="http://[">`` on a reserving page must not raise mid-crawl."""
    body = b'<base href="http://["><img src="a.jpg"><base href="/b/">'
    assert image_links(body, "http://e.com/d/") == ("http://e.com/d/a.jpg",)


def test_fragments_are_dropped_and_duplicates_listed_once() -> None:
    body = b'<img src="/a.png#x"><img src="/a.png"><img src="http://example.com/a.png#y">'
    assert image_links(body, BASE) == ("http://example.com/a.png",)


def test_data_javascript_fragment_only_and_non_http_urls_are_not_images() -> None:
    body = (
        b'<img src="data:image/png;base64,AAAA"><img src="javascript:void(0)"><img src="#top">'
        b'<img src="ftp://example.com/a.png"><img src="">'
    )
    assert image_links(body, BASE) == ()


def test_dot_segments_and_entities_resolve_as_urljoin_does() -> None:
    body = b'<img src="../up/./a.png?x=1&amp;y=2"><img src="/b//c.png">'
    assert image_links(body, BASE) == (
        "http://example.com/up/a.png?x=1&y=2",
        "http://example.com/b//c.png",
    )


def test_at_most_max_links_urls_are_listed() -> None:
    body = b"".join(b'<img src="/%d.png">' % i for i in range(MAX_LINKS + 5))
    assert len(image_links(body, BASE)) == MAX_LINKS


# --- the differential test ----------------------------------------------------------------------

_URL_PARTS = [
    "http://example.com", "https://Example.COM:8443", "HTTP://x.test", "http://u@x.test",
    "http://[::1]", "http://[bad", "http:///nohost", "//cdn.test", "ftp://x", "data:x",
    "javascript:x", "mailto:a@b", "a:b", "/", "//", "/.", "/..", ".", "..", "./", "../", "img",
    "a.png", "a.", "..x", "...", ".hidden", "%2e%2e", "dir/", "x;p=1", ";p", "?", "?q=1",
    "?a=b&amp;c", "#", "#frag", "&amp;", "&#47;", "&#x2F;", "&#105;", "&", " ", "\t", "\n",
    "\x00", "\\", ":", "@", "\u00e9", "\ufeff", "=", "'", '"', "~", "%20", "+",
]  # fmt: skip
_url = st.lists(st.sampled_from(_URL_PARTS) | st.sampled_from(["/", "/a", "b", "."]), max_size=7)
_link = _url.map("".join)
_base = st.one_of(
    st.sampled_from(
        [
            BASE,
            "http://example.com",
            "http://example.com/",
            "https://h.test:8080/a/b/",
            "http://h.test/a//b/c.html",
            "http://h.test/a/./b/../c",
            "http://h.test/a/..",
            "http://h.test/a;p/b;q",
            "HTTP://H.test/x/y",
            "http://h.test/x?q=1#f",
            "http://h.test?q",
            "http://h.test#f",
            "",
            "not a url",
            " http://h.test/x",
            "http://h.test/a\n/b",
        ]
    ),
    _link.map(lambda p: "http://h.test" + p),
)
_value = st.one_of(_link, st.lists(_link, max_size=3).map(", ".join))
_ATTR_NAMES = [
    "src", "SRC", "data-src", "srcset", "data-srcset", "href", "rel", "as", "property", "name",
    "content", "alt", "class",
]  # fmt: skip
_TAG_NAMES = ["img", "IMG", "source", "meta", "Meta", "link", "base", "a", "imgx", "div"]
_REL_VALUES = ["image_src", "preload", "Preload", "stylesheet", "icon", "image", "&#105;mage_src"]
_META_NAMES = ["og:image", "OG:Image", "og:image:url", "og:image:secure_url", "twitter:image",
               "twitter:card", "og:&#105;mage", "description", ""]  # fmt: skip
_attr_value = st.one_of(
    _value, st.sampled_from(_REL_VALUES + _META_NAMES + ["image", "style", "summary_large_image"])
)


@st.composite
def _tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_TAG_NAMES))
    attrs = []
    for _ in range(draw(st.integers(0, 5))):
        attr = draw(st.sampled_from(_ATTR_NAMES))
        value = draw(_attr_value)
        quote = draw(st.sampled_from(['"', "'", ""]))
        if not quote:
            value = re.sub(r"[\s\"'=<>`]", "", value) or "x"
        attrs.append(f"{attr}={quote}{value.replace(quote, '') if quote else value}{quote}")
    spacing = draw(st.sampled_from([" ", "  ", "\n", " / "]))
    return f"<{name}{' ' if attrs else ''}{spacing.join(attrs)}>"


_page = st.lists(
    st.one_of(_tag(), st.sampled_from(["text", "<", ">", "<p>", "<img", "&amp;", "\n"])),
    max_size=12,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_page, _base)
@example('<img src="/a.png"><img src="b/c.png?x=1">', "http://h.test/a/b.html")
@example('<base href="x/"><img src="a.png">', "http://h.test/a/b.html")
@example('<img src="a.">', "http://h.test/")
def test_image_links_equals_the_plain_reading(page: str, base: str) -> None:
    body = page.encode("utf-8")
    assert image_links(body, base) == oracle_image_links(body, base)


@settings(max_examples=1500, deadline=None)
@given(_link, _base)
def test_each_url_resolves_as_urljoin_resolves_it(link: str, base: str) -> None:
    """Every link, in ``src`` and in ``og:image``, against every base."""
    quoted = html.escape(link, quote=True)
    body = f'<img src="{quoted}"><meta property="og:image" content="{quoted}">'.encode()
    assert image_links(body, base) == oracle_image_links(body, base)


def test_long_urls_and_bases_take_urljoin_with_the_same_result() -> None:
    """URLs over 1 KiB skip the concatenation patterns (hostile lengths cost urljoin's time)."""
    long_path = "/".join(["seg"] * 400)
    base = f"http://h.test/{long_path}/page.html"
    body = (
        f'<img src="{long_path}/a.png"><img src="/{long_path}/./b.png">'
        f'<img src="http://h.test/{long_path}/c.png">'
    ).encode()
    for page_base in (base, BASE):
        assert image_links(body, page_base) == oracle_image_links(body, page_base)
    assert image_links(body, base)[0] == f"http://h.test/{long_path}/{long_path}/a.png"
