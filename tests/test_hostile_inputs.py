"""Hostile inputs through real crawls: bounded time and memory, the documented outcome.

GitHub issue 6. The parsers' own hostile-input tests live with them (tests/test_robotstxt.py,
test_tdmrep.py, test_htmlhead.py, test_sfv.py, ...); these tests send such inputs over HTTP
through the middleware, where headers repeat, bodies arrive compressed and site files are capped.
"""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
from typing import TYPE_CHECKING

from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, HeaderList, ResponseView, SiteFiles
from optout_middleware.verdict import Purpose

from .conftest import crawl, crawl_test
from .site import HTML, JSON, TEXT, Site, html
from .test_faults import FaultSite, answer, audit_records

if TYPE_CHECKING:
    from pathlib import Path

HEAD = b"<html><head><title>t</title></head><body>x</body></html>"
GPTBOT_PRIVATE = b"User-agent: GPTBot\nDisallow: /private\n"


def _evaluator() -> Evaluator:
    return Evaluator(Purpose.TRAIN_AI, Context(), builtin_signals())


# --- many headers, control characters ------------------------------------------------------


@crawl_test
async def test_thousands_of_x_robots_tag_headers_are_decided(tmp_path: Path) -> None:
    """5,000 X-Robots-Tag lines on one response, the last one `noai`: every line is read (the
    last one reserves), in bounded time, and the crawl goes on."""
    audit = tmp_path / "audit.jsonl"
    many = [("X-Robots-Tag", "index, follow")] * 4999 + [("X-Robots-Tag", "noai")]
    actions = {"/many": answer(200, [*HTML.items(), *many], HEAD), "/open": answer(200, HTML, HEAD)}
    with FaultSite(actions) as site:
        started = time.monotonic()
        result = await crawl([site.url("/many"), site.url("/open")], OPTOUT_AUDIT_FILE=str(audit))
        elapsed = time.monotonic() - started
    assert elapsed < 30  # one read of each line; quadratic work would take minutes
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/response_dropped"] == 1
    (dropped,) = [r for r in audit_records(audit) if r["action"] == "dropped"]
    assert dropped["url"] == site.url("/many")
    assert dropped["decided_by"]["value"] == "noai"


def test_evaluating_many_header_lines_is_linear_in_memory() -> None:
    """20,000 header lines of each signal header cost memory in proportion to the input only:
    the peak stays under 64 MiB (bounded), and the verdict is the documented one (disallow)."""
    names = ("X-Robots-Tag", "Content-Usage", "Content-Signal", "tdm-reservation")
    pairs = [(n, v) for n in names for v in ("x",) * 20_000]
    pairs.append(("tdm-reservation", "1"))
    view = ResponseView("https://e.com/p", headers=HeaderList(pairs))
    evaluator = _evaluator()
    tracemalloc.start()
    try:
        verdict = evaluator.after_download(view, SiteFiles(origin="https://e.com"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    assert verdict.reserved is True  # tdm-reservation: one "1" among invalid values reserves


@crawl_test
async def test_control_characters_in_signal_headers_never_stop_the_crawl(tmp_path: Path) -> None:
    """Header values with control characters (tdm-reservation, Content-Usage, X-Robots-Tag,
    Content-Signal) are invalid values: recorded, no reservation, the page reaches the spider,
    and the audit line is valid JSON that keeps the raw value."""
    audit = tmp_path / "audit.jsonl"
    hostile = [
        ("tdm-reservation", "1\x01"),
        ("Content-Usage", "train-ai=n\x7f"),
        ("X-Robots-Tag", "no\x0bai"),
        ("Content-Signal", "ai-train\x1b=no"),
    ]
    actions = {"/ctl": answer(200, [*HTML.items(), *hostile], HEAD)}
    with FaultSite(actions) as site:
        result = await crawl([site.url("/ctl")], OPTOUT_AUDIT_FILE=str(audit))
    assert result.urls() == [site.url("/ctl")]
    (record,) = audit_records(audit)
    assert record["reserved"] is not True
    values = {e["value"] for e in record["verdict"]["evidence"]}
    assert {"1\x01", "train-ai=n\x7f"} <= values


# --- HTML heads ------------------------------------------------------------------------------


@crawl_test
async def test_deeply_nested_unclosed_head_is_decided_in_bounded_time() -> None:
    """README: an HTML page without </head>, or a huge one: only the head is parsed, at most
    256 KiB. 200,000 unclosed nested tags after a `noai` meta: the meta decides (drop), fast;
    the same tags before it push it past the cap, and the page passes."""
    nest = b"<div><span><b>" * 200_000
    first = b"<html><head><meta name='robots' content='noai'>" + nest
    late = b"<html><head>" + nest + b"<meta name='robots' content='noai'>"
    with Site({"/first": (200, HTML, first), "/late": (200, HTML, late)}) as site:
        started = time.monotonic()
        result = await crawl([site.url("/first"), site.url("/late")])
        elapsed = time.monotonic() - started
    assert elapsed < 30  # the cap bounds the parse; the whole 3 MB page would take far longer
    assert result.urls() == [site.url("/late")]
    assert result.stats["optout/response_dropped"] == 1


# --- compressed site files ---------------------------------------------------------------------


def _gz(body: bytes) -> tuple[int, dict[str, str], bytes]:
    return (200, {**TEXT, "Content-Encoding": "gzip"}, gzip.compress(body, compresslevel=9))


@crawl_test
async def test_gzip_robots_expanding_past_the_cap_keeps_its_first_lines() -> None:
    """README: a site file larger than its cap stops at the cap and robots.txt keeps its complete
    lines. A 4 KiB gzip body that expands to 4 MiB is read as its first 500 KiB."""
    body = GPTBOT_PRIVATE + b"# padding\n" * 400_000
    with Site({"/robots.txt": _gz(body), "/open": html(), "/private/x": html()}) as site:
        result = await crawl([site.url("/open"), site.url("/private/x")])
    assert "/private/x" not in site.requested
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/sitefile/robots/state_count/parsed"] == 1


@crawl_test
async def test_gzip_bomb_robots_past_the_decompression_ceiling_blocks_the_origin() -> None:
    """A gzip bomb (64 MiB of padding in ~64 KiB) for robots.txt: Scrapy's decompression stops
    at the site-file ceiling (fetch.SITEFILE_MAXSIZE, 10 MiB) and drops the response, so the
    file is unreachable and the origin fails closed (RFC 9309 2.3.1.4), in bounded memory.
    Unlike an oversized plain or moderately compressed file, its first 500 KiB are not used."""
    body = GPTBOT_PRIVATE + b"#" * (64 * 1024 * 1024) + b"\n"
    with Site({"/robots.txt": _gz(body), "/open": html(), "/private/x": html()}) as site:
        result = await crawl([site.url("/open"), site.url("/private/x")])
    assert sorted(site.requested) == ["/.well-known/tdmrep.json", "/ai.txt", "/robots.txt"]
    assert result.items == []
    assert result.stats["optout/sitefile/robots/state_count/unreachable"] == 1
    assert (
        result.stats["optout/sitefile/robots/exception_count/scrapy.exceptions.IgnoreRequest"] == 1
    )


@crawl_test
async def test_gzip_tdmrep_expanding_past_the_cap_is_no_file() -> None:
    """README: tdmrep.json past its 1 MiB cap is rejected as no file, even when its first rule
    (inside the cap) reserves: a cut JSON document is not read."""
    rules = [{"location": "/private", "tdm-reservation": 1}]
    rules += [{"location": f"/x{i}", "tdm-reservation": 0} for i in range(80_000)]
    body = json.dumps(rules).encode()
    assert len(body) > 2 * 1024 * 1024
    tdmrep = (200, {**JSON, "Content-Encoding": "gzip"}, gzip.compress(body))
    with Site({"/.well-known/tdmrep.json": tdmrep, "/private/x": html()}) as site:
        result = await crawl([site.url("/private/x")])
    assert result.urls() == [site.url("/private/x")]
    assert result.stats["optout/sitefile/tdmrep/state_count/absent"] == 1


# --- tdmrep.json: huge, deep, wrong types ------------------------------------------------------


@crawl_test
async def test_huge_tdmrep_json_is_no_file() -> None:
    """README: tdmrep.json larger than 1 MiB (uncompressed) is rejected as no file."""
    body = json.dumps([{"location": "/private", "tdm-reservation": 1}]).encode()
    body = body[:-1] + b"," + b",".join([b'{"location":"/y","tdm-reservation":0}'] * 40_000) + b"]"
    with Site({"/.well-known/tdmrep.json": (200, JSON, body), "/private/x": html()}) as site:
        result = await crawl([site.url("/private/x")])
    assert result.urls() == [site.url("/private/x")]
    assert result.stats["optout/sitefile/tdmrep/state_count/absent"] == 1


@crawl_test
async def test_deeply_nested_tdmrep_json_is_no_file() -> None:
    """100,000 nested arrays (a RecursionError for naive JSON readers): no file, no crash."""
    body = b"[" * 100_000 + b"]" * 100_000
    with Site({"/.well-known/tdmrep.json": (200, JSON, body), "/open": html()}) as site:
        result = await crawl([site.url("/open")])
    assert result.urls() == [site.url("/open")]
    assert result.stats["optout/sitefile/tdmrep/state_count/absent"] == 1


@crawl_test
async def test_tdmrep_json_wrong_types_skip_rules_and_keep_searching() -> None:
    """README: invalid rules are skipped and the search goes on: a rule list of wrong types
    (numbers, nulls, nested lists, objects with wrong-typed members) before a valid `1`."""
    rules: list[object] = [
        5,
        None,
        [[]],
        "x",
        {"location": 7, "tdm-reservation": 1},
        {"location": ["/private"], "tdm-reservation": 1},
        {"location": "/private", "tdm-reservation": {"a": 1}},
        {"location": "/private", "tdm-reservation": True},
        {"location": "/private", "tdm-reservation": 1},
    ]
    with Site(
        {
            "/.well-known/tdmrep.json": (200, JSON, json.dumps(rules).encode()),
            "/private/x": html(),
            "/open": html(),
        }
    ) as site:
        result = await crawl([site.url("/private/x"), site.url("/open")])
    assert result.urls() == [site.url("/open")]  # fetched (a page value could lift it), dropped
    assert result.stats["optout/response_dropped"] == 1
    assert result.stats["optout/sitefile/tdmrep/state_count/parsed"] == 1
