"""Which container an image is (by magic bytes), and a bounded walk over its metadata headers.

The walk reads segment, chunk, block and box headers only, skipping every payload it does not
need by its declared length: JPEG stops at the first scan (SOS), so its cost does not depend on
the image size at all; PNG, WebP and ISO-BMFF step over their image data chunk by chunk (a few
hundred headers for megabytes of pixels); GIF reads the blocks before its first image and then
only a fixed-size tail, because image data there comes in 255-byte sub-blocks. Every loop is
capped. Where the bytes end early (a download cut at a size cap), the walk keeps what was
complete and sets ``truncated``.

Where the signals live (C2PA 2.2 Appendix A; XMP spec part 3):

* JPEG: XMP in APP1 ``http://ns.adobe.com/xap/1.0/\\0``, extended XMP in APP1
  ``http://ns.adobe.com/xmp/extension/\\0`` + GUID + total length + offset; C2PA in APP11
  ``JP`` + box instance ``En`` + sequence ``Z``, continuations repeating the box header.
* PNG: ``iTXt`` keyword ``XML:com.adobe.xmp`` (maybe zlib-compressed); ``caBX``.
* WebP: RIFF chunks ``XMP `` and ``C2PA``.
* GIF: application extensions ``XMP DataXMP`` (raw, with its magic trailer) and ``C2PA_GIF``.
* ISO-BMFF (AVIF, HEIC): top-level ``uuid`` boxes, C2PA D8FEC3D6-... and XMP BE7ACFCB-...
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from .xmp import MAX_EXTENDED_BYTES, ExtendedXmp

__all__ = ["MAX_SEGMENTS", "RawMetadata", "sniff_image", "walk"]

MAX_SEGMENTS = 4096  # headers walked per file
MAX_STORE_SEGMENTS = 1024  # APP11 segments of one manifest store (images.md section 8)
MAX_INFLATED_BYTES = 32 << 20  # zlib and Brotli output per file, all chunks and boxes together
GIF_TAIL_BYTES = 256 << 10

_PNG = b"\x89PNG\r\n\x1a\n"
_BMFF_IMAGE_BRANDS = frozenset(
    {b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
     b"mif2", b"jpgh", b"jxl ", b"crx "}
)  # fmt: skip
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/"
_EXT_APP1 = b"http://ns.adobe.com/xmp/extension/\x00"
_C2PA_UUID = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")
_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"


def sniff_image(body: bytes) -> str | None:
    """The container of ``body`` by its magic bytes: "jpeg", "png", "webp", "gif", "bmff",
    "tiff", "jxl", or None. Content-Type and file extensions are not consulted."""
    head = body[:16]
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == _PNG:
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" and head[8:12] in _BMFF_IMAGE_BRANDS:
        return "bmff"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "jxl"
    return None


@dataclass(slots=True)
class RawMetadata:
    """The metadata payloads of one file, unparsed, each with where it was found."""

    kind: str | None
    xmp: list[tuple[str, bytes]] = field(default_factory=list)
    extended: dict[str, ExtendedXmp] = field(default_factory=dict)
    stores: list[tuple[str, bytes]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    inflated: int = 0  # bytes decompressed so far (MAX_INFLATED_BYTES per file)


def walk(body: bytes) -> RawMetadata:
    """The metadata payloads of ``body``; never raises, never reads pixel data."""
    kind = sniff_image(body)
    found = RawMetadata(kind)
    walker = _WALKERS.get(kind or "")
    if walker is not None:
        try:
            walker(body, found)
        except (IndexError, ValueError) as exc:  # a malformed header the checks missed
            found.notes.append(f"{kind} headers unreadable: {exc}")
    elif kind is not None:
        found.notes.append(f"{kind} metadata is not read (not supported yet)")
    return found


def _be(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big")


def _le(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "little")


def _jpeg(body: bytes, found: RawMetadata) -> None:
    n = len(body)
    pos = 2
    segments = 0
    # En -> list of groups; a group is {Z: data}; a repeated Z starts a new group (new store)
    stores: dict[bytes, list[dict[int, bytes]]] = {}
    store_segments = 0
    ended = False  # reached SOS or EOI: the headers are complete
    while pos < n:
        if body[pos] != 0xFF:
            found.notes.append(f"JPEG: no marker at byte {pos}; headers end here")
            break
        if pos + 1 >= n:
            found.truncated = True
            break
        marker = body[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan or end of image: no metadata past here
            ended = True
            break
        segments += 1
        if segments > MAX_SEGMENTS:
            found.notes.append(f"JPEG: more than {MAX_SEGMENTS} segments; the rest not read")
            break
        if pos + 4 > n:
            found.truncated = True
            break
        length = _be(body, pos + 2, 2)
        end = pos + 2 + length
        if length < 2:
            found.notes.append(f"JPEG: bad segment length at byte {pos}")
            break
        if end > n:
            found.truncated = True
            break
        if marker == 0xE1:
            _jpeg_app1(body, pos + 4, end, pos, found)
        elif marker == 0xEB and body[pos + 4 : pos + 6] == b"JP" and length >= 10:
            store_segments += 1
            if store_segments > MAX_STORE_SEGMENTS:
                if store_segments == MAX_STORE_SEGMENTS + 1:
                    found.notes.append(f"JPEG: more than {MAX_STORE_SEGMENTS} APP11 segments")
            else:
                instance = body[pos + 6 : pos + 8]
                sequence = _be(body, pos + 8, 4)
                groups = stores.setdefault(instance, [{}])
                if sequence in groups[-1]:
                    groups.append({})
                groups[-1][sequence] = body[pos + 12 : end]
        pos = end
    if pos >= n and not ended:
        found.truncated = True
    if found.truncated:
        found.notes.append("JPEG: the file ends inside its headers (truncated)")
    number = 0
    for instance, groups in stores.items():
        for group in groups:
            number += 1
            where = f"JPEG APP11 box instance {int.from_bytes(instance, 'big')}"
            if len(groups) > 1 or number > 1:
                where += f" (store {number})"
            order = sorted(group)
            first = group[order[0]]
            data = first + b"".join(group[z][8:] for z in order[1:])
            if order != list(range(order[0], order[0] + len(order))) or order[0] != 1:
                found.notes.append(f"{where}: APP11 sequence numbers have gaps")
            found.stores.append((where, data))


def _jpeg_app1(body: bytes, start: int, end: int, pos: int, found: RawMetadata) -> None:
    if body.startswith(_XMP_APP1, start):
        skip = len(_XMP_APP1) + (body[start + len(_XMP_APP1)] == 0)
        found.xmp.append((f"JPEG APP1 XMP at byte {pos}", body[start + skip : end]))
    elif body.startswith(_EXT_APP1, start):
        head = start + len(_EXT_APP1)
        if end - head < 40:
            found.notes.append(f"JPEG: extended XMP segment at byte {pos} too short")
            return
        guid = body[head : head + 32].decode("latin-1")
        total = _be(body, head + 32, 4)
        offset = _be(body, head + 36, 4)
        prior = found.extended.get(guid)
        chunks = ((*prior.chunks,) if prior else ()) + ((offset, body[head + 40 : end]),)
        found.extended[guid] = ExtendedXmp(guid, total, chunks)


def _png(body: bytes, found: RawMetadata) -> None:
    n = len(body)
    pos = 8
    chunks = 0
    while pos + 8 <= n:
        chunks += 1
        if chunks > MAX_SEGMENTS:
            found.notes.append(f"PNG: more than {MAX_SEGMENTS} chunks; the rest not read")
            return
        length = _be(body, pos, 4)
        kind = body[pos + 4 : pos + 8]
        start, end = pos + 8, pos + 8 + length
        if end > n:
            found.truncated = True
            found.notes.append(f"PNG: chunk {kind!r} at byte {pos} runs past the end (truncated)")
            return
        if kind == b"iTXt":
            _png_itxt(body[start:end], pos, found)
        elif kind == b"caBX":
            found.stores.append((f"PNG caBX chunk at byte {pos}", body[start:end]))
        elif kind == b"IEND":
            return
        pos = end + 4  # CRC
    if pos < n or n < 12:
        found.truncated = True
        found.notes.append("PNG: the file ends before IEND (truncated)")


def _png_itxt(data: bytes, pos: int, found: RawMetadata) -> None:
    keyword, sep, rest = data.partition(b"\0")
    if keyword != _PNG_XMP_KEYWORD or not sep or len(rest) < 2:
        return
    compressed = rest[0] == 1
    _language, _, rest = rest[2:].partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    where = f"PNG iTXt XMP at byte {pos}"
    if compressed:
        cap = min(MAX_EXTENDED_BYTES, MAX_INFLATED_BYTES - found.inflated)
        if cap <= 0:
            found.notes.append(f"{where}: decompression budget of the file spent; not read")
            return
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, cap + 1)
        except zlib.error as exc:
            found.notes.append(f"{where}: compressed text unreadable ({exc})")
            return
        found.inflated += len(text)
        if len(text) > cap:
            found.notes.append(f"{where}: decompressed XMP over the cap; the start is read")
    found.xmp.append((where, text))


def _webp(body: bytes, found: RawMetadata) -> None:
    n = min(len(body), 8 + _le(body, 4, 4))
    if n < len(body) - 1:
        found.notes.append("WebP: bytes after the RIFF chunk ignored")
    if len(body) < 8 + _le(body, 4, 4):
        found.truncated = True
    pos = 12
    chunks = 0
    while pos + 8 <= n:
        chunks += 1
        if chunks > MAX_SEGMENTS:
            found.notes.append(f"WebP: more than {MAX_SEGMENTS} chunks; the rest not read")
            return
        kind = body[pos : pos + 4]
        size = _le(body, pos + 4, 4)
        start, end = pos + 8, pos + 8 + size
        if end > n:
            found.truncated = True
            found.notes.append(f"WebP: chunk {kind!r} at byte {pos} runs past the end (truncated)")
            return
        if kind == b"XMP ":
            found.xmp.append((f"WebP XMP chunk at byte {pos}", body[start:end]))
        elif kind == b"C2PA":
            found.stores.append((f"WebP C2PA chunk at byte {pos}", body[start:end]))
        pos = end + (size & 1)
    if found.truncated:
        found.notes.append("WebP: the file ends inside its RIFF chunk (truncated)")


def _gif(body: bytes, found: RawMetadata) -> None:
    n = len(body)
    if n < 13:
        found.truncated = True
        return
    pos = 13
    if body[10] & 0x80:
        pos += 3 << ((body[10] & 0x07) + 1)
    blocks = 0
    while pos < n:
        blocks += 1
        if blocks > MAX_SEGMENTS:
            found.notes.append(f"GIF: more than {MAX_SEGMENTS} blocks; the rest not read")
            return
        introducer = body[pos]
        if introducer == 0x3B:  # trailer
            return
        if introducer == 0x2C:  # the first image: read only the tail from here on
            _gif_tail(body, pos, found)
            return
        if introducer != 0x21 or pos + 2 > n:
            found.notes.append(f"GIF: unexpected byte at {pos}; blocks end here")
            return
        pos = _gif_extension(body, pos, found)
        if pos < 0:
            found.truncated = True
            found.notes.append("GIF: the file ends inside a block (truncated)")
            return


def _gif_extension(body: bytes, pos: int, found: RawMetadata) -> int:
    """Read the extension block at ``pos``; the position after it, or -1 past the end."""
    n = len(body)
    label = body[pos + 1]
    first = pos + 2
    ident = (
        body[first + 1 : first + 12] if label == 0xFF and first < n and body[first] == 11 else b""
    )
    data_start = first + 12 if ident else first
    cursor = data_start
    blocks = 0
    payload = []
    while cursor < n:
        size = body[cursor]
        if size == 0:
            break
        blocks += 1
        if blocks > 1 << 16:
            return -1
        if ident[:8] == b"C2PA_GIF":
            payload.append(body[cursor + 1 : cursor + 1 + size])
        cursor += 1 + size
    if cursor >= n:
        return -1
    if ident == b"XMP DataXMP":  # raw packet: its bytes double as sub-block lengths
        found.xmp.append((f"GIF XMP application extension at byte {pos}", body[data_start:cursor]))
    elif ident[:8] == b"C2PA_GIF":
        found.stores.append((f"GIF C2PA application extension at byte {pos}", b"".join(payload)))
    return cursor + 1


def _gif_tail(body: bytes, image_at: int, found: RawMetadata) -> None:
    """Application extensions after the first image, searched for in the last bytes only."""
    start = max(image_at, len(body) - GIF_TAIL_BYTES)
    for signature in (b"\x21\xff\x0bXMP DataXMP", b"\x21\xff\x0bC2PA_GIF"):
        at = body.find(signature, start)
        if at >= 0 and _gif_extension(body, at, found) < 0:
            found.truncated = True


def _bmff(body: bytes, found: RawMetadata) -> None:
    n = len(body)
    pos = 0
    boxes = 0
    while pos + 8 <= n:
        boxes += 1
        if boxes > MAX_SEGMENTS:
            found.notes.append(f"ISO-BMFF: more than {MAX_SEGMENTS} boxes; the rest not read")
            return
        size = _be(body, pos, 4)
        kind = body[pos + 4 : pos + 8]
        header = 8
        if size == 1:
            size, header = _be(body, pos + 8, 8), 16
        elif size == 0:
            size = n - pos
        if size < header:
            found.notes.append(f"ISO-BMFF: bad box size at byte {pos}")
            return
        if pos + size > n:
            found.truncated = True
            found.notes.append(f"ISO-BMFF: box {kind!r} at byte {pos} runs past the end")
            if kind != b"uuid":
                return
        if kind == b"uuid":
            _bmff_uuid(body, pos + header, min(pos + size, n), pos, found)
        pos += size


def _bmff_uuid(body: bytes, start: int, end: int, pos: int, found: RawMetadata) -> None:
    usertype = body[start : start + 16]
    if usertype == _XMP_UUID:
        found.xmp.append((f"ISO-BMFF XMP uuid box at byte {pos}", body[start + 16 : end]))
    elif usertype == _C2PA_UUID:
        purpose_at = start + 20  # after the FullBox version and flags
        stop = body.find(b"\0", purpose_at, min(end, purpose_at + 64))
        if stop < 0:
            found.notes.append(f"ISO-BMFF C2PA box at byte {pos} without a purpose")
            return
        if body[purpose_at:stop] == b"manifest":
            found.stores.append((f"ISO-BMFF C2PA uuid box at byte {pos}", body[stop + 9 : end]))


_WALKERS = {"jpeg": _jpeg, "png": _png, "webp": _webp, "gif": _gif, "bmff": _bmff}
