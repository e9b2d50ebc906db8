"""A page's ``noai``/``noimageai`` reaching the images it presents (images.md section 7).

DeviantArt, which introduced both directives, puts ``noimageai`` on the *page* and asks that
the images the page presents are excluded from training sets. So a page's ``noai`` (everything
on the page) or ``noimageai`` (its images), in a ``<meta name="robots">`` or ``<meta
name="<our token or a counted AI token>">``, or an ``X-Robots-Tag`` line addressed to every
crawler or to such a token (the scope rules of :mod:`.robotsmeta`), reserves the images the page
embeds or links to: training and AI input, as the directive does on the image itself.

This module owns the rule; the middlewares carry a page's directives to the requests it yields
and keep the map of image URL to embedding pages. The evidence belongs to the ``robots-meta``
family (source ``page``, ``url`` the page) and is given only to responses that are images
(:attr:`ResponseView.is_image`, magic bytes included): a page linked from a ``noimageai`` page
is not reserved by it, and ``noimageai`` never reserves the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optout_middleware.verdict import Evidence, Purpose, disallows

from .robotsmeta import FAMILY, split_scope

if TYPE_CHECKING:
    from collections.abc import Iterable

    from optout_middleware.inputs import Context, ResponseView

__all__ = ["PAGE_DIRECTIVES", "PageDirective", "embedded_evidence", "page_directives"]

PAGE_DIRECTIVES = frozenset({"noai", "noimageai"})
_STANCES = disallows(Purpose.TRAIN_AI, Purpose.AI_INPUT)
_NOTE = (
    "{directive} on a page that presents this image: it covers the page's images "
    "(DeviantArt's definition; images.md section 7)"
)


@dataclass(frozen=True, slots=True)
class PageDirective:
    """One reserving directive found on a page, as carried to the images it presents."""

    page: str  # the page URL
    directive: str  # "noai" or "noimageai"
    source: str  # "header" or "meta"
    location: str  # "X-Robots-Tag", 'meta name="robots"'
    value: str  # the header line or meta content, verbatim
    agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, for ``request.meta`` (disk queues, scrapy-redis)."""
        return {
            "page": self.page,
            "directive": self.directive,
            "source": self.source,
            "location": self.location,
            "value": self.value,
            "agent": self.agent,
        }

    @classmethod
    def from_dict(cls, data: object) -> PageDirective | None:
        """Inverse of :meth:`to_dict`; None for anything else (meta is user-writable)."""
        if not isinstance(data, dict):
            return None
        try:
            found = cls(
                str(data["page"]),
                str(data["directive"]),
                str(data.get("source", "meta")),
                str(data.get("location", "")),
                str(data.get("value", data["directive"])),
                data.get("agent") if isinstance(data.get("agent"), str) else None,
            )
        except KeyError:
            return None
        return found if found.directive in PAGE_DIRECTIVES else None

    def evidence(self) -> Evidence:
        """The reservation this directive makes for an image the page presents."""
        return Evidence(
            FAMILY,
            "page",
            self.value,
            _STANCES,
            location=f"{self.location} of the page",
            agent=self.agent,
            url=self.page,
            note=_NOTE.format(directive=self.directive),
        )


def _names(piece: str) -> list[str]:
    words = piece.split()
    if len(words) > 1 and ":" not in piece:  # "noai noimageai": the lenient space-separated list
        return [w.lower() for w in words]
    return [piece.partition(":")[0].strip().lower()]


def page_directives(response: ResponseView, context: Context) -> tuple[PageDirective, ...]:
    """The ``noai``/``noimageai`` directives of an HTML page that address us; () otherwise.

    Costs one header lookup and a walk over the (already extracted) head's metas.
    """
    if not response.is_html:
        return ()
    found: dict[tuple[str, str, str], PageDirective] = {}
    for line in response.header("X-Robots-Tag"):
        if "noai" not in line.lower() and "noimageai" not in line.lower():
            continue
        agent, directives = split_scope(line, context)
        if agent is not None and agent.lower() not in context.agent_names:
            continue
        for piece in directives:
            for name in _names(piece):
                if name in PAGE_DIRECTIVES:
                    found.setdefault(
                        (name, "X-Robots-Tag", line),
                        PageDirective(response.url, name, "header", "X-Robots-Tag", line, agent),
                    )
    for meta in response.head.metas:
        name = meta.name
        if name != "robots" and name not in context.agent_names:
            continue
        location = f'meta name="{name}"'
        for piece in meta.content.split(","):
            for directive in _names(piece):
                if directive in PAGE_DIRECTIVES:
                    found.setdefault(
                        (directive, location, meta.content),
                        PageDirective(
                            response.url,
                            directive,
                            "meta",
                            location,
                            meta.content,
                            None if name == "robots" else name,
                        ),
                    )
    return tuple(found.values())


def embedded_evidence(
    response: ResponseView, directives: Iterable[PageDirective]
) -> tuple[Evidence, ...]:
    """Evidence for an image response from the directives of the pages presenting it."""
    unique = dict.fromkeys(directives)
    if not unique or not response.is_image:
        return ()
    return tuple(d.evidence() for d in unique)
