"""What a signal parser reads: the crawl's context, the site files of an origin, one response.

These types are Scrapy-free so that parsers, the CLI and user code share them; the middlewares
wrap Scrapy objects in them without copying bodies or headers.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from .agents import DEFAULT_AGENT_TOKENS
from .formats.htmlhead import EMPTY_HEAD, HeadInterest, extract_head
from .formats.images import scan_image, sniff_image

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .formats.aitxt import AiTxt
    from .formats.htmlhead import HtmlHead
    from .formats.images import ImageScan
    from .formats.robotstxt import Record, RobotsTxt
    from .formats.rsl import RslDocument
    from .formats.tdmrep import TdmRepFile

__all__ = [
    "Context",
    "FileState",
    "HeaderList",
    "HeaderSource",
    "ResponseView",
    "SiteFile",
    "SiteFiles",
    "header_values",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """Who is crawling and which debatable readings are on; built once per crawl."""

    user_agent: str = "*"  # the crawler's own robots.txt product token
    ai_agents: tuple[str, ...] = DEFAULT_AGENT_TOKENS  # tokens whose robots rules count as opt-outs
    extra_robots_directives: frozenset[str] = frozenset()  # e.g. {"noindex", "noarchive"}
    aipref_legacy_labels: bool = True  # honour "n" on pre-vocab-08 labels (never their "y")
    wildcard_group_signals: bool = True  # use the "*" group's extension lines when ours has none
    robots_unreachable_reserves: bool = True  # RFC 9309: 5xx / network error = complete disallow
    rsl_licenses: frozenset[str] = frozenset()  # RSL licence servers / content URLs the crawl holds
    rsl_unreadable_reserves: bool = True  # an unreadable RSL document: unlicensed (else unknown)
    # Lower-cased tokens that scoped directives may address: ours and the counted AI ones.
    agent_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = frozenset(a.lower() for a in (self.user_agent, *self.ai_agents) if a and a != "*")
        object.__setattr__(self, "agent_names", names)  # derived once: read on every response
        directives = frozenset(d.strip().lower() for d in self.extra_robots_directives)
        object.__setattr__(self, "extra_robots_directives", directives)


class FileState(str, Enum):
    """The RFC 9309 reading of one site-file fetch."""

    PARSED = "parsed"  # 2xx: the rules apply
    ABSENT = "absent"  # 4xx (or not found after redirects): no rules
    UNREACHABLE = "unreachable"  # 5xx or network failure: robots.txt then means complete disallow
    NOT_FETCHED = "not-fetched"  # family switched off, or not asked for yet
    NOT_CAPTURED = "not-captured"  # a stored crawl (WARC) holds no capture of it: unknown


@dataclass(frozen=True)  # no slots: 3.10/3.11 cannot call SiteFile[X](...) on a slotted generic
class SiteFile(Generic[T]):
    """The outcome of fetching one site file of an origin."""

    state: FileState = FileState.NOT_FETCHED
    url: str = ""
    parsed: T | None = None
    status: int | None = None
    error: str | None = None  # why it is unreachable, or why parsing gave up
    fetched_at: float | None = None  # Unix time
    sha256: str | None = None  # of the body read, for the audit trail
    # Set when the file was unreachable at ``fetched_at`` and this is the last good copy, read
    # at ``last_good_at`` (Unix time), reused in its place (RFC 9309 2.4; sitepolicy.lastgood).
    last_good_at: float | None = None


@dataclass(frozen=True, slots=True)
class SiteFiles:
    """The site-wide files of one origin (scheme, host, port)."""

    origin: str = ""
    robots: SiteFile[RobotsTxt] = field(default_factory=SiteFile)
    tdmrep: SiteFile[TdmRepFile] = field(default_factory=SiteFile)
    aitxt: SiteFile[AiTxt] = field(default_factory=SiteFile)
    rsl: tuple[SiteFile[RslDocument], ...] = ()  # RSL documents named by robots.txt License:

    def robots_records(self, name: str, context: Context) -> tuple[Record, ...]:
        """robots.txt records named ``name`` that address our crawler; () unless parsed.

        Group selection is RFC 9309's for ``context.user_agent``, then the ``*`` group
        (``context.wildcard_group_signals``) and the lines before the first group.
        """
        robots = self.robots
        if robots.state is not FileState.PARSED or robots.parsed is None:
            return ()
        return robots.parsed.extension_records(
            context.user_agent, name, wildcard_fallback=context.wildcard_group_signals
        )


NO_SITE_FILES = SiteFiles()
_NO_DOCUMENTS: Mapping[str, SiteFile[RslDocument]] = MappingProxyType({})


# WHATWG MIME sniffing's HTML patterns (a tag name then a space or ">", or a comment).
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)"
    rb"[ \t\n\f\r>]|<!--",
    re.IGNORECASE,
)


class HeaderSource(Protocol):
    """Anything that returns every value of a header, matched case-insensitively.

    Scrapy's ``Headers`` already is one; :class:`HeaderList` is one for plain pairs.
    """

    def getlist(self, key: str) -> list[bytes]: ...


class HeaderList:
    """Header pairs as a :class:`HeaderSource`; names compare case-insensitively."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str | bytes, str | bytes]] = ()) -> None:
        values: dict[str, list[bytes]] = {}
        for name, value in pairs:
            key = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
            raw = value if isinstance(value, bytes) else value.encode("latin-1", "replace")
            values.setdefault(key, []).append(raw)
        self._values = values

    def getlist(self, key: str) -> list[bytes]:
        """Every value of header ``key``, in order."""
        return list(self._values.get(key.lower(), ()))


def _scrapy_headers() -> type | None:
    """Scrapy's ``Headers`` class if Scrapy is loaded (this module must not import it)."""
    module = sys.modules.get("scrapy.http.headers")
    found = getattr(module, "Headers", None)
    return found if isinstance(found, type) else None


_SCRAPY_HEADERS = [_scrapy_headers()]  # one slot: set once Scrapy is loaded
_SCRAPY_KEYS: dict[str, bytes] = {}  # header name -> the key Scrapy's Headers stores it under
_NO_VALUES: list[bytes] = []  # returned, never changed: callers only read header values
_KEYS_REMEMBERED = 256  # distinct header names (parsers read a handful)


def header_values(headers: HeaderSource, name: str) -> list[bytes]:
    """``headers.getlist(name)``, read-only, without the per-call name normalisation of
    Scrapy's own ``Headers`` (a dict keyed by ``name.title()`` in bytes; its ``getlist``
    title-cases and encodes the name on each of the ~8 reads of a response) or the copy
    :class:`HeaderList` makes. Only those exact classes (a subclass may store keys its own
    way), Scrapy's default key encoding and ASCII names take the dict lookup."""
    kind = type(headers)
    if kind is HeaderList and isinstance(headers, HeaderList):  # isinstance: for mypy
        return headers._values.get(name.lower(), _NO_VALUES)
    scrapy = _SCRAPY_HEADERS[0]
    if kind is not scrapy:
        if scrapy is None and kind.__module__ == "scrapy.http.headers":
            _SCRAPY_HEADERS[0] = _scrapy_headers()
            return header_values(headers, name)
        return headers.getlist(name)
    if getattr(headers, "encoding", None) != "utf-8":  # keys are encoded names: Scrapy's default
        return headers.getlist(name)
    key = _SCRAPY_KEYS.get(name)
    if key is None:
        if not name.isascii() or len(_SCRAPY_KEYS) >= _KEYS_REMEMBERED:
            return headers.getlist(name)
        key = _SCRAPY_KEYS[name] = name.title().encode("ascii")
    return dict.get(headers, key, _NO_VALUES)  # type: ignore[call-overload, no-any-return]


def decode_header(value: bytes) -> str:
    """Header bytes as text: ISO-8859-1 never fails, and keeps every octet visible in evidence."""
    return value.decode("latin-1")


class ResponseView:
    """A read-only view of one response: URL, status, headers, body, and its head signals.

    The ``<head>`` is extracted at most once, on first use, and only for HTML; with a
    ``head_interest`` (the evaluator's), only the tags some signal parser reads are kept.
    """

    __slots__ = (
        "_content_type",
        "_head",
        "_head_interest",
        "_image",
        "_is_image",
        "body",
        "headers",
        "rsl_documents",
        "status",
        "url",
    )

    def __init__(
        self,
        url: str,
        *,
        status: int = 200,
        headers: HeaderSource | None = None,
        body: bytes = b"",
        head_interest: HeadInterest | None = None,
    ) -> None:
        self.url = url
        self.status = status
        self.headers: HeaderSource = headers if headers is not None else HeaderList()
        self.body = body
        self._head: HtmlHead | None = None
        self._head_interest = head_interest
        self._content_type: str | None = None
        self._image: ImageScan | None = None
        self._is_image: bool | None = None
        # RSL documents this response links to, by URL, once fetched (the middleware sets it).
        self.rsl_documents: Mapping[str, SiteFile[RslDocument]] = _NO_DOCUMENTS

    def header(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` as text (several lines stay separate).

        Most responses lack most of the headers the families read: that costs a dict lookup.
        """
        values = header_values(self.headers, name)
        if not values:
            return ()
        return tuple([v.decode("latin-1") for v in values])  # as decode_header()

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters ("" when absent)."""
        if self._content_type is None:
            values = header_values(self.headers, "Content-Type")
            self._content_type = (
                decode_header(values[0]).partition(";")[0].strip().lower() if values else ""
            )
        return self._content_type

    @property
    def is_html(self) -> bool:
        """Whether the body is HTML (by Content-Type, else by a sniff of its first bytes)."""
        ctype = self.content_type
        if ctype:
            return ctype in ("text/html", "application/xhtml+xml")
        return _HTML_SNIFF.match(self.body[:512].lstrip()) is not None

    @property
    def is_image(self) -> bool:
        """Whether the response is an image (``noimageai`` reserves these): by Content-Type, or
        by the magic bytes of the body, since storage buckets and CDNs serve images as
        ``application/octet-stream`` or with no type at all. Decided once: several families
        ask."""
        if self._is_image is None:
            self._is_image = (
                self.content_type.startswith("image/") or sniff_image(self.body) is not None
            )
        return self._is_image

    @property
    def image(self) -> ImageScan:
        """The opt-outs embedded in an image body, scanned at most once (empty for non-images)."""
        if self._image is None:
            self._image = scan_image(self.body)
        return self._image

    @property
    def head(self) -> HtmlHead:
        """The head signals of an HTML body; empty for anything else."""
        if self._head is None:
            if self.is_html and self.body:
                self._head = extract_head(
                    self.body, encoding=self._charset(), interest=self._head_interest
                )
            else:
                self._head = EMPTY_HEAD
        return self._head

    def _charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        values = header_values(self.headers, "Content-Type")
        if not values:
            return None
        for param in decode_header(values[0]).split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip(" \t\"'"):
                return value.strip(" \t\"'")
        return None
