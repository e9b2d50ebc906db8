"""A C-speed reader for the simple ``<head>``: tags, scripts, styles, a title, comments.

Most heads hold nothing but whitespace, a doctype, ``<html>``/``<head>`` start tags, void
``<meta>``/``<link>``/``<base>`` tags, ``<title>``, ``<style>`` and ``<script>`` elements and
comments. For such a head the HTML tokenizer has nothing to decide that a regular expression
cannot: one ``fullmatch`` of :data:`_SIMPLE_HEAD` proves the whole prefix is made of those
tokens and nothing else (so no text or body element opened a ``<body>``, no tag or comment is
cut off at the end, no ``</head>`` hid in a script), and one ``findall`` of :data:`_TOKENS`
returns the ``<meta>``/``<link>``/``<base>`` tags in order, stepping over the contents of
scripts, styles, titles and comments. Both run inside the ``re`` engine; Python only reads the
attributes of the tags it finds, and remembers the result per distinct tag (sites repeat their
head tags on every page).

The rules are the WHATWG tokenizer's (which libxml2 2.14, under lxml, implements): attribute
names are ASCII-lower-cased, the first of two equal names wins, a value-less attribute is ``""``,
an unquoted value runs to whitespace or ``>`` (a ``/`` in it is kept), ``/`` separates
attributes, CR and CRLF become LF, and character references are decoded in values. Anything
else returns None and the caller parses the head with lxml: a ``<noscript>``, ``<template>`` or
any other element, non-blank text, ``<!--`` in a script, a ``--!>``, an odd attribute (a quote
or ``<`` in a name, ``a="x"b``, a backtick in an unquoted value), a character reference that is
not a named one with its ``;`` or a plain numeric one, a NUL, bytes that are not UTF-8.
``tests/test_headscan.py`` compares it with the lxml reading on generated heads.
"""

from __future__ import annotations

import html
import re
from html.entities import html5 as _HTML5_ENTITIES

__all__ = ["read_tag", "simple_head_tags"]

_WS = rb"[ \t\n\r\f]"
_BOUND = rb"(?=[ \t\n\r\f/>])"
# A start tag's attributes as the tokenizer reads them: names, then "=" and a value.
_STRICT_ATTRS = (
    rb"(?:[ \t\n\r\f/]++[^ \t\n\r\f/>\"'<=]++"
    rb"(?:[ \t\n\r\f]*+=[ \t\n\r\f]*+(?:\"[^\"]*+\"|'[^']*+'|[^ \t\n\r\f>\"'<=`]++))?)*+"
    rb"[ \t\n\r\f/]*+"
)
# Cheaper, for the tags whose attributes are read (each read tag is checked against
# _STRICT_ATTRS once, see read_tag): a quote opens a value only after "=".
_LOOSE_ATTRS = (
    rb"(?:[ \t\n\r\f/][^<>\"'=]*+"
    rb"(?:=[ \t\n\r\f]*+(?:\"[^\"]*+\"|'[^']*+'|[^ \t\n\r\f>\"'<=`]++)[^<>\"'=]*+)*+)?"
)
_COMMENT = rb"<!--(?!-?>)(?:[^-]++|-(?!->))*+-->"
_DOCTYPE = rb"<!(?i:doctype)[^>]*+>"
_SKIPPED = rb"|".join((_COMMENT, _DOCTYPE, rb"<(?i:html|head)" + _BOUND + _STRICT_ATTRS + rb">"))
_READ = rb"<(?i:meta|link|base)" + _BOUND + _LOOSE_ATTRS + rb">"
# A stretch of tags between two raw-text elements, then the start tag of the next one, if any.
_STRETCH = re.compile(
    rb"(?:" + _WS + rb"++|" + _SKIPPED + rb"|" + _READ + rb")*+"
    rb"(?:<((?i:script|style|title))" + _BOUND + _STRICT_ATTRS + rb">)?"
)
# The same tokens, capturing only the read tags. Run over a stretch _STRETCH matched whole, it
# meets every token at its start (each branch begins differently), so nothing inside a comment
# or an attribute value is ever taken for a tag.
_TOKENS = re.compile(rb"(?:" + _SKIPPED + rb")|(" + _READ + rb")")
_TAG = re.compile(rb"<([A-Za-z]+)(" + _STRICT_ATTRS + rb")>")
_ATTR = re.compile(
    rb"([^ \t\n\r\f/>\"'<=]+)(?:[ \t\n\r\f]*=[ \t\n\r\f]*"
    rb"(?:\"([^\"]*)\"|'([^']*)'|([^ \t\n\r\f>\"'<=`]+)))?"
)
_RSL_TYPE = b"rsl+xml"  # <script type="application/rsl+xml"> holds a licence (signals/rsl.py)
_END_TAG = re.compile(rb"[ \t\n\r\f]*+>")
# A reference whose meaning does not depend on what follows it: a named one ending in ";",
# or a decimal or hex one.
_REFERENCE = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*;)|#([0-9]{1,7});|#[xX]([0-9A-Fa-f]{1,6});)")
# Numeric references the tokenizer decodes as written (no control, surrogate or noncharacter
# replacement, no C1 remapping); astral ones are left to lxml too.
_PLAIN_CODE_POINTS = ((0x20, 0x7F), (0xA0, 0xD800), (0xE000, 0xFDD0))
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def simple_head_tags(prefix: bytes) -> list[bytes] | None:
    """The ``<meta>``, ``<link>`` and ``<base>`` tags of ``prefix`` (a UTF-8 head, up to its
    ``</head``/``<body``) in order, as bytes; None when the head is not simple (see above) or
    holds an RSL script (only a parser returns script texts)."""
    if b"\x00" in prefix or b"--!>" in prefix:
        return None
    if not prefix.isascii():
        try:
            prefix.decode("utf-8")
        except UnicodeDecodeError:
            return None
    end = len(prefix)
    pos = 3 if prefix.startswith(b"\xef\xbb\xbf") else 0
    tags: list[bytes] = []
    while True:
        stretch = _STRETCH.match(prefix, pos)
        assert stretch is not None  # noqa: S101  (it matches the empty string)
        element = stretch.group(1)
        found = _TOKENS.findall(prefix, pos, stretch.end() if element is None else stretch.start(1))
        tags.extend(filter(None, found))  # the skipped tokens are b""
        pos = stretch.end()
        if element is None:
            return tags if pos == end else None
        element = element.lower()
        if element == b"script" and _RSL_TYPE in prefix[stretch.start(1) : pos].lower():
            return None  # an inline RSL licence: the caller's parser reads script texts
        pos = _after_raw_text(prefix, pos, element)
        if pos < 0:
            return None


def _after_raw_text(prefix: bytes, pos: int, name: bytes) -> int:
    """Where a script, style or title element whose text starts at ``pos`` ends (its text runs
    to the first end tag of its name, in any case), or -1 when that is not simple."""
    find = prefix.find
    size = len(name) + 2
    at = pos
    while True:
        at = find(b"</", at)
        if at < 0:
            return -1  # runs past the cut
        if prefix[at + 2 : at + size].lower() == name:
            end_tag = _END_TAG.match(prefix, at + size)
            if end_tag is None:
                return -1  # "</scripts", or an end tag with attributes
            if name == b"script" and find(b"<!--", pos, at) >= 0:
                return -1  # script data escapes: the tokenizer may read on
            return end_tag.end()
        at += 2


def read_tag(raw: bytes) -> tuple[str, dict[str, str]] | None:
    """The lower-cased name and attributes of one start tag, as the tokenizer reads them (the
    first of two equal names wins, a value-less attribute is ""), or None when this reader
    cannot be sure (an odd attribute, a character reference that is not plain)."""
    tag = _TAG.fullmatch(raw)
    if tag is None:
        return None
    attrs: dict[str, str] = {}
    for key, double, single, bare in _ATTR.findall(raw, tag.start(2), tag.end(2)):
        name = key.decode("utf-8").translate(_ASCII_LOWER)
        if name not in attrs:
            value = _value(double or single or bare)
            if value is None:
                return None
            attrs[name] = value
    return tag.group(1).decode("ascii").lower(), attrs


def _value(raw: bytes) -> str | None:
    value = raw.decode("utf-8")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in value:
        return _decode_references(value)
    return value


def _decode_references(value: str) -> str | None:
    """Decode references that mean the same wherever they stand; None for the others."""
    found = _REFERENCE.findall(value)
    if value.count("&") != len(found):
        return None
    for named, decimal, hexadecimal in found:
        if named:
            if named not in _HTML5_ENTITIES:
                return None
            continue
        code = int(decimal, 10) if decimal else int(hexadecimal, 16)
        if not any(low <= code < high for low, high in _PLAIN_CODE_POINTS):
            return None
    return html.unescape(value)
