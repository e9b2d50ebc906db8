"""Crawl overhead: the same Scrapy crawl without and with the optout add-on, alternated.

The site (bench.server) runs in its own process for the whole benchmark; every crawl
(bench.crawl) runs in a fresh one. Runs alternate A B, B A, A B, ... so that drift in the
machine's load (other jobs, thermal, caches) hits both modes alike, and each adjacent pair gives
one ratio; the median of those ratios is the result, with their spread. After each crawl the
server reports how often each site file was requested per origin.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.timing import spread

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["crawl_overhead", "site_server"]

_MODES = ("scrapy", "optout")
# Runs bench.crawl from this tree with the baseline tree's optout_middleware: bench.crawl is
# imported first (this tree is the working directory), then the baseline goes first on the path.
_BASELINE_LAUNCHER = (
    "import sys; import bench.crawl as crawl; sys.path.insert(0, sys.argv.pop(1)); "
    "sys.exit(crawl.main(sys.argv[1:]))"
)


@contextmanager
def site_server(root: Path, origins: int, pages: int) -> Iterator[str]:
    """Start bench.server and yield its control URL; the server is stopped on exit."""
    with serve_module(root, "bench.server", "--origins", str(origins), "--pages", str(pages)) as c:
        yield c


@contextmanager
def serve_module(root: Path, module: str, *args: str) -> Iterator[str]:
    """Run ``python -m module *args`` (a benchmark site) in ``root``, yield the control URL it
    prints on its first line as JSON, and stop it on exit."""
    proc = subprocess.Popen(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-m", module, *args], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{module} exited before it was ready")
        yield json.loads(line)["control"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _control(control: str, path: str) -> Any:
    with urllib.request.urlopen(control + path, timeout=30) as response:  # noqa: S310  (loopback)
        return json.loads(response.read())


def _crawl(
    root: Path,
    mode: str,
    urls_file: Path,
    concurrency: int,
    control: str,
    *,
    parse: bool,
    follow: bool = False,
    profile: Path | None = None,
    baseline: Path | None = None,
) -> dict[str, Any]:
    _control(control, "/reset")
    command = [sys.executable, "-m", "bench.crawl", mode, str(urls_file)]
    if mode == "baseline":
        # Not PYTHONPATH: ``-m`` puts the working directory (this tree) first on sys.path, so
        # the crawl would import this tree's package, not the baseline's.
        assert baseline is not None
        command[1:3] = ["-c", _BASELINE_LAUNCHER, str(baseline.resolve())]
    command.append(f"--concurrency={concurrency}")
    if parse:
        command.append("--parse")
    if follow:
        command.append("--follow")
    if profile is not None:
        command.append(f"--profile={profile}")
    done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
        command,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or not result.get("pages") or result["wall_secs"] <= 0:
        raise RuntimeError(
            f"crawl {mode} failed (exit {done.returncode}, {result.get('pages')} pages):\n"
            f"{done.stderr[-3000:]}"
        )
    if mode == "baseline":
        assert baseline is not None
        if not str(result.get("package", "")).startswith(str(baseline.resolve())):
            raise RuntimeError(f"the baseline crawl ran {result.get('package')}, not {baseline}")
    result["stderr"] = done.stderr.strip()[-2000:]
    server = _control(control, "/counts")
    result["server_cpu_secs"] = server["cpu_secs"]
    result["site_file_requests"] = {
        kind: {"max": max(per_host.values()), "total": sum(per_host.values())}
        for kind, per_host in server["files"].items()
    }
    result["pages_per_sec"] = result["pages"] / result["wall_secs"]
    result["cpu_us_per_page"] = result["cpu_secs"] / max(result["pages"], 1) * 1e6
    result["gc_us_per_page"] = result["gc_secs"] / max(result["pages"], 1) * 1e6
    result["cpu_busy"] = result["cpu_secs"] / result["wall_secs"]  # ~1: CPU-bound, as intended
    return result


def crawl_overhead(
    *,
    root: Path,
    origins: int,
    pages: int,
    pairs: int,
    concurrency: int,
    warmup: bool,
    parse: bool,
    profile: bool,
    log: Callable[[str], None],
    baseline: Path | None = None,
    follow: bool = False,
) -> dict[str, Any]:
    """Alternated crawls of both modes; ratios per adjacent pair, and site-file request counts.

    With ``baseline`` (an older source tree) a third mode runs the add-on from that tree in
    every round, so the old and new ratios come from one run under the same load.
    """
    modes = (*_MODES, "baseline") if baseline is not None else _MODES
    with site_server(root, origins, pages) as control, tempfile.TemporaryDirectory() as tmp:
        urls = _control(control, "/urls")
        urls_file = Path(tmp) / "urls.json"
        urls_file.write_text(json.dumps(urls))

        def crawl(mode: str, file: Path, profile: Path | None = None) -> dict[str, Any]:
            """One crawl of this variant (the spider's work, the baseline tree) in ``mode``."""
            return _crawl(
                root,
                mode,
                file,
                concurrency,
                control,
                parse=parse,
                follow=follow,
                profile=profile,
                baseline=baseline,
            )

        if warmup:  # compiles bytecode and warms the server's sockets; not reported
            warm_file = Path(tmp) / "warm.json"
            warm_file.write_text(json.dumps(urls[: origins * 4]))
            for mode in modes:
                crawl(mode, warm_file)
        runs: list[dict[str, Any]] = []
        ratios: list[float] = []
        cpu_ratios: list[float] = []
        base_ratios: list[float] = []
        base_cpu_ratios: list[float] = []
        for pair in range(pairs):
            order = modes if pair % 2 == 0 else modes[::-1]
            done = {}
            for mode in order:
                result = crawl(mode, urls_file)
                result["pair"] = pair
                runs.append(result)
                done[mode] = result
                log(
                    f"  crawl pair {pair + 1}/{pairs} {mode}: {result['pages']} pages, "
                    f"{result['pages_per_sec']:.0f} pages/s, "
                    f"{result['cpu_us_per_page']:.0f} us CPU/page"
                )
            ratios.append(done["optout"]["pages_per_sec"] / done["scrapy"]["pages_per_sec"])
            cpu_ratios.append(done["scrapy"]["cpu_us_per_page"] / done["optout"]["cpu_us_per_page"])
            if "baseline" in done:
                base = done["baseline"]
                base_ratios.append(base["pages_per_sec"] / done["scrapy"]["pages_per_sec"])
                base_cpu_ratios.append(done["scrapy"]["cpu_us_per_page"] / base["cpu_us_per_page"])
        profiled = None
        if profile:
            from bench.profiling import summarise  # noqa: PLC0415

            log("  profiling one more crawl of each mode (cProfile)")
            profiled = {}
            for mode in _MODES:
                out = Path(tmp) / f"{mode}.prof"
                result = crawl(mode, urls_file, profile=out)
                profiled[mode] = summarise(str(out), result["pages"])
    summary: dict[str, Any] = {
        "origins": origins,
        "start_urls": len(urls),
        "concurrency": concurrency,
        "spider_parses": parse,
        "spider_follows": follow,
        "pairs": pairs,
        "ratio": spread(ratios),
        "cpu_ratio": spread(cpu_ratios),
        "ratios": ratios,
        "baseline_tree": str(baseline) if baseline is not None else None,
        "baseline_ratio": spread(base_ratios) if base_ratios else None,
        "baseline_cpu_ratio": spread(base_cpu_ratios) if base_cpu_ratios else None,
        "baseline_ratios": base_ratios,
        "runs": runs,
        "profile": profiled,
    }
    for mode in modes:
        mine = [r for r in runs if r["mode"] == mode]
        summary[mode] = {
            "pages": sorted({r["pages"] for r in mine}),
            "pages_per_sec": spread([r["pages_per_sec"] for r in mine]),
            "cpu_us_per_page": spread([r["cpu_us_per_page"] for r in mine]),
            "gc_us_per_page": spread([r["gc_us_per_page"] for r in mine]),
            "cpu_busy": spread([r["cpu_busy"] for r in mine]),
            "server_cpu_share": max(r["server_cpu_secs"] / r["wall_secs"] for r in mine),
            "site_file_max": {
                kind: max(r["site_file_requests"][kind]["max"] for r in mine)
                for kind in mine[0]["site_file_requests"]
            },
            "site_file_total": {
                kind: max(r["site_file_requests"][kind]["total"] for r in mine)
                for kind in mine[0]["site_file_requests"]
            },
        }
    return summary
