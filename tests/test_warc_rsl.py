"""``optout warc`` with RSL licences: documents named by a captured robots.txt ``License:`` line
or by a record's ``Link`` header / ``<link>`` are read from the archives' own records (redirects
followed between records, the middleware's status rules), one rule per test."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

import pytest

from optout_middleware.inputs import FileState
from optout_middleware.warc import check_warc

from .cli_server import Reply, Site
from .test_warc_cli import lines, run
from .warc_builder import HTML, WarcBuilder, html

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from optout_middleware.warc import WarcResult

SITE = "https://news.example"
NS = 'xmlns="https://rslstandard.org/rsl"'
XML = ("Content-Type", "application/rsl+xml")
PROHIBITS_TRAIN = (
    f'<rsl {NS}><content url="/"><license><prohibits type="usage">ai-train</prohibits>'
    "</license></content></rsl>"
)
PERMITS_ALL = (
    f'<rsl {NS}><content url="/"><license><permits type="usage">all</permits></license>'
    "</content></rsl>"
)
LICENSE_LINE = "User-agent: *\nAllow: /\nLicense: https://news.example/license.xml\n"
PAGE_LINK = (
    "Link",
    '<https://news.example/page-licence.xml>; rel="license"; type="application/rsl+xml"',
)


def decide(tmp_path: Path, warc: WarcBuilder, **kwargs: Any) -> dict[str, WarcResult]:
    path = warc.write(tmp_path / "crawl.warc.gz")
    return {r.url: r for r in check_warc([str(path)], **kwargs)}


def with_robots(robots: str = LICENSE_LINE) -> WarcBuilder:
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", robots, headers=[("Content-Type", "text/plain")])
    return warc


def rsl_evidence(result: WarcResult) -> list[Any]:
    return [e for e in result.verdict.evidence if e.family == "rsl"]


# -- robots.txt License: --------------------------------------------------------------------


def test_license_line_document_captured_prohibiting_ai_train_reserves(tmp_path: Path) -> None:
    warc = with_robots()
    warc.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is True
    assert result.verdict.decided_by is not None
    assert result.verdict.decided_by.family == "rsl"
    (document,) = result.site.rsl
    assert document.state is FileState.PARSED
    assert result.to_dict()["site_files"]["rsl"][0]["state"] == "parsed"


def test_license_line_document_captured_permitting_all_allows(tmp_path: Path) -> None:
    warc = with_robots()
    warc.response(SITE + "/license.xml", PERMITS_ALL, headers=[XML])
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is False
    assert result.verdict.decided_by is not None
    assert result.verdict.decided_by.family == "rsl"


def test_license_document_captured_before_robots_and_pages_still_applies(tmp_path: Path) -> None:
    """Archive order does not matter: the document is read from its record when needed."""
    warc = WarcBuilder()
    warc.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/a.html", html())
    warc.response(SITE + "/robots.txt", LICENSE_LINE)
    assert decide(tmp_path, warc)[SITE + "/a.html"].reserved is True


def test_license_document_redirect_is_followed_between_records(tmp_path: Path) -> None:
    warc = with_robots()
    warc.response(
        SITE + "/license.xml",
        "",
        status="301 Moved Permanently",
        headers=[("Location", "https://licences.example/news/rsl.xml")],
    )
    warc.response("https://licences.example/news/rsl.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is True
    assert result.site.rsl[0].state is FileState.PARSED


def test_license_document_not_captured_takes_no_stance_and_says_so(tmp_path: Path) -> None:
    """Not captured is unknown: neither unreadable (which would reserve) nor absent."""
    warc = with_robots()
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is None
    (document,) = result.site.rsl
    assert document.state is FileState.NOT_CAPTURED
    (evidence,) = rsl_evidence(result)
    assert evidence.stances == ()
    assert evidence.url == SITE + "/license.xml"
    assert "not captured" in evidence.note
    assert "unknown" in evidence.note
    assert result.to_dict()["site_files"]["rsl"][0]["state"] == "not-captured"


def test_license_document_redirect_target_not_captured_is_not_captured(tmp_path: Path) -> None:
    warc = with_robots()
    warc.response(
        SITE + "/license.xml",
        "",
        status="302 Found",
        headers=[("Location", "https://gone.example/rsl.xml")],
    )
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is None
    assert result.site.rsl[0].state is FileState.NOT_CAPTURED
    assert "gone.example" in (result.site.rsl[0].error or "")


def test_license_document_captured_as_404_is_unreadable_and_reserves(tmp_path: Path) -> None:
    """A capture is what the publisher served: the middleware's rule (unlicensed) applies."""
    warc = with_robots()
    warc.response(SITE + "/license.xml", "gone", status="404 Not Found")
    warc.response(SITE + "/a.html", html())
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.site.rsl[0].state is FileState.ABSENT
    assert result.reserved is True
    assert "unreadable RSL document: HTTP 404" in [e.value for e in rsl_evidence(result)]


def test_license_document_in_a_site_files_archive(tmp_path: Path) -> None:
    """--site-files archives hold documents too (a collective's licence, cross-origin)."""
    apart = WarcBuilder()
    apart.response(SITE + "/robots.txt", "License: https://licences.example/rsl.xml\n")
    apart.response("https://licences.example/rsl.xml", PROHIBITS_TRAIN, headers=[XML])
    apart_path = apart.write(tmp_path / "sitefiles.warc.gz")
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html())
    found = decide(tmp_path, warc, site_files=[str(apart_path)])
    assert list(found) == [SITE + "/a.html"]
    assert found[SITE + "/a.html"].reserved is True


def test_license_document_captured_several_times_the_one_before_the_page_applies(
    tmp_path: Path,
) -> None:
    warc = with_robots()
    warc.response(SITE + "/license.xml", PERMITS_ALL, headers=[XML], date="2024-01-01T00:00:00Z")
    warc.response(
        SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML], date="2024-06-01T00:00:00Z"
    )
    warc.response(SITE + "/old.html", html(), date="2024-03-01T00:00:00Z")
    warc.response(SITE + "/new.html", html(), date="2024-07-01T00:00:00Z")
    found = decide(tmp_path, warc)
    assert found[SITE + "/old.html"].reserved is False
    assert found[SITE + "/new.html"].reserved is True


def test_rsl_family_off_reads_no_document(tmp_path: Path) -> None:
    from optout_middleware.evaluate import builtin_signals  # noqa: PLC0415

    warc = with_robots()
    warc.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/a.html", html(), headers=[HTML, PAGE_LINK])
    signals = [s for s in builtin_signals() if s.family != "rsl"]
    result = decide(tmp_path, warc, signals=signals)[SITE + "/a.html"]
    assert result.reserved is None
    assert result.site.rsl == ()
    assert dict(result.rsl_documents) == {}


# -- page-level: Link header, <link>, inline script ------------------------------------------


@pytest.mark.parametrize("packing", ["gzip per record", "plain", "one gzip stream"])
def test_page_link_header_to_a_captured_document_reserves(tmp_path: Path, packing: str) -> None:
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html(), headers=[HTML, PAGE_LINK])
    warc.response(SITE + "/b.html", html())
    warc.response(SITE + "/page-licence.xml", PROHIBITS_TRAIN, headers=[XML])
    path = warc.write(tmp_path / "crawl.warc", gzip=packing == "gzip per record")
    if packing == "one gzip stream":  # no offsets to seek to: the document is found by a scan
        path = tmp_path / "crawl.warc.gz"
        path.write_bytes(gzip.compress((tmp_path / "crawl.warc").read_bytes()))
    found = {r.url: r for r in check_warc([str(path)])}
    page = found[SITE + "/a.html"]
    assert page.reserved is True
    assert page.verdict.decided_by is not None
    assert page.verdict.decided_by.source == "header"
    assert page.rsl_documents[SITE + "/page-licence.xml"].state is FileState.PARSED
    assert page.to_dict()["rsl_documents"][0]["state"] == "parsed"
    assert found[SITE + "/b.html"].reserved is None
    assert found[SITE + "/b.html"].to_dict()["rsl_documents"] == []


def test_page_link_with_a_fragment_finds_the_document_captured_without_it(
    tmp_path: Path,
) -> None:
    link = ("Link", f'<{SITE}/page-licence.xml#terms>; rel="license"; type="application/rsl+xml"')
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html(), headers=[HTML, link])
    warc.response(SITE + "/page-licence.xml", PROHIBITS_TRAIN, headers=[XML])
    assert decide(tmp_path, warc)[SITE + "/a.html"].reserved is True


def test_page_head_link_to_a_captured_document_supersedes_robots_license(tmp_path: Path) -> None:
    """rsl.md 2.7: the page's own association wins over robots.txt License: for that page."""
    warc = with_robots()
    warc.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/free.xml", PERMITS_ALL, headers=[XML])
    link = '<link rel="license" type="application/rsl+xml" href="/free.xml">'
    warc.response(SITE + "/a.html", html(link))
    warc.response(SITE + "/b.html", html())
    found = decide(tmp_path, warc)
    assert found[SITE + "/a.html"].reserved is False
    assert found[SITE + "/b.html"].reserved is True


def test_page_link_to_a_document_not_captured_takes_no_stance(tmp_path: Path) -> None:
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html(), headers=[HTML, PAGE_LINK])
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is None
    (evidence,) = rsl_evidence(result)
    assert evidence.stances == ()
    assert "not captured" in evidence.note
    assert result.to_dict()["rsl_documents"][0]["state"] == "not-captured"


def test_page_link_not_captured_does_not_hide_the_site_document_that_was_read(
    tmp_path: Path,
) -> None:
    """Only a page-level document that was read supersedes robots.txt License: (no stance,
    no precedence)."""
    warc = with_robots()
    warc.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    warc.response(SITE + "/a.html", html(), headers=[HTML, PAGE_LINK])
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is True
    assert result.verdict.decided_by is not None
    assert result.verdict.decided_by.source == "robots.txt"


def test_inline_script_is_read_from_the_record_itself(tmp_path: Path) -> None:
    script = (
        '<script type="application/rsl+xml">'
        f'<rsl {NS}><content url=""><license><prohibits type="usage">ai-all</prohibits>'
        "</license></content></rsl></script>"
    )
    warc = WarcBuilder()
    warc.response(SITE + "/a.html", html(script))
    result = decide(tmp_path, warc)[SITE + "/a.html"]
    assert result.reserved is True
    assert result.verdict.decided_by is not None
    assert result.verdict.decided_by.source == "script"


def test_document_shared_by_many_pages_is_read_from_the_archive_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optout_middleware.warc import documents  # noqa: PLC0415

    reads: list[int] = []
    original = documents.ArchiveDocuments._read_at

    def counted(self: Any, path: str, offset: int, key: str) -> None:
        reads.append(offset)
        original(self, path, offset, key)

    monkeypatch.setattr(documents.ArchiveDocuments, "_read_at", counted)
    warc = WarcBuilder()
    warc.response(SITE + "/page-licence.xml", PROHIBITS_TRAIN, headers=[XML])
    for name in "abcde":
        warc.response(f"{SITE}/{name}.html", html(), headers=[HTML, PAGE_LINK])
    found = decide(tmp_path, warc)
    assert all(r.reserved for r in found.values() if r.url.endswith(".html"))
    assert len(reads) == 1


# -- the command line ---------------------------------------------------------------------------


def test_cli_reads_license_documents_from_the_archives_and_across_jobs(tmp_path: Path) -> None:
    """-j 2: the document is in the other file; forked workers read it from there."""
    first = with_robots()
    first.response(SITE + "/a.html", html())
    first.response(SITE + "/c.html", html(), headers=[HTML, PAGE_LINK])
    second = WarcBuilder()
    second.response(SITE + "/license.xml", PROHIBITS_TRAIN, headers=[XML])
    second.response(SITE + "/page-licence.xml", PERMITS_ALL, headers=[XML])
    paths = [str(first.write(tmp_path / "1.warc.gz")), str(second.write(tmp_path / "2.warc.gz"))]
    for jobs in ("1", "2"):
        proc = run(*paths, "-j", jobs)
        assert proc.returncode == 0, proc.stderr
        found = {d["url"]: d for d in lines(proc.stdout)}
        assert found[SITE + "/a.html"]["reserved"] is True
        assert found[SITE + "/a.html"]["decided_by"]["family"] == "rsl"
        assert found[SITE + "/a.html"]["site_files"]["rsl"][0]["state"] == "parsed"
        assert found[SITE + "/c.html"]["reserved"] is False  # its own Link supersedes
        assert found[SITE + "/c.html"]["rsl_documents"][0]["state"] == "parsed"


def test_cli_summary_counts_rsl_documents_not_captured(tmp_path: Path) -> None:
    warc = with_robots()
    for name in "ab":
        warc.response(f"{SITE}/{name}.html", html(), headers=[HTML, PAGE_LINK])
    proc = run(str(warc.write(tmp_path / "crawl.warc.gz")))
    assert proc.returncode == 0, proc.stderr
    assert [d["reserved"] for d in lines(proc.stdout)] == [None, None, None]
    assert (
        "RSL           2 licence document(s) not captured, named for 3 response(s)"
        in proc.stderr.decode()
    )


@pytest.fixture
def live() -> Iterator[Site]:
    with Site({}, host="127.0.0.8") as site:
        site.pages.update(
            {
                "/robots.txt": Reply(
                    f"User-agent: *\nAllow: /\nLicense: {site.origin}/license.xml\n"
                ),
                "/license.xml": Reply(PROHIBITS_TRAIN, 200, (XML,)),
                "/page.xml": Reply(PERMITS_ALL, 200, (XML,)),
            }
        )
        yield site


def test_live_site_files_fetch_the_rsl_documents_once_per_url(tmp_path: Path, live: Site) -> None:
    origin = live.origin
    link = ("Link", f'<{origin}/page.xml>; rel="license"; type="application/rsl+xml"')
    warc = WarcBuilder()
    warc.response(origin + "/robots.txt", "User-agent: *\nAllow: /\n")
    for name in "abc":
        warc.response(f"{origin}/{name}.html", html())
        warc.response(f"{origin}/linked-{name}.html", html(), headers=[HTML, link])
    path = warc.write(tmp_path / "old.warc.gz")
    archived = {d["url"]: d["reserved"] for d in lines(run(str(path)).stdout)}
    assert archived[origin + "/a.html"] is None
    proc = run(str(path), "--live-site-files")
    assert proc.returncode == 0, proc.stderr
    found = {d["url"]: d["reserved"] for d in lines(proc.stdout)}
    assert [found[f"{origin}/{n}.html"] for n in "abc"] == [True, True, True]
    assert [found[f"{origin}/linked-{n}.html"] for n in "abc"] == [False, False, False]
    assert live.count("/license.xml") == 1
    assert live.count("/page.xml") == 1
