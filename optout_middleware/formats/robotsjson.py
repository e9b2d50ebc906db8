"""The ai.robots.txt project's ``robots.json`` (specs.md 6.2): bytes in, crawler entries out.

The file is one JSON object keyed by user-agent name; each value is an object of free-text
fields (``operator``, ``respect``, ``function``, ``frequency``, ``description``, sometimes more)::

    {"GPTBot": {"operator": "[OpenAI](https://openai.com)", "respect": "Yes",
                "function": "Scrapes data to train OpenAI's products.", ...}, ...}

There is no purpose field: which entries are training crawlers is decided above this layer
(:func:`optout_middleware.agents.training_tokens`). Anything else (not JSON, not an object of
objects, a non-string field, an empty name) is a :class:`~optout_middleware.errors.ParseError`
that says where: a file a user points a setting at should fail loudly, not count nobody.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from optout_middleware.errors import ParseError

__all__ = ["MAX_BYTES", "CrawlerEntry", "parse_robots_json"]

MAX_BYTES = 16 * 1024 * 1024  # the real file is about 100 KB; far larger is not this file


@dataclass(frozen=True, slots=True)
class CrawlerEntry:
    """One entry: the user-agent name as written, and its text fields (missing ones empty)."""

    name: str
    operator: str = ""
    respect: str = ""
    function: str = ""
    description: str = ""


_FIELDS = ("operator", "respect", "function", "description")


def parse_robots_json(data: bytes | str) -> tuple[CrawlerEntry, ...]:
    """Every entry of a ``robots.json``, in file order; a ParseError says what is wrong."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        raise ParseError(f"larger than {MAX_BYTES} bytes: not a robots.json")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise ParseError("not JSON: nested too deeply") from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ParseError(f"expected a JSON object keyed by user-agent name, found a {kind}")
    entries = []
    for name, fields in document.items():
        if not name.strip():
            raise ParseError("an entry has an empty user-agent name")
        if not isinstance(fields, dict):
            raise ParseError(f"entry {name!r}: expected an object, found {type(fields).__name__}")
        values = {}
        for field in _FIELDS:
            value = fields.get(field, "")
            if not isinstance(value, str):
                kind = type(value).__name__
                raise ParseError(f"entry {name!r}: field {field!r} is a {kind}, not a string")
            values[field] = value
        entries.append(CrawlerEntry(name.strip(), **values))
    return tuple(entries)
