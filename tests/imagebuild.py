"""Image files built byte by byte for what no public file has (constrained, brob, update
manifests, IPTC + C2PA together, hostile XMP and CBOR...): containers, JUMBF boxes, CBOR, XMP.

Written from the specifications (C2PA 2.2 Appendix A, ISO 19566-5, RFC 8949, XMP part 3), not
from any implementation; nothing here is signed, and the scanner never asks for a signature.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import brotli

SUFFIX = bytes.fromhex("00110010800000AA00389B71")  # C2PA type UUIDs: 4 ASCII bytes + this


# --- CBOR (RFC 8949), encoding only what assertions use -------------------------------------
def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(value)


def cbor(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


# --- JUMBF ----------------------------------------------------------------------------------
def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def superbox(uuid4: bytes, label: str, *children: bytes) -> bytes:
    jumd = box(b"jumd", uuid4 + SUFFIX + b"\x03" + label.encode() + b"\0")
    return box(b"jumb", jumd + b"".join(children))


def assertion(label: str, payload: Any) -> bytes:
    return superbox(b"cbor", label, box(b"cbor", cbor(payload)))


def manifest(label: str, *assertions: bytes, kind: bytes = b"c2ma") -> bytes:
    store = superbox(b"c2as", "c2pa.assertions", *assertions)
    claim = superbox(b"c2cl", "c2pa.claim.v2", box(b"cbor", cbor({"claim_generator": "tests"})))
    return superbox(kind, label, store, claim)


def compressed(label: str, inner_manifest: bytes) -> bytes:
    """A c2cm superbox whose brob box holds the Brotli-compressed manifest box."""
    return superbox(b"c2cm", label, box(b"brob", brotli.compress(inner_manifest)))


def store(*manifests: bytes) -> bytes:
    return superbox(b"c2pa", "c2pa", *manifests)


def training(entries: dict[str, Any], *, label: str = "cawg.training-mining", top: bool = False):
    """A training-mining assertion; ``top`` puts the entries at the top level (CAWG 1.0)."""
    body = {k: {"use": v} if isinstance(v, str) else v for k, v in entries.items()}
    return assertion(label, body if top else {"entries": body})


# --- XMP --------------------------------------------------------------------------------------
def xmp(value: str = "", *, form: str = "element", extra: str = "", ext_guid: str = "") -> bytes:
    """An XMP packet with plus:DataMining as element text, attribute or rdf:resource."""
    plus = 'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"'
    uri = f"http://ns.useplus.org/ldf/vocab/{value}"
    attrs, body = "", ""
    if value and form == "attribute":
        attrs = f' plus:DataMining="{uri}"'
    elif value and form == "resource":
        body = f'<plus:DataMining rdf:resource="{uri}"/>'
    elif value:
        body = f"<plus:DataMining>{uri}</plus:DataMining>"
    if ext_guid:
        attrs += f' xmpNote:HasExtendedXMP="{ext_guid}"'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {plus} '
        f'xmlns:xmpNote="http://ns.adobe.com/xmp/note/"{attrs}>{body}{extra}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


# --- containers -------------------------------------------------------------------------------
SOS_AND_PIXELS = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x55" * 64 + b"\xff\xd9"


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(*segments: bytes, pixels: bytes = SOS_AND_PIXELS) -> bytes:
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
        + b"".join(segments)
        + pixels
    )


def app1_xmp(packet: bytes) -> bytes:
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + packet)


def app1_extended(guid: str, total: int, offset: int, chunk: bytes) -> bytes:
    head = (
        b"http://ns.adobe.com/xmp/extension/\0" + guid.encode() + struct.pack(">II", total, offset)
    )
    return segment(0xE1, head + chunk)


def app11(store_bytes: bytes, *, instance: int = 1, chunk: int = 60000) -> list[bytes]:
    """APP11 segments carrying one JUMBF box; continuations repeat its LBox/TBox."""
    header, rest = store_bytes[:8], store_bytes[8:]
    pieces = [rest[i : i + chunk] for i in range(0, len(rest), chunk)] or [b""]
    out = []
    for z, piece in enumerate(pieces, start=1):
        out.append(segment(0xEB, b"JP" + struct.pack(">HI", instance, z) + header + piece))
    return out


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*chunks: bytes, idat: bytes = b"\0" * 64, idat_chunk: int = 1 << 16) -> bytes:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    data = b"".join(
        png_chunk(b"IDAT", idat[i : i + idat_chunk]) for i in range(0, len(idat), idat_chunk)
    )
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(chunks) + data + png_chunk(b"IEND", b"")


def itxt_xmp(packet: bytes, *, compress: bool = False) -> bytes:
    text = zlib.compress(packet) if compress else packet
    flag = b"\x01\x00" if compress else b"\x00\x00"
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\0" + flag + b"\0\0" + text)


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def webp(*chunks: bytes, pixels: bytes = b"\0" * 64) -> bytes:
    body = b"WEBP" + riff_chunk(b"VP8 ", pixels) + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif(*extensions: bytes, pixels: int = 64, after: bytes = b"") -> bytes:
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02"
    blocks = b"".join(b"\xff" + b"\0" * 255 for _ in range(pixels // 255)) + b"\x00"
    return screen + b"".join(extensions) + image + blocks + after + b"\x3b"


def gif_xmp(packet: bytes) -> bytes:
    trailer = b"\x01" + bytes(range(255, -1, -1))
    return b"\x21\xff\x0bXMP DataXMP" + packet + trailer + b"\x00"


def gif_c2pa(data: bytes) -> bytes:
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)
    )
    return b"\x21\xff\x0bC2PA_GIF\x01\x00\x00" + blocks + b"\x00"


def bmff(*boxes: bytes, mdat: bytes = b"\0" * 64) -> bytes:
    ftyp = box(b"ftyp", b"avif\0\0\0\0avifmif1")
    return ftyp + b"".join(boxes) + box(b"mdat", mdat)


def bmff_c2pa(store_bytes: bytes) -> bytes:
    uuid = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")
    return box(b"uuid", uuid + b"\0\0\0\0" + b"manifest\0" + b"\0" * 8 + store_bytes)


def bmff_xmp(packet: bytes) -> bytes:
    return box(b"uuid", bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC") + packet)
