"""Properties for the defect classes of the review (issue 17, ../shared/review.md F1-F5).

Each test states a property that holds for every input of its class, not only the example that
exposed the defect: every cut position of the head windows (F1), every joining of header fields
(F2), every memo's keys (F3), every character of a crawler token (F4), and the per-URL work of
site evaluation against the number of robots.txt extension lines (F5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from optout_middleware.formats import htmlhead
from optout_middleware.formats.htmlhead import extract_head

if TYPE_CHECKING:
    import pytest

# --- F1: the head of a cut window is the head of the whole document --------------------------

# Head content an HTML page may hold, including the constructs a cut can land inside: long tags,
# quoted ">" in values, raw-text elements holding "<", comments holding tags. No "</head" and
# no "<body": the window path, not the marker path.
_HEAD_PIECES = [
    '<meta name="robots" content="noai">',
    '<meta name="tdm-reservation" content="1">',
    "<meta name=CCBot content=noimageai>",
    '<meta content="a > b" name="description">',
    '<meta name="x" content=\'it\'s "quoted" >\'>',
    '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">',
    '<link rel="preload" href="/f.woff2" as="font">',
    '<base href="/b/">',
    "<title>a < b &amp; <meta name=robots content=noai></title>",
    "<script>if (a<b && c>d) { x = '<meta>'; }</script>",
    "<style>p > a { color: red }</style>",
    "<!-- <meta name=robots content=noai> -->",
    "<noscript><link rel=stylesheet href=/n.css></noscript>",
    "<script src=/a.js></script>",
    "\n  ",
]
_BODY_PIECES = ["<p>text</p>", "text", "<div><meta name=robots content=noai></div>", ""]


def _full_parse(doc: bytes) -> htmlhead.HtmlHead:
    """The oracle: the same collector over the parse of the whole document."""
    root = etree.fromstring(doc, htmlhead._PARSER)
    return htmlhead._collect(root, False, len(doc), "utf-8")


def _signals(head: htmlhead.HtmlHead) -> tuple[object, ...]:
    return (head.metas, head.links, head.base_href)


def _every_cut_agrees(doc: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _signals(_full_parse(doc))
    for cut in range(1, len(doc) + 1):
        monkeypatch.setattr(htmlhead, "_FIRST_WINDOW", cut)
        got = _signals(extract_head(doc))
        assert got == expected, f"first window cut at byte {cut}: {doc[cut - 20 : cut + 20]!r}"


def test_head_window_cut_at_every_position_gives_the_full_document_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review F1: a document without ``</head>`` and ``<body>`` (valid HTML) has the same head
    signals whatever byte the first window (and the windows after it) ends at."""
    doc = ("<html><head>" + "".join(_HEAD_PIECES) + "<p>text</p><meta name=x content=y>").encode()
    _every_cut_agrees(doc, monkeypatch)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(_HEAD_PIECES), min_size=1, max_size=8),
    st.sampled_from(_BODY_PIECES),
    st.booleans(),
)
def test_head_window_cut_property_over_generated_heads(
    monkeypatch: pytest.MonkeyPatch, pieces: list[str], body: str, html_tag: bool
) -> None:
    """Review F1 as a property: any head of ordinary tags, every cut position of every window."""
    doc = (("<html><head>" if html_tag else "") + "".join(pieces) + body).encode()
    _every_cut_agrees(doc, monkeypatch)


def test_review_f1_example_noai_after_an_8_kib_window_ending_inside_a_link_tag() -> None:
    """Review F1, the reported input: byte 8192 falls inside ``<link r|el``; ``noai`` counts."""
    desc = '<meta name="description" content="' + "a" * 8127 + '">'
    doc = (
        "<html><head><title>t</title>"
        + desc
        + '<link rel="preload" href="/f.woff2" as="font">'
        + '<meta name="robots" content="noai"><p>text</p>'
    ).encode()
    assert b"<link r" in doc[8180:8200]
    for shift in range(-40, 60):  # and each neighbouring offset of the cut
        shifted = doc.replace(b"a" * 8127, b"a" * (8127 + shift))
        assert htmlhead.MetaTag("robots", "noai") in extract_head(shifted).metas, shift
