"""AI crawler user-agent tokens, by operator and by what their crawl is used for.

Facts from specs.md section 6.3 (operators' own documentation as summarised by the ai.robots.txt
project, snapshot 2026-08-22). Vendors add and retire tokens often: the table is data, users extend
it through the ``OPTOUT_AI_USER_AGENTS`` setting, and only tokens whose use is ``training`` count
by default. A robots.txt group or a scoped robots directive naming a counted token is evidence of
the publisher's wish for that token's purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, ParseError
from .formats.robotsjson import parse_robots_json
from .verdict import Purpose

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .formats.robotsjson import CrawlerEntry

__all__ = [
    "AI_AGENTS",
    "DEFAULT_AGENT_TOKENS",
    "NOT_COUNTED",
    "AgentToken",
    "AgentUse",
    "find_agent",
    "product_token",
    "read_robots_json",
    "training_tokens",
]


class AgentUse(str, Enum):
    """What an operator uses a crawler's fetches for."""

    TRAINING = "training"  # model training (incl. control tokens and open datasets)
    SEARCH = "search"  # search indexes, incl. AI search products' indexes
    USER = "user-triggered"  # fetches on a user's request, RAG and assistants

    @property
    def purpose(self) -> Purpose:
        """The normalised purpose a reservation addressed to such a token maps to."""
        return _USE_PURPOSE[self]


_USE_PURPOSE = {
    AgentUse.TRAINING: Purpose.TRAIN_AI,
    AgentUse.SEARCH: Purpose.SEARCH,
    AgentUse.USER: Purpose.AI_INPUT,
}


@dataclass(frozen=True, slots=True)
class AgentToken:
    """One product token as it appears in robots.txt ``User-agent`` lines."""

    token: str
    operator: str
    use: AgentUse


_T, _S, _U = AgentUse.TRAINING, AgentUse.SEARCH, AgentUse.USER

# Sources: "rj" is ai.robots.txt's robots.json (snapshot 738c80d, 2026-08-22), quoting or linking
# the operator; a URL is the operator's own page as robots.json links it. A training token is one
# whose operator says its fetches train models or build training datasets.
AI_AGENTS: tuple[AgentToken, ...] = (
    AgentToken("GPTBot", "OpenAI", _T),  # platform.openai.com/docs/bots: trains generative models
    AgentToken("OAI-SearchBot", "OpenAI", _S),
    AgentToken("ChatGPT-User", "OpenAI", _U),
    AgentToken("ChatGPT Agent", "OpenAI", _U),
    AgentToken("ClaudeBot", "Anthropic", _T),  # support.anthropic.com/en/articles/8896518
    AgentToken("anthropic-ai", "Anthropic", _T),  # legacy, still widely blocked (rj)
    AgentToken("Claude-Web", "Anthropic", _T),  # legacy, still widely blocked
    AgentToken("Claude-SearchBot", "Anthropic", _S),
    AgentToken("Claude-User", "Anthropic", _U),
    # developers.google.com/search/docs/crawling-indexing/overview-google-crawlers: Gemini
    # training and grounding (a control token, no crawler of its own)
    AgentToken("Google-Extended", "Google", _T),
    AgentToken("GoogleOther", "Google", _T),  # same page: "internal research and development"
    AgentToken("GoogleOther-Image", "Google", _T),  # same page, GoogleOther for images
    AgentToken("GoogleOther-Video", "Google", _T),  # same page, GoogleOther for video
    AgentToken("Google-CloudVertexBot", "Google", _U),
    # support.apple.com/en-us/119829: "used to train Apple's foundation models"
    AgentToken("Applebot-Extended", "Apple", _T),
    AgentToken("Applebot", "Apple", _S),
    AgentToken("PerplexityBot", "Perplexity", _S),
    AgentToken("Perplexity-User", "Perplexity", _U),
    # developers.facebook.com/docs/sharing/webmasters/web-crawlers: "training AI models"
    AgentToken("meta-externalagent", "Meta", _T),
    AgentToken("meta-externalfetcher", "Meta", _U),
    AgentToken("FacebookBot", "Meta", _T),  # developers.facebook.com/docs/sharing/bot (rj)
    AgentToken("CCBot", "Common Crawl", _T),  # commoncrawl.org/ccbot: open dataset for AI/ML
    AgentToken("Bytespider", "ByteDance", _T),  # rj: "LLM training"
    AgentToken("TikTokSpider", "ByteDance", _T),  # rj: "LLM training", as Bytespider
    AgentToken("Amazonbot", "Amazon", _S),
    AgentToken("cohere-training-data-crawler", "Cohere", _T),  # rj: training data for its LLMs
    AgentToken("cohere-ai", "Cohere", _U),
    AgentToken("Diffbot", "Diffbot", _T),  # data provider; diffbot.com sells it for AI
    AgentToken("DuckAssistBot", "DuckDuckGo", _U),
    AgentToken("MistralAI-User", "Mistral", _U),
    AgentToken("YouBot", "You.com", _S),
    AgentToken("DeepSeekBot", "DeepSeek", _T),  # rj: "to train its language models"
    AgentToken("Timpibot", "Timpi", _T),  # timpi.io (rj): "data available for training AI models"
    AgentToken("omgili", "Webz.io", _T),  # webz.io blog (rj): data sold incl. for LLM training
    AgentToken("omgilibot", "Webz.io", _T),  # the same crawler's other token (rj)
    AgentToken("Webzio-Extended", "Webz.io", _T),  # rj: its crawl data is sold to train AI models
    AgentToken("ImagesiftBot", "ImageSift", _T),  # imagesift.com/about (rj)
    AgentToken("img2dataset", "img2dataset", _T),  # github.com/rom1504/img2dataset: datasets
    AgentToken("AI2Bot", "Ai2", _T),  # allenai.org/crawler: "train open language models"
    AgentToken("Ai2Bot-Dolma", "Ai2", _T),  # allenai.org/crawler: the Dolma training corpus
    AgentToken("Cotoyogi", "ROIS", _T),  # ds.rois.ac.jp/en_center8/en_crawler: Japanese LLMs
    AgentToken("ICC-Crawler", "NICT", _T),  # ucri.nict.go.jp/en/icccrawler.html: data for AI
    AgentToken("PanguBot", "Huawei", _T),  # rj: training data for the PanGu LLMs
    AgentToken("laion-huggingface-processor", "LAION", _T),  # rj: LAION's dataset builder
    AgentToken("LAIONDownloader", "LAION", _T),  # laion.ai (rj): datasets for ML research
    AgentToken("Factset_spyderbot", "FactSet", _T),  # factset.com/ai (rj): "AI model training"
    AgentToken("Brightbot", "Bright Data", _T),  # brightdata.com/brightbot (rj): LLM training
    AgentToken("Kangaroo Bot", "Kangaroo LLM", _T),  # rj: trains Australian-language models
    AgentToken("Linguee Bot", "Linguee", _T),  # linguee.com (rj): translation training data
    AgentToken("Sidetrade indexer bot", "Sidetrade", _T),  # sidetrade.com (rj): AI training
    AgentToken("SBIntuitionsBot", "SB Intuitions", _T),  # sbintuitions.co.jp/en/bot: AI dev.
    AgentToken("ISSCyberRiskCrawler", "ISS", _T),  # iss-cyber.com (rj): trains ML models
    AgentToken("VelenPublicWebCrawler", "Velen", _T),  # velen.io (rj): "machine learning models"
    AgentToken("FriendlyCrawler", "unknown", _T),  # imho.alex-kunz.com (rj): ML datasets
)

# Names in robots.json (and in old robots.txt files) that are not counted, and why. A block of
# one of these says something about another use, so counting it would throw good data away.
NOT_COUNTED: dict[str, str] = {
    "ExaBot": "blocks in old files are about Exalead's search engine (2010); Exa's AI crawler "
    "is ExaSearchBot",
    "Scrapy": "a crawling framework anyone runs (this library's users too), not one operator",
    "Spider": "a generic word many unrelated crawlers use",
    "facebookexternalhit": "Meta's link-preview fetcher; Meta documents no training use",
    "PetalBot": "Huawei's search engine crawler (Petal Search); PanguBot is its training one",
    "Panscient": "business directory data, structured with ML, not used to train models",
    "panscient.com": "business directory data, structured with ML, not used to train models",
}

_BY_NAME = {a.token.lower(): a for a in AI_AGENTS}

DEFAULT_AGENT_TOKENS: tuple[str, ...] = tuple(
    a.token for a in AI_AGENTS if a.use is AgentUse.TRAINING
)


def find_agent(token: str) -> AgentToken | None:
    """The table entry for ``token`` (case-insensitive), or None for a token we do not know."""
    return _BY_NAME.get(token.strip().lower())


# RFC 9309's product-token characters (letters, "-", "_") widened, as robots.txt User-agent
# values are read here, to digits and "." (AI2Bot, img2dataset, bigsur.ai; specs.md 6.2, 6.5):
# a crawler's own token keeps every character its robots.txt group can be written with.
_PRODUCT_TOKEN = re.compile(r"[A-Za-z0-9._-]+")


def product_token(user_agent: str) -> str | None:
    """The robots.txt token of a User-Agent string: ``"MyBot/1.0 (+url)"`` gives ``"MyBot"``,
    ``"AI2Bot/1.0"`` gives ``"AI2Bot"`` (the HTTP product name, up to ``/``, a space or ``(``).

    None when the string does not start with one; callers decide what that means.
    """
    match = _PRODUCT_TOKEN.match(user_agent.strip())
    if match is None or not any(c.isalpha() for c in match.group()):
        return None  # "1.0/x": a version, not a name
    return match.group()


_TRAINS = re.compile(r"\btrain(?:s|ed|ing)?\b", re.IGNORECASE)
_NOT_COUNTED = {name.lower() for name in NOT_COUNTED}


def training_tokens(entries: Iterable[CrawlerEntry]) -> tuple[str, ...]:
    """The names of ``robots.json`` entries that are training crawlers, in file order.

    A name in :data:`AI_AGENTS` counts when the table says training (the table is the reading
    with sources); a name in :data:`NOT_COUNTED` never counts; any other name counts when its
    ``function`` or ``description`` says it trains (``train``, ``training``, ``trained``).
    """
    found: dict[str, str] = {}
    for entry in entries:
        key = entry.name.lower()
        if key in _NOT_COUNTED or key in found:
            continue
        known = _BY_NAME.get(key)
        if known is not None:
            counted = known.use is AgentUse.TRAINING
        else:
            counted = bool(_TRAINS.search(entry.function) or _TRAINS.search(entry.description))
        if counted:
            found[key] = entry.name
    return tuple(found.values())


def read_robots_json(path: str | Path) -> tuple[str, ...]:
    """The training tokens of a local copy of ai.robots.txt's ``robots.json``.

    A file that cannot be read, is not a ``robots.json`` or names no training crawler is a
    :class:`~optout_middleware.errors.ConfigError` naming the file and the problem.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        tokens = training_tokens(parse_robots_json(data))
    except ParseError as exc:
        raise ConfigError(f"{str(path)!r} is not an ai.robots.txt robots.json: {exc}") from None
    if not tokens:
        raise ConfigError(f"{str(path)!r} names no training crawler")
    return tokens
