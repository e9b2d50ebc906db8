"""A strict RFC 9651 Structured Field Values parser for Dictionaries (the aipref serialization).

Only the Dictionary top-level type is exposed, because that is what ``Content-Usage`` is. The
parser follows the algorithms of RFC 9651 section 4.2 step by step; any departure from them is
a parse failure, never a guess, since aipref says a failed parse means "all unknown".

Bare items map to Python values as follows: Integer ``int``, Decimal :class:`decimal.Decimal`,
String ``str``, Token :class:`Token`, Byte Sequence ``bytes``, Boolean ``bool`` (check it before
``int``: ``bool`` is an ``int`` subclass), Date :class:`Date`, Display String
:class:`DisplayString`.

Parsing is one forward pass over the input: every regex below is a single character class under
``*`` anchored at the current position, so nothing backtracks and the cost is linear.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from optout_middleware.errors import ParseError

__all__ = [
    "MAX_LENGTH",
    "BareItem",
    "Date",
    "DisplayString",
    "InnerList",
    "Item",
    "Member",
    "Parameters",
    "Token",
    "parse_dictionary",
]

MAX_LENGTH = 64 * 1024  # longer field values are refused, not parsed (hostile-input bound)


@dataclass(frozen=True, slots=True)
class Token:
    """An sf-token (``y``, ``n``, ``foo/bar``): distinct from a String with the same text."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Date:
    """An sf-date: seconds since the Unix epoch."""

    seconds: int


@dataclass(frozen=True, slots=True)
class DisplayString:
    """An sf-displaystring: Unicode text, distinct from an ASCII String."""

    value: str


BareItem: TypeAlias = int | Decimal | str | Token | bytes | bool | Date | DisplayString
# Ordered pairs; a repeated key keeps its first position and its last value.
Parameters: TypeAlias = tuple[tuple[str, BareItem], ...]


@dataclass(frozen=True, slots=True)
class Item:
    """A bare item with its parameters."""

    value: BareItem
    parameters: Parameters = ()

    def param(self, key: str) -> BareItem | None:
        """The value of parameter ``key``, or ``None`` when absent."""
        return _lookup(self.parameters, key)


@dataclass(frozen=True, slots=True)
class InnerList:
    """A parenthesised list of items with its own parameters."""

    items: tuple[Item, ...]
    parameters: Parameters = ()

    def param(self, key: str) -> BareItem | None:
        """The value of parameter ``key``, or ``None`` when absent."""
        return _lookup(self.parameters, key)


Member: TypeAlias = Item | InnerList


def _lookup(parameters: Parameters, key: str) -> BareItem | None:
    for k, v in parameters:
        if k == key:
            return v
    return None


# RFC 9651 section 3.1.2: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
# section 3.3.4: sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_DIGITS = re.compile(r"[0-9]*")
# section 3.3.3: unescaped string characters, %x20-21 / %x23-5B / %x5D-7E
_STRING_RUN = re.compile(r"[ !#-\[\]-~]*")
# section 3.3.5: base64 alphabet (padding "=" included)
_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
# section 3.3.8: unescaped display-string characters, %x20-21 / %x23-24 / %x26-7E
_DISPLAY_RUN = re.compile(r"[ !#$&-~]*")
_OCTET = re.compile(r"[0-9a-f]{2}")  # section 4.2.10: lower-case hex only
_DIGIT_CHARS = frozenset("0123456789")
_TOKEN_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*")
_OWS = " \t"
# Section 3.3.1-3.3.2 limits on the digits of an Integer and a Decimal.
_MAX_INTEGER_DIGITS = 15
_MAX_DECIMAL_WHOLE_DIGITS = 12
_MAX_DECIMAL_FRACTION_DIGITS = 3


class _Parser:
    """Cursor over one ASCII field value; each method is one algorithm of RFC 9651 4.2."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ParseError:
        return ParseError(f"structured field: {what} at offset {self.pos}")

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def skip(self, chars: str) -> None:
        text, pos, end = self.text, self.pos, len(self.text)
        while pos < end and text[pos] in chars:
            pos += 1
        self.pos = pos

    def dictionary(self) -> dict[str, Member]:  # 4.2.2
        result: dict[str, Member] = {}
        end = len(self.text)
        while self.pos < end:
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                member = self.item_or_inner_list()
            else:
                member = Item(True, self.parameters())
            result[key] = member  # a repeated key overwrites value and parameters
            self.skip(_OWS)
            if self.pos >= end:
                return result
            if self.text[self.pos] != ",":
                raise self.fail("expected ',' between members")
            self.pos += 1
            self.skip(_OWS)
            if self.pos >= end:
                raise self.fail("trailing comma")
        return result

    def item_or_inner_list(self) -> Member:  # 4.2.1.1
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def inner_list(self) -> InnerList:  # 4.2.1.2
        self.pos += 1  # the "(" checked by the caller
        items: list[Item] = []
        end = len(self.text)
        while self.pos < end:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected SP or ')' in inner list")
        raise self.fail("unterminated inner list")

    def item(self) -> Item:  # 4.2.3
        value = self.bare_item()
        return Item(value, self.parameters())

    def bare_item(self) -> BareItem:  # 4.2.3.1
        ch = self.peek()
        if ch == "-" or ch in _DIGIT_CHARS:  # "" (end of input) is in no set
            return self.number()
        if ch == '"':
            return self.string()
        if ch in _TOKEN_START:
            return self.token()
        if ch == ":":
            return self.byte_sequence()
        if ch == "?":
            return self.boolean()
        if ch == "@":
            return self.date()
        if ch == "%":
            return self.display_string()
        raise self.fail("expected a bare item")

    def parameters(self) -> Parameters:  # 4.2.3.2
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return tuple(params.items())

    def key(self) -> str:  # 4.2.3.3
        match = _KEY.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected a key (lcalpha or '*' first)")
        self.pos = match.end()
        return match.group()

    def number(self) -> int | Decimal:  # 4.2.4
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        whole = _DIGITS.match(self.text, self.pos)
        assert whole is not None  # noqa: S101  ("[0-9]*" always matches)
        int_digits = whole.end() - whole.start()
        if int_digits == 0:
            raise self.fail("expected a digit")
        self.pos = whole.end()
        if self.peek() != ".":
            if int_digits > _MAX_INTEGER_DIGITS:
                raise self.fail("integer longer than 15 digits")
            return int(self.text[start : self.pos])
        if int_digits > _MAX_DECIMAL_WHOLE_DIGITS:
            raise self.fail("decimal with more than 12 integer digits")
        frac = _DIGITS.match(self.text, self.pos + 1)
        assert frac is not None  # noqa: S101
        frac_digits = frac.end() - frac.start()
        if frac_digits == 0:
            raise self.fail("decimal ends with '.'")
        if frac_digits > _MAX_DECIMAL_FRACTION_DIGITS:
            raise self.fail("decimal with more than 3 fractional digits")
        self.pos = frac.end()
        return Decimal(self.text[start : self.pos])

    def string(self) -> str:  # 4.2.5
        text, end = self.text, len(self.text)
        self.pos += 1  # the opening DQUOTE
        out: list[str] = []
        while True:
            run = _STRING_RUN.match(text, self.pos)
            assert run is not None  # noqa: S101
            out.append(run.group())
            self.pos = run.end()
            if self.pos >= end:
                raise self.fail("unterminated string")
            ch = text[self.pos]
            self.pos += 1
            if ch == '"':
                return "".join(out)
            if ch != "\\":
                raise self.fail("control or non-ASCII character in string")
            escaped = self.peek()
            if escaped not in ('"', "\\"):
                raise self.fail("invalid escape in string")
            out.append(escaped)
            self.pos += 1

    def token(self) -> Token:  # 4.2.6
        match = _TOKEN.match(self.text, self.pos)
        assert match is not None  # noqa: S101  (first character checked by the caller)
        self.pos = match.end()
        return Token(match.group())

    def byte_sequence(self) -> bytes:  # 4.2.7
        close = self.text.find(":", self.pos + 1)
        if close < 0:
            raise self.fail("unterminated byte sequence")
        content = self.text[self.pos + 1 : close]
        match = _BASE64.match(content)
        if match is None or match.end() != len(content):
            raise self.fail("invalid base64 character in byte sequence")
        # RFC 9651: parsers SHOULD NOT fail on missing "=" padding or on non-zero pad bits
        # (binascii ignores those bits); padding, when present, must be exactly what is missing.
        body = content.rstrip("=")
        missing = -len(body) % 4
        padding = len(content) - len(body)
        if "=" in body or len(body) % 4 == 1 or (padding and padding != missing):
            raise self.fail("malformed base64 in byte sequence")
        self.pos = close + 1
        return binascii.a2b_base64(body + "=" * missing)

    def boolean(self) -> bool:  # 4.2.8
        value = self.text[self.pos + 1 : self.pos + 2]
        if value not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.pos += 2
        return value == "1"

    def date(self) -> Date:  # 4.2.9
        self.pos += 1  # the "@"
        value = self.number()
        if isinstance(value, Decimal):
            raise self.fail("date must be an integer")
        return Date(value)

    def display_string(self) -> DisplayString:  # 4.2.10
        text, end = self.text, len(self.text)
        if text[self.pos + 1 : self.pos + 2] != '"':
            raise self.fail("expected '\"' after '%'")
        self.pos += 2
        buf = bytearray()
        while True:
            run = _DISPLAY_RUN.match(text, self.pos)
            assert run is not None  # noqa: S101
            buf += run.group().encode("ascii")
            self.pos = run.end()
            if self.pos >= end:
                raise self.fail("unterminated display string")
            ch = text[self.pos]
            self.pos += 1
            if ch == '"':
                try:
                    return DisplayString(buf.decode("utf-8"))
                except UnicodeDecodeError:
                    raise self.fail("display string is not UTF-8") from None
            if ch != "%":
                raise self.fail("control or non-ASCII character in display string")
            octet = _OCTET.match(text, self.pos)
            if octet is None:
                raise self.fail("expected two lower-case hex digits after '%'")
            buf.append(int(octet.group(), 16))
            self.pos += 2


def parse_dictionary(value: str | bytes) -> dict[str, Member]:
    """Parse a field value as an RFC 9651 Dictionary; raise ``ParseError`` if it is not one.

    The field must already be one value: join several header lines with ``", "`` first
    (RFC 9651 section 4.2). Leading and trailing SP are allowed, as the RFC says; anything else
    outside the grammar, including non-ASCII text, fails.
    """
    if len(value) > MAX_LENGTH:
        raise ParseError(f"structured field: longer than {MAX_LENGTH} characters")
    if isinstance(value, bytes):
        try:
            text = value.decode("ascii")
        except UnicodeDecodeError:
            raise ParseError("structured field: not ASCII") from None
    elif value.isascii():
        text = value
    else:
        raise ParseError("structured field: not ASCII")
    parser = _Parser(text)
    parser.skip(" ")
    # dictionary() returns only at the end of input (it eats trailing OWS after each member),
    # which is the RFC's closing "discard SP, then fail on anything left".
    return parser.dictionary()
