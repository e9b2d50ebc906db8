"""The character encoding of an HTML head, in the WHATWG order (see :mod:`.htmlhead`).

A BOM, then the HTTP charset, then a ``charset=`` in the head, else UTF-8; labels map to
Python codecs with the WHATWG quirks, and labels that are not text encodings are refused.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

__all__ = ["bom_codec", "codec_for", "meta_codec", "transcode"]

_ASCII_WS = " \t\n\f\r"
_CACHE_KEY_MAX = 64  # longer labels are refused (a hostile header must not fill the cache)
_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([a-z0-9_.:\-]{1,40})", re.IGNORECASE)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG encoding-label quirks that Python's codec names do not share.
_CODEC_FIXUPS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gbk"}
_NOT_HTML_CODECS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7"})


def bom_codec(body: bytes) -> str | None:
    """The codec a byte-order mark names (it wins over every label), or None."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for bom, name in _WIDE_BOMS:
        if body.startswith(bom):
            return name
    return None


def codec_for(label: str) -> str | None:
    """Python codec for an encoding label, or None for labels we cannot or must not use."""
    return _lookup_codec(label) if len(label) <= _CACHE_KEY_MAX else None


@lru_cache(maxsize=64)
def _lookup_codec(label: str) -> str | None:
    try:
        info = codecs.lookup(label.strip(_ASCII_WS))
    except (LookupError, ValueError, TypeError):
        return None
    name = info.name
    if name in _NOT_HTML_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return _CODEC_FIXUPS.get(name, name)


def meta_codec(buf: bytes, end: int) -> str:
    """The codec of the first ``charset=`` in ``buf[:end]``, else UTF-8."""
    found = _CHARSET.search(buf, 0, end)
    if found is None:
        return "utf-8"
    codec = codec_for(found.group(1).decode("ascii"))
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        return "utf-8"  # HTML: a UTF-16 declaration read from ASCII bytes is a lie
    return codec


def transcode(data: bytes, codec: str) -> str:
    """``data`` decoded; bad bytes become U+FFFD, never an exception."""
    try:
        return data.decode(codec, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", "replace")
