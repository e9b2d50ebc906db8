"""``optout report AUDIT.jsonl [MORE.jsonl ...] -o report.html``: audit files to an HTML report.

Thin: the reading and drawing are :mod:`optout_middleware.report`'s. Exit status: 0 report
written (malformed lines are reported in it and counted on stderr), 2 usage error, an audit file
that cannot be read, or a report that cannot be written.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from optout_middleware.report import render_page, summarize
from optout_middleware.report.progress import TerminalProgress

if TYPE_CHECKING:
    import argparse

__all__ = ["add_report_command", "run_report"]

DEFAULT_OUTPUT = "optout-report.html"
DEFAULT_ORIGINS = 200


def add_report_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the ``optout`` sub-commands."""
    report = commands.add_parser(
        "report",
        help="turn audit files into a self-contained HTML compliance report",
        description="Read audit files (OPTOUT_AUDIT_FILE, JSON Lines; several files are merged, "
        "e.g. one per cluster worker) and write one self-contained HTML report with totals, "
        "charts, origins, the deciding evidence with example verdicts, and the settings. "
        "Malformed lines are counted and reported, never fatal.",
    )
    report.add_argument("audits", nargs="+", metavar="AUDIT", help="audit files (JSON Lines)")
    report.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"the HTML file to write, '-' for standard output (default: {DEFAULT_OUTPUT})",
    )
    report.add_argument(
        "--origins",
        type=_positive,
        default=DEFAULT_ORIGINS,
        metavar="N",
        help=f"origins listed in the origins table (default: {DEFAULT_ORIGINS})",
    )
    report.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even on a terminal"
    )


def _positive(value: str) -> int:
    import argparse  # noqa: PLC0415  (only for the error type)

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number


def run_report(args: argparse.Namespace, version: str) -> int:
    """Run ``optout report``; errors are raised as ``OSError``/``ValueError`` for main's handler."""
    paths = [Path(p) for p in args.audits]
    total = 0
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"cannot read audit file {str(path)!r}: not a file")
        total += path.stat().st_size
    started = time.monotonic()
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        progress = TerminalProgress(total, sys.stderr)
    try:
        summary = summarize(paths, progress)
    finally:
        if progress is not None:
            progress.finish()
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    page = render_page(summary, version=version, generated=generated, top_origins=args.origins)
    if args.output == "-":
        sys.stdout.write(page)
        sys.stdout.flush()
    else:
        _write_atomically(Path(args.output), page)
    took = time.monotonic() - started
    if summary.malformed:
        print(
            f"optout: warning: {summary.malformed:,} malformed line"
            f"{'s' if summary.malformed != 1 else ''} skipped (listed in the report)",
            file=sys.stderr,
        )
    if args.output != "-":
        print(
            f"wrote {args.output}: {summary.decided:,} decisions ({summary.reserved:,} reserved) "
            f"from {len(paths)} audit file{'s' if len(paths) != 1 else ''} in {took:.1f} s"
        )
    return 0


def _write_atomically(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a reader never sees half a report."""
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
