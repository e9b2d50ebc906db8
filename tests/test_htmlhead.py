"""Bounded <head> extraction (htmlhead.py): structures, bounds, encodings, hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.formats.htmlhead import (
    EMPTY_HEAD,
    MAX_HEAD_BYTES,
    HtmlHead,
    LinkTag,
    MetaTag,
    extract_head,
)
from optout_middleware.inputs import HeaderList, ResponseView

DATA = Path(__file__).parent / "data"
HTML = DATA / "html"

NOAI = MetaTag("robots", "noai")


def names(head: HtmlHead) -> list[str]:
    return [m.name for m in head.metas]


def big_body(size: int) -> bytes:
    row = b'<div class="row"><p>Some text <a href="/x">a link</a></p></div>\n'
    return row * (size // len(row) + 1)


# --- meta tags -------------------------------------------------------------------------------


def test_meta_name_is_lowercased_and_stripped_content_stripped() -> None:
    """specs.md 5.2 / 1.3C: meta names compare ASCII-case-insensitively; values are trimmed."""
    head = extract_head(b'<head><META NAME=" Robots\t" Content="  NoAI, NoImageAI \n"></head>')
    assert head.metas == (MetaTag("robots", "NoAI, NoImageAI"),)


def test_meta_name_lowercasing_is_ascii_only() -> None:
    """HTML compares names with ASCII case folding: a KELVIN SIGN is not a "k"."""
    head = extract_head('<head><meta name="\u212aeywords" content="x"></head>'.encode())
    assert head.metas == (MetaTag("\u212aeywords", "x"),)


def test_tdm_reservation_meta_name_is_case_insensitive() -> None:
    """specs.md 1.3C: HTML meta name values compare ASCII-case-insensitively."""
    head = extract_head(b'<head><meta name="TDM-Reservation" content="1"></head>')
    assert head.meta("tdm-reservation") == ("1",)


def test_duplicate_attributes_first_wins() -> None:
    """HTML tokenizer: a repeated attribute on one tag is dropped; the first one counts."""
    head = extract_head(b"<head><meta name=robots content=noai name=x content=index></head>")
    assert head.metas == (NOAI,)


def test_meta_without_content_has_empty_content() -> None:
    """A name without content is kept (an audit trail can say the value was missing)."""
    head = extract_head(b"<head><meta name=tdm-reservation></head>")
    assert head.metas == (MetaTag("tdm-reservation", ""),)


def test_http_equiv_and_property_metas_are_ignored() -> None:
    """Only name= metas are signals here; http-equiv and RDFa property metas are not read."""
    head = extract_head(
        b'<head><meta http-equiv="X-Robots-Tag" content="noai">'
        b'<meta property="og:title" content="t"><meta name=robots content=noai></head>'
    )
    assert head.metas == (NOAI,)


def test_repeated_metas_are_all_kept_in_document_order() -> None:
    """Several metas of one name are all returned, in order."""
    head = extract_head(
        b"<head><meta name=robots content=index><meta name=a content=1>"
        b"<meta name=robots content=noai></head>"
    )
    assert head.meta("robots") == ("index", "noai")
    assert names(head) == ["robots", "a", "robots"]


def test_character_references_in_values_are_decoded() -> None:
    """Attribute values are HTML-decoded (&amp; in hrefs is common)."""
    head = extract_head(b'<head><link rel=license href="/l?a=1&amp;b=2"></head>')
    assert head.links == (LinkTag(frozenset({"license"}), "/l?a=1&b=2"),)


# --- link and base ---------------------------------------------------------------------------


def test_link_rel_is_split_on_ascii_whitespace_and_lowercased() -> None:
    """specs.md 9.4: rel is a space-separated, ASCII-case-insensitive token list."""
    head = extract_head(b'<head><link rel=" License\tNoFollow\n" href=" /l "></head>')
    assert head.links == (LinkTag(frozenset({"license", "nofollow"}), "/l"),)


def test_link_rel_is_not_split_on_non_ascii_space() -> None:
    """Only ASCII whitespace separates rel tokens; a no-break space is part of a token."""
    head = extract_head('<head><link rel="license\u00a0x" href="/l"></head>'.encode())
    assert head.links[0].rels == frozenset({"license\u00a0x"})


def test_link_without_href_or_rel_is_skipped() -> None:
    """A link needs both a rel and a target to be a signal."""
    head = extract_head(b"<head><link rel=license><link href=/x><link rel=a href=/b></head>")
    assert head.links == (LinkTag(frozenset({"a"}), "/b"),)


def test_first_base_with_href_wins() -> None:
    """HTML: the document base URL comes from the first <base> element with an href."""
    head = extract_head(b"<head><base target=_top><base href=/a/><base href=/b/></head>")
    assert head.base_href == "/a/"


# --- document shapes -------------------------------------------------------------------------


def test_metas_without_head_tag_after_html() -> None:
    """HTML allows omitting <head>: metas directly after <html> are in the head."""
    head = extract_head(b"<html><meta name=robots content=noai><body><p>x</p></body></html>")
    assert head.metas == (NOAI,)


def test_metas_at_top_without_html_tag() -> None:
    """A fragment that starts with a meta is read."""
    assert extract_head(b"<meta name=robots content=noai>").metas == (NOAI,)


def test_xhtml_document_fixture() -> None:
    """XHTML: XML declaration, namespace, self-closing tags, uppercase values."""
    head = extract_head((HTML / "xhtml_strict.xhtml").read_bytes())
    assert head.meta("robots") == ("NoAI",)
    assert head.links == (
        LinkTag(frozenset({"license"}), "http://creativecommons.org/licenses/by-sa/3.0/de/"),
    )
    assert head.base_href == "https://xhtml.example/docs/"


def test_script_with_fake_head_end_and_fake_meta_fixture() -> None:
    """A </head> or <meta> inside a script or comment is text; metas after it are read."""
    head = extract_head((HTML / "artwork_noai.html").read_bytes())
    assert head.meta("robots") == ("noai, noimageai",)  # not the fake nor the body "index"
    assert head.meta("tdm-reservation") == ("1",)


@pytest.mark.parametrize(
    "container",
    [
        b'<script>var s = "</head><body>";</script>',
        b"<SCRIPT>var s = '</HEAD>';</SCRIPT >",
        b"<style>/* </head> */</style>",
        b"<title>How </head> works</title>",
        b"<script></head></script>",
        b"<!-- </head> -->",
        b"<!-- <body> -->",
        b"<!--> <!-- </head> -->",
    ],
)
def test_head_end_inside_raw_text_or_comment_is_not_the_end(container: bytes) -> None:
    """The head does not end at a </head> or <body> that is element text or a comment."""
    head = extract_head(b"<html><head>" + container + b"<meta name=robots content=noai></head>")
    assert head.metas == (NOAI,)


def test_head_end_inside_comment_before_html_is_not_the_end() -> None:
    """A comment before <html> holding a fake end does not end the head."""
    head = extract_head(b"<!-- </head> --><html><head><meta name=robots content=noai></head>")
    assert head.metas == (NOAI,)


def test_head_end_inside_attribute_value_is_not_the_end() -> None:
    """A quoted attribute value may contain </head>; the tag and the metas after it count."""
    head = extract_head(
        b'<head><meta name=description content="the </head> tag">'
        b"<meta name=robots content=noai></head><body><meta name=late></body>"
    )
    assert names(head) == ["description", "robots"]


def test_unclosed_script_in_head_swallows_the_rest() -> None:
    """HTML: an unclosed <script> runs to the end of the document; metas before it count."""
    head = extract_head(b"<head><meta name=a><script>x = 1; </head><meta name=robots content=noai>")
    assert names(head) == ["a"]


def test_head_ends_without_marker_when_body_content_starts() -> None:
    """HTML may omit </head> and <body>: the head ends at the first body content."""
    head = extract_head((HTML / "minified_no_head_end.html").read_bytes())
    assert head.meta("robots") == ("noai",)  # the later noimageai meta is in the body
    assert head.links == (LinkTag(frozenset({"license", "nofollow"}), "/licence"),)


def test_meta_in_body_is_not_read() -> None:
    """Deviation from specs.md 5.6/1.7 [inferred]: metas in <body> are not read (cost)."""
    head = extract_head(b"<head></head><body><meta name=robots content=noai></body>")
    assert head.metas == ()


# --- bounds ----------------------------------------------------------------------------------


def test_large_page_parses_only_its_head() -> None:
    """Only the head is handed to the parser: the work does not grow with the body."""
    head_html = b"<html><head><meta name=robots content=noai></head><body>"
    body = head_html + big_body(1024 * 1024) + b"<meta name=late></body></html>"
    head = extract_head(body)
    assert head.metas == (NOAI,)
    assert head.parsed_bytes == len(head_html) - len(b"</head><body>")
    assert not head.truncated


def test_large_page_without_head_end_parses_a_bounded_window() -> None:
    """Without </head> or <body>, lxml finds the implied body in a small first window."""
    body = b"<html><meta name=robots content=noai>" + big_body(1024 * 1024)
    head = extract_head(body)
    assert head.metas == (NOAI,)
    assert head.parsed_bytes <= 8 * 1024
    assert not head.truncated


def test_head_longer_than_cap_is_truncated() -> None:
    """A head that does not end within the cap is read up to the cap and flagged."""
    body = b"<html><head><meta name=robots content=noai>" + b"<meta name=x>" * 2000
    head = extract_head(body, max_bytes=4096)
    assert head.truncated
    assert head.parsed_bytes == 4096
    assert head.metas[0] == NOAI


def test_default_cap_is_256_kib() -> None:
    """The default cap bounds any document."""
    body = b"<html><head>" + b"<meta name=x>" * (MAX_HEAD_BYTES // 10)
    head = extract_head(body)
    assert head.truncated
    assert head.parsed_bytes == MAX_HEAD_BYTES


def test_deeply_nested_unclosed_tags_are_bounded() -> None:
    """Deep nesting after the head: parsing stops at the implied body, in a bounded window."""
    body = b"<html><head><meta name=robots content=noai>" + b"<div><b><i>" * 100_000
    head = extract_head(body)
    assert head.metas == (NOAI,)
    assert head.parsed_bytes <= 8 * 1024 + len(b"<div>")  # the window ends after a whole tag


def test_deeply_nested_unknown_tags_in_head_are_capped() -> None:
    """Elements that keep the head open (unknown ones) are read only up to the cap."""
    body = b"<html><head><meta name=robots content=noai>" + b"<x-a>" * 100_000
    head = extract_head(body, max_bytes=64 * 1024)
    assert head.metas == (NOAI,)
    assert head.parsed_bytes <= 64 * 1024
    assert head.truncated


def test_many_scripts_with_fake_ends_are_skipped_linearly() -> None:
    """A fake end in each of many scripts costs one re-scan, not one parse per script."""
    scripts = b'<script>"</head>"</script>' * 2000
    head = extract_head(b"<head>" + scripts + b"<meta name=robots content=noai></head><body>")
    assert head.metas == (NOAI,)
    assert head.parsed_bytes == len(b"<head>" + scripts + b"<meta name=robots content=noai>")


# --- encodings -------------------------------------------------------------------------------


def test_declared_windows_1252_is_decoded() -> None:
    """A meta charset is honoured for non-ASCII values."""
    head = extract_head((HTML / "windows1252_declared.html").read_bytes())
    assert head.meta("description") == ("Caf\u00e9 cr\u00e8me",)
    assert head.encoding == "cp1252"


def test_http_charset_overrides_meta_charset() -> None:
    """WHATWG: the transport charset beats a meta declaration."""
    body = '<meta charset="windows-1252"><meta name=d content="caf\u00e9">'.encode()
    assert extract_head(body, encoding="utf-8").meta("d") == ("caf\u00e9",)


def test_undeclared_encoding_defaults_to_utf8() -> None:
    """No BOM, no HTTP charset, no meta charset: UTF-8."""
    body = '<head><meta name=d content="caf\u00e9"></head>'.encode()
    assert extract_head(body).meta("d") == ("caf\u00e9",)


def test_utf8_bom_is_honoured() -> None:
    """A UTF-8 BOM wins over a conflicting declaration."""
    body = b"\xef\xbb\xbf" + '<meta charset=latin-1><meta name=d content="\u00e9">'.encode()
    assert extract_head(body, encoding="latin-1").meta("d") == ("\u00e9",)


@pytest.mark.parametrize("name", ["utf16le_bom.html", "utf16be_nobom.html"])
def test_utf16_documents_are_decoded(name: str) -> None:
    """UTF-16 pages (by BOM, or by their NUL-byte pattern) are decoded before the scan."""
    head = extract_head((HTML / name).read_bytes())
    assert head.meta("robots") == ("noai",)
    assert head.meta("description") == ("Caf\u00e9 cr\u00e8me",)


def test_utf16_by_http_charset() -> None:
    """An HTTP charset of UTF-16 decodes the body as UTF-16."""
    body = "<head><meta name=robots content=noai></head>".encode("utf-16-le")
    assert extract_head(body, encoding="utf-16le").metas == (NOAI,)


def test_utf16_meta_declaration_in_ascii_bytes_means_utf8() -> None:
    """WHATWG: a meta declaring UTF-16 in an ASCII-compatible document is read as UTF-8."""
    head = extract_head((HTML / "utf16_declared_utf8_bytes.html").read_bytes())
    assert head.meta("robots") == ("noai",)
    assert head.meta("description") == ("Caf\u00e9 cr\u00e8me",)


@pytest.mark.parametrize("label", ["x-bogus", "base64", "idna", "utf-7", "a\x00b", " "])
def test_unusable_charset_labels_fall_back_to_utf8(label: str) -> None:
    """Unknown labels and non-text codecs are ignored, never raised."""
    body = b"<head><meta name=robots content=noai></head>"
    assert extract_head(body, encoding=label).metas == (NOAI,)


def test_invalid_utf8_bytes_are_replaced() -> None:
    """Bad bytes become U+FFFD; the ASCII values around them survive."""
    body = b'<head><meta name=d content="a\xff\xfeb"><meta name=robots content=noai></head>'
    head = extract_head(body)
    assert head.meta("d") == ("a\ufffd\ufffdb",)
    assert head.meta("robots") == ("noai",)


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   ", b"<!-- x", b"<", b"\x00", b"<html>", b"</head>"])
def test_degenerate_documents_give_an_empty_head(body: bytes) -> None:
    """Empty, comment-only or tag-only documents have no signals and do not raise."""
    head = extract_head(body)
    assert head.metas == ()
    assert head.links == ()


def test_empty_body_is_the_empty_head() -> None:
    """No bytes: the shared empty value."""
    assert extract_head(b"") is EMPTY_HEAD


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096), st.sampled_from([None, "utf-8", "utf-16", "cp1252", "zz"]))
def test_any_bytes_never_raise(body: bytes, encoding: str | None) -> None:
    """Hostile input is normal: any bytes give a head, never an exception."""
    head = extract_head(body, encoding=encoding, max_bytes=2048)
    assert isinstance(head, HtmlHead)
    assert head.parsed_bytes <= 4 * 2048  # transcoding to UTF-8 may grow a UTF-16 prefix


_FRAGMENTS = st.sampled_from(
    [b"<head>", b"</head>", b"<body>", b"<script>", b"</script>", b"<!--", b"-->", b"<title>",
     b"<meta name=robots content=noai>", b'"', b"'", b"<", b">", b"<meta name=x content='",
     b"<plaintext>", b"\xff", b"<?", b"\x00"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40))
def test_any_mix_of_markup_fragments_never_raises(parts: list[bytes]) -> None:
    """Structure-aware fuzzing of the head-end search and its re-scan."""
    body = b"".join(parts)
    head = extract_head(body)
    assert head.parsed_bytes <= 2 * len(body) + 3  # UTF-16 (NUL pattern) grows in UTF-8


def test_corpus_files_never_raise() -> None:
    """Every fixture under tests/data parses as HTML without raising."""
    files = [p for p in DATA.rglob("*") if p.is_file()]
    assert files
    for path in files:
        body = path.read_bytes()
        head = extract_head(body)
        # never more than the document (UTF-16 grows in UTF-8) nor the cap; names normalised
        assert head.parsed_bytes <= min(2 * len(body) + 3, 2 * MAX_HEAD_BYTES), path
        assert all(
            m.name == m.name.strip(" \t\n\f\r").lower() for m in head.metas if m.name.isascii()
        )
        assert all(rel == rel.lower() for link in head.links for rel in link.rels if rel.isascii())


# --- ResponseView integration ----------------------------------------------------------------


def test_response_view_head_reads_html_only() -> None:
    """ResponseView.head runs the extraction for HTML responses and not for others."""
    body = b"<head><meta name=robots content=noai></head>"
    html = ResponseView(
        "https://e.example/", headers=HeaderList([("Content-Type", "text/html")]), body=body
    )
    image = ResponseView(
        "https://e.example/i", headers=HeaderList([("Content-Type", "image/png")]), body=body
    )
    assert html.head.metas == (NOAI,)
    assert image.head is EMPTY_HEAD


def test_window_cut_reads_past_a_tag_whose_name_is_not_utf8() -> None:
    """A page without </head> and <body>: the window scan steps over a tag whose name holds a
    non-UTF-8 byte (it is Latin-1 text to the tokenizer) and still finds the metas after it."""
    filler = b"<meta name=x content=y>" * 400  # past the first parse window
    body = b"<html><head>" + filler + b"<x\x8ay>" + filler + b'<meta name="robots" content="noai">'
    head = extract_head(body)
    assert ("robots", "noai") in [(m.name, m.content) for m in head.metas]
