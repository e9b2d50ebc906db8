"""``optout check URL``: what the middleware would decide for one URL, fetched as it fetches.

This module owns the check itself: the site files of each origin the URL and its redirects
touch (each origin once, its files concurrently), the RSL documents robots.txt and the page
name, the page (and, with ``--embedded-in``, the page presenting an image), and the verdicts
before and after download, gathered into a :class:`~.render.Report`. The argument parser and the
dispatch of commands are :mod:`.main`'s; rendering is :mod:`.render`'s.

It downloads what the middleware downloads (the origin's ``/robots.txt``, ``/ai.txt`` and
``/.well-known/tdmrep.json``, the RSL documents robots.txt names, then the page and the RSL
documents it links to) with the same caps, timeouts and redirect limits,
reads the site files through :mod:`optout_middleware.sitepolicy` and decides through
:class:`~optout_middleware.evaluate.Evaluator`: no rule is implemented here.
"""

from __future__ import annotations

import argparse
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from optout_middleware import agents
from optout_middleware.errors import OptOutError
from optout_middleware.evaluate import Evaluator, builtin_signals
from optout_middleware.inputs import Context, HeaderList, ResponseView
from optout_middleware.plugin import load_signals
from optout_middleware.signals.pageimages import embedded_evidence
from optout_middleware.signals.rsl import NO_DOCUMENT, page_associations, site_associations
from optout_middleware.sitepolicy import (
    MAX_REDIRECTS,
    RSL_MAX_BYTES,
    SITE_FILE_PATHS,
    SIZE_CAPS,
    build_site_files,
    origin_of,
    read_rsl_document,
    read_site_file,
    robots_forbids,
    site_file_url,
)

from .fetch import PAGE_MAX_BYTES, PAGE_MAX_REDIRECTS, Fetched, Fetcher
from .images import fetch_embedding_page
from .render import (
    AFTER_DOWNLOAD,
    DROPPED_AFTER,
    DROPPED_BEFORE,
    KEPT,
    KEPT_RESERVED,
    REFUSED,
    Report,
)

if TYPE_CHECKING:
    from optout_middleware.formats.rsl import RslDocument
    from optout_middleware.inputs import SiteFile, SiteFiles
    from optout_middleware.plugin import SignalParser
    from optout_middleware.verdict import Verdict

__all__ = ["CheckError", "product_token", "run_check", "signal_parsers"]


class CheckError(OptOutError):
    """A check that cannot give a verdict: bad URL, or the page itself unreachable (exit 2)."""


# The product token keeps every character a robots.txt group can match (agents.product_token).
def product_token(user_agent: str) -> str:
    """The robots.txt product token of a User-Agent: its leading run of letters, digits, '.',
    '-' and '_'."""
    token = agents.product_token(user_agent)
    if token is None:
        raise argparse.ArgumentTypeError(
            f"user agent {user_agent!r} must start with a product token (letters, digits, '.', '-' or '_')"
        )
    return token


def run_check(args: argparse.Namespace) -> Report:
    """Fetch and decide ``args.url`` as ``optout check`` was asked to (see :mod:`.check`)."""
    url = _validated_url(args.url)
    token = product_token(args.user_agent)
    context = Context(user_agent=token, ai_agents=args.agents)
    evaluator = Evaluator(args.purpose, context, signal_parsers())
    fetcher = Fetcher(user_agent=args.user_agent, timeout=args.timeout)
    sites = _SiteCache(fetcher, context)
    common: dict[str, Any] = {
        "url": args.url,
        "user_agent": args.user_agent,
        "robots_agent": token,
        "rsl_documents": sites.rsl,
    }

    if args.embedded_in is not None and args.no_page:
        raise CheckError("--embedded-in needs the image itself: it cannot go with --no-page")
    page_url = None if args.embedded_in is None else _validated_url(args.embedded_in)
    if args.no_page:
        site, fetches = sites.get(origin_of(url))
        before = evaluator.before_download(url, site)
        step = _Step(url, before, robots_forbids(site.robots, url, token))
        return Report(
            verdict=before,
            site=site,
            fetches=fetches,
            decided_at=url,
            robots=_robots(token, [step]),
            crawl=_crawl_outcomes([step], None),
            **common,
        )

    sites.get(origin_of(url))  # the middleware reads the site files before the first request
    page = fetcher.fetch(url, max_bytes=PAGE_MAX_BYTES, max_redirects=PAGE_MAX_REDIRECTS)
    if page.status is None or page.error is not None:
        raise CheckError(f"cannot fetch {url}: {page.error or 'no response'}")
    # Each redirect hop and the final URL is a new request to the middleware, checked before
    # download on its own origin's files (and, with ROBOTSTXT_OBEY, against our own agent).
    steps = []
    for target in (*page.hops, page.final_url):
        site, fetches = sites.get(origin_of(target))
        before = evaluator.before_download(target, site)
        steps.append(_Step(target, before, robots_forbids(site.robots, target, token)))
    view = ResponseView(
        page.final_url,
        status=page.status,
        headers=HeaderList(page.headers),
        body=page.body,
        head_interest=evaluator.head_interest,
    )
    linked = [a.url for a in page_associations(view) if a.url and a.inline is None]
    if linked:  # the page's own RSL documents, as the middleware reads them before the spider
        view.rsl_documents = sites.rsl_documents(linked)
    embedding = site_evidence = None
    if page_url is not None:  # the page's noai/noimageai, as the middleware carries it
        embedding = fetch_embedding_page(
            fetcher, page_url, (url, *page.hops, page.final_url), context
        )
        extra = embedded_evidence(view, embedding.directives)
        site_evidence = (*evaluator.site_evidence(page.final_url, site), *extra)
    final = evaluator.after_download(view, site, site_evidence)
    common["robots"] = _robots(token, steps)
    common["crawl"] = _crawl_outcomes(steps, final)
    # A hop that site files reserve for good is where drop mode stops: its verdict is shown.
    for step in steps[:-1]:
        if _dropped_before(step.verdict):
            hop_site, hop_fetches = sites.get(origin_of(step.url))
            return Report(
                verdict=step.verdict,
                site=hop_site,
                fetches=hop_fetches,
                page=page,
                decided_at=step.url,
                **common,
            )
    return Report(
        verdict=final,
        site=site,
        fetches=fetches,
        page=page,
        decided_at=page.final_url,
        image=view.image if view.image.kind is not None else None,
        embedded_in=embedding,
        **common,
    )


class _Step(NamedTuple):
    """One request the middleware would see: its URL, verdict before download, and why our
    own agent may not fetch it (None: it may)."""

    url: str
    verdict: Verdict
    forbidden: str | None


def _dropped_before(verdict: Verdict) -> bool:
    """Drop mode drops before download what site files reserve and the page cannot lift."""
    return bool(verdict.reserved) and not verdict.overridable


def _robots(token: str, steps: list[_Step]) -> dict[str, Any]:
    """The ROBOTSTXT_OBEY answer: the first request of the chain our agent may not fetch, else
    the last one, allowed."""
    refused = next((s for s in steps if s.forbidden is not None), None)
    step = refused or steps[-1]
    return {"agent": token, "url": step.url, "allowed": refused is None, "reason": step.forbidden}


def _crawl_outcomes(steps: list[_Step], final: Verdict | None) -> dict[str, str]:
    """What a crawl with ROBOTSTXT_OBEY would do with the URL, in drop mode and in tag mode,
    following the middleware's order: site-file reservation, then robots.txt, then the page."""
    drop = tag = ""
    for step in steps:
        if not drop and _dropped_before(step.verdict):
            drop = DROPPED_BEFORE
        if step.forbidden is not None:
            drop = drop or REFUSED
            tag = tag or REFUSED
    if final is None:  # --no-page: what the page says is not known
        return {"drop": drop or AFTER_DOWNLOAD, "tag": tag or AFTER_DOWNLOAD}
    return {
        "drop": drop or (DROPPED_AFTER if final.reserved else KEPT),
        "tag": tag or (KEPT_RESERVED if final.reserved else KEPT),
    }


class _SiteCache:
    """Site files per origin, each origin fetched once (its three files concurrently), and
    RSL documents by URL, each fetched once (``rsl`` keeps every one read, in order)."""

    __slots__ = ("_context", "_done", "_fetcher", "rsl")

    def __init__(self, fetcher: Fetcher, context: Context) -> None:
        self._fetcher = fetcher
        self._context = context
        self._done: dict[str, tuple[SiteFiles, dict[str, Fetched]]] = {}
        self.rsl: dict[str, SiteFile[RslDocument]] = {}

    def rsl_documents(self, urls: list[str]) -> dict[str, SiteFile[RslDocument]]:
        """The RSL documents at ``urls`` (fetched concurrently, each URL once per check)."""
        missing = [u for u in dict.fromkeys(urls) if u not in self.rsl]
        if missing:
            with ThreadPoolExecutor(max_workers=min(len(missing), 8)) as pool:
                fetched = pool.map(
                    lambda u: self._fetcher.fetch(
                        u, max_bytes=RSL_MAX_BYTES, max_redirects=MAX_REDIRECTS
                    ),
                    missing,
                )
                for url, result in zip(missing, fetched, strict=True):
                    self.rsl[url] = read_rsl_document(result.as_fetch_result())
        return {u: self.rsl[u] for u in urls}

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
            site = build_site_files(origin, files)
            named = site_associations(site, self._context)
            if named:  # robots.txt License: documents, read before any page (as the middleware)
                read = self.rsl_documents([a.url for a in named if a.url])
                site = dataclasses.replace(site, rsl=tuple(read.values()) or (NO_DOCUMENT,))
            self._done[origin] = (site, fetches)
        return self._done[origin]


def signal_parsers() -> list[SignalParser]:
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
