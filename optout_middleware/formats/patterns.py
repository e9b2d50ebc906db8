"""Robots-style path patterns (RFC 9309 section 2.2.2-2.2.3), shared by robots.txt, tdmrep.json and ai.txt.

A pattern is matched against a request target (path plus query) from its first octet: ``*`` is
any run of octets, a final ``$`` anchors the end, anything else is a prefix test. Matching never
uses a regex, so it stays linear in the lengths of pattern and path (no backtracking blow-up).

Both sides are brought to one percent-encoded form before comparison: non-ASCII and unsafe octets
are %-encoded as UTF-8, escapes of unreserved characters are decoded (``%7E`` is ``~``), other
escapes keep their meaning with upper-case hex (``%2F`` stays distinct from ``/``). A literal
``*`` or ``$`` in a path is encoded, so a rule reaches it only through ``%2A`` / ``%24``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["PathPattern", "normalise_path", "normalise_pattern", "request_target"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")
# Octets that appear as themselves in a normalised target: RFC 3986 unreserved, reserved and "%".
_SAFE_TARGET = re.compile(r"[A-Za-z0-9\-._~!&'()+,;=:@/?\[\]]*")
_KEEP = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!&'()+,;=:@/?[]"
)
# A pattern already in normal form: safe octets and "*", at most a final "$" (most rules are).
_SAFE_PATTERN = re.compile(r"[A-Za-z0-9\-._~!&'()+,;=:@/?\[\]*]*\$?")


def _normalise(text: str, *, specials: str) -> str:
    """Percent-normalise ``text``, leaving the characters in ``specials`` unencoded."""
    out: list[str] = []
    append = out.append
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in _KEEP or ch in specials:
            append(ch)
        else:
            append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        i += 1
    return "".join(out)


def normalise_path(target: str) -> str:
    """Return a request target (path and query) in the normal form patterns are compared in."""
    if _SAFE_TARGET.fullmatch(target):  # most crawled URLs: nothing to rewrite
        return target
    return _normalise(target, specials="")


def normalise_pattern(pattern: str) -> str:
    """Return a rule pattern in normal form: ``*`` kept, a final ``$`` kept, runs of ``*`` folded."""
    if "**" not in pattern and _SAFE_PATTERN.fullmatch(pattern):  # parse-time hot path
        return pattern
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    body = re.sub(r"\*+", "*", _normalise(body, specials="*"))
    return body + "$" if anchored else body


# The last (url, target): every family asks for the same URL's target in turn (one tuple, so
# a reader never sees a url paired with another url's target).
_last_target = ("/", "/")


def request_target(url: str) -> str:
    """Return the normalised path-and-query of ``url`` (``/`` when the path is empty).

    A bare path (``/a?b``) is accepted as well as an absolute URL.
    """
    global _last_target  # noqa: PLW0603  (a one-entry memo)
    last = _last_target
    if url == last[0]:
        return last[1]
    target = _request_target(url)
    _last_target = (url, target)
    return target


def _request_target(url: str) -> str:
    if url.startswith("/"):
        return normalise_path(url.partition("#")[0])
    # Fast path for the usual crawled URL, "scheme://authority/path?query" with safe octets.
    scheme_end = url.find("://")
    begin = scheme_end + 3
    slash = url.find("/", begin) if scheme_end > 0 and url[:scheme_end].isalnum() else -1
    if slash >= 0:
        authority = url[begin:slash]
        if "?" not in authority and "#" not in authority:
            target = url[slash:].partition("#")[0]
            if _SAFE_TARGET.fullmatch(target):
                return target
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1": a bad authority must not crash a crawl
        return _target_after_authority(url)
    path, query = parts.path or "/", parts.query
    if path[0] != "/":  # a relative reference ("http", "0"): a target is always a path
        path = "/" + path
    # An empty query keeps its "?" as in the bare-path form ("/a?" is not "/a").
    sep = "?" if query or "?" in url.partition("#")[0] else ""
    return normalise_path(path + sep + query if sep else path)


def _target_after_authority(url: str) -> str:
    """The request target of a URL that ``urlsplit`` rejects: whatever follows the authority."""
    rest = url.partition("://")[2] or url
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    start = min(ends) if ends else len(rest)
    tail = rest[start:]
    return _request_target(tail if tail.startswith("/") else "/" + tail)


class PathPattern:
    """One compiled pattern; ``length`` is its octet count in normal form (the RFC's specificity)."""

    __slots__ = (
        "_anchored",
        "_first",
        "_last",
        "_middle",
        "_wild",
        "length",
        "plain",
        "raw",
        "text",
    )

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = normalise_pattern(raw)
        self.length = len(self.text.encode("utf-8"))
        self._anchored = self.text.endswith("$")
        body = self.text[:-1] if self._anchored else self.text
        pieces = body.split("*")
        self._wild = len(pieces) > 1
        self._first = pieces[0]
        self._last = pieces[-1] if self._wild else ""
        self._middle = tuple(pieces[1:-1])
        # No "*" and no "$": the pattern matches exactly the targets that start with it.
        self.plain = not self._wild and not self._anchored

    def __repr__(self) -> str:
        return f"PathPattern({self.raw!r})"

    @property
    def literal_prefix(self) -> str:
        """The text every matching target starts with (up to the first ``*`` or ``$``)."""
        return self._first

    def matches(self, target: str) -> bool:
        """Whether this pattern matches a normalised request target."""
        first = self._first
        if not self._wild:
            return target == first if self._anchored else target.startswith(first)
        if not target.startswith(first):
            return False
        pos = len(first)
        end = len(target)
        if self._anchored:  # the last piece must end the target, after everything before it
            end -= len(self._last)
            if end < pos or not target.endswith(self._last):
                return False
        for piece in self._middle:  # leftmost placement of each piece is always safe for '*'
            found = target.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        if self._anchored:
            return True
        return target.find(self._last, pos) >= 0
