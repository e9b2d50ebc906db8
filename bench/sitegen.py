"""Deterministic inputs: robots.txt files, query URLs, tdmrep.json, ai.txt and HTML pages.

Every generator takes a ``random.Random`` seeded by the caller with a fixed string, so the
benchmark, the crawl site and the memory test see the same bytes on every run and machine.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

__all__ = [
    "GROUPS",
    "RobotsSpec",
    "ai_txt",
    "html_page",
    "query_urls",
    "robots_stats",
    "robots_txt",
    "rsl_document",
    "tdmrep_json",
]

# 20 groups, 27 user-agent lines: the shape robots-parsers.md section 3 measured.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("*",),
    ("Googlebot",),
    ("Googlebot-Image", "Googlebot-News"),
    ("Bingbot",),
    ("Applebot",),
    ("GPTBot",),
    ("ChatGPT-User", "OAI-SearchBot"),
    ("CCBot",),
    ("Google-Extended",),
    ("ClaudeBot", "anthropic-ai", "Claude-Web"),
    ("PerplexityBot",),
    ("Bytespider",),
    ("Applebot-Extended",),
    ("meta-externalagent", "FacebookBot"),
    ("Amazonbot",),
    ("cohere-ai",),
    ("Diffbot",),
    ("YandexBot", "Baiduspider"),
    ("DuckDuckBot",),
    ("Timpibot", "Omgilibot"),
)
_AI_GROUPS = frozenset(range(5, 17)) | {19}
_STAR_SHARE = 0.31  # of all rules, in the "*" group
_GPTBOT_SHARE = 0.052

# Sections a crawl never visits (safe to disallow for "*") and content sections it does.
_PRIVATE = (
    "admin", "wp-admin", "cart", "checkout", "account", "api", "tmp", "cgi-bin", "login",
    "internal", "staging", "preview", "drafts", "user", "session", "export",
)  # fmt: skip
_CONTENT = (
    "blog", "help", "products", "category", "tag", "news", "articles", "guides", "docs",
    "shop", "media", "images", "downloads", "feeds", "events", "jobs", "press",
)  # fmt: skip
_WORDS = (
    "data", "model", "river", "market", "policy", "garden", "signal", "report", "winter",
    "travel", "energy", "health", "city", "music", "review", "season", "history", "design",
    "science", "kitchen", "family", "letter", "museum", "harbour", "planet", "network",
    "archive", "journal", "nature", "school", "climate", "theatre", "library", "opinion",
    "studio", "festival", "railway", "island", "forest", "bridge", "mountain", "sport",
)  # fmt: skip
_SAFE_WILDCARDS = (
    "/*?sessionid=", "/*?*sort=", "/*.pdf$", "/*/print$", "/search/*/page", "/admin/*.php",
    "/*?replytocom=", "/*.json$", "/*/feed/$", "/temp/*", "/*?*utm_",
)  # fmt: skip
_EXTS = ("html", "htm", "php", "pdf", "jpg", "png", "json", "xml", "js", "css")


@dataclass(frozen=True, slots=True)
class RobotsSpec:
    """What one generated robots.txt holds (for the table)."""

    size: int
    groups: int
    agent_lines: int
    rules: int
    wildcard_rules: int


def _slug(rng: random.Random, words: int = 3) -> str:
    return "-".join(rng.choice(_WORDS) for _ in range(rng.randint(1, words)))


def _rule_path(rng: random.Random, *, wildcard: bool, safe: bool) -> str:
    if safe:
        if wildcard:
            return rng.choice(_SAFE_WILDCARDS)
        return f"/{rng.choice(_PRIVATE)}/{_slug(rng)}-{rng.randrange(10_000)}/"
    section = rng.choice(_CONTENT + _PRIVATE)
    if not wildcard:
        depth = rng.randint(0, 2)
        parts = [section] + [f"{_slug(rng, 2)}-{rng.randrange(10_000)}" for _ in range(depth)]
        return "/" + "/".join(parts) + rng.choice(("/", "", ".html"))
    kind = rng.randrange(6)
    if kind == 0:
        return f"/*.{rng.choice(_EXTS)}$"
    if kind == 1:
        return f"/{section}/*/{_slug(rng)}-{rng.randrange(1000)}"
    if kind == 2:
        return f"/*?*{rng.choice(_WORDS)}{rng.randrange(100)}="
    if kind == 3:
        return f"/{section}/{_slug(rng)}*.{rng.choice(_EXTS)}$"
    if kind == 4:
        return f"/*/{rng.choice(_WORDS)}-{rng.randrange(10_000)}/*"
    return f"/{section}/{rng.randrange(10_000)}/*?{rng.choice(_WORDS)}=*"


def robots_txt(
    rng: random.Random,
    *,
    rules: int,
    wildcard_share: float,
    crawl_safe: bool = False,
    extensions: bool = True,
) -> str:
    """A robots.txt with the 20 groups above, ``rules`` Allow/Disallow lines in all.

    ``crawl_safe`` keeps the "*" group off the content pages a crawl visits (bar ``/private/``),
    so that Scrapy's robots.txt parser and ours drop the same requests.
    """
    rest = (1.0 - _STAR_SHARE - _GPTBOT_SHARE) / (len(GROUPS) - 2)
    out = [
        "# robots.txt generated for the optout-middleware benchmark",
        "# As a condition of accessing this website, you agree to abide by the following",
        "# content signals: search, ai-input, ai-train (yes = allowed, no = not allowed).",
        "",
    ]
    for index, agents in enumerate(GROUPS):
        share = _STAR_SHARE if index == 0 else _GPTBOT_SHARE if agents == ("GPTBot",) else rest
        count = max(1, round(rules * share))
        out.extend(f"User-agent: {agent}" for agent in agents)
        lines: list[str] = []
        if index == 0:
            if extensions:
                out.append("Content-Signal: search=yes, ai-train=no")
                out.append("Content-Usage: train-ai=n")
                out.append("Content-Usage: /press/ train-ai=y")
            lines.append("Disallow: /private/")
        elif agents == ("GPTBot",):
            lines += ["Allow: /blog/", "Allow: /help/", "Disallow: /"]
        elif index in _AI_GROUPS:
            lines.append("Disallow: /")
            if extensions and index == 7:  # CCBot
                out.append("DisallowAITraining: /")
        elif index == 3:
            out.append("Crawl-delay: 2")
        safe = crawl_safe and index == 0
        while len(lines) < count:
            wild = rng.random() < wildcard_share
            verb = "Allow" if rng.random() < 0.18 else "Disallow"
            path = _rule_path(rng, wildcard=wild, safe=safe)
            if safe and verb == "Allow":
                path = "/" + rng.choice(_PRIVATE) + "/public/"
            lines.append(f"{verb}: {path}")
        out.extend(lines)
        out.append("")
    out.extend(
        [
            "Sitemap: https://www.example.com/sitemap.xml",
            "Sitemap: https://www.example.com/news-sitemap.xml",
            "",
        ]
    )
    return "\n".join(out)


def robots_stats(text: str) -> RobotsSpec:
    """Count the groups, user-agent lines and rules of a generated file."""
    groups = agents = rules = wild = 0
    previous_agent = False
    for line in text.splitlines():
        field, _, value = line.partition(":")
        field = field.strip().lower()
        if field == "user-agent":
            agents += 1
            groups += not previous_agent
            previous_agent = True
            continue
        previous_agent = False
        if field in ("allow", "disallow"):
            rules += 1
            wild += "*" in value or "$" in value
    return RobotsSpec(len(text.encode()), groups, agents, rules, wild)


def query_urls(
    rng: random.Random, text: str, count: int, host: str = "https://www.example.com"
) -> list[str]:
    """Realistic URLs: a third built from the file's own rules, about 30 % with a query."""
    patterns = [
        line.partition(":")[2].strip()
        for line in text.splitlines()
        if line.lower().startswith(("allow:", "disallow:"))
    ]
    urls = []
    for i in range(count):
        if i % 3 == 0 and patterns:
            pattern = rng.choice(patterns).rstrip("$")
            path = pattern.replace("*", f"{_slug(rng)}/{rng.randrange(1000)}", 2).replace("*", "")
            path += rng.choice(("", "", "index.html", f"{_slug(rng)}.html"))
        else:
            section = rng.choice(_CONTENT + _PRIVATE)
            depth = rng.randint(1, 3)
            parts = [f"{_slug(rng)}-{rng.randrange(100_000)}" for _ in range(depth)]
            path = f"/{section}/" + "/".join(parts) + rng.choice(("", "/", ".html", ".jpg"))
        if "?" not in path and rng.random() < 0.3:
            path += f"?page={rng.randrange(50)}&sort={rng.choice(_WORDS)}"
        urls.append(host + path)
    return urls


def tdmrep_json(rng: random.Random) -> str:
    """A TDMRep site file: specific rules before the general one, some with a policy."""
    rules: list[dict[str, object]] = [
        {"location": f"/{rng.choice(_CONTENT)}/{_slug(rng)}/", "tdm-reservation": 0}
        for _ in range(rng.randint(1, 6))
    ]
    rules.append(
        {
            "location": "/*.pdf$",
            "tdm-reservation": 1,
            "tdm-policy": "https://www.example.com/tdm/policy.json",
        }
    )
    rules.append({"location": "/", "tdm-reservation": rng.choice((0, 1, 1))})
    return json.dumps(rules, indent=2)


def rsl_document(*, prohibit_train: str | None) -> str:
    """An RSL 1.0 licence document: everything free to use (``prohibit_train=None``), or free
    except ``ai-train`` under the path ``prohibit_train`` (a section of the site)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rsl xmlns="https://rslstandard.org/rsl">',
        '  <content url="/">',
        '    <license><permits type="usage">all</permits></license>',
        "  </content>",
    ]
    if prohibit_train is not None:
        parts += [
            f'  <content url="{prohibit_train}">',
            '    <license><prohibits type="usage">ai-train</prohibits></license>',
            "  </content>",
        ]
    parts.append("</rsl>")
    return "\n".join(parts) + "\n"


_IMAGE_EXTS = ("jpg", "jpeg", "png", "gif", "webp", "svg", "tif", "tiff", "bmp", "ico", "psd")
_TEXT_EXTS = ("txt", "pdf", "doc", "docx", "html", "htm", "md", "rtf", "xml", "epub")


def ai_txt(rng: random.Random) -> str:
    """A Spawning-generator-shaped ai.txt (including its stray "/" lines)."""
    lines = ["# Spawning AI", "/", "User-agent: *", "/"]
    images_off = rng.random() < 0.7
    text_off = rng.random() < 0.4
    lines.extend(f"{'Disallow' if images_off else 'Allow'}: *.{ext}" for ext in _IMAGE_EXTS)
    lines.extend(f"{'Disallow' if text_off else 'Allow'}: *.{ext}" for ext in _TEXT_EXTS)
    lines.append("Disallow: /" if text_off else "Allow: /")
    return "\n".join(lines) + "\n"


# A pool of paragraphs, built once: pages are assembled from it, so generating 200 MB is fast.
_POOL_RNG = random.Random("bench-paragraph-pool")
_PARAGRAPHS = tuple(
    " ".join(_POOL_RNG.choice(_WORDS) for _ in range(_POOL_RNG.randint(40, 220))).capitalize() + "."
    for _ in range(256)
)
_CSS = "".join(
    f".c{i} .{_POOL_RNG.choice(_WORDS)}{{margin:{i % 7}px {i % 5}px;color:#{i * 2654435761 % 0xFFFFFF:06x}}}"
    for i in range(400)
)
_JS = "".join(
    f"function f{i}(a,b){{return window.{_POOL_RNG.choice(_WORDS)}&&a+b*{i};}}" for i in range(300)
)


def _head(rng: random.Random, origin: str, path: str, signals: dict[str, str]) -> str:
    title = _slug(rng).replace("-", " ").title()
    parts = [
        '<meta charset="utf-8">',
        f"<title>{title} | Bench Site</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="description" content="{rng.choice(_PARAGRAPHS)[:150]}">',
        f'<link rel="canonical" href="{origin}{path}">',
        f'<meta property="og:title" content="{title}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:image" content="{origin}/images/{rng.randrange(9999)}.jpg">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<link rel="preconnect" href="https://cdn.example.net">',
        f'<link rel="stylesheet" href="/static/css/main.{rng.randrange(16**8):08x}.css">',
        '<link rel="icon" href="/favicon.ico">',
        f'<link rel="alternate" type="application/rss+xml" href="{origin}/feed.xml">',
    ]
    parts.append(signals.get("robots", '<meta name="robots" content="index, follow">'))
    parts.extend(v for k, v in signals.items() if k != "robots")
    css_from = rng.randrange(len(_CSS) // 2)
    parts.append(f"<style>{_CSS[css_from : css_from + rng.randint(1500, 6000)]}</style>")
    ld = {"@context": "https://schema.org", "@type": "Article", "headline": title}
    parts.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    js_from = rng.randrange(len(_JS) // 2)
    parts.append(f"<script>{_JS[js_from : js_from + rng.randint(1000, 5000)]}</script>")
    parts.append('<script async src="https://analytics.example.net/tag.js"></script>')
    return "<head>\n" + "\n".join(parts) + "\n</head>"


def html_page(
    rng: random.Random,
    origin: str,
    path: str,
    size: int,
    *,
    signals: dict[str, str] | None = None,
    links: tuple[str, ...] = (),
) -> bytes:
    """A page of about ``size`` bytes with a realistic head (meta, links, inline CSS and JS)."""
    head = _head(rng, origin, path, signals or {})
    nav = "".join(f'<li><a href="{href}">{href.rsplit("/", 1)[-1]}</a></li>' for href in links)
    start = f'<!DOCTYPE html>\n<html lang="en">\n{head}\n<body>\n<nav><ul>{nav}</ul></nav>\n'
    body = [start, "<main><article>\n"]
    length = len(start)
    while length < size - 200:
        paragraph = f"<p>{rng.choice(_PARAGRAPHS)}</p>\n"
        body.append(paragraph)
        length += len(paragraph)
    body.append("</article></main>\n<footer><p>&copy; Bench Site</p></footer>\n</body>\n</html>\n")
    return "".join(body).encode()
