"""Opt-outs embedded in image files: a bounded scan of JPEG, PNG, WebP, GIF and ISO-BMFF headers.

:func:`scan_image` picks the container by magic bytes, walks its metadata headers
(:mod:`.containers`), reads every XMP packet, standard and extended (:mod:`.xmp`), and every
C2PA manifest store (:mod:`.jumbf`, :mod:`.cbor`). It returns raw findings: the IPTC/PLUS
``DataMining`` values, C2PA stores with their training-and-mining and metadata assertions, and
notes on whatever could not be read. It decides nothing (the ``iptc`` and ``c2pa`` signal
families do), validates no signature, and never touches the network or pixel data.
"""

from __future__ import annotations

from dataclasses import dataclass

from .containers import MAX_INFLATED_BYTES, sniff_image, walk
from .jumbf import Assertion, Manifest, ManifestStore, base_label, read_store
from .xmp import XmpValue, read_packet

__all__ = [
    "Assertion",
    "ImageScan",
    "Manifest",
    "ManifestStore",
    "XmpValue",
    "base_label",
    "scan_image",
    "sniff_image",
]


@dataclass(frozen=True, slots=True)
class ImageScan:
    """Everything the scan found in one image file."""

    kind: str | None  # container by magic bytes; None: not an image we know
    xmp: tuple[XmpValue, ...] = ()  # DataMining and provenance values, from every packet
    stores: tuple[ManifestStore, ...] = ()  # C2PA manifest stores, in file order
    notes: tuple[str, ...] = ()  # what could not be read, and why
    truncated: bool = False  # the bytes ended inside the headers
    xmp_packets: int = 0  # packets seen (standard and reassembled extended)

    @property
    def data_mining(self) -> tuple[XmpValue, ...]:
        """The ``plus:DataMining`` values."""
        return tuple(v for v in self.xmp if v.prop == "DataMining")


NOT_AN_IMAGE = ImageScan(None)


def scan_image(body: bytes) -> ImageScan:
    """Scan ``body``; never raises. A body that is no known image costs one magic-byte test."""
    if sniff_image(body) is None:
        return NOT_AN_IMAGE
    raw = walk(body)
    values: list[XmpValue] = []
    notes = list(raw.notes)
    packets = len(raw.xmp)
    for where, packet in raw.xmp:
        reading = read_packet(packet, where)
        values.extend(reading.values)
        notes.extend(reading.notes)
    for guid, extended in raw.extended.items():
        packets += 1
        data, complete = extended.assemble()
        where = f"extended XMP {guid[:8]}... ({len(extended.chunks)} chunks)"
        reading = read_packet(data, where, cap=len(data), partial=not complete)
        values.extend(reading.values)
        notes.extend(reading.notes)
    stores = []
    budget = MAX_INFLATED_BYTES - raw.inflated  # decompression is capped per file, not per box
    for where, data in raw.stores:
        store = read_store(data, where, inflate_budget=budget)
        if store is None:
            notes.append(f"{where}: not a C2PA manifest store")
            continue
        stores.append(store)
        budget -= store.inflated
        notes.extend(f"{where}: {note}" for note in store.notes)
    return ImageScan(raw.kind, tuple(values), tuple(stores), tuple(notes), raw.truncated, packets)
