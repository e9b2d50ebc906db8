"""The ``optout`` command: its argument parser and the dispatch to the commands.

``optout check URL`` (:mod:`.check`) shows what the middleware would decide for a URL;
``optout report AUDIT...`` (:mod:`.report`) turns audit files into an HTML report; ``optout
warc`` (:mod:`.warc`) re-checks archived responses. This module owns the options ``check``
shares with the others (their validation), logging to stderr, and the one-line errors.

Exit status: 0 not reserved (or nothing said), 1 reserved, 2 usage or network error (the page
itself could not be fetched; a site file that cannot be fetched is an outcome, not an error).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from optout_middleware import agents
from optout_middleware.agents import DEFAULT_AGENT_TOKENS
from optout_middleware.errors import OptOutError
from optout_middleware.verdict import Purpose

from .check import product_token, run_check, signal_parsers
from .fetch import DEFAULT_TIMEOUT_SECS, DEFAULT_USER_AGENT
from .render import printable, render_json, render_text
from .report import add_report_command, run_report
from .warc import add_command as add_warc_command
from .warc import run as run_warc

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["build_parser", "main", "product_token"]

_PROG = "optout"
_signals = signal_parsers  # cli/warc.py imports it from here


def _purpose(value: str) -> Purpose:
    try:
        return Purpose.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _user_agent(value: str) -> str:
    product_token(value)  # validates
    if not value.strip() or any(c in value for c in "\r\n\0"):
        raise argparse.ArgumentTypeError("user agent must be one line of text")
    return value.strip()


def _agents(value: str) -> tuple[str, ...]:
    """Comma-separated tokens; an item ending in ``.json`` is a local ai.robots.txt robots.json
    whose training entries are read (as OPTOUT_AI_USER_AGENTS reads it)."""
    tokens: list[str] = []
    for item in (a.strip() for a in value.split(",")):
        if not item:
            continue
        if item.lower().endswith(".json"):
            try:
                tokens.extend(agents.read_robots_json(item))
            except OptOutError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        else:
            tokens.append(item)
    return tuple(dict.fromkeys(tokens))


def _timeout(value: str) -> float:
    try:
        secs = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"timeout {value!r} is not a number") from None
    if not (math.isfinite(secs) and 0 < secs <= 3600):  # noqa: PLR2004
        raise argparse.ArgumentTypeError(f"timeout {value!r} must be between 0 and 3600 seconds")
    return secs


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="See which machine-readable AI opt-out signals a URL carries, and the "
        "verdict optout-middleware would reach for it (check); turn audit files into a "
        "compliance report (report).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="fetch a URL and its site files and show the verdict",
        description="Fetch URL's /robots.txt, /ai.txt and /.well-known/tdmrep.json, then URL "
        "itself, and show every opt-out signal and the verdict. Exit status: 0 not reserved or "
        "nothing said, 1 reserved, 2 usage or network error.",
    )
    check.add_argument("url", metavar="URL", help="an http:// or https:// URL")
    check.add_argument(
        "--purpose",
        type=_purpose,
        default=Purpose.TRAIN_AI,
        metavar="{" + ",".join(p.value for p in Purpose) + "}",
        help="what the content would be used for (default: train-ai)",
    )
    check.add_argument(
        "--user-agent",
        type=_user_agent,
        default=DEFAULT_USER_AGENT,
        metavar="UA",
        help="the User-Agent header sent; its leading product token (e.g. 'optout-middleware' "
        f"in the default) is the crawler's robots.txt token (default: {DEFAULT_USER_AGENT!r})",
    )
    check.add_argument(
        "--agents",
        type=_agents,
        default=DEFAULT_AGENT_TOKENS,
        metavar="TOKENS",
        help="comma-separated AI crawler tokens whose robots.txt rules and scoped directives "
        "count as opt-outs; an item ending in .json is a local copy of ai.robots.txt's "
        "robots.json, whose training crawlers are read (default: the training crawlers of "
        "optout_middleware.agents)",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT_SECS,
        metavar="SECS",
        help="seconds allowed to connect, for each read, and for each whole download "
        f"(default: {DEFAULT_TIMEOUT_SECS:g})",
    )
    check.add_argument(
        "--no-page", action="store_true", help="do not fetch URL itself: site-wide files only"
    )
    check.add_argument(
        "--embedded-in",
        metavar="PAGE_URL",
        help="URL is an image presented by PAGE_URL: fetch that page too and apply its noai / "
        "noimageai to the image, as the middleware does for images reached from a page",
    )
    add_report_command(commands)
    add_warc_command(commands)
    return parser


class _OneLine(logging.Formatter):
    """Warnings from the library (a parser that failed) as one line each, without a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{_PROG}: warning: {printable(record.getMessage())}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status and never raises (argparse's exit aside)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    library_logger = logging.getLogger("optout_middleware")
    library_logger.addHandler(handler)
    library_logger.propagate = False
    try:
        if args.command == "report":
            return run_report(args, _version())
        if args.command == "warc":
            return run_warc(args)
        report = run_check(args)
        sys.stdout.write(render_json(report) if args.json else render_text(report))
        sys.stdout.flush()
    except KeyboardInterrupt:
        print(f"{_PROG}: error: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `optout check URL | head`: the reader left; nothing to report
        return 2
    except Exception as exc:  # noqa: BLE001  (one line, never a traceback)
        message = str(exc).strip().splitlines()
        text = printable(message[0] if message else type(exc).__name__)
        print(f"{_PROG}: error: {text}", file=sys.stderr)
        return 2
    finally:
        library_logger.removeHandler(handler)
        library_logger.propagate = True
    return 1 if report.verdict.reserved else 0


def _version() -> str:
    try:
        return version("optout-middleware")
    except PackageNotFoundError:
        return "unknown"
