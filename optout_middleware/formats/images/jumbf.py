"""JUMBF (ISO 19566-5) boxes as C2PA uses them: a manifest store, its manifests, their assertions.

A C2PA manifest store is a ``jumb`` superbox whose description (``jumd``) has the type UUID
``c2pa...``; its children are manifests (``c2ma`` standard, ``c2um`` update, ``c2md`` standard
read-only variant, ``c2cm`` Brotli-compressed), in order: the last one is the active manifest
(C2PA 2.2 section 15.5). Inside a manifest the ``c2as`` assertion store holds one superbox per
assertion, labelled ``cawg.training-mining``, ``c2pa.training-mining__2`` and so on, whose
content box is ``cbor`` (or ``json``).

Only the assertions named in :data:`READ_LABELS` are decoded; nothing is validated (no claim,
signature or hash is checked). Bounded: nesting depth, boxes per store, bytes per assertion and
bytes decompressed from a ``brob`` box are capped; past a cap the walk stops and says so in
``notes``, keeping what it had read.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from .cbor import CborError, decode_cbor

__all__ = [
    "METADATA_LABELS",
    "READ_LABELS",
    "TRAINING_LABELS",
    "Assertion",
    "Manifest",
    "ManifestStore",
    "base_label",
    "read_store",
]

# Assertion labels read (data, not code: CAWG plans a successor aligned with IETF aipref).
TRAINING_LABELS = frozenset({"cawg.training-mining", "c2pa.training-mining"})
METADATA_LABELS = frozenset(
    {"c2pa.metadata", "cawg.metadata", "stds.iptc", "stds.iptc.photo-metadata"}
)
READ_LABELS = TRAINING_LABELS | METADATA_LABELS

MAX_DEPTH = 8
MAX_BOXES = 10_000
MAX_ASSERTION_BYTES = 1 << 20
MAX_DECOMPRESSED_BYTES = 32 << 20

_MANIFEST_KINDS = {
    b"c2ma": "standard",
    b"c2md": "standard",
    b"c2um": "update",
    b"c2cm": "compressed",
}

try:  # Brotli comes with Scrapy; without it a compressed manifest is reported unread
    _brotli: Any = importlib.import_module("brotli")
except ImportError:  # pragma: no cover  (depends on the environment)
    _brotli = None


@dataclass(frozen=True, slots=True)
class Assertion:
    """One decoded assertion: its label as stored, and its payload (CBOR or JSON values)."""

    label: str
    payload: Any = None
    error: str = ""  # why the payload could not be decoded ("" when it was)


@dataclass(frozen=True, slots=True)
class Manifest:
    """One manifest of a store, with the assertions of :data:`READ_LABELS` it holds."""

    label: str
    kind: str  # "standard", "update", "compressed" (a brob that could not be read), "unknown"
    assertions: tuple[Assertion, ...] = ()
    compressed: bool = False  # it was read from a c2cm / brob box
    note: str = ""


@dataclass(frozen=True, slots=True)
class ManifestStore:
    """One C2PA manifest store; ``manifests[-1]`` is the active manifest."""

    where: str
    manifests: tuple[Manifest, ...] = ()
    notes: tuple[str, ...] = ()
    inflated: int = 0  # bytes decompressed from brob boxes

    @property
    def active(self) -> Manifest | None:
        """The last manifest (C2PA 2.2 section 15.5), or None for an empty store."""
        return self.manifests[-1] if self.manifests else None


def base_label(label: str) -> str:
    """``cawg.training-mining__2`` -> ``cawg.training-mining`` (several instances, one label)."""
    head, sep, tail = label.rpartition("__")
    return head if sep and tail.isdigit() else label


class _Stop(Exception):
    """A cap was reached or the bytes ended: stop walking, keep what was read."""


class _Walk:
    __slots__ = ("boxes", "budget", "notes")

    def __init__(self, budget: int) -> None:
        self.boxes = 0
        self.budget = budget  # bytes that Brotli may still produce for this file
        self.notes: list[str] = []

    def children(self, data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
        """(type, payload start, payload end) of each box in ``data[start:end]``."""
        found = []
        pos = start
        while pos + 8 <= end:
            self.boxes += 1
            if self.boxes > MAX_BOXES:
                self.notes.append(f"more than {MAX_BOXES} JUMBF boxes: the rest not read")
                raise _Stop
            size = int.from_bytes(data[pos : pos + 4], "big")
            kind = data[pos + 4 : pos + 8]
            header = 8
            if size == 1:
                if pos + 16 > end:
                    break
                size = int.from_bytes(data[pos + 8 : pos + 16], "big")
                header = 16
            elif size == 0:
                size = end - pos
            if size < header or pos + size > end:
                self.notes.append(f"JUMBF box {kind!r} runs past its container: truncated")
                found.append((kind, pos + header, end))
                break
            found.append((kind, pos + header, pos + size))
            pos += size
        return found


def _description(data: bytes, start: int, end: int) -> tuple[bytes, str]:
    """The type UUID's first four bytes and the label of a ``jumd`` payload."""
    if end - start < 17:
        return b"", ""
    kind = data[start : start + 4]
    toggles = data[start + 16]
    label = ""
    if toggles & 0x02:
        stop = data.find(b"\0", start + 17, end)
        raw = data[start + 17 : stop if stop >= 0 else end]
        label = raw.decode("utf-8", "replace")
    return kind, label


def read_store(
    data: bytes, where: str, *, inflate_budget: int = MAX_DECOMPRESSED_BYTES
) -> ManifestStore | None:
    """The C2PA manifest store in ``data`` (one ``jumb`` box), or None when it is not one.

    ``inflate_budget`` caps the bytes Brotli may produce (shared by every store of a file)."""
    walk = _Walk(min(inflate_budget, MAX_DECOMPRESSED_BYTES))
    manifests: list[Manifest] = []
    try:
        top = walk.children(data, 0, len(data))
        if not top or top[0][0] != b"jumb":
            return None
        _, start, end = top[0]
        parts = walk.children(data, start, end)
        if not parts or parts[0][0] != b"jumd":
            return None
        kind, _ = _description(data, parts[0][1], parts[0][2])
        if kind != b"c2pa":
            return None
        for box, s, e in parts[1:]:
            if box == b"jumb":
                manifests.append(_manifest(data, s, e, walk, 1))
    except _Stop:
        pass
    inflated = min(inflate_budget, MAX_DECOMPRESSED_BYTES) - walk.budget
    return ManifestStore(where, tuple(manifests), tuple(walk.notes), inflated)


def _manifest(data: bytes, start: int, end: int, walk: _Walk, depth: int) -> Manifest:
    parts = walk.children(data, start, end)
    if not parts or parts[0][0] != b"jumd":
        return Manifest("", "unknown", note="manifest without a description box")
    uuid4, label = _description(data, parts[0][1], parts[0][2])
    kind = _MANIFEST_KINDS.get(uuid4, "unknown")
    if kind == "compressed":
        return _compressed(data, parts[1:], label, walk, depth)
    assertions: list[Assertion] = []
    for box, s, e in parts[1:]:
        if box != b"jumb":
            continue
        sub = walk.children(data, s, e)
        if sub and sub[0][0] == b"jumd" and _description(data, sub[0][1], sub[0][2])[0] == b"c2as":
            assertions.extend(_assertions(data, sub[1:], walk))
    return Manifest(label, kind, tuple(assertions))


def _assertions(data: bytes, boxes: list[tuple[bytes, int, int]], walk: _Walk) -> list[Assertion]:
    found = []
    for box, s, e in boxes:
        if box != b"jumb":
            continue
        sub = walk.children(data, s, e)
        if not sub or sub[0][0] != b"jumd":
            continue
        content_kind, label = _description(data, sub[0][1], sub[0][2])
        if base_label(label) not in READ_LABELS:
            continue
        content = [(k, cs, ce) for k, cs, ce in sub[1:] if k in (b"cbor", b"json")]
        if not content:
            found.append(Assertion(label, error=f"no cbor or json content box ({content_kind!r})"))
            continue
        box_kind, cs, ce = content[0]
        if ce - cs > MAX_ASSERTION_BYTES:
            found.append(Assertion(label, error=f"{ce - cs} bytes: over the 1 MiB cap"))
            continue
        found.append(_decoded(label, box_kind, data[cs:ce]))
    return found


def _decoded(label: str, box_kind: bytes, payload: bytes) -> Assertion:
    try:
        if box_kind == b"cbor":
            return Assertion(label, decode_cbor(payload))
        return Assertion(label, json.loads(payload.decode("utf-8")))
    except (CborError, ValueError, RecursionError) as exc:
        return Assertion(label, error=f"{box_kind.decode()} payload unreadable: {exc}")


def _compressed(
    data: bytes, boxes: list[tuple[bytes, int, int]], label: str, walk: _Walk, depth: int
) -> Manifest:
    """A ``c2cm`` manifest: its ``brob`` box holds the Brotli-compressed manifest box."""
    brob = next(((s, e) for k, s, e in boxes if k == b"brob"), None)
    if brob is None:
        return Manifest(label, "compressed", note="compressed manifest without a brob box")
    if _brotli is None:
        return Manifest(
            label, "compressed", note="compressed (brob) manifest not read: brotli not installed"
        )
    if depth >= MAX_DEPTH:
        return Manifest(label, "compressed", note="compressed manifest nested too deep")
    raw = data[brob[0] : brob[1]]
    # c2pa-rs compresses the whole manifest box; JPEG XL's brob starts with the box type.
    for candidate in (raw, raw[4:]):
        inflated = _inflate(candidate, walk.budget)
        if inflated is None:
            continue
        if inflated == b"":
            return Manifest(
                label, "compressed", note="compressed manifest over the decompression cap"
            )
        walk.budget -= len(inflated)
        inner = walk.children(inflated, 0, len(inflated))
        if inner and inner[0][0] == b"jumb":
            found = _manifest(inflated, inner[0][1], inner[0][2], walk, depth + 1)
        else:  # the superbox's content without its header
            found = _manifest(inflated, 0, len(inflated), walk, depth + 1)
        return Manifest(found.label or label, found.kind, found.assertions, True, found.note)
    return Manifest(label, "compressed", note="brob box is not valid Brotli")


def _inflate(raw: bytes, cap: int) -> bytes | None:
    """Brotli-decompressed ``raw``; b"" past ``cap`` bytes; None when it is not Brotli."""
    if cap <= 0:
        return b""
    try:
        decompressor = _brotli.Decompressor()
        out = decompressor.process(raw, output_buffer_limit=cap + 1)
    except _brotli.error:
        return None
    if len(out) > cap:
        return b""
    if not decompressor.is_finished():
        return None
    return bytes(out)
