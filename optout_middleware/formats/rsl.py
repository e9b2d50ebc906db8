"""RSL 1.0 ("Really Simple Licensing") XML documents: bytes in, contents and licences out.

What a publisher's licence document says, kept as written: each ``<content url>`` with its
``server`` and ``encrypted`` flags, and each ``<license>`` with its ``<permits>`` and
``<prohibits>`` token lists by type (``usage``, ``user``, ``geo``), its ``<payment>`` and its
``<reporting>`` requirements, plus the document's ``max-age`` in days. What the tokens mean for a
crawl's purpose is :mod:`optout_middleware.signals.rsl`'s business.

Hostile input is the normal case (``../shared/rsl.md`` section 6):

* a document with a DOCTYPE or an entity declaration or reference is invalid, whatever it
  declares (XXE, billion laughs, quadratic blow-up): the bytes are refused before lxml sees them
  when the DOCTYPE is visible in them, and lxml runs with entity resolution, DTD loading and the
  network off, and with its huge-tree limits on, so nothing named is ever fetched or expanded;
* at most :data:`MAX_BYTES` bytes, :data:`MAX_ELEMENTS` elements and :data:`MAX_TOKENS` tokens;
* the root must be ``rsl`` in the RSL namespace (a prefix is tolerated); an unknown element in
  that namespace (``<permit>``) makes the document invalid, foreign elements are ignored;
* ``encrypted`` must be ``true`` or ``false``, and ``true`` needs a ``server``.

Readings where 1.0 is strict but deployed files are not (each leaves a note): comma-separated
token lists (the 0.9 syntax) are split; a second ``<permits>`` of one type narrows the first
(intersection) and a second ``<prohibits>`` widens it (union); ``<permits>`` without ``type`` is
ignored and ``<prohibits>`` without ``type`` is read as ``usage``; an invalid ``max-age`` is the
default 30 days, and one above :data:`MAX_AGE_DAYS` is clamped.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from optout_middleware.errors import ParseError

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "MAX_AGE_DAYS",
    "MAX_BYTES",
    "MAX_ELEMENTS",
    "MAX_TOKENS",
    "NAMESPACE",
    "RslContent",
    "RslDocument",
    "RslLicense",
    "RslPayment",
    "RslReporting",
    "parse_rsl",
]

NAMESPACE = "https://rslstandard.org/rsl"
MAX_BYTES = 512 * 1024
MAX_ELEMENTS = 20_000
MAX_TOKENS = 20_000
MAX_CONTENTS = 2_000
DEFAULT_MAX_AGE_DAYS = 30
MAX_AGE_DAYS = 365
_TOKEN_MAX = 200  # characters; longer tokens are garbage, not vocabulary
_TYPES = ("usage", "user", "geo")
_KNOWN = frozenset(
    {
        "rsl", "content", "license", "permits", "prohibits", "payment", "standard", "custom",
        "amount", "accepts", "reporting", "legal", "copyright", "terms", "schema", "alternate",
    }
)  # fmt: skip
_SPLIT = re.compile(r"[\s,]+")
# "<!DOCTYPE" / "<!ENTITY" in any case, with no lxml involved (the cheap, certain refusal).
_DTD_BYTES = re.compile(rb"<!\s*(?:doctype|entity)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!\s*(?:doctype|entity)", re.IGNORECASE)
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}


@dataclass(frozen=True, slots=True)
class RslPayment:
    """One ``<payment>``: ``type`` lower-cased (None when absent) and its children as written."""

    type: str | None
    standard: str | None = None
    custom: str | None = None
    amounts: tuple[tuple[str, str], ...] = ()  # (decimal as written, currency)
    accepts: tuple[str, ...] = ()  # payment protocols (media types)

    def describe(self) -> str:
        """``training 0.002 EUR (standard https://...)``: what it costs, for evidence notes."""
        parts = [self.type or "payment without type"]
        parts.extend(f"{amount} {currency}".strip() for amount, currency in self.amounts)
        if self.standard:
            parts.append(f"standard {self.standard}")
        if self.custom:
            parts.append(f"custom {self.custom}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class RslReporting:
    """One ``<reporting>`` requirement (telemetry, provenance, audit)."""

    type: str | None
    profile: str | None
    endpoint: str | None


@dataclass(frozen=True, slots=True)
class RslLicense:
    """One ``<license>`` of a content: an alternative offer. ``index`` is 1-based."""

    index: int
    permits: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (type, tokens), types unique
    prohibits: tuple[tuple[str, tuple[str, ...]], ...] = ()
    payments: tuple[RslPayment, ...] = ()
    reporting: tuple[RslReporting, ...] = ()
    notes: tuple[str, ...] = ()

    def permitted(self, kind: str) -> tuple[str, ...] | None:
        """The closed list of ``kind`` tokens, or None when this licence has no such list."""
        for name, tokens in self.permits:
            if name == kind:
                return tokens
        return None

    def prohibited(self, kind: str) -> tuple[str, ...]:
        """The prohibited ``kind`` tokens (empty when none)."""
        for name, tokens in self.prohibits:
            if name == kind:
                return tokens
        return ()


@dataclass(frozen=True, slots=True)
class RslContent:
    """One ``<content>``: ``url`` is a path pattern (or an absolute URL, or ``""`` inline)."""

    url: str
    licenses: tuple[RslLicense, ...] = ()
    server: str | None = None
    encrypted: bool = False
    index: int = 1  # 1-based, in document order
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RslDocument:
    """A valid RSL document; ``max_age_days`` is how long it may be cached."""

    contents: tuple[RslContent, ...]
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    prefixed: bool = False  # the root used a namespace prefix (allowed, SHOULD NOT)
    notes: tuple[str, ...] = ()


class _Budget:
    __slots__ = ("tokens",)

    def __init__(self) -> None:
        self.tokens = 0


def parse_rsl(data: bytes | str, *, inline: bool = False) -> RslDocument:
    """Parse an RSL document; any input gives a document or a :class:`ParseError`.

    ``inline`` is an HTML ``<script type="application/rsl+xml">``: exactly one ``<content>``,
    whose ``url=""`` means the page itself.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        raise ParseError(f"larger than {MAX_BYTES // 1024} KiB ({len(raw)} bytes)")
    _refuse_dtd(raw)
    try:
        root = etree.fromstring(raw, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not well-formed XML: {_short(str(exc))}") from None
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"not readable as XML: {_short(str(exc))}") from None
    if root is None:
        raise ParseError("empty document")
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        raise ParseError("a DOCTYPE is not allowed in an RSL document")
    _check_tree(root)
    if not isinstance(root.tag, str) or etree.QName(root).namespace != NAMESPACE:
        raise ParseError(f"the root element is {_name(root)}, not rsl in namespace {NAMESPACE}")
    if etree.QName(root).localname != "rsl":
        raise ParseError(f"the root element is {_name(root)}, not rsl")
    notes: list[str] = []
    budget = _Budget()
    contents: list[RslContent] = []
    for child in _children(root, "content"):
        if len(contents) >= MAX_CONTENTS:
            raise ParseError(f"more than {MAX_CONTENTS} <content> elements")
        contents.append(_content(child, len(contents) + 1, inline, notes, budget))
    if not contents:
        raise ParseError("no <content> element")
    if inline and len(contents) != 1:
        raise ParseError(f"an inline RSL script needs exactly one <content>, not {len(contents)}")
    return RslDocument(
        tuple(contents), _max_age(root.get("max-age"), notes), bool(root.prefix), tuple(notes)
    )


def _refuse_dtd(raw: bytes) -> None:
    """Refuse a visible DOCTYPE or ENTITY before any XML parser reads the bytes."""
    if _DTD_BYTES.search(raw):
        raise ParseError("a DOCTYPE or ENTITY declaration is not allowed in an RSL document")
    codec = next((name for bom, name in _WIDE if raw.startswith(bom)), None)
    if codec is None and b"\x00" in raw[:4]:  # UTF-16 without a BOM
        codec = "utf-16-be" if raw[:1] == b"\x00" else "utf-16-le"
    if codec is not None and _DTD_TEXT.search(raw.decode(codec, "replace")):
        raise ParseError("a DOCTYPE or ENTITY declaration is not allowed in an RSL document")


def _check_tree(root: etree._Element) -> None:
    """Element count, entity references and unknown RSL elements, in one linear walk."""
    for count, el in enumerate(root.iter(), 1):
        if count > MAX_ELEMENTS:
            raise ParseError(f"more than {MAX_ELEMENTS} elements")
        tag = el.tag
        if tag is etree.Entity:
            raise ParseError("an entity reference is not allowed in an RSL document")
        if isinstance(tag, str) and tag.startswith("{" + NAMESPACE + "}"):
            local = tag[len(NAMESPACE) + 2 :]
            if local not in _KNOWN:
                raise ParseError(f"unknown RSL element <{local}>", line=_line(el))


def _children(el: etree._Element, local: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and c.tag == f"{{{NAMESPACE}}}{local}"]


def _content(
    el: etree._Element, index: int, inline: bool, notes: list[str], budget: _Budget
) -> RslContent:
    url = el.get("url")
    if url is None:
        raise ParseError("<content> without url", line=_line(el))
    url = url.strip()
    if not url and not inline:
        notes.append(
            f'content {index}: url="" names a scope only in HTML or RSS; it matches nothing'
        )
    server = (el.get("server") or "").strip() or None
    encrypted_raw = el.get("encrypted")
    if encrypted_raw not in (None, "true", "false"):
        raise ParseError(f'encrypted="{encrypted_raw}" must be "true" or "false"', line=_line(el))
    encrypted = encrypted_raw == "true"
    if encrypted and server is None:
        raise ParseError('encrypted="true" needs a server', line=_line(el))
    licenses = tuple(
        _license(child, i, budget) for i, child in enumerate(_children(el, "license"), 1)
    )
    if not licenses:
        notes.append(f"content {index} ({url!r}) has no <license>: it grants nothing")
    return RslContent(url, licenses, server, encrypted, index, _line(el))


def _license(el: etree._Element, index: int, budget: _Budget) -> RslLicense:
    notes: list[str] = []
    permits: dict[str, tuple[str, ...]] = {}
    prohibits: dict[str, tuple[str, ...]] = {}
    payments: list[RslPayment] = []
    reporting: list[RslReporting] = []
    for child in el:
        if not isinstance(child.tag, str) or not child.tag.startswith("{" + NAMESPACE + "}"):
            continue  # comments, foreign extensions
        local = etree.QName(child).localname
        if local in ("permits", "prohibits"):
            _token_list(child, local, permits if local == "permits" else prohibits, notes, budget)
        elif local == "payment":
            payments.append(_payment(child))
        elif local == "reporting":
            reporting.append(
                RslReporting(child.get("type"), child.get("profile"), child.get("endpoint"))
            )
    return RslLicense(
        index,
        tuple(permits.items()),
        tuple(prohibits.items()),
        tuple(payments),
        tuple(reporting),
        tuple(notes),
    )


def _token_list(
    el: etree._Element,
    local: str,
    into: dict[str, tuple[str, ...]],
    notes: list[str],
    budget: _Budget,
) -> None:
    kind = (el.get("type") or "").strip().lower()
    if not kind:
        if local == "permits":
            notes.append("<permits> without type ignored")
            return
        kind = "usage"
        notes.append("<prohibits> without type read as usage")
    if kind not in _TYPES:
        notes.append(f'<{local} type="{kind}"> is not a known type; ignored')
        return
    text = _text(el)
    if "," in text:
        notes.append(f"<{local}> uses commas (0.9 syntax); split on them")
    tokens: list[str] = []
    for token in _SPLIT.split(text):
        if not token or len(token) > _TOKEN_MAX:
            continue
        budget.tokens += 1
        if budget.tokens > MAX_TOKENS:
            raise ParseError(f"more than {MAX_TOKENS} tokens")
        tokens.append(token.upper() if kind == "geo" else token.lower())
    if kind in into:
        previous = into[kind]
        if local == "permits":  # a second closed list can only narrow what the first allowed
            into[kind] = tuple(t for t in previous if t in tokens)
        else:
            into[kind] = previous + tuple(t for t in tokens if t not in previous)
        notes.append(f"two <{local} type={kind}> in one licence (non-conformant); merged")
    else:
        into[kind] = tuple(dict.fromkeys(tokens))


def _payment(el: etree._Element) -> RslPayment:
    kind = el.get("type")
    standard = custom = None
    amounts: list[tuple[str, str]] = []
    accepts: list[str] = []
    for child in el:
        if not isinstance(child.tag, str) or not child.tag.startswith("{" + NAMESPACE + "}"):
            continue
        local = etree.QName(child).localname
        text = _short(_text(child).strip())
        if local == "standard":
            standard = text
        elif local == "custom":
            custom = text
        elif local == "amount":
            amounts.append((text, (child.get("currency") or "").strip().upper()))
        elif local == "accepts":
            accepts.append((child.get("type") or text).strip())
    return RslPayment(
        kind.strip().lower() if kind is not None else None,
        standard,
        custom,
        tuple(amounts),
        tuple(accepts),
    )


def _max_age(raw: str | None, notes: list[str]) -> int:
    if raw is None:
        return DEFAULT_MAX_AGE_DAYS
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        notes.append(f"max-age={raw!r} is not a positive number of days; read as 30")
        return DEFAULT_MAX_AGE_DAYS
    days = int(value)
    if days > MAX_AGE_DAYS:
        notes.append(f"max-age={days} days clamped to {MAX_AGE_DAYS}")
        return MAX_AGE_DAYS
    return days


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


def _text(el: etree._Element) -> str:
    return "".join(t if isinstance(t, str) else t.decode("utf-8", "replace") for t in el.itertext())


def _name(el: etree._Element) -> str:
    if not isinstance(el.tag, str):
        return "not an element"
    qname = etree.QName(el)
    return f"<{qname.localname}>" + (f" in {qname.namespace}" if qname.namespace else "")


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
