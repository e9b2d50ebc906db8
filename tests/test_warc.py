"""``optout_middleware.warc``: stored crawls decided by the middleware's evaluator, one rule per test.

Archives are written with warcio in each test; the reader under test is FastWARC's.
"""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING, Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from optout_middleware.inputs import Context, FileState, HeaderList
from optout_middleware.warc import RecordError, check_warc, index_archives
from optout_middleware.warc.records import decode_payload

from .warc_builder import HTML, WarcBuilder, html, member_offsets

if TYPE_CHECKING:
    from pathlib import Path

    from optout_middleware.warc import WarcResult

SITE = "https://news.example"
GPTBOT_PRIVATE = "User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n"


def results(
    tmp_path: Path, warc: WarcBuilder, **kwargs: Any
) -> tuple[dict[str, WarcResult], list[RecordError]]:
    path = warc.write(tmp_path / "crawl.warc.gz")
    errors: list[RecordError] = []
    found = {
        r.url: r for r in check_warc([str(path)], on_error=lambda _p, e: errors.append(e), **kwargs)
    }
    return found, errors


def family(result: WarcResult) -> str | None:
    decided = result.verdict.decided_by
    return decided.family if decided is not None else None


# -- every signal family, from the archive alone ----------------------------------------------

FAMILY_CASES: dict[str, tuple[str, dict[str, Any]]] = {  # case -> (family that decides, case)
    "robots.txt group": ("robotstxt", {"robots": GPTBOT_PRIVATE, "path": "/private/a.html"}),
    "Content-Usage header": ("aipref", {"headers": [HTML, ("Content-Usage", "train-ai=n")]}),
    "Content-Usage in robots.txt": (
        "aipref",
        {"robots": "User-agent: *\nContent-Usage: train-ai=n\nAllow: /\n"},
    ),
    "Content-Signal in robots.txt": (
        "content-signal",
        {"robots": "User-agent: *\nContent-Signal: ai-train=no\nAllow: /\n"},
    ),
    "tdmrep.json": ("tdmrep", {"tdmrep": '[{"location": "/*", "tdm-reservation": 1}]'}),
    "tdm-reservation header": ("tdmrep", {"headers": [HTML, ("tdm-reservation", "1")]}),
    "tdm-reservation meta": ("tdmrep", {"head": '<meta name="tdm-reservation" content="1">'}),
    "ai.txt": ("aitxt", {"aitxt": "User-Agent: *\nDisallow: *.html\n"}),
    "robots meta noai": ("robots-meta", {"head": '<meta name="robots" content="noai">'}),
    "X-Robots-Tag noai": ("robots-meta", {"headers": [HTML, ("X-Robots-Tag", "noai")]}),
}


@pytest.mark.parametrize("name", sorted(FAMILY_CASES))
def test_every_family_reserves_from_the_archive_alone(tmp_path: Path, name: str) -> None:
    """Site files captured in the archive and the record's own headers and head all count."""
    expected, case = FAMILY_CASES[name]
    warc = WarcBuilder()
    for kind, path in (
        ("robots", "/robots.txt"),
        ("tdmrep", "/.well-known/tdmrep.json"),
        ("aitxt", "/ai.txt"),
    ):
        if kind in case:
            warc.response(SITE + path, case[kind], headers=[("Content-Type", "text/plain")])
        else:
            warc.response(SITE + path, "", status="404 Not Found")
    url = SITE + case.get("path", "/a.html")
    warc.response(url, html(case.get("head", "")), headers=case.get("headers", [HTML]))
    found, errors = results(tmp_path, warc)
    assert errors == []
    assert found[url].reserved is True
    assert family(found[url]) == expected


def test_licence_link_is_evidence_never_a_reservation(tmp_path: Path) -> None:
    warc = WarcBuilder()
    link = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    warc.response(SITE + "/a.html", html(link))
    found, _ = results(tmp_path, warc)
    result = found[SITE + "/a.html"]
    assert result.reserved is None
    assert [e.family for e in result.verdict.licences] == ["licence"]


def test_repeated_header_lines_are_all_read(tmp_path: Path) -> None:
    """Two X-Robots-Tag lines: the second one's noai counts (a header dict would keep one)."""
    warc = WarcBuilder()
    headers = [HTML, ("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "noai")]
    warc.response(SITE + "/a.html", html(), headers=headers)
    found, _ = results(tmp_path, warc)
    result = found[SITE + "/a.html"]
    assert result.reserved is True
    assert result.verdict.decided_by is not None
    assert result.verdict.decided_by.value == "noai"


def test_gzip_content_coding_is_decoded_before_the_head_is_read(tmp_path: Path) -> None:
    warc = WarcBuilder()
    body = gzip.compress(html('<meta name="robots" content="noai">'))
    warc.response(SITE + "/a.html", body, headers=[HTML, ("Content-Encoding", "gzip")])
    found, _ = results(tmp_path, warc)
    assert family(found[SITE + "/a.html"]) == "robots-meta"


# -- site files: status rules, redirects, not captured ----------------------------------------


def test_robots_txt_captured_as_503_is_unreachable_and_reserves(tmp_path: Path) -> None:
    """RFC 9309 2.3.1.4, as the middleware reads it: a 5xx robots.txt is a complete disallow."""
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", "busy", status="503 Service Unavailable")
    warc.response(SITE + "/a.html", html())
    found, _ = results(tmp_path, warc)
    result = found[SITE + "/a.html"]
    assert result.site.robots.state is FileState.UNREACHABLE
    assert result.reserved is True
    assert family(result) == "robotstxt"


def test_robots_txt_404_in_the_archive_is_absent(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", "nope", status="404 Not Found")
    warc.response(SITE + "/a.html", html())
    found, _ = results(tmp_path, warc)
    assert found[SITE + "/a.html"].site.robots.state is FileState.ABSENT
    assert found[SITE + "/a.html"].reserved is None


def test_site_file_after_the_pages_still_applies(tmp_path: Path) -> None:
    """Pass 1 indexes site files first: archive order does not matter."""
    warc = WarcBuilder()
    warc.response(SITE + "/private/a.html", html())
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE, headers=[("Content-Type", "text/plain")])
    found, _ = results(tmp_path, warc)
    assert found[SITE + "/private/a.html"].reserved is True


def test_redirected_robots_txt_is_followed_between_records(tmp_path: Path) -> None:
    """RFC 9309 2.3.1.2: the rules found after redirects apply to the first origin."""
    warc = WarcBuilder()
    warc.response(
        "http://news.example/robots.txt",
        "",
        status="301 Moved Permanently",
        headers=[("Location", "https://www.news.example/robots.txt")],
    )
    warc.response("https://www.news.example/robots.txt", GPTBOT_PRIVATE)
    warc.response("http://news.example/private/a.html", html())
    found, _ = results(tmp_path, warc)
    result = found["http://news.example/private/a.html"]
    assert result.site.robots.state is FileState.PARSED
    assert result.reserved is True


def test_redirect_to_a_path_that_is_no_site_file_is_found_by_a_rescan(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response("https://other.example/rules/robots-v2.txt", GPTBOT_PRIVATE)
    warc.response(
        SITE + "/robots.txt",
        "",
        status="302 Found",
        headers=[("Location", "https://other.example/rules/robots-v2.txt")],
    )
    warc.response(SITE + "/private/a.html", html())
    found, _ = results(tmp_path, warc)
    assert found[SITE + "/private/a.html"].reserved is True


def test_redirect_target_missing_from_the_archive_is_not_captured(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(
        SITE + "/robots.txt",
        "",
        status="301 Moved Permanently",
        headers=[("Location", "https://gone.example/robots.txt")],
    )
    warc.response(SITE + "/private/a.html", html())
    found, _ = results(tmp_path, warc)
    robots = found[SITE + "/private/a.html"].site.robots
    assert robots.state is FileState.NOT_CAPTURED
    assert "gone.example" in (robots.error or "")


def test_site_file_missing_from_the_archive_is_not_captured_not_absent(tmp_path: Path) -> None:
    """No robots.txt record: the state says so and a stance-less note is in the evidence."""
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html())
    found, _ = results(tmp_path, warc)
    result = found[SITE + "/a.html"]
    assert result.site.robots.state is FileState.NOT_CAPTURED
    assert result.reserved is None
    notes = [e for e in result.verdict.evidence if "not captured" in e.note]
    assert {e.family for e in notes} == {"robotstxt", "tdmrep", "aitxt"}
    assert all(e.stances == () for e in notes)
    line = result.to_dict()
    assert line["site_files"]["robots"]["state"] == "not-captured"


def test_site_files_from_a_separate_archive(tmp_path: Path) -> None:
    """--site-files: Common Crawl keeps robots.txt captures in their own WARC files."""
    robots = WarcBuilder()
    robots.response(SITE + "/robots.txt", GPTBOT_PRIVATE)
    robots_path = robots.write(tmp_path / "robots.warc.gz")
    warc = WarcBuilder()
    warc.response(SITE + "/private/a.html", html())
    found, _ = results(tmp_path, warc, site_files=[str(robots_path)])
    assert list(found) == [SITE + "/private/a.html"]  # the robots archive is not decided
    assert found[SITE + "/private/a.html"].reserved is True


def test_capture_made_before_the_page_applies(tmp_path: Path) -> None:
    """Time of crawl: the latest robots.txt captured at or before the page, else the earliest."""
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", "User-agent: *\nAllow: /\n", date="2024-01-01T00:00:00Z")
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE, date="2024-06-01T00:00:00Z")
    warc.response(SITE + "/private/old.html", html(), date="2024-03-01T00:00:00Z")
    warc.response(SITE + "/private/new.html", html(), date="2024-07-01T00:00:00Z")
    warc.response(SITE + "/private/early.html", html(), date="2023-07-01T00:00:00Z")
    found, _ = results(tmp_path, warc)
    assert found[SITE + "/private/old.html"].reserved is not True
    assert found[SITE + "/private/new.html"].reserved is True
    assert found[SITE + "/private/early.html"].reserved is not True


def test_counted_ai_agents_come_from_the_context(tmp_path: Path) -> None:
    """--agents: a group for a token we count reserves; the same file says nothing otherwise."""
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", "User-agent: NewsAI\nDisallow: /\n")
    warc.response(SITE + "/a.html", html())
    path = str(warc.write(tmp_path / "crawl.warc.gz"))
    counted = {
        r.url: r.reserved for r in check_warc([path], context=Context(ai_agents=("NewsAI",)))
    }
    assert counted[SITE + "/a.html"] is True
    assert {r.url: r.reserved for r in check_warc([path])}[SITE + "/a.html"] is None


# -- records that are not HTTP, and broken ones -----------------------------------------------


def test_record_that_is_not_http_gets_no_verdict(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.warcinfo()
    warc.resource("dns:news.example", b"20240101000000\nnews.example. 300 IN A 192.0.2.1\n")
    warc.response(SITE + "/a.html", html())
    found, errors = results(tmp_path, warc)
    assert list(found) == [SITE + "/a.html"]
    assert errors == []


def _three_pages() -> WarcBuilder:
    warc = WarcBuilder()
    for name in ("one", "two", "three"):
        warc.response(f"{SITE}/{name}.html", html(text=name * 200), request=False)
    return warc


def test_truncated_gzip_member_is_reported_and_skipped(tmp_path: Path) -> None:
    """A member cut short mid-file: reported with its offset, the records after it still read."""
    data = (_three_pages().write(tmp_path / "whole.warc.gz")).read_bytes()
    offsets = member_offsets(data)
    broken = data[: offsets[1] + 40] + data[offsets[2] :]
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(broken)
    errors: list[RecordError] = []
    found = [r.url for r in check_warc([str(path)], on_error=lambda _p, e: errors.append(e))]
    assert found == [f"{SITE}/one.html", f"{SITE}/three.html"]
    assert len(errors) == 1
    assert errors[0].offset == offsets[1]
    assert errors[0].resumed_at == offsets[1] + 40


def test_truncated_last_record_is_reported_not_decided(tmp_path: Path) -> None:
    data = (_three_pages().write(tmp_path / "whole.warc.gz")).read_bytes()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[:-60])
    errors: list[RecordError] = []
    found = [r.url for r in check_warc([str(path)], on_error=lambda _p, e: errors.append(e))]
    assert found == [f"{SITE}/one.html", f"{SITE}/two.html"]
    assert len(errors) == 1


def test_garbage_in_a_plain_warc_is_skipped(tmp_path: Path) -> None:
    path = _three_pages().write(tmp_path / "plain.warc", gzip=False)
    data = path.read_bytes()
    second = data.index(b"WARC/1.", 10)
    path.write_bytes(data[:second] + b"garbage\r\n" * 3 + data[second:])
    errors: list[RecordError] = []
    found = [r.url for r in check_warc([str(path)], on_error=lambda _p, e: errors.append(e))]
    assert found == [f"{SITE}/one.html", f"{SITE}/two.html", f"{SITE}/three.html"]
    assert len(errors) == 1


# -- --keep ------------------------------------------------------------------------------------


def _read_back(path: Path) -> list[tuple[str, str, str]]:
    with path.open("rb") as stream:
        return [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI") or "",
                r.rec_headers.get_header("WARC-Record-ID"),
            )
            for r in ArchiveIterator(stream, check_digests="raise")
        ]


@pytest.mark.parametrize(("gzip_in", "out_name"), [(True, "kept.warc.gz"), (False, "kept.warc")])
def test_keep_writes_exactly_the_unreserved_records(
    tmp_path: Path, gzip_in: bool, out_name: str
) -> None:
    """Kept: the unreserved responses with their request and metadata records, and the
    warcinfo; dropped: reserved responses with theirs. The output is a valid WARC (warcio reads
    it and checks every digest)."""
    warc = WarcBuilder()
    warc.warcinfo()
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE, metadata=True)
    warc.response(SITE + "/open.html", html(), metadata=True)
    warc.response(SITE + "/private/a.html", html(), metadata=True)
    warc.response(SITE + "/noai.html", html('<meta name="robots" content="noai">'), metadata=True)
    warc.resource("dns:news.example", b"news.example. 300 IN A 192.0.2.1\n")
    path = warc.write(tmp_path / ("in.warc.gz" if gzip_in else "in.warc"), gzip=gzip_in)
    out = tmp_path / out_name
    found = {r.url: r.reserved for r in check_warc([str(path)], keep=str(out))}
    assert found == {
        SITE + "/robots.txt": None,  # GPTBot's group matches no rule: no stance (review F6)
        SITE + "/open.html": None,
        SITE + "/private/a.html": True,
        SITE + "/noai.html": True,
    }
    kept = _read_back(out)
    original = _read_back(path)
    dropped = {SITE + "/private/a.html", SITE + "/noai.html"}
    assert kept == [r for r in original if r[1] not in dropped]
    assert [t for t, _, _ in kept].count("response") == 2
    assert out.read_bytes()[:2] == (b"\x1f\x8b" if out_name.endswith(".gz") else b"WA")


def test_keep_copies_gzip_members_byte_for_byte(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(SITE + "/open.html", html(), metadata=True)
    path = warc.write(tmp_path / "in.warc.gz")
    out = tmp_path / "kept.warc.gz"
    list(check_warc([str(path)], keep=str(out)))
    assert out.read_bytes() == path.read_bytes()


def test_keep_drops_the_group_of_an_unreadable_response(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html(text="a" * 500))
    warc.response(SITE + "/b.html", html(text="b" * 500))
    path = warc.write(tmp_path / "in.warc.gz")
    data = path.read_bytes()
    offsets = member_offsets(data)  # request a, response a, request b, response b
    path.write_bytes(data[: offsets[1] + 30] + data[offsets[2] :])
    out = tmp_path / "kept.warc.gz"
    found = [r.url for r in check_warc([str(path)], keep=str(out), on_error=lambda *_: None)]
    assert found == [SITE + "/b.html"]
    assert [(t, u) for t, u, _ in _read_back(out)] == [
        ("request", SITE + "/b.html"),
        ("response", SITE + "/b.html"),
    ]


def test_json_line_is_the_dict_encoded(tmp_path: Path) -> None:
    """to_json() (encoded evidence reused between records) says exactly what to_dict() says."""
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE + "Content-Signal: ai-train=no\n")
    warc.response(SITE + "/private/a.html", html('<meta name="robots" content="noai">'))
    warc.response(SITE + "/b.html", html(), headers=[HTML, ("Content-Usage", "train-ai=n")])
    found, _ = results(tmp_path, warc)
    for result in found.values():
        assert json.loads(result.to_json()) == result.to_dict()
        assert json.loads(result.to_json()) == json.loads(result.to_json())  # memo hit


def test_revisit_record_is_decided_by_its_own_headers(tmp_path: Path) -> None:
    """A revisit repeats the response headers without the payload: headers still count."""
    from warcio.statusandheaders import StatusAndHeaders  # noqa: PLC0415

    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html())
    writer = warc._writer
    revisit = writer.create_revisit_record(
        SITE + "/a.html",
        digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        refers_to_uri=SITE + "/a.html",
        refers_to_date="2024-01-01T00:00:00Z",
        http_headers=StatusAndHeaders("200 OK", [HTML, ("X-Robots-Tag", "noai")], "HTTP/1.1"),
    )
    warc.records.append(revisit)
    path = warc.write(tmp_path / "crawl.warc.gz")
    found = list(check_warc([str(path)]))
    assert [(r.type, r.reserved) for r in found] == [("response", None), ("revisit", True)]


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("deflate", lambda b: __import__("zlib").compress(b)),
        ("br", lambda b: __import__("brotli").compress(b)),
        ("gzip, br", lambda b: __import__("brotli").compress(gzip.compress(b))),
    ],
)
def test_content_codings_are_undone(tmp_path: Path, coding: str, encode: Any) -> None:
    warc = WarcBuilder()
    body = encode(html('<meta name="robots" content="noai">'))
    warc.response(SITE + "/a.html", body, headers=[HTML, ("Content-Encoding", coding)])
    found, _ = results(tmp_path, warc)
    assert family(found[SITE + "/a.html"]) == "robots-meta"


def test_chunked_body_is_joined(tmp_path: Path) -> None:
    page = html('<meta name="robots" content="noai">')
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(page), page)
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", chunked, headers=[HTML, ("Transfer-Encoding", "chunked")])
    found, _ = results(tmp_path, warc)
    assert family(found[SITE + "/a.html"]) == "robots-meta"


def test_broken_content_coding_keeps_the_record_with_a_note(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(
        SITE + "/a.html",
        b"not gzip",
        headers=[HTML, ("Content-Encoding", "gzip"), ("X-Robots-Tag", "noai")],
    )
    found, errors = results(tmp_path, warc)
    result = found[SITE + "/a.html"]
    assert errors == []
    assert result.reserved is True  # the headers still count
    assert "content coding gzip not decoded" in result.note


def test_a_file_that_is_not_a_warc_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "junk.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08" + bytes(range(256)) * 40)
    errors: list[RecordError] = []
    assert list(check_warc([str(path)], on_error=lambda _p, e: errors.append(e))) == []
    assert len(errors) == 1
    assert errors[0].offset == 0


@pytest.mark.parametrize("gzipped", [True, False])
def test_mutated_archives_never_raise(tmp_path: Path, gzipped: bool) -> None:
    """Hostile input: bytes flipped, cut and inserted anywhere give results and errors, never an
    exception (FastWARC's errors are caught per record; a Rust panic would escape as one)."""
    import random  # noqa: PLC0415

    warc = WarcBuilder()
    warc.warcinfo()
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE, metadata=True)
    for index in range(4):
        warc.response(f"{SITE}/private/{index}.html", html(text="t" * 300), metadata=True)
    base = warc.write(tmp_path / "base.warc", gzip=gzipped).read_bytes()
    rng = random.Random(f"mutate-{gzipped}")  # noqa: S311  (reproducible, not secret)
    for case in range(40):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.5:
                data[pos] = rng.randrange(256)
            elif roll < 0.8:
                del data[pos : pos + rng.randint(1, 200)]
            else:
                data[pos:pos] = rng.randbytes(rng.randint(1, 50))
        path = tmp_path / f"case{case}.warc"
        path.write_bytes(bytes(data))
        kept = tmp_path / f"kept{case}.warc.gz"
        found = list(check_warc([str(path)], keep=str(kept), on_error=lambda *_: None))
        assert all(r.verdict.purpose.value == "train-ai" for r in found)  # decided, not raised


def test_site_files_archive_keeps_only_the_hosts_of_the_pages(tmp_path: Path) -> None:
    """A Common Crawl robots.txt WARC holds every host of a crawl: only the pages' hosts are
    kept in memory (www. and scheme variants included, for redirects)."""
    robots = WarcBuilder()
    robots.response(
        "http://news.example/robots.txt",
        "",
        status="301 Moved Permanently",
        headers=[("Location", "https://www.news.example/robots.txt")],
    )
    robots.response("https://www.news.example/robots.txt", GPTBOT_PRIVATE)
    robots.response("https://elsewhere.example/robots.txt", GPTBOT_PRIVATE)
    robots_path = robots.write(tmp_path / "robots.warc.gz")
    pages = WarcBuilder()
    pages.response("http://news.example/private/a.html", html())
    pages_path = pages.write(tmp_path / "pages.warc.gz")
    index, _ = index_archives([str(pages_path)], site_files=[str(robots_path)])
    assert index.captured("https://www.news.example/robots.txt")
    assert not index.captured("https://elsewhere.example/robots.txt")
    found = list(check_warc([str(pages_path)], site_files=[str(robots_path)]))
    assert [r.reserved for r in found] == [True]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decompression_bombs_are_cut_at_the_body_cap(coding: str) -> None:
    """50 MB of zeros in a few kilobytes: decoding stops at the cap (no memory blow-up)."""
    import zlib  # noqa: PLC0415

    import brotli  # noqa: PLC0415

    plain = bytes(50 * 1024 * 1024)
    packed = {
        "gzip": lambda: gzip.compress(plain, 9),
        "deflate": lambda: zlib.compress(plain, 9),
        "br": lambda: brotli.compress(plain, quality=1),
    }[coding]()
    body, note = decode_payload(packed, HeaderList([("Content-Encoding", coding)]), 4096)
    assert note == ""
    assert body == bytes(len(body))
    assert 0 < len(body) <= 4096


def test_parsed_site_files_are_bounded_and_rebuilt_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More origins than the cache holds: verdicts equal those of an unbounded run."""
    from optout_middleware.warc import sitefiles  # noqa: PLC0415

    warc = WarcBuilder()
    hosts = [f"https://site{i}.example" for i in range(5)]
    for host in hosts:
        warc.response(host + "/robots.txt", GPTBOT_PRIVATE)
    for round_ in range(3):
        for host in hosts:
            warc.response(f"{host}/private/{round_}.html", html())
            warc.response(f"{host}/open/{round_}.html", html())
    path = str(warc.write(tmp_path / "crawl.warc.gz"))
    unbounded = [r.to_json() for r in check_warc([path])]
    monkeypatch.setattr(sitefiles, "ORIGIN_LIMIT", 2)
    bounded = [r.to_json() for r in check_warc([path])]
    assert bounded == unbounded
    assert sum(json.loads(line)["reserved"] is True for line in bounded) == 15
