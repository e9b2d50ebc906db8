"""XMP packets: decoding, a cheap pre-check, a namespace-aware parse, extended-XMP reassembly.

What is read, by namespace URI (never by prefix): the PLUS ``DataMining`` property
(``http://ns.useplus.org/ldf/xmp/1.0/``) in any of RDF's three spellings (element text,
``rdf:resource``, an attribute of ``rdf:Description``), and ``dcterms:provenance`` (a remote C2PA
manifest reference, recorded and never fetched).

Hostile input: a packet is decoded from UTF-8, UTF-16 or UTF-32 (BOM or ``<`` byte pattern), a
packet without ``DataMining``/``provenance`` in it is not parsed at all, a packet containing
``<!DOCTYPE`` or ``<!ENTITY`` is never given to the XML parser (expat 2.5 is open to entity
expansion attacks; XMP needs neither), and packets over the caps are not parsed. A packet that
cannot be parsed is searched for ``DataMining`` values as text, so a broken or hostile packet
still cannot hide a ``DMI-PROHIBITED``; such values are marked ``by_text``.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_EXTENDED_BYTES",
    "MAX_PACKET_BYTES",
    "PLUS_NS",
    "ExtendedXmp",
    "XmpReading",
    "XmpValue",
    "decode_packet",
    "read_packet",
]

PLUS_NS = ("http://ns.useplus.org/ldf/xmp/1.0/", "https://ns.useplus.org/ldf/xmp/1.0/")
DCTERMS_NS = "http://purl.org/dc/terms/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MAX_PACKET_BYTES = 1 << 20  # a main packet (Pillow's SAFEBLOCK); a JPEG APP1 holds < 64 KiB
MAX_EXTENDED_BYTES = 16 << 20  # one reassembled extended packet, or a decompressed iTXt

_SEP = "\x01"  # expat's namespace separator: cannot occur in a URI or a name
_DATAMINING = {f"{ns}{_SEP}DataMining" for ns in PLUS_NS}
_PROVENANCE = f"{DCTERMS_NS}{_SEP}provenance"
_RESOURCE = f"{RDF_NS}{_SEP}resource"
_ATTRS = frozenset({*_DATAMINING, _PROVENANCE})  # names read as attributes and as elements
# Text fallback: a DataMining property followed closely by a value (bounded: linear time).
_TEXT_VALUE = re.compile(
    r"DataMining.{0,300}?((?:https?://[^\s\"'<>]*?/)?DMI-[A-Za-z0-9-]+)", re.DOTALL
)


@dataclass(frozen=True, slots=True)
class XmpValue:
    """One value of a property of interest."""

    prop: str  # "DataMining" or "provenance"
    value: str
    where: str  # the segment or chunk the packet came from
    by_text: bool = False  # found by the text search of a packet that could not be parsed


@dataclass(frozen=True, slots=True)
class XmpReading:
    """What one packet says: values of interest, and notes on anything not read."""

    values: tuple[XmpValue, ...] = ()
    notes: tuple[str, ...] = ()


def decode_packet(raw: bytes) -> str | None:
    """The packet as text (BOM or ``<`` byte pattern picks the encoding); None if undecodable."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
    ):
        if raw.startswith(bom):
            return _decode(raw[len(bom) :], codec)
    head = raw[:4]
    if head[:4] == b"\x00\x00\x00<":
        codec = "utf-32-be"
    elif head[:4] == b"<\x00\x00\x00":
        codec = "utf-32-le"
    elif head[:2] == b"\x00<":
        codec = "utf-16-be"
    elif head[:2] == b"<\x00":
        codec = "utf-16-le"
    else:
        codec = "utf-8"
    return _decode(raw, codec)


def _decode(raw: bytes, codec: str) -> str | None:
    if codec.startswith("utf-16"):
        raw = raw[: len(raw) & ~1]
    elif codec.startswith("utf-32"):
        raw = raw[: len(raw) & ~3]
    try:
        return raw.decode(codec, "replace")
    except LookupError:  # pragma: no cover  (stdlib codecs)
        return None


def read_packet(
    raw: bytes, where: str, *, cap: int = MAX_PACKET_BYTES, partial: bool = False
) -> XmpReading:
    """The values of interest in one XMP packet; never raises. A ``partial`` packet (extended
    XMP with chunks missing) is only searched as text."""
    text = decode_packet(raw[: cap + 1])
    if text is None:
        return XmpReading(notes=(f"{where}: XMP packet undecodable",))
    if "DataMining" not in text and "provenance" not in text:
        return XmpReading()  # the common case: nothing we read is in this packet
    if partial:
        return _by_text(text, where, "chunks missing; searched as text only")
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        return _by_text(text, where, "XMP packet with a DOCTYPE or ENTITY declaration rejected")
    if len(raw) > cap:
        return _by_text(text, where, f"XMP packet over the {cap}-byte cap not parsed")
    body = _trim(text)
    parser = xml.parsers.expat.ParserCreate(namespace_separator=_SEP)
    reader = _Reader(where, parser)
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = reader.start
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    try:
        parser.Parse(body, True)
    except (xml.parsers.expat.ExpatError, ValueError) as exc:
        fallback = _by_text(text, where, f"XMP packet not well-formed ({exc})")
        parsed = {v.value for v in reader.values}
        extra = tuple(v for v in fallback.values if v.value not in parsed)
        return XmpReading((*reader.values, *extra), fallback.notes)
    return XmpReading(tuple(reader.values))


def _refuse(*_args: object) -> None:
    raise ValueError("DTD declarations are not allowed in XMP")


def _trim(text: str) -> str:
    """The XML of a packet: from its first ``<`` to the end of ``<?xpacket end...?>`` or of the
    root element (GIF's "magic trailer" and padding follow it)."""
    start = text.find("<")
    end_pi = text.rfind("<?xpacket end")
    if end_pi >= 0:
        close = text.find("?>", end_pi)
        if close >= 0:
            return text[max(start, 0) : close + 2]
    for closing in ("xmpmeta>", "RDF>"):
        close = text.rfind(closing)
        if close >= 0:
            return text[max(start, 0) : close + len(closing)]
    return text[max(start, 0) :]


def _by_text(text: str, where: str, why: str) -> XmpReading:
    values = tuple(
        XmpValue("DataMining", m.group(1), where, by_text=True)
        for m in _TEXT_VALUE.finditer(text[:MAX_EXTENDED_BYTES])
    )
    return XmpReading(values, (f"{where}: {why}",))


class _Reader:
    """expat handlers collecting DataMining and provenance values.

    Only the start handler runs on every element, and does two set lookups there; the text and
    end handlers are attached while a property of interest is open (a third of the cost of
    calling them on every element of a 30 KB packet).
    """

    __slots__ = ("open", "parser", "values", "where")

    def __init__(self, where: str, parser: Any) -> None:
        self.where = where
        self.parser = parser
        self.values: list[XmpValue] = []
        self.open: list[tuple[str, list[str]]] = []  # properties of interest being read

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if attrs and not _ATTRS.isdisjoint(attrs):
            for key in _ATTRS.intersection(attrs):
                self._add("provenance" if key == _PROVENANCE else "DataMining", attrs[key])
        if name in _ATTRS:
            prop = "provenance" if name == _PROVENANCE else "DataMining"
            resource = attrs.get(_RESOURCE)
            if resource is not None:
                self._add(prop, resource)
            self.open.append((prop, []))
            self.parser.CharacterDataHandler = self.text
            self.parser.EndElementHandler = self.end
        elif self.open:
            resource = attrs.get(_RESOURCE)
            if resource is not None:  # <rdf:li rdf:resource=...> inside the property
                self.open[-1][1].append(" " + resource + " ")

    def text(self, data: str) -> None:
        if self.open:
            self.open[-1][1].append(data)

    def end(self, name: str) -> None:
        if name in _ATTRS and self.open:
            prop, parts = self.open.pop()
            for value in "".join(parts).split():
                self._add(prop, value)
            if not self.open:
                self.parser.CharacterDataHandler = None
                self.parser.EndElementHandler = None

    def _add(self, prop: str, value: str) -> None:
        value = value.strip()
        if value:
            self.values.append(XmpValue(prop, value, self.where))


@dataclass(frozen=True, slots=True)
class ExtendedXmp:
    """Chunks of one extended XMP packet (JPEG APP1 ``xmp/extension``), keyed by GUID."""

    guid: str
    total: int
    chunks: tuple[tuple[int, bytes], ...]  # (offset, bytes), in file order

    def assemble(self) -> tuple[bytes, bool]:
        """The packet from its chunks in any order, and whether every byte was present.

        A packet is only laid out in full when its chunks cover it without a gap, so the buffer
        is never larger than the bytes present (a lying total or offset cannot make each of
        thousands of GUIDs allocate 16 MiB); otherwise the chunks are joined in offset order,
        for a text search.
        """
        total = min(self.total, MAX_EXTENDED_BYTES)
        ordered = sorted(self.chunks, key=lambda chunk: chunk[0])
        reach = 0
        for offset, data in ordered:
            if offset > reach:
                break
            reach = max(reach, offset + len(data))
        if reach < total or self.total > MAX_EXTENDED_BYTES:
            return b" ".join(data for _, data in ordered), False
        buffer = bytearray(total)
        for offset, data in ordered:
            if offset < total:
                piece = data[: total - offset]
                buffer[offset : offset + len(piece)] = piece
        return bytes(buffer), True
