"""Where a document head may be cut: the HTML tokenizer's states, read from raw bytes.

:mod:`~optout_middleware.formats.htmlhead` hands lxml a prefix of the page, not the page. This
module owns the byte-level scanning that keeps that prefix honest, without parsing: whether a
cut landed inside a tag, a comment or a raw-text element (``<script>``, ``<style>``,
``<title>``, ...) and where the tokenizer is next back in its data state
(:func:`between_tags`, for the growing windows of a head without ``</head>`` or ``<body>``),
and, from such a cut, where the head really ends (:func:`open_at_end` then :func:`resume`).

Every scan goes forward from where the previous one stopped (linear in the bytes read) and uses
regular expressions without nested quantifiers. Which end marker is searched first, the window
sizes and the lxml parse and collection stay in ``htmlhead``.
"""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["State", "between_tags", "open_at_end", "resume"]


# Elements whose content is text up to their own end tag (HTML "raw text" and "escapable raw
# text", plus the legacy ones libxml2 also treats so). noscript is parsed as markup by libxml2.
_RAW_TEXT = ("script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")
_RAW_TEXT_SET = frozenset((*_RAW_TEXT, "plaintext"))
_TOKEN = re.compile(
    rb"<(?:(?P<end>/head|body)|(?P<raw>"
    + "|".join((*_RAW_TEXT, "plaintext")).encode()
    + rb")|(?P<comment>!--))(?(comment)|(?=[\s/>]))",
    re.IGNORECASE,
)
_CLOSER = {t: re.compile(rb"</" + t.encode() + rb"(?=[\s/>])", re.IGNORECASE) for t in _RAW_TEXT}
# A whole tag from its "<": quoted values may hold ">" (no nested quantifiers: linear).
_TAG = re.compile(rb"<[^\s/>\"']*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_TAG_NAME = re.compile(rb"[A-Za-z][^\s/>]*")
_TAIL = 256  # bytes of the prefix's end looked at when checking where the cut landed


def between_tags(buf: bytes, start: int, pos: int, limit: int) -> int:
    """The first offset at or after ``pos`` where the HTML tokenizer is in its data state.

    ``start`` must be such an offset (0, or a previous answer); the scan goes forward from it
    over tags (quoted values may hold ``>``), comments and raw-text elements, so windows that
    grow re-scan nothing: linear in the bytes read. ``limit`` when the construct never ends.
    """
    while True:
        lt = buf.find(b"<", start, pos)
        if lt < 0:
            return pos
        nxt = buf[lt + 1 : lt + 2]
        if buf.startswith(b"<!--", lt):
            found = buf.find(b"-->", lt + 4, limit)
            end = limit if found < 0 else found + 3
        elif nxt in (b"!", b"?") or (nxt == b"/" and buf[lt + 2 : lt + 3].isalpha()):
            found = buf.find(b">", lt + 2, limit)  # declaration, bogus comment, end tag
            end = limit if found < 0 else found + 1
        elif nxt.isalpha():
            whole = _TAG.match(buf, lt, limit)
            if whole is None:
                return limit
            end = whole.end()
            name = _TAG_NAME.match(buf, lt + 1)
            raw = name.group().lower().decode("latin-1") if name is not None else ""
            if raw == "plaintext":
                return limit
            if raw in _CLOSER:
                closer = _CLOSER[raw].search(buf, end, limit)
                if closer is None:
                    return limit
                found = buf.find(b">", closer.end(), limit)
                end = limit if found < 0 else found + 1
        else:  # "<" not starting a tag is text
            start = lt + 1
            continue
        if end >= pos:
            return min(end, limit)
        start = end


# What the cut landed inside: ("raw", tag), ("comment", ""), ("tag", "") or None (nothing).
State = tuple[str, str]


def open_at_end(root: etree._Element | None, prefix: bytes, codec: str) -> State | None:
    """Whether the prefix ends inside a raw-text element, a comment or a tag (O(1) checks).

    lxml closes whatever is open at the end of its input, so the last node of the tree is the
    element or comment the cut landed in exactly when its text runs to the end of the prefix.
    """
    tail = prefix[-_TAIL:].rstrip()
    if root is not None:
        node = root
        while len(node):
            node = node[-1]
        tag = node.tag
        if isinstance(tag, str):
            if tag in _RAW_TEXT_SET and (
                _text_runs_to_end(node.text, tail, codec) or _ends_with_start_tag(tail, tag)
            ):
                return ("raw", tag)
        elif tag is etree.Comment and _text_runs_to_end(node.text, tail, codec):
            return _comment_state(prefix, tail)
    elif b"<!--" in tail:
        return _comment_state(prefix, tail)
    if not tail or tail.endswith(b">"):
        return None
    return ("tag", "") if tail.rfind(b"<") > tail.rfind(b">") else None


def _text_runs_to_end(text: str | None, tail: bytes, codec: str) -> bool:
    suffix = (text or "").rstrip()[-16:]
    if not suffix:
        return False
    try:
        return tail.endswith(suffix.encode(codec, "replace"))
    except (LookupError, UnicodeError, ValueError, TypeError):
        return False


def _ends_with_start_tag(tail: bytes, tag: str) -> bool:
    """``<script>`` right before the cut: the element is open with no text yet."""
    start = tail.rfind(b"<")
    return tail.endswith(b">") and tail[start + 1 : start + 1 + len(tag)].lower() == tag.encode()


def _comment_state(prefix: bytes, tail: bytes) -> State | None:
    opened = prefix.rfind(b"<!--")
    if opened >= 0 and opened + 2 > prefix.rfind(b"-->"):
        return ("comment", "")
    # A bogus comment ("<?...", "<!x") ends at the next ">", like a tag.
    return None if tail.endswith(b">") else ("tag", "")


def resume(buf: bytes, state: State, pos: int, limit: int) -> int | None:
    """Scan on from a cut that landed inside something; the real end of the head, or None.

    None means the head never ends (an unclosed ``<script>`` runs to the end of the document),
    so the first parse stands. Linear: every search starts where the previous one ended.
    """
    kind, tag = state
    if kind == "raw":
        if tag not in _CLOSER:  # plaintext: nothing ever ends it
            return None
        closer = _CLOSER[tag].search(buf, pos, limit)
        if closer is None:
            return None
        pos = closer.end()
    elif kind == "comment":
        found = buf.find(b"-->", pos, limit)
        if found < 0:
            return None
        pos = found + 3
    else:
        start = buf.rfind(b"<", 0, pos)
        whole = _TAG.match(buf, start, limit) if start >= 0 else None
        if whole is None:
            return None
        pos = whole.end()
    while True:
        token = _TOKEN.search(buf, pos, limit)
        if token is None:
            return limit
        if token.group("end"):
            return token.start()
        if token.group("comment"):
            found = buf.find(b"-->", token.start() + 2, limit)
            if found < 0:
                return None
            pos = found + 3
            continue
        raw = token.group("raw").lower().decode()
        if raw not in _CLOSER:
            return None
        closer = _CLOSER[raw].search(buf, token.end(), limit)
        if closer is None:
            return None
        pos = closer.end()
