"""``optout warc FILE...``: the verdict for every HTTP response in WARC archives, as JSON lines.

A thin front end over :mod:`optout_middleware.warc`: option parsing and the output file.
``-j`` worker processes and ``--live-site-files`` (each origin's current site files fetched
once, with :mod:`.fetch`, the rules of ``optout check``) are in :mod:`.warcjobs`; the progress
line and the summary in :mod:`.warcreport`. Every line is written whole and flushed, so an
interrupted run leaves a valid JSON-lines file.

Exit status: 0 every record read, 1 some records were unreadable (reported on stderr and
skipped), 2 usage error or an input that cannot be read at all, 130 interrupted.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, TextIO

from optout_middleware.evaluate import Evaluator
from optout_middleware.inputs import Context

from .render import printable
from .warcreport import Progress, Totals, outcome, summary

if TYPE_CHECKING:
    from optout_middleware.warc import RecordError, Scan, SiteFileSource

__all__ = ["add_command", "run"]

_PROG = "optout warc"
_BATCH = 64  # lines a worker sends at once
_INTERRUPTED = 130


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``optout warc`` with the options ``optout check`` shares."""
    cli = importlib.import_module("optout_middleware.cli.main")  # it registers this module

    warc = commands.add_parser(
        "warc",
        help="decide every HTTP response in WARC files; write JSON lines and a filtered WARC",
        description="Read WARC files (gzip per record or plain; '-' for stdin) and print one JSON "
        "line per HTTP response record with the verdict the middleware would reach, using the "
        "site files (robots.txt, ai.txt, tdmrep.json) and RSL licence documents captured in the "
        "archives. Exit status: 0 "
        "done, 1 some records unreadable (skipped), 2 usage or input error.",
    )
    warc.add_argument("files", nargs="+", metavar="FILE", help="WARC files ('-': stdin)")
    warc.add_argument(
        "--purpose",
        type=cli._purpose,
        default=cli.Purpose.TRAIN_AI,
        metavar="{" + ",".join(p.value for p in cli.Purpose) + "}",
        help="what the content would be used for (default: train-ai)",
    )
    warc.add_argument(
        "--user-agent",
        type=cli._user_agent,
        default=cli.DEFAULT_USER_AGENT,
        metavar="UA",
        help="the crawler's User-Agent; its leading product token is its robots.txt token "
        "(default: %(default)r)",
    )
    warc.add_argument(
        "--agents",
        type=cli._agents,
        default=cli.DEFAULT_AGENT_TOKENS,
        metavar="TOKENS",
        help="comma-separated AI crawler tokens whose robots.txt rules and scoped directives "
        "count as opt-outs (default: the training crawlers of optout_middleware.agents)",
    )
    warc.add_argument("--out", metavar="FILE", help="write the JSON lines here, not to stdout")
    warc.add_argument(
        "--keep",
        metavar="OUT.warc.gz",
        help="write every record whose verdict is not reserved (with its request and metadata "
        "records) to this WARC; gzipped per record when the name ends in .gz",
    )
    warc.add_argument(
        "--site-files",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="more WARC files to take site files from (e.g. Common Crawl's robots.txt WARCs); "
        "their records are not decided",
    )
    warc.add_argument(
        "--live-site-files",
        action="store_true",
        help="fetch each origin's current site files (and the RSL documents they and the pages "
        "name, once per URL) instead of using captured ones",
    )
    warc.add_argument(
        "-j", "--jobs", type=_jobs, default=1, metavar="N", help="worker processes (default: 1)"
    )
    warc.add_argument(
        "--timeout",
        type=cli._timeout,
        default=cli.DEFAULT_TIMEOUT_SECS,
        metavar="SECS",
        help="with --live-site-files: limit per download (default: %(default)g)",
    )
    warc.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal)",
    )


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"jobs {value!r} is not a number") from None
    if not 1 <= jobs <= 256:  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"jobs {value!r} must be between 1 and 256")
    return jobs


def run(args: argparse.Namespace) -> int:
    """Run ``optout warc``; returns the exit status."""
    from optout_middleware import agents  # noqa: PLC0415

    from .main import _signals  # noqa: PLC0415

    try:
        import fastwarc  # noqa: F401, PLC0415
    except ImportError:
        return _usage_error(
            "reading WARC files needs FastWARC: pip install 'optout-middleware[warc]'"
        )
    token = agents.product_token(args.user_agent) or "*"
    context = Context(user_agent=token, ai_agents=args.agents)
    evaluator = Evaluator(args.purpose, context, _signals())
    spooled: list[str] = []
    out: TextIO = sys.stdout
    try:
        files = [_spool_stdin(spooled) if f == "-" else f for f in args.files]
        site_only = [f for f in args.site_files if f not in files]
        inputs = {os.path.realpath(f) for f in [*files, *site_only]}
        for path in [*files, *site_only]:
            if not os.path.isfile(path):
                return _usage_error(f"cannot read {path!r}: no such file")
        for option, target in (("--out", args.out), ("--keep", args.keep)):
            if target and os.path.realpath(target) in inputs:
                return _usage_error(f"{option} {target!r} is one of the input files")
        if args.out:
            out = open(args.out, "w", encoding="utf-8")  # noqa: SIM115
        return _run(args, files, site_only, evaluator, out)
    except KeyboardInterrupt:
        print(f"\n{_PROG}: interrupted; every line written so far is complete", file=sys.stderr)
        return _INTERRUPTED
    except BrokenPipeError:
        return 2
    except (OSError, ValueError) as exc:
        return _usage_error(str(exc))
    finally:
        if out is not sys.stdout:
            out.close()
        for path in spooled:
            os.unlink(path)


_STOP: list[bool] = []  # set by Ctrl-C; the work stops at the next line boundary


def _on_sigint(signum: int, frame: object) -> None:
    if _STOP:  # a second Ctrl-C: stop now
        raise KeyboardInterrupt
    _STOP.append(True)


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _usage_error(message: str) -> int:
    print(f"{_PROG}: error: {printable(message)}", file=sys.stderr)
    return 2


def _spool_stdin(spooled: list[str]) -> str:
    """Copy stdin to a temporary file: two passes and resynchronisation need to seek."""
    handle, path = tempfile.mkstemp(prefix="optout-warc-", suffix=".warc")
    spooled.append(path)
    with os.fdopen(handle, "wb") as copy:
        shutil.copyfileobj(sys.stdin.buffer, copy, 1 << 20)
    return path


def _run(
    args: argparse.Namespace,
    files: list[str],
    site_only: list[str],
    evaluator: Evaluator,
    out: TextIO,
) -> int:
    from optout_middleware.warc import CaptureIndex, index_archives, scan_archive  # noqa: PLC0415
    from optout_middleware.warc.documents import ArchiveDocuments  # noqa: PLC0415
    from optout_middleware.warc.sitefiles import SiteFileSource  # noqa: PLC0415

    from .warcjobs import decide_parallel, live_source, pool  # noqa: PLC0415

    started = time.monotonic()
    totals = Totals()
    names = {f: ("stdin" if f not in args.files else f) for f in files}

    def report(path: str, error: RecordError) -> None:
        totals.unreadable += 1
        where = f"{names.get(path, path)} at byte {error.offset}"
        after = "" if error.resumed_at is None else f"; resumed at byte {error.resumed_at}"
        print(
            f"\r{_PROG}: warning: {where}: unreadable record skipped: {printable(error.message)}"
            f"{after}",
            file=sys.stderr,
        )

    # Pass 1: site-file captures, origins and record groups of every archive.
    scans: list[Scan]
    if args.jobs > 1 and len(files) + len(site_only) > 1:
        with pool(args.jobs) as workers:
            scans = workers.map(functools.partial(scan_archive, groups=bool(args.keep)), files)
            hosts = set().union(*(s.hosts for s in scans))  # site files of these hosts only
            scans += workers.map(
                functools.partial(scan_archive, captures=CaptureIndex(hosts=hosts), groups=False),
                site_only,
            )
        index = CaptureIndex()
        for scan in scans:
            index.merge(scan.captures)
            for error in scan.errors if scan.path in site_only else ():
                report(scan.path, error)
        if index.missing_targets():  # redirect targets outside the site-file paths
            index, _ = index_archives(files, site_files=site_only, groups=False)
    else:
        index, scans = index_archives(
            files,
            site_files=site_only,
            on_error=lambda p, e: report(p, e) if p in site_only else None,
            groups=bool(args.keep),
        )
    families = frozenset(s.family for s in evaluator.signals)
    origins = set().union(*(s.origins for s in scans[: len(files)]))
    if args.live_site_files:
        source = live_source(args, origins, families, evaluator.context)
    else:  # RSL documents: read from the records where pass 1 saw them, when first needed
        source = SiteFileSource.from_index(
            index,
            families=families,
            documents=ArchiveDocuments(index, scans),
            context=evaluator.context,
        )

    progress = Progress(
        args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty()),
        sum(os.path.getsize(f) for f in files),
    )
    keep_parts: list[str] = []
    # From here on Ctrl-C stops at the next line boundary (before, nothing is written yet).
    _STOP.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        if args.jobs > 1 and len(files) > 1:
            decide_parallel(
                parts=keep_parts, args=args, files=files, scans=scans, evaluator=evaluator, source=source,
                out=out, totals=totals, progress=progress, report=report,
            )  # fmt: skip
        else:
            _decide_serial(
                args=args, files=files, scans=scans, evaluator=evaluator, source=source,
                out=out, totals=totals, progress=progress, report=report,
            )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
        progress.update(totals, sum(os.path.getsize(f) for f in files), force=True)
        progress.close()
        for part in keep_parts:
            if os.path.exists(part):
                os.unlink(part)
        summary(totals, files, args, time.monotonic() - started)
    return 1 if totals.unreadable else 0


def _write(out: TextIO, line: str) -> None:
    """Write one whole line and flush it; Ctrl-C takes effect only between lines."""
    out.write(line + "\n")
    out.flush()
    if _STOP:
        raise KeyboardInterrupt


def _decide_serial(
    *,
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
    from optout_middleware.warc import decide_archive  # noqa: PLC0415
    from optout_middleware.warc.keep import KeepWriter  # noqa: PLC0415

    keep = KeepWriter(args.keep) if args.keep else None
    done = 0
    try:
        for path, scan in zip(files, scans, strict=False):
            for result in decide_archive(
                path,
                evaluator=evaluator,
                source=source,
                scan=scan,
                keep=keep,
                on_error=functools.partial(report, path),
                label=_label(path, args),
            ):
                totals.add(*outcome(result))
                _write(out, result.to_json())
                progress.update(totals, done + result.offset)
            done += os.path.getsize(path)
    finally:
        if keep is not None:
            keep.close()


def _label(path: str, args: argparse.Namespace) -> str:
    """The name results carry: the file as given, or ``-`` for stdin."""
    return path if path in args.files else "-"
