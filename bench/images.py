"""Image metadata: scan cost by container, size and content, and a crawl of image-heavy origins.

The scan must be flat in image size: JPEG headers end at the first scan (SOS) and PNG pixel
chunks are skipped by length, so a 5 MB image costs what a 10 KB one does (PNG adds one header
read per 64 KiB IDAT chunk). Times are interleaved best-of (every variant is timed in turn,
round after round), never absolute single runs. The crawl compares the optout add-on with every
family against the same add-on without ``iptc`` and ``c2pa``, alternating fresh crawler
processes (A B, B A, ...), and reports the median pages/s ratio and CPU per response.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.crawlbench import serve_module
from bench.imagegen import jpeg, png, store, xmp_packet
from bench.timing import best_of, fmt_us, interleaved_best, spread

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["image_crawl", "scan_costs"]

SIZES = {"10 KB": 10_000, "300 KB": 300_000, "5 MB": 5_000_000}
_NO_IMAGE_FAMILIES = [
    "robotstxt", "aipref", "content-signal", "tdmrep", "aitxt", "robots-meta", "licence",
]  # fmt: skip


def scan_costs(*, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """scan_image time per container, size and metadata; the families' cost on an HTML page."""
    from optout_middleware.evaluate import builtin_signals  # noqa: PLC0415
    from optout_middleware.formats.images import scan_image  # noqa: PLC0415
    from optout_middleware.inputs import Context, HeaderList, ResponseView  # noqa: PLC0415

    rng = random.Random("image-bench")
    packet = xmp_packet("DMI-PROHIBITED-GENAIMLTRAINING", rng)
    manifest = store()
    bodies: dict[tuple[str, str, str], bytes] = {}
    for size_name, size in SIZES.items():
        for kind, make in (("JPEG", jpeg), ("PNG", png)):
            bodies[kind, size_name, "none"] = make(size, rng)
            bodies[kind, size_name, "IPTC + C2PA"] = make(size, rng, xmp=packet, c2pa=manifest)
    funcs = {key: (lambda body=body: scan_image(body)) for key, body in bodies.items()}
    best = interleaved_best(funcs, rounds=5 if quick else 40)
    rows = []
    for (kind, size_name, meta), secs in best.items():
        base = best[kind, "10 KB", meta]
        rows.append(
            {
                "container": kind,
                "size": size_name,
                "metadata": meta,
                "us": secs * 1e6,
                "vs_10kb": secs / base,
            }
        )
        log(f"  scan {kind} {size_name} {meta}: {secs * 1e6:.0f} us")

    # What the two families add to a response: a fresh view each call (the scan is per view).
    iptc, c2pa = builtin_signals(["iptc", "c2pa"])
    context = Context()
    page = b"<!doctype html><html><head><title>t</title></head><body>" + b"x" * 40_000
    cases = {
        "html_us": (page, HeaderList([("Content-Type", "text/html")])),
        "jpeg_no_metadata_us": (bodies["JPEG", "300 KB", "none"], HeaderList([])),
        "jpeg_metadata_us": (bodies["JPEG", "300 KB", "IPTC + C2PA"], HeaderList([])),
    }
    added = {}
    for name, (body, headers) in cases.items():

        def families(body: bytes = body, headers: Any = headers) -> None:
            view = ResponseView("https://x/a", headers=headers, body=body)
            list(iptc.response_evidence(view, context))
            list(c2pa.response_evidence(view, context))

        def view_only(body: bytes = body, headers: Any = headers) -> None:
            ResponseView("https://x/a", headers=headers, body=body)

        with_families, alone = float("inf"), float("inf")
        for _ in range(2 if quick else 5):  # alternated, best of each
            with_families = min(with_families, best_of(families, repeats=3))
            alone = min(alone, best_of(view_only, repeats=3))
        added[name] = max(0.0, with_families - alone) * 1e6
        log(f"  iptc + c2pa on {name[:-3]}: +{added[name]:.1f} us")
    return {"rows": rows, "added": added}


@contextmanager
def _site(root: Path, origins: int, pages: int, images: int) -> Iterator[str]:
    args = ("--origins", str(origins), "--pages", str(pages), "--images", str(images))
    with serve_module(root, "bench.imagesite", *args) as control:
        yield control


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  (loopback)
        return json.loads(response.read())


_MODES: dict[str, list[str]] = {
    "without": ["--set", "OPTOUT_SIGNAL_FAMILIES=" + json.dumps(_NO_IMAGE_FAMILIES)],
    "with": [],
}


def _crawl(
    root: Path, mode: str, urls_file: Path, control: str, concurrency: int
) -> dict[str, Any]:
    _get(control + "/reset")
    command = [sys.executable, "-m", "bench.crawl", "optout", str(urls_file)]
    command += [f"--concurrency={concurrency}", *_MODES[mode]]
    done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
        command, cwd=root, capture_output=True, text=True, timeout=900, check=False
    )
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    if done.returncode != 0 or not result.get("pages"):
        raise RuntimeError(f"image crawl {mode} failed:\n{done.stderr[-3000:]}")
    result["pages_per_sec"] = result["pages"] / result["wall_secs"]
    result["cpu_us_per_page"] = result["cpu_secs"] / result["pages"] * 1e6
    return result


def image_crawl(
    *, root: Path, quick: bool, pairs: int, concurrency: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Alternated crawls with and without the image families over image-heavy origins."""
    origins, pages, images = (3, 2, 4) if quick else (12, 6, 6)
    with _site(root, origins, pages, images) as control, tempfile.TemporaryDirectory() as tmp:
        urls = _get(control + "/urls")
        urls_file = Path(tmp) / "urls.json"
        urls_file.write_text(json.dumps(urls))
        ratios, cpu_added, runs = [], [], []
        for pair in range(pairs):
            order = ("without", "with") if pair % 2 == 0 else ("with", "without")
            done = {}
            for mode in order:
                done[mode] = result = _crawl(root, mode, urls_file, control, concurrency)
                runs.append({**result, "mode": mode, "pair": pair})
                log(
                    f"  image crawl pair {pair + 1}/{pairs} {mode}: {result['pages']} responses, "
                    f"{result['pages_per_sec']:.0f}/s, {result['cpu_us_per_page']:.0f} us CPU each"
                )
            ratios.append(done["with"]["pages_per_sec"] / done["without"]["pages_per_sec"])
            cpu_added.append(done["with"]["cpu_us_per_page"] - done["without"]["cpu_us_per_page"])
    stats = runs[-1]["stats"]
    return {
        "origins": origins,
        "urls": len(urls),
        "images": origins * pages * images,
        "pairs": pairs,
        "ratio": spread(ratios),
        "cpu_added_us": spread(cpu_added),
        "cpu_us_per_response": {
            mode: spread([r["cpu_us_per_page"] for r in runs if r["mode"] == mode])
            for mode in _MODES
        },
        "reserved": stats.get("optout/verdict_count/reserved", 0),
        "evidence": {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if "evidence_count" in k},
    }


FLAT_FACTOR = 1.5  # a 5 MB JPEG may cost at most this many times a 10 KB one


def render_images(images: dict[str, Any], targets: list[dict[str, str]]) -> list[str]:
    """The report section: scan costs, the families' cost per response, the image crawl."""
    from bench.report import _mmm, _table  # noqa: PLC0415  (shared table helpers)

    scan = images["scan"]
    out = [
        "### `scan_image` by container, size and metadata (µs, interleaved best of rounds)",
        "",
        (
            "Metadata: a 12 KB IPTC-style XMP packet with `plus:DataMining` and a 20 KB C2PA store "
            "with a `cawg.training-mining` assertion; pixels are random bytes, never read."
        ),
        "",
    ]
    rows = [
        [r["container"], r["size"], r["metadata"], fmt_us(r["us"] / 1e6), f"{r['vs_10kb']:.2f}x"]
        for r in scan["rows"]
    ]
    out.append(_table(["container", "size", "metadata", "µs", "vs 10 KB"], rows))
    added = scan["added"]
    out += [
        "",
        (
            f"`iptc` + `c2pa` per response: HTML page +{added['html_us']:.1f} µs, 300 KB JPEG "
            f"without metadata +{added['jpeg_no_metadata_us']:.1f} µs, with IPTC + C2PA "
            f"+{added['jpeg_metadata_us']:.0f} µs."
        ),
    ]
    jpeg = {(r["size"], r["metadata"]): r["us"] for r in scan["rows"] if r["container"] == "JPEG"}
    worst = max(jpeg["5 MB", m] / jpeg["10 KB", m] for m in ("none", "IPTC + C2PA"))
    targets.append(
        {
            "target": f"image scan flat: 5 MB JPEG <= {FLAT_FACTOR}x the 10 KB JPEG",
            "measured": f"{worst:.2f}x",
            "result": "PASS" if worst <= FLAT_FACTOR else "MISS",
        }
    )
    targets.append(
        {
            "target": "iptc + c2pa on an HTML response <= 5 µs",
            "measured": f"{added['html_us']:.1f} µs",
            "result": "PASS" if added["html_us"] <= 5 else "MISS",
        }
    )
    crawl = images.get("crawl")
    if crawl:
        cpu = crawl["cpu_us_per_response"]
        out += [
            "",
            (
                f"### Crawl of image-heavy origins ({crawl['origins']} origins, {crawl['urls']:,} "
                f"URLs of which {crawl['images']:,} images of 10-500 KB; {crawl['pairs']} "
                "alternated pair(s) of fresh crawler processes; optout add-on in tag mode, with vs "
                "without `iptc` and `c2pa`)"
            ),
            "",
            _table(
                ["", "with / without (pages/s)", "CPU µs/response without", "with", "added"],
                [
                    [
                        "median (min-max)",
                        _mmm(crawl["ratio"], "{:.3f}"),
                        _mmm(cpu["without"]),
                        _mmm(cpu["with"]),
                        _mmm(crawl["cpu_added_us"], "{:,.0f}"),
                    ]
                ],
            ),
            "",
            (
                f"Evidence counted in the last crawl: {crawl['evidence']}; "
                f"{crawl['reserved']} responses reserved."
            ),
        ]
    return out
