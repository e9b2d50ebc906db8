"""robots.txt (RFC 9309): bytes in, groups with their rules and extension records out.

This module owns reading robots.txt: decoding the bytes, the field names with their
misspellings, and the lines into groups (:func:`parse`). The parsed file, and answering "may
this agent fetch this URL" (acquisition) and "which records apply to it", is
:class:`RobotsTxt` in :mod:`~optout_middleware.formats.robotsgroups`; its names are re-exported
here, the import path users know. Usage signals that live in robots.txt (``Content-Usage``,
``Content-Signal``, ``DisallowAITraining``) are kept as :class:`Record` s in their group, for
the families that read them through :meth:`RobotsTxt.extension_records`.

Reading (RFC 9309 section 2.2; every line is tried, nothing ever raises on content):

* Only the first :data:`MAX_BYTES` are read, and a line cut by that limit is dropped whole.
  A UTF-8 BOM (even a partial one) is skipped, a UTF-16 BOM selects UTF-16; anything else is
  UTF-8 with invalid octets replaced. CR, LF and CRLF all end a line; ``#`` starts a comment.
* A group is one or more ``User-agent`` lines and the lines after them, up to the next
  ``User-agent`` line that follows an Allow or Disallow. Blank lines and other records
  (``Sitemap``, ``Crawl-delay``, ``Content-Signal``, anything) never end a group or its
  user-agent list: RFC 9309 section 2.2.4 says they must not interfere (Protego splits there).
* Lines before the first ``User-agent`` belong to no group: their Allow/Disallow are ignored
  (kept in :attr:`RobotsTxt.ignored_rules` for audit), other records form the ``preamble``.
  ``Sitemap`` is global wherever it appears.
* Leniencies copied from Google's parser because sites rely on them: field names in any case,
  a missing colon when the line is exactly two words (``Disallow /x``), common misspellings of
  field names (below), and a pattern without its leading ``/`` (``Disallow: private``) gets one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .robotsgroups import Group, Record, RobotsTxt, _RawRule, agent_key, crawler_key
from .robotsrules import Rule, RuleSet, make_rule

if TYPE_CHECKING:
    from .patterns import PathPattern

__all__ = [
    "MAX_BYTES",
    "Group",
    "Record",
    "RobotsTxt",
    "Rule",
    "RuleSet",
    "agent_key",
    "crawler_key",
    "parse",
]

MAX_BYTES = 500 * 1024  # RFC 9309 section 2.5: parse at least 500 KiB

_UA, _ALLOW, _DISALLOW, _SITEMAP = "user-agent", "allow", "disallow", "sitemap"

# Field names (lower-cased) to their canonical name. The misspellings are those Google's parser
# accepts; the extension names get the spellings seen for hyphenated fields.
_FIELDS: dict[str, str] = {
    **dict.fromkeys(("user-agent", "useragent", "user agent", "user_agent"), _UA),
    "allow": _ALLOW,
    **dict.fromkeys(
        ("disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"), _DISALLOW
    ),
    **dict.fromkeys(("sitemap", "site-map", "site map"), _SITEMAP),
    **dict.fromkeys(("content-usage", "content usage", "content_usage"), "content-usage"),
    **dict.fromkeys(("content-signal", "content signal", "content_signal"), "content-signal"),
    **dict.fromkeys(("disallowaitraining", "disallow-ai-training"), "disallowaitraining"),
    **dict.fromkeys(("allowaitraining", "allow-ai-training"), "allowaitraining"),
}
# The spellings most files use, so the common line skips strip() and lower().
_FIELDS.update({k: _FIELDS[k.lower()] for k in ("User-agent", "User-Agent", "Allow", "Disallow")})
_NAME_AND_VALUE = 2  # words on a colon-less line that is still read as "field value"


def _decode(body: bytes | bytearray | memoryview | str) -> tuple[str, int, bool]:
    """(text, size in bytes, truncated): at most MAX_BYTES read, never a partial last line."""
    if isinstance(body, str):
        if not body.isascii():
            return _decode(body.encode("utf-8", "surrogatepass"))
        size, truncated = len(body), len(body) > MAX_BYTES
        text = body[:MAX_BYTES] if truncated else body
        complete = truncated and body[MAX_BYTES] in "\r\n"
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
        size, truncated = len(data), len(data) > MAX_BYTES
        chunk = data[:MAX_BYTES] if truncated else data
        if chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = chunk.decode("utf-16", "replace")  # the codec reads and drops the BOM
            complete = False
        else:
            text = chunk.decode("utf-8", "replace")
            complete = truncated and data[MAX_BYTES] in b"\r\n"
    else:
        raise TypeError(f"robots.txt body must be bytes or str, not {type(body).__name__}")
    if truncated and not complete:
        end = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: end + 1]
    if text[:1] in ("\ufeff", "\ufffd"):  # a BOM, or a partial one (Google skips those too)
        text = text[1:]
    return text, size, truncated


def parse(body: bytes | str) -> RobotsTxt:
    """Parse any bytes (or text) as robots.txt; never raises on content."""
    text, size, truncated = _decode(body)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    groups: list[Group] = []
    preamble: list[Record] = []
    sitemaps: list[str] = []
    ignored: list[Rule] = []
    patterns: dict[str, PathPattern] = {}
    agents: list[str] = []
    rules: list[_RawRule] = []
    records: list[Record] = []
    start = 0  # line of the current group's first User-agent; 0: no group yet
    after_rule = False
    fields = _FIELDS
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        cut = line.find("#")
        content = line[:cut] if cut >= 0 else line
        name, colon, value = content.partition(":")
        if colon:
            field = fields.get(name) or fields.get(name.strip().lower())
            value = value.strip()
            if field is None:
                field = name.strip().lower()
                if not field.replace("-", "").replace("_", "").isalnum() or not field.isascii():
                    continue  # not a field name: garbage, HTML, a URL
        else:  # Google leniency: "Disallow /x", only when the line is exactly two words
            words = content.split()
            known = fields.get(words[0].lower()) if len(words) == _NAME_AND_VALUE else None
            if known is None:
                continue
            field, value = known, words[1]
        if field == _UA:  # the common fields first
            if start and after_rule:
                groups.append(_group(agents, rules, records, start, patterns))
                agents, rules, records = [], [], []
            if not agents:
                start = number
            agents.append(value)
            after_rule = False
        elif field in (_ALLOW, _DISALLOW):
            if start:
                rules.append((field == _ALLOW, value, number))
                after_rule = True
            else:
                ignored.append(make_rule(field == _ALLOW, value, number, patterns))
        elif field == _SITEMAP:
            if value:
                sitemaps.append(value)
        elif start:
            records.append(Record(field, value, number))
        else:
            preamble.append(Record(field, value, number))
    if start:
        groups.append(_group(agents, rules, records, start, patterns))
    return RobotsTxt(
        groups, preamble, sitemaps, ignored_rules=ignored, size=size, truncated=truncated
    )


def _group(
    agents: list[str],
    rules: list[_RawRule],
    records: list[Record],
    line: int,
    patterns: dict[str, PathPattern],
) -> Group:
    return Group(tuple(agents), (), tuple(records), line, raw=tuple(rules), patterns=patterns)
