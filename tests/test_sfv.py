"""RFC 9651 Structured Field Dictionary parsing (specs.md 2.3: aipref values are sf-dictionaries)."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_middleware.errors import ParseError
from optout_middleware.formats.sfv import (
    MAX_LENGTH,
    Date,
    DisplayString,
    InnerList,
    Item,
    Token,
    parse_dictionary,
)


def value_of(text: str, key: str = "a") -> object:
    member = parse_dictionary(text)[key]
    assert isinstance(member, Item)
    return member.value


def fails(text: str | bytes) -> None:
    with pytest.raises(ParseError):
        parse_dictionary(text)


# --- Integers (RFC 9651 3.3.1, 4.2.4) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a=42", 42), ("a=-42", -42), ("a=0", 0), ("a=-0", 0), ("a=007", 7)],
)
def test_rfc9651_integer(text: str, expected: int) -> None:
    """RFC 9651 4.2.4: an optional '-' then digits is an Integer."""
    value = value_of(text)
    assert type(value) is int
    assert value == expected


def test_rfc9651_integer_fifteen_digits_is_the_limit() -> None:
    """RFC 9651 4.2.4: more than 15 digits fails parsing."""
    assert value_of("a=999999999999999") == 999_999_999_999_999
    assert value_of("a=-999999999999999") == -999_999_999_999_999
    fails("a=1000000000000000")


@pytest.mark.parametrize("text", ["a=-", "a=-x", "a=--1", "a=+1"])
def test_rfc9651_integer_needs_a_digit(text: str) -> None:
    """RFC 9651 4.2.4: the sign must be followed by a digit; '+' is not a number."""
    fails(text)


# --- Decimals (3.3.2) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a=1.5", "1.5"), ("a=-1.25", "-1.25"), ("a=0.001", "0.001"), ("a=123456789012.123", None)],
)
def test_rfc9651_decimal(text: str, expected: str | None) -> None:
    """RFC 9651 4.2.4: digits '.' digits is a Decimal (kept exact)."""
    value = value_of(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected or text[2:])


@pytest.mark.parametrize(
    "text",
    ["a=1.", "a=1.2345", "a=1234567890123.1", "a=-1234567890123.1", "a=1.2.3", "a=.5"],
)
def test_rfc9651_decimal_limits(text: str) -> None:
    """RFC 9651 4.2.4: at most 12 integer and 3 fractional digits, never a trailing '.'."""
    fails(text)


# --- Strings (3.3.3) ----------------------------------------------------------------------------


def test_rfc9651_string() -> None:
    """RFC 9651 4.2.5: a String is DQUOTE-delimited printable ASCII; result is a plain str."""
    assert value_of('a="hello world"') == "hello world"
    assert value_of('a=""') == ""


def test_rfc9651_string_escapes() -> None:
    """RFC 9651 4.2.5: only \\" and \\\\ may be escaped."""
    assert value_of(r'a="say \"hi\" \\ bye"') == 'say "hi" \\ bye'
    fails(r'a="bad \n escape"')
    fails('a="dangling \\')


@pytest.mark.parametrize("text", ['a="open', 'a="tab\tinside"', 'a="caf\u00e9"', 'a="\x7f"'])
def test_rfc9651_string_failures(text: str) -> None:
    """RFC 9651 4.2.5: unterminated strings and control or non-ASCII characters fail."""
    fails(text)


# --- Tokens (3.3.4) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["n", "y", "foo123/456", "*foo", "text/html:x", "a!#$%&'*+-.^_`|~"]
)
def test_rfc9651_token(token: str) -> None:
    """RFC 9651 4.2.6: ALPHA or '*' then tchar, ':' or '/' is a Token."""
    assert value_of(f"a={token}") == Token(token)


def test_rfc9651_token_is_not_a_string() -> None:
    """RFC 9651 3.3.4 vs 3.3.3: Token n and String "n" are different types (aipref relies on it)."""
    token, string = value_of("a=n"), value_of('a="n"')
    assert token == Token("n")
    assert string == "n"
    assert token != string
    assert not isinstance(token, str)


def test_rfc9651_token_is_case_sensitive() -> None:
    """RFC 9651 3.3.4: Tokens keep their case (``N`` is not ``n``)."""
    assert value_of("a=N") == Token("N")
    assert value_of("a=N") != Token("n")


# --- Byte sequences (3.3.5) ---------------------------------------------------------------------


def test_rfc9651_byte_sequence() -> None:
    """RFC 9651 4.2.7: ':' base64 ':' is a Byte Sequence."""
    assert value_of("a=:aGVsbG8=:") == b"hello"
    assert value_of("a=::") == b""


def test_rfc9651_byte_sequence_without_padding_is_accepted() -> None:
    """RFC 9651 4.2.7: parsers SHOULD NOT fail when '=' padding is absent."""
    assert value_of("a=:aGVsbG8:") == b"hello"


@pytest.mark.parametrize(
    "text", ["a=:aGVs bG8=:", "a=:aGVsbG8=", "a=:a=GVsbG8:", "a=:aGVsb:", "a=:ab=:"]
)
def test_rfc9651_byte_sequence_failures(text: str) -> None:
    """RFC 9651 4.2.7: non-base64 characters, a missing close, or misplaced padding fail."""
    fails(text)


# --- Booleans (3.3.6) ---------------------------------------------------------------------------


def test_rfc9651_boolean() -> None:
    """RFC 9651 4.2.8: ?1 and ?0 are Booleans."""
    assert value_of("a=?1") is True
    assert value_of("a=?0") is False


@pytest.mark.parametrize("text", ["a=?", "a=?2", "a=?true", "a=?01"])
def test_rfc9651_boolean_failures(text: str) -> None:
    """RFC 9651 4.2.8: anything but ?0 / ?1 fails."""
    fails(text)


def test_rfc9651_key_without_value_is_boolean_true() -> None:
    """RFC 9651 4.2.2: a member without '=' is Boolean true, with its parameters."""
    member = parse_dictionary("a;x=1")["a"]
    assert member == Item(True, (("x", 1),))


# --- Dates and Display Strings (3.3.7, 3.3.8) ---------------------------------------------------


def test_rfc9651_date() -> None:
    """RFC 9651 4.2.9: '@' then an Integer is a Date."""
    assert value_of("a=@1659578233") == Date(1659578233)
    assert value_of("a=@-1") == Date(-1)


@pytest.mark.parametrize("text", ["a=@1.5", "a=@", "a=@x"])
def test_rfc9651_date_failures(text: str) -> None:
    """RFC 9651 4.2.9: a Date must be an Integer."""
    fails(text)


def test_rfc9651_display_string() -> None:
    """RFC 9651 4.2.10: %"..." with %-encoded UTF-8 is a Display String."""
    assert value_of('a=%"f%c3%bc%c3%bc"') == DisplayString("f\u00fc\u00fc")
    assert value_of('a=%"plain"') == DisplayString("plain")


@pytest.mark.parametrize(
    "text",
    ['a=%"f%C3%BC"', 'a=%"%c3"', 'a=%"open', 'a=%"%c"', "a=%plain", 'a=%"a\\"b"'],
)
def test_rfc9651_display_string_failures(text: str) -> None:
    """RFC 9651 4.2.10: upper-case hex, invalid UTF-8, truncation and escapes fail."""
    fails(text)


# --- Parameters (3.1.2) -------------------------------------------------------------------------


def test_rfc9651_parameters_on_items() -> None:
    """RFC 9651 4.2.3.2: ';' key ['=' bare-item] after an item; a bare key is true."""
    member = parse_dictionary('a=n;exceptions=cc-cr;q=0.5;s="x";f')["a"]
    assert isinstance(member, Item)
    assert member.value == Token("n")
    assert member.parameters == (
        ("exceptions", Token("cc-cr")),
        ("q", Decimal("0.5")),
        ("s", "x"),
        ("f", True),
    )
    assert member.param("exceptions") == Token("cc-cr")
    assert member.param("missing") is None


def test_rfc9651_parameters_allow_space_after_semicolon_only() -> None:
    """RFC 9651 4.2.3.2: SP may follow ';'; nothing may precede it."""
    assert parse_dictionary("a=1; x=2")["a"] == Item(1, (("x", 2),))
    fails("a=1 ;x=2")
    fails("a=1;x =2")
    fails("a=1;x= 2")


def test_rfc9651_duplicate_parameter_last_value_wins() -> None:
    """RFC 9651 4.2.3.2: a repeated parameter key overwrites the value in place."""
    member = parse_dictionary("a=1;x=1;y=2;x=3")["a"]
    assert isinstance(member, Item)
    assert member.parameters == (("x", 3), ("y", 2))


@pytest.mark.parametrize("text", ["a=1;X=2", "a=1;=2", "a=1;", "a=1;x=(1)", "a=1;1x=2"])
def test_rfc9651_parameter_failures(text: str) -> None:
    """RFC 9651 4.2.3.2-4.2.3.3: keys follow the key grammar; values are bare items only."""
    fails(text)


# --- Inner lists (3.1.1) ------------------------------------------------------------------------


def test_rfc9651_inner_list_items_and_parameters() -> None:
    """RFC 9651 4.2.1.2: items separated by SP; the list's parameters follow ')'."""
    member = parse_dictionary('a=(  1 "two";p  three );q=?0')["a"]
    assert member == InnerList(
        (Item(1), Item("two", (("p", True),)), Item(Token("three"))), (("q", False),)
    )
    assert isinstance(member, InnerList)
    assert member.param("q") is False


def test_rfc9651_empty_inner_list() -> None:
    """RFC 9651 4.2.1.2: '()' is an empty inner list."""
    assert parse_dictionary("a=()")["a"] == InnerList(())


@pytest.mark.parametrize("text", ["a=(1,2)", "a=(1", "a=((1))", "a=(1\t2)", "a=(1)x", "a=(1 2)(3)"])
def test_rfc9651_inner_list_failures(text: str) -> None:
    """RFC 9651 4.2.1.2: only SP separates items; no nesting; the list must close."""
    fails(text)


# --- Dictionary structure (3.2, 4.2.2) ----------------------------------------------------------


def test_rfc9651_dictionary_keeps_member_order() -> None:
    """RFC 9651 3.2: a Dictionary is an ordered map."""
    assert list(parse_dictionary("z=1, a=2, m=3")) == ["z", "a", "m"]


def test_rfc9651_duplicate_key_last_wins_with_only_its_parameters() -> None:
    """RFC 9651 4.2.2: a repeated key overwrites value and parameters (first position kept)."""
    result = parse_dictionary("a=1;x=1, b=2, a=3")
    assert list(result) == ["a", "b"]
    assert result["a"] == Item(3)


@pytest.mark.parametrize("key", ["a", "*", "a1", "a_b-c.d*", "*x", "train-ai"])
def test_rfc9651_key_grammar_accepts(key: str) -> None:
    """RFC 9651 3.1.2: key = (lcalpha / '*') *(lcalpha / DIGIT / '_' / '-' / '.' / '*')."""
    assert list(parse_dictionary(f"{key}=1")) == [key]


@pytest.mark.parametrize("text", ["A=1", "Train-AI=n", "1a=1", "-a=1", "_a=1", "a@=1", "a b=1"])
def test_rfc9651_key_grammar_rejects(text: str) -> None:
    """RFC 9651 4.2.3.3: upper-case or other characters in a key fail the whole field."""
    fails(text)


def test_rfc9651_ows_around_commas() -> None:
    """RFC 9651 4.2.2: SP and HTAB are allowed on both sides of the comma."""
    expected = {"a": Item(1), "b": Item(2)}
    for text in ("a=1,b=2", "a=1 , b=2", "a=1\t,\tb=2", "a=1 \t,  b=2"):
        assert parse_dictionary(text) == expected


def test_rfc9651_leading_and_trailing_space() -> None:
    """RFC 9651 4.2: leading SP is discarded; trailing SP (and HTAB) after the last member too."""
    assert parse_dictionary("  a=1  ") == {"a": Item(1)}
    assert parse_dictionary("a=1\t") == {"a": Item(1)}


def test_rfc9651_leading_tab_fails() -> None:
    """RFC 9651 4.2: only SP is discarded before the first member."""
    fails("\ta=1")


@pytest.mark.parametrize("text", ["", " ", "   "])
def test_rfc9651_empty_field_is_empty_dictionary(text: str) -> None:
    """RFC 9651 4.2.2: no members is an empty Dictionary, not an error."""
    assert parse_dictionary(text) == {}


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=1, ",
        ",a=1",
        "a=1,,b=2",
        "a=1 b=2",
        "a = 1",
        "a= 1",
        "a =1",
        "a=1x",
        "a=1;",
        "a=",
        "=1",
        ",",
        "a=1\r\n",
        "a=1\x00",
    ],
)
def test_rfc9651_dictionary_failures(text: str) -> None:
    """RFC 9651 4.2.2: trailing/empty members, missing commas and any junk fail the field."""
    fails(text)


def test_rfc9651_input_must_be_ascii() -> None:
    """RFC 9651 4.2: input that is not ASCII fails, as bytes or as text."""
    fails("a=1, b\u00e9=2")
    fails(b"a=1, b=\xff")
    assert parse_dictionary(b"a=1, b=?1") == {"a": Item(1), "b": Item(True)}


def test_sfv_length_cap() -> None:
    """Hostile input bound: a value longer than MAX_LENGTH is refused, a shorter one parsed."""
    long_value = "a=" + "1" * 15 + ", b=" + '"' + "x" * (MAX_LENGTH - 30) + '"'
    assert len(long_value) <= MAX_LENGTH
    assert parse_dictionary(long_value)["b"] == Item("x" * (MAX_LENGTH - 30))
    fails("a=" + '"' + "x" * MAX_LENGTH + '"')
    fails(b"a=1" + b" " * MAX_LENGTH)


def test_sfv_many_members_parse_without_recursion() -> None:
    """Linear, iterative parsing: thousands of members and parameters are fine under the cap."""
    text = ", ".join(f"k{i}=n;p{i}=1" for i in range(3000))
    assert len(text) < MAX_LENGTH
    result = parse_dictionary(text)
    assert len(result) == 3000
    assert result["k2999"] == Item(Token("n"), (("p2999", 1),))


# --- Properties ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_sfv_any_input_raises_only_parse_error(data: bytes | str) -> None:
    """Hostile input: any bytes or text give a dictionary or a ParseError, nothing else."""
    try:
        result = parse_dictionary(data)
    except ParseError:
        return
    # RFC 9651 3.2: keys are lcalpha or "*", then lcalpha, DIGIT, "_", "-", ".", "*"
    assert all(re.fullmatch(r"[a-z*][a-z0-9_\-.*]*", key) for key in result)


_sf_alphabet = st.sampled_from(list('azAZ09*-_.:/"\\=;,() \t?@%!'))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_sf_alphabet, max_size=80))
def test_sfv_grammar_shaped_input_raises_only_parse_error(data: str) -> None:
    """Hostile input built from the grammar's own characters still only raises ParseError."""
    try:
        result = parse_dictionary(data)
    except ParseError:
        return
    assert all(isinstance(m, (Item, InnerList)) for m in result.values())


_keys = st.from_regex(r"[a-z*][a-z0-9_.*-]{0,8}", fullmatch=True)
_bare = st.one_of(
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.booleans(),
    st.from_regex(r"[A-Za-z*][A-Za-z0-9:/!#$&'*+.^_`|~-]{0,8}", fullmatch=True).map(Token),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10),
    st.binary(max_size=10),
)


def _serialise(value: object) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Token):
        return value.value
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    assert isinstance(value, str)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_keys, _bare), min_size=1, max_size=6))
def test_sfv_serialised_dictionaries_round_trip(members: list[tuple[str, object]]) -> None:
    """RFC 9651 section 4.1 serialisations parse back to the same values (last duplicate wins)."""
    text = ", ".join(f"{k}={_serialise(v)}" for k, v in members)
    expected = dict(members)
    result = parse_dictionary(text)
    assert list(result) == list(expected)
    for key, value in expected.items():
        member = result[key]
        assert isinstance(member, Item)
        assert member.value == value
        assert type(member.value) is type(value)
