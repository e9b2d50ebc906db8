"""Licence links (licence.py, specs.md 9.1/9.4): recorded, never an opt-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.inputs import Context, HeaderList, ResponseView
from optout_middleware.signals.licence import (
    CcLicence,
    LicenceSignal,
    licence_flags,
    parse_cc_licence,
    parse_link_header,
)
from optout_middleware.signals.robotsmeta import RobotsMetaSignal
from optout_middleware.verdict import Evidence, Purpose, combine

SIGNAL = LicenceSignal()
HTML = Path(__file__).parent / "data" / "html"
BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"


def page(
    head: str = "", *headers: tuple[str, str], url: str = "https://pub.example/a/b"
) -> ResponseView:
    body = f"<html><head>{head}</head><body>x</body></html>".encode()
    return ResponseView(
        url, headers=HeaderList([("Content-Type", "text/html"), *headers]), body=body
    )


def evidence(response: ResponseView) -> list[Evidence]:
    return list(SIGNAL.response_evidence(response, Context()))


# --- parse_cc_licence: the 9.1 grammar -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "flags"),
    [
        ("by", {"BY"}),
        ("by-sa", {"BY", "SA"}),
        ("by-nd", {"BY", "ND"}),
        ("by-nc", {"BY", "NC"}),
        ("by-nc-sa", {"BY", "NC", "SA"}),
        ("by-nc-nd", {"BY", "NC", "ND"}),
    ],
)
def test_cc_licence_code_decomposes_into_flags(code: str, flags: set[str]) -> None:
    """specs.md 9.1: decompose <code> into BY/SA/NC/ND flags."""
    cc = parse_cc_licence(f"https://creativecommons.org/licenses/{code}/4.0/")
    assert cc == CcLicence(
        code, "4.0", frozenset(flags), None, f"https://creativecommons.org/licenses/{code}/4.0/"
    )


@pytest.mark.parametrize("version", ["1.0", "2.0", "2.1", "2.5", "3.0", "4.0"])
def test_cc_licence_versions(version: str) -> None:
    """specs.md 9.1: versions 1.0, 2.0, 2.1, 2.5, 3.0, 4.0."""
    cc = parse_cc_licence(f"https://creativecommons.org/licenses/by-sa/{version}/")
    assert cc is not None
    assert cc.version == version


def test_cc_licence_version_1_codes_without_by() -> None:
    """Version 1.0 licences had codes such as nc-sa and by-nd-nc: any flag combination."""
    cc = parse_cc_licence("https://creativecommons.org/licenses/by-nd-nc/1.0/")
    assert cc is not None
    assert cc.flags == frozenset({"BY", "ND", "NC"})
    assert parse_cc_licence("https://creativecommons.org/licenses/nc-sa/1.0/") is not None


def test_cc_licence_jurisdiction_port() -> None:
    """specs.md 9.1: ported licences carry a jurisdiction segment."""
    cc = parse_cc_licence("https://creativecommons.org/licenses/by-sa/3.0/de/")
    assert cc is not None
    assert (cc.jurisdiction, cc.label, cc.url) == (
        "de",
        "CC BY-SA 3.0 DE",
        "https://creativecommons.org/licenses/by-sa/3.0/de/",
    )


@pytest.mark.parametrize(
    "suffix", ["deed.de", "deed.en", "deed.zh-hant", "legalcode", "legalcode.de", "deed"]
)
def test_deed_and_legalcode_suffixes_are_stripped(suffix: str) -> None:
    """specs.md 9.4: .../by-nc-nd/4.0/deed.de => strip deed.* / legalcode*."""
    cc = parse_cc_licence(f"https://creativecommons.org/licenses/by-nc-nd/4.0/{suffix}")
    assert cc is not None
    assert cc.url == "https://creativecommons.org/licenses/by-nc-nd/4.0/"


@pytest.mark.parametrize(
    "url",
    [
        "http://creativecommons.org/licenses/by-nc/4.0/",
        "https://www.creativecommons.org/licenses/by-nc/4.0/",
        "https://creativecommons.org/licenses/by-nc/4.0",
        "HTTPS://CreativeCommons.org/licenses/BY-NC/4.0/",
        "//creativecommons.org/licenses/by-nc/4.0/",
        "creativecommons.org/licenses/by-nc/4.0",
        "https://creativecommons.org/licenses/by-nc/4.0/?ref=chooser-v1",
        "https://creativecommons.org/licenses/by-nc/4.0/#info",
    ],
)
def test_scheme_host_and_trailing_slash_are_normalised(url: str) -> None:
    """specs.md 9.4: http vs https, www., missing trailing slash => the same licence."""
    cc = parse_cc_licence(url)
    assert cc is not None
    assert cc.url == BY_NC


def test_cc0_has_no_conditions() -> None:
    """specs.md 9.4: CC0 is a public-domain dedication: no flags (and not an opt-in)."""
    cc = parse_cc_licence("https://creativecommons.org/publicdomain/zero/1.0/")
    assert cc is not None
    assert (cc.code, cc.flags, cc.summary) == ("cc0", frozenset(), "CC0 1.0 (no conditions)")


def test_public_domain_mark() -> None:
    """specs.md 9.1: the Public Domain Mark is publicdomain/mark/1.0."""
    cc = parse_cc_licence("http://creativecommons.org/publicdomain/mark/1.0/deed.fr")
    assert cc is not None
    assert (cc.code, cc.version, cc.flags) == ("pdm", "1.0", frozenset())


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/licenses/by/4.0/",
        "https://creativecommons.org/licenses/by-xx/4.0/",
        "https://creativecommons.org/licenses/by-by/4.0/",
        "https://creativecommons.org/licenses/by/four/",
        "https://creativecommons.org/licenses/by/4.0/de/extra/",
        "https://creativecommons.org/about/",
        "https://creativecommons.org/publicdomain/other/1.0/",
        "ftp://creativecommons.org/licenses/by/4.0/",
        "https://opensource.org/licenses/MIT",
        "http://[::1/licenses/by/4.0/",
        "",
    ],
)
def test_non_cc_licence_urls_give_none(url: str) -> None:
    """Anything outside the grammar is not decomposed."""
    assert parse_cc_licence(url) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_cc_licence_never_raises(url: str) -> None:
    """Hostile input is normal: any text gives a licence or None."""
    assert parse_cc_licence(url) is None or isinstance(parse_cc_licence(url), CcLicence)


# --- <link rel="license"> in the head --------------------------------------------------------


def test_licence_link_is_evidence_without_stance() -> None:
    """specs.md 9.1: a CC licence (even NC/ND) is not an opt-out: no stance, ever."""
    response = page(f'<link rel="license" href="{BY_NC}">')
    [ev] = evidence(response)
    assert (ev.family, ev.source, ev.value, ev.stances) == ("licence", "link", BY_NC, ())
    assert ev.note == "CC BY-NC 4.0 (NC, BY) - not an opt-out (specs.md 9.1)"
    verdict = combine(Purpose.TRAIN_AI, evidence(response))
    assert verdict.reserved is None
    assert verdict.licences == (ev,)


def test_rel_token_list_contains_license() -> None:
    """specs.md 9.4: rel="license nofollow" is a token list that contains license."""
    assert len(evidence(page(f'<link rel="nofollow license" href="{BY_NC}">'))) == 1


def test_rel_is_ascii_case_insensitive() -> None:
    """specs.md 9.4: rel="License" matches."""
    assert len(evidence(page(f'<link rel="License" href="{BY_NC}">'))) == 1


def test_rel_licenses_or_licensed_do_not_match() -> None:
    """The token must be exactly "license"."""
    assert evidence(page(f'<link rel="licenses" href="{BY_NC}">')) == []


def test_multiple_licence_links_are_all_recorded_most_restrictive_flags() -> None:
    """specs.md 9.4 [inferred]: record all; take the most restrictive flags (their union)."""
    found = evidence(
        page(
            '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
            '<link rel="license" href="https://creativecommons.org/licenses/by-nc-nd/4.0/">'
        )
    )
    assert len(found) == 2
    assert licence_flags(found) == frozenset({"BY", "NC", "ND"})


def test_non_cc_licence_link_is_recorded() -> None:
    """Any licence link is kept for downstream policy, marked as not Creative Commons."""
    [ev] = evidence(page('<link rel="license" href="https://pub.example/terms">'))
    assert ev.note == "licence link (not Creative Commons) - not an opt-out (specs.md 9.1)"
    assert licence_flags([ev]) == frozenset()


def test_relative_href_is_resolved_against_response_url() -> None:
    """Relative hrefs resolve against the response URL (noted; the value stays as written)."""
    [ev] = evidence(page('<link rel="license" href="../terms">'))
    assert ev.value == "../terms"
    assert ev.note.endswith("resolved to https://pub.example/terms")


def test_relative_href_is_resolved_against_base() -> None:
    """<base href> changes the base for relative hrefs."""
    [ev] = evidence(page('<base href="https://other.example/x/"><link rel="license" href="t">'))
    assert ev.note.endswith("resolved to https://other.example/x/t")


def test_invalid_base_or_href_does_not_raise() -> None:
    """Hostile input is normal: an unparseable base or href is kept as written."""
    [ev] = evidence(page('<base href="http://[::1/"><link rel="license" href="http://[x/l">'))
    assert ev.value == "http://[x/l"
    [ev] = evidence(page('<base href="http://[::1/"><link rel="license" href="rel">'))
    assert ev.value == "rel"


def test_protocol_relative_cc_link_is_decomposed() -> None:
    """A scheme-relative CC URL takes the page's scheme and is recognised."""
    [ev] = evidence(page('<link rel="license" href="//creativecommons.org/licenses/by/4.0/">'))
    assert ev.note.startswith("CC BY 4.0 (BY)")


def test_fixture_page_licence_in_head_only() -> None:
    """The head link is read; an <a rel="license"> in the body is not (see licence.py)."""
    response = ResponseView(
        "https://art.example/art/123",
        body=(HTML / "artwork_noai.html").read_bytes(),
        headers=HeaderList([("Content-Type", "text/html")]),
    )
    assert [e.value for e in evidence(response)] == [
        "https://creativecommons.org/licenses/by-nc-nd/4.0/"
    ]


# --- HTTP Link headers (RFC 8288) ------------------------------------------------------------


def test_link_header_licence() -> None:
    """specs.md 9.1: Link: <...>; rel="license" is a licence link."""
    [ev] = evidence(page("", ("Link", f'<{BY_NC}>; rel="license"')))
    assert (ev.source, ev.location, ev.value, ev.stances) == ("header", "Link", BY_NC, ())


def test_link_header_with_several_links_and_unquoted_rel() -> None:
    """RFC 8288: several comma-separated links; rel may be a token; commas inside <> are
    part of the target."""
    header = (
        f'</a,b.css>; rel=preload; as=style, <{BY_NC}>;REL=License;title="x, y", </next>; rel=next'
    )
    found = evidence(page("", ("Link", header)))
    assert [e.value for e in found] == [BY_NC]


def test_link_header_rel_with_several_tokens() -> None:
    """RFC 8288: rel is a space-separated list of relation types."""
    assert len(evidence(page("", ("Link", f'<{BY_NC}>; rel="nofollow license"')))) == 1


def test_link_header_repeated_headers() -> None:
    """Each Link header line is read."""
    found = evidence(
        page(
            "",
            ("Link", "</s.css>; rel=preload"),
            ("Link", f'<{BY_NC}>; rel="license"'),
            ("Link", '</t>; rel="license"'),
        )
    )
    assert [e.value for e in found] == [BY_NC, "/t"]
    assert found[1].note.endswith("resolved to https://pub.example/t")


def test_link_header_first_rel_wins() -> None:
    """RFC 8288 3.3: occurrences of a parameter after the first are ignored."""
    assert evidence(page("", ("Link", f"<{BY_NC}>; rel=next; rel=license"))) == []


def test_link_header_with_foreign_anchor_is_skipped() -> None:
    """RFC 8288: an anchor makes the link about another resource."""
    header = f'<{BY_NC}>; rel="license"; anchor="https://pub.example/other"'
    assert evidence(page("", ("Link", header))) == []


def test_parse_link_header_params() -> None:
    """Parameters: names lower-cased, quoted-string escapes undone, valueless allowed."""
    assert parse_link_header('<u>; Rel="a \\"b\\""; crossorigin; x=1') == [
        ("u", {"rel": 'a "b"', "crossorigin": "", "x": "1"})
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='<>;,="\\ \tarelicns/:x', max_size=200))
def test_parse_link_header_never_raises(value: str) -> None:
    """Hostile header values parse to some list of links."""
    assert isinstance(parse_link_header(value), list)


# --- together with the reserving families ----------------------------------------------------


def test_licence_never_changes_a_verdict() -> None:
    """specs.md 9.1: with a licence and a noai, the verdict comes from noai alone."""
    response = page(f'<meta name="robots" content="noai"><link rel="license" href="{BY_NC}">')
    found = [*RobotsMetaSignal().response_evidence(response, Context()), *evidence(response)]
    verdict = combine(Purpose.TRAIN_AI, found)
    assert verdict.reserved is True
    assert verdict.decided_by is not None
    assert verdict.decided_by.family == "robots-meta"
    assert [e.family for e in verdict.licences] == ["licence"]
