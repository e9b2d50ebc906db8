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

from .verdict import Purpose

__all__ = [
    "AI_AGENTS",
    "DEFAULT_AGENT_TOKENS",
    "AgentToken",
    "AgentUse",
    "find_agent",
    "product_token",
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

AI_AGENTS: tuple[AgentToken, ...] = (
    AgentToken("GPTBot", "OpenAI", _T),
    AgentToken("OAI-SearchBot", "OpenAI", _S),
    AgentToken("ChatGPT-User", "OpenAI", _U),
    AgentToken("ChatGPT Agent", "OpenAI", _U),
    AgentToken("ClaudeBot", "Anthropic", _T),
    AgentToken("anthropic-ai", "Anthropic", _T),  # legacy, still widely blocked
    AgentToken("Claude-Web", "Anthropic", _T),  # legacy, still widely blocked
    AgentToken("Claude-SearchBot", "Anthropic", _S),
    AgentToken("Claude-User", "Anthropic", _U),
    AgentToken("Google-Extended", "Google", _T),  # control token: Gemini training and grounding
    AgentToken("GoogleOther", "Google", _T),  # research and development crawls
    AgentToken("Google-CloudVertexBot", "Google", _U),
    AgentToken("Applebot-Extended", "Apple", _T),  # control token: Apple model training
    AgentToken("Applebot", "Apple", _S),
    AgentToken("PerplexityBot", "Perplexity", _S),
    AgentToken("Perplexity-User", "Perplexity", _U),
    AgentToken("meta-externalagent", "Meta", _T),
    AgentToken("meta-externalfetcher", "Meta", _U),
    AgentToken("FacebookBot", "Meta", _T),
    AgentToken("CCBot", "Common Crawl", _T),  # open dataset feeding many training corpora
    AgentToken("Bytespider", "ByteDance", _T),
    AgentToken("TikTokSpider", "ByteDance", _T),
    AgentToken("Amazonbot", "Amazon", _S),
    AgentToken("cohere-training-data-crawler", "Cohere", _T),
    AgentToken("cohere-ai", "Cohere", _U),
    AgentToken("Diffbot", "Diffbot", _T),  # data provider
    AgentToken("DuckAssistBot", "DuckDuckGo", _U),
    AgentToken("MistralAI-User", "Mistral", _U),
    AgentToken("YouBot", "You.com", _S),
    AgentToken("DeepSeekBot", "DeepSeek", _T),
    AgentToken("Timpibot", "Timpi", _T),
    AgentToken("omgili", "Webz.io", _T),
    AgentToken("ImagesiftBot", "ImageSift", _T),
    AgentToken("img2dataset", "img2dataset", _T),
)

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
