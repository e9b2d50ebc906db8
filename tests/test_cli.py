"""``optout check``, run as a subprocess against loopback servers, one behaviour per test.

Every signal family is exercised end to end: the command fetches the site files and the page
with requests, reads them through sitepolicy and decides through the Evaluator, so these tests
also prove that the CLI wires the real parsers, not a second implementation.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from optout_middleware.inputs import FileState
from optout_middleware.verdict import Purpose, Stance, Verdict

from .cli_server import Reply
from .conftest import needs_loopback_hosts

HTML = ("Content-Type", "text/html; charset=utf-8")
SITE_FILES = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json")
GPTBOT_ROBOTS = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
ROOT = Path(__file__).resolve().parents[1]
# No proxy may stand between the command and the loopback servers; the package under test is
# imported from this checkout even when the console script runs from the venv's bin directory.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {
    "NO_PROXY": "*",
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}


def page(head: str = "", *headers: tuple[str, str], status: int = 200) -> Reply:
    """An HTML page with ``head`` inside its <head>."""
    body = f"<!doctype html><html><head><title>t</title>{head}</head><body>hi</body></html>"
    return Reply(body, status, (HTML, *headers))


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optout_middleware", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
        check=False,
    )


def check_json(url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run ``check --json``; return the exit status and the validated object."""
    proc = run("check", url, "--json", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""  # no warning, no traceback
    data = json.loads(proc.stdout)
    validate(data)
    assert proc.returncode == (1 if data["reserved"] else 0)
    return proc.returncode, data


_NULLABLE_STR = (str, type(None))
EVIDENCE_TYPES: dict[str, Any] = {
    "family": str,
    "source": str,
    "value": str,
    "stances": dict,
    "location": str,
    "agent": _NULLABLE_STR,
    "path": _NULLABLE_STR,
    "url": _NULLABLE_STR,
    "precedence": int,
    "note": str,
    "overridable": bool,
}
SITE_FILE_TYPES: dict[str, Any] = {
    "url": str,
    "state": str,
    "status": (int, type(None)),
    "error": _NULLABLE_STR,
    "final_url": _NULLABLE_STR,
    "redirects": int,
    "truncated": bool,
    "sha256": _NULLABLE_STR,
}


def validate(data: dict[str, Any]) -> None:
    """The documented JSON shape, checked key by key and type by type."""
    assert {"url", "purpose", "reserved", "decided_by", "evidence", "site_files"} <= set(data)
    assert isinstance(data["url"], str)
    assert data["purpose"] in {p.value for p in Purpose}
    assert data["reserved"] in (True, False, None)
    for item in data["evidence"]:
        assert set(item) == set(EVIDENCE_TYPES)
        for key, kind in EVIDENCE_TYPES.items():
            assert isinstance(item[key], kind), (key, item)
        assert set(item["stances"]) <= {p.value for p in Purpose}
        assert set(item["stances"].values()) <= {s.value for s in Stance}
    if data["reserved"] is None:
        assert data["decided_by"] is None
    else:
        assert data["decided_by"] in data["evidence"]
    obey = data["robotstxt_obey"]
    assert set(obey) == {"agent", "url", "allowed", "reason"}
    assert obey["allowed"] is (obey["reason"] is None)
    assert set(data["crawl"]) == {"drop", "tag"}
    files = data["site_files"]
    assert isinstance(files["origin"], str)
    for kind in ("robots", "aitxt", "tdmrep"):
        assert set(files[kind]) == set(SITE_FILE_TYPES)
        for key, kind_type in SITE_FILE_TYPES.items():
            assert isinstance(files[kind][key], kind_type), (kind, key)
        assert files[kind]["state"] in {s.value for s in FileState}


def decided(data: dict[str, Any]) -> dict[str, Any]:
    assert data["decided_by"] is not None, data["evidence"]
    result: dict[str, Any] = data["decided_by"]
    return result


# --- one test per signal family --------------------------------------------------------------


def test_robots_group_for_counted_ai_agent_reserves(serve: Any) -> None:
    """specs.md 6.1/6.3: a Disallow in a group naming a training crawler (GPTBot) reserves."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("robotstxt", "robots.txt")
    assert decided(data)["agent"] == "GPTBot"


def test_robots_group_for_uncounted_agent_says_nothing(serve: Any) -> None:
    """--agents: only the listed tokens count, so a GPTBot group means nothing without GPTBot."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page()})
    status, data = check_json(site.url("/p"), "--agents", "ClaudeBot,CCBot")
    assert status == 0
    assert data["reserved"] is None


def test_content_usage_in_robots_reserves(serve: Any) -> None:
    """specs.md 2.5(b): a robots.txt Content-Usage rule train-ai=n reserves a train-ai crawl."""
    site = serve(
        {"/robots.txt": "User-Agent: *\nAllow: /\nContent-Usage: train-ai=n\n", "/p": page()}
    )
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("aipref", "robots.txt")


def test_content_usage_header_reserves(serve: Any) -> None:
    """specs.md 2.5(a): the Content-Usage response header train-ai=n reserves."""
    site = serve({"/p": page("", ("Content-Usage", "train-ai=n, search=y"))})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("aipref", "header")


def test_content_signal_in_robots_reserves(serve: Any) -> None:
    """specs.md 3.6 example 1: Content-Signal ai-train=no in robots.txt reserves training."""
    robots = "User-Agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n"
    site = serve({"/robots.txt": robots, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("content-signal", "robots.txt")


def test_content_signal_purpose_search_is_allowed(serve: Any) -> None:
    """--purpose: the same Content-Signal allows a search crawl (search=yes)."""
    robots = "User-Agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n"
    site = serve({"/robots.txt": robots, "/p": page()})
    status, data = check_json(site.url("/p"), "--purpose", "search")
    assert (status, data["purpose"], data["reserved"]) == (0, "search", False)


def test_disallow_ai_training_reserves(serve: Any) -> None:
    """specs.md 7.1: DisallowAITraining: / in the selected group reserves (train-genai)."""
    robots = "User-agent: *\nAllow: /\nDisallowAITraining: /\n"
    site = serve({"/robots.txt": robots, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["source"], decided(data)["value"]) == (
        "robots.txt",
        "DisallowAITraining: /",
    )


def test_tdmrep_json_reserves(serve: Any) -> None:
    """specs.md 1.3A: a tdmrep.json rule with tdm-reservation 1 covering the path reserves."""
    site = serve(
        {"/.well-known/tdmrep.json": '[{"location": "/", "tdm-reservation": 1}]', "/p": page()}
    )
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("tdmrep", "tdmrep.json")


def test_tdmrep_header_reserves(serve: Any) -> None:
    """specs.md 1.3B: the tdm-reservation: 1 response header reserves."""
    site = serve({"/p": page("", ("tdm-reservation", "1"))})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("tdmrep", "header")


def test_tdmrep_meta_overrides_site_file(serve: Any) -> None:
    """specs.md 1.4/1.6 example 3: file says 1, the page's meta says 0 -> not reserved."""
    site = serve(
        {
            "/.well-known/tdmrep.json": '[{"location": "/", "tdm-reservation": 1}]',
            "/p": page('<meta name="tdm-reservation" content="0">'),
        }
    )
    status, data = check_json(site.url("/p"))
    assert (status, data["reserved"]) == (0, False)
    assert (decided(data)["family"], decided(data)["source"]) == ("tdmrep", "meta")
    assert any(e["source"] == "tdmrep.json" for e in data["evidence"])


def test_x_robots_tag_noai_reserves(serve: Any) -> None:
    """specs.md 5.5 example 2: X-Robots-Tag: noai reserves."""
    site = serve({"/p": page("", ("X-Robots-Tag", "noai"))})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("robots-meta", "header")


def test_x_robots_tag_lines_stay_separate(serve: Any) -> None:
    """specs.md 5.5 example 3: header lines are read one by one; merging them with a comma
    would scope the second line's noai to googlebot."""
    site = serve({"/p": page("", ("X-Robots-Tag", "googlebot: noindex"), ("X-Robots-Tag", "noai"))})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert decided(data)["value"].strip() == "noai"


def test_meta_robots_noai_reserves(serve: Any) -> None:
    """specs.md 5.5 example 1: <meta name="robots" content="noai, noimageai"> reserves."""
    site = serve({"/p": page('<meta name="robots" content="noai, noimageai">')})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("robots-meta", "meta")


def test_ai_txt_disallow_reserves(serve: Any) -> None:
    """specs.md 4.6 example 1: a Spawning ai.txt disallowing everything reserves training."""
    aitxt = "# Spawning AI\nUser-agent: *\nDisallow: *\nDisallow: /\n"
    site = serve({"/ai.txt": aitxt, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert (decided(data)["family"], decided(data)["source"]) == ("aitxt", "ai.txt")


def test_licence_link_is_shown_but_never_reserves(serve: Any) -> None:
    """specs.md 9.1: a CC licence (even NC) is not an opt-out; it is listed as a licence."""
    cc = "https://creativecommons.org/licenses/by-nc/4.0/"
    site = serve({"/p": page(f'<link rel="license" href="{cc}">')})
    status, data = check_json(site.url("/p"))
    assert (status, data["reserved"]) == (0, None)
    licences = [e for e in data["evidence"] if e["family"] == "licence"]
    assert [cc in e["value"] for e in licences] == [True]
    assert licences[0]["stances"] == {}
    text = run("check", site.url("/p")).stdout
    assert cc in text.split("Licences", 1)[1].split("Site files", 1)[0]


def test_conflicting_signals_most_restrictive_wins(serve: Any) -> None:
    """specs.md 0: across families any disallow wins; the allow stays in the evidence."""
    site = serve({"/p": page("", ("Content-Usage", "train-ai=y"), ("X-Robots-Tag", "noai"))})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert decided(data)["family"] == "robots-meta"
    aipref = [e for e in data["evidence"] if e["family"] == "aipref"]
    assert any("allowed" in e["stances"].values() for e in aipref)


# --- site-file outcomes ------------------------------------------------------------------------


def test_robots_5xx_reserves_fail_closed(serve: Any) -> None:
    """RFC 9309 2.3.1.4: robots.txt answering 5xx means complete disallow."""
    site = serve({"/robots.txt": 503, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert data["site_files"]["robots"]["state"] == "unreachable"
    assert data["site_files"]["robots"]["status"] == 503
    assert decided(data)["family"] == "robotstxt"


def test_robots_404_allows_everything(serve: Any) -> None:
    """RFC 9309 2.3.1.3: robots.txt answering 4xx is absent: no rules, nothing reserved."""
    site = serve({"/p": page()})
    status, data = check_json(site.url("/p"))
    assert (status, data["reserved"]) == (0, None)
    assert data["site_files"]["robots"]["state"] == "absent"


def test_binary_robots_txt_is_read_without_error(serve: Any) -> None:
    """RFC 9309 2.3.1 / specs.md 6.5: garbage is parsed line by line, never fatal."""
    garbage = bytes(range(256)) * 8 + b"\x00\xff\xfe" * 100
    site = serve({"/robots.txt": garbage, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 0
    assert data["site_files"]["robots"]["state"] == "parsed"


def test_non_json_tdmrep_is_absent_with_error(serve: Any) -> None:
    """specs.md 1.7: a tdmrep.json that is not JSON gives no policy; the error is shown."""
    site = serve({"/.well-known/tdmrep.json": "<html>oops</html>", "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 0
    tdmrep = data["site_files"]["tdmrep"]
    assert (tdmrep["state"], tdmrep["status"]) == ("absent", 200)
    assert tdmrep["error"]


def test_site_file_redirect_loop_stops_after_five_hops(serve: Any) -> None:
    """RFC 9309 2.3.1.2: follow five redirects, then give up (absent, as Google does)."""
    site = serve(
        {
            "/robots.txt": Reply(status=301, headers=[("Location", "/loop.txt")]),
            "/loop.txt": Reply(status=302, headers=[("Location", "/robots.txt")]),
            "/p": page(),
        }
    )
    status, data = check_json(site.url("/p"))
    robots = data["site_files"]["robots"]
    assert (status, robots["state"], robots["redirects"]) == (0, "absent", 5)
    assert "redirect" in robots["error"]
    hops = [p for p in site.requested if p in ("/robots.txt", "/loop.txt")]
    assert len(hops) == 6  # the first request and five redirects


@needs_loopback_hosts
def test_site_file_redirect_across_origins_applies_to_first_origin(serve: Any) -> None:
    """RFC 9309 2.3.1.2: redirects may leave the authority; the rules apply to the first one."""
    other = serve({"/elsewhere.txt": GPTBOT_ROBOTS}, host="127.0.0.2")
    site = serve(
        {
            "/robots.txt": Reply(status=301, headers=[("Location", other.url("/elsewhere.txt"))]),
            "/p": page(),
        }
    )
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert data["site_files"]["origin"] == site.origin
    assert data["site_files"]["robots"]["final_url"] == other.url("/elsewhere.txt")


def test_slow_robots_txt_is_cut_at_the_deadline(serve: Any) -> None:
    """A body dripping one byte at a time ends at --timeout; robots.txt is then unreachable."""
    site = serve({"/robots.txt": Reply(GPTBOT_ROBOTS * 10, drip=0.2), "/p": page()})
    start = time.monotonic()
    status, data = check_json(site.url("/p"), "--timeout", "1")
    assert time.monotonic() - start < 30  # the whole drip takes about 100 s
    assert status == 1
    assert data["site_files"]["robots"]["state"] == "unreachable"
    assert data["site_files"]["robots"]["error"] == "timeout"


def _padded_robots() -> str:
    """Allow-all within the first 500 KiB, a GPTBot group only after it."""
    padding = "# padding\n" * (510 * 1024 // 10)
    return "User-agent: *\nAllow: /\n" + padding + GPTBOT_ROBOTS


def test_robots_txt_read_up_to_size_cap(serve: Any) -> None:
    """RFC 9309 2.5: at least (and here exactly) 500 KiB are parsed; a rule after that is not."""
    site = serve({"/robots.txt": _padded_robots(), "/p": page()})
    status, data = check_json(site.url("/p"))
    assert (status, data["site_files"]["robots"]["truncated"]) == (0, True)


def test_endless_robots_txt_stops_at_size_cap(serve: Any) -> None:
    """The fetch stops reading at the cap: an endless body is parsed, not timed out."""
    site = serve({"/robots.txt": Reply("# more\n" * 1000, endless=True), "/p": page()})
    status, data = check_json(site.url("/p"), "--timeout", "5")
    robots = data["site_files"]["robots"]
    assert (status, robots["state"], robots["truncated"]) == (0, "parsed", True)


def test_gzip_robots_txt_cap_counts_decoded_bytes(serve: Any) -> None:
    """Content-Encoding: the size cap applies to the decoded body, not the compressed one."""
    site = serve({"/robots.txt": Reply(_padded_robots(), gzip=True), "/p": page()})
    assert len(gzip.compress(_padded_robots().encode())) < 500 * 1024
    status, data = check_json(site.url("/p"))
    assert (status, data["site_files"]["robots"]["truncated"]) == (0, True)


def test_site_files_fetched_once_each_before_the_page(serve: Any) -> None:
    """The middleware's order: the three site files, then the page; each exactly once."""
    site = serve({"/p": page()})
    check_json(site.url("/p"))
    assert sorted(site.requested[:3]) == sorted(SITE_FILES)
    assert site.requested[3:] == ["/p"]


# --- the page ----------------------------------------------------------------------------------


def test_no_page_uses_site_files_only(serve: Any) -> None:
    """--no-page: the page is never requested; the verdict comes from site files."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page("", ("X-Robots-Tag", "noai"))})
    status, data = check_json(site.url("/p"), "--no-page")
    assert (status, data["page"]) == (1, None)
    assert "/p" not in site.requested
    assert all(e["source"] != "header" for e in data["evidence"])


def test_page_error_status_is_still_evaluated(serve: Any) -> None:
    """A 404 page is a response like any other: its headers count, it is not a network error."""
    site = serve({"/p": page("", ("X-Robots-Tag", "noai"), status=404)})
    status, data = check_json(site.url("/p"))
    assert (status, data["page"]["status"]) == (1, 404)


def test_endless_page_is_read_up_to_its_cap(serve: Any) -> None:
    """The page is read up to its cap (1 MiB, more than the head scan reads), then judged."""
    head = page('<meta name="robots" content="noai">')
    site = serve({"/p": Reply(head.body, headers=head.headers, endless=True)})
    status, data = check_json(site.url("/p"), "--timeout", "5")
    assert (status, data["page"]["truncated"], data["page"]["bytes"]) == (1, True, 1024 * 1024)


@needs_loopback_hosts
def test_page_redirect_evaluated_on_final_origin(serve: Any) -> None:
    """A redirected page is judged at its final URL, with the final origin's site files."""
    other = serve({"/robots.txt": GPTBOT_ROBOTS, "/q": page()}, host="127.0.0.2")
    site = serve({"/p": Reply(status=302, headers=[("Location", other.url("/q"))])})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert data["site_files"]["origin"] == other.origin
    assert data["page"]["redirects"] == [site.url("/p")]
    assert data["decided_at"] == other.url("/q")


@needs_loopback_hosts
def test_page_redirect_hop_reserved_before_download(serve: Any) -> None:
    """Each redirect hop is checked before download on its own origin's site files."""
    other = serve({"/q": page()}, host="127.0.0.2")
    robots = "User-agent: GPTBot\nDisallow: /p\n"
    site = serve(
        {"/robots.txt": robots, "/p": Reply(status=302, headers=[("Location", other.url("/q"))])}
    )
    status, data = check_json(site.url("/p"))
    assert (status, data["decided_at"]) == (1, site.url("/p"))
    assert data["site_files"]["origin"] == site.origin


def test_page_redirect_loop_is_an_error(serve: Any) -> None:
    """A page that never stops redirecting cannot be fetched: exit 2, one line on stderr."""
    site = serve({"/p": Reply(status=302, headers=[("Location", "/p")])})
    proc = run("check", site.url("/p"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("optout: error:")
    assert "too many redirects" in proc.stderr
    assert proc.stderr.count("\n") == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_unreachable_host_exits_2(serve: Any) -> None:
    """The page itself unreachable (connection refused) is a network error: exit 2."""
    proc = run("check", f"http://127.0.0.1:{_closed_port()}/")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("optout: error:")
    assert "connection refused" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_user_agent_sent_and_product_token_used(serve: Any) -> None:
    """--user-agent is the User-Agent header; its product token is the robots.txt token."""
    site = serve({"/p": page()})
    _, data = check_json(site.url("/p"), "--user-agent", "ExampleBot/2.0 (+https://x.test/)")
    assert set(site.user_agents) == {"ExampleBot/2.0 (+https://x.test/)"}
    assert data["robots_agent"] == "ExampleBot"


def test_default_user_agent_names_the_project(serve: Any) -> None:
    """The default User-Agent names the tool, and its token is optout-middleware."""
    site = serve({"/p": page()})
    _, data = check_json(site.url("/p"))
    assert site.user_agents[0].startswith("optout-middleware/")
    assert data["robots_agent"] == "optout-middleware"


# --- output --------------------------------------------------------------------------------------


def test_json_output_round_trips_as_verdict(serve: Any) -> None:
    """--json: the verdict keys are Verdict.to_dict's, so Verdict.from_dict reads them back."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page('<meta name="robots" content="noai">')})
    _, data = check_json(site.url("/p"))
    verdict = Verdict.from_dict(data)
    assert verdict.reserved is True
    assert len(verdict.evidence) == len(data["evidence"]) >= 2


def test_text_output_shows_verdict_signals_and_site_files(serve: Any) -> None:
    """The table: verdict first, then each signal with its source, then site-file outcomes."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page()})
    proc = run("check", site.url("/p"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == f"RESERVED for train-ai: {site.url('/p')}"
    assert lines[1].startswith("  decided by robotstxt: robots.txt")
    signals = proc.stdout.split("Signals", 1)[1].split("Licences", 1)[0]
    assert "robots.txt" in signals
    assert "disallows" in signals
    files = proc.stdout.split("Site files of", 1)[1]
    assert [ln.split()[:3] for ln in files.splitlines()[2:5]] == [
        ["robots.txt", "200", "parsed"],
        ["ai.txt", "404", "absent"],
        ["tdmrep.json", "404", "absent"],
    ]


def test_text_output_nothing_said(serve: Any) -> None:
    """No signal at all: NOTHING SAID, exit 0."""
    site = serve({"/p": page()})
    proc = run("check", site.url("/p"))
    assert proc.returncode == 0
    assert proc.stdout.startswith("NOTHING SAID for train-ai")


def test_text_output_escapes_control_characters(serve: Any) -> None:
    """Hostile values cannot drive the terminal: control characters are printed escaped."""
    site = serve({"/p": page("", ("X-Robots-Tag", "noai, \x1b[2J"))})
    proc = run("check", site.url("/p"))
    assert "\x1b" not in proc.stdout
    assert "\\x1b" in proc.stdout


# --- usage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("check",),
        ("frobnicate", "http://127.0.0.1/"),
        ("check", "http://127.0.0.1/", "--purpose", "world-domination"),
        ("check", "http://127.0.0.1/", "--timeout", "-1"),
        ("check", "http://127.0.0.1/", "--user-agent", "1.0/garbage"),
    ],
    ids=["no-command", "no-url", "unknown-command", "bad-purpose", "bad-timeout", "bad-ua"],
)
def test_usage_error_exits_2(args: tuple[str, ...]) -> None:
    """argparse usage errors exit 2 with a usage message and no traceback."""
    proc = run(*args)
    assert proc.returncode == 2
    assert "usage: optout" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/x", "example.com/page", "http://127.0.0.1:99999/"]
)
def test_unusable_url_exits_2(url: str) -> None:
    """Only absolute http(s) URLs can be checked: anything else is one error line, exit 2."""
    proc = run("check", url)
    assert proc.returncode == 2
    assert proc.stderr.startswith("optout: error:")
    assert proc.stderr.count("\n") == 1


def test_console_script_runs_check(serve: Any) -> None:
    """The installed `optout` console script is the same command."""
    script = Path(sys.executable).parent / "optout"
    if not script.exists():
        pytest.skip("the optout console script is not installed in this environment")
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page()})
    proc = subprocess.run(
        [str(script), "check", site.url("/p"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["reserved"] is True


# --- the crawler's own robots.txt permission (ROBOTSTXT_OBEY) and the crawl outcomes ---------


def test_robots_txt_forbidding_our_own_agent_is_reported(serve: Any) -> None:
    """check says whether robots.txt forbids the crawler's own agent, as ROBOTSTXT_OBEY reads it:
    here it does, so a crawl refuses the URL in both modes, though nothing reserves it."""
    robots = "User-agent: optout-middleware\nDisallow: /p\n"
    site = serve({"/robots.txt": robots, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert (status, data["reserved"]) == (0, None)
    assert data["robotstxt_obey"] == {
        "agent": "optout-middleware",
        "url": site.url("/p"),
        "allowed": False,
        "reason": "line 2 '/p' for 'optout-middleware'",
    }
    assert data["crawl"] == {"drop": "refused by robots.txt", "tag": "refused by robots.txt"}
    text = run("check", site.url("/p")).stdout
    assert "robots.txt FORBIDS optout-middleware to fetch" in text
    assert "drop mode refused by robots.txt; tag mode refused by robots.txt" in text


def test_robots_txt_allowing_our_own_agent_is_reported(serve: Any) -> None:
    """Another agent's group says nothing about ours: allowed, in JSON and in the text."""
    site = serve({"/robots.txt": GPTBOT_ROBOTS, "/p": page()})
    status, data = check_json(site.url("/p"))
    assert status == 1
    assert data["robotstxt_obey"]["allowed"] is True
    assert data["crawl"] == {"drop": "dropped before download", "tag": "kept, tagged reserved"}
    assert "robots.txt lets optout-middleware fetch it" in run("check", site.url("/p")).stdout


def test_unreachable_robots_txt_forbids_our_own_agent(serve: Any) -> None:
    """RFC 9309 2.3.1.4: unreachable means complete disallow for our own agent too."""
    site = serve({"/robots.txt": 503, "/p": page()})
    _, data = check_json(site.url("/p"), "--no-page")
    assert data["robotstxt_obey"]["allowed"] is False
    assert data["robotstxt_obey"]["reason"].startswith("unreachable")
    assert data["crawl"] == {"drop": "dropped before download", "tag": "refused by robots.txt"}


def test_crawl_outcomes_follow_tdmrep_precedence(serve: Any) -> None:
    """Drop mode fetches what only tdmrep.json reserves: a page-level 0 keeps the page, none
    drops it after download (as the middleware does)."""
    tdmrep = '[{"location": "/", "tdm-reservation": 1}]'
    site = serve(
        {
            "/.well-known/tdmrep.json": tdmrep,
            "/lifted": page('<meta name="tdm-reservation" content="0">'),
            "/plain": page(),
        }
    )
    _, lifted = check_json(site.url("/lifted"))
    _, plain = check_json(site.url("/plain"))
    assert lifted["crawl"] == {"drop": "kept", "tag": "kept"}
    assert plain["crawl"] == {"drop": "dropped after download", "tag": "kept, tagged reserved"}
    _, before = check_json(site.url("/plain"), "--no-page")
    assert before["crawl"] == {"drop": "decided after download", "tag": "decided after download"}
