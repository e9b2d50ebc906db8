"""Synthetic images for the image benchmarks: JPEG and PNG of a chosen size, with or without
embedded opt-outs (an IPTC-style XMP packet with ``plus:DataMining``, a C2PA manifest store
with a ``cawg.training-mining`` assertion). Pixel data is random bytes: the scanner never
decodes it, so only its size matters.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

__all__ = ["jpeg", "png", "store", "xmp_packet"]

_SUFFIX = bytes.fromhex("00110010800000AA00389B71")


def _cbor(value: object) -> bytes:
    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())
    raise TypeError(type(value))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _superbox(uuid4: bytes, label: str, *children: bytes) -> bytes:
    jumd = _box(b"jumd", uuid4 + _SUFFIX + b"\x03" + label.encode() + b"\0")
    return _box(b"jumb", jumd + b"".join(children))


def store(use: str = "notAllowed", padding: int = 20_000) -> bytes:
    """A manifest store: one manifest with a training-mining assertion, a claim, and a
    ``padding``-byte opaque assertion standing in for thumbnails, hashes and signatures."""
    training = _superbox(
        b"cbor",
        "cawg.training-mining",
        _box(b"cbor", _cbor({"entries": {"cawg.ai_generative_training": {"use": use}}})),
    )
    filler = _superbox(b"cbor", "c2pa.thumbnail.claim.jpeg", _box(b"bidb", b"\0" * padding))
    assertions = _superbox(b"c2as", "c2pa.assertions", training, filler)
    claim = _superbox(b"c2cl", "c2pa.claim.v2", _box(b"cbor", _cbor({"alg": "sha256"})))
    return _superbox(b"c2pa", "c2pa", _superbox(b"c2ma", "urn:c2pa:bench", assertions, claim))


def xmp_packet(value: str | None, rng: random.Random, size: int = 12_000) -> bytes:
    """An XMP packet of about ``size`` bytes (Dublin Core, Photoshop, IPTC Core fields), with
    ``plus:DataMining`` when ``value`` is given."""
    fields = "".join(
        f"<dc:subject{i}>{rng.choice(['sea', 'city', 'art', 'cat'])} {i}</dc:subject{i}>"
        for i in range(max(1, size // 60))
    )
    mining = (
        f"<plus:DataMining>http://ns.useplus.org/ldf/vocab/{value}</plus:DataMining>"
        if value
        else ""
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
        f"{fields}{mining}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(size: int, rng: random.Random, *, xmp: bytes = b"", c2pa: bytes = b"") -> bytes:
    """A JPEG of ``size`` bytes: APP0, EXIF-sized APP1, optional XMP and APP11, then pixels."""
    parts = [b"\xff\xd8", _segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")]
    parts.append(_segment(0xE1, b"Exif\0\0" + rng.randbytes(6000)))
    if xmp:
        parts.append(_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + xmp))
    header, rest = c2pa[:8], c2pa[8:]
    for z, start in enumerate(range(0, len(rest), 65_000), start=1):
        piece = rest[start : start + 65_000]
        parts.append(_segment(0xEB, b"JP" + struct.pack(">HI", 1, z) + header + piece))
    parts.append(_segment(0xDB, rng.randbytes(130)))  # quantisation table
    parts.append(b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00")
    head = b"".join(parts)
    return (
        head + rng.randbytes(max(0, size - len(head) - 2)).replace(b"\xff", b"\xfe") + b"\xff\xd9"
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(size: int, rng: random.Random, *, xmp: bytes = b"", c2pa: bytes = b"") -> bytes:
    """A PNG of about ``size`` bytes, its pixels in 64 KiB IDAT chunks as Pillow writes them."""
    parts = [
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", 512, 512, 8, 2, 0, 0, 0)),
    ]
    if c2pa:
        parts.append(_chunk(b"caBX", c2pa))
    if xmp:
        parts.append(_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp))
    head = b"".join(parts)
    pixels = rng.randbytes(max(0, size - len(head) - 12))
    parts += [_chunk(b"IDAT", pixels[i : i + 65_536]) for i in range(0, len(pixels), 65_536)]
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)
