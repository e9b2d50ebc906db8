"""formats/rsl.py: RSL 1.0 XML, one rule per test (../shared/rsl.md sections 3 and 6)."""

from __future__ import annotations

import contextlib
import time

import pytest
from lxml import etree

from optout_middleware.errors import ParseError
from optout_middleware.formats import rsl as rslmod
from optout_middleware.formats.rsl import (
    DEFAULT_MAX_AGE_DAYS,
    MAX_AGE_DAYS,
    MAX_BYTES,
    MAX_ELEMENTS,
    parse_rsl,
)

NS = 'xmlns="https://rslstandard.org/rsl"'


def doc(body: str, attrs: str = "") -> bytes:
    return f"<rsl {NS}{attrs}>{body}</rsl>".encode()


def one(licence: str, url: str = "/") -> bytes:
    return doc(f'<content url="{url}"><license>{licence}</license></content>')


def test_rsl_parses_contents_licences_payment_and_max_age() -> None:
    parsed = parse_rsl(
        doc(
            '<content url="/"><license><permits type="usage">search ai-input</permits>'
            '<payment type="attribution"/></license><license><permits type="usage">ai-train'
            '</permits><payment type="training"><amount currency="eur">0.002</amount>'
            "<standard>https://rslcollective.org/license</standard></payment></license></content>"
            '<content url="/premium/" server="https://ls.example/"><license>'
            '<prohibits type="usage">all</prohibits><reporting type="telemetry" '
            'profile="https://p.example/x" endpoint="https://r.example"/></license></content>',
            ' max-age="7"',
        )
    )
    assert parsed.max_age_days == 7
    first, premium = parsed.contents
    assert first.url == "/"
    assert first.licenses[0].permitted("usage") == ("search", "ai-input")
    assert first.licenses[0].payments[0].type == "attribution"
    paid = first.licenses[1].payments[0]
    assert (paid.type, paid.amounts, paid.standard) == (
        "training",
        (("0.002", "EUR"),),
        "https://rslcollective.org/license",
    )
    assert premium.server == "https://ls.example/"
    assert premium.licenses[0].prohibited("usage") == ("all",)
    assert premium.licenses[0].reporting[0].profile == "https://p.example/x"


def test_rsl_case1_malformed_xml_curly_quotes_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="well-formed"):
        parse_rsl(f"<rsl {NS}><content url=”/”></content></rsl>".encode())


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rsl [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>'
    b'<rsl xmlns="https://rslstandard.org/rsl"><content url="&xxe;"/></rsl>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><rsl xmlns="https://rslstandard.org/rsl"><content url="/">&lol9;</content></rsl>'
)
QUADRATIC = (
    b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 50_000 + b'">]><rsl xmlns="https://rslstandard.org/rsl">'
    b'<content url="/">' + b"&a;" * 5_000 + b"</content></rsl>"
)


@pytest.mark.parametrize(
    "data",
    [XXE, LAUGHS, QUADRATIC, XXE.decode().encode("utf-16"), LAUGHS.decode().encode("utf-16-le")],
    ids=["xxe", "billion-laughs", "quadratic", "xxe-utf16", "laughs-utf16-no-bom"],
)
def test_rsl_case2_doctype_and_entities_are_refused_without_expansion(data: bytes) -> None:
    """A DOCTYPE makes the document invalid before lxml runs: nothing fetched, nothing expanded."""
    parser_calls = []
    real = rslmod.etree.fromstring

    def spy(*args: object, **kwargs: object) -> object:
        parser_calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    rslmod.etree.fromstring = spy  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        with pytest.raises(ParseError, match="DOCTYPE"):
            parse_rsl(data)
        assert time.perf_counter() - started < 10  # generous: the bound is "no expansion"
    finally:
        rslmod.etree.fromstring = real
    assert parser_calls == []


def test_rsl_case2_lxml_layer_alone_refuses_a_doctype(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: with the byte scan bypassed, lxml neither resolves nor keeps a DTD."""
    monkeypatch.setattr(rslmod, "_refuse_dtd", lambda raw: None)
    for data in (XXE, LAUGHS):
        with pytest.raises(ParseError):
            parse_rsl(data)


def test_rsl_case2_undeclared_entity_reference_is_invalid() -> None:
    with pytest.raises(ParseError):
        parse_rsl(one("&nbsp;"))


def test_rsl_case3_over_512_kib_is_invalid() -> None:
    padding = "<!--" + "x" * MAX_BYTES + "-->"
    with pytest.raises(ParseError, match="512 KiB"):
        parse_rsl(one(padding))


def test_rsl_case3_element_limit() -> None:
    many = "<x:e xmlns:x='urn:x'/>" * (MAX_ELEMENTS + 1)
    with pytest.raises(ParseError, match="elements"):
        parse_rsl(one(many))


def test_rsl_case3_token_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rslmod, "MAX_TOKENS", 10)
    with pytest.raises(ParseError, match="tokens"):
        parse_rsl(one('<prohibits type="usage">' + "ai-train " * 11 + "</prohibits>"))


@pytest.mark.parametrize(
    "root",
    [
        '<rsl xmlns="http://rslstandard.org/rsl">',
        '<rsl xmlns="https://rslstandard.org/rsl/">',
        "<rsl>",
    ],
)
def test_rsl_case4_wrong_or_missing_namespace_is_invalid(root: str) -> None:
    with pytest.raises(ParseError, match="namespace"):
        parse_rsl(f'{root}<content url="/"><license/></content></rsl>'.encode())


def test_rsl_case4_prefixed_root_with_the_right_namespace_is_valid() -> None:
    parsed = parse_rsl(
        b'<r:rsl xmlns:r="https://rslstandard.org/rsl"><r:content url="/"><r:license>'
        b'<r:prohibits type="usage">ai-train</r:prohibits></r:license></r:content></r:rsl>'
    )
    assert parsed.prefixed
    assert parsed.contents[0].licenses[0].prohibited("usage") == ("ai-train",)


def test_rsl_case5_html_page_is_invalid() -> None:
    with pytest.raises(ParseError):
        parse_rsl(b"<!doctype html><html><body>app</body></html>")
    with pytest.raises(ParseError, match="not rsl"):
        parse_rsl(b"<html><body>app</body></html>")


def test_rsl_case6_unknown_rsl_element_is_invalid() -> None:
    with pytest.raises(ParseError, match="permit"):
        parse_rsl(one('<permit type="usage">ai-train</permit>'))


def test_rsl_case7_foreign_extension_is_ignored() -> None:
    parsed = parse_rsl(
        one(
            '<o:binding xmlns:o="https://openrsl.org/ns"><o:x>permits all</o:x></o:binding>'
            '<prohibits type="usage">ai-train</prohibits>'
        )
    )
    assert parsed.contents[0].licenses[0].prohibited("usage") == ("ai-train",)


def test_rsl_case8_two_permits_intersect_two_prohibits_union() -> None:
    lic = (
        parse_rsl(
            one(
                '<permits type="usage">search ai-input</permits><permits type="usage">search'
                '</permits><prohibits type="usage">ai-train</prohibits>'
                '<prohibits type="usage">ai-input</prohibits>'
            )
        )
        .contents[0]
        .licenses[0]
    )
    assert lic.permitted("usage") == ("search",)
    assert lic.prohibited("usage") == ("ai-train", "ai-input")
    assert any("non-conformant" in n for n in lic.notes)


def test_rsl_case9_commas_case_and_whitespace_are_split_and_normalised() -> None:
    lic = (
        parse_rsl(
            one(
                '<prohibits type="usage">AI-Train,\n\tai-input ,search</prohibits>'
                '<permits type="geo">us eu</permits>'
            )
        )
        .contents[0]
        .licenses[0]
    )
    assert lic.prohibited("usage") == ("ai-train", "ai-input", "search")
    assert lic.permitted("geo") == ("US", "EU")
    assert any("comma" in n for n in lic.notes)


def test_rsl_case11_empty_permits_is_a_closed_empty_list_and_untyped_permits_ignored() -> None:
    lic = parse_rsl(one('<permits type="usage"/>')).contents[0].licenses[0]
    assert lic.permitted("usage") == ()
    lic = parse_rsl(one("<permits>all</permits><prohibits>ai-train</prohibits>")).contents[0]
    assert lic.licenses[0].permitted("usage") is None
    assert lic.licenses[0].prohibited("usage") == ("ai-train",)


def test_rsl_case12_content_without_license_parses_with_a_note() -> None:
    parsed = parse_rsl(doc('<content url="/"/>'))
    assert parsed.contents[0].licenses == ()
    assert any("no <license>" in n for n in parsed.notes)


def test_rsl_case21_utf16_with_bom_and_no_declaration() -> None:
    data = one('<prohibits type="usage">ai-train</prohibits>').decode().encode("utf-16")
    assert parse_rsl(data).contents[0].licenses[0].prohibited("usage") == ("ai-train",)


def test_rsl_case21_undecodable_bytes_are_invalid() -> None:
    with pytest.raises(ParseError):
        parse_rsl(b"<rsl " + NS.encode() + b'><content url="/\xff\xfe"/></rsl>')


@pytest.mark.parametrize(
    ("raw", "days"),
    [("0", DEFAULT_MAX_AGE_DAYS), ("-1", DEFAULT_MAX_AGE_DAYS), ("1.5", DEFAULT_MAX_AGE_DAYS),
     ("99999", MAX_AGE_DAYS), ("3", 3)],
)  # fmt: skip
def test_rsl_case22_max_age_invalid_is_default_and_huge_is_clamped(raw: str, days: int) -> None:
    parsed = parse_rsl(doc('<content url="/"><license/></content>', f' max-age="{raw}"'))
    assert parsed.max_age_days == days


@pytest.mark.parametrize(
    "attrs",
    ['encrypted="TRUE" server="https://s.example"', 'encrypted="true"'],
    ids=["upper-case", "without-server"],
)
def test_rsl_case23_encrypted_must_be_lowercase_and_needs_a_server(attrs: str) -> None:
    with pytest.raises(ParseError, match="encrypted"):
        parse_rsl(doc(f'<content url="/" {attrs}><license/></content>'))


def test_rsl_case25_inline_needs_exactly_one_content() -> None:
    two = doc('<content url=""><license/></content><content url="/x"><license/></content>')
    with pytest.raises(ParseError, match="exactly one"):
        parse_rsl(two, inline=True)
    assert parse_rsl(doc('<content url=""><license/></content>'), inline=True).contents[0].url == ""


def test_rsl_case25_inline_cdata_is_read() -> None:
    parsed = parse_rsl(
        doc('<content url=""><license><prohibits type="usage"><![CDATA[ai-train]]></prohibits>'
            "</license></content>"),
        inline=True,
    )  # fmt: skip
    assert parsed.contents[0].licenses[0].prohibited("usage") == ("ai-train",)


def test_rsl_content_without_url_is_invalid() -> None:
    with pytest.raises(ParseError, match="without url"):
        parse_rsl(doc("<content><license/></content>"))


def test_rsl_no_content_is_invalid() -> None:
    with pytest.raises(ParseError, match="no <content>"):
        parse_rsl(doc(""))


def test_rsl_payment_describe_names_type_amount_and_standard() -> None:
    lic = (
        parse_rsl(
            one(
                "<payment><standard>https://rslcollective.org/license</standard>"
                '<amount currency="USD">5</amount></payment>'
            )
        )
        .contents[0]
        .licenses[0]
    )
    assert lic.payments[0].type is None
    assert lic.payments[0].describe() == (
        "payment without type 5 USD standard https://rslcollective.org/license"
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 10, b"<", b"<?xml?>", "<rsl>\u2028</rsl>".encode(), b"\xef\xbb\xbf<a/>",
     b"<rsl xmlns='https://rslstandard.org/rsl'><content url='/'><license><permits type='usage'>"
     + b"x" * 300 + b"</permits></license></content></rsl>"],
)  # fmt: skip
def test_rsl_any_bytes_give_a_document_or_a_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_rsl(data)


def test_rsl_parser_options_keep_entities_dtd_and_network_off() -> None:
    """The lxml parser itself is built safe (lxml's default resolves entities)."""
    parser = etree.XMLParser(**rslmod._PARSER_OPTIONS)
    assert parser is not None
    assert rslmod._PARSER_OPTIONS["resolve_entities"] is False
    assert rslmod._PARSER_OPTIONS["no_network"] is True
    assert rslmod._PARSER_OPTIONS["load_dtd"] is False
    assert rslmod._PARSER_OPTIONS["huge_tree"] is False
