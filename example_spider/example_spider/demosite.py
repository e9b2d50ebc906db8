"""The bundled demo site: twelve origins on loopback showing every opt-out signal family.

``ORIGINS`` is the site as data: each origin's site files and pages, and for every page what a
``train-ai`` crawl should do with it (``Page.expect``) and why. ``DemoSite`` serves it::

    with DemoSite() as site:          # binds 127.0.0.2, 127.0.0.3, ... on free ports
        start = site.url("home")      # the index page, which links every page of every origin
        ...
        site.requested                # [(origin name, path), ...] in arrival order

Run ``python -m example_spider.demosite`` (from ``example_spider/``) to browse it by hand.
Standard library only: the benchmark imports it too.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .demofiles import (
    AIPREF_ROBOTS,
    ALL_ROBOTS,
    CLOUDFLARE_ROBOTS,
    CSS,
    GPTBOT_ROBOTS,
    JPEG,
    MS_DRAFT_ROBOTS,
    PDF,
    PNG,
    RSL_LICENSE,
    RSL_PAGE_LICENSE,
    RSL_ROBOTS,
    SPAWNING_AITXT,
    TDM_POLICY,
    TDMREP_JSON,
)
from .loopback import Expect, LoopbackSites, Origin, Page

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ORIGINS", "DemoSite", "Expect", "Origin", "Page"]

KEEP, BEFORE, AFTER = Expect.KEEP, Expect.DROP_BEFORE, Expect.DROP_AFTER
TEXT = "text/plain; charset=utf-8"
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
RSL_XML = "application/rsl+xml"
_RSL_LINK = '<${self}/syndicated-license.xml>; rel="license"; type="application/rsl+xml"'


def doc(title: str, main: str, *, head: str = "", lang: str = "en") -> str:
    """A complete HTML document with a real ``<head>`` and the demo's navigation."""
    extra = f"\n{head.strip()}" if head else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/site.css">
<meta name="description" content="Part of the optout-middleware demo site.">{extra}
</head>
<body>
<nav><a href="${{home}}/">All demo origins</a> | <a href="${{self}}/">This origin</a></nav>
<main>
<h1>{html.escape(title)}</h1>
{main.strip()}
</main>
</body>
</html>
"""


def page(
    path: str,
    title: str,
    expect: str,
    why: str,
    *,
    links: tuple[str, ...] = (),
    main: str = "",
    head: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    expect_tagged: str | None = None,
) -> Page:
    """An HTML page listed on the index; ``links`` are hrefs listed after the text."""
    items = "".join(f'<li><a href="{href}">{html.escape(href)}</a></li>' for href in links)
    body = (main or LOREM) + (f"\n<ul>{items}</ul>" if items else "")
    return Page(
        path,
        doc(title, body, head=head),
        headers=headers,
        title=title,
        expect=expect,
        why=why,
        expect_tagged=expect_tagged,
    )


def site_file(path: str, body: str | bytes, *, status: int = 200, ctype: str = TEXT) -> Page:
    """A site file (robots.txt, ai.txt, tdmrep.json) or an error standing in for one."""
    return Page(path, body, status=status, content_type=ctype)


def common(*pages: Page) -> tuple[Page, ...]:
    """``pages`` plus the stylesheet every page links to."""
    return (*pages, Page("/site.css", CSS, content_type="text/css"))


LOREM = "<p>Plain text for the crawler to keep or drop. Nothing on this page says more.</p>"
_GPTBOT = "robots.txt: User-agent: GPTBot / Disallow: /"
_NO_TRAIN = "robots.txt Content-Usage: train-ai=n"
_BLOG = "robots.txt Content-Usage: /blog/ train-ai=y"
_TDM_AFTER = "tdmrep.json rule 3: / reserved; fetched, as the page could lift it (TDMRep 1.4)"
_UNREACHABLE = "robots.txt 503: complete disallow (and crawling forbidden)"
_ALL = "all site files reserve"

# A table, one resource per entry: kept compact on purpose.
# fmt: off
_SITES: tuple[Origin, ...] = (
    Origin(
        "gptbot-blocked",
        "127.0.0.3",
        "robots.txt disallows GPTBot (a training crawler) and allows everyone else.",
        common(
            site_file("/robots.txt", GPTBOT_ROBOTS),
            page("/", "No GPTBot", BEFORE, _GPTBOT, links=("/article.html",)),
            page("/article.html", "An article", BEFORE, _GPTBOT),
        ),
    ),
    Origin(
        "content-usage",
        "127.0.0.4",
        "aipref: robots.txt Content-Usage train-ai=n, with /blog/ train-ai=y; one blog post "
        "sends its own Content-Usage header.",
        common(
            site_file("/robots.txt", AIPREF_ROBOTS),
            page("/", "AI preferences", BEFORE, _NO_TRAIN, links=("/blog/",)),
            page("/about.html", "About us", BEFORE, _NO_TRAIN),
            page("/blog/", "Blog", KEEP, _BLOG + " (longest match)",
                 links=("first-post.html", "no-train.html")),
            page("/blog/first-post.html", "First post", KEEP, _BLOG),
            page("/blog/no-train.html", "Not for training", AFTER,
                 "header Content-Usage: train-ai=n beats robots.txt /blog/ train-ai=y",
                 headers=(("Content-Usage", "train-ai=n, search=y"),)),
        ),
    ),
    Origin(
        "cloudflare",
        "127.0.0.5",
        "Cloudflare managed robots.txt: Content-Signal search=yes, ai-train=no; one page sends "
        "a conflicting Content-Signal header ai-train=yes.",
        common(
            site_file("/robots.txt", CLOUDFLARE_ROBOTS),
            page("/", "Behind Cloudflare", BEFORE, "robots.txt Content-Signal: ai-train=no"),
            page("/for-agents.html", "Markdown for agents", BEFORE,
                 "robots.txt ai-train=no beats header Content-Signal: ai-train=yes",
                 headers=(("Content-Signal", "ai-train=yes, search=yes, ai-input=yes"),)),
        ),
    ),
    Origin(
        "ai-training-rule",
        "127.0.0.6",
        "robots.txt DisallowAITraining: / with AllowAITraining: /open-data/ (Microsoft draft).",
        common(
            site_file("/robots.txt", MS_DRAFT_ROBOTS),
            page("/", "No AI training", BEFORE, "robots.txt DisallowAITraining: /",
                 links=("/open-data/",)),
            page("/open-data/", "Open data", KEEP,
                 "robots.txt AllowAITraining: /open-data/ (longest match)"),
        ),
    ),
    Origin(
        "tdmrep",
        "127.0.0.7",
        "TDMRep: /.well-known/tdmrep.json with ordered rules (first match wins) and a policy; "
        "a header and a meta tag override the file on single pages.",
        common(
            site_file("/.well-known/tdmrep.json", TDMREP_JSON, ctype="application/json"),
            site_file("/tdm/policy.json", TDM_POLICY, ctype="application/ld+json"),
            page("/", "TDM rights reserved", AFTER, _TDM_AFTER),
            page("/press-kit/", "Press kit", KEEP,
                 "tdmrep.json rule 1: /press-kit/ not reserved (first match wins)",
                 links=("embargoed.html",)),
            page("/press-kit/embargoed.html", "Embargoed release", AFTER,
                 "header tdm-reservation: 1 supersedes tdmrep.json's 0",
                 headers=(("tdm-reservation", "1"), ("tdm-policy", "${self}/tdm/policy.json"))),
            page("/articles/", "Articles", AFTER, _TDM_AFTER,
                 links=("open-letter.html", "report.pdf")),
            # Its meta 0 supersedes the file's 1 (specs.md 1.4): drop mode fetches the page
            # (the file's reservation can be lifted by the page) and keeps it.
            page("/articles/open-letter.html", "An open letter", KEEP,
                 "meta tdm-reservation 0 supersedes tdmrep.json rule 3 (fetched to decide)",
                 links=("report.pdf",), head='<meta name="tdm-reservation" content="0">'),
            Page("/articles/report.pdf", PDF, content_type="application/pdf", expect=AFTER,
                 title="Annual report (PDF)",
                 why="tdmrep.json rule 2: /articles/*.pdf$ reserved, with policy; no header "
                 "lifts it"),
        ),
    ),
    Origin(
        "tdm-headers",
        "127.0.0.8",
        "TDMRep by header only; /.well-known/tdmrep.json answers 500 (not a reservation).",
        common(
            site_file("/.well-known/tdmrep.json", "Internal Server Error\n", status=500),
            page("/", "Reports", KEEP, "tdmrep.json 500: unknown, not reserved",
                 links=("licensed-report.html", "open-report.html")),
            page("/licensed-report.html", "Licensed report", AFTER,
                 "header tdm-reservation: 1 (with tdm-policy)",
                 headers=(("tdm-reservation", "1"), ("tdm-policy", "${tdmrep}/tdm/policy.json"))),
            page("/open-report.html", "Open report", KEEP, "header tdm-reservation: 0",
                 headers=(("tdm-reservation", "0"),)),
        ),
    ),
    Origin(
        "robots-503",
        "127.0.0.9",
        "robots.txt answers 503: the origin is unreachable, so everything is blocked "
        "(RFC 9309: fail closed).",
        common(
            site_file("/robots.txt", "Service Unavailable\n", status=503),
            # Tag mode too: with ROBOTSTXT_OBEY an unreachable robots.txt forbids our own agent.
            page("/", "Flaky server", BEFORE, _UNREACHABLE, links=("/page.html",),
                 expect_tagged=BEFORE),
            page("/page.html", "Another page", BEFORE, _UNREACHABLE, expect_tagged=BEFORE),
        ),
    ),
    Origin(
        "page-signals",
        "127.0.0.10",
        "No site files; signals on single responses: X-Robots-Tag, robots meta, Content-Usage "
        "and Content-Signal headers, noimageai on an image.",
        common(
            page("/", "Page-level signals", KEEP, "no signal"),
            page("/x-robots-noai.html", "X-Robots-Tag noai", AFTER, "header X-Robots-Tag: noai",
                 headers=(("X-Robots-Tag", "noai"),)),
            page("/x-robots-otherbot.html", "X-Robots-Tag for another bot", KEEP,
                 "header X-Robots-Tag: otherbot: noai (scoped to another crawler)",
                 headers=(("X-Robots-Tag", "otherbot: noai"),)),
            page("/meta-noai.html", "Robots meta noai", AFTER,
                 'meta name="robots" content="noai"', head='<meta name="robots" content="noai">'),
            page("/meta-ccbot.html", "CCBot meta noai", AFTER,
                 'meta name="CCBot" content="noai" (a training crawler)',
                 head='<meta name="CCBot" content="noai">\n'
                 '<meta name="robots" content="index, follow">'),
            page("/content-usage.html", "Content-Usage header", AFTER,
                 "header Content-Usage: train-ai=n",
                 headers=(("Content-Usage", "train-ai=n, search=y"),)),
            page("/content-signal.html", "Content-Signal header", AFTER,
                 "header Content-Signal: ai-train=no",
                 headers=(("Content-Signal", "search=yes, ai-train=no"),)),
            page("/gallery.html", "Gallery", KEEP,
                 "meta robots noimageai: the page text is not an image",
                 main='<p><img src="/images/cat.png" alt="A cat" width="1" height="1"></p>',
                 head='<meta name="robots" content="noimageai">'),
            Page("/images/cat.png", PNG, content_type="image/png",
                 headers=(("X-Robots-Tag", "noimageai"),),
                 expect=AFTER, why="header X-Robots-Tag: noimageai on an image"),
        ),
    ),
    Origin(
        "spawning",
        "127.0.0.11",
        "Spawning ai.txt: Disallow *.jpg, *.jpeg, *.png; Allow *.txt and /.",
        common(
            site_file("/ai.txt", SPAWNING_AITXT),
            page("/", "Photo blog", KEEP, "ai.txt Allow: /", links=("/photos.html",)),
            page("/photos.html", "Photos", KEEP, "ai.txt Allow: /",
                 main='<p><img src="/photos/sunset.jpg" alt="Sunset" width="1" height="1"></p>',
                 links=("/photos/captions.txt",)),
            Page("/photos/sunset.jpg", JPEG, content_type="image/jpeg",
                 expect=BEFORE, why="ai.txt Disallow: *.jpg"),
            Page("/photos/captions.txt", "Sunset over the bay.\n", content_type=TEXT,
                 expect=KEEP, why="ai.txt Allow: *.txt"),
        ),
    ),
    Origin(
        "all-signals",
        "127.0.0.12",
        "Every site-file family agrees: robots.txt (GPTBot group, Content-Usage, "
        "Content-Signal, DisallowAITraining), tdmrep.json and ai.txt all reserve.",
        common(
            site_file("/robots.txt", ALL_ROBOTS),
            site_file("/.well-known/tdmrep.json", '[{"location": "/", "tdm-reservation": 1}]',
                      ctype="application/json"),
            site_file("/ai.txt", "# Spawning AI\nUser-agent: *\nDisallow: *\nDisallow: /\n"),
            page("/", "Belt and braces", BEFORE, _ALL, links=("/page.html",)),
            page("/page.html", "Another page", BEFORE, _ALL),
        ),
    ),
    Origin(
        "rsl",
        "127.0.0.13",
        "RSL 1.0 licences: robots.txt License: names /license.xml (free with attribution; paid "
        "training under /premium/; no AI under /no-ai/); one page links its own licence.",
        common(
            site_file("/robots.txt", RSL_ROBOTS),
            site_file("/license.xml", RSL_LICENSE, ctype=RSL_XML),
            site_file("/syndicated-license.xml", RSL_PAGE_LICENSE, ctype=RSL_XML),
            page("/", "Licensed with credit", KEEP,
                 "license.xml content /: permits all with attribution",
                 links=("/premium/report.html", "/no-ai/notes.html", "/syndicated.html")),
            page("/premium/report.html", "Premium report", AFTER,
                 "license.xml content /premium/: training licence required (paid)"),
            page("/no-ai/notes.html", "Not for AI", AFTER,
                 "license.xml content /no-ai/: prohibits ai-all"),
            page("/syndicated.html", "Syndicated article", AFTER,
                 "Link header rel=license RSL document prohibits ai-train (supersedes robots.txt)",
                 headers=(("Link", _RSL_LINK),)),
        ),
    ),
)

# fmt: on


def _index(origins: Iterable[Origin], home: tuple[Page, ...]) -> Page:
    """The start page: every listed page of every origin, with what should happen to it."""
    intro = (
        "<p>Each origin below is a separate web server on a loopback address. A crawl for "
        "<code>train-ai</code> should keep, or drop, each page as noted.</p>"
    )
    parts = [intro]
    for origin in origins:
        pages = home if origin.name == "home" else origin.pages
        items = "".join(
            f'<li><a href="${{{origin.name}}}{p.path}">{html.escape(p.title)}</a> '
            f"<small>({p.expect}: {html.escape(p.why)})</small></li>"
            for p in pages
            if p.title
        )
        parts.append(
            f"<h2>{html.escape(origin.name)}</h2><p>{html.escape(origin.about)}</p><ul>{items}</ul>"
        )
    return page("/", "Opt-out demo site", KEEP, "no signal", main="\n".join(parts))


_HOME_PAGES = (
    site_file("/robots.txt", "Not Found\n", status=404),
    page("/about.html", "About the demo", KEEP, "robots.txt 404: no restrictions"),
    page(
        "/licence.html",
        "Licensed CC BY-NC 4.0",
        KEEP,
        "licence link only: a licence is not a reservation",
        main=f'<p>Licensed under <a rel="license" href="{CC_BY_NC}">CC BY-NC 4.0</a>.</p>',
        head=f'<link rel="license" href="{CC_BY_NC}">',
    ),
)

_HOME = Origin("home", "127.0.0.2", "The open site: no signals; robots.txt answers 404.", ())
ORIGINS: tuple[Origin, ...] = (
    Origin(
        _HOME.name,
        _HOME.host,
        _HOME.about,
        common(_index((_HOME, *_SITES), _HOME_PAGES), *_HOME_PAGES),
    ),
    *_SITES,
)


class DemoSite(LoopbackSites):
    """The demo site's servers; ``DemoSite()`` serves ``ORIGINS`` on free ports."""

    def __init__(
        self, origins: tuple[Origin, ...] = ORIGINS, *, port: int = 0, single_host: bool = False
    ) -> None:
        super().__init__(origins, port=port, single_host=single_host)

    @property
    def start_url(self) -> str:
        """The index page, which links to every page of every origin."""
        return self.url("home")

    @classmethod
    def served_at(cls, port: int) -> DemoSite:
        """The demo site as served by another process on ``port`` (``--port``): its URLs,
        without binding anything (each origin on its own 127.0.0.x host, as on Linux)."""
        site = cls(port=port)
        site.bases.update({o.name: f"http://{o.host}:{port}" for o in site.origins})
        return site


def main(argv: list[str] | None = None) -> None:
    """Serve the demo site until interrupted; ``--port N`` serves every origin on port N (a
    cluster's workers then find it with ``-a demo_port=N``)."""
    import argparse  # noqa: PLC0415
    import time  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m example_spider.demosite")
    parser.add_argument("--port", type=int, default=0, help="one port for every origin")
    args = parser.parse_args(argv)
    with DemoSite(port=args.port) as site:
        print(f"Demo site: {site.start_url}  (Ctrl-C to stop)", flush=True)
        for name, base in site.bases.items():
            print(f"  {name:18} {base}/", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
