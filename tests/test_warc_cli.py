"""``optout warc``, run as a subprocess on archives written with warcio, one behaviour per test."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from .cli_server import Site
from .test_cli import ENV
from .warc_builder import WarcBuilder, html, member_offsets

if TYPE_CHECKING:
    from pathlib import Path

SITE = "https://news.example"
GPTBOT_PRIVATE = "User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "optout_middleware", "warc", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=ENV,
        check=False,
    )


def lines(output: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.decode().splitlines()]


def archive(tmp_path: Path, name: str = "crawl.warc.gz", origin: str = SITE) -> Path:
    warc = WarcBuilder()
    warc.warcinfo()
    warc.response(origin + "/robots.txt", GPTBOT_PRIVATE, metadata=True)
    warc.response(origin + "/open.html", html(), metadata=True)
    warc.response(origin + "/private/a.html", html(), metadata=True)
    return warc.write(tmp_path / name)


def test_one_json_line_per_http_response_with_the_verdict(tmp_path: Path) -> None:
    proc = run(str(archive(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    found = lines(proc.stdout)
    assert [d["url"] for d in found] == [
        SITE + "/robots.txt",
        SITE + "/open.html",
        SITE + "/private/a.html",
    ]
    private = found[2]
    for key in ("url", "record_id", "date", "reserved", "decided_by", "verdict", "site_files"):
        assert key in private
    assert private["reserved"] is True
    assert private["decided_by"]["family"] == "robotstxt"
    assert private["verdict"]["evidence"]
    assert b"3 HTTP responses" in proc.stderr
    assert b"reserved      1" in proc.stderr


def test_out_file_keep_and_purpose(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    kept = tmp_path / "kept.warc.gz"
    proc = run(str(archive(tmp_path)), "--out", str(out), "--keep", str(kept))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert len(lines(out.read_bytes())) == 3
    with kept.open("rb") as stream:
        urls = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream, check_digests="raise")
        ]
    assert (("response", SITE + "/private/a.html")) not in urls
    assert ("response", SITE + "/open.html") in urls
    assert ("metadata", SITE + "/open.html") in urls
    search = run(str(archive(tmp_path)), "--purpose", "search")
    assert [d["reserved"] for d in lines(search.stdout)] == [None, None, None]


def test_stdin_is_read_with_a_dash(tmp_path: Path) -> None:
    data = archive(tmp_path).read_bytes()
    proc = run("-", stdin=data)
    assert proc.returncode == 0, proc.stderr
    found = lines(proc.stdout)
    assert len(found) == 3
    assert found[0]["file"] == "-"


def test_site_files_option(tmp_path: Path) -> None:
    robots = WarcBuilder()
    robots.response(SITE + "/robots.txt", GPTBOT_PRIVATE)
    robots_path = robots.write(tmp_path / "robots.warc.gz")
    pages = WarcBuilder()
    pages.response(SITE + "/private/a.html", html())
    pages_path = pages.write(tmp_path / "pages.warc.gz")
    alone = run(str(pages_path))
    without = lines(alone.stdout)
    assert without[0]["reserved"] is None
    assert without[0]["site_files"]["robots"]["state"] == "not-captured"
    assert b"robots.txt    not captured for 1 of 1 origins" in alone.stderr
    proc = run(str(pages_path), "--site-files", str(robots_path))
    found = lines(proc.stdout)
    assert [d["url"] for d in found] == [SITE + "/private/a.html"]
    assert found[0]["reserved"] is True
    parallel = run(str(pages_path), "--site-files", str(robots_path), "-j", "2")
    assert lines(parallel.stdout) == found


def test_jobs_across_files_give_the_same_lines(tmp_path: Path) -> None:
    first = archive(tmp_path, "a.warc.gz")
    second = archive(tmp_path, "b.warc.gz", origin="https://other.example")
    serial = run(str(first), str(second), "--keep", str(tmp_path / "k1.warc.gz"))
    parallel = run(str(first), str(second), "-j", "2", "--keep", str(tmp_path / "k2.warc.gz"))
    assert parallel.returncode == 0, parallel.stderr
    key = lambda d: (d["file"], d["offset"])
    assert sorted(lines(parallel.stdout), key=key) == sorted(lines(serial.stdout), key=key)
    assert (tmp_path / "k1.warc.gz").read_bytes() == (tmp_path / "k2.warc.gz").read_bytes()


def test_corrupt_record_is_reported_skipped_and_exit_status_1(tmp_path: Path) -> None:
    data = archive(tmp_path).read_bytes()
    offsets = member_offsets(data)
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: offsets[5] + 30] + data[offsets[6] :])  # cut the open.html response
    proc = run(str(broken))
    assert proc.returncode == 1
    assert [d["url"] for d in lines(proc.stdout)] == [
        SITE + "/robots.txt",
        SITE + "/private/a.html",
    ]
    assert f"at byte {offsets[5]}: unreadable record skipped".encode() in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = run(str(tmp_path / "nope.warc.gz"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(b"optout warc: error: cannot read")


def test_keep_onto_an_input_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = archive(tmp_path)
    before = path.read_bytes()
    proc = run(str(path), "--keep", str(path))
    assert proc.returncode == 2
    assert b"--keep" in proc.stderr
    assert path.read_bytes() == before


@pytest.fixture
def live() -> Any:
    with Site({"/robots.txt": GPTBOT_PRIVATE}, host="127.0.0.7") as site:
        yield site


def test_live_site_files_are_fetched_once_per_origin(tmp_path: Path, live: Any) -> None:
    """--live-site-files: today's robots.txt decides, whatever the archive captured."""
    origin = live.origin
    warc = WarcBuilder()
    warc.response(origin + "/robots.txt", "User-agent: *\nAllow: /\n")
    for name in ("a", "b", "c"):
        warc.response(f"{origin}/private/{name}.html", html())
    path = warc.write(tmp_path / "old.warc.gz")
    archived = lines(run(str(path)).stdout)
    assert [d["reserved"] for d in archived] == [None, None, None, None]
    proc = run(str(path), "--live-site-files")
    assert proc.returncode == 0, proc.stderr
    assert [d["reserved"] for d in lines(proc.stdout)][1:] == [True, True, True]
    assert live.count("/robots.txt") == 1


def test_ctrl_c_leaves_every_written_line_whole(tmp_path: Path) -> None:
    """SIGINT mid-run: exit status 130, and the output holds only complete JSON lines."""
    warc = WarcBuilder()
    warc.response(SITE + "/robots.txt", GPTBOT_PRIVATE)
    for index in range(4000):
        warc.response(f"{SITE}/p/{index}.html", html(text="words " * 400), request=False)
    path = warc.write(tmp_path / "big.warc.gz")
    out = tmp_path / "verdicts.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "optout_middleware", "warc", str(path), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    deadline = time.monotonic() + 60
    while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert b"Traceback" not in stderr
    text = out.read_text()
    assert text.endswith("\n")
    written = [json.loads(line) for line in text.splitlines()]
    assert 0 < len(written) < 4001
