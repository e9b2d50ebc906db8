"""A small, bounded CBOR decoder (RFC 8949) for C2PA assertion payloads.

Only decoding, only what assertions use: integers, byte and text strings, arrays, maps, tags
(the tag number is dropped, the content kept), simple values and floats. Every dimension is
capped (input size, nesting depth, item count, string length), so a hostile payload costs at
most a bounded, linear amount of work and raises :class:`CborError` instead of exhausting memory
or the C stack. Indefinite-length strings, arrays and maps are accepted within the same caps.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from optout_middleware.errors import ParseError

__all__ = ["CborError", "CborLimits", "decode_cbor"]


class CborError(ParseError):
    """CBOR that cannot be decoded, or that passes one of the caps."""


@dataclass(frozen=True, slots=True)
class CborLimits:
    """Caps on one decode (images.md section 8: depth 64, one assertion at most 1 MiB)."""

    max_bytes: int = 1 << 20
    max_depth: int = 64
    max_items: int = 100_000


DEFAULT_LIMITS = CborLimits()
_BREAK = object()
_SIMPLE = {20: False, 21: True, 22: None, 23: None}


def decode_cbor(data: bytes, limits: CborLimits = DEFAULT_LIMITS) -> Any:
    """The first CBOR data item of ``data`` as Python values (trailing bytes are ignored)."""
    if len(data) > limits.max_bytes:
        raise CborError(f"CBOR payload of {len(data)} bytes is over the {limits.max_bytes} cap")
    decoder = _Decoder(data, limits)
    value = decoder.item(0)
    if value is _BREAK:
        raise CborError("unexpected break code")
    return value


class _Decoder:
    __slots__ = ("data", "items", "limits", "pos")

    def __init__(self, data: bytes, limits: CborLimits) -> None:
        self.data = data
        self.limits = limits
        self.pos = 0
        self.items = 0

    def _take(self, count: int) -> bytes:
        end = self.pos + count
        if count < 0 or end > len(self.data):
            raise CborError(f"truncated CBOR at byte {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _argument(self, info: int) -> int | None:
        """The argument of a head; None for indefinite length (info 31)."""
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info == 25:
            return int.from_bytes(self._take(2), "big")
        if info == 26:
            return int.from_bytes(self._take(4), "big")
        if info == 27:
            return int.from_bytes(self._take(8), "big")
        if info == 31:
            return None
        raise CborError(f"reserved additional information {info} at byte {self.pos}")

    def item(self, depth: int) -> Any:
        if depth > self.limits.max_depth:
            raise CborError(f"CBOR nested deeper than {self.limits.max_depth}")
        self.items += 1
        if self.items > self.limits.max_items:
            raise CborError(f"more than {self.limits.max_items} CBOR items")
        head = self._take(1)[0]
        major, info = head >> 5, head & 0x1F
        if major == 7:
            return self._simple(info)
        arg = self._argument(info)
        if major == 0:
            return _need(arg)
        if major == 1:
            return -1 - _need(arg)
        if major in (2, 3):
            raw = self._string(major, arg, depth)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CborError("text string is not UTF-8") from None
        if major == 4:
            out: list[Any] = []
            if arg is None:
                while (value := self.item(depth + 1)) is not _BREAK:
                    out.append(value)
            else:
                self._room(arg)
                out.extend(self._value(depth + 1) for _ in range(arg))
            return out
        if major == 5:
            mapping: dict[Any, Any] = {}
            count = 0
            while arg is None or count < arg:
                key = self.item(depth + 1)
                if key is _BREAK and arg is None:
                    break
                if key is _BREAK or isinstance(key, (list, dict)):
                    raise CborError("map key is not a scalar")
                mapping[key] = self._value(depth + 1)
                count += 1
            return mapping
        # major 6: a tag; its number says how to interpret the content, which we keep as is
        return self._value(depth + 1)

    def _value(self, depth: int) -> Any:
        value = self.item(depth)
        if value is _BREAK:
            raise CborError("break code where a value was expected")
        return value

    def _room(self, count: int) -> None:
        # Every element takes at least one byte: a declared count larger than what is left
        # is a lie that would otherwise allocate before failing.
        if count > len(self.data) - self.pos:
            raise CborError(f"declared {count} elements, only {len(self.data) - self.pos} bytes")

    def _string(self, major: int, arg: int | None, depth: int) -> bytes:
        if arg is not None:
            return self._take(arg)
        parts: list[bytes] = []
        while True:
            self.items += 1
            if self.items > self.limits.max_items:
                raise CborError(f"more than {self.limits.max_items} CBOR items")
            head = self._take(1)[0]
            if head == 0xFF:
                return b"".join(parts)
            if head >> 5 != major or (head & 0x1F) == 31:
                raise CborError("bad chunk in an indefinite-length string")
            parts.append(self._take(_need(self._argument(head & 0x1F))))

    def _simple(self, info: int) -> Any:
        if info in _SIMPLE:
            return _SIMPLE[info]
        if info == 25:
            return struct.unpack(">e", self._take(2))[0]
        if info == 26:
            return struct.unpack(">f", self._take(4))[0]
        if info == 27:
            return struct.unpack(">d", self._take(8))[0]
        if info == 31:
            return _BREAK
        if info == 24:
            self._take(1)
        return None  # unassigned simple values carry nothing we read


def _need(arg: int | None) -> int:
    if arg is None:
        raise CborError("indefinite length where a definite one is required")
    return arg
