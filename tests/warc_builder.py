"""WARC files for the tests, written with warcio (an independent implementation of the format).

:class:`WarcBuilder` collects records (a response gets a request record before it and, on
request, a metadata record after it, linked as Common Crawl links them) and writes them gzipped
per record or plain; :func:`member_offsets` finds the gzip members of a file, so a test can cut
one short.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

HTML = ("Content-Type", "text/html; charset=utf-8")


def html(head: str = "", text: str = "hello") -> bytes:
    return f"<!doctype html><html><head><title>t</title>{head}</head><body>{text}</body></html>".encode()


@dataclass
class WarcBuilder:
    """Records to write, in order; ``ids`` maps each response URL to its WARC-Record-ID."""

    records: list[object] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    _writer: WARCWriter = field(default_factory=lambda: WARCWriter(BytesIO(), gzip=False))

    def warcinfo(self) -> None:
        self.records.append(
            self._writer.create_warcinfo_record("test.warc.gz", {"software": "tests"})
        )

    def response(
        self,
        url: str,
        body: bytes | str = b"",
        *,
        status: str = "200 OK",
        headers: Sequence[tuple[str, str]] = (HTML,),
        date: str | None = None,
        request: bool = True,
        metadata: bool = False,
    ) -> str:
        """Add a response (with its request record, and a metadata record if asked)."""
        data = body.encode() if isinstance(body, str) else body
        warc_headers = {"WARC-Date": date} if date else None
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(data),
            length=len(data),  # else warcio spools the payload to a temporary file
            http_headers=StatusAndHeaders(status, list(headers), protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if request:
            path = "/" + url.split("/", 3)[-1] if url.count("/") >= 3 else "/"
            req = self._writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(f"GET {path}", [], is_http_request=True),
            )
            record.rec_headers.add_header(
                "WARC-Concurrent-To", req.rec_headers.get_header("WARC-Record-ID")
            )
            self.records.append(req)
        self.records.append(record)
        if metadata:
            self.records.append(
                self._writer.create_warc_record(
                    url,
                    "metadata",
                    payload=BytesIO(b"fetchTimeMs: 12\r\n"),
                    length=17,
                    warc_content_type="application/warc-fields",
                    warc_headers_dict={"WARC-Concurrent-To": record_id},
                )
            )
        self.ids[url] = record_id
        return str(record_id)

    def resource(self, url: str, body: bytes, content_type: str = "text/dns") -> None:
        """A record whose block is not an HTTP message (e.g. a DNS lookup)."""
        self.records.append(
            self._writer.create_warc_record(
                url,
                "resource",
                payload=BytesIO(body),
                length=len(body),
                warc_content_type=content_type,
            )
        )

    def write(self, path: Path, *, gzip: bool = True) -> Path:
        with path.open("wb") as out:
            writer = WARCWriter(out, gzip=gzip)
            for record in self.records:
                writer.write_record(record)
        return path


def member_offsets(data: bytes) -> list[int]:
    """Start offsets of the gzip members of a per-record gzipped WARC."""
    offsets = []
    position = 0
    while position < len(data):
        offsets.append(position)
        inflater = zlib.decompressobj(wbits=31)
        inflater.decompress(data[position:])
        position = len(data) - len(inflater.unused_data)
    return offsets
