"""``optout warc`` at scale: ``-j N`` worker processes and ``--live-site-files``.

Workers are forked, so they inherit the evaluator and the site-file index instead of unpickling
them; each decides one input file and sends its JSON lines to the parent in batches, which writes
them (one writer: whole lines, flushed one by one). With ``--keep`` each worker writes a part, and
the parts are joined in input order at the end. Ctrl-C is the parent's: workers ignore it and are
stopped with the pool.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from queue import Empty
from typing import TYPE_CHECKING, Any

from optout_middleware.sitepolicy import MAX_REDIRECTS, SITE_FILE_PATHS, SIZE_CAPS, site_file_url

from .warc import _BATCH, _PROG, _STOP, _ignore_sigint, _label, _write
from .warcreport import PROGRESS_SECS, outcome

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

    from optout_middleware.evaluate import Evaluator
    from optout_middleware.inputs import Context
    from optout_middleware.sitepolicy import FetchResult
    from optout_middleware.warc import Scan, SiteFileSource

    from .warcreport import Progress, Totals

__all__ = ["decide_parallel", "live_source", "pool"]


# -- -j N: worker processes, one input file per task ------------------------------------------

_WORKER: dict[str, Any] = {}


def pool(jobs: int) -> Any:
    # fork: workers inherit the evaluator and the site-file index instead of unpickling them
    return multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_sigint)


def decide_parallel(
    *,
    parts: list[str],
    args: argparse.Namespace,
    files: list[str],
    scans: list[Scan],
    evaluator: Evaluator,
    source: SiteFileSource,
    out: TextIO,
    totals: Totals,
    progress: Progress,
    report: Any,
) -> None:
    from optout_middleware.warc import CaptureIndex  # noqa: PLC0415

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    if args.keep:  # one part per file, joined in input order at the end
        parts.extend(f"{args.keep}.part{i}" for i in range(len(files)))
    _WORKER.update(evaluator=evaluator, source=source, queue=queue, args=args)
    sizes = [os.path.getsize(f) for f in files]
    positions = [0] * len(files)
    tasks = [  # the captures stay behind: workers inherit them in ``source``
        (i, path, replace(scan, captures=CaptureIndex()), parts[i] if parts else None)
        for i, (path, scan) in enumerate(zip(files, scans, strict=False))
    ]
    with ctx.Pool(min(args.jobs, len(files)), initializer=_ignore_sigint) as pool:
        pending = pool.map_async(_worker_file, tasks)
        finished = 0
        while finished < len(tasks):
            try:
                kind, index, payload = queue.get(timeout=PROGRESS_SECS)
            except Empty:
                if _STOP:
                    raise KeyboardInterrupt from None
                continue
            if kind == "lines":
                for line, *outcome in payload:
                    totals.add(*outcome)
                    _write(out, line)
            elif kind == "error":
                report(files[index], payload)
            elif kind == "position":
                positions[index] = payload
            elif kind == "done":
                positions[index] = sizes[index]
                finished += 1
            elif kind == "failed":
                raise OSError(f"{files[index]}: {payload}")
            progress.update(totals, sum(positions))
        pending.get()
    if args.keep:
        from optout_middleware.warc.keep import KeepWriter  # noqa: PLC0415

        with KeepWriter(args.keep) as keep:
            for part in parts:
                keep.append_file(part)


def _worker_file(task: tuple[int, str, Scan, str | None]) -> None:
    from optout_middleware.warc import decide_archive  # noqa: PLC0415
    from optout_middleware.warc.keep import KeepWriter  # noqa: PLC0415

    index, path, scan, part = task
    queue = _WORKER["queue"]
    args = _WORKER["args"]
    keep = KeepWriter(part, gzipped=args.keep.endswith(".gz")) if part else None
    batch: list[tuple[str, bool | None, str | None, str, bool, tuple[str, ...]]] = []
    try:
        for result in decide_archive(
            path,
            evaluator=_WORKER["evaluator"],
            source=_WORKER["source"],
            scan=scan,
            keep=keep,
            on_error=lambda e: queue.put(("error", index, e)),
            label=_label(path, args),
        ):
            batch.append((result.to_json(), *outcome(result)))
            if len(batch) >= _BATCH:
                queue.put(("lines", index, batch))
                queue.put(("position", index, result.offset))
                batch = []
        queue.put(("lines", index, batch))
        queue.put(("done", index, None))
    except Exception as exc:  # noqa: BLE001  (reported by the parent, one line)
        queue.put(("failed", index, str(exc)))
    finally:
        if keep is not None:
            keep.close()


# -- --live-site-files ----------------------------------------------------------------------------


def live_source(
    args: argparse.Namespace,
    origins: set[str],
    families: frozenset[str],
    context: Context | None = None,
) -> SiteFileSource:
    """Each origin's site files fetched now, once, concurrently (``optout check``'s rules),
    and the RSL documents robots.txt ``License:`` lines and pages name, once per URL (with
    ``-j``, a page's own documents once per worker)."""
    from optout_middleware.inputs import Context  # noqa: PLC0415
    from optout_middleware.warc.sitefiles import SiteFileSource  # noqa: PLC0415

    from .check import _SiteCache  # noqa: PLC0415  (its RSL document fetch, as optout check)
    from .fetch import Fetcher  # noqa: PLC0415

    fetcher = Fetcher(user_agent=args.user_agent, timeout=args.timeout)
    context = context or Context()
    documents = _SiteCache(fetcher, context)

    def fetch(url: str, at: str = "") -> FetchResult:
        kind = next((k for k, p in SITE_FILE_PATHS.items() if url.endswith(p)), "robots")
        return fetcher.fetch(
            url, max_bytes=SIZE_CAPS[kind], max_redirects=MAX_REDIRECTS
        ).as_fetch_result()

    jobs = [(origin, kind) for origin in sorted(origins) for kind in SITE_FILE_PATHS]
    print(f"{_PROG}: fetching the site files of {len(origins):,} origin(s)", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=8) as pool:
        fetched = list(pool.map(lambda job: fetch(site_file_url(*job)), jobs))
    results: dict[str, dict[str, FetchResult]] = {}
    for (origin, kind), result in zip(jobs, fetched, strict=True):
        results.setdefault(origin, {})[kind] = result
    source = SiteFileSource(
        fetch,
        families=families,
        documents=lambda urls, at: documents.rsl_documents(list(urls)),
        context=context,
    )
    source.preload(results)
    if "rsl" in families:  # License: documents of every origin, concurrently, before forking
        named = _license_urls(results, context)
        if named:
            print(f"{_PROG}: fetching {len(named):,} RSL document(s)", file=sys.stderr)
            documents.rsl_documents(named)
            for origin in sorted(origins):
                source.get(origin)  # built now: -j workers inherit them
    return source


def _license_urls(results: dict[str, dict[str, FetchResult]], context: Context) -> list[str]:
    """The RSL document URLs the fetched robots.txt files name for our crawler."""
    from optout_middleware.inputs import SiteFiles  # noqa: PLC0415
    from optout_middleware.signals.rsl import site_associations  # noqa: PLC0415
    from optout_middleware.sitepolicy import read_site_file  # noqa: PLC0415

    urls: dict[str, None] = {}
    for origin, fetched in results.items():
        robots = read_site_file("robots", fetched["robots"])
        for association in site_associations(SiteFiles(origin, robots=robots), context):
            if association.url:
                urls[association.url] = None
    return list(urls)
