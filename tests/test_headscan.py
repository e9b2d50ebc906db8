"""The simple-head reader (formats/headscan.py) against lxml, which reads every other head.

Each rule of the module has a test below; the differential test generates heads from the
fragments real and hostile pages hold and checks that whenever the reader answers, it answers
what the lxml reading does (and that it does answer for the common, simple heads).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optout_middleware.formats import htmlhead
from optout_middleware.formats.headscan import read_tag, simple_head_tags
from optout_middleware.formats.htmlhead import LinkTag, MetaTag, extract_head


def _by_lxml(body: bytes, monkeypatch: pytest.MonkeyPatch) -> htmlhead.HtmlHead:
    with monkeypatch.context() as patch:
        patch.setattr(htmlhead, "simple_head_tags", lambda prefix: None)
        return extract_head(body)


TYPICAL = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    b"<title>A <meta name=robots content=noai> title</title>\n"
    b'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    b'<link rel="stylesheet" href="/main.css">\n<!-- <meta name="robots" content="noai"> -->\n'
    b'<style>body { color: red } /* </head> */</style>\n<meta name="robots" content="noai">\n'
    b'<script>if (a < b) { document.write("<meta name=tdm-reservation content=1>") }</script>\n'
    b'<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">\n'
    b"</head><body><p>text</p></body></html>"
)


def test_a_typical_head_is_read_without_lxml() -> None:
    """The point of the module: a head of tags, a title, a style, a script and comments."""
    prefix = TYPICAL[: TYPICAL.rindex(b"</head>")]
    tags = simple_head_tags(prefix)
    assert tags is not None
    assert [t[:5] for t in tags] == [b"<meta", b"<meta", b"<link", b"<meta", b"<link"]


def test_tags_inside_titles_scripts_styles_and_comments_are_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RCDATA, RAWTEXT, script data and comments hold no tags; the reading equals lxml's."""
    head = extract_head(TYPICAL)
    assert head.metas == (
        MetaTag("viewport", "width=device-width, initial-scale=1"),
        MetaTag("robots", "noai"),
    )
    assert head.links[1] == LinkTag(
        frozenset({"license"}), "https://creativecommons.org/licenses/by/4.0/"
    )
    assert head == _by_lxml(TYPICAL, monkeypatch)


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        (b"<head><noscript><meta name=a content=b></noscript>", "noscript"),
        (b"<head><template><meta name=a content=b></template>", "template"),
        (b"<head>some text<meta name=a content=b>", "text opens the body"),
        (b"<head><div></div><meta name=a content=b>", "a body element"),
        (
            b"<head><script><!--<script></script><meta name=a content=b><script>--></script>",
            "script data escapes: the meta is script text",
        ),
        (b"<head><script>never closed", "cut inside a script"),
        (b"<head><!-- never closed", "cut inside a comment"),
        (b'<head><meta name="cut', "cut inside a tag"),
        (b"<head><!-- a --!> <meta name=a content=b>", "--!> closes a comment"),
        (b"<head>\x00<meta name=a content=b>", "NUL"),
        (b"<head><meta name=\xff content=b>", "not UTF-8"),
        (b"<head></title><meta name=a content=b>", "a stray end tag"),
        (b"<head><?php x ?><meta name=a content=b>", "a processing instruction"),
    ],
)
def test_what_is_not_simple_goes_to_lxml(prefix: bytes, why: str) -> None:
    """Anything outside the simple grammar is left to the full parser."""
    assert simple_head_tags(prefix) is None, why


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'<META NAME="A" name="b" CONTENT=x>', ("meta", {"name": "A", "content": "x"})),
        (b"<meta name content=x>", ("meta", {"name": "", "content": "x"})),
        (b"<meta name=robots/>", ("meta", {"name": "robots/"})),
        (b"<meta/name='a'/content='b'/>", ("meta", {"name": "a", "content": "b"})),
        (b'<meta name="a" content="x\r\ny\rz">', ("meta", {"name": "a", "content": "x\ny\nz"})),
        (b'<link href="/a?x=1&amp;y=&#50;&#x33;">', ("link", {"href": "/a?x=1&y=23"})),
        (b"<meta name = 'a' content = \"b\" >", ("meta", {"name": "a", "content": "b"})),
    ],
)
def test_attributes_are_read_as_the_tokenizer_reads_them(
    raw: bytes, expected: tuple[str, dict[str, str]]
) -> None:
    """First of two equal names wins, value-less is "", "/" stays in an unquoted value and
    separates attributes, CR/CRLF become LF, plain character references are decoded."""
    assert read_tag(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"<meta content=&notit;>",  # a legacy reference: its meaning depends on what follows
        b"<meta content='&amp'>",  # no ";"
        b"<meta content='&#0;'>",  # a number the tokenizer replaces
        b"<meta content=a=b>",  # "=" in an unquoted value
        b'<meta name="a"content="b">',  # no space between attributes
        b'<meta n"ame="a">',  # a quote in a name
        b"<meta/name=a/content='b'/>",  # "=" and "'" in an unquoted value
    ],
)
def test_tags_it_cannot_be_sure_of_are_refused(raw: bytes) -> None:
    """A reference or attribute whose reading depends on tokenizer details returns None."""
    assert read_tag(raw) is None


def test_the_tag_cache_is_bounded() -> None:
    """Hostile pages with endless distinct tags must not grow memory."""
    for i in range(htmlhead._TAGS_CACHE_MAX + 50):
        extract_head(b'<head><meta name="n%d" content="c"></head>' % i)
    assert len(htmlhead._tags_cache) <= htmlhead._TAGS_CACHE_MAX


_NAMES = st.sampled_from(["name", "NAME", "content", "Content", "rel", "href", "type", "x", "as"])
_VALUES = st.sampled_from(
    ["robots", "noai", "tdm-reservation", "1", "license", "LICENSE stylesheet", "/a", "",
     "a b", "a>b", "a/b", "<body>", "</head>", "&amp;", "&notit;", "&#65;", "\r\nx", "é", "x'y"]
)  # fmt: skip


@st.composite
def _attribute(draw: st.DrawFn, names: st.SearchStrategy[str] = _NAMES) -> bytes:
    name = draw(names).encode()
    value = draw(_VALUES).encode()
    form = draw(st.sampled_from(["dq", "sq", "bare", "none", "spaced"]))
    sep = draw(st.sampled_from([b" ", b"\n", b"/", b"  ", b"\t"]))
    if form == "none":
        return sep + name
    if form == "dq":
        return sep + name + b'="' + value + b'"'
    if form == "sq":
        return sep + name + b"='" + value + b"'"
    if form == "spaced":
        return sep + name + b' = "' + value + b'"'
    return sep + name + b"=" + value


@st.composite
def _fragment(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(
            ["meta", "meta", "link", "link", "base", "title", "style", "script", "comment",
             "ws", "text", "noscript", "template", "oddcomment", "end", "div"]
        )
    )  # fmt: skip
    if kind in ("meta", "link", "base"):
        read = {"meta": ["name", "content"], "link": ["rel", "href"], "base": ["href"]}[kind]
        wanted = [draw(_attribute(st.just(n))) for n in read]  # mostly a tag that counts
        attrs = b"".join(draw(st.permutations(wanted + draw(st.lists(_attribute(), max_size=2)))))
        tag = draw(st.sampled_from([kind, kind.upper()])).encode()
        return b"<" + tag + attrs + draw(st.sampled_from([b">", b"/>", b" />"]))
    text = draw(
        st.sampled_from(
            ["x", "<meta name=robots content=noai>", "</head>", "<!--", "</", "<!--<script>"]
        )
    )
    raw = {
        "title": "<title>{}</title>",
        "style": "<style>{}</STYLE>",
        "script": "<script type='a'>{}</script >",
        "comment": "<!--{}-->",
        "noscript": "<noscript>{}</noscript>",
        "template": "<template>{}</template>",
        "oddcomment": draw(st.sampled_from(["<!-->", "<!--->", "<!-- --!>", "<!--a--->"])),
        "ws": draw(st.sampled_from([" ", "\n", "\r\n", "\t", "\f"])),
        "text": draw(st.sampled_from(["text", "&nbsp;", "\u00a0"])),
        "end": "</title>",
        "div": "<div>",
    }[kind]
    return raw.format(text).encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([b"", b"<!DOCTYPE html>", b"\xef\xbb\xbf<!doctype html>\n"]),
    st.sampled_from([b"<html><head>", b"<HTML lang=en>\n<Head>", b"<head>", b""]),
    st.lists(_fragment(), max_size=10),
    st.sampled_from([b"</head><body>x", b"<body>", b"</HEAD >"]),
)
def test_differential_against_lxml(
    doctype: bytes, start: bytes, fragments: list[bytes], end: bytes
) -> None:
    """Whatever the simple reader answers, lxml's reading of the same head is the same."""
    body = doctype + start + b"".join(fragments) + end
    with pytest.MonkeyPatch.context() as patch:
        fast = extract_head(body)
        patch.setattr(htmlhead, "simple_head_tags", lambda prefix: None)
        slow = extract_head(body)
    assert fast == slow, body


def test_a_head_with_an_rsl_script_goes_to_lxml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the parser returns script texts: an inline RSL licence (any case) is read by lxml."""
    body = (
        b'<head><meta name="a" content="b"><script TYPE="Application/RSL+XML"><rsl/></script>'
        b'<link rel="license" type="application/rsl+xml" href="/l.xml"></head>'
    )
    assert simple_head_tags(body[: body.index(b"</head>")]) is None
    head = extract_head(body)
    assert head.rsl_scripts == ("<rsl/>",)
    assert head == _by_lxml(body, monkeypatch)
