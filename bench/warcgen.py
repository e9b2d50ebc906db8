"""A deterministic WARC file for the ``optout warc`` benchmark, written with warcio.

The shape of a Common Crawl segment: request, response and metadata records per page (gzip per
record), pages from many origins interleaved, each origin's robots.txt captured once and a share
of them with tdmrep.json and ai.txt, HTML pages of 5-60 KB with real ``<head>`` sections, and
some pages carrying header and ``<meta>`` opt-outs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from bench.sitegen import ai_txt, html_page, robots_txt, tdmrep_json

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["WarcSpec", "write_warc"]

_SIGNALS = (
    {},
    {},
    {},
    {"robots": '<meta name="robots" content="noai, noimageai">'},
    {"tdm": '<meta name="tdm-reservation" content="1">'},
)
_HEADERS = (
    (),
    (),
    (("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "GPTBot: noai")),
    (("Content-Usage", "train-ai=n"),),
    (("tdm-reservation", "1"),),
)


@dataclass(frozen=True, slots=True)
class WarcSpec:
    """What was written."""

    pages: int
    origins: int
    records: int
    bytes: int


def write_warc(
    path: Path, *, pages: int = 20_000, origins: int = 200, seed: str = "warc"
) -> WarcSpec:
    """Write ``pages`` HTML responses (with their request and metadata records) to ``path``."""
    from warcio.statusandheaders import StatusAndHeaders  # noqa: PLC0415  (bench extra)
    from warcio.warcwriter import WARCWriter  # noqa: PLC0415

    rng = random.Random(seed)
    hosts = [f"https://site{i:04d}.example" for i in range(origins)]
    records = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)

        def response(url: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
            nonlocal records
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            request = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(b""),
                http_headers=StatusAndHeaders(
                    "GET " + url.split("/", 3)[-1], [("User-Agent", "bench")], is_http_request=True
                ),
            )
            record = writer.create_warc_record(
                url, "response", payload=BytesIO(body), http_headers=http
            )
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            request.rec_headers.add_header("WARC-Concurrent-To", record_id)
            meta = writer.create_warc_record(
                url,
                "metadata",
                payload=BytesIO(b"fetchTimeMs: 120\r\n"),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Concurrent-To": record_id},
            )
            writer.write_record(request)
            writer.write_record(record)
            writer.write_record(meta)
            records += 3

        for index, host in enumerate(hosts):
            if index % 2:  # half the origins name AI crawlers in robots.txt
                text = robots_txt(rng, rules=60, wildcard_share=0.1, crawl_safe=True).encode()
            else:
                text = b"User-agent: *\nDisallow: /private/\nDisallow: /cart\n"
            response(f"{host}/robots.txt", "200 OK", [("Content-Type", "text/plain")], text)
            if index % 5 == 0:
                body = tdmrep_json(rng).encode()
                response(
                    f"{host}/.well-known/tdmrep.json",
                    "200 OK",
                    [("Content-Type", "application/json")],
                    body,
                )
            if index % 7 == 0:
                body = ai_txt(rng).encode()
                response(f"{host}/ai.txt", "200 OK", [("Content-Type", "text/plain")], body)
        for page in range(pages):
            host = hosts[rng.randrange(origins)]
            path_ = f"/articles/{page}-{rng.randrange(10**6)}.html"
            signals = rng.choice(_SIGNALS)
            body = html_page(rng, host, path_, rng.randint(5_000, 60_000), signals=signals)
            headers = [("Content-Type", "text/html; charset=utf-8"), *rng.choice(_HEADERS)]
            headers.append(("Content-Length", str(len(body))))
            response(host + path_, "200 OK", headers, body)
    return WarcSpec(pages, origins, records, path.stat().st_size)
