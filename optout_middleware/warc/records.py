"""Reading WARC files (ISO 28500, WARC/1.0 and 1.1) with FastWARC: records in, plain objects out.

Gzip per record or uncompressed, from a seekable file. Every HTTP header line is kept, repeated
ones included (:class:`~optout_middleware.inputs.HeaderList`). The payload is read raw and decoded
here (chunked transfer coding, then gzip, deflate or brotli content coding) so that a body whose
coding is broken is still a record with its headers, not the end of the file.

A record that cannot be read (a gzip member cut short, a header block that is not WARC, a payload
shorter than its Content-Length) is reported through ``on_error`` with its byte offset and
skipped: reading resumes at the next gzip member (or ``WARC/`` line) after it. Nothing here
decides anything.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecordType

from optout_middleware.inputs import HeaderList

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "DEFAULT_MAX_BODY",
    "Record",
    "RecordError",
    "decode_payload",
    "is_gzip",
    "iter_records",
]

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # bytes of payload read per record; the rest is skipped
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1 << 20

_TYPE_NAMES = {  # FastWARC's record types are not hashable: keyed by their int values
    int(t): name
    for t, name in (
        (WarcRecordType.warcinfo, "warcinfo"),
        (WarcRecordType.response, "response"),
        (WarcRecordType.resource, "resource"),
        (WarcRecordType.request, "request"),
        (WarcRecordType.metadata, "metadata"),
        (WarcRecordType.revisit, "revisit"),
        (WarcRecordType.conversion, "conversion"),
        (WarcRecordType.continuation, "continuation"),
    )
}
_ANY = int(WarcRecordType.any_type)
# Records whose payload is an HTTP response (a revisit repeats the headers of an earlier one).
HTTP_RESPONSE_TYPES = frozenset({"response", "revisit"})


@dataclass(frozen=True, slots=True)
class Record:
    """One WARC record: its WARC headers that matter here, and for HTTP, the response."""

    offset: int  # byte offset of the record (its gzip member) in the file
    type: str  # "response", "request", "metadata", "revisit", "warcinfo", ...
    record_id: str  # WARC-Record-ID, with its angle brackets
    date: str  # WARC-Date as written (ISO 8601, UTC)
    target_uri: str  # WARC-Target-URI ("" when absent)
    concurrent_to: tuple[str, ...] = ()  # WARC-Concurrent-To (may repeat)
    refers_to: str = ""  # WARC-Refers-To
    http: bool = False  # the block is an HTTP message
    status: int | None = None  # HTTP status of a response
    headers: HeaderList | None = None  # every HTTP header line, in order
    body: bytes | None = None  # the decoded payload, when it was asked for
    body_note: str = ""  # why the body is not what the server meant (cut, coding not decoded)
    warc_truncated: str = ""  # WARC-Truncated: the crawler stored only part of the payload


@dataclass(frozen=True, slots=True)
class RecordError:
    """A stretch of a file that could not be read as records, and why."""

    offset: int  # where the unreadable record starts (or the last good one ended)
    resumed_at: int | None  # where reading went on; None: nothing readable after it
    message: str


def is_gzip(stream: BinaryIO) -> bool:
    """Whether the file starts with a gzip member (the position is restored)."""
    position = stream.tell()
    head = stream.read(3)
    stream.seek(position)
    return head == _GZIP_MAGIC


def iter_records(
    stream: BinaryIO,
    *,
    want_body: Callable[[str, str], bool],
    on_error: Callable[[RecordError], None],
    on_bad: Callable[[int], None] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    types: frozenset[str] | None = None,
    parse_http: bool = True,
    lean: bool = False,
) -> Iterator[Record]:
    """Every readable record of a seekable WARC file, in file order.

    ``want_body(type, target_uri)`` says whose payload to read (others are skipped unread).
    ``on_error`` hears of each unreadable stretch once reading has resumed after it (or at the
    end); ``on_bad(offset)`` as soon as it starts (where the record before it ends). ``types``:
    only records of these types (FastWARC skips the others unparsed). ``parse_http=False``: HTTP
    headers are parsed only for the records whose body is wanted (``headers`` is None for others).
    ``lean``: records whose body is not wanted carry only their offset, type, target URI and
    HTTP flag (pass 1 without record groups).
    """
    mask = _ANY
    if types is not None:
        mask = 0
        for value, name in _TYPE_NAMES.items():
            if name in types:
                mask |= value
    gzipped = is_gzip(stream)
    start = stream.tell()
    pending: tuple[int, str] | None = None  # an unreadable stretch: (offset, why)
    done_through = -1  # records at or before this offset were yielded already
    # One gzip stream for the whole file: every record after the first reports the same offset
    # (FastWARC's position in the compressed file), so those are told apart by their count.
    done_count = 0  # records handled at ``done_through``
    while True:
        stream.seek(start)
        last = start  # offset of the last record read whole
        progressed = False
        at_offset, seen = -1, 0  # records met at the same offset in this pass
        try:
            for raw in ArchiveIterator(
                stream,
                record_types=mask,  # type: ignore[arg-type]  # an int bitmask works
                parse_http=parse_http,
                auto_decode="none",
            ):
                offset = raw.stream_pos
                progressed = True
                last = offset
                seen = seen + 1 if offset == at_offset else 1
                at_offset = offset
                if offset < done_through or (offset == done_through and seen <= done_count):
                    continue
                done_count = done_count + 1 if offset == done_through else 1
                done_through = offset
                if types is not None and _TYPE_NAMES.get(int(raw.record_type)) not in types:
                    continue  # unfiltered after an error: FastWARC no longer skips these
                record = _record(raw, offset, want_body, max_body, lean)
                if pending is not None:
                    on_error(RecordError(pending[0], offset, pending[1]))
                    pending = None
                if isinstance(record, str):
                    on_error(RecordError(offset, None, record))
                    if on_bad is not None:
                        on_bad(offset)
                    continue
                yield record
            break
        except OSError as exc:
            problem = str(exc).strip() or type(exc).__name__
        if mask != _ANY:  # skipped records hide where the damage is: read it again, all types
            mask = _ANY
            start = last if progressed else start
            continue
        # Try the next record start after the last good record (the bad record's own start
        # first: only the part after it may be damaged), then each one after that.
        candidate = _next_record_start(stream, (last if progressed else start) + 1, gzipped=gzipped)
        if pending is None:
            bad_at = candidate if progressed and candidate is not None else start
            pending = (bad_at, problem)
            if on_bad is not None:
                on_bad(bad_at)
        if candidate is None:
            break
        start = candidate
    if pending is not None:
        on_error(RecordError(pending[0], None, pending[1]))


def _record(
    raw: object, offset: int, want_body: Callable[[str, str], bool], max_body: int, lean: bool
) -> Record | str:
    """A :class:`Record` from a FastWARC record, or why it cannot be one."""
    headers = raw.headers  # type: ignore[attr-defined]
    kind = _TYPE_NAMES.get(int(raw.record_type), "unknown")  # type: ignore[attr-defined]
    uri = (headers.get("WARC-Target-URI") or "").strip()
    if uri.startswith("<") and uri.endswith(">"):  # WARC/1.0 examples wrap it in brackets
        uri = uri[1:-1]
    http = bool(raw.is_http)  # type: ignore[attr-defined]
    status = None
    http_headers = None
    wanted = want_body(kind, uri)
    if lean and not wanted:
        return Record(offset=offset, type=kind, record_id="", date="", target_uri=uri, http=http)
    if http and not raw.is_http_parsed and wanted:  # type: ignore[attr-defined]
        raw.parse_http(auto_decode="none")  # type: ignore[attr-defined]
    if http and raw.is_http_parsed:  # type: ignore[attr-defined]
        parsed = raw.http_headers  # type: ignore[attr-defined]
        status = parsed.status_code
        http_headers = HeaderList(parsed.items_bytes())
    body = None
    note = ""
    if wanted:
        reader = raw.reader  # type: ignore[attr-defined]
        payload = reader.read(max_body)
        if len(payload) == max_body:
            reader.consume()
            note = f"read the first {max_body} bytes only"
        elif reader.tell() < raw.content_length:  # type: ignore[attr-defined]
            return (
                f"record {headers.get('WARC-Record-ID') or '?'} is cut short: "
                f"{reader.tell()} of {raw.content_length} bytes"  # type: ignore[attr-defined]
            )
        body = payload
        if http_headers is not None and payload:
            body, problem = decode_payload(payload, http_headers, max_body)
            note = "; ".join(n for n in (note, problem) if n)
    return Record(
        offset=offset,
        type=kind,
        record_id=(headers.get("WARC-Record-ID") or "").strip(),
        date=(headers.get("WARC-Date") or "").strip(),
        target_uri=uri,
        concurrent_to=tuple(v.strip() for v in headers.get_multiple("WARC-Concurrent-To")),
        refers_to=(headers.get("WARC-Refers-To") or "").strip(),
        http=http,
        status=status,
        headers=http_headers,
        body=body,
        body_note=note,
        warc_truncated=(headers.get("WARC-Truncated") or "").strip(),
    )


def decode_payload(payload: bytes, headers: HeaderList, max_body: int) -> tuple[bytes, str]:
    """Undo the transfer and content codings the headers name; on failure, the raw bytes.

    Returns the body and a note ("" when it decoded cleanly).
    """
    body = payload
    for value in headers.getlist("Transfer-Encoding"):
        if b"chunked" in value.lower():
            decoded = _dechunk(body)
            if decoded is None:
                return payload, "chunked transfer coding is broken: body left as stored"
            body = decoded
            break
    codings = [
        c.strip().lower()
        for value in headers.getlist("Content-Encoding")
        for c in value.split(b",")
        if c.strip() and c.strip().lower() != b"identity"
    ]
    for coding in reversed(codings):  # the last coding applied is undone first
        name = coding.decode("latin-1")
        try:
            decoded = _decompress(coding, body, max_body)
        except (zlib.error, OSError, ValueError) as exc:
            return payload, f"content coding {name} not decoded ({exc}): body left as stored"
        if decoded is None:
            return payload, f"content coding {name} not supported: body left as stored"
        body = decoded
    return body, ""


def _decompress(coding: bytes, data: bytes, max_body: int) -> bytes | None:
    """``data`` decoded from ``coding`` (at most ``max_body`` bytes); None: unknown coding."""
    if coding in (b"gzip", b"x-gzip"):
        return zlib.decompressobj(wbits=47).decompress(data, max_body)  # 47: gzip or zlib
    if coding == b"deflate":  # RFC 9110 says zlib; some servers send raw deflate
        try:
            return zlib.decompressobj().decompress(data, max_body)
        except zlib.error:
            return zlib.decompressobj(wbits=-15).decompress(data, max_body)
    if coding == b"br":
        try:
            import brotli  # type: ignore[import-untyped]  # noqa: PLC0415  (fastwarc's dep)
        except ImportError:  # pragma: no cover - fastwarc depends on it
            return None
        try:  # bounded: a small body may claim gigabytes
            out = brotli.Decompressor().process(data, output_buffer_limit=max_body)
        except TypeError:  # a brotli too old to bound its output: leave the body as stored
            return None
        except brotli.error as exc:
            raise ValueError(str(exc)) from None
        return bytes(out[:max_body])
    return None


def _dechunk(data: bytes) -> bytes | None:
    """Join the chunks of a chunked body (RFC 9112 section 7.1); None if it is not chunked."""
    out = bytearray()
    position = 0
    size_limit = 16  # hex digits
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return bytes(out) if out else None  # cut inside the size line: keep what we have
        size_text = data[position:line_end].split(b";", 1)[0].strip()
        if not size_text or len(size_text) > size_limit:
            return None
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += data[start : start + size]
        if start + size > len(data):
            return bytes(out)  # cut inside a chunk
        position = start + size + 2


def _next_record_start(stream: BinaryIO, after: int, *, gzipped: bool) -> int | None:
    """The offset of the next gzip member (or ``WARC/1.`` line start) at or after ``after``."""
    needle = _GZIP_MAGIC if gzipped else b"\nWARC/1."
    position = after if gzipped else after - 1
    keep = len(needle) - 1
    while True:
        stream.seek(position)
        chunk = stream.read(_SCAN_CHUNK)
        if len(chunk) < len(needle):
            return None
        found = chunk.find(needle)
        if found >= 0:
            return position + found + (0 if gzipped else 1)
        position += len(chunk) - keep
