"""The example project: its demo site served alone, and ``scrapy crawl optout_demo`` end to end.

The crawls run the command a user runs (``scrapy crawl optout_demo`` with ``cwd=example_spider``)
as a subprocess, once per action, and check its printed summary; the demo site's own page
table (``Page.expect``) says what each page should become.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "example_spider"
sys.path.insert(0, str(PROJECT))  # the example is a project folder, not an installed package

from example_spider.demosite import ORIGINS, DemoSite
from example_spider.loopback import Expect, Page
from example_spider.summary import CrawlFacts, render_summary

from optout_middleware.verdict import Evidence, Purpose, Verdict, disallows

if TYPE_CHECKING:
    from collections.abc import Iterator

CRAWL_TIMEOUT_SECS = 180
KEEP, KEEP_RESERVED, BEFORE = Expect.KEEP, Expect.KEEP_RESERVED, Expect.DROP_BEFORE
LISTED = [(o.name, p) for o in ORIGINS for p in o.pages if p.expect]


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite() as demo:
        yield demo


# --- the demo site alone -------------------------------------------------------------------


def test_demo_site_gives_each_origin_its_own_host_and_port(site: DemoSite) -> None:
    """Each origin is its own scheme-host-port; on Linux each has its own 127.0.0.x host,
    so Scrapy gives it its own download slot."""
    assert len(set(site.bases.values())) == len(ORIGINS)
    hosts = {base.rsplit(":", 1)[0] for base in site.bases.values()}
    if sys.platform.startswith("linux"):
        assert len(hosts) == len(ORIGINS)


@pytest.mark.parametrize(("origin", "page"), LISTED, ids=[f"{o}{p.path}" for o, p in LISTED])
def test_demo_site_serves_every_page(site: DemoSite, origin: str, page: Page) -> None:
    """Every page of the table answers 200 with its declared content type."""
    status, headers, body = fetch(site.url(origin, page.path))
    assert status == 200
    assert headers["Content-Type"] == page.content_type
    assert body


@pytest.mark.parametrize(
    ("origin", "path", "status"),
    [
        ("home", "/robots.txt", 404),
        ("robots-503", "/robots.txt", 503),
        ("tdm-headers", "/.well-known/tdmrep.json", 500),
        ("page-signals", "/ai.txt", 404),
        ("gptbot-blocked", "/robots.txt", 200),
        ("tdmrep", "/.well-known/tdmrep.json", 200),
        ("spawning", "/ai.txt", 200),
    ],
)
def test_demo_site_serves_site_files_with_their_status(
    site: DemoSite, origin: str, path: str, status: int
) -> None:
    """Site files answer as the table says, 4xx and 5xx included (RFC 9309 2.3.1 cases)."""
    assert fetch(site.url(origin, path))[0] == status


def test_demo_site_index_links_every_listed_page(site: DemoSite) -> None:
    """The start page links every titled page of every origin, so one start URL finds all."""
    _, _, body = fetch(site.start_url)
    hrefs = set(re.findall(r'href="([^"]+)"', body.decode()))
    for origin in ORIGINS:
        for page in origin.pages:
            if page.title:
                assert site.url(origin.name, page.path) in hrefs


def test_demo_site_fills_in_origin_urls(site: DemoSite) -> None:
    """``${origin}`` templates become absolute URLs: tdmrep.json's policy is on its own origin."""
    _, _, body = fetch(site.url("tdmrep", "/.well-known/tdmrep.json"))
    rules = json.loads(body)
    assert rules[1]["tdm-policy"] == site.url("tdmrep", "/tdm/policy.json")
    _, headers, _ = fetch(site.url("tdm-headers", "/licensed-report.html"))
    assert headers["tdm-policy"] == site.url("tdmrep", "/tdm/policy.json")


def test_demo_site_sends_response_signals(site: DemoSite) -> None:
    """Header signals arrive as written, e.g. the UA-scoped X-Robots-Tag."""
    _, headers, _ = fetch(site.url("page-signals", "/x-robots-otherbot.html"))
    assert headers["X-Robots-Tag"] == "otherbot: noai"
    _, headers, body = fetch(site.url("page-signals", "/images/cat.png"))
    assert headers["X-Robots-Tag"] == "noimageai"
    assert body.startswith(b"\x89PNG\r\n\x1a\n")


def test_demo_site_logs_requests(site: DemoSite) -> None:
    """``requested`` records (origin, path) for every request, for tests and benchmarks."""
    fetch(site.url("spawning", "/ai.txt?probe=1"))
    assert ("spawning", "/ai.txt?probe=1") in site.requested


def test_demo_site_stop_frees_every_port() -> None:
    """Leaving the context closes every listening socket."""
    with DemoSite() as demo:
        bases = list(demo.bases.values())
    for base in bases:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, int(port)), timeout=2).close()


# --- the project settings ------------------------------------------------------------------


def test_project_settings_keep_tldextract_offline(tmp_path: Path) -> None:
    """Scrapy's cookie middleware uses tldextract, which would download the Public Suffix List
    (tracebacks when offline); the project's settings make it use its bundled snapshot."""
    code = (
        "from scrapy.utils.project import get_project_settings\n"
        "get_project_settings()\n"
        "import tldextract\n"
        "extract = tldextract.TLDExtract(include_psl_private_domains=True)\n"
        "print(extract.suffix_list_urls, extract('www.example.co.uk').suffix)\n"
    )
    env = project_env()
    env["TLDEXTRACT_CACHE"] = str(tmp_path)  # no list cached by an earlier online run
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # any download fails loudly
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["()", "co.uk"]
    assert "Traceback" not in run.stderr


# --- the summary on its own --------------------------------------------------------------


def test_summary_groups_drops_by_deciding_signal(tmp_path: Path) -> None:
    """Dropped URLs are listed under the evidence that decided them, split by stage."""
    ev = Evidence(
        "robotstxt",
        "robots.txt",
        "Disallow: /",
        disallows(Purpose.TRAIN_AI),
        location="line 2",
        agent="GPTBot",
    )
    reserved = Verdict(Purpose.TRAIN_AI, True, ev, (ev,)).to_dict()
    audit = tmp_path / "audit.jsonl"
    lines = [
        {"url": "http://a/x", "stage": "request", "action": "dropped", "verdict": reserved},
        {"url": "http://a/y", "stage": "request", "action": "dropped", "verdict": reserved},
        {"url": "http://b/z", "stage": "response", "action": "dropped", "verdict": reserved},
    ]
    audit.write_text("".join(json.dumps(r) + "\n" for r in lines))
    facts = CrawlFacts("train-ai", "drop", str(audit), {"optout/request_dropped": 2}, ())
    out = render_summary(facts)
    before = section(out, "Dropped before download")
    assert before[0].strip().startswith("robotstxt: robots.txt 'Disallow: /'  (for GPTBot")
    assert [line.strip() for line in before[1:]] == ["http://a/x", "http://a/y"]
    assert [line.strip() for line in section(out, "Dropped after download")[1:]] == ["http://b/z"]


def test_summary_escapes_control_characters(tmp_path: Path) -> None:
    """Text from a crawled site cannot reach the terminal as control sequences."""
    ev = Evidence("aipref", "header", "train-ai=n\x1b[2J", disallows(Purpose.TRAIN_AI))
    record = {
        "url": "http://a/\x1b]0;t\x07",
        "stage": "response",
        "action": "dropped",
        "verdict": Verdict(Purpose.TRAIN_AI, True, ev, (ev,)).to_dict(),
    }
    audit = tmp_path / "audit.jsonl"
    audit.write_text(json.dumps(record) + "\n")
    out = render_summary(CrawlFacts("train-ai", "drop", str(audit), {}, ()))
    assert "\x1b" not in out
    assert "\x07" not in out


def test_summary_reads_only_this_crawls_records(tmp_path: Path) -> None:
    """The audit file is appended to; the summary starts at the offset taken at startup."""
    ev = Evidence("aipref", "header", "train-ai=n", disallows(Purpose.TRAIN_AI))
    record = {
        "url": "http://old/",
        "stage": "response",
        "action": "dropped",
        "verdict": Verdict(Purpose.TRAIN_AI, True, ev, (ev,)).to_dict(),
    }
    audit = tmp_path / "audit.jsonl"
    audit.write_text(json.dumps(record) + "\n")
    facts = CrawlFacts("train-ai", "drop", str(audit), {}, (), audit_offset=audit.stat().st_size)
    assert "http://old/" not in render_summary(facts)


# --- the example crawl, end to end ---------------------------------------------------------


def section(output: str, title: str) -> list[str]:
    """The lines under the summary heading ``title: N`` up to the next blank line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{title}:"))
    body = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        body.append(line)
    return body


def listed(lines: list[str]) -> set[tuple[str, str]]:
    """``(origin, path)`` pairs listed in a summary section."""
    return {tuple(line.split()[:2]) for line in lines if line.startswith("      ")}  # type: ignore[misc]


def project_env() -> dict[str, str]:
    """The environment of a user's shell, with this checkout's library first on the path."""
    env = dict(os.environ)
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)  # the project's settings must set it
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def reason_for(lines: list[str], origin: str, path: str) -> str:
    """The reason heading a summary section lists ``origin path`` under."""
    index = next(i for i, line in enumerate(lines) if line.split()[:2] == [origin, path])
    return next(line for line in reversed(lines[:index]) if not line.startswith("      ")).strip()


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl optout_demo ARGS`` in example_spider/, using this checkout's library."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "optout_demo", *args],
        cwd=PROJECT,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_SECS,
        check=False,
    )


@pytest.fixture(scope="module")
def drop_run() -> subprocess.CompletedProcess[str]:
    return crawl()


@pytest.fixture(scope="module")
def tag_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("tag")
    items = out / "items.jsonl"
    feeds = json.dumps({str(items): {"format": "jsonlines"}})
    run = crawl(
        "-s",
        "OPTOUT_ACTION=tag",
        "-s",
        f"OPTOUT_AUDIT_FILE={out / 'audit.jsonl'}",
        "-s",
        f"FEEDS={feeds}",
    )
    records = (
        [json.loads(line) for line in items.read_text().splitlines()] if items.exists() else []
    )
    return run, records


def test_example_crawl_exits_cleanly(drop_run: subprocess.CompletedProcess[str]) -> None:
    """The quick-start command succeeds offline with no traceback and no error log line."""
    assert drop_run.returncode == 0, drop_run.stderr
    assert "Traceback" not in drop_run.stdout + drop_run.stderr
    assert "ERROR" not in drop_run.stderr


def test_example_crawl_goes_as_the_demo_table_says(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """Every demo page is kept or dropped, at the stage its ``Page.expect`` names."""
    assert f"Demo check: all {len(LISTED)} pages went as the demo index says." in drop_run.stdout


def test_demo_check_reports_pages_that_went_otherwise(site: DemoSite, tmp_path: Path) -> None:
    """The demo check can fail: a crawl that kept every demo page (no audit record, nothing
    dropped) is reported page by page, so the line the crawl test looks for is earned."""
    pages = site.expectations()
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    kept = tuple(url for url, _ in pages)
    facts = CrawlFacts("train-ai", "drop", str(audit), {}, kept, demo=site)
    out = render_summary(facts)
    should_drop = [
        url for url, page in pages if page.expect in (Expect.DROP_BEFORE, Expect.DROP_AFTER)
    ]
    assert should_drop
    assert f"Demo check: {len(should_drop)} of {len(pages)} pages went otherwise:" in out
    assert "went as the demo index says" not in out


def test_example_crawl_keeps_open_and_licence_only_pages(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """Pages without signals are kept, and so is a page whose only signal is a CC licence
    (specs.md 9.1: a licence is not an opt-out); the summary shows the licence was seen."""
    kept = section(drop_run.stdout, "Kept")
    assert {("home", "/"), ("home", "/licence.html"), ("page-signals", "/")} <= listed(kept)
    assert reason_for(kept, "home", "/") == "no signal"
    assert reason_for(kept, "home", "/licence.html").startswith("no stance; seen licence: link")


def test_example_crawl_drops_noai_page_after_download(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """X-Robots-Tag: noai is only seen on the response: dropped after download, and why."""
    after = section(drop_run.stdout, "Dropped after download")
    assert ("page-signals", "/x-robots-noai.html") in listed(after)
    reason = reason_for(after, "page-signals", "/x-robots-noai.html")
    assert reason == "robots-meta: header 'noai'  (X-Robots-Tag)"


def test_example_crawl_keeps_page_noai_scoped_to_another_bot(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """X-Robots-Tag: otherbot: noai addresses another crawler, so the page is kept."""
    assert ("page-signals", "/x-robots-otherbot.html") in listed(section(drop_run.stdout, "Kept"))


def test_example_crawl_blocks_origin_whose_robots_txt_is_503(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """robots.txt 5xx means complete disallow (RFC 9309 2.3.1.4): nothing is downloaded."""
    before = section(drop_run.stdout, "Dropped before download")
    assert {("robots-503", "/"), ("robots-503", "/page.html")} <= listed(before)
    assert "unreachable (status 503)" in reason_for(before, "robots-503", "/")


def test_example_crawl_drops_before_download_by_site_files(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """Site-file reservations (robots.txt group, Content-Usage, ai.txt) act before download."""
    before = listed(section(drop_run.stdout, "Dropped before download"))
    assert {
        ("gptbot-blocked", "/article.html"),
        ("content-usage", "/about.html"),
        ("spawning", "/photos/sunset.jpg"),
    } <= before


def test_example_crawl_keeps_page_whose_meta_lifts_tdmrep_json(
    drop_run: subprocess.CompletedProcess[str],
) -> None:
    """Drop mode keeps TDMRep precedence (1.4): the open letter's meta 0 supersedes the file's
    1, so it is fetched and kept; a page with no page-level value is dropped after download."""
    assert ("tdmrep", "/articles/open-letter.html") in listed(section(drop_run.stdout, "Kept"))
    after = section(drop_run.stdout, "Dropped after download")
    assert ("tdmrep", "/articles/") in listed(after)
    assert reason_for(after, "tdmrep", "/articles/") == "tdmrep: tdmrep.json '1'"
    assert "optout/request_deferred = 6, optout/deferred_lifted = 1" in drop_run.stdout


def test_example_crawl_tag_mode_keeps_and_tags_every_page(
    tag_run: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]],
) -> None:
    """OPTOUT_ACTION=tag: no opt-out drops anything, and every item carries its verdict; only
    robots.txt's own crawl ban (ROBOTSTXT_OBEY, here the 503 origin) still stops requests."""
    run, items = tag_run
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert section(run.stdout, "Dropped after download") == []
    forbidden = listed(section(run.stdout, "Dropped before download"))
    assert forbidden == {(o, p.path) for o, p in LISTED if p.expect_when_tagged == BEFORE}
    assert {(item["origin"], urlsplit(item["url"]).path) for item in items} == {
        (o, p.path) for o, p in LISTED if p.expect_when_tagged in {KEEP, KEEP_RESERVED}
    }
    assert all(isinstance(item.get("optout"), dict) for item in items)


def test_example_crawl_tag_mode_tags_reserved_pages(
    tag_run: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]],
) -> None:
    """The items tagged reserved are the pages drop mode drops; the open letter, whose meta 0
    supersedes the file (specs.md 1.4), is kept unreserved in both modes."""
    run, items = tag_run
    reserved = {
        (item["origin"], urlsplit(item["url"]).path)
        for item in items
        if item["optout"]["reserved"] is True
    }
    assert reserved == {(o, p.path) for o, p in LISTED if p.expect_when_tagged == KEEP_RESERVED}
    assert ("tdmrep", "/articles/open-letter.html") not in reserved
    assert f"Demo check: all {len(LISTED)} pages went as the demo index says." in run.stdout


# --- optout check agrees with both crawl modes ------------------------------------------------

_CLI_DROP = {
    "kept": KEEP,
    "dropped before download": BEFORE,
    "refused by robots.txt": BEFORE,
    "dropped after download": Expect.DROP_AFTER,
}
_CLI_TAG = {"kept": KEEP, "kept, tagged reserved": KEEP_RESERVED, "refused by robots.txt": BEFORE}
UA = "optout-demo/0.1 (+https://github.com/optout-middleware/optout-middleware)"  # the example's


def check_outcomes(url: str) -> dict[str, str]:
    """``optout check --json URL`` with the example's user agent: the crawl outcomes."""
    env = {k: v for k, v in project_env().items() if "proxy" not in k.lower()} | {"NO_PROXY": "*"}
    proc = subprocess.run(
        [sys.executable, "-m", "optout_middleware", "check", url, "--json", "--user-agent", UA],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    outcomes: dict[str, str] = json.loads(proc.stdout)["crawl"]
    return outcomes


def test_optout_check_agrees_with_both_crawl_modes_on_every_demo_page(
    site: DemoSite,
    drop_run: subprocess.CompletedProcess[str],
    tag_run: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]],
) -> None:
    """For every page of the demo site, what ``optout check`` says a crawl does (drop mode and
    tag mode, ROBOTSTXT_OBEY as in the example) is what the two real crawls did."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    crawled_drop: dict[tuple[str, str], str] = {}
    for title, outcome in (
        ("Kept", KEEP),
        ("Dropped before download", BEFORE),
        ("Dropped after download", Expect.DROP_AFTER),
    ):
        crawled_drop.update(dict.fromkeys(listed(section(drop_run.stdout, title)), outcome))
    tag_out, items = tag_run
    crawled_tag: dict[tuple[str, str], str] = dict.fromkeys(
        listed(section(tag_out.stdout, "Dropped before download")), BEFORE
    )
    for item in items:
        key = (item["origin"], urlsplit(item["url"]).path)
        crawled_tag[key] = KEEP_RESERVED if item["optout"]["reserved"] else KEEP
    urls = [site.url(origin, page.path) for origin, page in LISTED]
    with ThreadPoolExecutor(max_workers=4) as pool:
        checked = dict(zip(LISTED, pool.map(check_outcomes, urls), strict=True))
    disagree = []
    for (origin, page), outcomes in checked.items():
        key = (origin, page.path)
        cli = (_CLI_DROP[outcomes["drop"]], _CLI_TAG[outcomes["tag"]])
        if cli != (crawled_drop.get(key), crawled_tag.get(key)):
            disagree.append((key, outcomes, crawled_drop.get(key), crawled_tag.get(key)))
    assert disagree == []
    assert len(checked) == len(LISTED)
