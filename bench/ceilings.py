"""Ceilings: the crawl with one part of the add-on after another made free (an ablation).

``python -m bench.ceilings [--rounds N]`` crawls the benchmark site (bench.server) as the crawl
overhead part does, alternating in fresh processes: Scrapy alone, the add-on, then the add-on
with stubs that return a part's result without its work, cumulatively:

* ``head``: ``<head>`` extraction returns heads read before the crawl window opens (the site is
  regenerated from its seed in the crawl process; a page's head is found by its length and a
  slice of its bytes, so a few pages may get another page's head: a ceiling, not a verdict);
* ``map``: the page-to-image map does nothing on a page (no image-link scan);
* ``response``: ``after_download`` returns the site verdict (no response family runs);
* ``before``: ``before_download`` returns one constant verdict (no site decision).

Each step's CPU per response against the previous says what that part costs inside a crawl
(README "What bounds the crawl ratio"); what is left with every stub on is the part no faster
reader removes (site-file fetches, our robots.txt enforcement, tagging, stats). The stubbed
crawls' verdicts are wrong by design: this measures cost only.
"""

from __future__ import annotations

import argparse
import atexit
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.crawlbench import _control, site_server

__all__ = ["STEPS", "main"]

ROOT = Path(__file__).resolve().parent.parent
# (name, crawl mode, stubs): each step adds one stub to the one before.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("scrapy", "scrapy", ""),
    ("add-on", "optout", ""),
    ("free head", "optout", "head"),
    ("+ free page-to-image map", "optout", "head,map"),
    ("+ free response families", "optout", "head,map,response"),
    ("+ free site decision", "optout", "head,map,response,before"),
)


def _stub(stubs: set[str], origins: int, pages: int, port: int) -> None:
    """Patch the add-on in this (crawl) process; runs before the crawl window opens."""
    from optout_middleware import evaluate, inputs  # noqa: PLC0415
    from optout_middleware.formats.htmlhead import EMPTY_HEAD, extract_head  # noqa: PLC0415
    from optout_middleware.inputs import Context  # noqa: PLC0415
    from optout_middleware.middlewares.embedded import EmbeddedImages  # noqa: PLC0415
    from optout_middleware.verdict import Purpose, Verdict  # noqa: PLC0415

    if "head" in stubs:
        from bench.server import build_site  # noqa: PLC0415

        evaluator = evaluate.Evaluator("train-ai", Context(), evaluate.builtin_signals())
        heads: dict[tuple[int, bytes], Any] = {}
        for responses in build_site(origins, pages, port)[0].values():
            for raw in responses.values():
                body = raw.partition(b"\r\n\r\n")[2]
                heads[len(body), body[64:320]] = extract_head(
                    body, interest=evaluator.head_interest
                )

        found = [0, 0]  # lookups that found a head, all lookups

        def head(body: bytes, **_: object) -> Any:
            read = heads.get((len(body), body[64:320]))
            found[0] += read is not None
            found[1] += 1
            return EMPTY_HEAD if read is None else read

        atexit.register(
            lambda: print(f"head stub: {found[0]} of {found[1]} found", file=sys.stderr)
        )

        inputs.extract_head = head  # type: ignore[attr-defined]
    if "map" in stubs:
        EmbeddedImages.page_seen = lambda *_a, **_k: None  # type: ignore[method-assign]
    if "response" in stubs:

        def after(self: Any, response: Any, site: Any, site_evidence: Any = None) -> Any:
            if isinstance(site_evidence, Verdict):
                return site_evidence
            return self.before_download(response.url, site)

        evaluate.Evaluator.after_download = after  # type: ignore[method-assign]
    if "before" in stubs:
        constant = Verdict(Purpose.TRAIN_AI, None)
        evaluate.Evaluator.before_download = lambda *_a: constant  # type: ignore[method-assign]


def _crawl_main(argv: list[str]) -> int:
    """``python -m bench.ceilings crawl STUBS ORIGINS PAGES MODE URLS_FILE [bench.crawl options]``:
    one crawl."""
    stubs, origins, pages, *rest = argv
    urls = json.loads(Path(rest[1]).read_text())
    port = int(urls[0].split("/")[2].rpartition(":")[2])
    _stub(set(filter(None, stubs.split(","))), int(origins), int(pages), port)
    from bench import crawl  # noqa: PLC0415

    return crawl.main(rest)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["crawl"]:
        return _crawl_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.ceilings", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    parser.add_argument("--origins", type=int, default=60)
    parser.add_argument("--pages", type=int, default=80)
    args = parser.parse_args(argv)
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in STEPS}
    with (
        site_server(ROOT, args.origins, args.pages) as control,
        tempfile.TemporaryDirectory() as tmp,
    ):
        urls_file = Path(tmp) / "urls.json"
        urls_file.write_text(json.dumps(_control(control, "/urls")))
        for round_ in range(args.rounds):
            for name, mode, stubs in STEPS if round_ % 2 == 0 else STEPS[::-1]:
                command = [sys.executable, "-m", "bench.ceilings", "crawl", stubs or ","]
                command += [str(args.origins), str(args.pages), mode, str(urls_file)]
                done = subprocess.run(  # noqa: S603  (our own module)
                    command, cwd=ROOT, capture_output=True, text=True, check=True
                )
                result = json.loads(done.stdout.strip().splitlines()[-1])
                if "head stub" in done.stderr:  # how many heads the stub knew
                    print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
                us = result["cpu_secs"] / result["pages"] * 1e6
                cpu[name].append(us)
                print(f"round {round_ + 1}/{args.rounds} {name}: {us:,.0f} us", file=sys.stderr)
    scrapy = statistics.median(cpu["scrapy"])
    previous = None
    print("| crawl | CPU us per response (median) | ratio to Scrapy | this step saves |")
    print("|---|---|---|---|")
    for name, _, _ in STEPS:
        median = statistics.median(cpu[name])
        saved = "" if previous is None or name == "add-on" else f"{previous - median:,.0f} us"
        print(f"| {name} | {median:,.0f} | {scrapy / median:.3f} | {saved} |")
        previous = median
    return 0


if __name__ == "__main__":
    sys.exit(main())
