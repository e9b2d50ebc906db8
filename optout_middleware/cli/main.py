"""The ``optout`` command: ``optout check URL`` shows what the middleware would decide for a URL.

It downloads what the middleware downloads (the origin's ``/robots.txt``, ``/ai.txt`` and
``/.well-known/tdmrep.json``, then the page) with the same caps, timeouts and redirect limits,
reads the site files through :mod:`optout_middleware.sitepolicy` and decides through
:class:`~optout_middleware.evaluate.Evaluator`: no rule is implemented here.

Exit status: 0 not reserved (or nothing said), 1 reserved, 2 usage or network error (the page
itself could not be fetched; a site file that cannot be fetched is an outcome, not an error).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from optout_middleware import agents
from optout_middleware.agents import DEFAULT_AGENT_TOKENS
from optout_middleware.errors import OptOutError
from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, HeaderList, ResponseView
from optout_middleware.plugin import load_signals
from optout_middleware.sitepolicy import (
    MAX_REDIRECTS,
    SITE_FILE_PATHS,
    SIZE_CAPS,
    build_site_files,
    origin_of,
    read_site_file,
    site_file_url,
)
from optout_middleware.verdict import Purpose

from .fetch import (
    DEFAULT_TIMEOUT_SECS,
    DEFAULT_USER_AGENT,
    PAGE_MAX_BYTES,
    PAGE_MAX_REDIRECTS,
    Fetched,
    Fetcher,
)
from .render import Report, printable, render_json, render_text
from .warc import add_command as add_warc_command
from .warc import run as run_warc

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optout_middleware.inputs import SiteFiles
    from optout_middleware.plugin import SignalParser

__all__ = ["build_parser", "main", "product_token"]

_PROG = "optout"
# RFC 9309 product-token characters; Google's parser keeps the leading run of them, as we do.


class CheckError(OptOutError):
    """A check that cannot give a verdict: bad URL, or the page itself unreachable (exit 2)."""


def product_token(user_agent: str) -> str:
    """The robots.txt product token of a User-Agent: its leading run of letters, '-' and '_'."""
    token = agents.product_token(user_agent)
    if token is None:
        raise argparse.ArgumentTypeError(
            f"user agent {user_agent!r} must start with a product token (letters, '-' or '_')"
        )
    return token


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
    return tuple(dict.fromkeys(a.strip() for a in value.split(",") if a.strip()))


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
        "verdict optout-middleware would reach for it.",
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
        "count as opt-outs (default: the training crawlers of optout_middleware.agents)",
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
        if args.command == "warc":
            return run_warc(args)
        report = _check(args)
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


def _check(args: argparse.Namespace) -> Report:
    url = _validated_url(args.url)
    token = product_token(args.user_agent)
    context = Context(user_agent=token, ai_agents=args.agents)
    evaluator = Evaluator(args.purpose, context, _signals())
    fetcher = Fetcher(user_agent=args.user_agent, timeout=args.timeout)
    sites = _SiteCache(fetcher)
    common = {"url": args.url, "user_agent": args.user_agent, "robots_agent": token}

    if args.no_page:
        site, fetches = sites.get(origin_of(url))
        return Report(
            verdict=evaluator.before_download(url, site),
            site=site,
            fetches=fetches,
            decided_at=url,
            **common,
        )

    sites.get(origin_of(url))  # the middleware reads the site files before the first request
    page = fetcher.fetch(url, max_bytes=PAGE_MAX_BYTES, max_redirects=PAGE_MAX_REDIRECTS)
    if page.status is None or page.error is not None:
        raise CheckError(f"cannot fetch {url}: {page.error or 'no response'}")
    # Each redirect is a new request to the middleware, checked before download on its own
    # origin's files: a reserved hop is where the middleware would stop.
    for hop in page.hops:
        site, fetches = sites.get(origin_of(hop))
        verdict = evaluator.before_download(hop, site)
        if verdict.reserved:
            return Report(
                verdict=verdict, site=site, fetches=fetches, page=page, decided_at=hop, **common
            )
    site, fetches = sites.get(origin_of(page.final_url))
    view = ResponseView(
        page.final_url, status=page.status, headers=HeaderList(page.headers), body=page.body
    )
    return Report(
        verdict=evaluator.after_download(view, site),
        site=site,
        fetches=fetches,
        page=page,
        decided_at=page.final_url,
        **common,
    )


class _SiteCache:
    """Site files per origin, each origin fetched once (its three files concurrently)."""

    __slots__ = ("_done", "_fetcher")

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._done: dict[str, tuple[SiteFiles, dict[str, Fetched]]] = {}

    def get(self, origin: str) -> tuple[SiteFiles, dict[str, Fetched]]:
        if origin not in self._done:
            with ThreadPoolExecutor(max_workers=len(SITE_FILE_PATHS)) as pool:
                futures = {
                    kind: pool.submit(
                        self._fetcher.fetch,
                        site_file_url(origin, kind),
                        max_bytes=SIZE_CAPS[kind],
                        max_redirects=MAX_REDIRECTS,
                    )
                    for kind in SITE_FILE_PATHS
                }
                fetches = {kind: future.result() for kind, future in futures.items()}
            files = {kind: read_site_file(kind, f.as_fetch_result()) for kind, f in fetches.items()}
            self._done[origin] = (build_site_files(origin, files), fetches)
        return self._done[origin]


def _signals() -> list[SignalParser]:
    """Built-in families, then installed plugins, as the middleware loads them (a plugin with a
    built-in family name replaces the built-in parser)."""
    custom = load_signals()
    replaced = {s.family for s in custom}
    return [*(s for s in builtin_signals() if s.family not in replaced), *custom]


def _validated_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise CheckError(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CheckError(f"URL {url!r} must be absolute, starting with http:// or https://")
    return parts._replace(fragment="").geturl()


def _version() -> str:
    try:
        return version("optout-middleware")
    except PackageNotFoundError:
        return "unknown"
