"""Per-page costs: <head> extraction by page size, and the full evaluation of one response.

Head extraction must cost the same for a 10 KB and a 1 MB page (it reads the head, not the
body). The evaluation is ``Evaluator.after_download`` with every built-in signal family on a
realistic 40 KB page whose site files (a 5 KB robots.txt with AI groups, a tdmrep.json, an
ai.txt) are already parsed, as they are in a crawl; each call gets a fresh ``ResponseView``
(its head is extracted once per response) and a different URL of the origin.
"""

from __future__ import annotations

import random
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.baseline import PACKAGE, import_from
from bench.sitegen import ai_txt, html_page, query_urls, robots_txt, tdmrep_json
from bench.timing import best_of

if TYPE_CHECKING:
    from collections.abc import Callable


__all__ = [
    "BUDGET_US",
    "evaluation",
    "evaluation_vs_baseline",
    "head_extraction",
    "head_prescan_ablation",
]

BUDGET_US = 110.0  # 5 % of Scrapy's ~2.2 ms of CPU per response (the lead's measurement)
ORIGIN = "https://www.example.com"
_HEAD_SIGNALS = {
    "robots": '<meta name="robots" content="index, follow, noai, noimageai">',
    "tdm": '<meta name="tdm-reservation" content="1">',
    "license": '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">',
}
_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Usage", "train-ai=n, search=y"),
    ("X-Robots-Tag", "noai"),
    ("tdm-reservation", "1"),
    ("Link", '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'),
    ("Cache-Control", "max-age=600"),
    ("Server", "bench"),
)


def _page(size: int) -> bytes:
    # The same seed gives the same head whatever the size; only the body grows.
    return html_page(
        random.Random("head-bench"), ORIGIN, "/articles/a.html", size, signals=_HEAD_SIGNALS
    )


def head_extraction(*, quick: bool, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """extract_head time for 10 KB, 100 KB and 1 MB pages, and a 1 MB page with no head end."""
    from optout_middleware.formats.htmlhead import extract_head  # noqa: PLC0415

    repeats = 2 if quick else 7
    pages = {f"{size // 1000:,} KB": _page(size) for size in (10_000, 100_000, 1_000_000)}
    headless = pages["1,000 KB"].replace(b"</head>", b"").replace(b"<body>", b"<div>")
    pages["1,000 KB, no </head> or <body>"] = headless
    rows = []
    for name, body in pages.items():
        head = extract_head(body)
        secs = best_of(partial(extract_head, body), repeats=repeats)
        end = body.find(b"</head>")
        rows.append(
            {
                "page": name,
                "bytes": len(body),
                "head_bytes": end + 7 if end >= 0 else None,
                "metas": len(head.metas),
                "links": len(head.links),
                "truncated": head.truncated,
                "us": secs * 1e6,
            }
        )
        log(f"  extract_head {name}: {secs * 1e6:.1f} us")
    return rows


def evaluation(
    *, quick: bool, log: Callable[[str], None], package: str = PACKAGE
) -> dict[str, Any]:
    """Per-response evaluation cost, in total and by family (of ``package``: this library, or
    an older version loaded by bench.baseline)."""
    evaluate = import_from(package, "evaluate")
    Evaluator, builtin_signals = evaluate.Evaluator, evaluate.builtin_signals
    extract_head = import_from(package, "formats.htmlhead").extract_head
    inputs = import_from(package, "inputs")
    Context, HeaderList, ResponseView = inputs.Context, inputs.HeaderList, inputs.ResponseView
    make_site = import_from(package, "testing").make_site
    combine = import_from(package, "verdict").combine

    repeats = 2 if quick else 7
    robots = robots_txt(random.Random("eval-robots"), rules=140, wildcard_share=0.42)
    site = make_site(
        ORIGIN + "/",
        robots=robots,
        tdmrep=tdmrep_json(random.Random("eval-tdmrep")),
        aitxt=ai_txt(random.Random("eval-aitxt")),
    )
    urls = query_urls(random.Random("eval-urls"), robots, 200, host=ORIGIN)
    body = _page(40_000)
    headers = HeaderList(_HEADERS)
    context = Context(user_agent="BenchBot")
    signals = builtin_signals()
    evaluator = Evaluator("train-ai", context, signals)

    def per_url(func: Callable[[str], object]) -> float:
        def run() -> None:
            for url in urls:
                func(url)

        return best_of(run, repeats=repeats) / len(urls)

    # The middleware reads a head for the families' interest (versions before it: whole heads).
    interest = getattr(evaluator, "head_interest", None)
    narrowed: dict[str, Any] = {} if interest is None else {"interest": interest}

    def view(url: str) -> Any:
        extra = {} if interest is None else {"head_interest": interest}
        return ResponseView(url, status=200, headers=headers, body=body, **extra)

    site_evidence = {url: evaluator.site_evidence(url, site) for url in urls}
    costs: dict[str, float] = {
        "after_download (site + response signals, combine)": per_url(
            lambda u: evaluator.after_download(view(u), site)
        ),
        "before_download (site signals)": per_url(lambda u: evaluator.before_download(u, site)),
        "after_download given the site evidence": per_url(
            lambda u: evaluator.after_download(view(u), site, site_evidence[u])
        ),
        "  of which extract_head (40 KB page)": best_of(
            lambda: extract_head(body, **narrowed), repeats=repeats
        ),
    }
    warm = view(urls[0])
    _ = warm.head
    family: dict[str, float] = {}
    for signal in signals:

        def both_hooks(url: str, signal: Any = signal) -> None:
            tuple(signal.site_evidence(site, url, context))
            tuple(signal.response_evidence(warm, context))

        family[signal.family] = per_url(both_hooks)
    evidence = evaluator.after_download(view(urls[0]), site).evidence
    costs["combine()"] = best_of(lambda: combine(evaluator.purpose, evidence), repeats=repeats)
    verdict = evaluator.after_download(view(urls[0]), site)
    log(
        f"  after_download: {costs['after_download (site + response signals, combine)'] * 1e6:.1f} us"
    )
    return {
        "page_bytes": len(body),
        "evidence": len(verdict.evidence),
        "reserved": verdict.reserved,
        "costs_us": {k: v * 1e6 for k, v in costs.items()},
        "family_us": {k: v * 1e6 for k, v in family.items()},
    }


def evaluation_vs_baseline(
    *, quick: bool, log: Callable[[str], None], baseline: str, rounds: int = 3
) -> dict[str, Any]:
    """:func:`evaluation` of this version and of ``baseline`` in turn, ``rounds`` times, in one
    process: best figure per step for each, so both see the same load."""
    results: dict[str, dict[str, Any]] = {}
    for _ in range(1 if quick else rounds):
        for name, package in (("current", PACKAGE), ("baseline", baseline)):
            run = evaluation(quick=quick, log=lambda _m: None, package=package)
            best = results.setdefault(name, run)
            for part in ("costs_us", "family_us"):
                for key, us in run[part].items():
                    best[part][key] = min(best[part].get(key, us), us)
    full = "after_download (site + response signals, combine)"
    log(
        f"  after_download: {results['current']['costs_us'][full]:.1f} us "
        f"(baseline {results['baseline']['costs_us'][full]:.1f} us)"
    )
    return results


# The head pre-scan that was measured and not built (README "What bounds the crawl ratio"): to
# skip the parse soundly, a scan must (1) find where the head ends, (2) prove that cut is not
# inside a <script>, <style>, <title>, comment or tag (else the parser reads on), and (3) find
# none of the names any family reads, in any case, in the bytes before it.
_RAW = rb"script|style|title|textarea|xmp|iframe|noembed|noframes"
_ATTRS = rb"""(?:[\s/][^<>"']*+(?:(?:"[^"<>]*+"|'[^'<>]*+')[^<>"']*+)*+)?>"""
_CLEAN_CUT = (
    rb"(?:[^<]++|<(?![A-Za-z/!?])|<!--(?!-?>)[^-]*+(?:-(?!-)[^-]*+)*+-->"
    rb"|<(" + _RAW + rb")" + _ATTRS + rb"[^<]*+(?:<(?!/\1|!--)[^<]*+)*+</\1[\s/]*+>"
    rb"|</?(?!(?:"
    + _RAW
    + rb"|plaintext)\b)[A-Za-z][^\s/<>\"']*+"
    + _ATTRS
    + rb"|<![A-Za-z][^<>\"']*+>)*+"
)
_NEEDLES = (b"noai", b"noimageai", b"disallowaitraining", b"tdm-", b"license")


def head_prescan_ablation(*, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Costs of the steps of a sound head pre-scan vs ``extract_head`` on the bench's 40 KB
    page (a head with inline CSS and JS and no opt-out signal), interleaved, best of rounds."""
    import re  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from bench.timing import interleaved_best  # noqa: PLC0415
    from optout_middleware.formats.htmlhead import _HEAD_END, extract_head  # noqa: PLC0415

    body = html_page(random.Random("prescan"), ORIGIN, "/articles/a.html", 40_000, signals={})
    marker = _HEAD_END.search(body, 0, 64 * 1024)
    assert marker is not None
    end = marker.start()
    lowered = body[:end].lower()
    steps: dict[str, Callable[[], object]] = {
        "extract_head (the parse it would skip)": lambda: extract_head(body),
        "1. find the end of the head (regex)": lambda: _HEAD_END.search(body, 0, 64 * 1024),
        "3a. lower-case the head": body[:end].lower,
        "3b. one bytes.find per name (5 names)": lambda: [n in lowered for n in _NEEDLES],
    }
    if sys.version_info >= (3, 11):  # possessive quantifiers keep the scan linear
        clean = re.compile(_CLEAN_CUT, re.IGNORECASE)
        steps["2. prove the cut is clean (one regex)"] = lambda: clean.match(body, 0, end)
    rounds, number = (3, 20) if quick else (15, 200)

    def many(func: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(number):
                func()

        return run

    best = interleaved_best({k: many(f) for k, f in steps.items()}, rounds=rounds)
    costs = {k: v / number * 1e6 for k, v in best.items()}
    scan = sum(v for k, v in costs.items() if not k.startswith("extract_head"))
    log(f"  head pre-scan: {scan:.1f} us vs extract_head {costs[next(iter(costs))]:.1f} us")
    return {"head_bytes": end, "costs_us": costs, "prescan_us": scan}
