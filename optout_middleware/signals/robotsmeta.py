"""Robots directives used as AI opt-outs (specs.md section 5): ``X-Robots-Tag`` and robots metas.

This module owns the ``robots-meta`` family. It reads every ``X-Robots-Tag`` header line and the
``<meta name="robots">`` / ``<meta name="<token>">`` tags of the document head, and turns the
directives that reserve AI uses into evidence (spec 5.1-5.4):

* ``noai`` reserves :attr:`Purpose.TRAIN_AI` and :attr:`Purpose.AI_INPUT` for the resource
  (DeviantArt's terms cover training and input to trained systems);
* ``noimageai`` the same, but only when the response is an image; on a page it is recorded with
  no stance (it speaks about the page's images, which are checked on their own responses);
* ``disallowaitraining`` (the expired Microsoft draft, spec 5.4/7.1) reserves
  :attr:`Purpose.TRAIN_GENAI`.

Directives some tools read as opt-outs but whose definition is not about AI are off unless named
in ``Context.extra_robots_directives``: ``noindex``, ``none`` and ``noimageindex`` (img2dataset,
datadiligence: training and input, ``noimageindex`` for images only), ``noarchive`` (Bing:
generative training) and ``nocache`` (Bing: only URL, title and snippet may be used, so the full
content is reserved for generative training). Bing reads a page with both as ``nocache``; when
both are enabled the ``noarchive`` evidence is kept without a stance. Other directives
(``index``, ``follow``, ``max-snippet``...) produce no evidence.

Scope (spec 5.2, 5.6): a header line may start with ``<user-agent>:``, which scopes every
directive after it on that line, unless the part before the colon is a colon-bearing directive
(``unavailable_after: <date>``, ``max-snippet: 20``...) or holds a directive list. Any later
comma-separated item of the form ``<user-agent>: ...`` starts a new scope (a field joined from
several lines by an intermediary means what the lines meant); a scope is compared with our
names as robots.txt compares ``User-agent`` values (``CCBot/2.0`` names ``ccbot``). ``name``
``robots`` addresses every crawler; another name addresses that token. Lines and metas count
when unscoped or addressed to a name in ``Context.agent_names``; directives compare
case-insensitively. An ``X-Robots-Tag`` on a 3xx response applies to that redirect response
only; the final response is evaluated on its own (spec 5.6).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from optout_middleware.formats.htmlhead import HeadInterest
from optout_middleware.formats.robotstxt import agent_key
from optout_middleware.memo import Memo
from optout_middleware.plugin import SignalParser
from optout_middleware.verdict import Evidence, Purpose, disallows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from optout_middleware.inputs import Context, ResponseView
    from optout_middleware.verdict import Stances

__all__ = [
    "DIRECTIVE_PURPOSES",
    "EXTRA_DIRECTIVES",
    "FAMILY",
    "RobotsMetaSignal",
    "split_scope",
    "split_scopes",
]

FAMILY = "robots-meta"

_TRAIN_AND_INPUT = disallows(Purpose.TRAIN_AI, Purpose.AI_INPUT)
_GENAI = disallows(Purpose.TRAIN_GENAI)

# Directive -> what it reserves, built once (spec 5.1-5.4). The extras count only when enabled.
DIRECTIVE_PURPOSES: dict[str, Stances] = {
    "noai": _TRAIN_AND_INPUT,
    "noimageai": _TRAIN_AND_INPUT,
    "disallowaitraining": _GENAI,
    "noindex": _TRAIN_AND_INPUT,
    "none": _TRAIN_AND_INPUT,
    "noimageindex": _TRAIN_AND_INPUT,
    "noarchive": _GENAI,
    "nocache": _GENAI,
}
EXTRA_DIRECTIVES = frozenset({"noindex", "none", "noimageindex", "noarchive", "nocache"})

_NOTES = {
    "noai": "noai: no AI training or AI input for this resource (specs.md 5.1)",
    "noimageai": "noimageai: no AI use of this image (specs.md 5.1)",
    "disallowaitraining": "DisallowAITraining: no generative AI training (specs.md 5.4)",
    "noindex": "noindex read as an AI opt-out (enabled extra; img2dataset, specs.md 5.3)",
    "none": "none read as an AI opt-out (enabled extra; datadiligence, specs.md 5.3)",
    "noimageindex": "noimageindex read as an AI opt-out for this image (enabled extra; "
    "img2dataset, specs.md 5.3)",
    "noarchive": "noarchive: Bing reads it as no generative AI training (enabled extra; "
    "specs.md 5.4)",
    "nocache": "nocache: Bing uses only URL, title and snippet for training, so the content is "
    "reserved for generative AI training (enabled extra; specs.md 5.4)",
}
# Image-only directives on a response that is not an image: recorded, no stance.
_ON_A_PAGE = {
    "noimageai": "noimageai applies to images, not this page's text: no stance here (specs.md 5.1)",
    "noimageindex": "noimageindex applies to images, not this page's text: no stance here "
    "(enabled extra; specs.md 5.3)",
}
_BING_BOTH = "; with nocache also present Bing reads the page as nocache: no stance here"
_SPACES = "; directives separated by spaces, not commas: read leniently"
_REDIRECT = "; on a 3xx response: applies to the redirect response only (specs.md 5.6)"

# Directives written "name: value"; the part before such a colon is not a user agent.
_COLON_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
# Any other known directive before a colon is not a user agent either.
_KNOWN = _COLON_DIRECTIVES | DIRECTIVE_PURPOSES.keys() | {
    "all", "index", "follow", "nofollow", "nosnippet", "notranslate", "indexifembedded",
}  # fmt: skip


class RobotsMetaSignal(SignalParser):
    """``noai``/``noimageai`` and friends in ``X-Robots-Tag`` and robots ``<meta>`` tags."""

    family: ClassVar[str] = FAMILY

    def __init__(self) -> None:
        # Sites repeat the same header lines and meta contents on every page: each is read once.
        # The entry keeps the context whose id keys it alive (review F3).
        self._read: Memo[_ReadKey, tuple[Context, tuple[tuple[str, Evidence], ...]]] = Memo(
            _CACHE_LIMIT
        )

    def head_interest(self, context: Context) -> HeadInterest:
        """The robots metas: ``name="robots"`` and one per name our crawler answers to
        (which :mod:`.pageimages` reads too)."""
        return HeadInterest(frozenset({"robots"}) | context.agent_names)

    def response_evidence(self, response: ResponseView, context: Context) -> Iterable[Evidence]:
        """Evidence for each reserving directive addressed to every crawler or to ours."""
        found: list[tuple[str, Evidence]] = []
        ctx = id(context)
        redirect = 300 <= response.status < 400  # noqa: PLR2004  (the 3xx range)
        for line in response.header("X-Robots-Tag"):
            for agent, value, directives in split_scopes(line, context):
                if agent is None or _addressed(agent, context):
                    image = response.is_image if _SAYS_IMAGE(value) else None
                    self._read_once(
                        found,
                        (ctx, image, redirect, "header", "X-Robots-Tag", value, agent),
                        directives,
                        context,
                        response,
                    )
        agent_names = context.agent_names
        for meta in response.head.metas:
            name = meta.name
            if name == "robots":
                agent, location = None, _ROBOTS_META
            elif name in agent_names:
                agent, location = name, f'meta name="{name}"'
            else:
                continue
            content = meta.content
            image = response.is_image if _SAYS_IMAGE(content) else None
            self._read_once(
                found,
                (ctx, image, redirect, "meta", location, content, agent),
                None,  # split only when not remembered: most pages repeat their site's meta
                context,
                response,
            )
        if not found:
            return ()
        if "nocache" in context.extra_robots_directives and any(d == "nocache" for d, _ in found):
            return [_without_stance(ev, _BING_BOTH) if d == "noarchive" else ev for d, ev in found]
        return [ev for _, ev in found]

    def _read_once(
        self,
        found: list[tuple[str, Evidence]],
        key: _ReadKey,
        directives: list[str] | None,
        context: Context,
        response: ResponseView,
    ) -> None:
        """``_read`` of one value, remembered by everything its result depends on.

        ``directives`` None: the value's comma-separated items (a meta's content)."""
        entry = self._read.get(key)
        read = entry[1] if entry is not None and entry[0] is context else None
        if read is None:
            fresh: list[tuple[str, Evidence]] = []
            _, _, _, source, location, value, agent = key
            _read(
                fresh,
                value.split(",") if directives is None else directives,
                context,
                response,
                source=source,
                location=location,
                value=value,
                agent=agent,
            )
            read = tuple(fresh)
            if len(value) <= _CACHE_KEY_MAX:  # hostile pages must not grow memory
                self._read.put(key, (context, read))  # holding the context holds its id
        found.extend(read)


_ROBOTS_META = 'meta name="robots"'
# Only the image-only directives (noimageai, noimageindex) read differently on an image: a
# value that cannot name one is read the same on any response, and nobody asks what it is.
_SAYS_IMAGE = re.compile("image", re.IGNORECASE).search
# (id(context), is image or None when it cannot matter, is 3xx, source, location, value,
# agent): what _read's result depends on
_ReadKey = tuple[int, "bool | None", bool, str, str, str, "str | None"]
_CACHE_LIMIT = 1024
_CACHE_KEY_MAX = 256


def split_scope(line: str, context: Context) -> tuple[str | None, list[str]]:
    """Split one ``X-Robots-Tag`` line into its user-agent scope (or None) and its directives.

    Only the first scope of the line: :func:`split_scopes` reads every one.
    """
    before, colon, after = line.partition(":")
    if colon and _is_scope(before, context):
        return before.strip(), after.split(",")
    return None, line.split(",")


def split_scopes(line: str, context: Context) -> list[tuple[str | None, str, list[str]]]:
    """Every ``(scope, text, directives)`` segment of one ``X-Robots-Tag`` field value.

    Intermediaries may join repeated fields with commas (RFC 9110 5.3), so a comma-separated
    item ``<user-agent>: <directive>`` starts a new scope wherever it stands, not only first
    (spec 5.6: repeated headers and one combined header mean the same). An unscoped item after a
    scoped one stays in that scope: the spec's reading of one line (``bot: noai, noimageai``).
    """
    segments: list[tuple[str | None, list[str], list[str]]] = []
    for piece in line.split(","):
        before, colon, after = piece.partition(":")
        if colon and _is_scope(before, context):
            segments.append((before.strip(), [after], [piece]))
        elif segments:
            segments[-1][1].append(piece)
            segments[-1][2].append(piece)
        else:
            segments.append((None, [piece], [piece]))
    if len(segments) == 1:
        return [(segments[0][0], line, segments[0][1])]
    return [(scope, ",".join(raw).strip(), items) for scope, items, raw in segments]


def _is_scope(before: str, context: Context) -> bool:
    """Whether the text before a colon names a user agent (not a colon-bearing directive)."""
    key = before.strip().lower()
    if not key or key in _KNOWN:
        return False
    words = key.split()
    if len(words) == 1 or key in context.agent_names:
        return True
    # "noindex nofollow: x" is a directive list; "31 Dec 2030 23:59" the rest of a date after a
    # comma; "ChatGPT Agent" a name (every word starts with a letter, none is a directive).
    return all(w[0].isascii() and w[0].isalpha() and w not in _KNOWN for w in words)


def _addressed(agent: str, context: Context) -> bool:
    """A scope names our crawler: compared as robots.txt compares ``User-agent`` values."""
    return agent.lower() in context.agent_names or agent_key(agent) in context.agent_names


def _read(
    found: list[tuple[str, Evidence]],
    directives: Iterable[str],
    context: Context,
    response: ResponseView,
    *,
    source: str,
    location: str,
    value: str,
    agent: str | None,
) -> None:
    """Append ``(directive, evidence)`` for each directive that reserves something for us."""
    seen: set[str] = set()
    for piece in directives:
        words = piece.split()
        if len(words) > 1 and ":" not in piece:  # "noai noimageai": a list without commas
            names, lenient = [w.lower() for w in words], _SPACES
        else:
            names, lenient = [piece.partition(":")[0].strip().lower()], ""
        for directive in names:
            stances = DIRECTIVE_PURPOSES.get(directive)
            if stances is None or directive in seen:
                continue
            if directive in EXTRA_DIRECTIVES and directive not in context.extra_robots_directives:
                continue
            seen.add(directive)
            note = _NOTES[directive]
            if directive in _ON_A_PAGE and not response.is_image:
                stances, note = (), _ON_A_PAGE[directive]
            note += lenient
            if 300 <= response.status < 400:  # noqa: PLR2004  (the 3xx range)
                note += _REDIRECT
            found.append(
                (
                    directive,
                    Evidence(
                        FAMILY, source, value, stances, location=location, agent=agent, note=note
                    ),
                )
            )


def _without_stance(evidence: Evidence, why: str) -> Evidence:
    return replace(evidence, stances=(), note=evidence.note + why)
