"""``python -m bench.warc``: records per second of ``optout warc`` against plain WARC iteration.

One generated archive (:mod:`bench.warcgen`, 20,000 HTML pages by default, each with its request
and metadata record, gzip per record) is read in interleaved rounds by:

* ``warcio``: warcio's ArchiveIterator, reading every response payload (``content_stream()``,
  which also undoes content codings) and nothing else;
* ``fastwarc``: FastWARC's ArchiveIterator, reading every response payload;
* ``optout warc``: :func:`optout_middleware.warc.check_warc` deciding every response with all
  built-in families and the captured site files (both passes), each verdict serialised as the
  command's JSON line (written to nowhere).

The figure is HTTP response records per second (best round of each; the CPU-time ratio is printed
too, as it is less disturbed by other work on the machine); the targets are
``optout warc`` >= 0.5x warcio and, as a goal, >= 1x. Each contender runs in the same process,
one after the other in every round, so load from elsewhere on the machine slows all of them.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.warcgen import write_warc

__all__ = ["main"]


def _warcio(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator  # noqa: PLC0415

    count = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                record.content_stream().read()
                count += 1
    return count


def _fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType  # noqa: PLC0415

    count = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response):
            record.reader.read()
            count += 1
    return count


def _optout(path: Path) -> int:
    from optout_middleware.warc import check_warc  # noqa: PLC0415

    count = 0
    for result in check_warc([str(path)]):
        result.to_json()
        count += 1
    return count


CONTENDERS = {"warcio": _warcio, "fastwarc": _fastwarc, "optout warc": _optout}


def measure(path: Path, rounds: int) -> dict[str, Any]:
    """Best seconds per contender over ``rounds`` interleaved rounds, and the record counts."""
    best = dict.fromkeys(CONTENDERS, float("inf"))
    cpu = dict.fromkeys(CONTENDERS, float("inf"))
    counts: dict[str, int] = {}
    for round_ in range(rounds):
        order = list(CONTENDERS) if round_ % 2 == 0 else list(reversed(CONTENDERS))
        for name in order:
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            counts[name] = CONTENDERS[name](path)
            best[name] = min(best[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
            print(f"  round {round_ + 1} {name}: {best[name]:.2f} s best", file=sys.stderr)
    rates = {name: counts[name] / secs for name, secs in best.items()}
    return {
        "responses": counts,
        "best_secs": best,
        "best_cpu_secs": cpu,
        "cpu_ratio_vs_warcio": cpu["warcio"] / cpu["optout warc"],
        "responses_per_sec": rates,
        "ratio_vs_warcio": rates["optout warc"] / rates["warcio"],
        "ratio_vs_fastwarc": rates["optout warc"] / rates["fastwarc"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.warc", description=__doc__)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    parser.add_argument("--keep-file", metavar="PATH", help="generate (or reuse) the WARC here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-warc-") as tmp:
        path = Path(args.keep_file) if args.keep_file else Path(tmp) / "bench.warc.gz"
        if not path.exists():
            print(f"writing {args.pages:,} pages to {path} ...", file=sys.stderr)
            spec = write_warc(path, pages=args.pages)
            print(f"  {spec.records:,} records, {spec.bytes / 1e6:.0f} MB", file=sys.stderr)
        size = path.stat().st_size
        figures = measure(path, args.rounds)
    figures["file_bytes"] = size
    rates = figures["responses_per_sec"]
    ratio = figures["ratio_vs_warcio"]
    verdict = "PASS" if ratio >= 0.5 else "MISS"
    goal = "met" if ratio >= 1 else "not met"
    print("| reader | HTTP responses/s | vs warcio |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {rate / rates['warcio']:.2f} |")
    print(f"\noptout warc / warcio = {ratio:.2f}: target >= 0.5 {verdict}; goal >= 1 {goal}")
    print(f"(CPU time: {figures['cpu_ratio_vs_warcio']:.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
