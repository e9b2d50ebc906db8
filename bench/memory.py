"""Memory of the policy cache: LruPolicyCache holding many origins with parsed site files.

Each origin gets the crawl site's mix (bench.server): a robots.txt with AI groups on 85 % (20 to
200 rules, 1.5-8 KB), a tdmrep.json on 35 %, an ai.txt on 30 %, 404s elsewhere, read through
``read_site_file`` exactly as the middleware does. Files are drawn from a pool of distinct texts
but parsed once per origin, so nothing is shared that a crawl would not share. Measured with
tracemalloc: what the cache retains (after a collection, raw bodies gone), before and after one
evaluation per origin (which builds the per-agent lookups lazily), and the peak while filling.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from typing import TYPE_CHECKING, Any

from bench.baseline import PACKAGE, import_from
from bench.sitegen import ai_txt, robots_txt, tdmrep_json

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["policy_cache_memory"]

_POOL = 200


def _pool() -> list[tuple[str, bytes | None]]:
    """(kind, body or None for a 404) triples per pool entry, from fixed seeds."""
    entries = []
    for i in range(_POOL):
        rng = random.Random(f"memory:{i}")
        robots = (
            robots_txt(rng, rules=rng.randint(20, 200), wildcard_share=0.3, crawl_safe=True)
            if rng.random() < 0.85
            else None
        )
        tdmrep = tdmrep_json(rng) if rng.random() < 0.35 else None
        aitxt = ai_txt(rng) if rng.random() < 0.3 else None
        for kind, text in (("robots", robots), ("tdmrep", tdmrep), ("aitxt", aitxt)):
            entries.append((kind, text.encode() if text is not None else None))
    return entries


def policy_cache_memory(
    *, origins: int, log: Callable[[str], None], package: str = PACKAGE
) -> dict[str, Any]:
    """Retained bytes per cached origin, and the peak while filling the cache (of ``package``:
    this library, or an older version loaded by bench.baseline)."""
    evaluate = import_from(package, "evaluate")
    Evaluator, builtin_signals = evaluate.Evaluator, evaluate.builtin_signals
    Context = import_from(package, "inputs").Context
    sitepolicy = import_from(package, "sitepolicy")
    FetchResult, LruPolicyCache = sitepolicy.FetchResult, sitepolicy.LruPolicyCache
    build_site_files, read_site_file = sitepolicy.build_site_files, sitepolicy.read_site_file
    site_file_url = sitepolicy.site_file_url

    pool = _pool()
    raw_bytes = 0
    evaluator = Evaluator("train-ai", Context(user_agent="BenchBot"), builtin_signals())
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    before = tracemalloc.take_snapshot()
    cache = LruPolicyCache(max_origins=origins)
    for i in range(origins):
        origin = f"https://site-{i}.example.com:443"
        files = {}
        for j in range(3):
            kind, body = pool[(i % _POOL) * 3 + j]
            url = site_file_url(origin, kind)
            fetched = FetchResult(
                url=url, status=404 if body is None else 200, body=body or b"", final_url=url
            )
            raw_bytes += len(body or b"")
            files[kind] = read_site_file(kind, fetched)
        cache.put(origin, build_site_files(origin, files))
    gc.collect()
    parsed, peak = tracemalloc.get_traced_memory()
    for i in range(origins):
        origin = f"https://site-{i}.example.com:443"
        site = cache.get(origin)
        assert site is not None
        evaluator.before_download(f"{origin}/articles/page-{i}.html", site)
    gc.collect()
    queried, peak2 = tracemalloc.get_traced_memory()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    top = [
        {
            "where": str(stat.traceback).rsplit(f"{package}/", 1)[-1],
            "kb_per_origin": stat.size_diff / origins / 1024,
            "objects_per_origin": stat.count_diff / origins,
        }
        for stat in after.compare_to(before, "lineno")[:8]
    ]
    result = {
        "origins": origins,
        "raw_kb_per_origin": raw_bytes / origins / 1024,
        "parsed_kb_per_origin": (parsed - base) / origins / 1024,
        "queried_kb_per_origin": (queried - base) / origins / 1024,
        "total_mb": (queried - base) / 2**20,
        "peak_mb": (max(peak, peak2) - base) / 2**20,
        "top_lines": top,
    }
    log(f"  policy cache ({package}): {result['queried_kb_per_origin']:.1f} KB per origin")
    return result
